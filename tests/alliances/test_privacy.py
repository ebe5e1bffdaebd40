"""RGPD (issue 7, item 5): privacy page, « télécharger mes données », deletion request, anonymisation."""

import datetime as dt
import importlib
import json
from html import unescape

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session as WebSession
from django.core import mail
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from alliances import tasks
from alliances.celery import app as celery_app
from alliances.models import Report, User
from evaluation.models import Answer, Question
from governance.models import CommitteeMember, MeetingAttendance
from networks.models import Binome, Participant, RoadmapAction
from sessions.models import CalendarFeed, FollowUp, Registration, TopicVote
from tests import factories
from tests.factories import PASSWORD
from tests.factories_community import assert_login_redirect

pytestmark = pytest.mark.django_db

EMAIL = "camille.zebulonne@example.org"
LAST_NAME = "Zébulonne"
FULL_NAME = f"Camille {LAST_NAME}"
PHONE = "06 11 22 33 44"
JOB = "Chargée de mission Zébulonne"
PERSONAL = (EMAIL, LAST_NAME, PHONE, "Zebulonne")


@pytest.fixture
def person(programme):
    """A participant with data in every app, and a committee seat in her own name."""
    user = factories.UserFactory(email=EMAIL, first_name="Camille", last_name=LAST_NAME, phone=PHONE)
    participant = factories.ParticipantFactory(
        user=user, enrolment__programme=programme, enrolment__network__name="Réseau des Zèbres", job_title=JOB
    )
    session = factories.SessionFactory(programme=programme, code="S1", title="Diagnostic")
    registration = factories.RegistrationFactory(session=session, participant=participant)
    registration.rsvp = Registration.Rsvp.CONFIRMED
    registration.rsvp_comment = f"{FULL_NAME} arrivera en retard, appeler le {PHONE}"
    registration.save()
    proposal = factories.TopicProposalFactory(session__programme=programme, title="Mécénat de compétences")
    factories.TopicVoteFactory(proposal=proposal, participant=participant)
    questionnaire = factories.QuestionnaireFactory(programme=programme, title="Bilan final")
    scale = factories.QuestionFactory(questionnaire=questionnaire, text="Satisfaction ?")
    text = factories.QuestionFactory(questionnaire=questionnaire, text="Remarques ?", kind=Question.Kind.TEXT)
    response = factories.ResponseFactory(questionnaire=questionnaire, participant=participant)
    factories.AnswerFactory(response=response, question=scale, value=4)
    answer = factories.AnswerFactory(response=response, question=text, value=None, text="Bravo")
    answer.text = f"Merci, {FULL_NAME} ({EMAIL})"
    answer.save()
    committee = factories.CommitteeFactory(programme=programme)
    factories.CommitteeMemberFactory(
        committee=committee, organisation=None, person_name=FULL_NAME, role="Experte", user=user
    )
    factories.DecisionFactory(meeting__committee=committee, title="Relancer", owner=FULL_NAME)
    factories.NotificationFactory(recipient=user, programme=programme, kind="session_reminder")
    CalendarFeed.objects.create(user=user)
    return participant


@pytest.fixture
def stranger(programme):
    """Another participant of the same edition, with data of her own."""
    participant = factories.ParticipantFactory(
        user__email="dominique.autre@example.org", user__last_name="Autrui", enrolment__programme=programme
    )
    factories.RegistrationFactory(
        session__programme=programme, participant=participant, rsvp_comment="Commentaire d'Autrui"
    )
    return participant


def export_of(client, user):
    client.force_login(user)
    response = client.get(reverse("privacy:my_data"))
    assert response.status_code == 200
    return response, json.loads(response.content)


# --- Pages -----------------------------------------------------------------------------------


def test_the_privacy_page_is_public_and_linked_from_every_page(client):
    response = client.get("/confidentialite/")
    assert response.status_code == 200
    assert "RGPD" in response.content.decode()
    assert 'href="/confidentialite/"' in client.get(reverse("accounts:login")).content.decode()


def test_the_privacy_page_says_who_sees_what(client):
    content = unescape(client.get("/confidentialite/").content.decode())
    assert "Qui voit quoi" in content
    # The directory: what peers see, and only of activated accounts that chose to appear.
    assert "votre adresse e-mail, seulement si vous avez activé votre compte et choisi d'y apparaître" in content
    assert "jamais qui a voté pour quoi" in content
    assert "moins de 5 répondants" in content
    assert "Le contact d'un réseau (nom, e-mail, téléphone)" in content


def test_the_profile_links_to_the_account_pages(client, person):
    client.force_login(person.user)
    content = client.get(reverse("accounts:profile")).content.decode()
    assert 'href="/compte/mes-donnees/"' in content
    assert 'href="/compte/suppression/"' in content


@pytest.mark.parametrize("url", ["/compte/mes-donnees/", "/compte/suppression/"])
def test_logged_out_visitors_are_sent_to_login(client, url):
    assert_login_redirect(client.get(url))
    assert_login_redirect(client.post(url))


# --- Export ----------------------------------------------------------------------------------


def test_the_export_holds_the_person_s_data(client, person, stranger, programme):
    response, data = export_of(client, person.user)

    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert data["account"]["email"] == EMAIL
    assert (data["account"]["first_name"], data["account"]["last_name"]) == ("Camille", LAST_NAME)
    assert data["account"]["phone"] == PHONE
    assert data["participations"] == [
        {
            "edition": programme.name,
            "network": "Réseau des Zèbres",
            "job_title": JOB,
            "binome": None,
            "listed_in_directory": True,
            "joined_at": data["participations"][0]["joined_at"],
        }
    ]
    [registration] = data["registrations"]
    assert (registration["session"], registration["rsvp"], registration["rsvp_code"]) == (
        "S1 — Diagnostic",
        "confirmé",
        "confirmed",
    )
    assert PHONE in registration["rsvp_comment"]
    assert [vote["proposal"] for vote in data["votes"]] == ["Mécénat de compétences"]
    [answers] = [r["answers"] for r in data["responses"] if r["questionnaire"] == "Bilan final"]
    assert {(a["question"], a["value"], a["text"]) for a in answers} == {
        ("Satisfaction ?", 4, ""),
        ("Remarques ?", None, f"Merci, {FULL_NAME} ({EMAIL})"),
    }
    [seat] = data["committee_seats"]
    assert (seat["person_name"], seat["role"], seat["organisation"]) == (FULL_NAME, "Experte", None)
    assert [(n["kind"], n["kind_code"]) for n in data["notifications"]] == [("rappel de session", "session_reminder")]
    assert data["calendar_feed"] is not None
    # Nothing of anybody else.
    raw = response.content.decode()
    assert "Autrui" not in raw and "dominique.autre@example.org" not in raw


def test_the_export_of_someone_else_holds_only_their_data(client, person, stranger):
    _, data = export_of(client, stranger.user)
    raw = json.dumps(data, ensure_ascii=False)
    assert data["account"]["email"] == "dominique.autre@example.org"
    assert [r["rsvp_comment"] for r in data["registrations"]] == ["Commentaire d'Autrui"]
    assert data["votes"] == [] and data["responses"] == [] and data["committee_seats"] == []
    assert all(value not in raw for value in PERSONAL)


# --- Export: what each role finds -----------------------------------------------------------

SPRING = dt.datetime(2018, 4, 5, 8, 30, tzinfo=dt.UTC)  # 10:30 in Paris (summer time)
SPRING_PARIS = "2018-04-05T10:30:00+02:00"


def test_a_participant_s_export_reads_as_they_see_it(client, person, stranger, programme):
    """Labels in French with the codes beside them, Paris times; roadmap actions, login records, changes."""
    user = person.user
    registration = Registration.objects.get(participant=person)
    registration.responded_at = SPRING
    registration.attendance = Registration.Attendance.EXCUSED
    registration._history_user = user  # as the history middleware records a change made in the portal
    registration.save()
    roadmap = factories.RoadmapFactory(enrolment=person.enrolment, title="Feuille des Zèbres")
    factories.RoadmapActionFactory(
        roadmap=roadmap,
        owner=person,
        title="Rencontrer la fondation",
        due_on=dt.date(2018, 6, 30),
        status="in_progress",
    )
    factories.RoadmapActionFactory(roadmap=roadmap, owner=stranger, title="Action d'Autrui")
    login_record(AccessLog, EMAIL.upper(), days_ago=0, ip_address="203.0.113.9", user_agent="Firefox/120")
    AccessLog.objects.update(attempt_time=SPRING)
    login_record(AccessLog, "dominique.autre@example.org", days_ago=0, user_agent="Autre")

    response, data = export_of(client, user)

    [exported] = data["registrations"]
    assert (exported["rsvp"], exported["rsvp_code"]) == ("confirmé", "confirmed")
    assert (exported["attendance"], exported["attendance_code"]) == ("excusé", "excused")
    assert exported["responded_at"] == SPRING_PARIS
    assert data["roadmap_actions"] == [
        {
            "edition": programme.name,
            "network": "Réseau des Zèbres",
            "roadmap": "Feuille des Zèbres",
            "title": "Rencontrer la fondation",
            "description": "",
            "due_on": "2018-06-30",
            "status": "en cours",
            "status_code": "in_progress",
            "done_on": None,
        }
    ]
    logins = [r for r in data["login_records"] if r["at"] == SPRING_PARIS]
    assert logins == [
        {
            "kind": "connexion",
            "kind_code": "login",
            "at": SPRING_PARIS,
            "ip_address": "203.0.113.9",
            "user_agent": "Firefox/120",
            "path": "/compte/",
            "logout_at": None,
        }
    ]
    [change] = [c for c in data["changes"] if c["object_type_code"] == "programme_sessions.registration"]
    assert (change["change"], change["change_code"], change["object_id"]) == ("Modifié", "~", registration.pk)
    assert change["fields"] == ["présence", "répondu le"]
    assert data["exported_at"].endswith(("+01:00", "+02:00"))
    assert data["authored"] == {"follow_ups": [], "field_visits": [], "announcements": []}
    raw = response.content.decode()
    assert "Autrui" not in raw and "dominique.autre@example.org" not in raw and "Autre" not in raw


def test_a_committee_member_s_export_holds_their_seats_and_attendance(client, programme):
    member = factories.UserFactory(email="membre@example.org", first_name="Alix", last_name="Comité")
    committee = factories.CommitteeFactory(programme=programme, kind="orientation", name="Comité d'orientation")
    seat = factories.CommitteeMemberFactory(
        committee=committee, organisation__name="Avise", person_name="Alix Comité", role="Représentante", user=member
    )
    meeting = factories.MeetingFactory(committee=committee, title="Mi-parcours", held_on=dt.date(2018, 9, 20))
    factories.MeetingAttendanceFactory(meeting=meeting, member=seat, status="excused")
    other_seat = factories.CommitteeMemberFactory(committee=committee, organisation__name="RTES", person_name="Autrui")
    factories.MeetingAttendanceFactory(meeting=meeting, member=other_seat, status="present")

    response, data = export_of(client, member)

    [exported_seat] = data["committee_seats"]
    assert (exported_seat["committee_kind"], exported_seat["committee_kind_code"]) == (
        "comité d'orientation",
        "orientation",
    )
    assert (exported_seat["organisation"], exported_seat["role"]) == ("Avise", "Représentante")
    assert data["meeting_attendance"] == [
        {
            "edition": programme.name,
            "committee": "Comité d'orientation",
            "meeting": "Mi-parcours",
            "held_on": "2018-09-20",
            "seat": "Avise (Alix Comité)",
            "status": "excusé",
            "status_code": "excused",
        }
    ]
    assert data["participations"] == [] and data["roadmap_actions"] == []
    assert "RTES" not in response.content.decode() and "Autrui" not in response.content.decode()


def test_a_coordinator_s_export_holds_what_they_authored_and_changed(client, programme, coordinator):
    enrolment = factories.EnrolmentFactory(programme=programme, network__name="Réseau Alpha")
    factories.FollowUpFactory(
        enrolment=enrolment,
        coordinator=coordinator,
        held_on=dt.date(2018, 5, 3),
        kind="visio",
        private_notes="Prévoir un appui",
        shared_summary="Point d'étape",
    )
    factories.FieldVisitFactory(enrolment=enrolment, coordinator=coordinator, place="Lille", shared_summary="Siège")
    factories.AnnouncementFactory(programme=programme, author=coordinator, title="Bienvenue", published_at=SPRING)
    colleague = factories.UserFactory(is_staff=True, email="collegue@example.org")
    factories.FollowUpFactory(enrolment=enrolment, coordinator=colleague, private_notes="Notes de la collègue")
    factories.AnnouncementFactory(programme=programme, author=colleague, title="Annonce de la collègue")
    decision = factories.DecisionFactory(meeting__committee__programme=programme, title="Lancer l'appel")
    decision.status = "done"
    decision._history_user = coordinator
    decision.save()
    login_record(AccessAttempt, " Coordination@Example.org", days_ago=0, failures_since_start=3)

    response, data = export_of(client, coordinator)

    authored = data["authored"]
    assert authored["follow_ups"] == [
        {
            "edition": programme.name,
            "network": "Réseau Alpha",
            "held_on": "2018-05-03",
            "kind": "visioconférence",
            "kind_code": "visio",
            "private_notes": "Prévoir un appui",
            "shared_summary": "Point d'étape",
        }
    ]
    assert [(v["place"], v["shared_summary"]) for v in authored["field_visits"]] == [("Lille", "Siège")]
    assert [(a["title"], a["published_at"]) for a in authored["announcements"]] == [("Bienvenue", SPRING_PARIS)]
    [change] = [c for c in data["changes"] if c["object_type_code"] == "governance.decision"]
    assert (change["object_type"], change["change_code"], change["fields"]) == ("décision", "~", ["statut"])
    [attempt] = [r for r in data["login_records"] if r["kind_code"] == "failed_attempt"]
    assert (attempt["kind"], attempt["failures"]) == ("tentatives échouées", 3)
    raw = response.content.decode()
    assert "collègue" not in raw and "Lancer l'appel" not in raw  # the decision itself is not theirs


# --- Deletion request -------------------------------------------------------------------------


def test_a_deletion_request_is_confirmed_recorded_and_sent_to_coordinators(client, person, coordinator):
    client.force_login(person.user)

    page = client.get("/compte/suppression/")
    assert page.status_code == 200
    person.user.refresh_from_db()
    assert person.user.deletion_requested_at is None and mail.outbox == []

    response = client.post("/compte/suppression/")

    assert response.status_code == 302
    person.user.refresh_from_db()
    assert person.user.deletion_requested_at is not None
    [message] = mail.outbox
    assert message.to == [coordinator.email]
    assert EMAIL in message.body
    assert "deletion_requested_at__isnull=False" in message.body


def test_the_admin_lists_the_people_who_asked_for_deletion(client, person, stranger, coordinator):
    User.objects.filter(pk=person.user_id).update(deletion_requested_at="2018-09-01T10:00:00Z")
    client.force_login(coordinator)

    response = client.get(reverse("admin:alliances_user_changelist") + "?deletion_requested_at__isnull=False")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [person.user]


# --- Anonymisation ----------------------------------------------------------------------------


def text_columns(model):
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.EmailField | models.JSONField)
    ]


def leftovers():
    """Every row of every table of the project (history and admin log included) still holding a personal value."""
    found = []
    labels = {"alliances", "networks", "programme_sessions", "governance", "evaluation"}
    for model in [*(m for m in apps.get_models() if m._meta.app_label in labels), LogEntry]:
        for column in text_columns(model):
            for value in PERSONAL:
                lookup = {f"{column}__icontains": value}
                if model._meta.get_field(column).get_internal_type() == "JSONField":
                    continue  # searched through the text columns around it (choices only here)
                if model._default_manager.filter(**lookup).exists():
                    found.append((model.__name__, column, value))
    return found


def anonymise(client, actor, *users):
    client.force_login(actor)
    url = reverse("admin:alliances_user_changelist")
    data = {"action": "anonymise_users", ACTION_CHECKBOX_NAME: [u.pk for u in users]}
    confirmation = client.post(url, data)
    assert confirmation.status_code == 200
    return confirmation, client.post(url, {**data, "confirm": "yes"})


def test_the_scan_finds_the_personal_data_before_anonymisation(person):
    found = leftovers()
    for where in [
        ("User", "email", EMAIL),
        ("Participant", "job_title", LAST_NAME),
        ("Registration", "rsvp_comment", PHONE),
        ("HistoricalRegistration", "rsvp_comment", PHONE),
        ("Answer", "text", EMAIL),
        ("HistoricalAnswer", "text", EMAIL),
        ("CommitteeMember", "person_name", LAST_NAME),
        ("HistoricalDecision", "owner", LAST_NAME),
    ]:
        assert where in found


def test_anonymisation_leaves_no_personal_field_and_keeps_the_aggregates(client, person, stranger, coordinator):
    user = person.user
    other_client = client.__class__()
    other_client.force_login(user)  # a session open elsewhere
    votes_before = TopicVote.objects.count()

    confirmation, done = anonymise(client, coordinator, user)

    assert EMAIL in confirmation.content.decode()  # the confirmation page names the person
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.email == f"anonyme-{user.pk}@anonymise.invalid"
    assert (user.first_name, user.last_name, user.phone) == ("", "", "")
    assert not user.is_active and not user.has_usable_password()
    assert user.invited_at is None and user.invitation_accepted_at is None
    assert leftovers() == []

    participant = Participant.objects.get(pk=person.pk)
    assert participant.job_title == "" and not participant.listed_in_directory
    seat = CommitteeMember.objects.get(role="Experte")
    assert seat.user_id is None and seat.person_name == "Membre anonymisé"
    assert not CalendarFeed.objects.filter(user=user).exists()
    # Aggregates kept: the participation, the RSVP, the vote and the answer values still count.
    assert Registration.objects.get(participant=person).rsvp == Registration.Rsvp.CONFIRMED
    assert TopicVote.objects.count() == votes_before
    assert list(Answer.objects.filter(question__text="Satisfaction ?").values_list("value", flat=True)) == [4]
    assert Answer.objects.filter(response__participant=person).count() == 2
    # The other person is untouched.
    stranger.refresh_from_db()
    assert stranger.user.email == "dominique.autre@example.org"
    assert Registration.objects.get(participant=stranger).rsvp_comment == "Commentaire d'Autrui"
    # Closed: no login with the old or new address, and the open session is over.
    for address in (EMAIL, user.email):
        attempt = client.__class__()
        response = attempt.post(reverse("accounts:login"), {"username": address, "password": PASSWORD})
        assert response.status_code == 200  # the form again, with its error
        assert "_auth_user_id" not in attempt.session
    assert_login_redirect(other_client.get(reverse("accounts:profile")))


def test_a_coordinator_of_another_edition_cannot_anonymise(client, person):
    outsider = factories.UserFactory(is_staff=True, email="ailleurs@example.org")
    factories.ProgrammeFactory().coordinators.add(outsider)
    client.force_login(outsider)
    url = reverse("admin:alliances_user_changelist")

    client.post(url, {"action": "anonymise_users", ACTION_CHECKBOX_NAME: [person.user_id], "confirm": "yes"})

    person.user.refresh_from_db()
    assert person.user.email == EMAIL and person.user.is_active


def test_a_person_shared_with_another_edition_is_anonymised_by_their_coordinator_only_on_their_request(
    client, programme, coordinator
):
    """Anonymising closes the account in every edition, as an address change would reach them all."""
    shared = factories.ParticipantFactory(enrolment__programme=programme, user__email="partagee@example.org").user
    factories.ParticipantFactory(user=shared)  # also in an edition this coordinator does not coordinate

    confirmation, _ = anonymise(client, coordinator, shared)
    assert "partagee@example.org" not in confirmation.content.decode()
    shared.refresh_from_db()
    assert shared.email == "partagee@example.org" and shared.is_active

    shared.deletion_requested_at = timezone.now()  # the person asked: any of their coordinators acts on it
    shared.save(update_fields=["deletion_requested_at"])
    anonymise(client, coordinator, shared)
    shared.refresh_from_db()
    assert shared.email.endswith("@anonymise.invalid") and not shared.is_active


def test_a_coordinator_cannot_anonymise_a_staff_account(client, programme, coordinator):
    colleague = factories.UserFactory(is_staff=True, email="collegue@example.org")
    factories.ParticipantFactory(user=colleague, enrolment__programme=programme)

    anonymise(client, coordinator, colleague)

    colleague.refresh_from_db()
    assert colleague.email == "collegue@example.org" and colleague.is_active


def test_a_superuser_may_anonymise_anyone(client, person, superuser):
    _, done = anonymise(client, superuser, person.user)
    assert done.status_code == 302
    person.user.refresh_from_db()
    assert person.user.email.endswith("@anonymise.invalid")
    assert leftovers() == []


# --- Login records: retention ----------------------------------------------------------------


def login_record(model, username, *, days_ago, **fields):
    """An axes row dated ``days_ago`` (``attempt_time`` is auto_now_add: dated by an update)."""
    defaults = {"user_agent": "Firefox", "ip_address": "203.0.113.7", "http_accept": "*/*", "path_info": "/compte/"}
    if model is AccessAttempt:
        defaults.update(get_data="", post_data=f"username={username}", failures_since_start=1)
    row = model.objects.create(username=username, **{**defaults, **fields})
    model.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - dt.timedelta(days=days_ago))
    return row


@pytest.mark.parametrize("model", [AccessLog, AccessAttempt, AccessFailureLog])
def test_the_nightly_purge_deletes_login_records_past_the_retention_period(db, settings, model):
    settings.LOGIN_RECORDS_RETENTION_DAYS = 30
    old = login_record(model, "ancien@example.org", days_ago=31)
    recent = login_record(model, "recent@example.org", days_ago=29, user_agent="Safari")

    result = tasks.purge_login_records.delay().get()

    assert list(model.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not model.objects.filter(pk=old.pk).exists()
    assert sum(result.values()) == 1


def test_the_retention_period_is_90_days_by_default(db):
    login_record(AccessLog, "ancien@example.org", days_ago=91)
    kept = login_record(AccessLog, "recent@example.org", days_ago=89)
    tasks.purge_login_records()
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_purge_is_scheduled_every_night_by_an_idempotent_migration(db):
    from django.apps import apps as global_apps

    migration = importlib.import_module("alliances.migrations.0007_login_records_purge_task")
    migration.create_purge_task(global_apps, None)  # already applied by migrate (unless a flush removed it)
    task = PeriodicTask.objects.get(task="alliances.purge_login_records")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("3", "45", "Europe/Paris")
    task.enabled = False  # a change made in the admin survives
    task.save()
    migration.create_purge_task(global_apps, None)
    assert PeriodicTask.objects.get(task="alliances.purge_login_records").enabled is False
    assert "alliances.purge_login_records" in celery_app.tasks


# --- Anonymisation: a full dump of every table ------------------------------------------------

RICH_EMAIL = "quirina.zebulonne@example.org"
RICH_FIRST, RICH_LAST = "Quirina", "Zébulonne"
RICH_NAME = f"{RICH_FIRST} {RICH_LAST}"
RICH_IP, RICH_AGENT = "198.51.100.77", "NavigateurDeQuirina/4.2"
RICH_TRACES = (RICH_EMAIL, RICH_FIRST, RICH_LAST, "Zebulonne", RICH_IP, RICH_AGENT)
OTHER_EMAIL, OTHER_NAME = "dominique.autrui@example.org", "Dominique Autrui"


def full_dump():
    """Every column of every row of every model of every installed app, as text; sessions decoded.

    Generic on purpose: a table added later (an app's, a library's) is in the dump
    without this test knowing it.
    """
    texts = []
    for model in apps.get_models():
        columns = [f.attname for f in model._meta.concrete_fields]
        for row in model._base_manager.values_list(*columns):
            texts.extend(f"{model._meta.label}.{column}={value}" for column, value in zip(columns, row, strict=True))
    for session in WebSession.objects.all():
        texts.append(f"session {session.session_key} decoded={session.get_decoded()}")
    return texts


def traces_in(texts, traces=RICH_TRACES):
    return sorted({(trace, text[:120]) for text in texts for trace in traces if trace.casefold() in text.casefold()})


def log_entry(actor, obj, message=""):
    """An admin log row, as the admin writes it (its label is the object's str(), its message JSON with ensure_ascii)."""
    return LogEntry.objects.log_actions(
        user_id=actor.pk, queryset=[obj], action_flag=2, change_message=message, single_object=True
    )


@pytest.fixture
def rich_person(programme, coordinator, client):
    """One person with data in every table that can name her: participant in a binôme, committee member
    with attendance, author of follow-ups, visits and an announcement, network contact, admin log entries
    on many object types, history rows, emails sent to her, login records, open and expired sessions."""
    user = factories.UserFactory(email=RICH_EMAIL, first_name=RICH_FIRST, last_name=RICH_LAST, phone="07 98 76 54 32")
    other = factories.UserFactory(email=OTHER_EMAIL, first_name="Dominique", last_name="Autrui")
    network = factories.NetworkFactory(name="Réseau Orée", contact_name=RICH_NAME, contact_email=RICH_EMAIL.upper())
    enrolment = factories.EnrolmentFactory(programme=programme, network=network)
    binome = factories.BinomeFactory(enrolment=enrolment, name=f"{RICH_FIRST} et Dominique")
    participant = factories.ParticipantFactory(user=user, enrolment=enrolment, binome=binome, job_title="Déléguée")
    partner = factories.ParticipantFactory(user=other, enrolment=enrolment, binome=binome)
    session = factories.SessionFactory(programme=programme, code="S2", title="Mettre en œuvre")
    registration = factories.RegistrationFactory(session=session, participant=participant)
    registration.rsvp_comment = f"Je viendrai — {RICH_FIRST}"
    registration.save()  # a history row holding the comment
    factories.RegistrationFactory(session=session, participant=partner, rsvp_comment=f"Avec {OTHER_NAME}")
    factories.TopicProposalFactory(session=session, proposed_by=participant, title="Essaimage")
    roadmap = factories.RoadmapFactory(enrolment=enrolment)
    action = factories.RoadmapActionFactory(roadmap=roadmap, owner=participant, title="Cartographier les mécènes")
    # A committee member in two committees, with attendance.
    steering = factories.CommitteeFactory(programme=programme, kind="steering")
    orientation = factories.CommitteeFactory(programme=programme, kind="orientation")
    seat = factories.CommitteeMemberFactory(committee=steering, organisation=None, person_name=RICH_NAME, user=user)
    org_seat = factories.CommitteeMemberFactory(
        committee=orientation, organisation__name="Fondation Orée", person_name=RICH_NAME, user=user
    )
    meeting = factories.MeetingFactory(committee=orientation, minutes=f"{RICH_LAST.upper()} {RICH_FIRST} a présenté.")
    attendance = factories.MeetingAttendanceFactory(meeting=meeting, member=org_seat)
    factories.MeetingAttendanceFactory(meeting=factories.MeetingFactory(committee=steering), member=seat)
    decision = factories.DecisionFactory(
        meeting=meeting, owner=RICH_NAME, description=f"Voir avec {RICH_EMAIL}, Quirina Zebulonne"
    )
    decision.status = "in_progress"
    decision.save()  # history rows of the decision
    # What she authored as a coordinator, and what others wrote about her.
    factories.FollowUpFactory(enrolment=enrolment, coordinator=user, private_notes=f"Signé {RICH_NAME}")
    factories.FieldVisitFactory(enrolment=enrolment, coordinator=user, shared_summary="Visite du siège")
    factories.AnnouncementFactory(programme=programme, author=user, body=f"Contact : {RICH_EMAIL}")
    factories.FollowUpFactory(
        enrolment=enrolment, coordinator=coordinator, private_notes=f"Appeler {RICH_LAST} {RICH_FIRST} et {OTHER_NAME}"
    )
    # Emails sent to her, one refused by the server (which quotes her address).
    factories.NotificationFactory(recipient=user, programme=programme, kind="session_reminder:7")
    factories.NotificationFactory(
        recipient=user, programme=programme, kind="announcement", status="failed", last_error=f"550 <{RICH_EMAIL}>"
    )
    factories.NotificationFactory(recipient=other, programme=programme, kind="announcement")
    factories.ReportFactory(
        programme=programme, kind="attendance_certificate", parameters={"participant": participant.pk}
    )
    factories.ReportFactory(programme=programme, parameters={"title": f"Dossier de {RICH_NAME}"})  # a JSON column
    # The admin log: labels of many object types hold her name; an inline's label sits in a JSON message.
    inline_message = json.dumps([{"added": {"name": "participant", "object": RICH_NAME}}])
    for obj in (user, participant, registration, seat, org_seat, attendance, binome, action, decision):
        log_entry(coordinator, obj)
    log_entry(coordinator, enrolment, inline_message)
    log_entry(coordinator, other)
    log_entry(coordinator, meeting, json.dumps([{"changed": {"fields": ["compte rendu"], "by": RICH_EMAIL}}]))
    # Sessions: one open, one expired (still in the table until clearsessions), and a stranger's.
    client.force_login(user)
    expired = client.__class__()
    expired.force_login(user)
    WebSession.objects.filter(session_key=expired.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(days=1)
    )
    client.__class__().force_login(other)
    # Login records, her address typed in several cases; a stranger's too. After the logins above:
    # axes deletes attempts older than its cool-off at each login.
    for model, typed in (
        (AccessLog, RICH_EMAIL),
        (AccessAttempt, f" {RICH_EMAIL.upper()} "),
        (AccessFailureLog, "Quirina.Zebulonne@Example.ORG"),
    ):
        login_record(model, typed, days_ago=0, ip_address=RICH_IP, user_agent=RICH_AGENT)
        login_record(model, OTHER_EMAIL, days_ago=0, ip_address="192.0.2.1", user_agent="Autre/1.0")
    return participant


def test_the_dump_finds_the_person_everywhere_before_anonymisation(rich_person):
    found = traces_in(full_dump())
    assert {trace for trace, _text in found} == set(RICH_TRACES)
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        assert (RICH_IP, f"{model._meta.label}.ip_address={RICH_IP}") in found
    assert (
        any(trace == RICH_LAST and text.startswith("admin.LogEntry.change_message=") for trace, text in found) is False
    )
    # The inline's label is written with ensure_ascii, as the admin does: « Z\u00e9bulonne ».
    assert any(t.startswith("admin.LogEntry.change_message=") and "Z\\u00e9bulonne" in t for t in full_dump())


def test_after_anonymisation_a_full_dump_holds_no_trace_of_the_person(client, rich_person, coordinator):
    user = rich_person.user
    other_sessions = [
        s.session_key for s in WebSession.objects.all() if s.get_decoded().get("_auth_user_id") != str(user.pk)
    ]
    other_texts_before = [t for t in full_dump() if "Autrui" in t or OTHER_EMAIL in t]
    assert len(other_texts_before) > 5

    _, done = anonymise(client.__class__(), coordinator, user)

    assert done.status_code == 302
    dump = full_dump()
    assert traces_in(dump) == []
    # Her sessions are gone, expired one included; the others' stay.
    remaining = {s.session_key: s.get_decoded().get("_auth_user_id") for s in WebSession.objects.all()}
    assert str(user.pk) not in remaining.values()
    assert set(other_sessions) <= set(remaining)
    # Other people's data remains: the stranger's account, login records, comment, log entry, notes.
    assert User.objects.get(email=OTHER_EMAIL).get_full_name() == OTHER_NAME
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        assert OTHER_EMAIL in model.objects.values_list("username", flat=True)
    assert Registration.objects.get(participant__user__email=OTHER_EMAIL).rsvp_comment == f"Avec {OTHER_NAME}"
    assert LogEntry.objects.filter(object_repr__contains=OTHER_EMAIL).exists()
    assert [t for t in dump if "Autrui" in t or OTHER_EMAIL in t]
    assert f"et {OTHER_NAME}" in FollowUp.objects.get(coordinator=coordinator).private_notes
    # The binôme keeps its other member's name; the rows that count stay.
    assert Binome.objects.get().name == "Personne anonymisée et Dominique"
    assert MeetingAttendance.objects.count() == 2 and Registration.objects.count() == 2
    assert RoadmapAction.objects.get().owner == rich_person
    assert not Report.objects.filter(kind="attendance_certificate").exists()


def test_names_and_addresses_are_replaced_as_whole_words_only(client, programme, coordinator):
    """« Ann Lee » is not replaced inside « Joann Leeds » or « Lee-Ann Lee », nor ann@example.org inside
    joann@example.org or ann@example.org.uk."""
    user = factories.UserFactory(email="ann@example.org", first_name="Ann", last_name="Lee")
    factories.ParticipantFactory(user=user, enrolment__programme=programme)
    meeting = factories.MeetingFactory(
        committee__programme=programme,
        minutes="Ann Lee (ann@example.org), Joann Leeds (joann@example.org), Lee-Ann Lee ann@example.org.uk",
    )

    anonymise(client, coordinator, user)

    meeting.refresh_from_db()
    assert meeting.minutes == (
        f"Personne anonymisée (anonyme-{user.pk}@anonymise.invalid), Joann Leeds (joann@example.org), "
        "Lee-Ann Lee ann@example.org.uk"
    )


def test_the_privacy_page_states_the_retention_of_login_records(client, settings):
    settings.LOGIN_RECORDS_RETENTION_DAYS = 45
    content = client.get("/confidentialite/").content.decode()
    assert "Les journaux de connexion sont conservés 45 jours" in content
