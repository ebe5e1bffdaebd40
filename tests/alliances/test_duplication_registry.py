"""« Dupliquer l'édition » takes each app's part from its duplication.py: a fake app's part is picked up."""

import pytest

from alliances.duplication import DuplicationContribution, duplication_summary, duplications, programme_duplicate
from alliances.models import Theme
from sessions.models import Session
from tests import factories


class FakeAppDuplication(DuplicationContribution):
    """A fake app between the sessions (30) and evaluation (40): it sees what the core and sessions copied."""

    key = "fake_app"
    order = 35
    left_out = ("les secrets de l'application factice",)

    def __init__(self):
        self.calls = []

    def summary(self, source):
        return [("objets factices", 7)]

    def copy(self, context):
        self.calls.append(
            {
                "programme": context.programme,
                "days": context.days,
                "themes": dict(context.copied(Theme)),
                "sessions": dict(context.copied(Session)),
                "before": [c.key for c in duplications.all() if c.order < self.order],
            }
        )


@pytest.fixture
def fake_app():
    contribution = FakeAppDuplication()
    duplications.register(contribution)
    yield contribution
    duplications.unregister(contribution.key)


def test_a_contribution_registered_by_an_app_runs_in_its_order_with_the_shared_context(fake_app, programme, superuser):
    theme = factories.ThemeFactory(programme=programme)
    session = factories.SessionFactory(programme=programme, number=1, within_edition=True)
    keys = [c.key for c in duplications.all()]
    assert keys.index("sessions") < keys.index("fake_app") < keys.index("evaluation")

    copy = programme_duplicate(source=programme, name="Copie", slug="copie", offset_days=7, duplicated_by=superuser)

    (call,) = fake_app.calls
    assert call["programme"] == copy and call["days"] == 7
    assert call["themes"][theme.pk] == Theme.objects.get(programme=copy)
    assert call["sessions"][session.pk] == Session.objects.get(programme=copy, number=1)
    assert {"alliances", "networks", "governance", "sessions"} <= set(call["before"])


def test_its_summary_and_what_it_leaves_out_reach_the_confirmation_page(fake_app, client, superuser, programme):
    assert ("objets factices", 7) in duplication_summary(programme)
    client.force_login(superuser)
    page = client.post(
        "/admin/alliances/programme/", {"action": "duplicate_programme", "_selected_action": [programme.pk]}
    )
    content = page.content.decode()
    assert "7 objets factices" in content
    assert "les secrets de l&#x27;application factice" in content


def test_once_unregistered_it_no_longer_runs(programme, superuser):
    contribution = FakeAppDuplication()
    duplications.register(contribution)
    duplications.unregister(contribution.key)
    programme_duplicate(source=programme, name="Copie", slug="copie", offset_days=0, duplicated_by=superuser)
    assert contribution.calls == []
