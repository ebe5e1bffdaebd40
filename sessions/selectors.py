"""Who has answered for a session, and who has not: the one definition of « sans réponse ».

Every active participant of an agreed network (:func:`expected_participants`) is
« sans réponse » for each session until they confirm or decline: with no
registration at all, or a registration still « invité ». The cockpit, the admin's
registration filter, the relances and the exports all ask here, so they agree.
"""

from django.db.models import Count, Exists, OuterRef, Q

from networks.models import Enrolment, Participant
from sessions.models import Registration

ANSWERED = (Registration.Rsvp.CONFIRMED, Registration.Rsvp.DECLINED)


def expected_participants(programme_id):
    """Participants of an edition's agreed networks with an active account: who each session expects."""
    return Participant.objects.filter(
        enrolment__programme_id=programme_id, enrolment__status=Enrolment.Status.AGREED, user__is_active=True
    )


def answered(session):
    """A subquery condition: the participant (``OuterRef("pk")``) has confirmed or declined ``session``."""
    return Exists(Registration.objects.filter(session=session, participant=OuterRef("pk"), rsvp__in=ANSWERED))


def non_respondents(session):
    """The expected participants of ``session``'s edition who have neither confirmed nor declined it."""
    return expected_participants(session.programme_id).exclude(answered(session))


def answer_counts(sessions):
    """``{session.pk: {"confirmed", "declined", "no_answer", "expected"}}`` for sessions of one edition: 2 queries."""
    sessions = list(sessions)
    if not sessions:
        return {}
    programme_id = sessions[0].programme_id
    expected = expected_participants(programme_id).count()
    rows = (
        Registration.objects.filter(
            session__in=sessions,
            participant__in=expected_participants(programme_id),
        )
        .values("session_id")
        .annotate(
            confirmed=Count("pk", filter=Q(rsvp=Registration.Rsvp.CONFIRMED)),
            declined=Count("pk", filter=Q(rsvp=Registration.Rsvp.DECLINED)),
        )
    )
    counts = {s.pk: {"confirmed": 0, "declined": 0, "expected": expected} for s in sessions}
    for row in rows:
        counts[row["session_id"]].update(confirmed=row["confirmed"], declined=row["declined"])
    for values in counts.values():
        values["no_answer"] = values["expected"] - values["confirmed"] - values["declined"]
    return counts
