"""Demo data of the sessions app, on top of the pilot and the fictional networks.

Every pilot session is in 2018, so past: each participant was invited, answered (confirmed or
declined) and was marked present, absent or excused. The S3 topic was proposed and voted by the
participants, then the vote was closed and the winning topic became S3's topic. Individual
follow-ups, a few field visits and community news complete phase 2. Deterministic: a seeded
random generator and natural keys, so a second run changes nothing.
"""

import datetime as dt
import random
from collections import Counter

from django.utils import timezone

from alliances.demo import at
from alliances.loaders import DemoLoader, DemoRun, demo_loaders
from alliances.pilot import themes_by_order, update, upsert, upsert_many
from sessions import pilot as sessions_pilot
from sessions.models import (
    Announcement,
    FieldVisit,
    FollowUp,
    InspiringMeeting,
    Registration,
    Session,
    TopicProposal,
    TopicVote,
)

DECLINE_COMMENTS = [
    "Indisponible ce jour-là : assemblée générale du réseau.",
    "Déplacement prévu de longue date, mon binôme sera présent.",
    "Contrainte d'agenda, je consulterai les ressources de la session.",
]

# (title, description): the note's candidate topics, and one more from a participant.
TOPICS = [
    (
        "Changement d'échelle de l'innovation sociétale",
        "Comment essaimer une alliance réussie sur d'autres territoires ?",
    ),
    (
        "La co-construction territoriale",
        "Associations, collectivités et entreprises autour des besoins d'un territoire.",
    ),
    ("L'engagement des salariés", "Mécénat de compétences et bénévolat des salariés : construire la relation."),
    ("Évaluer la valeur créée par une alliance", "Des indicateurs partagés avec les partenaires."),
]
TOPIC_WEIGHTS = [3, 5, 2, 2]
VOTE_CLOSED_AT = timezone.make_aware(dt.datetime(2018, 7, 6, 18, 0))

ANNOUNCEMENTS = [
    (
        "Bienvenue dans la communauté des réseaux pilotes",
        dt.datetime(2018, 4, 3, 10, 0),
        "Le parcours d'expérience démarre avec la session S1 « Comprendre » le 19 avril. Pensez à répondre "
        "à l'invitation et à préparer le bilan de vos partenariats et des freins rencontrés.",
    ),
    (
        "Proposez et votez le sujet de la session S3",
        dt.datetime(2018, 6, 25, 9, 0),
        "Le sujet d'approfondissement de S3 est choisi collectivement : proposez un sujet ou votez pour "
        "celui qui vous intéresse avant le 6 juillet.",
    ),
    (
        "Le sujet de la session S3 est choisi",
        dt.datetime(2018, 7, 9, 9, 0),
        "Merci pour votre participation au vote : le sujet retenu figure désormais sur la page de la session S3.",
    ),
]

FIELD_VISIT_PLACES = ["Lille", "Montpellier", "Poitiers"]


def load(programme, *, participants, coordinator):
    """Load registrations, the S3 vote, follow-ups, field visits and news of ``programme``.

    ``participants`` are the demo participants, in a stable order (the random draws follow it).
    """
    rng = random.Random(2018)
    sessions = list(programme.sessions.order_by("number"))
    _load_registrations(rng, sessions, participants)
    _load_topic_vote(rng, programme, participants)
    _load_follow_ups(rng, participants, coordinator)
    upsert_many(
        Announcement,
        [
            {
                "programme": programme,
                "title": title,
                "published_at": timezone.make_aware(published_at),
                "body": body,
                "author": coordinator,
            }
            for title, published_at, body in ANNOUNCEMENTS
        ],
        key=("programme", "title"),
    )


def _load_registrations(rng, sessions, participants):
    rows = []
    for session in sessions:
        for participant in participants:
            confirmed = rng.random() < 0.85
            if confirmed:
                attendance = Registration.Attendance.PRESENT if rng.random() < 0.9 else Registration.Attendance.ABSENT
            else:
                attendance = Registration.Attendance.EXCUSED
            rows.append(
                {
                    "session": session,
                    "participant": participant,
                    "rsvp": Registration.Rsvp.CONFIRMED if confirmed else Registration.Rsvp.DECLINED,
                    "rsvp_comment": "" if confirmed else rng.choice(DECLINE_COMMENTS),
                    "responded_at": session.starts_at - dt.timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 8)),
                    "attendance": attendance,
                }
            )
    upsert_many(Registration, rows, key=("session", "participant"))


def _load_topic_vote(rng, programme, participants):
    s3 = programme.sessions.get(number=3)
    proposals = upsert_many(
        TopicProposal,
        [
            {"session": s3, "title": title, "description": description, "proposed_by": participants[3 * index]}
            for index, (title, description) in enumerate(TOPICS)
        ],
        key=("session", "title"),
    )
    votes = upsert_many(
        TopicVote,
        [
            {"participant": participant, "proposal": rng.choices(proposals, weights=TOPIC_WEIGHTS)[0]}
            for participant in participants
        ],
        key=("participant",),
    )
    # The coordinator closed the vote; the most voted topic (the first in the list on a tie) won.
    tally = Counter(vote.proposal_id for vote in votes)
    winner = max(proposals, key=lambda proposal: tally[proposal.pk])
    update(s3, topic=winner.title, topic_vote_open=False, topic_vote_closed_at=VOTE_CLOSED_AT)


def _load_follow_ups(rng, participants, coordinator):
    enrolments = list({participant.enrolment_id: participant.enrolment for participant in participants}.values())
    enrolments.sort(key=lambda enrolment: enrolment.network.name)
    follow_ups = []
    for index, enrolment in enumerate(enrolments):
        follow_ups.append(
            {
                "enrolment": enrolment,
                "held_on": dt.date(2018, 5, 14) + dt.timedelta(days=4 * index),
                "kind": rng.choice(FollowUp.Kind.values),
                "coordinator": coordinator,
                "private_notes": "Notes internes fictives : le binôme avance sur l'inventaire des partenariats.",
                "shared_summary": (
                    "Point d'étape (fictif) : inventaire des partenariats complété, freins identifiés, "
                    "premières pistes pour la feuille de route."
                ),
            }
        )
    upsert_many(FollowUp, follow_ups, key=("enrolment", "held_on"))
    upsert_many(
        FieldVisit,
        [
            {
                "enrolment": enrolment,
                "visited_on": dt.date(2018, 6, 12) + dt.timedelta(days=15 * index),
                "place": place,
                "coordinator": coordinator,
                "shared_summary": "Visite terrain (fictive) : rencontre avec deux associations membres et un partenaire local.",
            }
            for index, (enrolment, place) in enumerate(zip(enrolments, FIELD_VISIT_PLACES, strict=False))
        ],
        key=("enrolment", "visited_on"),
    )


# --- The current edition (alliances/demo.py) -------------------------------------------------

# Session number: (days from the anchor, venue). S1 is past; S2, in 6 days, is the one whose
# « J-7 » reminder is already due on the day the edition is created (a missed reminder goes at the
# next run: alliances.notifications.current_offset), so a fresh `make run` sends it at once.
CURRENT_SESSIONS = {1: (-20, "Paris"), 2: (6, "Lyon"), 3: (55, "Paris"), 4: (110, "Paris")}
# S2's answers so far, by position in the participants' list: the others have not answered.
S2_ANSWERS = {0: Registration.Rsvp.CONFIRMED, 2: Registration.Rsvp.CONFIRMED, 4: Registration.Rsvp.CONFIRMED}
S2_DECLINED = {5: "Conseil d'administration du réseau ce jour-là."}


def load_current(programme, *, anchor, participants, coordinator):
    """The current edition's sessions (S1 past with its attendance, S2 in 6 days with answers
    missing), a welcome announcement and a first follow-up."""
    rng = random.Random(2026)
    themes = themes_by_order(programme)
    sessions = {}
    for spec in sessions_pilot.SESSIONS:
        days, venue = CURRENT_SESSIONS[spec["number"]]
        session, created = upsert(
            Session,
            {"programme": programme, "number": spec["number"]},
            {
                "code": spec["code"],
                "title": spec["title"],
                "theory": spec["theory"],
                "applied_work": spec["applied_work"],
                "starts_at": at(anchor, days, 9, 30),
                "ends_at": at(anchor, days, 17, 30),
                "venue": venue,
            },
        )
        if created:
            session.themes.set([themes[order] for order in spec["themes"]])
        if spec["inspiring"]:
            speaker_kind, description = spec["inspiring"]
            upsert(InspiringMeeting, {"session": session}, {"speaker_kind": speaker_kind, "description": description})
        sessions[spec["number"]] = session

    s1, s2 = sessions[1], sessions[2]
    rows = []
    for participant in participants:
        confirmed = rng.random() < 0.85
        rows.append(
            {
                "session": s1,
                "participant": participant,
                "rsvp": Registration.Rsvp.CONFIRMED if confirmed else Registration.Rsvp.DECLINED,
                "rsvp_comment": "" if confirmed else rng.choice(DECLINE_COMMENTS),
                "responded_at": s1.starts_at - dt.timedelta(days=rng.randint(3, 12)),
                "attendance": Registration.Attendance.PRESENT if confirmed else Registration.Attendance.EXCUSED,
            }
        )
    for index, participant in enumerate(participants):
        rsvp = S2_ANSWERS.get(index) or (Registration.Rsvp.DECLINED if index in S2_DECLINED else None)
        if rsvp is None:
            continue  # no answer yet: « sans réponse »
        rows.append(
            {
                "session": s2,
                "participant": participant,
                "rsvp": rsvp,
                "rsvp_comment": S2_DECLINED.get(index, ""),
                "responded_at": at(anchor, -index - 1, 10),
                "attendance": "",
            }
        )
    upsert_many(Registration, rows, key=("session", "participant"))
    upsert_many(
        Announcement,
        [
            {
                "programme": programme,
                "title": "Bienvenue dans la nouvelle promotion",
                "published_at": at(anchor, -55, 10),
                "body": (
                    "Le parcours démarre : la session S1 « Comprendre » réunit bientôt les réseaux de la promotion. "
                    "Pensez à répondre aux invitations et à compléter l'inventaire de vos partenariats."
                ),
                "author": coordinator,
            }
        ],
        key=("programme", "title"),
    )
    enrolments = list({participant.enrolment_id: participant.enrolment for participant in participants}.values())
    upsert_many(
        FollowUp,
        [
            {
                "enrolment": enrolments[0],
                "held_on": anchor - dt.timedelta(days=15),
                "kind": FollowUp.Kind.CALL,
                "coordinator": coordinator,
                "private_notes": "Notes internes fictives : inventaire en cours, feuille de route à reprendre.",
                "shared_summary": "Point d'étape (fictif) après la session S1.",
            }
        ],
        key=("enrolment", "held_on"),
    )
    return sessions


@demo_loaders.register
class SessionsDemo(DemoLoader):
    """Reads the networks' participants; leaves ``shared["current_sessions"]`` for the evaluation."""

    key = "sessions"
    order = 20
    after = ("networks",)

    def load(self, run: DemoRun) -> None:
        load(run.pilot, participants=run.shared["participants"], coordinator=run.coordinator)

    def load_current(self, run: DemoRun) -> None:
        run.shared["current_sessions"] = load_current(
            run.current, anchor=run.anchor, participants=run.shared["current_participants"], coordinator=run.coordinator
        )

    def current_summary(self, current) -> list[str]:
        next_session = current.sessions.filter(starts_at__gt=timezone.now()).order_by("starts_at").first()
        if next_session is None:
            return []
        return [
            f"  Prochaine session : {next_session.code} le {timezone.localtime(next_session.starts_at):%d/%m/%Y}, "
            "des réponses manquent ; son rappel part avec la tâche périodique (make run)."
        ]
