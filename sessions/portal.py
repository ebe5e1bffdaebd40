"""What the portal home needs from sessions: pending RSVPs and the next session.

Each function costs a fixed number of queries whatever the size of the edition.
"""

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from networks.portal import PendingItem
from sessions.models import Registration, Session

ANSWERED = (Registration.Rsvp.CONFIRMED, Registration.Rsvp.DECLINED)


def upcoming_sessions(participant, now=None):
    """The participant's edition's sessions that have not started yet, soonest first."""
    now = now or timezone.now()
    return Session.objects.filter(programme_id=participant.enrolment.programme_id, starts_at__gt=now).order_by(
        "starts_at", "number"
    )


def pending_items(participant, now=None):
    """Sessions not started yet that the participant has not answered (no registration, or still « invité »).

    One query: the answered sessions are excluded through a subquery.
    """
    answered = Registration.objects.filter(participant=participant, rsvp__in=ANSWERED).values("session_id")
    return _pending_items(upcoming_sessions(participant, now).exclude(pk__in=answered))


def _pending_items(sessions):
    return [
        PendingItem(
            label=_("Répondre à l'invitation : %(session)s") % {"session": session},
            url=reverse("sessions:detail", args=[session.pk]),
            due=timezone.localdate(session.starts_at),
            kind="rsvp",
        )
        for session in sessions
    ]


def next_session(participant, now=None):
    """The next session of the participant's edition, with ``my_registration`` (or None) attached: two queries."""
    return next_session_and_pending_items(participant, now)[0]


def next_session_and_pending_items(participant, now=None):
    """The next session (``my_registration`` attached) and the sessions to answer, as the home shows both.

    Two queries: the edition's upcoming sessions (a handful) and, prefetched, the participant's
    registrations to them; the first is the next session, those not answered yet are the pending items.
    """
    sessions = list(
        upcoming_sessions(participant, now).prefetch_related(
            Prefetch(
                "registrations",
                # order_by(): at most one row per session; the default ordering would join five tables.
                queryset=Registration.objects.filter(participant=participant).order_by(),
                to_attr="my_registrations",
            )
        )
    )
    for session in sessions:
        session.my_registration = session.my_registrations[0] if session.my_registrations else None
    unanswered = [s for s in sessions if s.my_registration is None or s.my_registration.rsvp not in ANSWERED]
    return (sessions[0] if sessions else None), _pending_items(unanswered)
