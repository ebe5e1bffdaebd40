"""« Dupliquer l'édition »: what is copied, what is shifted by the offset, what is left out; the admin action."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliances.duplication import programme_duplicate
from alliances.models import Notification, Phase, Programme, Report, Step, Theme
from evaluation.models import Answer, Competency, Finding, Question, Questionnaire, Response
from governance.models import Committee, CommitteeMember, Decision, Meeting, MeetingAttendance
from networks.models import Binome, Enrolment, Obstacle, Participant, Partnership, Roadmap
from sessions.models import (
    Announcement,
    FieldVisit,
    FollowUp,
    InspiringMeeting,
    Registration,
    Resource,
    Session,
    TopicProposal,
    TopicVote,
)
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
OFFSET = 365


def paris(*args):
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def source(programme, coordinator):
    """A full edition: structure, people, answers and results."""
    programme.name = "Parcours 2018"
    programme.description = "Le pilote."
    programme.sponsors = "Ministère, Le RAMEAU"
    programme.target_networks = 12
    programme.session_reminder_days = "10,2"
    programme.meeting_reminder_days = "5"
    programme.email_introduction = "Bonjour à toutes et à tous,"
    programme.save()
    second_coordinator = factories.UserFactory(is_staff=True)
    programme.coordinators.add(second_coordinator)

    launch = factories.PhaseFactory(
        programme=programme, number=1, title="Lancement", starts_on=dt.date(2017, 7, 1), ends_on=dt.date(2018, 3, 31)
    )
    factories.PhaseFactory(
        programme=programme, number=2, title="Réalisation", starts_on=dt.date(2018, 4, 1), ends_on=dt.date(2018, 11, 30)
    )
    factories.StepFactory(
        phase=launch,
        letter="a",
        title="Comité de pilotage",
        status=Step.Status.DONE,
        due_on=dt.date(2017, 9, 30),
        done_on=dt.date(2017, 10, 2),
    )
    factories.StepFactory(
        phase=launch, letter="b", title="Contenu", status=Step.Status.IN_PROGRESS, due_on=dt.date(2018, 1, 31)
    )
    factories.StepFactory(phase=launch, letter="c", title="Choix des réseaux")

    rse = factories.ThemeFactory(programme=programme, order=5, title="RSE & partenariats", description="Entreprises")
    territories = factories.ThemeFactory(programme=programme, order=6, title="Innovations territoriales")

    s1 = factories.SessionFactory(
        programme=programme,
        number=1,
        code="S1",
        title="Comprendre",
        theory="Panorama",
        applied_work="Bilan des partenariats",
        starts_at=paris(2018, 6, 12, 9, 30),
        ends_at=paris(2018, 6, 12, 17, 30),
        venue="Paris, Le RAMEAU",
        online_url="https://visio.example.org/s1-2018",
    )
    s1.themes.set([rse, territories])
    factories.InspiringMeetingFactory(
        session=s1,
        speaker_kind=InspiringMeeting.SpeakerKind.PRIVATE_PARTNER,
        speaker="Camille Intervenante",
        organisation="Fondation d'entreprise",
        description="Un mécénat de compétences.",
    )
    factories.SessionFactory(
        programme=programme,
        number=2,
        code="S2",
        title="Mettre en œuvre",
        topic="Piloter une alliance",
        starts_at=paris(2018, 9, 20, 9, 30),
        ends_at=paris(2018, 9, 20, 17, 0),
    )
    s3 = factories.SessionFactory(
        programme=programme,
        number=3,
        code="S3",
        title="Approfondir",
        topic="Changement d'échelle de l'innovation sociétale",
        topic_vote_open=False,
        topic_vote_closed_at=paris(2018, 10, 1, 12, 0),
        starts_at=paris(2018, 10, 18, 9, 30),
        ends_at=paris(2018, 10, 18, 17, 0),
    )
    s3.themes.set([territories])
    factories.SessionFactory(
        programme=programme, number=4, code="S4", title="Mettre en perspective", starts_at=None, ends_at=None
    )

    pre_skill, post_skill = (
        factories.CompetencyFactory(programme=programme, order=1, name="Comprendre le paysage"),
        factories.CompetencyFactory(programme=programme, order=2, name="Évaluer un partenariat"),
    )
    pre = factories.QuestionnaireFactory(
        programme=programme,
        kind=Questionnaire.Kind.COMPETENCY_PRE,
        title="Auto-évaluation (pré)",
        introduction="Avant S1.",
        opens_at=paris(2018, 5, 1, 8, 0),
        closes_at=paris(2018, 6, 11, 23, 59),
    )
    factories.QuestionFactory(questionnaire=pre, order=1, text="Paysage ?", competency=pre_skill)
    factories.QuestionFactory(questionnaire=pre, order=2, text="Évaluer ?", competency=post_skill, required=False)
    feedback = factories.QuestionnaireFactory(
        programme=programme,
        kind=Questionnaire.Kind.SESSION_FEEDBACK,
        title="Retour sur S1",
        session=s1,
        audience=Questionnaire.Audience.SESSION_ATTENDEES,
        opens_at=paris(2018, 6, 12, 17, 30),
        closes_at=paris(2018, 6, 30, 23, 59),
    )
    factories.QuestionFactory(
        questionnaire=feedback, order=1, text="Format ?", kind=Question.Kind.SINGLE, choices="Oui\nNon"
    )
    factories.QuestionFactory(questionnaire=feedback, order=2, text="Commentaire", kind=Question.Kind.TEXT)
    factories.QuestionnaireFactory(programme=programme, kind=Questionnaire.Kind.FINAL, title="Évaluation finale")

    steering = factories.CommitteeFactory(programme=programme, kind="steering", name="Copil", mission="Piloter")
    technical = factories.CommitteeFactory(programme=programme, kind="technical", name="Comité technique")
    djepva_user = factories.UserFactory(email="djepva@example.org")
    djepva = factories.CommitteeMemberFactory(
        committee=steering,
        organisation__name="DJEPVA",
        person_name="Représentant Nommé",
        role="Direction",
        user=djepva_user,
    )
    factories.CommitteeMemberFactory(
        committee=steering,
        organisation=None,
        person_name="Partenaire privé",
        role="Partenaire privé",
        pending_validation=True,
    )
    factories.CommitteeMemberFactory(committee=technical, organisation__name="Opus 3")
    factories.CommitteeMemberFactory(
        committee=technical, organisation=None, person_name="Valérie Leray", role="consultante indépendante"
    )
    launch_meeting = factories.MeetingFactory(
        committee=steering,
        title="Lancement",
        held_on=dt.date(2018, 3, 20),
        starts_at=dt.time(14, 0),
        location="Paris",
        agenda="1. Calendrier",
        minutes="Compte rendu confidentiel",
    )
    factories.MeetingAttendanceFactory(meeting=launch_meeting, member=djepva)
    factories.DecisionFactory(meeting=launch_meeting, title="Décision du pilote", owner="DJEPVA")

    # People and what they produced.
    participant = factories.ParticipantFactory(enrolment__programme=programme, user__email="participante@example.org")
    enrolment = participant.enrolment
    factories.BinomeFactory(enrolment=enrolment)
    factories.PartnershipFactory(enrolment=enrolment)
    factories.ObstacleFactory(enrolment=enrolment)
    factories.RoadmapFactory(enrolment=enrolment)
    factories.EnrolmentFactory(programme=programme, status=Enrolment.Status.REFUSED, refusal_reason="Timing")
    factories.RegistrationFactory(session=s1, participant=participant, attendance="present")
    proposal = factories.TopicProposalFactory(session=s3, proposed_by=participant)
    factories.TopicVoteFactory(proposal=proposal, participant=participant)
    response = factories.ResponseFactory(questionnaire=pre, participant=participant)
    factories.AnswerFactory(response=response, question=pre.questions.first(), value=3)
    factories.FollowUpFactory(enrolment=enrolment, private_notes="Notes", shared_summary="Synthèse")
    factories.FieldVisitFactory(enrolment=enrolment)
    factories.AnnouncementFactory(programme=programme)
    factories.ResourceFactory(programme=programme, session=s1)
    factories.FindingFactory(programme=programme, evidence_meeting=launch_meeting, evidence_questionnaire=pre)
    factories.ReportFactory(programme=programme)
    factories.NotificationFactory(programme=programme, recipient=participant.user)
    return programme


def duplicate(source, superuser, **kwargs):
    params = {"name": "Parcours 2019", "slug": "parcours-2019", "offset_days": OFFSET, "duplicated_by": superuser}
    params.update(kwargs)
    return programme_duplicate(source=source, **params)


# --- The edition ------------------------------------------------------------------------------


def test_edition_fields_dates_and_coordinators(source, superuser):
    copy = duplicate(source, superuser)
    copy.refresh_from_db()
    assert (copy.name, copy.slug) == ("Parcours 2019", "parcours-2019")
    assert copy.starts_on == dt.date(2018, 7, 1) and copy.ends_on == dt.date(2019, 12, 31)
    assert (copy.description, copy.sponsors, copy.target_networks) == ("Le pilote.", "Ministère, Le RAMEAU", 12)
    assert (copy.session_reminder_days, copy.meeting_reminder_days) == ("10,2", "5")
    assert copy.email_introduction == "Bonjour à toutes et à tous,"
    assert set(copy.coordinators.all()) == set(source.coordinators.all()) and copy.coordinators.count() == 2


def test_phases_and_steps_shifted_and_reset(source, superuser):
    copy = duplicate(source, superuser)
    phases = list(Phase.objects.filter(programme=copy).order_by("number"))
    assert [(p.number, p.title, p.starts_on, p.ends_on) for p in phases] == [
        (1, "Lancement", dt.date(2018, 7, 1), dt.date(2019, 3, 31)),
        (2, "Réalisation", dt.date(2019, 4, 1), dt.date(2019, 11, 30)),
    ]
    steps = list(Step.objects.filter(phase__programme=copy).order_by("letter"))
    assert [(s.letter, s.title, s.status, s.due_on, s.done_on) for s in steps] == [
        ("a", "Comité de pilotage", Step.Status.PLANNED, dt.date(2018, 9, 30), None),
        ("b", "Contenu", Step.Status.PLANNED, dt.date(2019, 1, 31), None),
        ("c", "Choix des réseaux", Step.Status.PLANNED, None, None),
    ]
    assert all(phase.progress() == 0 for phase in phases)


def test_themes_and_sessions(source, superuser):
    copy = duplicate(source, superuser)
    themes = {t.title: t for t in Theme.objects.filter(programme=copy)}
    assert set(themes) == {"RSE & partenariats", "Innovations territoriales"}
    assert (themes["RSE & partenariats"].order, themes["RSE & partenariats"].description) == (5, "Entreprises")

    sessions = {s.code: s for s in Session.objects.filter(programme=copy)}
    originals = {s.code: s for s in Session.objects.filter(programme=source)}
    assert set(sessions) == {"S1", "S2", "S3", "S4"}
    s1 = sessions["S1"]
    assert (s1.number, s1.title, s1.theory, s1.applied_work) == (1, "Comprendre", "Panorama", "Bilan des partenariats")
    assert s1.venue == "Paris, Le RAMEAU" and s1.online_url == ""
    # Relinked to the copied themes, not to the source's.
    assert {t.pk for t in s1.themes.all()} == {themes["RSE & partenariats"].pk, themes["Innovations territoriales"].pk}
    assert {t.pk for t in sessions["S3"].themes.all()} == {themes["Innovations territoriales"].pk}
    # Dates shifted exactly: same offset, same time of day.
    for code in ("S1", "S2", "S3"):
        assert sessions[code].starts_at == originals[code].starts_at + dt.timedelta(days=OFFSET)
        assert sessions[code].ends_at == originals[code].ends_at + dt.timedelta(days=OFFSET)
    assert sessions["S1"].starts_at == paris(2019, 6, 12, 9, 30)
    assert sessions["S4"].starts_at is None and sessions["S4"].ends_at is None


def test_a_voted_topic_is_cleared_and_the_vote_reset_a_fixed_topic_kept(source, superuser):
    copy = duplicate(source, superuser)
    s2, s3 = Session.objects.get(programme=copy, code="S2"), Session.objects.get(programme=copy, code="S3")
    assert (s3.topic, s3.topic_vote_open, s3.topic_vote_closed_at) == ("", False, None)
    assert s2.topic == "Piloter une alliance"
    assert not TopicProposal.objects.filter(session__programme=copy).exists()


def test_inspiring_meeting_without_the_speakers_name(source, superuser):
    copy = duplicate(source, superuser)
    meeting = InspiringMeeting.objects.get(session__programme=copy)
    assert meeting.session.code == "S1"
    assert meeting.speaker_kind == InspiringMeeting.SpeakerKind.PRIVATE_PARTNER
    assert (meeting.organisation, meeting.description) == ("Fondation d'entreprise", "Un mécénat de compétences.")
    assert meeting.speaker == ""


def test_the_resource_library_is_copied_and_relinked(source, superuser):
    theme = Theme.objects.get(programme=source, title="RSE & partenariats")
    guide = "resources/2018/guide.pdf"
    factories.ResourceFactory(programme=source, theme=theme, session=None, title="Guide", url="", file=guide)
    original = Resource.objects.get(programme=source, session__code="S1")
    copy = duplicate(source, superuser)
    resources = {r.title: r for r in Resource.objects.filter(programme=copy).select_related("session", "theme")}
    assert set(resources) == {original.title, "Guide"}
    by_session = resources[original.title]
    assert by_session.session == Session.objects.get(programme=copy, code="S1")
    assert (by_session.url, by_session.file.name, by_session.description) == (
        original.url,
        original.file.name,
        original.description,
    )
    assert resources["Guide"].theme == Theme.objects.get(programme=copy, title="RSE & partenariats")
    # A file is shared, not copied: the same stored name (random, never deleted with a resource).
    assert resources["Guide"].session is None and resources["Guide"].file.name == guide
    assert Resource.objects.filter(programme=source).count() == 2  # the source keeps its own


def test_questionnaires_questions_and_competencies(source, superuser):
    copy = duplicate(source, superuser)
    competencies = {c.name: c for c in Competency.objects.filter(programme=copy)}
    assert set(competencies) == {"Comprendre le paysage", "Évaluer un partenariat"}
    questionnaires = {q.title: q for q in Questionnaire.objects.filter(programme=copy)}
    assert set(questionnaires) == {"Auto-évaluation (pré)", "Retour sur S1", "Évaluation finale"}
    pre = questionnaires["Auto-évaluation (pré)"]
    assert pre.kind == Questionnaire.Kind.COMPETENCY_PRE and pre.introduction == "Avant S1."
    # A draft: no opening date, so not live whatever the offset; the closing date is shifted.
    assert pre.opens_at is None and pre.closes_at == paris(2019, 6, 11, 23, 59)
    assert {q.status() for q in questionnaires.values()} == {Questionnaire.Status.DRAFT}
    questions = list(pre.questions.order_by("order"))
    assert [(q.text, q.required, q.competency_id) for q in questions] == [
        ("Paysage ?", True, competencies["Comprendre le paysage"].pk),
        ("Évaluer ?", False, competencies["Évaluer un partenariat"].pk),
    ]
    feedback = questionnaires["Retour sur S1"]
    assert feedback.session == Session.objects.get(programme=copy, code="S1")
    assert feedback.audience == Questionnaire.Audience.SESSION_ATTENDEES
    assert [(q.kind, q.choices) for q in feedback.questions.order_by("order")] == [
        (Question.Kind.SINGLE, "Oui\nNon"),
        (Question.Kind.TEXT, ""),
    ]
    final = questionnaires["Évaluation finale"]
    assert final.opens_at is None and final.session is None


def test_committees_keep_their_organisations_and_roles_not_their_people(source, superuser):
    copy = duplicate(source, superuser)
    committees = {c.kind: c for c in Committee.objects.filter(programme=copy)}
    assert set(committees) == {"steering", "technical"}
    assert (committees["steering"].name, committees["steering"].mission) == ("Copil", "Piloter")
    seats = sorted(
        CommitteeMember.objects.filter(committee__programme=copy).values_list(
            "committee__kind", "organisation__name", "person_name", "role", "user_id", "pending_validation"
        ),
        key=str,
    )
    assert seats == sorted(
        [
            ("steering", "DJEPVA", "", "Direction", None, False),
            ("steering", None, "À désigner", "Partenaire privé", None, True),
            ("technical", "Opus 3", "", "", None, False),
            ("technical", None, "À désigner", "consultante indépendante", None, True),
        ],
        key=str,
    )


def test_meetings_are_dated_shells(source, superuser):
    copy = duplicate(source, superuser)
    meeting = Meeting.objects.get(committee__programme=copy)
    assert (meeting.title, meeting.held_on, meeting.starts_at) == ("Lancement", dt.date(2019, 3, 20), dt.time(14, 0))
    assert (meeting.location, meeting.agenda, meeting.minutes) == ("Paris", "1. Calendrier", "")
    assert not MeetingAttendance.objects.filter(meeting__committee__programme=copy).exists()
    assert not Decision.objects.filter(meeting__committee__programme=copy).exists()


# --- What is left out -------------------------------------------------------------------------------


def test_no_personal_data_and_no_answers_are_copied(source, superuser):
    copy = duplicate(source, superuser)
    left_out = {
        Enrolment: "programme",
        Participant: "enrolment__programme",
        Binome: "enrolment__programme",
        Partnership: "enrolment__programme",
        Obstacle: "enrolment__programme",
        Roadmap: "enrolment__programme",
        Registration: "session__programme",
        TopicProposal: "session__programme",
        TopicVote: "proposal__session__programme",
        Response: "questionnaire__programme",
        Answer: "response__questionnaire__programme",
        FollowUp: "enrolment__programme",
        FieldVisit: "enrolment__programme",
        Announcement: "programme",
        Finding: "programme",
        Report: "programme",
        Notification: "programme",
        MeetingAttendance: "meeting__committee__programme",
        Decision: "meeting__committee__programme",
    }
    for model, path in left_out.items():
        assert model.objects.filter(**{path: copy}).count() == 0, model.__name__
        assert model.objects.filter(**{path: source}).count() >= 1, model.__name__  # the source keeps them
    assert not CommitteeMember.objects.filter(committee__programme=copy, user__isnull=False).exists()
    copied_text = " ".join(
        str(value)
        for value in [
            *CommitteeMember.objects.filter(committee__programme=copy).values_list("person_name", flat=True),
            *InspiringMeeting.objects.filter(session__programme=copy).values_list("speaker", flat=True),
            *Meeting.objects.filter(committee__programme=copy).values_list("minutes", flat=True),
        ]
    )
    for personal in ("Représentant Nommé", "Valérie Leray", "Camille Intervenante", "Compte rendu confidentiel"):
        assert personal not in copied_text


def test_the_source_is_unchanged(source, superuser):
    def snapshot():
        return (
            list(Step.objects.filter(phase__programme=source).values_list("status", "done_on", "due_on")),
            list(Session.objects.filter(programme=source).values_list("topic", "topic_vote_closed_at", "starts_at")),
            list(CommitteeMember.objects.filter(committee__programme=source).values_list("user_id", "person_name")),
            list(Meeting.objects.filter(committee__programme=source).values_list("minutes", "held_on")),
        )

    before = snapshot()
    duplicate(source, superuser)
    assert snapshot() == before


# --- Offsets ---------------------------------------------------------------------------------------


def test_wall_clock_time_is_kept_across_a_daylight_saving_change(programme, superuser):
    session = factories.SessionFactory(
        programme=programme, starts_at=paris(2018, 1, 16, 9, 30), ends_at=paris(2018, 1, 16, 17, 0)
    )
    copy = duplicate(programme, superuser, offset_days=180)
    shifted = Session.objects.get(programme=copy)
    assert shifted.starts_at == paris(2018, 7, 15, 9, 30)  # summer time: still 09:30 in Paris
    assert shifted.starts_at - session.starts_at == dt.timedelta(days=180, hours=-1)  # in absolute time


def test_a_negative_or_zero_offset_works(programme, superuser):
    factories.PhaseFactory(programme=programme, number=1, starts_on=dt.date(2018, 4, 1), ends_on=dt.date(2018, 4, 30))
    copy = duplicate(programme, superuser, offset_days=-10, slug="avant")
    assert Phase.objects.get(programme=copy).starts_on == dt.date(2018, 3, 22)
    same = duplicate(programme, superuser, offset_days=0, slug="meme-dates")
    assert same.starts_on == programme.starts_on


# --- Refusals ----------------------------------------------------------------------------------


def test_a_slug_already_used_is_refused_and_nothing_is_created(source, superuser):
    before = Programme.objects.count(), Session.objects.count(), Committee.objects.count()
    with pytest.raises(ValidationError) as error:
        duplicate(source, superuser, slug=source.slug)
    assert "slug" in error.value.message_dict
    assert (Programme.objects.count(), Session.objects.count(), Committee.objects.count()) == before


def test_only_a_superuser_may_duplicate(source, coordinator):
    with pytest.raises(PermissionDenied):
        duplicate(source, coordinator)
    assert not Programme.objects.filter(slug="parcours-2019").exists()


def test_an_absurd_offset_is_refused(source, superuser):
    with pytest.raises(ValidationError):
        duplicate(source, superuser, offset_days=100_000)


def edition_of_size(n):
    """An edition with ``n`` of every copied thing, in its three committees."""
    programme = factories.ProgrammeFactory()
    committees = [factories.CommitteeFactory(programme=programme, kind=kind) for kind in Committee.Kind.values]
    for number in range(1, n + 1):
        phase = factories.PhaseFactory(programme=programme, number=number)
        factories.StepFactory(phase=phase)
        theme = factories.ThemeFactory(programme=programme)
        session = factories.SessionFactory(programme=programme, number=number, code=f"S{number}", within_edition=True)
        session.themes.add(theme)
        factories.InspiringMeetingFactory(session=session, speaker="Nom")
        competency = factories.CompetencyFactory(programme=programme)
        questionnaire = factories.QuestionnaireFactory(programme=programme, session=session)
        factories.QuestionFactory(questionnaire=questionnaire, competency=competency)
        factories.ResourceFactory(programme=programme, session=session, title=f"Ressource {number}")
        for committee in committees:
            factories.CommitteeMemberFactory(committee=committee)
            factories.CommitteeMemberFactory(committee=committee, organisation=None, person_name="Nom")
            factories.MeetingFactory(committee=committee)
    return programme


def test_duplication_costs_a_fixed_number_of_queries(superuser):
    small, large = edition_of_size(3), edition_of_size(20)
    with CaptureQueriesContext(connection) as few:
        duplicate(small, superuser, slug="petite-copie")
    with CaptureQueriesContext(connection) as many:
        duplicate(large, superuser, slug="grande-copie")
    assert len(few) == len(many)


# Each field of the copied models is either copied, shifted, relinked or deliberately reset: a new
# field must be classified here (and in its app's duplication.py) before it is copied or not.
FIELD_POLICY = {
    Programme: {"id", "name", "slug", "description", "sponsors", "starts_on", "ends_on", "target_networks",
                "coordinators", "session_reminder_days", "meeting_reminder_days", "email_introduction", "created_at"},
    Phase: {"id", "programme", "number", "title", "starts_on", "ends_on"},
    Step: {"id", "phase", "letter", "title", "status", "due_on", "done_on"},
    Theme: {"id", "programme", "order", "title", "description"},
    Session: {"id", "programme", "number", "code", "title", "theory", "applied_work", "topic", "topic_vote_open",
              "topic_vote_closed_at", "themes", "starts_at", "ends_at", "venue", "online_url"},
    InspiringMeeting: {"id", "session", "speaker_kind", "speaker", "organisation", "description"},
    Competency: {"id", "programme", "order", "name"},
    Questionnaire: {"id", "programme", "kind", "title", "introduction", "session", "audience", "opens_at", "closes_at"},
    Question: {"id", "questionnaire", "order", "text", "help_text", "kind", "choices", "required", "competency"},
    Resource: {"id", "programme", "session", "theme", "title", "description", "url", "file", "created_at"},
    Committee: {"id", "programme", "kind", "name", "mission"},
    CommitteeMember: {"id", "committee", "organisation", "person_name", "role", "user", "pending_validation"},
    Meeting: {"id", "committee", "title", "held_on", "starts_at", "location", "agenda", "minutes"},
}  # fmt: skip


@pytest.mark.parametrize("model", list(FIELD_POLICY), ids=lambda m: m.__name__)
def test_every_field_of_a_copied_model_has_a_duplication_policy(model):
    fields = {f.name for f in model._meta.get_fields() if f.concrete or (f.many_to_many and not f.auto_created)}
    unclassified = fields - FIELD_POLICY[model]
    assert not unclassified, (
        f"{model.__name__} has new fields {sorted(unclassified)}: decide in its app's duplication.py whether "
        "« dupliquer l'édition » copies, shifts or resets them, then list them here."
    )


# --- The admin action ------------------------------------------------------------------------------


CHANGELIST = "admin:alliances_programme_changelist"


def test_superuser_runs_the_action_through_its_confirmation_page(client, superuser, source):
    client.force_login(superuser)
    url = reverse(CHANGELIST)
    assert "duplicate_programme" in client.get(url).content.decode()
    page = client.post(url, {"action": "duplicate_programme", "_selected_action": [source.pk]})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Dupliquer l&#x27;édition « Parcours 2018 »" in content or "Dupliquer l'édition « Parcours 2018 »" in content
    assert page.context["form"]["offset_days"].value() == 365
    assert page.context["form"]["slug"].value() == f"{source.slug}-copie"
    copied = dict(page.context["copied"])
    assert (copied["sessions"], copied["ressources"], copied["questionnaires (en préparation)"]) == (4, 1, 3)
    assert "annonces" in page.context["left_out"] and "bibliothèque" not in page.context["left_out"]
    assert any("en préparation" in note for note in page.context["notes"])
    response = client.post(
        url,
        {
            "action": "duplicate_programme",
            "_selected_action": [source.pk],
            "apply": "1",
            "name": "Parcours 2019",
            "slug": "parcours-2019",
            "offset_days": "365",
        },
    )
    copy = Programme.objects.get(slug="parcours-2019")
    assert response.status_code == 302 and response.url == reverse("admin:alliances_programme_change", args=[copy.pk])
    assert copy.starts_on == dt.date(2018, 7, 1)
    followed = client.get(response.url)
    assert "a été créée à partir de « Parcours 2018 »" in followed.content.decode()


def test_the_form_reports_a_used_slug(client, superuser, source):
    client.force_login(superuser)
    data = {
        "action": "duplicate_programme",
        "_selected_action": [source.pk],
        "apply": "1",
        "name": "Parcours 2019",
        "slug": source.slug,
        "offset_days": "365",
    }
    response = client.post(reverse(CHANGELIST), data)
    assert response.status_code == 200
    assert "Une édition porte déjà cet identifiant" in response.content.decode()
    assert Programme.objects.count() == 1


def test_the_same_form_sent_again_says_the_edition_exists(client, superuser, source):
    """Issue 13, item 12: a second sending (a double click, « renvoyer le formulaire ») creates nothing more."""
    client.force_login(superuser)
    data = {
        "action": "duplicate_programme",
        "_selected_action": [source.pk],
        "apply": "1",
        "name": "Parcours 2019",
        "slug": "parcours-2019",
        "offset_days": "365",
    }
    assert client.post(reverse(CHANGELIST), data).status_code == 302
    response = client.post(reverse(CHANGELIST), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "slug": [
            "L'édition « Parcours 2019 » existe déjà avec l'identifiant « parcours-2019 » : elle vient sans doute "
            "d'être créée par un premier envoi de ce formulaire. Aucune autre édition n'a été créée."
        ]
    }
    assert Programme.objects.filter(slug="parcours-2019").count() == 1


def test_a_slug_taken_after_validation_is_a_form_error_not_a_500(source, superuser, monkeypatch):
    """The race of two duplications: validation saw the slug free, the insert finds it taken."""
    factories.ProgrammeFactory(slug="parcours-2019", name="Parcours 2019")
    monkeypatch.setattr(Programme, "validate_unique", lambda self, exclude=None: None)  # as if read before
    with pytest.raises(ValidationError) as error:
        duplicate(source, superuser, slug="parcours-2019")
    assert error.value.message_dict["slug"][0].startswith("L'édition « Parcours 2019 » existe déjà")
    assert Programme.objects.count() == 2


def test_one_edition_at_a_time(client, superuser, source):
    other = factories.ProgrammeFactory()
    client.force_login(superuser)
    response = client.post(
        reverse(CHANGELIST), {"action": "duplicate_programme", "_selected_action": [source.pk, other.pk]}, follow=True
    )
    assert "Choisissez une seule édition à dupliquer." in response.content.decode()
    assert Programme.objects.count() == 2


def test_coordinators_do_not_get_the_action(client, coordinator, source):
    client.force_login(coordinator)
    url = reverse(CHANGELIST)
    assert "duplicate_programme" not in client.get(url).content.decode()
    data = {
        "action": "duplicate_programme",
        "_selected_action": [source.pk],
        "apply": "1",
        "name": "Copie",
        "slug": "copie-coordinateur",
        "offset_days": "365",
    }
    client.post(url, data)
    assert not Programme.objects.filter(slug="copie-coordinateur").exists()


# --- The pilot ------------------------------------------------------------------------------------


def test_duplicating_the_pilot_copies_its_resource_library_and_leaves_every_questionnaire_closed(superuser):
    call_command("load_pilot_programme", verbosity=0)
    pilot = Programme.objects.get()
    assert Resource.objects.filter(programme=pilot).exists()
    assert Questionnaire.objects.filter(programme=pilot).exists()

    copy = duplicate(pilot, superuser, offset_days=0, slug="pilote-bis")  # the same dates: the worst case

    def library(programme):
        return sorted(Resource.objects.filter(programme=programme).values_list("title", "url", "file", "theme__title"))

    assert library(copy) == library(pilot)
    copied = list(Questionnaire.objects.filter(programme=copy))
    assert len(copied) == Questionnaire.objects.filter(programme=pilot).count()
    now = timezone.now()
    assert all(q.status(now) == Questionnaire.Status.DRAFT and not q.is_open(now) for q in copied)
    assert not Questionnaire.objects.filter(programme=copy).published().exists()
