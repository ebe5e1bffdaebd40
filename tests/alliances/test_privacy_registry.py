"""Privacy as an extension point (issue 15): a new app's contributor is used by the export and the
anonymisation, and the system check refuses a model with personal data that nobody covers."""

# ruff: noqa: DJ008  (the fake models of the check's tests are never shown)

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import models
from django.db.models import Q
from django.test.utils import isolate_apps

from alliances.models import Programme
from alliances.privacy import (
    PrivacyContributor,
    editions_of,
    privacy_registry,
    user_anonymise,
    user_data_export,
)
from alliances.privacy_checks import check_privacy_coverage, check_privacy_declarations
from tests import factories

FULL_NAME = "Camille Zébulonne"


class FakeAppPrivacy(PrivacyContributor):
    """A new app's part: one export section, its rows anonymised, the editions it knows the person in."""

    key = "fake_app"
    order = 50
    models = ("tests.Diary",)
    positions = {"diary": 125}  # between the roadmap actions (120) and the login records (130)

    def __init__(self, programme):
        self.programme = programme
        self.seen = []

    def export(self, user):
        return {"diary": [f"carnet de {user.email}"]}

    def anonymise(self, anonymisation):
        user = anonymisation.user
        self.seen.append((user.is_active, anonymisation.full_name, anonymisation.identity.scrub(f"Vu {FULL_NAME}")))
        # A queryset is read once every text is scrubbed: the admin log gets the edition's new label.
        return [Programme.objects.filter(pk=self.programme.pk)]

    def editions(self, user):
        return Q(pk=self.programme.pk)


@pytest.fixture
def fake_app(db):
    programme = factories.ProgrammeFactory(name=f"Édition de {FULL_NAME}")
    contributor = FakeAppPrivacy(programme)
    privacy_registry.register(contributor)
    yield contributor
    privacy_registry.unregister(contributor.key)


@pytest.fixture
def person(db):
    return factories.UserFactory(email="camille@example.org", first_name="Camille", last_name="Zébulonne")


def test_the_export_takes_a_new_apps_section_at_its_place(fake_app, person):
    export = user_data_export(person)

    assert export["diary"] == ["carnet de camille@example.org"]
    keys = list(export)
    assert keys.index("roadmap_actions") < keys.index("diary") < keys.index("login_records")
    # The first version's sections are all there, in their order.
    assert keys[:3] == ["exported_at", "account", "participations"] and keys[-1] == "authored"


def test_the_export_refuses_two_sections_of_one_name(fake_app, person):
    fake_app.export = lambda user: {"account": {}}
    with pytest.raises(Exception, match="account"):
        user_data_export(person)


def test_the_anonymisation_runs_a_new_apps_contributor_after_the_account_is_closed(fake_app, person, superuser):
    LogEntry.objects.log_actions(
        user_id=superuser.pk, queryset=[fake_app.programme], action_flag=2, change_message="", single_object=True
    )

    user_anonymise(user=person, by=superuser)

    assert fake_app.seen == [(False, FULL_NAME, "Vu Personne anonymisée")]
    entry = LogEntry.objects.get(object_id=str(fake_app.programme.pk), content_type__model="programme")
    assert entry.object_repr == "Édition de Personne anonymisée"


def test_the_editions_of_a_person_include_a_new_apps(fake_app, person):
    assert list(editions_of(person)) == [fake_app.programme]
    privacy_registry.unregister(fake_app.key)
    assert not editions_of(person).exists()


# --- The system check ------------------------------------------------------------------------


class FakeModel(models.Model):
    """A model of a fake project app (``tests``, under the project root), defined in isolate_apps."""

    class Meta:
        abstract = True
        app_label = "tests"


def _errors(apps):
    return [(error.id, error.obj.__name__) for error in check_privacy_coverage(apps=apps)]


def test_the_check_refuses_a_model_linked_to_the_user_that_nobody_covers():
    with isolate_apps("tests") as apps:

        class Diary(FakeModel):
            author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

        class Shelf(FakeModel):  # no personal data: no error
            name = models.CharField(max_length=20)
            owner_count = models.PositiveIntegerField()

        assert _errors(apps) == [("alliances.E040", "Diary")]
        (error,) = check_privacy_coverage(apps=apps)
        assert "author → alliances.user" in error.msg and "tests/privacy.py" in error.hint


def test_the_check_knows_personal_fields_and_the_apps_person_models():
    with isolate_apps("tests") as apps:

        class Contact(FakeModel):
            contact_phone = models.CharField(max_length=30)

        class Newsletter(FakeModel):
            to = models.EmailField()

        class Badge(FakeModel):  # the person model networks' contributor declares, not the core
            holder = models.ForeignKey("networks.Participant", on_delete=models.CASCADE)

        assert sorted(_errors(apps)) == [
            ("alliances.E040", "Badge"),
            ("alliances.E040", "Contact"),
            ("alliances.E040", "Newsletter"),
        ]


def test_a_covered_or_exempt_model_passes_the_check(fake_app):
    with isolate_apps("tests") as apps:

        class Diary(FakeModel):
            author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

        class Mailbox(FakeModel):
            email = models.EmailField()

        assert _errors(apps) == [("alliances.E040", "Mailbox")]
        fake_app.exempt = {"tests.Mailbox": "a shared address of the team, no one's own"}
        assert _errors(apps) == []


def test_the_check_refuses_an_unknown_label_and_an_exemption_without_reason(fake_app):
    fake_app.models = ("tests.Nowhere",)
    fake_app.exempt = {"alliances.Theme": " "}
    assert sorted(error.id for error in check_privacy_declarations()) == ["alliances.E041", "alliances.E042"]


def test_the_real_project_passes_the_checks():
    assert check_privacy_coverage() == [] and check_privacy_declarations() == []
    call_command("check")  # raises SystemCheckError on any error
