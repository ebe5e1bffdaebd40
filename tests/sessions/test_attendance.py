"""The coordinators' attendance page for a session, and the attendance services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from networks.models import Enrolment
from sessions import attendance
from sessions.models import Registration
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user, count_queries, participant_in

PRESENT = Registration.Attendance.PRESENT
ABSENT = Registration.Attendance.ABSENT
EXCUSED = Registration.Attendance.EXCUSED


@pytest.fixture
def session(programme):
    return factories.SessionFactory(programme=programme, number=1, code="S1", title="Comprendre")


@pytest.fixture
def network_a(programme):
    """Two participants of one agreed network."""
    first = participant_in(programme, enrolment__network__name="Réseau A")
    second = factories.ParticipantFactory(enrolment=first.enrolment)
    return first, second


@pytest.fixture
def network_b(programme):
    first = participant_in(programme, enrolment__network__name="Réseau B")
    second = factories.ParticipantFactory(enrolment=first.enrolment)
    return first, second


def url(session):
    return reverse("community:attendance", kwargs={"session_pk": session.pk})


def field(participant):
    return f"p{participant.pk}"


# --- Access ------------------------------------------------------------------------------


def test_coordinator_of_the_programme_sees_the_page(client, coordinator, session, network_a, network_b):
    client.force_login(coordinator)
    response = client.get(url(session))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Réseau A" in content and "Réseau B" in content
    assert str(network_a[0]) in content
    assert [network.name for network, _rows in response.context["form"].groups()] == ["Réseau A", "Réseau B"]


def test_superuser_sees_the_page(client, superuser, session):
    client.force_login(superuser)
    assert client.get(url(session)).status_code == 200


def test_coordinator_of_another_programme_gets_404(client, session):
    outsider = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(outsider)
    client.force_login(outsider)
    assert client.get(url(session)).status_code == 404
    assert client.post(url(session), {}).status_code == 404


def test_participant_gets_403(client, session, network_a):
    client.force_login(network_a[0].user)
    assert client.get(url(session)).status_code == 403
    assert client.post(url(session), {field(network_a[0]): PRESENT}).status_code == 403
    assert not Registration.objects.exists()


def test_committee_member_gets_403(client, programme, session):
    client.force_login(committee_user(programme))
    assert client.get(url(session)).status_code == 403


def test_logged_out_goes_to_login(client, session):
    assert_login_redirect(client.get(url(session)))
    assert_login_redirect(client.post(url(session), {}))


def test_unknown_session_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("community:attendance", kwargs={"session_pk": 999999})).status_code == 404


# --- Recording ---------------------------------------------------------------------------


def test_save_the_whole_session_in_one_post(client, coordinator, session, network_a, network_b):
    a1, a2 = network_a
    b1, b2 = network_b
    confirmed = factories.RegistrationFactory(session=session, participant=a1, rsvp=Registration.Rsvp.CONFIRMED)
    client.force_login(coordinator)

    response = client.post(
        url(session), {field(a1): PRESENT, field(a2): ABSENT, field(b1): EXCUSED, field(b2): ABSENT}, follow=True
    )

    assert response.status_code == 200
    assert "Présences enregistrées." in response.content.decode()
    marks = dict(Registration.objects.filter(session=session).values_list("participant_id", "attendance"))
    assert marks == {a1.pk: PRESENT, a2.pk: ABSENT, b1.pk: EXCUSED, b2.pk: ABSENT}
    confirmed.refresh_from_db()
    assert confirmed.rsvp == Registration.Rsvp.CONFIRMED  # the RSVP is kept
    # The page shows the recorded marks back.
    assert response.context["form"][field(b1)].value() == EXCUSED


def test_an_invalid_mark_saves_nothing(client, coordinator, session, network_a):
    client.force_login(coordinator)
    response = client.post(url(session), {field(network_a[0]): "somnolent", field(network_a[1]): PRESENT})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Registration.objects.exists()


def test_per_network_attendance_and_totals(client, coordinator, session, network_a, network_b):
    a1, a2 = network_a
    b1, b2 = network_b
    attendance.attendance_record(
        session=session, marks={a1.pk: PRESENT, a2.pk: ABSENT, b1.pk: EXCUSED, b2.pk: ABSENT}, recorded_by=coordinator
    )

    per_network = {row.network.name: row for row in attendance.network_attendance(session)}
    assert per_network["Réseau A"].is_present and per_network["Réseau A"].present == 1
    assert not per_network["Réseau B"].is_present

    totals = attendance.attendance_totals(session)
    assert (totals.networks, totals.networks_present) == (2, 1)
    assert (totals.participants, totals.present, totals.absent, totals.excused, totals.not_recorded) == (4, 1, 2, 1, 0)

    client.force_login(coordinator)
    response = client.get(url(session))
    assert response.context["totals"] == totals


def test_a_network_without_any_mark_is_not_present(session, network_a):
    rows = attendance.network_attendance(session)
    assert len(rows) == 1 and rows[0].participants == 2 and not rows[0].is_present


def test_presence_at_another_session_does_not_count(programme, coordinator, session, network_a):
    other = factories.SessionFactory(programme=programme)
    attendance.attendance_record(session=other, marks={network_a[0].pk: PRESENT}, recorded_by=coordinator)
    assert not attendance.network_attendance(session)[0].is_present


def test_only_agreed_enrolments_are_expected(programme, session, network_a):
    participant_in(programme, enrolment__status=Enrolment.Status.PENDING)
    participant_in(factories.ProgrammeFactory())
    expected = set(attendance.session_participants(session))
    assert expected == set(network_a)


def test_blank_mark_without_registration_creates_nothing(coordinator, session, network_a):
    result = attendance.attendance_record(
        session=session, marks={network_a[0].pk: "", network_a[1].pk: PRESENT}, recorded_by=coordinator
    )
    assert result == {"updated": 0, "created": 1}
    assert list(Registration.objects.values_list("participant_id", flat=True)) == [network_a[1].pk]


def test_a_mark_can_be_cleared(coordinator, session, network_a):
    factories.RegistrationFactory(session=session, participant=network_a[0], attendance=PRESENT)
    attendance.attendance_record(session=session, marks={network_a[0].pk: ""}, recorded_by=coordinator)
    assert Registration.objects.get().attendance == ""


def test_a_participant_of_another_edition_is_refused(coordinator, session, network_a):
    stranger = participant_in(factories.ProgrammeFactory())
    with pytest.raises(ValidationError):
        attendance.attendance_record(
            session=session, marks={network_a[0].pk: PRESENT, stranger.pk: PRESENT}, recorded_by=coordinator
        )
    assert not Registration.objects.exists()


def test_an_unknown_mark_is_refused(coordinator, session, network_a):
    with pytest.raises(ValidationError):
        attendance.attendance_record(session=session, marks={network_a[0].pk: "late"}, recorded_by=coordinator)


def test_only_a_coordinator_of_the_edition_records(session, network_a):
    outsider = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(outsider)
    with pytest.raises(PermissionDenied):
        attendance.attendance_record(session=session, marks={network_a[0].pk: PRESENT}, recorded_by=outsider)


# --- Query counts ------------------------------------------------------------------------


def _add_networks(programme, session, count):
    participants = []
    for index in range(count):
        first = participant_in(programme)
        second = factories.ParticipantFactory(enrolment=first.enrolment)
        mark = PRESENT if index % 2 else ABSENT
        factories.RegistrationFactory(session=session, participant=first, attendance=mark)
        participants += [first, second]
    return participants


def test_page_query_count_does_not_grow_with_networks(client, coordinator, programme, session):
    client.force_login(coordinator)
    _add_networks(programme, session, 1)
    one_network = count_queries(client, url(session))
    _add_networks(programme, session, 19)
    twenty_networks = count_queries(client, url(session))
    assert one_network == twenty_networks


def _post_all(client, session, mark):
    data = {field(p): mark for p in attendance.session_participants(session)}
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url(session), data)
    assert response.status_code == 302
    return len(ctx)


def test_saving_query_count_does_not_grow_with_networks(client, coordinator, programme, session):
    client.force_login(coordinator)
    _add_networks(programme, session, 1)
    one_network = _post_all(client, session, EXCUSED)
    _add_networks(programme, session, 19)
    twenty_networks = _post_all(client, session, EXCUSED)
    assert one_network == twenty_networks
    assert set(Registration.objects.values_list("attendance", flat=True)) == {EXCUSED}
