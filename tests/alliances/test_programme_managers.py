"""Programme managers (issue 14, item 4): a permission, not superuser status, to create and
duplicate editions and see them all; the creator coordinates the new edition; deleting an edition
stays a superuser's. « Enregistrer et ajouter un nouveau » keeps the edition, and the cockpit's
« Préparer » links open the add forms with it preselected."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from alliances.duplication import programme_duplicate
from alliances.management.commands.load_demo import programme_managers_group
from alliances.models import MANAGE_PROGRAMMES, Programme
from governance.models import Committee
from networks.models import Enrolment, Participant
from tests import factories


@pytest.fixture
def manager(db):
    """Staff, not superuser, in the group that holds « manage_programmes »."""
    user = factories.UserFactory(is_staff=True, email="responsable@example.org")
    user.groups.add(programme_managers_group())
    return user


@pytest.fixture
def other_edition(db):
    return factories.ProgrammeFactory(name="Édition d'ailleurs", slug="ailleurs")


def _inline_management(response):
    """The management forms of the page's inlines, with no row."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def _post_add(client, url, fields):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, {**_inline_management(page), **fields})


# --- The permission --------------------------------------------------------------------------


def test_the_permission_and_the_group(manager):
    permission = Permission.objects.get(codename=MANAGE_PROGRAMMES)
    assert str(permission.name) == "Peut créer et dupliquer des éditions"
    assert Group.objects.get(name="Responsables de programme").permissions.filter(pk=permission.pk).exists()
    assert manager.is_programme_manager and not manager.is_superuser
    programme_managers_group()  # idempotent
    assert Group.objects.filter(name="Responsables de programme").count() == 1


def test_a_permission_given_directly_counts_but_not_without_staff_status(db):
    user = factories.UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=MANAGE_PROGRAMMES))
    assert user.is_programme_manager
    user.is_staff = False
    user.__dict__.pop("_is_programme_manager", None)
    assert not user.is_programme_manager and not user.coordinated_programmes().exists()


def test_a_manager_sees_every_edition(client, manager, programme, other_edition):
    assert set(manager.coordinated_programmes()) == {programme, other_edition}
    assert set(Programme.objects.coordinated_by(manager)) == {programme, other_edition}
    assert manager.is_coordinator
    client.force_login(manager)
    changelist = client.get(reverse("admin:alliances_programme_changelist"))
    assert changelist.status_code == 200 and changelist.context["cl"].result_count == 2
    assert client.get(reverse("cockpit:edition", args=[other_edition.slug])).status_code == 200
    enrolment = factories.EnrolmentFactory(programme=other_edition)
    response = client.get(reverse("admin:networks_enrolment_change", args=[enrolment.pk]))
    assert response.status_code == 200


def test_a_manager_creates_an_edition_and_coordinates_it(client, manager):
    client.force_login(manager)
    response = _post_add(
        client,
        reverse("admin:alliances_programme_add"),
        {
            "name": "Parcours 2027",
            "slug": "parcours-2027",
            "starts_on": "01/01/2027",
            "ends_on": "31/12/2027",
            "target_networks": "12",
            "session_reminder_days": "7,1",
            "meeting_reminder_days": "7",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Programme.objects.get(slug="parcours-2027")
    assert list(created.coordinators.all()) == [manager]


def test_a_superuser_who_names_coordinators_is_not_added(client, superuser, coordinator):
    client.force_login(superuser)
    response = _post_add(
        client,
        reverse("admin:alliances_programme_add"),
        {
            "name": "Parcours 2028",
            "slug": "parcours-2028",
            "starts_on": "01/01/2028",
            "ends_on": "31/12/2028",
            "target_networks": "12",
            "session_reminder_days": "7,1",
            "meeting_reminder_days": "7",
            "coordinators": [coordinator.pk],
        },
    )
    assert response.status_code == 302
    assert list(Programme.objects.get(slug="parcours-2028").coordinators.all()) == [coordinator]


def test_a_manager_duplicates_an_edition_and_coordinates_the_copy(client, manager, programme, coordinator):
    client.force_login(manager)
    url = reverse("admin:alliances_programme_changelist")
    response = client.post(
        url,
        {
            "action": "duplicate_programme",
            "_selected_action": [programme.pk],
            "apply": "1",
            "name": "Copie",
            "slug": "copie",
            "offset_days": "365",
        },
    )
    assert response.status_code == 302
    copy = Programme.objects.get(slug="copie")
    assert set(copy.coordinators.all()) == {coordinator, manager}
    assert copy.starts_on == programme.starts_on + dt.timedelta(days=365)


def test_the_service_refuses_a_plain_coordinator(programme, coordinator, manager):
    with pytest.raises(PermissionDenied):
        programme_duplicate(source=programme, name="X", slug="x", offset_days=1, duplicated_by=coordinator)
    copy = programme_duplicate(source=programme, name="Y", slug="y", offset_days=1, duplicated_by=manager)
    assert manager in copy.coordinators.all()


def test_a_manager_cannot_delete_an_edition(client, manager, programme):
    client.force_login(manager)
    assert client.get(reverse("admin:alliances_programme_delete", args=[programme.pk])).status_code == 403
    assert client.post(reverse("admin:alliances_programme_delete", args=[programme.pk]), {"post": "yes"}).status_code
    assert Programme.objects.filter(pk=programme.pk).exists()
    changelist = client.get(reverse("admin:alliances_programme_changelist"))
    actions = dict(changelist.context["action_form"].fields["action"].choices)
    assert "duplicate_programme" in actions and "delete_selected" not in actions


def test_a_coordinator_neither_creates_nor_duplicates(client, coordinator, programme):
    client.force_login(coordinator)
    assert client.get(reverse("admin:alliances_programme_add")).status_code == 403
    changelist = client.get(reverse("admin:alliances_programme_changelist"))
    assert changelist.context["action_form"] is None  # no action at all: neither duplicate nor delete


# --- « Enregistrer et ajouter un nouveau » keeps the edition -----------------------------------


def _next_add(response):
    assert response.status_code == 302, getattr(response, "context", None) and response.context["adminform"].form.errors
    location = urlsplit(response["Location"])
    return location.path, parse_qs(location.query)


def test_add_another_enrolment_keeps_the_edition(client, coordinator, programme):
    client.force_login(coordinator)
    url = reverse("admin:networks_enrolment_add")
    network = factories.NetworkFactory()
    response = _post_add(
        client,
        f"{url}?programme={programme.pk}",
        {"programme": programme.pk, "network": network.pk, "status": "agreed", "_addanother": "1"},
    )
    path, query = _next_add(response)
    assert path == url and query["programme"] == [str(programme.pk)]
    assert Enrolment.objects.filter(programme=programme, network=network).exists()
    next_form = client.get(response["Location"]).context["adminform"].form
    assert next_form.initial["programme"] == programme.pk


def test_add_another_committee_keeps_the_edition(client, coordinator, programme):
    client.force_login(coordinator)
    url = reverse("admin:governance_committee_add")
    response = _post_add(
        client, url, {"programme": programme.pk, "kind": "steering", "name": "Pilotage", "_addanother": "1"}
    )
    assert _next_add(response) == (url, {"programme": [str(programme.pk)]})
    assert Committee.objects.filter(programme=programme, name="Pilotage").exists()


def test_add_another_session_keeps_the_edition(client, coordinator, programme):
    client.force_login(coordinator)
    url = reverse("admin:programme_sessions_session_add")
    day = (programme.starts_on + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    response = _post_add(
        client,
        url,
        {
            "programme": programme.pk,
            "number": "1",
            "code": "S1",
            "title": "Comprendre",
            "starts_at_0": day,
            "starts_at_1": "09:00",
            "ends_at_0": day,
            "ends_at_1": "17:00",
            "_addanother": "1",
        },
    )
    assert _next_add(response) == (url, {"programme": [str(programme.pk)]})


def test_add_another_participant_keeps_the_edition_and_its_enrolments(client, coordinator, programme):
    client.force_login(coordinator)
    enrolment = factories.EnrolmentFactory(programme=programme)
    url = reverse("admin:networks_participant_add")
    person = factories.UserFactory()
    response = _post_add(
        client,
        f"{url}?enrolment__programme={programme.pk}",
        {"user": person.pk, "enrolment": enrolment.pk, "job_title": "Chargée", "_addanother": "1"},
    )
    assert _next_add(response) == (url, {"enrolment__programme": [str(programme.pk)]})
    assert Participant.objects.filter(user=person, enrolment=enrolment).exists()


def test_save_and_continue_is_unchanged(client, coordinator, programme):
    client.force_login(coordinator)
    response = _post_add(
        client, reverse("admin:governance_committee_add"), {"programme": programme.pk, "kind": "steering", "name": "C"}
    )
    assert response.status_code == 302 and "programme=" not in response["Location"]


# --- Preselected from the cockpit --------------------------------------------------------------


def test_the_cockpit_links_to_the_add_forms_with_the_edition(client, coordinator, programme):
    client.force_login(coordinator)
    page = client.get(reverse("cockpit:edition", args=[programme.slug])).content.decode()
    for name, param in (
        ("admin:networks_enrolment_add", "programme"),
        ("admin:networks_participant_add", "enrolment__programme"),
        ("admin:programme_sessions_session_add", "programme"),
        ("admin:governance_committee_add", "programme"),
    ):
        assert f'href="{reverse(name)}?{param}={programme.pk}"' in page, name
    assert "Préparer :" in page


def test_the_participant_form_offers_the_editions_enrolments_only(client, coordinator, programme):
    mine = factories.EnrolmentFactory(programme=programme)
    elsewhere = factories.EnrolmentFactory(programme=factories.ProgrammeFactory())
    coordinator.programmes_coordinated.add(elsewhere.programme)
    client.force_login(coordinator)
    url = reverse("admin:networks_participant_add")
    form = client.get(f"{url}?enrolment__programme={programme.pk}").context["adminform"].form
    assert list(form.fields["enrolment"].queryset) == [mine]
    # Without the parameter: an autocomplete over every coordinated edition.
    form = client.get(url).context["adminform"].form
    assert set(form.fields["enrolment"].queryset) == {mine, elsewhere}


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "-1", ""])
def test_a_bad_or_foreign_preselect_is_ignored(client, coordinator, programme, other_edition, value):
    mine = factories.EnrolmentFactory(programme=programme)
    factories.EnrolmentFactory(programme=other_edition)
    client.force_login(coordinator)
    url = reverse("admin:networks_participant_add")
    for query in (value, str(other_edition.pk)):
        response = client.get(f"{url}?enrolment__programme={query}")
        assert response.status_code == 200
        assert list(response.context["adminform"].form.fields["enrolment"].queryset) == [mine]
