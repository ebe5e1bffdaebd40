"""Bulk builders of complete editions for scale tests and benchmarks (``generate_scale_data``).

One edition: 3 phases with their steps, 15 networks (9 accord, 4 en attente, 2 refus with a
reason), 50 participants of the 9 agreed networks in binômes, 4 sessions (S1–S4) with their
inspiring meeting, registrations (RSVP) and attendance, partnership inventories, obstacles,
roadmaps with actions, themes and resources, S3's topic vote (proposals and votes), announcements,
follow-ups and field visits, six competencies, a feedback questionnaire per session and the pré/post
self-assessments with their answers, and 3 committees with members, meetings, attendance and
decisions, and findings for deployment.

Everything is inserted with ``bulk_create`` in batches: the number of queries per edition is a
constant (about 50), whatever the number of editions. The data depend only on the seed and the
edition's number (``random.Random``), every date is fixed, and the users share one precomputed
password hash. Evaluation is the layer that may import every app, hence this module's place.

``bulk_create`` records no history (django-simple-history) and sends no signal: these are
generated data, not edits.
"""

import datetime as dt
import random
from collections import Counter

from django.contrib.auth import get_user_model
from django.utils import timezone

from alliances.models import Phase, Programme, Step, Theme
from evaluation.models import Answer, Competency, Finding, Question, Questionnaire, Response
from governance.models import Committee, CommitteeMember, Decision, Meeting, MeetingAttendance, Organisation
from networks.models import (
    Binome,
    Enrolment,
    Network,
    Obstacle,
    Participant,
    Partnership,
    Region,
    Roadmap,
    RoadmapAction,
)
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

BATCH_SIZE = 500
EMAIL_DOMAIN = "scale.example.org"
SLUG_PREFIX = "scale"

NETWORKS_PER_EDITION = 15
STATUSES = [Enrolment.Status.AGREED] * 9 + [Enrolment.Status.PENDING] * 4 + [Enrolment.Status.REFUSED] * 2
# Participants per agreed network: 5 × 6 + 4 × 5 = 50.
PARTICIPANTS_PER_NETWORK = [6, 6, 6, 6, 6, 5, 5, 5, 5]
REFUSAL_REASON = "Temporalité non appropriée au projet associatif."

COMPETENCIES = [
    "Cartographier son écosystème de partenaires",
    "Qualifier la maturité d'une relation partenariale",
    "Identifier les leviers de co-construction avec les acteurs publics",
    "Dialoguer avec les entreprises",
    "Construire une feuille de route partenariale",
    "Évaluer la valeur créée par une alliance",
]
PHASES = [
    ("Préparation", ["Mobilisation des réseaux", "Bilatérales de lancement", "Constitution des binômes"]),
    ("Expérimentation", ["Sessions collectives", "Suivi individuel", "Feuilles de route"]),
    ("Capitalisation", ["Évaluation", "Enseignements", "Restitution"]),
]
SESSIONS = [
    (1, "S1", "Cartographier ses partenariats", dt.datetime(2026, 2, 10, 9, 30)),
    (2, "S2", "Dialoguer avec les acteurs publics et privés", dt.datetime(2026, 4, 7, 9, 30)),
    (3, "S3", "Sujet d'approfondissement", dt.datetime(2026, 6, 9, 9, 30)),
    (4, "S4", "Construire sa feuille de route", dt.datetime(2026, 9, 15, 9, 30)),
]
COMMITTEES = [
    (Committee.Kind.STEERING, "Comité de pilotage"),
    (Committee.Kind.ORIENTATION, "Comité d'orientation"),
    (Committee.Kind.TECHNICAL, "Comité technique"),
]
ORGANISATION_POOL = 12
MEMBERS_PER_COMMITTEE = 5
MEETINGS_PER_COMMITTEE = 2
DECISIONS_PER_MEETING = 2
FEEDBACK_CHOICES = "Très utile\nUtile\nPeu utile"
THEMES = ["Alliances avec les collectivités", "Mécénat de compétences"]
TOPIC_PROPOSALS = ["Les alliances avec les collectivités", "Le mécénat de compétences", "Les fondations"]
ANNOUNCEMENTS = 2


def edition_slug(seed, index):
    return f"{SLUG_PREFIX}-{seed}-{index}"


def _bulk(model, objects):
    return model.objects.bulk_create(objects, batch_size=BATCH_SIZE)


def _aware(value):
    return timezone.make_aware(value, timezone.get_default_timezone())


def organisation_pool():
    """The organisations sitting on the generated committees: shared by every edition (2 queries)."""
    names = [f"Organisation d'échelle {k:02d}" for k in range(1, ORGANISATION_POOL + 1)]
    kinds = Organisation.Kind.values
    existing = {org.name: org for org in Organisation.objects.filter(name__in=names)}
    missing = [
        Organisation(name=name, kind=kinds[k % len(kinds)], website=f"https://org{k:02d}.{EMAIL_DOMAIN}/")
        for k, name in enumerate(names, start=1)
        if name not in existing
    ]
    if missing:
        _bulk(Organisation, missing)
        existing = {org.name: org for org in Organisation.objects.filter(name__in=names)}
    return [existing[name] for name in names]


def build_edition(seed, index, *, password_hash, regions, organisations):
    """Create one complete edition; return the number of rows created per model. Call in a transaction."""
    rng = random.Random(f"{seed}-{index}")
    slug = edition_slug(seed, index)
    counts = Counter()

    def add(model, objects):
        created = _bulk(model, objects)
        counts[model._meta.label] += len(created)
        return created

    # --- The edition, its coordinator, phases and steps ------------------------------------------
    programme = Programme.objects.create(
        name=f"Édition d'échelle {seed}-{index}",
        slug=slug,
        description="Édition générée pour les tests de montée en charge.",
        sponsors="Données générées",
        starts_on=dt.date(2026, 1, 5),
        ends_on=dt.date(2026, 12, 18),
        target_networks=9,
    )
    counts[Programme._meta.label] += 1
    User = get_user_model()
    email = f"{slug}-{{}}@{EMAIL_DOMAIN}".format
    coordinator = add(
        User,
        [
            User(
                email=email("coordination"),
                password=password_hash,
                first_name="Coordination",
                last_name=slug,
                is_staff=True,
            )
        ],
    )[0]
    add(Programme.coordinators.through, [Programme.coordinators.through(programme=programme, user=coordinator)])
    phases = add(
        Phase,
        [
            Phase(
                programme=programme,
                number=number,
                title=title,
                starts_on=dt.date(2026, 1 + 4 * (number - 1), 5),
                ends_on=dt.date(2026, 4 + 4 * (number - 1), 28),
            )
            for number, (title, _) in enumerate(PHASES, start=1)
        ],
    )
    steps = []
    for phase, (_, step_titles) in zip(phases, PHASES, strict=True):
        for k, title in enumerate(step_titles):
            done = phase.number == 1 or (phase.number == 2 and k < 2)
            steps.append(
                Step(
                    phase=phase,
                    letter="abc"[k],
                    title=title,
                    status=Step.Status.DONE if done else Step.Status.IN_PROGRESS,
                    due_on=phase.ends_on,
                    done_on=phase.ends_on - dt.timedelta(days=3) if done else None,
                )
            )
    add(Step, steps)

    # --- Networks and enrolments ---------------------------------------------------------------
    networks = add(
        Network,
        [
            Network(
                name=f"Réseau d'échelle {seed}-{index}-{k:02d}",
                acronym=f"RE{k:02d}",
                field_of_action=rng.choice(["Solidarité", "Environnement", "Éducation", "Santé", "Sport", "Culture"]),
                member_associations=rng.randint(10, 200),
                website=f"https://reseau{k:02d}.{slug}.{EMAIL_DOMAIN}/",
                contact_name=f"Contact {k:02d}",
                contact_email=email(f"contact{k:02d}"),
            )
            for k in range(1, NETWORKS_PER_EDITION + 1)
        ],
    )
    add(
        Network.regions.through,
        [
            Network.regions.through(network=network, region=region)
            for network in networks
            for region in rng.sample(regions, min(2, len(regions)))
        ],
    )
    enrolments = add(
        Enrolment,
        [
            Enrolment(
                programme=programme,
                network=network,
                status=status,
                refusal_reason=REFUSAL_REASON if status == Enrolment.Status.REFUSED else "",
                solicited_on=dt.date(2025, 10, 1) + dt.timedelta(days=k),
                decided_on=None if status == Enrolment.Status.PENDING else dt.date(2025, 11, 3) + dt.timedelta(days=k),
                launch_meeting_on=dt.date(2025, 12, 1) + dt.timedelta(days=k)
                if status == Enrolment.Status.AGREED
                else None,
                share_inventory=status == Enrolment.Status.AGREED and k % 2 == 0,
            )
            for k, (network, status) in enumerate(zip(networks, STATUSES, strict=True))
        ],
    )
    agreed = [e for e in enrolments if e.status == Enrolment.Status.AGREED]

    # --- Participants in binômes ---------------------------------------------------------------
    people = []  # (enrolment, position in the network)
    for enrolment, size in zip(agreed, PARTICIPANTS_PER_NETWORK, strict=True):
        people += [(enrolment, k) for k in range(size)]
    users = add(
        User,
        [
            User(
                email=email(f"p{n:03d}"),
                password=password_hash,
                first_name=f"Prénom{n:03d}",
                last_name=f"Nom {slug} {n:03d}",
            )
            for n in range(len(people))
        ],
    )
    binomes = add(
        Binome,
        [
            Binome(enrolment=enrolment, name=f"Binôme {k // 2 + 1}")
            for enrolment, size in zip(agreed, PARTICIPANTS_PER_NETWORK, strict=True)
            for k in range(0, size, 2)
        ],
    )
    binome_of = {(b.enrolment_id, int(b.name.rsplit(" ", 1)[1]) - 1): b for b in binomes}
    participants = add(
        Participant,
        [
            Participant(
                user=user,
                enrolment=enrolment,
                programme=programme,  # the enrolment's edition (held by the database, see Participant)
                job_title=rng.choice(["Délégué·e général·e", "Président·e", "Chargé·e de partenariats"]),
                binome=binome_of[(enrolment.pk, k // 2)],
                binome_slot=k % 2 + 1,  # the binôme of positions 2n and 2n+1: slots 1 and 2
            )
            for user, (enrolment, k) in zip(users, people, strict=True)
        ],
    )
    by_enrolment = {}
    for participant in participants:
        by_enrolment.setdefault(participant.enrolment_id, []).append(participant)

    # --- Sessions, inspiring meetings, registrations and attendance ------------------------------
    sessions = add(
        Session,
        [
            Session(
                programme=programme,
                number=number,
                code=code,
                title=title,
                theory="Apports théoriques de la session.",
                applied_work="Travail applicatif de la session.",
                topic="Les alliances avec les collectivités" if number == 3 else "",
                # S3's topic is chosen collectively: its vote is open, with proposals and votes below.
                topic_vote_open=number == 3,
                starts_at=_aware(start),
                ends_at=_aware(start + dt.timedelta(hours=7)),
                venue="Paris",
            )
            for number, code, title, start in SESSIONS
        ],
    )
    add(
        InspiringMeeting,
        [
            InspiringMeeting(
                session=session,
                speaker_kind=InspiringMeeting.SpeakerKind.values[k % 3],
                speaker=f"Intervenant·e {session.code}",
                organisation=f"Organisation invitée {session.code}",
            )
            for k, session in enumerate(sessions)
        ],
    )
    registrations = []
    present = {}  # session pk → participants marked present
    for session in sessions:
        present[session.pk] = []
        for participant in participants:
            rsvp = rng.choices(Registration.Rsvp.values, weights=[1, 8, 1])[0]
            if rsvp == Registration.Rsvp.CONFIRMED:
                attendance = rng.choices([Registration.Attendance.PRESENT, Registration.Attendance.ABSENT], [9, 1])[0]
            elif rsvp == Registration.Rsvp.DECLINED:
                attendance = Registration.Attendance.EXCUSED
            else:
                attendance = Registration.Attendance.ABSENT
            if attendance == Registration.Attendance.PRESENT:
                present[session.pk].append(participant)
            registrations.append(
                Registration(
                    session=session,
                    participant=participant,
                    rsvp=rsvp,
                    responded_at=None
                    if rsvp == Registration.Rsvp.INVITED
                    else session.starts_at - dt.timedelta(days=10),
                    attendance=attendance,
                )
            )
    add(Registration, registrations)

    # --- Inventories, obstacles, roadmaps ----------------------------------------------------------
    partnerships, obstacles = [], []
    for enrolment in agreed:
        for k in range(rng.randint(4, 8)):
            family = rng.choice(Partnership.Family.values)
            partnerships.append(
                Partnership(
                    enrolment=enrolment,
                    partner_name=f"Partenaire {k + 1:02d}",
                    family=family,
                    partner_type={
                        "peer": Partnership.PartnerType.ASSOCIATION,
                        "public": rng.choice([Partnership.PartnerType.LOCAL_AUTHORITY, Partnership.PartnerType.STATE]),
                        "private": Partnership.PartnerType.COMPANY,
                    }[family],
                    company_form=rng.choice(Partnership.CompanyForm.values) if family == "private" else "",
                    scale=rng.choice(Partnership.Scale.values),
                    objective_human_resources=rng.random() < 0.5,
                    objective_stakeholders=rng.random() < 0.5,
                    objective_innovation=rng.random() < 0.5,
                    objective_economic=rng.random() < 0.5,
                    depth=rng.randint(1, 3),
                    evaluated=rng.random() < 0.3,
                    start_year=rng.randint(2010, 2026),
                    status=rng.choice(Partnership.Status.values),
                )
            )
        for category in rng.sample(Obstacle.Category.values, rng.randint(2, 3)):
            obstacles.append(
                Obstacle(
                    enrolment=enrolment,
                    category=category,
                    description="Frein rencontré dans les partenariats.",
                    severity=rng.randint(1, 3),
                )
            )
    add(Partnership, partnerships)
    add(Obstacle, obstacles)
    roadmaps = add(
        Roadmap,
        [
            Roadmap(enrolment=e, title=f"Feuille de route {e.network.acronym}", ambition="Ambition partenariale.")
            for e in agreed
        ],
    )
    actions = []
    for roadmap in roadmaps:
        owners = by_enrolment[roadmap.enrolment_id]
        for k in range(rng.randint(3, 5)):
            status = rng.choice(RoadmapAction.Status.values)
            due_on = dt.date(2026, 3, 1) + dt.timedelta(days=30 * k + rng.randint(0, 20))
            actions.append(
                RoadmapAction(
                    roadmap=roadmap,
                    title=f"Action {k + 1}",
                    owner=rng.choice(owners),
                    due_on=due_on,
                    status=status,
                    done_on=due_on if status == RoadmapAction.Status.DONE else None,
                )
            )
    add(RoadmapAction, actions)

    # --- Community: themes, resources, S3's topic vote, announcements; follow-ups and visits -----
    themes = add(
        Theme,
        [Theme(programme=programme, order=k, title=title) for k, title in enumerate(THEMES, start=1)],
    )
    add(
        Session.themes.through,
        [Session.themes.through(session=s, theme=themes[k % len(themes)]) for k, s in enumerate(sessions)],
    )
    add(
        Resource,
        [
            Resource(
                programme=programme,
                session=session,
                theme=themes[k % len(themes)],
                title=f"Support de la session {session.code}",
                url=f"https://ressources.{EMAIL_DOMAIN}/{slug}/{session.code.lower()}/",
            )
            for k, session in enumerate(sessions)
        ],
    )
    vote_session = next(s for s in sessions if s.topic_vote_open)
    proposals = add(
        TopicProposal,
        [
            TopicProposal(session=vote_session, title=title, proposed_by=rng.choice(participants))
            for title in TOPIC_PROPOSALS
        ],
    )
    add(
        TopicVote,
        [TopicVote(proposal=rng.choice(proposals), participant=p) for p in participants if rng.random() < 0.6],
    )
    add(
        Announcement,
        [
            Announcement(
                programme=programme,
                title=f"Annonce {n}",
                body="Nouvelles de la communauté.",
                author=coordinator,
                published_at=_aware(dt.datetime(2026, 1 + 3 * n, 2, 9)),
            )
            for n in range(1, ANNOUNCEMENTS + 1)
        ],
    )
    add(
        FollowUp,
        [
            FollowUp(
                enrolment=enrolment,
                held_on=dt.date(2026, 3, 2) + dt.timedelta(days=7 * k),
                kind=rng.choice(FollowUp.Kind.values),
                coordinator=coordinator,
                private_notes="Notes de suivi.",
                shared_summary="Synthèse partagée avec le réseau.",
            )
            for k, enrolment in enumerate(agreed)
        ],
    )
    add(
        FieldVisit,
        [
            FieldVisit(
                enrolment=enrolment,
                visited_on=dt.date(2026, 5, 4) + dt.timedelta(days=7 * k),
                place="Siège du réseau",
                coordinator=coordinator,
                shared_summary="Synthèse de la visite.",
            )
            for k, enrolment in enumerate(agreed)
            if k % 3 == 0
        ],
    )

    # --- Competencies, questionnaires, responses and answers -------------------------------------
    competencies = add(
        Competency, [Competency(programme=programme, order=k, name=name) for k, name in enumerate(COMPETENCIES, 1)]
    )
    questionnaires = add(
        Questionnaire,
        [
            *[
                Questionnaire(
                    programme=programme,
                    kind=Questionnaire.Kind.SESSION_FEEDBACK,
                    title=f"Retour sur la session {session.code}",
                    session=session,
                    audience=Questionnaire.Audience.SESSION_ATTENDEES,
                    opens_at=session.ends_at,
                    closes_at=session.ends_at + dt.timedelta(days=14),
                )
                for session in sessions
            ],
            Questionnaire(
                programme=programme,
                kind=Questionnaire.Kind.COMPETENCY_PRE,
                title="Auto-évaluation des compétences (avant)",
                opens_at=_aware(dt.datetime(2026, 1, 12, 9)),
                closes_at=_aware(dt.datetime(2026, 2, 9, 18)),
            ),
            Questionnaire(
                programme=programme,
                kind=Questionnaire.Kind.COMPETENCY_POST,
                title="Auto-évaluation des compétences (après)",
                opens_at=_aware(dt.datetime(2026, 9, 16, 9)),
                closes_at=_aware(dt.datetime(2026, 10, 16, 18)),
            ),
        ],
    )
    questions = []
    for questionnaire in questionnaires:
        if questionnaire.kind == Questionnaire.Kind.SESSION_FEEDBACK:
            questions += [
                Question(questionnaire=questionnaire, order=1, text="Votre satisfaction globale"),
                Question(
                    questionnaire=questionnaire,
                    order=2,
                    text="Utilité pour votre réseau",
                    kind=Question.Kind.SINGLE,
                    choices=FEEDBACK_CHOICES,
                ),
                Question(
                    questionnaire=questionnaire, order=3, text="Un commentaire", kind=Question.Kind.TEXT, required=False
                ),
            ]
        else:
            questions += [
                Question(questionnaire=questionnaire, order=k, text=competency.name, competency=competency)
                for k, competency in enumerate(competencies, start=1)
            ]
    questions = add(Question, questions)
    questions_of = {}
    for question in questions:
        questions_of.setdefault(question.questionnaire_id, []).append(question)

    respondents = []  # (questionnaire, participant)
    for questionnaire in questionnaires:
        audience = present[questionnaire.session_id] if questionnaire.session_id else participants
        share = 0.8 if questionnaire.kind == Questionnaire.Kind.SESSION_FEEDBACK else 0.9
        respondents += [(questionnaire, p) for p in audience if rng.random() < share]
    responses = add(
        Response,
        [
            Response(
                questionnaire=questionnaire,
                participant=participant,
                submitted_at=questionnaire.opens_at + dt.timedelta(days=2),
                updated_at=questionnaire.opens_at + dt.timedelta(days=2),
            )
            for questionnaire, participant in respondents
        ],
    )
    baseline = {}  # (participant, competency) → pré score, so that « après » follows « avant »
    answers = []
    for response, (questionnaire, participant) in zip(responses, respondents, strict=True):
        for question in questions_of[questionnaire.pk]:
            if question.kind == Question.Kind.SCALE and question.competency_id:
                key = (participant.pk, question.competency_id)
                if questionnaire.kind == Questionnaire.Kind.COMPETENCY_PRE:
                    value = baseline[key] = rng.randint(1, 4)
                else:
                    value = min(5, baseline.get(key, rng.randint(1, 4)) + rng.randint(0, 2))
                answers.append(Answer(response=response, question=question, value=value))
            elif question.kind == Question.Kind.SCALE:
                answers.append(Answer(response=response, question=question, value=rng.randint(3, 5)))
            elif question.kind == Question.Kind.SINGLE:
                selected = [rng.choice(question.choice_list)]
                answers.append(Answer(response=response, question=question, selected=selected))
            elif rng.random() < 0.3:
                answers.append(Answer(response=response, question=question, text="Session riche en échanges."))
    add(Answer, answers)

    # --- Committees, members, meetings, attendance and decisions ----------------------------------
    committee_user = add(
        User,
        [User(email=email("comite"), password=password_hash, first_name="Membre", last_name=f"Comité {slug}")],
    )[0]
    committees = add(
        Committee,
        [
            Committee(programme=programme, kind=kind, name=f"{name} — {slug}", mission="Mission du comité.")
            for kind, name in COMMITTEES
        ],
    )
    members = []
    for k, committee in enumerate(committees):
        seated = rng.sample(organisations, MEMBERS_PER_COMMITTEE - 1)
        members += [
            CommitteeMember(
                committee=committee,
                organisation=organisation,
                person_name=f"Représentant·e {n + 1}",
                role="Membre",
                # The committee member account sits on the steering and orientation committees.
                user=committee_user if n == 0 and k < 2 else None,
                pending_validation=n == MEMBERS_PER_COMMITTEE - 2 and k == 2,
            )
            for n, organisation in enumerate(seated)
        ]
        members.append(CommitteeMember(committee=committee, person_name="Consultant·e indépendant·e", role="Expert"))
    members = add(CommitteeMember, members)
    meetings = add(
        Meeting,
        [
            Meeting(
                committee=committee,
                title=f"Réunion {n + 1}",
                held_on=dt.date(2026, 3 + 5 * n, 10 + k),
                starts_at=dt.time(14, 0),
                location="Paris",
                agenda="1. Avancement\n2. Décisions",
                minutes="Compte rendu de la réunion.",
            )
            for k, committee in enumerate(committees)
            for n in range(MEETINGS_PER_COMMITTEE)
        ],
    )
    members_of = {}
    for member in members:
        members_of.setdefault(member.committee_id, []).append(member)
    add(
        MeetingAttendance,
        [
            MeetingAttendance(
                meeting=meeting,
                member=member,
                status=rng.choices(MeetingAttendance.Status.values, weights=[7, 1, 2])[0],
            )
            for meeting in meetings
            for member in members_of[meeting.committee_id]
        ],
    )
    add(
        Decision,
        [
            Decision(
                meeting=meeting,
                title=f"Décision {n + 1}",
                owner="Coordination",
                due_on=meeting.held_on + dt.timedelta(days=60),
                status=rng.choice(Decision.Status.values),
            )
            for meeting in meetings
            for n in range(DECISIONS_PER_MEETING)
        ],
    )

    # --- Findings for deployment (phase 3b) ---------------------------------------------------------
    add(
        Finding,
        [
            Finding(
                programme=programme,
                kind=kind,
                title=f"{label} de l'édition",
                body="Développement.",
                order=1,
                evidence_session=sessions[0],
                evidence_meeting=meetings[0],
            )
            for kind, label in Finding.Kind.choices
        ],
    )
    return counts


def scale_regions():
    return list(Region.objects.order_by("code"))
