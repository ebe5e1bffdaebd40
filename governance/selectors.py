"""Reads of the committee area, reused by the pages (and by the documents built on them).

Every function costs a fixed number of queries, whatever the number of meetings,
members or decisions: counts are computed by the database, rows are joined.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from alliances.models import User
from governance.models import Committee, CommitteeMember, Decision, Meeting, MeetingAttendance

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

OPEN_STATUSES = (Decision.Status.OPEN, Decision.Status.IN_PROGRESS)

# The filters of the decisions log: a status, or one of these two groups.
FILTER_OPEN = "ouvertes"
FILTER_OVERDUE = "en-retard"


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """A correlated COUNT(*) subquery: counts of several relations without multiplying the joined rows."""
    # Func, not Count: an aggregate would add a GROUP BY; this is one COUNT over the filtered rows.
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def overdue_q(today: dt.date | None = None, prefix: str = "") -> Q:
    """Decisions still open whose due date has passed."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}status__in": OPEN_STATUSES, f"{prefix}due_on__lt": today})


def committees_overview(
    committees: QuerySet[Committee], *, user: User, today: dt.date | None = None
) -> QuerySet[Committee]:
    """The committees with what their card shows: meeting counts, next meeting, open and overdue decisions,
    and ``my_seats`` (the user's own seats). Three queries with the pagination's count, for any number."""
    today = today or timezone.localdate()
    meetings = Meeting.objects.filter(committee=OuterRef("pk"))
    decisions = Decision.objects.filter(meeting__committee=OuterRef("pk"))
    next_meeting = meetings.filter(held_on__gte=today).order_by("held_on").values("held_on")[:1]
    return (
        committees.select_related("programme")
        .annotate(
            meeting_total=_count(meetings),
            next_meeting_on=Subquery(next_meeting),
            open_decision_total=_count(decisions.filter(status__in=OPEN_STATUSES)),
            overdue_decision_total=_count(decisions.filter(overdue_q(today))),
        )
        .prefetch_related(
            Prefetch(
                "members",
                queryset=CommitteeMember.objects.filter(user=user).select_related("organisation"),
                to_attr="my_seats",
            )
        )
        .order_by("-programme__starts_on", "programme__name", "kind", "pk")
    )


def committee_members(committee: Committee | int) -> QuerySet[CommitteeMember]:
    """The seats of a committee, organisations first, then named persons."""
    return (
        CommitteeMember.objects.filter(committee=committee)
        .select_related("organisation")
        .order_by(F("organisation__name").asc(nulls_last=True), "person_name", "pk")
    )


def committee_meetings(committee: Committee) -> QuerySet[Meeting]:
    """The meetings of a committee, latest first, with their attendance and decision counts."""
    attendances = MeetingAttendance.objects.filter(meeting=OuterRef("pk"))
    return (
        Meeting.objects.filter(committee=committee)
        .annotate(
            present_total=_count(attendances.filter(status=MeetingAttendance.Status.PRESENT)),
            absent_total=_count(attendances.filter(status=MeetingAttendance.Status.ABSENT)),
            excused_total=_count(attendances.filter(status=MeetingAttendance.Status.EXCUSED)),
            decision_total=_count(Decision.objects.filter(meeting=OuterRef("pk"))),
        )
        .order_by("-held_on", "-starts_at", "-pk")
    )


def meeting_attendance(meeting: Meeting) -> tuple[list[tuple[CommitteeMember, str, StrOrPromise]], dict[str, int]]:
    """Every seat of the meeting's committee with its recorded status ('' when not recorded).

    Two queries: the seats, then the meeting's attendance rows. Returns
    ``(rows, totals)``: rows are ``(member, status, label)``, totals count each status
    and ``not_recorded``.
    """
    statuses = dict(MeetingAttendance.objects.filter(meeting=meeting).order_by().values_list("member_id", "status"))
    labels = dict(MeetingAttendance.Status.choices)
    rows: list[tuple[CommitteeMember, str, StrOrPromise]] = []
    totals = dict.fromkeys(MeetingAttendance.Status.values, 0)
    totals["not_recorded"] = 0
    for member in committee_members(meeting.committee_id):
        status = statuses.get(member.pk, "")
        totals[status or "not_recorded"] += 1
        rows.append((member, status, labels.get(status, "")))
    return rows, totals


def committee_decisions(
    committee: Committee, *, status: str = "", search: str = "", today: dt.date | None = None
) -> QuerySet[Decision]:
    """The decisions log of a committee across its meetings, soonest due first (undated last).

    ``status`` is a Decision status, ``FILTER_OPEN`` (to start or in progress) or
    ``FILTER_OVERDUE`` (open and past due); each row gets ``is_overdue``.
    """
    today = today or timezone.localdate()
    decisions = Decision.objects.filter(meeting__committee=committee).select_related("meeting")
    if status == FILTER_OPEN:
        decisions = decisions.filter(status__in=OPEN_STATUSES)
    elif status == FILTER_OVERDUE:
        decisions = decisions.filter(overdue_q(today))
    elif status:
        decisions = decisions.filter(status=status)
    if search:
        decisions = decisions.filter(
            Q(title__icontains=search) | Q(description__icontains=search) | Q(owner__icontains=search)
        )
    return decisions.order_by(F("due_on").asc(nulls_last=True), "meeting__held_on", "pk")


def meeting_decisions(meeting: Meeting) -> QuerySet[Decision]:
    return Decision.objects.filter(meeting=meeting).order_by(F("due_on").asc(nulls_last=True), "pk")
