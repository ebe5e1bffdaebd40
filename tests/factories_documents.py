"""A small edition whose every dashboard figure is known, and helpers to read the PDFs the tests render.

``known_edition()`` builds it and returns a :class:`KnownEdition` with the expected figures,
computed here by hand from the rows created — never by the code under test.
"""

import datetime as dt
import subprocess
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from django.utils import timezone
from pypdf import PdfReader

from alliances.models import Step
from evaluation.models import Question, Questionnaire
from governance.models import Committee, Decision
from networks.models import Enrolment, Obstacle, Partnership, RoadmapAction
from sessions.models import Registration, TopicVote
from tests import factories

PRESENT = Registration.Attendance.PRESENT
ABSENT = Registration.Attendance.ABSENT
Form = Partnership.CompanyForm
Type = Partnership.PartnerType
Family = Partnership.Family


@dataclass
class KnownEdition:
    programme: object
    networks: dict  # letter → enrolment
    participants: dict  # "A1" → participant
    sessions: list
    committee: object
    meeting: object
    member_users: list = field(default_factory=list)


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace collapsed (lines of a sentence may be broken anywhere)."""
    reader = PdfReader(BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(BytesIO(data)).pages)


def report_pdf(report) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()


def render_pngs(pdf_path: Path, out_dir: Path) -> list[Path]:
    """Every page to PNG with pdftoppm (as a person printing it would see it); raises on a crash."""
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(pdf_path), str(out_dir / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sorted(out_dir.glob("page*.png"))


def _participant(enrolment, key, participants, binome=None):
    participant = factories.ParticipantFactory(
        enrolment=enrolment,
        binome=binome,
        user__email=f"{key.lower()}.{enrolment.programme.slug}@example.org",
        user__first_name=f"Prénom{key}",
        user__last_name=f"Nom{key}",
    )
    participants[key] = participant
    return participant


def known_edition(*, programme=None, today=None) -> KnownEdition:
    """Four networks in accord (A–D), one pending, one refused, one without answer; target 5.

    Expected figures (each computed by hand in the tests):
    - funnel: 7 solicited, 4 agreed, 1 pending, 1 refused, 1 without answer; target 5 (80 %).
    - participants: A1 A2 (binôme), B1 B2 (binôme), C1 (binôme of one), D1 → 6; 2 complete binômes.
    - S1: present A1 A2 B1 C1 → 4/6 (67 %), networks A B C → 3/4 (75 %).
      S2: present A1 D1, absent B1 B2 C1 → 2/6 (33 %), networks A D → 2/4 (50 %). S3: not recorded.
    - partnerships: A 3 types (public, private financial patronage, peer), B 1 type (two companies:
      responsible practices, skills patronage), C 3 types → 8 partnerships, average 7/3 types.
      Private networks: A, B → patronage 2/2 (100 %), responsible practices 1/2 (50 %), others 0 %.
    - obstacles: resources by A (high) and B, skills by A, governance by C.
    - S3 vote closed: « Co-construction territoriale » 3 votes, « Engagement des salariés » 1.
    - roadmaps: A (done, done, overdue todo, dropped), B (in progress, due later) → 2/4 networks,
      5 actions, done 2 of 4 counted (50 %), 1 overdue.
    - phase 1: step a done, step b in progress and late → 50 %.
    - one open decision of the steering committee (overdue) and one done.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    programme = programme or factories.ProgrammeFactory(target_networks=5, name="Édition connue")
    networks, participants = {}, {}
    for letter in "ABCD":
        networks[letter] = factories.EnrolmentFactory(
            programme=programme, network__name=f"Réseau {letter} {programme.slug}", network__acronym=f"R{letter}"
        )
    factories.EnrolmentFactory(programme=programme, status=Enrolment.Status.PENDING)
    factories.EnrolmentFactory(
        programme=programme, status=Enrolment.Status.REFUSED, refusal_reason="Calendrier trop chargé"
    )
    factories.EnrolmentFactory(programme=programme, status=Enrolment.Status.SOLICITED, decided_on=None)

    binome_a = factories.BinomeFactory(enrolment=networks["A"])
    binome_b = factories.BinomeFactory(enrolment=networks["B"])
    binome_c = factories.BinomeFactory(enrolment=networks["C"])
    _participant(networks["A"], "A1", participants, binome_a)
    _participant(networks["A"], "A2", participants, binome_a)
    _participant(networks["B"], "B1", participants, binome_b)
    _participant(networks["B"], "B2", participants, binome_b)
    _participant(networks["C"], "C1", participants, binome_c)
    _participant(networks["D"], "D1", participants)

    s1 = factories.SessionFactory(
        programme=programme,
        number=1,
        code="S1",
        title="Comprendre",
        starts_at=now - dt.timedelta(days=60),
        ends_at=now - dt.timedelta(days=60) + dt.timedelta(hours=7),
    )
    s2 = factories.SessionFactory(
        programme=programme,
        number=2,
        code="S2",
        title="Mettre en œuvre",
        starts_at=now - dt.timedelta(days=30),
        ends_at=now - dt.timedelta(days=30) + dt.timedelta(hours=7),
    )
    s3 = factories.SessionFactory(
        programme=programme,
        number=3,
        code="S3",
        title="Approfondir",
        topic="Co-construction territoriale",
        topic_vote_closed_at=now - dt.timedelta(days=10),
    )
    for key in ("A1", "A2", "B1", "C1"):
        factories.RegistrationFactory(session=s1, participant=participants[key], attendance=PRESENT)
    for key, mark in (("A1", PRESENT), ("D1", PRESENT), ("B1", ABSENT), ("B2", ABSENT), ("C1", ABSENT)):
        factories.RegistrationFactory(session=s2, participant=participants[key], attendance=mark)

    def partnership(letter, family, partner_type, form=""):
        factories.PartnershipFactory(
            enrolment=networks[letter], family=family, partner_type=partner_type, company_form=form
        )

    partnership("A", Family.PUBLIC, Type.LOCAL_AUTHORITY)
    partnership("A", Family.PRIVATE, Type.COMPANY, Form.FINANCIAL_PATRONAGE)
    partnership("A", Family.PEER, Type.ASSOCIATION)
    partnership("B", Family.PRIVATE, Type.COMPANY, Form.RESPONSIBLE_PRACTICES)
    partnership("B", Family.PRIVATE, Type.COMPANY, Form.SKILLS_PATRONAGE)
    partnership("C", Family.PUBLIC, Type.STATE)
    partnership("C", Family.PUBLIC, Type.RESEARCH)
    partnership("C", Family.PEER, Type.EDUCATION)

    factories.ObstacleFactory(
        enrolment=networks["A"], category=Obstacle.Category.RESOURCES, severity=Obstacle.Severity.HIGH
    )
    factories.ObstacleFactory(enrolment=networks["A"], category=Obstacle.Category.SKILLS)
    factories.ObstacleFactory(enrolment=networks["B"], category=Obstacle.Category.RESOURCES)
    factories.ObstacleFactory(enrolment=networks["C"], category=Obstacle.Category.GOVERNANCE)

    winner = factories.TopicProposalFactory(session=s3, title="Co-construction territoriale")
    other = factories.TopicProposalFactory(session=s3, title="Engagement des salariés")
    # Votes were cast while the vote was open; the closed session keeps them.
    for key in ("A1", "B1", "C1"):
        TopicVote.objects.create(proposal=winner, participant=participants[key])
    TopicVote.objects.create(proposal=other, participant=participants["D1"])

    roadmap_a = factories.RoadmapFactory(enrolment=networks["A"])
    roadmap_b = factories.RoadmapFactory(enrolment=networks["B"])
    done = RoadmapAction.Status.DONE
    factories.RoadmapActionFactory(roadmap=roadmap_a, status=done, done_on=today, due_on=today)
    factories.RoadmapActionFactory(roadmap=roadmap_a, status=done, done_on=today, due_on=today)
    factories.RoadmapActionFactory(roadmap=roadmap_a, due_on=today - dt.timedelta(days=5))
    factories.RoadmapActionFactory(roadmap=roadmap_a, status=RoadmapAction.Status.DROPPED, due_on=None)
    factories.RoadmapActionFactory(
        roadmap=roadmap_b, status=RoadmapAction.Status.IN_PROGRESS, due_on=today + dt.timedelta(days=20)
    )

    phase = factories.PhaseFactory(programme=programme, number=1, title="Lancement")
    factories.StepFactory(
        phase=phase, letter="a", title="Constituer le comité", status=Step.Status.DONE, done_on=today, due_on=today
    )
    factories.StepFactory(
        phase=phase,
        letter="b",
        title="Choisir les réseaux",
        status=Step.Status.IN_PROGRESS,
        due_on=today - dt.timedelta(days=3),
    )

    committee = factories.CommitteeFactory(programme=programme, kind=Committee.Kind.STEERING, name="Comité de pilotage")
    meeting = factories.MeetingFactory(
        committee=committee,
        title="Réunion de lancement",
        held_on=today - dt.timedelta(days=40),
        agenda="1. Tour de table\n2. Calendrier",
    )
    factories.DecisionFactory(
        meeting=meeting,
        title="Relancer les réseaux en attente",
        owner="Coordination",
        due_on=today - dt.timedelta(days=2),
    )
    factories.DecisionFactory(meeting=meeting, title="Décision close", status=Decision.Status.DONE)

    feedback = factories.QuestionnaireFactory(
        programme=programme,
        kind=Questionnaire.Kind.SESSION_FEEDBACK,
        session=s1,
        title="Retour sur S1",
        opens_at=now - dt.timedelta(days=59),
    )
    question = factories.QuestionFactory(questionnaire=feedback, kind=Question.Kind.SCALE, order=1)
    for key, value in (("A1", 4), ("A2", 4), ("B1", 5), ("B2", 3), ("C1", 5)):
        response = factories.ResponseFactory(questionnaire=feedback, participant=participants[key])
        factories.AnswerFactory(response=response, question=question, value=value)

    return KnownEdition(
        programme=programme,
        networks=networks,
        participants=participants,
        sessions=[s1, s2, s3],
        committee=committee,
        meeting=meeting,
    )


def add_networks(programme, count, *, sessions=()):
    """``count`` more networks in accord with data in every section (for query-count tests)."""
    for index in range(count):
        enrolment = factories.EnrolmentFactory(programme=programme)
        binome = factories.BinomeFactory(enrolment=enrolment)
        first = factories.ParticipantFactory(enrolment=enrolment, binome=binome)
        factories.ParticipantFactory(enrolment=enrolment, binome=binome)
        for session in sessions:
            factories.RegistrationFactory(
                session=session, participant=first, attendance=PRESENT if index % 2 else ABSENT
            )
        factories.PartnershipFactory(
            enrolment=enrolment, family=Family.PRIVATE, partner_type=Type.COMPANY, company_form=Form.SOCIETAL_INNOVATION
        )
        factories.ObstacleFactory(enrolment=enrolment, category=Obstacle.Category.TIME)
        roadmap = factories.RoadmapFactory(enrolment=enrolment)
        factories.RoadmapActionFactory(roadmap=roadmap)
