"""The sessions' part of a generated edition (``generate_scale_data``, plan in ``alliances/scale.py``).

4 sessions (S1–S4) with their inspiring meeting and themes, every participant's registration (RSVP)
and attendance, a resource per session, S3's topic vote (proposals and votes), announcements,
follow-ups and field visits. Reads the networks' ``shared["agreed"]`` and ``shared["participants"]``;
leaves ``shared["sessions"]`` and ``shared["present"]`` (session pk → participants present).
"""

import datetime as dt

from django.utils import timezone

from alliances.loaders import SCALE_EMAIL_DOMAIN, ScaleBuilder, ScaleEdition, scale_builders
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

SESSIONS = [
    (1, "S1", "Cartographier ses partenariats", dt.datetime(2026, 2, 10, 9, 30)),
    (2, "S2", "Dialoguer avec les acteurs publics et privés", dt.datetime(2026, 4, 7, 9, 30)),
    (3, "S3", "Sujet d'approfondissement", dt.datetime(2026, 6, 9, 9, 30)),
    (4, "S4", "Construire sa feuille de route", dt.datetime(2026, 9, 15, 9, 30)),
]
TOPIC_PROPOSALS = ["Les alliances avec les collectivités", "Le mécénat de compétences", "Les fondations"]
ANNOUNCEMENTS = 2


def _aware(value):
    return timezone.make_aware(value, timezone.get_default_timezone())


def build_sessions(edition):
    """S1–S4, their inspiring meetings and themes; return the sessions."""
    sessions = edition.add(
        Session,
        [
            Session(
                programme=edition.programme,
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
    edition.add(
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
    themes, through = edition.themes, Session.themes.through
    edition.add(through, [through(session=s, theme=themes[k % len(themes)]) for k, s in enumerate(sessions)])
    return sessions


def _answer_and_attendance(rng):
    rsvp = rng.choices(Registration.Rsvp.values, weights=[1, 8, 1])[0]
    if rsvp == Registration.Rsvp.CONFIRMED:
        attendance = rng.choices([Registration.Attendance.PRESENT, Registration.Attendance.ABSENT], [9, 1])[0]
    elif rsvp == Registration.Rsvp.DECLINED:
        attendance = Registration.Attendance.EXCUSED
    else:
        attendance = Registration.Attendance.ABSENT
    return rsvp, attendance


def build_registrations(edition, rng, sessions, participants):
    """Every participant invited to every session, answered and marked; return session pk → those present."""
    registrations = []
    present = {}
    for session in sessions:
        present[session.pk] = []
        for participant in participants:
            rsvp, attendance = _answer_and_attendance(rng)
            if attendance == Registration.Attendance.PRESENT:
                present[session.pk].append(participant)
            responded_at = None if rsvp == Registration.Rsvp.INVITED else session.starts_at - dt.timedelta(days=10)
            registrations.append(
                Registration(
                    session=session,
                    participant=participant,
                    rsvp=rsvp,
                    responded_at=responded_at,
                    attendance=attendance,
                )
            )
    edition.add(Registration, registrations)
    return present


def build_community(edition, rng, sessions, participants):
    """The resource library, S3's topic vote and the announcements."""
    themes = edition.themes
    edition.add(
        Resource,
        [
            Resource(
                programme=edition.programme,
                session=session,
                theme=themes[k % len(themes)],
                title=f"Support de la session {session.code}",
                url=f"https://ressources.{SCALE_EMAIL_DOMAIN}/{edition.slug}/{session.code.lower()}/",
            )
            for k, session in enumerate(sessions)
        ],
    )
    vote_session = next(s for s in sessions if s.topic_vote_open)
    proposals = edition.add(
        TopicProposal,
        [
            TopicProposal(session=vote_session, title=title, proposed_by=rng.choice(participants))
            for title in TOPIC_PROPOSALS
        ],
    )
    edition.add(
        TopicVote,
        [TopicVote(proposal=rng.choice(proposals), participant=p) for p in participants if rng.random() < 0.6],
    )
    edition.add(
        Announcement,
        [
            Announcement(
                programme=edition.programme,
                title=f"Annonce {n}",
                body="Nouvelles de la communauté.",
                author=edition.coordinator,
                published_at=_aware(dt.datetime(2026, 1 + 3 * n, 2, 9)),
            )
            for n in range(1, ANNOUNCEMENTS + 1)
        ],
    )


def build_follow_ups(edition, rng, agreed):
    """A follow-up of each agreed network, a field visit of one in three."""
    edition.add(
        FollowUp,
        [
            FollowUp(
                enrolment=enrolment,
                held_on=dt.date(2026, 3, 2) + dt.timedelta(days=7 * k),
                kind=rng.choice(FollowUp.Kind.values),
                coordinator=edition.coordinator,
                private_notes="Notes de suivi.",
                shared_summary="Synthèse partagée avec le réseau.",
            )
            for k, enrolment in enumerate(agreed)
        ],
    )
    edition.add(
        FieldVisit,
        [
            FieldVisit(
                enrolment=enrolment,
                visited_on=dt.date(2026, 5, 4) + dt.timedelta(days=7 * k),
                place="Siège du réseau",
                coordinator=edition.coordinator,
                shared_summary="Synthèse de la visite.",
            )
            for k, enrolment in enumerate(agreed)
            if k % 3 == 0
        ],
    )


@scale_builders.register
class SessionsScale(ScaleBuilder):
    key = "sessions"
    order = 20
    after = ("networks",)

    def build(self, edition: ScaleEdition) -> None:
        rng = edition.rng(self.key)
        participants = edition.shared["participants"]
        sessions = build_sessions(edition)
        edition.shared["present"] = build_registrations(edition, rng, sessions, participants)
        build_community(edition, rng, sessions, participants)
        build_follow_ups(edition, rng, edition.shared["agreed"])
        edition.shared["sessions"] = sessions
