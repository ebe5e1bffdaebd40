"""Who gets which reminder, when: sessions (RSVP state, preferences, offsets, .ics), announcements,
committee meetings and questionnaires."""

import datetime as dt
import zoneinfo
from html import unescape

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alliances import notifications
from alliances.models import Notification
from networks.models import Enrolment
from sessions.models import Registration
from sessions.reminders import announcement_queue
from tests import factories

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
STARTS = dt.datetime(2030, 3, 20, 14, 0, tzinfo=PARIS)
J8 = dt.datetime(2030, 3, 12, 12, 0, tzinfo=PARIS)
J7 = dt.datetime(2030, 3, 13, 8, 5, tzinfo=PARIS)
J7_EARLY = dt.datetime(2030, 3, 13, 7, 55, tzinfo=PARIS)
J3 = dt.datetime(2030, 3, 17, 10, 0, tzinfo=PARIS)
J1 = dt.datetime(2030, 3, 19, 8, 5, tzinfo=PARIS)
AFTER = dt.datetime(2030, 3, 20, 14, 1, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _only_these_sources(monkeypatch):
    """Targeting is tested source by source: other apps' sources (committee packs…) are left out."""
    notifications.sources()
    mine = {"session_reminder", "announcement", "meeting_reminder", "questionnaire_reminder"}
    monkeypatch.setattr(
        notifications.reminders, "_items", {k: v for k, v in notifications.reminders._items.items() if k in mine}
    )


def run_job(now):
    """The periodic job at ``now``, sending its batches in-process."""
    return notifications.run(dispatch=lambda ids: notifications.send_batch(ids, now=now), now=now)


def outbox_by_email():
    return {message.to[0]: message for message in mail.outbox}


def participant(programme, email, *, enrolment=None, **user_fields):
    enrolment = enrolment or factories.EnrolmentFactory(programme=programme)
    return factories.ParticipantFactory(
        enrolment=enrolment, user=factories.UserFactory(email=email, first_name="Camille", **user_fields)
    )


@pytest.fixture
def session(programme):
    programme.session_reminder_days = "7,1"
    programme.email_introduction = "Le mot de l'équipe : merci pour votre engagement."
    programme.save()
    return factories.SessionFactory(
        programme=programme, number=1, code="S1", title="Comprendre", starts_at=STARTS, venue="Paris, Maison des asso"
    )


@pytest.fixture
def people(programme, session):
    """One participant per case, all in the session's edition unless said otherwise."""
    enrolment = factories.EnrolmentFactory(programme=programme)
    p = {
        "invited": participant(programme, "invite@example.org", enrolment=enrolment),
        "no_row": participant(programme, "sans-reponse@example.org", enrolment=enrolment),
        "confirmed": participant(programme, "confirme@example.org"),
        "declined": participant(programme, "decline@example.org"),
        "opted_out": participant(programme, "sans-rappels@example.org", notify_session_reminders=False),
        "inactive": participant(programme, "inactif@example.org", is_active=False),
        "not_agreed": participant(
            programme,
            "en-attente@example.org",
            enrolment=factories.EnrolmentFactory(programme=programme, status=Enrolment.Status.PENDING),
        ),
        "other_edition": participant(factories.ProgrammeFactory(), "autre@example.org"),
    }
    rsvp = Registration.Rsvp
    factories.RegistrationFactory(session=session, participant=p["invited"], rsvp=rsvp.INVITED)
    factories.RegistrationFactory(session=session, participant=p["confirmed"], rsvp=rsvp.CONFIRMED)
    factories.RegistrationFactory(session=session, participant=p["declined"], rsvp=rsvp.DECLINED)
    factories.RegistrationFactory(session=session, participant=p["opted_out"], rsvp=rsvp.INVITED)
    return p


# --- Session reminders: targeting -------------------------------------------------------------


def test_j7_targets_by_rsvp_state_and_preferences(people, session):
    run_job(J7)

    sent = outbox_by_email()
    assert set(sent) == {"invite@example.org", "sans-reponse@example.org", "confirme@example.org"}
    for address in ("invite@example.org", "sans-reponse@example.org"):
        assert sent[address].subject.startswith("Votre réponse est attendue : S1 — Comprendre")
        assert "Je participe" in sent[address].body and "Je ne participe pas" in sent[address].body
    assert sent["confirme@example.org"].subject.startswith("Rappel : S1 — Comprendre")
    assert "informations pratiques" in sent["confirme@example.org"].body
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == {"session_reminder:7"}
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 3


def test_emails_are_french_with_the_editions_introduction_and_both_bodies(people, session):
    run_job(J7)
    message = outbox_by_email()["invite@example.org"]
    html = message.alternatives[0].content
    for body in (message.body, unescape(html)):
        assert "Bonjour Camille," in body
        assert "Le mot de l'équipe : merci pour votre engagement." in body
        assert "mercredi 20 mars 2030" in body and "14:00" in body
        assert "Paris, Maison des asso" in body
    assert message.alternatives[0].mimetype == "text/html"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    notification = Notification.objects.get(recipient__email="invite@example.org")
    assert message.extra_headers["Message-ID"] == f"<notification.{notification.pk}@alliances.localhost>"


def test_each_reminder_carries_the_sessions_ics_with_an_alarm(people, session):
    run_job(J7)
    for message in mail.outbox:
        (attachment,) = message.attachments
        filename, content, mimetype = attachment
        assert filename.endswith("-s1.ics")
        assert mimetype == "text/calendar"
        assert f"UID:session-{session.pk}@alliances" in content
        assert "BEGIN:VALARM" in content and "TRIGGER:-P1D" in content
        assert "DTSTART;TZID=Europe/Paris:20300320T140000" in content


def test_confirm_and_decline_links_lead_to_the_sessions_rsvp_form(client, people, session):
    run_job(J7)
    message = outbox_by_email()["invite@example.org"]
    detail_path = reverse("sessions:detail", args=[session.pk])
    confirm = f"http://127.0.0.1:8000{detail_path}?reponse=confirmed#ma-reponse"
    decline = f"http://127.0.0.1:8000{detail_path}?reponse=declined#ma-reponse"
    assert confirm in message.body and decline in message.body
    html = message.alternatives[0].content
    assert f'href="{confirm}"' in html and f'href="{decline}"' in html

    # Logged out: the login page, then back to the session; logged in: the RSVP form.
    response = client.get(f"{detail_path}?reponse=confirmed")
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    client.force_login(people["invited"].user)
    response = client.get(f"{detail_path}?reponse=confirmed")
    assert response.status_code == 200
    assert reverse("sessions:rsvp", args=[session.pk]).encode() in response.content


def test_links_use_the_sites_address(settings, people, session):
    settings.SITE_URL = "https://alliances.example.org/"
    run_job(J7)
    assert "https://alliances.example.org/portail/sessions/" in outbox_by_email()["invite@example.org"].body


# --- Offsets ------------------------------------------------------------------------------------


def test_nothing_before_the_first_offset_nor_after_the_start(people, session):
    run_job(J8)
    run_job(J7_EARLY)
    run_job(AFTER)
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_j7_then_j1_each_once(people, session):
    run_job(J7)
    run_job(J7 + dt.timedelta(hours=2))
    assert len(mail.outbox) == 3
    run_job(J1)
    run_job(J1 + dt.timedelta(minutes=15))
    assert len(mail.outbox) == 6
    assert sorted(Notification.objects.order_by().values_list("kind", flat=True).distinct()) == [
        "session_reminder:1",
        "session_reminder:7",
    ]


def test_offsets_are_per_edition(programme, people, session):
    programme.session_reminder_days = "3"
    programme.save()
    run_job(J7)
    assert mail.outbox == []
    run_job(J3)
    assert {m.to[0] for m in mail.outbox} == {"invite@example.org", "sans-reponse@example.org", "confirme@example.org"}
    assert set(Notification.objects.values_list("kind", flat=True)) == {"session_reminder:3"}


def test_a_session_planned_late_gets_one_message_at_once_not_two(people, session):
    run_job(J3)  # J-7 has passed, J-1 not yet: only the « J-7 » message, now
    assert len(mail.outbox) == 3
    assert set(Notification.objects.values_list("kind", flat=True)) == {"session_reminder:7"}


def test_a_pending_reminder_superseded_by_a_later_one_is_cancelled(people, session):
    notifications.create_due(now=J7)  # recorded at J-7, but never sent (SMTP down for days, say)
    run_job(J1)
    assert len(mail.outbox) == 3  # the J-1 messages only
    assert Notification.objects.filter(kind="session_reminder:7", status=Notification.Status.CANCELLED).count() == 3
    assert Notification.objects.filter(kind="session_reminder:1", status=Notification.Status.SENT).count() == 3


def test_rsvp_and_preferences_are_read_again_at_send_time(people, session):
    notifications.create_due(now=J7)
    Registration.objects.filter(participant=people["invited"]).update(rsvp=Registration.Rsvp.DECLINED)
    Registration.objects.create(session=session, participant=people["no_row"], rsvp=Registration.Rsvp.CONFIRMED)
    people["confirmed"].user.notify_session_reminders = False
    people["confirmed"].user.save()

    run_job(J7)

    sent = outbox_by_email()
    assert set(sent) == {"sans-reponse@example.org"}
    assert sent["sans-reponse@example.org"].subject.startswith("Rappel :")  # confirmed meanwhile: practical
    statuses = dict(Notification.objects.values_list("recipient__email", "status"))
    assert statuses["invite@example.org"] == Notification.Status.CANCELLED
    assert statuses["confirme@example.org"] == Notification.Status.CANCELLED


def test_a_session_moved_later_defers_its_reminder(people, session):
    notifications.create_due(now=J7)
    session.starts_at = STARTS + dt.timedelta(days=14)
    session.ends_at = session.starts_at + dt.timedelta(hours=7)
    session.save()

    run_job(J7)

    assert mail.outbox == []
    new_due = dt.datetime(2030, 3, 27, 8, 0, tzinfo=PARIS)
    assert set(Notification.objects.values_list("status", "due_at")) == {(Notification.Status.PENDING, new_due)}
    run_job(new_due + dt.timedelta(minutes=1))
    assert len(mail.outbox) == 3


# --- Announcements ----------------------------------------------------------------------------


@pytest.fixture
def announcement(programme):
    return factories.AnnouncementFactory(
        programme=programme,
        title="Visite terrain à Lyon",
        body="Retour en images sur la visite.\nMerci à tous.",
        published_at=J7 - dt.timedelta(hours=1),
    )


def test_announcements_are_emailed_once_to_participants_who_want_them(programme, announcement):
    enrolment = factories.EnrolmentFactory(programme=programme)
    participant(programme, "a@example.org", enrolment=enrolment)
    participant(programme, "b@example.org", enrolment=enrolment, notify_announcements=False)
    participant(factories.ProgrammeFactory(), "autre@example.org")

    run_job(J7)
    run_job(J7 + dt.timedelta(minutes=15))

    assert [m.to[0] for m in mail.outbox] == ["a@example.org"]
    message = mail.outbox[0]
    assert message.subject == "Actualité de la promotion : Visite terrain à Lyon"
    assert "Retour en images sur la visite." in message.body
    assert "/portail/communaute/annonces/" in message.body


def test_old_announcements_are_not_emailed_by_the_job_but_can_be_sent_on_demand(programme):
    old = factories.AnnouncementFactory(programme=programme, published_at=timezone.now() - dt.timedelta(days=10))
    participant(programme, "a@example.org")
    run_job(timezone.now())
    assert mail.outbox == []

    ids = announcement_queue(announcement=old)
    for chunk in notifications.chunked(ids, 200):
        notifications.send_batch(chunk)
    assert [m.to[0] for m in mail.outbox] == ["a@example.org"]
    assert announcement_queue(announcement=old) == []  # never twice


def test_an_announcement_not_published_yet_is_not_sent_on_demand(programme):
    future = factories.AnnouncementFactory(programme=programme, published_at=timezone.now() + dt.timedelta(days=1))
    participant(programme, "a@example.org")
    assert announcement_queue(announcement=future) == []
    assert not Notification.objects.exists()


def test_the_admin_action_sends_an_announcement_now(client, coordinator, programme, django_capture_on_commit_callbacks):
    old = factories.AnnouncementFactory(programme=programme, published_at=timezone.now() - dt.timedelta(days=10))
    participant(programme, "a@example.org")
    client.force_login(coordinator)
    url = reverse("admin:programme_sessions_announcement_changelist")
    for _ in range(2):  # clicked twice: one email
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"action": "send_by_email_now", "_selected_action": [old.pk]}, follow=True)
        assert response.status_code == 200
        assert "1 annonce part par e-mail" in response.content.decode()
    assert [m.to[0] for m in mail.outbox] == ["a@example.org"]


def test_the_admin_action_is_refused_for_another_editions_announcement(client, coordinator):
    other = factories.AnnouncementFactory(published_at=timezone.now() - dt.timedelta(days=10))
    participant(other.programme, "a@example.org")
    client.force_login(coordinator)
    url = reverse("admin:programme_sessions_announcement_changelist")
    client.post(url, {"action": "send_by_email_now", "_selected_action": [other.pk]})
    assert mail.outbox == []
    assert not Notification.objects.exists()


# --- Committee meetings -----------------------------------------------------------------------


def test_meeting_reminders_go_to_members_with_an_account_with_the_agenda(programme):
    programme.meeting_reminder_days = "7"
    programme.save()
    committee = factories.CommitteeFactory(programme=programme, name="Comité d'orientation")
    meeting = factories.MeetingFactory(
        committee=committee,
        title="Réunion de mi-parcours",
        held_on=dt.date(2030, 3, 20),
        starts_at=dt.time(10, 0),
        location="Ministère, Paris",
        agenda="1. Point d'étape\n2. Constats des sessions",
    )
    factories.CommitteeMemberFactory(committee=committee, user=factories.UserFactory(email="membre@example.org"))
    factories.CommitteeMemberFactory(
        committee=committee, user=factories.UserFactory(email="off@example.org", notify_meeting_reminders=False)
    )
    factories.CommitteeMemberFactory(committee=committee)  # an organisation without an account
    factories.CommitteeMemberFactory(
        committee=committee, pending_validation=True, user=factories.UserFactory(email="a-valider@example.org")
    )
    other = factories.CommitteeFactory(programme=programme, kind="technical")
    factories.CommitteeMemberFactory(committee=other, user=factories.UserFactory(email="autre@example.org"))

    run_job(J8)
    assert mail.outbox == []
    run_job(J7)
    run_job(J7 + dt.timedelta(minutes=15))

    assert [m.to[0] for m in mail.outbox] == ["membre@example.org"]
    message = mail.outbox[0]
    assert message.subject == "Rappel : Réunion de mi-parcours (Comité d'orientation), mercredi 20 mars"
    assert "1. Point d'étape\n2. Constats des sessions" in message.body
    assert "Ministère, Paris" in message.body and "10:00" in message.body
    assert f"http://127.0.0.1:8000{reverse('committee:meeting', args=[meeting.pk])}" in message.body
    notification = Notification.objects.get(kind__startswith="meeting_reminder")
    assert notification.kind == "meeting_reminder:7"
    assert notification.content_type == ContentType.objects.get_for_model(meeting)
    assert notification.programme == programme


# --- Questionnaires (evaluation/reminders.py) -------------------------------------------------


def test_questionnaire_reminders_only_to_those_who_have_not_answered(programme):
    closes = dt.datetime(2030, 3, 20, 18, 0, tzinfo=PARIS)
    questionnaire = factories.QuestionnaireFactory(
        programme=programme, title="Évaluation finale", opens_at=J8 - dt.timedelta(days=2), closes_at=closes
    )
    enrolment = factories.EnrolmentFactory(programme=programme)
    waiting = participant(programme, "attend@example.org", enrolment=enrolment)
    answered = participant(programme, "repondu@example.org", enrolment=enrolment)
    participant(programme, "off@example.org", enrolment=enrolment, notify_questionnaires=False)
    factories.ResponseFactory(questionnaire=questionnaire, participant=answered)

    run_job(J7)
    run_job(J7 + dt.timedelta(minutes=15))

    assert [m.to[0] for m in mail.outbox] == [waiting.user.email]
    assert mail.outbox[0].subject == "Questionnaire à remplir avant le 20 mars : Évaluation finale"
    assert reverse("questionnaires:answer", args=[questionnaire.pk]) in mail.outbox[0].body
    # Answered meanwhile: no J-1 reminder.
    factories.ResponseFactory(questionnaire=questionnaire, participant=waiting)
    run_job(J1)
    assert len(mail.outbox) == 1


def test_questionnaire_for_session_attendees(programme, session):
    closes = dt.datetime(2030, 3, 20, 18, 0, tzinfo=PARIS)
    questionnaire = factories.QuestionnaireFactory(
        programme=programme,
        kind="session_feedback",
        session=session,
        audience="session_attendees",
        title="Retour sur S1",
        opens_at=J8,
        closes_at=closes,
    )
    present = participant(programme, "present@example.org")
    absent = participant(programme, "absent@example.org")
    factories.RegistrationFactory(session=session, participant=present, attendance="present")
    factories.RegistrationFactory(session=session, participant=absent, attendance="absent")
    notifications.create_due(now=J7)
    assert list(
        Notification.objects.filter(kind__startswith="questionnaire").values_list("recipient__email", flat=True)
    ) == ["present@example.org"]
    assert questionnaire.pk == Notification.objects.filter(kind__startswith="questionnaire").get().object_id


def test_a_questionnaire_in_preparation_or_closed_is_not_reminded(programme):
    closes = dt.datetime(2030, 3, 20, 18, 0, tzinfo=PARIS)
    draft = factories.QuestionnaireFactory(programme=programme, title="En préparation", closes_at=closes)
    participant(programme, "attend@example.org")
    run_job(J7)
    assert mail.outbox == []
    draft.opens_at = J8
    draft.save()
    notifications.create_due(now=J7)
    draft.closes_at = J7 - dt.timedelta(minutes=1)  # closed early, before the job sends
    draft.opens_at = J8 - dt.timedelta(days=1)
    draft.save()
    run_job(J7)
    assert mail.outbox == []
    assert Notification.objects.get(kind__startswith="questionnaire").status == Notification.Status.CANCELLED
