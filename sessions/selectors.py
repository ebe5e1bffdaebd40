"""Who has answered for a session, and who has not: the one definition of « sans réponse ».

Every active participant of an agreed network (:func:`expected_participants`) is
« sans réponse » for each session until they confirm or decline: with no
registration at all, or a registration still « invité ». The cockpit, the admin's
registration filter, the relances and the exports all ask here, so they agree.
"""

import datetime as dt
from collections.abc import Iterable
from typing import TypedDict

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from networks.models import Enrolment, Participant
from sessions.models import Registration, Session

ANSWERED = (Registration.Rsvp.CONFIRMED, Registration.Rsvp.DECLINED)


def expected_participants(programme_id: int) -> QuerySet[Participant]:
    """Participants of an edition's agreed networks with an active account: who each session expects."""
    return Participant.objects.filter(
        enrolment__programme_id=programme_id, enrolment__status=Enrolment.Status.AGREED, user__is_active=True
    )


def answered(session: Session) -> Exists:
    """A subquery condition: the participant (``OuterRef("pk")``) has confirmed or declined ``session``."""
    return Exists(Registration.objects.filter(session=session, participant=OuterRef("pk"), rsvp__in=ANSWERED))


def non_respondents(session: Session) -> QuerySet[Participant]:
    """The expected participants of ``session``'s edition who have neither confirmed nor declined it."""
    return expected_participants(session.programme_id).exclude(answered(session))


class AnswerCounts(TypedDict):
    """How the expected participants of one session have answered (``no_answer``: neither confirmed nor declined)."""

    confirmed: int
    declined: int
    no_answer: int
    expected: int


def answer_counts(sessions: Iterable[Session]) -> dict[int, AnswerCounts]:
    """``{session.pk: AnswerCounts}`` for sessions of one edition: 2 queries."""
    listed = list(sessions)
    if not listed:
        return {}
    programme_id = listed[0].programme_id
    expected = expected_participants(programme_id).count()
    rows = (
        Registration.objects.filter(
            session__in=listed,
            participant__in=expected_participants(programme_id),
        )
        .values("session_id")
        .annotate(
            confirmed=Count("pk", filter=Q(rsvp=Registration.Rsvp.CONFIRMED)),
            declined=Count("pk", filter=Q(rsvp=Registration.Rsvp.DECLINED)),
        )
    )
    counts = {s.pk: AnswerCounts(confirmed=0, declined=0, no_answer=expected, expected=expected) for s in listed}
    for row in rows:
        values = counts[row["session_id"]]
        values["confirmed"], values["declined"] = row["confirmed"], row["declined"]
        values["no_answer"] = expected - row["confirmed"] - row["declined"]
    return counts


# --- Past and upcoming ------------------------------------------------------------------------


def _ends_at_or_starts_at() -> Coalesce:
    """When a session is over: its end, or its start when it has no end."""
    return Coalesce("ends_at", "starts_at")


def upcoming_sessions(now: dt.datetime) -> QuerySet[Session]:
    """Sessions not over at ``now`` (those with no date yet included, last), soonest first.

    The ones that ask for an answer: the cockpit, the admin's « sans réponse » filter and the
    exports all list these.
    """
    return (
        Session.objects.alias(over_at=_ends_at_or_starts_at())
        .filter(Q(over_at__gt=now) | Q(over_at__isnull=True))
        .order_by(F("starts_at").asc(nulls_last=True), "number")
    )


def past_sessions(now: dt.datetime) -> QuerySet[Session]:
    """Sessions over at ``now``, latest first."""
    return (
        Session.objects.alias(over_at=_ends_at_or_starts_at())
        .filter(over_at__lte=now)
        .order_by(F("over_at").desc(), "-number")
    )


#: How the cockpit, the admin and the exports name the answer of an expected participant who has given none.
NO_ANSWER = _("sans réponse")
