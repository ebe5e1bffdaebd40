"""The sessions app's cockpit panels, the « à suivre » rules, the « sans réponse » filter and export."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from networks.models import RoadmapAction
from sessions import engagement
from sessions.cockpit import EngagementPanel, UpcomingSessionsPanel
from sessions.models import FollowUp, Registration
from tests import factories

pytestmark = pytest.mark.django_db


def make_edition(*, networks=1, people=1, sessions=1):
    now = timezone.now()
    edition = factories.ProgrammeFactory(
        starts_on=timezone.localdate() - dt.timedelta(days=90), ends_on=timezone.localdate() + dt.timedelta(days=200)
    )
    coordinator = factories.UserFactory(is_staff=True)
    edition.coordinators.add(coordinator)
    enrolments = [factories.EnrolmentFactory(programme=edition) for _ in range(networks)]
    participants = [factories.ParticipantFactory(enrolment=e) for e in enrolments for _ in range(people)]
    upcoming = [
        factories.SessionFactory(programme=edition, starts_at=now + dt.timedelta(days=5 + i)) for i in range(sessions)
    ]
    past = [
        factories.SessionFactory(programme=edition, starts_at=now - dt.timedelta(days=30 + i)) for i in range(sessions)
    ]
    return edition, coordinator, enrolments, participants, upcoming, past


def request_for(rf, user):
    request = rf.get("/")
    request.user = user
    return request


def panel_data(panel, edition, rf, user):
    now = timezone.now()
    return panel.get_data(edition, request=request_for(rf, user), today=timezone.localdate(now), now=now)


# --- Rules, one by one, at their boundaries -----------------------------------------------------


def engagement_of(edition, **kwargs):
    now = kwargs.pop("now", timezone.now())
    today = kwargs.pop("today", timezone.localdate(now))
    return {item.enrolment.pk: item for item in engagement.network_engagement(edition, today=today, now=now)}


def rules_of(item):
    return {reason.rule for reason in item.reasons}


def test_absent_from_the_last_two_sessions(rf):
    edition, _c, (enrolment,), (person,), _up, (s1,) = make_edition()
    s2 = factories.SessionFactory(programme=edition, starts_at=timezone.now() - dt.timedelta(days=10))
    factories.RegistrationFactory(session=s1, participant=person, attendance=Registration.Attendance.ABSENT)
    item = engagement_of(edition)[enrolment.pk]
    assert item.absences_in_a_row == 1 and "absent" not in rules_of(item)  # s2's attendance was not taken
    factories.RegistrationFactory(session=s2, participant=person, attendance=Registration.Attendance.ABSENT)
    item = engagement_of(edition)[enrolment.pk]
    assert item.absences_in_a_row == 2 and "absent" in rules_of(item)
    Registration.objects.filter(session=s1).update(attendance=Registration.Attendance.PRESENT)
    item = engagement_of(edition)[enrolment.pk]
    assert item.absences_in_a_row == 1 and "absent" not in rules_of(item)
    assert item.attendance_rate == 50


@pytest.mark.parametrize(("days", "flagged"), [(41, False), (42, True)])
def test_no_contact_for_six_weeks_in_the_realisation_phase(days, flagged):
    edition, _c, (enrolment,), _p, _up, _past = make_edition()
    today = timezone.localdate()
    factories.PhaseFactory(programme=edition, number=1, starts_on=edition.starts_on, ends_on=today - dt.timedelta(80))
    factories.PhaseFactory(
        programme=edition, number=2, starts_on=today - dt.timedelta(79), ends_on=today + dt.timedelta(9)
    )
    factories.FollowUpFactory(enrolment=enrolment, held_on=today - dt.timedelta(days=days))
    factories.FieldVisitFactory(enrolment=enrolment, visited_on=today - dt.timedelta(days=days + 5))
    assert ("no_contact" in rules_of(engagement_of(edition)[enrolment.pk])) is flagged


def test_no_contact_counts_from_the_phase_start_and_only_in_phase_2():
    edition, _c, (enrolment,), _p, _up, _past = make_edition()
    today = timezone.localdate()
    phase = factories.PhaseFactory(programme=edition, number=2, starts_on=today - dt.timedelta(41), ends_on=today)
    assert "no_contact" not in rules_of(engagement_of(edition)[enrolment.pk])
    phase.starts_on = today - dt.timedelta(42)
    phase.save()
    assert "no_contact" in rules_of(engagement_of(edition)[enrolment.pk])
    phase.number = 3
    phase.save()
    assert "no_contact" not in rules_of(engagement_of(edition)[enrolment.pk])


@pytest.mark.parametrize(("hours", "flagged"), [(7 * 24, True), (7 * 24 + 1, False)])
def test_nobody_answered_a_session_within_seven_days(hours, flagged):
    edition, _c, (enrolment,), (person,), _up, _past = make_edition(sessions=0)
    now = timezone.now()
    session = factories.SessionFactory(programme=edition, starts_at=now + dt.timedelta(hours=hours))
    assert ("silent" in rules_of(engagement_of(edition, now=now)[enrolment.pk])) is flagged
    factories.RegistrationFactory(session=session, participant=person, rsvp=Registration.Rsvp.DECLINED)
    item = engagement_of(edition, now=now)[enrolment.pk]
    assert "silent" not in rules_of(item) and item.answers_pending == 0


@pytest.mark.parametrize(("late", "flagged"), [(1, False), (2, True)])
def test_two_late_roadmap_actions(late, flagged):
    edition, _c, (enrolment,), _p, _up, _past = make_edition()
    today = timezone.localdate()
    roadmap = factories.RoadmapFactory(enrolment=enrolment)
    for _ in range(late):
        factories.RoadmapActionFactory(roadmap=roadmap, due_on=today - dt.timedelta(days=1))
    factories.RoadmapActionFactory(roadmap=roadmap, due_on=today)  # due today: not late
    factories.RoadmapActionFactory(
        roadmap=roadmap, due_on=today - dt.timedelta(days=3), status=RoadmapAction.Status.DONE, done_on=today
    )
    item = engagement_of(edition)[enrolment.pk]
    assert item.late_actions == late
    assert ("late_actions" in rules_of(item)) is flagged
    assert item.roadmap_updated_at is not None


def test_networks_to_follow_come_first_with_a_prefilled_follow_up(rf, admin_client):
    edition, coordinator, (quiet, busy), _p, _up, _past = make_edition(networks=2)
    Registration.objects.all().delete()
    for enrolment in (quiet, busy):
        enrolment.network.name = {quiet.pk: "A réseau", busy.pk: "B réseau"}[enrolment.pk]
        enrolment.network.save()
    session = _up[0]
    for person in busy.participants.all():
        factories.RegistrationFactory(session=session, participant=person, rsvp=Registration.Rsvp.CONFIRMED)
    data = panel_data(EngagementPanel(), edition, rf, coordinator)
    assert [item.enrolment for item in data["networks"]] == [quiet, busy]
    assert data["to_follow"] == 1
    url = data["networks"][0].follow_up_url
    response = admin_client.get(url)
    form = response.context["adminform"].form
    assert form.initial["enrolment"] == quiet.pk
    assert form.initial["held_on"] == timezone.localdate()
    assert "Personne n'a répondu" in form.initial["private_notes"]


def test_the_prefilled_follow_up_is_accepted_by_the_coordinators_scoped_form(client, rf):
    edition, coordinator, (enrolment,), _p, _up, _past = make_edition()
    item = engagement_of(edition)[enrolment.pk]
    assert item.to_follow
    client.force_login(coordinator)
    url = panel_data(EngagementPanel(), edition, rf, coordinator)["networks"][0].follow_up_url
    form = client.get(url).context["adminform"].form
    data = {
        name: form.initial.get(name, "") for name in ("enrolment", "held_on", "kind", "coordinator", "private_notes")
    }
    data["held_on"] = data["held_on"].isoformat()
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    follow_up = FollowUp.objects.get()
    assert (follow_up.enrolment, follow_up.coordinator, follow_up.held_on) == (
        enrolment,
        coordinator,
        timezone.localdate(),
    )
    assert follow_up.private_notes.startswith("À suivre")


# --- The sessions panel -------------------------------------------------------------------------


def test_sessions_panel_counts_and_names(rf):
    edition, coordinator, (a, b), (pa, pb), (session,), (past,) = make_edition(networks=2)
    factories.RegistrationFactory(session=session, participant=pa, rsvp=Registration.Rsvp.CONFIRMED)
    factories.RegistrationFactory(session=past, participant=pa, attendance=Registration.Attendance.PRESENT)
    row = panel_data(UpcomingSessionsPanel(), edition, rf, coordinator)["rows"][0]
    assert row["counts"] == {"confirmed": 1, "declined": 0, "no_answer": 1, "expected": 2}
    assert row["non_respondents"] == [(b.network, [pb])]
    data = panel_data(UpcomingSessionsPanel(), edition, rf, coordinator)
    assert data["last_past"]["session"] == past and data["last_past"]["totals"].present == 1


def test_the_cockpit_page_shows_the_panels(client):
    edition, coordinator, (enrolment,), (person,), _up, _past = make_edition()
    client.force_login(coordinator)
    response = client.get(reverse("cockpit:edition", args=[edition.slug]))
    content = response.content.decode()
    assert "Prochaines sessions" in content and "Engagement des réseaux" in content
    assert person.user.last_name in content
    assert "Planifier un suivi" in content


@pytest.mark.parametrize("panel", [UpcomingSessionsPanel(), EngagementPanel()], ids=lambda p: p.key)
def test_each_panel_costs_the_same_queries_at_1_and_10(panel, rf):
    counts = []
    for size in (1, 10):
        edition, coordinator, enrolments, participants, upcoming, past = make_edition(
            networks=size, people=size, sessions=size
        )
        Registration.objects.bulk_create(
            Registration(session=session, participant=person, rsvp=Registration.Rsvp.CONFIRMED, attendance="present")
            for session in (*upcoming, *past)
            for person in participants[::2]
        )
        roadmap = factories.RoadmapFactory(enrolment=enrolments[0])
        factories.RoadmapActionFactory.create_batch(size, roadmap=roadmap, due_on=timezone.localdate())
        factories.FollowUpFactory.create_batch(size, enrolment=enrolments[-1], held_on=timezone.localdate())
        request = request_for(rf, coordinator)
        now = timezone.now()
        with CaptureQueriesContext(connection) as queries:
            panel.get_data(edition, request=request, today=timezone.localdate(now), now=now)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- « Sans réponse » everywhere the same -------------------------------------------------------


def export_rows(client, session):
    response = client.get(reverse("admin:programme_sessions_session_answers_csv", args=[session.pk]))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_cockpit_admin_filter_and_export_agree(client, rf):
    edition, coordinator, enrolments, participants, (session,), _past = make_edition(networks=3, people=2)
    confirmed, declined, invited, inactive, *others = participants
    factories.RegistrationFactory(session=session, participant=confirmed, rsvp=Registration.Rsvp.CONFIRMED)
    factories.RegistrationFactory(session=session, participant=declined, rsvp=Registration.Rsvp.DECLINED)
    factories.RegistrationFactory(session=session, participant=invited, rsvp=Registration.Rsvp.INVITED)
    inactive.user.is_active = False
    inactive.user.save()
    refused = factories.EnrolmentFactory(programme=edition, status="refused", refusal_reason="Pas le temps.")
    factories.ParticipantFactory(enrolment=refused)
    expected = {invited.pk, *(p.pk for p in others)}

    row = panel_data(UpcomingSessionsPanel(), edition, rf, coordinator)["rows"][0]
    in_cockpit = {person.pk for _network, people in row["non_respondents"] for person in people}
    assert in_cockpit == expected and row["counts"]["no_answer"] == len(expected)

    client.force_login(coordinator)
    response = client.get(reverse("admin:networks_participant_changelist"), {"sans_reponse": session.pk})
    assert response.status_code == 200
    in_admin = {p.pk for p in response.context["cl"].result_list}
    assert in_admin == expected

    rows = export_rows(client, session)
    assert rows[0][4] == "Réponse"
    emails = {p.user.email: p.pk for p in participants}
    in_export = {emails[r[3]] for r in rows[1:] if r[4] == "sans réponse"}
    assert in_export == expected
    assert {r[4] for r in rows[1:] if r[3] == confirmed.user.email} == {"confirmé"}


def test_the_filter_refuses_another_editions_session_without_500(client):
    edition, coordinator, *_rest = make_edition()
    other_session = factories.SessionFactory()
    client.force_login(coordinator)
    url = reverse("admin:networks_participant_changelist")
    for value in (other_session.pk, "abc", "9" * 30):
        response = client.get(url, {"sans_reponse": value})
        assert response.status_code == 302 and "e=1" in response["Location"]


def test_the_filter_lists_only_upcoming_sessions_of_the_coordinators_editions(client):
    edition, coordinator, _e, _p, (upcoming,), (past,) = make_edition()
    factories.SessionFactory()
    client.force_login(coordinator)
    response = client.get(reverse("admin:networks_participant_changelist"))
    spec = next(s for s in response.context["cl"].filter_specs if getattr(s, "parameter_name", "") == "sans_reponse")
    assert [value for value, _label in spec.lookup_choices] == [str(upcoming.pk)]
    assert edition.name in spec.lookup_choices[0][1]


def test_export_access(client):
    edition, coordinator, _e, (person,), (session,), _past = make_edition()
    url = reverse("admin:programme_sessions_session_answers_csv", args=[session.pk])
    assert client.get(url).status_code == 302  # logged out: the admin's login
    client.force_login(person.user)
    assert client.get(url).status_code == 302  # not staff: the admin's login
    other = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(other)
    client.force_login(other)
    assert client.get(url).status_code == 404  # another edition's session
    client.force_login(coordinator)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_export_neutralises_formulas(client):
    edition, coordinator, _e, (person,), (session,), _past = make_edition()
    person.user.last_name = "=HYPERLINK(1)"
    person.user.save()
    client.force_login(coordinator)
    assert export_rows(client, session)[1][1] == "'=HYPERLINK(1)"


def test_the_registrations_list_links_to_the_non_respondents_of_its_session(client):
    edition, coordinator, _e, (person,), (upcoming,), (past,) = make_edition()
    client.force_login(coordinator)
    response = client.get(reverse("admin:programme_sessions_registration_changelist"), {"session__id__exact": past.pk})
    link = f"{reverse('admin:networks_participant_changelist')}?sans_reponse={past.pk}"
    assert link in response.content.decode()
    response = client.get(link)  # a past session, given in the URL: who never answered it
    assert response.status_code == 200
    assert [p.pk for p in response.context["cl"].result_list] == [person.pk]


def test_an_empty_edition_says_so(client):
    edition = factories.ProgrammeFactory()
    coordinator = factories.UserFactory(is_staff=True)
    edition.coordinators.add(coordinator)
    client.force_login(coordinator)
    content = client.get(reverse("cockpit:edition", args=[edition.slug])).content.decode()
    assert "Aucune session à venir." in content
    assert "Aucun réseau en accord dans cette édition." in content
