"""Objects that read alike in every edition (« S2 — Mettre en œuvre ») are labelled with their edition
in the admin's filters, selects and autocomplete results (issue 14, item 5; alliances/admin_scoping.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_editions(coordinator, programme):
    """The same S2 in two editions the coordinator coordinates, each with a registration."""
    other = factories.ProgrammeFactory(name="Parcours 2026")
    other.coordinators.add(coordinator)
    sessions = []
    for edition in (programme, other):
        session = factories.SessionFactory(programme=edition, number=2, code="S2", title="Mettre en œuvre")
        participant = factories.ParticipantFactory(enrolment=factories.EnrolmentFactory(programme=edition))
        factories.RegistrationFactory(session=session, participant=participant)
        sessions.append(session)
    return sessions


def _filter_choices(response, title):
    spec = next(spec for spec in response.context["cl"].filter_specs if str(spec.title) == title)
    return [choice["display"] for choice in spec.choices(response.context["cl"])]


def test_the_registrations_session_filter_names_the_edition(client, coordinator, programme, two_editions):
    client.force_login(coordinator)
    response = client.get(reverse("admin:programme_sessions_registration_changelist"))
    choices = _filter_choices(response, "session")
    assert f"S2 — Mettre en œuvre ({programme.name})" in choices
    assert "S2 — Mettre en œuvre (Parcours 2026)" in choices


def test_the_filter_offers_only_the_coordinators_editions(client, programme, two_editions):
    only_first = factories.UserFactory(is_staff=True)
    programme.coordinators.add(only_first)
    s1 = factories.SessionFactory(programme=programme, number=1, code="S1", title="Comprendre")
    factories.RegistrationFactory(session=s1, participant=two_editions[0].registrations.get().participant)
    client.force_login(only_first)
    response = client.get(reverse("admin:programme_sessions_registration_changelist"))
    assert [c for c in _filter_choices(response, "session") if c.startswith("S2")] == [
        f"S2 — Mettre en œuvre ({programme.name})"
    ]


def test_the_filter_costs_the_same_with_more_sessions(client, coordinator, programme, two_editions):
    client.force_login(coordinator)
    url = reverse("admin:programme_sessions_registration_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for number in range(3, 9):
        session = factories.SessionFactory(programme=programme, number=number)
        participant = factories.ParticipantFactory(enrolment=factories.EnrolmentFactory(programme=programme))
        factories.RegistrationFactory(session=session, participant=participant)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


def test_autocomplete_results_name_the_edition(client, coordinator, programme, two_editions):
    client.force_login(coordinator)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "programme_sessions", "model_name": "registration", "field_name": "session", "term": "S2"},
    )
    assert response.status_code == 200
    texts = sorted(result["text"] for result in response.json()["results"])
    assert texts == sorted([f"S2 — Mettre en œuvre ({programme.name})", "S2 — Mettre en œuvre (Parcours 2026)"])


def test_autocomplete_of_other_models_is_unchanged(client, coordinator, programme, two_editions):
    client.force_login(coordinator)
    participant = two_editions[0].registrations.get().participant
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "programme_sessions", "model_name": "registration", "field_name": "participant", "term": ""},
    )
    assert str(participant) in [result["text"] for result in response.json()["results"]]


def test_selects_and_the_selected_autocomplete_value_name_the_edition(client, coordinator, programme, two_editions):
    client.force_login(coordinator)
    registration = two_editions[1].registrations.get()
    page = client.get(reverse("admin:programme_sessions_registration_change", args=[registration.pk]))
    field = page.context["adminform"].form.fields["session"]
    assert field.label_from_instance(two_editions[0]) == f"S2 — Mettre en œuvre ({programme.name})"
    assert "S2 — Mettre en œuvre (Parcours 2026)" in page.content.decode()  # the autocomplete's selected option


def test_the_edition_column_is_left_out_for_a_coordinator_of_one_edition(client, coordinator, programme):
    factories.ParticipantFactory(enrolment=factories.EnrolmentFactory(programme=programme))
    client.force_login(coordinator)
    url = reverse("admin:networks_participant_changelist")
    assert "programme" not in client.get(url).context["cl"].list_display
    factories.ProgrammeFactory().coordinators.add(coordinator)
    assert "programme" in client.get(url).context["cl"].list_display


def test_lists_name_the_edition_for_a_coordinator_of_several(client, coordinator, programme, two_editions):
    client.force_login(coordinator)
    url = reverse("admin:programme_sessions_registration_changelist")
    page = client.get(url).content.decode()
    assert f"S2 — Mettre en œuvre ({programme.name})" in page and "S2 — Mettre en œuvre (Parcours 2026)" in page
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    session = two_editions[1]
    for _ in range(5):
        participant = factories.ParticipantFactory(enrolment=factories.EnrolmentFactory(programme=session.programme))
        factories.RegistrationFactory(session=session, participant=participant)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)  # the editions come with the rows


def test_lists_keep_the_plain_label_for_a_coordinator_of_one(client, programme):
    only_first = factories.UserFactory(is_staff=True)
    programme.coordinators.add(only_first)
    session = factories.SessionFactory(programme=programme, code="S2", title="Mettre en œuvre")
    factories.RegistrationFactory(
        session=session,
        participant=factories.ParticipantFactory(enrolment=factories.EnrolmentFactory(programme=programme)),
    )
    client.force_login(only_first)
    page = client.get(reverse("admin:programme_sessions_registration_changelist")).content.decode()
    assert "S2 — Mettre en œuvre" in page and f"S2 — Mettre en œuvre ({programme.name})" not in page
