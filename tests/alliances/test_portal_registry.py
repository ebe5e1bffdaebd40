"""The portal's and the documents' extension points take a new app's part (a fake app, here).

alliances/portal.py lays the home out from each app's ``portal.py`` (``home_parts``: cards,
« à faire », context; ``landings``: where « / » leads), and the document views ask each kind's
``readers`` rule who, beyond its edition's coordinators, reads its reports.
"""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from alliances import documents, portal
from alliances.models import Report
from tests import factories

HOME = "/portail/"
PDF = b"%PDF-1.4\n% test document\n"


class FakeAppHome:
    """A new app's part of the home: a card in the main column and one thing to do."""

    key = "fake_app"

    def home(self, page):
        return portal.HomeParts(
            cards=[portal.Card("fake_app/_home_card.html", 25, portal.MAIN)],
            pending=[
                portal.PendingItem(
                    label="Relire la charte du réseau",
                    url="/portail/charte/",
                    due=page.today + dt.timedelta(days=1),
                    kind="fake",
                )
            ],
            context={"fake_app_title": f"Carte app factice pour {page.programme.name}"},
        )


class FakeAppLanding:
    """A new app's landing rule, asked before the participant's."""

    key = "fake_app"
    order = 5

    def destination(self, request):
        return "privacy:policy" if request.user.email == "charte@example.org" else None


@pytest.fixture
def fake_app_home(settings, tmp_path):
    card = tmp_path / "fake_app" / "_home_card.html"
    card.parent.mkdir()
    card.write_text('<section class="card" id="fake-app">{{ fake_app_title }}</section>\n', encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    portal.home_parts.register(FakeAppHome)
    yield
    portal.home_parts.unregister(FakeAppHome.key)


@pytest.fixture
def participant(programme):
    return factories.ParticipantFactory(enrolment__programme=programme)


def test_the_apps_contribute_the_home_through_the_registry():
    assert {"programme", "networks", "sessions", "evaluation"} <= {part.key for part in portal.home_parts.all()}
    assert [rule.key for rule in portal.landings.all()] == ["participant", "staff", "committee"]


def test_a_new_apps_card_and_pending_item_are_on_the_home(client, participant, fake_app_home):
    today = timezone.localdate()
    roadmap = factories.RoadmapFactory(enrolment=participant.enrolment)
    factories.RoadmapActionFactory(roadmap=roadmap, title="Plus tard", due_on=today + dt.timedelta(days=5))
    client.force_login(participant.user)

    response = client.get(HOME)

    assert response.status_code == 200
    content = response.content.decode()
    assert f"Carte app factice pour {participant.enrolment.programme.name}" in content
    # In the main column, after « À faire » (order 20) and before « Annonces » (order 30).
    assert content.index('id="a-faire"') < content.index('id="fake-app"') < content.index('id="annonces"')
    # Its item is sorted with the others' by due date.
    labels = [item.label for item in response.context["pending_items"]]
    assert labels == ["Relire la charte du réseau", "Feuille de route : Plus tard"]
    assert 'href="/portail/charte/"' in content


def test_without_the_fake_app_its_card_is_gone(client, participant):
    client.force_login(participant.user)
    response = client.get(HOME)
    assert "fake_app/_home_card.html" not in [card.template for card in response.context["main_cards"]]


def test_a_new_apps_landing_rule_is_asked_in_its_order(client, participant):
    portal.landings.register(FakeAppLanding)
    try:
        client.force_login(factories.UserFactory(email="charte@example.org"))
        assert client.get("/").url == reverse("privacy:policy")
        client.force_login(participant.user)  # the fake rule says nothing: the participant's decides
        assert client.get("/").url == reverse("portal:home")
    finally:
        portal.landings.unregister(FakeAppLanding.key)


# --- Documents: a kind's readers -------------------------------------------------------------


@pytest.fixture
def fake_kind():
    asked = []

    def readers(user, report):
        asked.append((user.email, report.pk))
        return user.email == "lecteur@example.org"

    documents.register(
        documents.DocumentKind(
            code="fake_app_note",
            label="Note de l'app factice",
            template_name="documents/dashboard.html",
            build_context=lambda programme, parameters, report=None: {},
            committee_visible=False,
            readers=readers,
        )
    )
    yield asked
    documents._kinds.pop("fake_app_note", None)


def _ready(programme, kind):
    report = factories.ReportFactory(programme=programme, kind=kind, parameters={"title": "Note"})
    report.file.save("note.pdf", ContentFile(PDF), save=False)
    report.status = Report.Status.READY
    report.save()
    return report


def test_a_new_kinds_reader_rule_is_asked(client, programme, coordinator, fake_kind):
    report = _ready(programme, "fake_app_note")
    url = reverse("documents:download", args=[report.pk])

    client.force_login(factories.UserFactory(email="lecteur@example.org"))
    assert client.get(url).status_code == 200
    client.force_login(factories.UserFactory(email="autre@example.org"))
    assert client.get(url).status_code == 404
    assert fake_kind == [("lecteur@example.org", report.pk), ("autre@example.org", report.pk)]

    # Its edition's coordinators read it without the rule being asked.
    client.force_login(coordinator)
    assert client.get(url).status_code == 200
    assert len(fake_kind) == 2


def test_a_committee_visible_kind_must_declare_its_readers():
    with pytest.raises(ValueError, match="readers"):
        documents.register(
            documents.DocumentKind(
                code="fake_app_unread",
                label="Sans lecteurs",
                template_name="documents/dashboard.html",
                build_context=lambda programme, parameters, report=None: {},
                committee_visible=True,
            )
        )
    assert "fake_app_unread" not in documents._kinds


def test_the_committee_kinds_ask_governance():
    from governance.documents import committee_readers

    committee_kinds = [kind for kind in documents.kinds() if kind.committee_visible]
    assert committee_kinds and all(kind.readers is committee_readers for kind in committee_kinds)
    # evaluation's dashboard page, included by alliances/urls.py in the core's documents namespace.
    assert reverse("documents:dashboard", args=["x"]) == "/documents/tableau-de-bord/x/"
