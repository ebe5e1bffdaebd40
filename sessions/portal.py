"""What the portal home needs from sessions: the next session, pending RSVPs and the announcements.

Each function costs a fixed number of queries whatever the size of the edition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliances.portal import MAIN, Card, HomePage, HomeParts, PendingItem, home_parts
from networks.models import Participant
from sessions.forms import RsvpForm
from sessions.models import Announcement, Registration, Session
from sessions.services import rsvp_is_open

ANSWERED = (Registration.Rsvp.CONFIRMED, Registration.Rsvp.DECLINED)
ANNOUNCEMENTS_ON_HOME = 5
# The announcements page is built in another part of the portal: link to it only once it exists.
ANNOUNCEMENTS_URL_NAME = "community:announcements"


def upcoming_sessions(participant: Participant, now: dt.datetime | None = None) -> QuerySet[Session]:
    """The participant's edition's sessions that have not started yet, soonest first."""
    now = now or timezone.now()
    return Session.objects.filter(programme_id=participant.enrolment.programme_id, starts_at__gt=now).order_by(
        "starts_at", "number"
    )


def pending_items(participant: Participant, now: dt.datetime | None = None) -> list[PendingItem]:
    """Sessions not started yet that the participant has not answered (no registration, or still « invité »).

    One query: the answered sessions are excluded through a subquery.
    """
    answered = Registration.objects.filter(participant=participant, rsvp__in=ANSWERED).values("session_id")
    return _pending_items(upcoming_sessions(participant, now).exclude(pk__in=answered))


def _pending_items(sessions: Iterable[Session]) -> list[PendingItem]:
    return [
        PendingItem(
            label=_("Répondre à l'invitation : %(session)s") % {"session": session},
            url=reverse("sessions:detail", args=[session.pk]),
            due=timezone.localdate(session.starts_at),
            kind="rsvp",
        )
        for session in sessions
    ]


def next_session(participant: Participant, now: dt.datetime | None = None) -> Session | None:
    """The next session of the participant's edition, with ``my_registration`` (or None) attached: two queries."""
    return next_session_and_pending_items(participant, now)[0]


def next_session_and_pending_items(
    participant: Participant, now: dt.datetime | None = None
) -> tuple[Session | None, list[PendingItem]]:
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
        # An attribute of the instance for the home's template (and next_session's callers): no model field.
        session.my_registration = session.my_registrations[0] if session.my_registrations else None  # type: ignore[attr-defined]
    unanswered = [s for s in sessions if not s.my_registrations or s.my_registrations[0].rsvp not in ANSWERED]
    return (sessions[0] if sessions else None), _pending_items(unanswered)


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@home_parts.register
class SessionsHome:
    """« Prochaine session » (with its RSVP form), the invitations to answer, and « Annonces »."""

    key = "sessions"

    def home(self, page: HomePage) -> HomeParts:
        next_one, pending = next_session_and_pending_items(page.participant, page.now)
        rsvp_form = None
        if next_one is not None:
            registration = next_one.my_registration  # type: ignore[attr-defined]  # set above, for the template
            rsvp_form = RsvpForm(initial={"comment": registration.rsvp_comment if registration else ""})
        announcements = list(
            Announcement.objects.filter(programme=page.programme, published_at__lte=page.now).order_by(
                "-published_at", "-pk"
            )[:ANNOUNCEMENTS_ON_HOME]
        )
        return HomeParts(
            cards=[
                Card("sessions/_home_next_session.html", 10, MAIN),
                Card("sessions/_home_announcements.html", 30, MAIN),
            ],
            pending=pending,
            context={
                "next_session": next_one,
                "next_session_rsvp_open": next_one is not None and rsvp_is_open(next_one, page.now),
                "rsvp_form": rsvp_form,
                "announcements": announcements,
                "announcements_url": _url_or_none(ANNOUNCEMENTS_URL_NAME) if announcements else None,
            },
        )
