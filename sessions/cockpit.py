"""The sessions app's panels of the edition's cockpit (:mod:`alliances.cockpit`).

- « Prochaines sessions »: the next sessions with their confirmed / declined / « sans
  réponse » counts and the names of those without an answer by network (the one definition
  of :mod:`sessions.selectors`), then the attendance of the last past session.
- « Engagement des réseaux »: each agreed network's figures and whether it is « à suivre »,
  by the rules of :mod:`sessions.engagement`, with a prefilled follow-up.

Each costs a fixed number of queries, whatever the numbers of networks, sessions and participants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TypedDict
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import cockpit, relances
from alliances.access import CoordinatorHttpRequest
from alliances.models import Programme, Relance, User
from networks.models import Network, Participant
from sessions import attendance, engagement, selectors
from sessions.admin_filters import NO_ANSWER_PARAMETER
from sessions.attendance import AttendanceTotals
from sessions.engagement import NetworkEngagement
from sessions.models import FollowUp, Session
from sessions.selectors import AnswerCounts

#: How many upcoming sessions the panel shows.
UPCOMING_SHOWN = 3

#: Those without an answer to one session, by network: (network, its participants).
NonRespondents = list[tuple[Network, list[Participant]]]


class SessionRow(TypedDict):
    session: Session
    counts: AnswerCounts
    non_respondents: NonRespondents
    relance: Relance | None  # the latest relance of the session
    admin_url: str
    attendance_url: str
    registrations_url: str
    non_respondents_url: str
    export_url: str


class LastPastSession(TypedDict):
    session: Session
    totals: AttendanceTotals
    attendance_url: str
    export_url: str


class SessionsData(TypedDict):
    rows: list[SessionRow]
    last_past: LastPastSession | None
    add_url: str


class EngagementData(TypedDict):
    networks: list[NetworkEngagement]
    to_follow: int
    rules: list[str]


def non_respondents_by_session(programme: Programme, sessions: Sequence[Session]) -> dict[int, NonRespondents]:
    """``{session.pk: [(network, [participants])]}``: the names the panel lists, in one query.

    One row per expected participant, with one « has answered » flag per session taken from
    :func:`sessions.selectors.answered`: the same condition as ``non_respondents(session)``.
    """
    if not sessions:
        return {}
    flags = {f"answered_{session.pk}": selectors.answered(session) for session in sessions}
    participants = (
        selectors.expected_participants(programme.pk)
        .select_related("user", "enrolment__network")
        .annotate(**flags)
        .order_by("enrolment__network__name", "user__last_name", "user__first_name", "pk")
    )
    grouped: dict[int, dict[Network, list[Participant]]] = {session.pk: {} for session in sessions}
    for participant in participants:
        for session in sessions:
            if not getattr(participant, f"answered_{session.pk}"):
                grouped[session.pk].setdefault(participant.enrolment.network, []).append(participant)
    return {pk: list(by_network.items()) for pk, by_network in grouped.items()}


@cockpit.register
class UpcomingSessionsPanel(cockpit.Panel[SessionsData]):
    """Seven queries: the sessions, their counts (2), the non-respondents, the last past session, its attendance (2)."""

    key = "sessions"
    title = _("Prochaines sessions")
    template = "cockpit/_sessions.html"
    order = 20

    def get_data(
        self, programme: Programme, *, request: CoordinatorHttpRequest, today: dt.date, now: dt.datetime
    ) -> SessionsData:
        upcoming = list(selectors.upcoming_sessions(now).filter(programme=programme)[:UPCOMING_SHOWN])
        counts = selectors.answer_counts(upcoming)
        names = non_respondents_by_session(programme, upcoming)
        latest = relances.latest_for(upcoming)
        registrations = reverse("admin:programme_sessions_registration_changelist")
        participants = reverse("admin:networks_participant_changelist")
        rows: list[SessionRow] = [
            {
                "session": session,
                "counts": counts[session.pk],
                "non_respondents": names[session.pk],
                "relance": latest.get(session.pk),
                "admin_url": reverse("admin:programme_sessions_session_change", args=[session.pk]),
                "attendance_url": reverse("community:attendance", args=[session.pk]),
                "registrations_url": f"{registrations}?{urlencode({'session__id__exact': session.pk})}",
                "non_respondents_url": f"{participants}?{urlencode({NO_ANSWER_PARAMETER: session.pk})}",
                "export_url": reverse("admin:programme_sessions_session_answers_csv", args=[session.pk]),
            }
            for session in upcoming
        ]
        last = selectors.past_sessions(now).filter(programme=programme).first()
        last_past: LastPastSession | None = None
        if last is not None:
            last_past = {
                "session": last,
                "totals": attendance.attendance_totals(last),
                "attendance_url": reverse("community:attendance", args=[last.pk]),
                "export_url": reverse("admin:programme_sessions_session_answers_csv", args=[last.pk]),
            }
        return {
            "rows": rows,
            "last_past": last_past,
            "add_url": f"{reverse('admin:programme_sessions_session_add')}?{urlencode({'programme': programme.pk})}",
        }

    def alerts(self, data: SessionsData) -> list[cockpit.Alert]:
        """The next session that still has people without an answer."""
        for row in data["rows"]:
            missing = row["counts"]["no_answer"]
            if missing:
                text = ngettext(
                    "%(session)s : %(count)d personne sans réponse",
                    "%(session)s : %(count)d personnes sans réponse",
                    missing,
                ) % {"session": row["session"].code, "count": missing}
                return [cockpit.Alert(text, self.key)]
        return []


@cockpit.register
class EngagementPanel(cockpit.Panel[EngagementData]):
    """Four queries (:func:`sessions.engagement.network_engagement`), whatever the numbers of networks."""

    key = "engagement"
    title = _("Engagement des réseaux")
    template = "cockpit/_engagement.html"
    order = 30

    def get_data(
        self, programme: Programme, *, request: CoordinatorHttpRequest, today: dt.date, now: dt.datetime
    ) -> EngagementData:
        networks = engagement.network_engagement(programme, today=today, now=now)
        add = reverse("admin:programme_sessions_followup_add")
        for item in networks:
            if item.to_follow:
                item.follow_up_url = follow_up_url(add, item, user=request.user, today=today)
        return {
            "networks": networks,
            "to_follow": sum(1 for item in networks if item.to_follow),
            "rules": engagement.rules(),
        }

    def alerts(self, data: EngagementData) -> list[cockpit.Alert]:
        count = data["to_follow"]
        if not count:
            return []
        text = ngettext("%(count)d réseau à suivre", "%(count)d réseaux à suivre", count) % {"count": count}
        return [cockpit.Alert(text, self.key)]


def follow_up_url(add_url: str, item: NetworkEngagement, *, user: User, today: dt.date) -> str:
    """The follow-up add form prefilled for ``item``'s network: today, a call, by ``user``, the reasons as notes."""
    parameters = {
        "enrolment": item.enrolment.pk,
        "held_on": today.isoformat(),
        "kind": FollowUp.Kind.CALL,
        "coordinator": user.pk,
        "private_notes": item.follow_up_notes,
    }
    return f"{add_url}?{urlencode(parameters)}"
