"""The ``load_pilot_programme`` and ``load_demo`` commands: the note's figures, the demo's, idempotence."""

import datetime as dt
import io

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from alliances.management.commands.load_demo import COORDINATOR_EMAIL, DEMO_PASSWORD, SUPERUSER_EMAIL
from alliances.models import Programme, Step, User
from alliances.pilot import PILOT_SLUG
from evaluation.models import Competency, Question, Questionnaire, Response
from evaluation.results import programme_results
from governance.demo import COMMITTEE_MEMBER_EMAIL
from governance.models import Committee, CommitteeMember, Meeting
from networks.demo import DEMO_PARTICIPANT_EMAILS
from networks.models import Enrolment, Participant, Partnership
from sessions.models import InspiringMeeting, Registration, Resource, Session, TopicVote

pytestmark = pytest.mark.django_db

KIT_URL = "https://partenariatassociationsentreprises.wordpress.com/"
ORIENTATION = {
    "DJEPVA",
    "Le RAMEAU",
    "ADASI",
    "AFF",
    "Avise",
    "Caisse des Dépôts",
    "CFF",
    "CGET",
    "Direction des Sports",
    "MEDEF",
    "Mouvement Associatif",
    "Opus 3",
    "RNMA",
    "RTES",
}


def run(command):
    out = io.StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def snapshot():
    """Every row of every model, many-to-many links included, in primary-key order."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
    }


def model_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models(include_auto_created=True)}


def pilot():
    return Programme.objects.get(slug=PILOT_SLUG)


def assert_pilot_figures(editions=1):
    # The pilot alone; load_demo adds the current edition (tests/alliances/test_demo_current_edition.py).
    assert Programme.objects.count() == editions
    programme = pilot()
    assert programme.name == "Parcours d'expérience Alliances innovantes"
    assert (programme.starts_on, programme.ends_on) == (dt.date(2017, 7, 1), dt.date(2018, 12, 31))
    assert programme.target_networks == 12
    assert "Ministère en charge de la Vie Associative" in programme.sponsors and "Le RAMEAU" in programme.sponsors

    phases = list(programme.phases.order_by("number"))
    assert [(p.number, p.starts_on, p.ends_on) for p in phases] == [
        (1, dt.date(2017, 7, 1), dt.date(2018, 3, 31)),
        (2, dt.date(2018, 4, 1), dt.date(2018, 11, 30)),
        (3, dt.date(2018, 11, 1), dt.date(2018, 12, 31)),
    ]
    steps = Step.objects.filter(phase__programme=programme).select_related("phase")
    assert sorted(f"{s.phase.number}{s.letter}" for s in steps) == ["1a", "1b", "1c", "2a", "2b", "2c", "3a", "3b"]
    for step in steps:
        assert step.status == Step.Status.DONE and step.done_on is not None
        assert step.phase.starts_on <= step.due_on <= step.phase.ends_on
    assert all(phase.progress() == 100 for phase in phases)
    assert programme.themes.count() == 6

    sessions = list(programme.sessions.order_by("number"))
    assert [(s.number, s.code, s.title) for s in sessions] == [
        (1, "S1", "Comprendre"),
        (2, "S2", "Mettre en œuvre"),
        (3, "S3", "Approfondir"),
        (4, "S4", "Mettre en perspective"),
    ]
    assert all(s.theory for s in sessions)
    assert "freins" in sessions[0].applied_work
    assert "co-construction territoriale" in sessions[2].theory
    assert all(dt.date(2018, 4, 1) <= s.starts_at.date() <= dt.date(2018, 11, 30) for s in sessions)
    kinds = {m.session.number: m.speaker_kind for m in InspiringMeeting.objects.filter(session__programme=programme)}
    assert kinds == {
        1: InspiringMeeting.SpeakerKind.PRIVATE_PARTNER,
        2: InspiringMeeting.SpeakerKind.ASSOCIATIVE_PEER,
        4: InspiringMeeting.SpeakerKind.INSTITUTIONAL,
    }

    committees = {c.kind: c for c in programme.committees.all()}
    assert {kind: c.members.count() for kind, c in committees.items()} == {
        Committee.Kind.STEERING: 3,
        Committee.Kind.ORIENTATION: 15,
        Committee.Kind.TECHNICAL: 6,
    }
    steering = committees[Committee.Kind.STEERING]
    pending = steering.members.filter(pending_validation=True)
    assert pending.count() == 1 and pending.get().organisation is None and pending.get().person_name
    orientation_orgs = set(committees[Committee.Kind.ORIENTATION].members.values_list("organisation__name", flat=True))
    assert orientation_orgs - {None} == ORIENTATION
    leray = committees[Committee.Kind.TECHNICAL].members.get(person_name="Valérie Leray")
    assert leray.organisation is None and leray.role == "consultante indépendante"
    djepva = CommitteeMember.objects.get(committee=steering, organisation__name="DJEPVA").organisation
    assert djepva.full_name == "Direction de la jeunesse, de l'éducation populaire et de la vie associative"
    meetings = Meeting.objects.filter(committee__programme=programme)
    assert meetings.count() == 3
    assert sorted((m.committee.kind, m.held_on.year, m.held_on.month) for m in meetings) == [
        (Committee.Kind.ORIENTATION, 2018, 3),
        (Committee.Kind.ORIENTATION, 2018, 9),
        (Committee.Kind.ORIENTATION, 2018, 12),
    ]
    assert all(m.agenda for m in meetings)

    competencies = list(Competency.objects.filter(programme=programme).order_by("order"))
    assert len(competencies) == 6
    assert competencies[0].name == "Comprendre le paysage des partenariats"
    assert competencies[-1].name == "Co-construire sur un territoire"
    assert list(Resource.objects.values_list("url", flat=True)) == [KIT_URL]
    assert_pilot_questionnaires(programme, competencies)


def assert_pilot_questionnaires(programme, competencies):
    """Feedback for S1–S4 (those present), competencies pré and post, the final evaluation: all in 2018."""
    questionnaires = Questionnaire.objects.filter(programme=programme)
    assert questionnaires.count() == 7
    feedback = questionnaires.filter(kind=Questionnaire.Kind.SESSION_FEEDBACK).order_by("session__number")
    assert [q.session.code for q in feedback] == ["S1", "S2", "S3", "S4"]
    assert {q.audience for q in feedback} == {Questionnaire.Audience.SESSION_ATTENDEES}
    for questionnaire in feedback:
        assert questionnaire.opens_at.date() == questionnaire.session.starts_at.date()
        kinds = list(questionnaire.questions.order_by("order").values_list("kind", flat=True))
        assert kinds.count(Question.Kind.SCALE) == 5 and kinds.count(Question.Kind.TEXT) == 2
    for kind in (Questionnaire.Kind.COMPETENCY_PRE, Questionnaire.Kind.COMPETENCY_POST):
        assessment = questionnaires.get(kind=kind)
        assert assessment.audience == Questionnaire.Audience.ALL
        questions = list(assessment.questions.order_by("order"))
        assert [q.competency for q in questions] == competencies
        assert {q.kind for q in questions} == {Question.Kind.SCALE}
    pre = questionnaires.get(kind=Questionnaire.Kind.COMPETENCY_PRE)
    assert pre.closes_at < feedback[0].session.starts_at
    final = questionnaires.get(kind=Questionnaire.Kind.FINAL)
    assert {q.kind for q in final.questions.all()} == set(Question.Kind.values)
    for questionnaire in questionnaires:
        assert questionnaire.opens_at.year == questionnaire.closes_at.year == 2018
        assert questionnaire.opens_at < questionnaire.closes_at
        for asked in questionnaire.questions.all():
            asked.full_clean()


@pytest.mark.parametrize("runs", [1, 2])
def test_pilot_has_the_notes_figures(runs):
    for _ in range(runs):
        out = run("load_pilot_programme")
    assert_pilot_figures()
    session_3 = pilot().sessions.get(number=3)
    assert (session_3.topic, session_3.topic_vote_open) == ("", False)
    assert "Comités" in out and "15 membres" in out


def test_second_pilot_run_creates_and_changes_nothing():
    run("load_pilot_programme")
    before = snapshot()
    out = run("load_pilot_programme")
    assert snapshot() == before
    assert "aucun enregistrement créé" in out


def test_pilot_rerun_keeps_coordinators_planning_but_restores_the_notes_facts():
    run("load_pilot_programme")
    session = pilot().sessions.get(number=1)
    moved = session.starts_at + dt.timedelta(days=7)
    Session.objects.filter(pk=session.pk).update(
        starts_at=moved, ends_at=moved + dt.timedelta(hours=8), title="Titre modifié"
    )
    run("load_pilot_programme")
    session.refresh_from_db()
    assert session.starts_at == moved  # planning data: the coordinators' edit stays
    assert session.title == "Comprendre"  # the note's fact: restored


def test_a_confirmed_private_partner_is_not_brought_back_as_pending():
    run("load_pilot_programme")
    seat = CommitteeMember.objects.get(committee__kind=Committee.Kind.STEERING, pending_validation=True)
    CommitteeMember.objects.filter(pk=seat.pk).update(pending_validation=False, person_name="Entreprise partenaire")
    run("load_pilot_programme")
    steering = pilot().committees.get(kind=Committee.Kind.STEERING)
    assert steering.members.count() == 3
    assert not steering.members.filter(pending_validation=True).exists()


@pytest.mark.parametrize("runs", [1, 2])
def test_demo_has_the_notes_network_figures(runs):
    for _ in range(runs):
        run("load_demo")
    assert_pilot_figures(editions=2)
    enrolments = pilot().enrolments.all()
    assert enrolments.count() == 15
    counts = {status: enrolments.filter(status=status).count() for status in Enrolment.Status.values}
    assert counts == {"solicited": 0, "agreed": 9, "pending": 4, "refused": 2}
    for refusal in enrolments.filter(status=Enrolment.Status.REFUSED):
        assert "temporalité" in refusal.refusal_reason.lower() and refusal.decided_on
    for agreed in enrolments.pilots():
        assert agreed.decided_on and agreed.launch_meeting_on and agreed.launch_meeting_notes
        assert 1 <= agreed.participants.count() <= 2
        assert agreed.partnerships.exists() and agreed.obstacles.exists()
        assert agreed.roadmap.actions.exists()
    assert not Participant.objects.exclude(enrolment__status=Enrolment.Status.AGREED).exists()
    assert all("fictif" in e.network.name or "fictive" in e.network.name for e in enrolments)


def test_demo_partnerships_and_attendance_are_coherent():
    run("load_demo")
    partnerships = Partnership.objects.all()
    assert set(partnerships.values_list("family", flat=True)) == set(Partnership.Family.values)
    assert not partnerships.exclude(family=Partnership.Family.PRIVATE).exclude(company_form="").exists()
    assert partnerships.filter(family=Partnership.Family.PRIVATE).exclude(company_form="").exists()
    participants = Participant.objects.of_programme(pilot())
    registrations = Registration.objects.filter(session__programme=pilot())
    assert registrations.count() == 4 * participants.count()
    assert not registrations.filter(rsvp=Registration.Rsvp.INVITED).exists()
    assert not registrations.filter(attendance="").exists()
    assert not registrations.filter(
        rsvp=Registration.Rsvp.DECLINED, attendance=Registration.Attendance.PRESENT
    ).exists()
    session_3 = pilot().sessions.get(number=3)
    assert session_3.topic and not session_3.topic_vote_open and session_3.topic_vote_closed_at
    assert TopicVote.objects.count() == participants.count()


def test_demo_answers_fit_the_questionnaires_audiences_and_dates():
    run("load_demo")
    responses = Response.objects.filter(questionnaire__programme=pilot()).select_related("questionnaire")
    assert responses.count() > 50
    for response in responses:
        questionnaire = response.questionnaire
        assert questionnaire.opens_at <= response.submitted_at < questionnaire.closes_at
        if questionnaire.audience == Questionnaire.Audience.SESSION_ATTENDEES:
            assert Registration.objects.filter(
                session=questionnaire.session, participant=response.participant_id, attendance="present"
            ).exists()
    results = programme_results(pilot(), for_coordinator=False)
    assert all(row["mean"] is not None for row in results["satisfaction"])
    assert all(row["n"] >= 5 and row["delta"] is not None for row in results["progression"])


def test_demo_rows_pass_model_validation():
    run("load_demo")
    for label in ("alliances", "networks", "programme_sessions", "governance", "evaluation"):
        for model in apps.get_app_config(label).get_models():
            if model is TopicVote:
                continue  # its clean() refuses any vote once the vote is closed, as the demo's S3 vote is
            for obj in model.objects.all():
                obj.full_clean()


def test_demo_accounts_exist_and_log_in():
    out = run("load_demo")
    request = RequestFactory().post("/")
    emails = [SUPERUSER_EMAIL, COORDINATOR_EMAIL, COMMITTEE_MEMBER_EMAIL, *DEMO_PARTICIPANT_EMAILS]
    for email in emails:
        assert email in out
        assert authenticate(request, email=email, password=DEMO_PASSWORD) is not None, email
    assert DEMO_PASSWORD in out and len(DEMO_PASSWORD) >= 12

    admin = User.objects.get(email=SUPERUSER_EMAIL)
    assert admin.is_superuser and admin.is_staff
    coordinator = User.objects.get(email=COORDINATOR_EMAIL)
    assert coordinator.is_staff and not coordinator.is_superuser
    assert pilot() in coordinator.coordinated_programmes() and coordinator.is_coordinator

    seats = CommitteeMember.objects.filter(user__email=COMMITTEE_MEMBER_EMAIL)
    assert seats.filter(committee__kind=Committee.Kind.STEERING, committee__programme=pilot()).exists()

    networks = {
        Participant.objects.of_programme(pilot()).get(user__email=email).enrolment.network_id
        for email in DEMO_PARTICIPANT_EMAILS
    }
    assert len(networks) == 2
    assert all(e.endswith((".localhost", "example.org")) for e in User.objects.values_list("email", flat=True))


def test_demo_resets_a_demo_password_changed_by_hand():
    run("load_demo")
    user = User.objects.get(email=COORDINATOR_EMAIL)
    user.set_password("un-autre-mot-de-passe")
    user.save()
    run("load_demo")
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


def test_both_commands_rerun_create_and_change_nothing():
    run("load_pilot_programme")
    run("load_demo")
    counts, before = model_counts(), snapshot()
    out = run("load_demo")
    run("load_pilot_programme")
    assert model_counts() == counts
    assert snapshot() == before
    assert "aucun enregistrement créé" in out
