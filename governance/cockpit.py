"""The committees' panel of the edition's cockpit (:mod:`alliances.cockpit`).

The meeting pack is a document kind of evaluation (``committee_pack``), which governance may
not import: the panel reads the core's ``Report`` rows of that kind, whose ``meeting``
parameter names the meeting, and the core's ``Notification`` rows of that kind that e-mailed
them. A pack reaches the members either as the notification about the meeting (the automatic
pack, J-n before it) or as the notification about the report (a pack launched from the admin
with « envoi aux membres »): both count as sent.
"""

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict, cast

from django.db.models import Case, F, Max, OuterRef, Q, Subquery, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import cockpit
from alliances.access import CoordinatorHttpRequest
from alliances.models import Notification, Programme, Report
from governance.models import Committee, Decision, Meeting
from governance.selectors import _count, overdue_q
from governance.views import PACK_KIND

OVERDUE_SHOWN = 5  # decision titles listed per committee; the count covers them all
# Committees in the order of their kinds' declaration (pilotage, orientation, technique), not alphabetical.
KIND_ORDER = Case(
    *(When(kind=kind, then=Value(index)) for index, kind in enumerate(Committee.Kind.values)),
    default=Value(len(Committee.Kind.values)),
)


class PackSent(TypedDict):
    """How a meeting's pack went out: to how many members, the last one when."""

    recipients: int
    last: dt.datetime


@dataclass
class CommitteeRow:
    """One committee of the panel, read as the committee itself (``pk``, ``name``, ``kind``) plus its state."""

    committee: Committee
    overdue_total: int
    next_meeting: Meeting | None
    pack: Report | None
    pack_sent: PackSent | None
    overdue_decisions: list[Decision]

    @property
    def pk(self) -> int:
        return self.committee.pk

    @property
    def name(self) -> str:
        return self.committee.name

    @property
    def kind(self) -> str:
        return self.committee.kind

    @property
    def overdue_hidden(self) -> int:
        """The overdue decisions counted but not listed."""
        return self.overdue_total - len(self.overdue_decisions)


class CommitteesData(TypedDict):
    committees: list[CommitteeRow]
    overdue_total: int
    ready: str
    failed: str


@cockpit.register
class CommitteesPanel(cockpit.Panel[CommitteesData]):
    """Each committee: its next meeting, the meeting's pack produced and sent, its overdue decisions.

    Five queries whatever the numbers of committees, meetings, packs, members and decisions:
    the committees with their next meeting and overdue count, those meetings, their packs,
    the packs' sent e-mails, and the first overdue decisions of each committee.
    """

    key = "committees"
    title = _("Comités")
    template = "cockpit/_committees.html"
    order = 60

    def get_data(
        self, programme: Programme, *, request: CoordinatorHttpRequest, today: dt.date, now: dt.datetime
    ) -> CommitteesData | None:
        upcoming = Meeting.objects.filter(committee=OuterRef("pk"), held_on__gte=today).order_by(
            "held_on", "starts_at", "pk"
        )
        overdue = Decision.objects.filter(overdue_q(today), meeting__committee=OuterRef("pk"))
        found = list(
            Committee.objects.filter(programme=programme)
            .annotate(next_meeting_pk=Subquery(upcoming.values("pk")[:1]), overdue_total=_count(overdue))
            .order_by(KIND_ORDER, "name", "pk")
        )
        if not found:
            return None
        meetings = Meeting.objects.in_bulk([c.next_meeting_pk for c in found if c.next_meeting_pk])
        packs, sent = _packs_and_sendings(programme, list(meetings))
        decisions = _first_overdue_decisions(programme, today)
        committees = [
            CommitteeRow(
                committee=committee,
                overdue_total=committee.overdue_total,
                next_meeting=meetings.get(committee.next_meeting_pk),
                pack=packs.get(committee.next_meeting_pk),
                pack_sent=sent.get(committee.next_meeting_pk),
                overdue_decisions=decisions.get(committee.pk, []),
            )
            for committee in found
        ]
        return {
            "committees": committees,
            "overdue_total": sum(c.overdue_total for c in committees),
            "ready": Report.Status.READY,
            "failed": Report.Status.FAILED,
        }

    def alerts(self, data: CommitteesData) -> list[cockpit.Alert]:
        overdue = data["overdue_total"]
        if not overdue:
            return []
        text = ngettext("%(count)d décision en retard", "%(count)d décisions en retard", overdue) % {"count": overdue}
        return [cockpit.Alert(text, self.key)]


def _packs_and_sendings(programme: Programme, meeting_ids: list[int]) -> tuple[dict[int, Report], dict[int, PackSent]]:
    """({meeting id: its pack}, {meeting id: {"recipients": n, "last": datetime}}): two queries.

    A meeting's pack is its latest ready one, else its latest one (being produced, or failed).
    """
    if not meeting_ids:
        return {}, {}
    reports = list(
        Report.objects.filter(programme=programme, kind=PACK_KIND, parameters__meeting__in=meeting_ids)
        .only("pk", "status", "parameters", "created_at", "finished_at")
        .order_by("created_at", "pk")
    )
    meeting_of = {report.pk: report.parameters.get("meeting") for report in reports}
    packs: dict[int, Report] = {}
    for report in reports:  # oldest first: the latest wins, a ready one over any other
        meeting = meeting_of[report.pk]
        if report.status == Report.Status.READY or packs.get(meeting, report).status != Report.Status.READY:
            packs[meeting] = report
    about = Q(content_type__app_label="governance", content_type__model="meeting", object_id__in=meeting_ids)
    if meeting_of:
        about |= Q(content_type__app_label="alliances", content_type__model="report", object_id__in=list(meeting_of))
    rows = (
        Notification.objects.filter(about, programme=programme, kind=PACK_KIND, status=Notification.Status.SENT)
        .values_list("content_type__model", "object_id", "recipient_id")
        .annotate(last=Max("sent_at"))
        .order_by()
    )
    recipients: dict[int, set[int]] = {}
    last: dict[int, dt.datetime] = {}
    for model, object_id, recipient_id, sent_at in rows:
        # A row about a report is about one of these reports (``object_id__in``): its meeting is known.
        meeting = object_id if model == "meeting" else cast(int, meeting_of.get(object_id))
        recipients.setdefault(meeting, set()).add(recipient_id)
        last[meeting] = max(last.get(meeting, sent_at), sent_at)
    return packs, {
        meeting: {"recipients": len(people), "last": last[meeting]} for meeting, people in recipients.items()
    }


def _first_overdue_decisions(programme: Programme, today: dt.date) -> dict[int, list[Decision]]:
    """{committee id: its first overdue decisions (earliest due first, at most OVERDUE_SHOWN)}: one query."""
    ranked = (
        Decision.objects.filter(overdue_q(today), meeting__committee__programme=programme)
        .annotate(
            committee_id=F("meeting__committee_id"),
            rank=Window(
                RowNumber(), partition_by=F("meeting__committee_id"), order_by=[F("due_on").asc(), F("pk").asc()]
            ),
        )
        .filter(rank__lte=OVERDUE_SHOWN)
        .order_by("committee_id", "rank")
    )
    found: dict[int, list[Decision]] = {}
    for decision in ranked:
        found.setdefault(decision.committee_id, []).append(decision)
    return found
