"""Helpers for the committee area, findings, follow-ups, funnel and duplication tests."""

import datetime as dt

from governance.models import Decision, MeetingAttendance
from tests import factories


def seated_user(committee, **member_fields):
    """A new account sitting on ``committee`` (through an organisation's seat)."""
    member = factories.CommitteeMemberFactory(committee=committee, user=factories.UserFactory(), **member_fields)
    return member.user


def fill_committee(committee, *, members, meetings, decisions, today=None):
    """``members`` seats, ``meetings`` meetings each with every member's attendance, ``decisions``
    decisions spread over the meetings (a third overdue, a third done, a third open and not due)."""
    today = today or dt.date.today()
    seats = [factories.CommitteeMemberFactory(committee=committee) for _ in range(members)]
    held = [
        factories.MeetingFactory(
            committee=committee, held_on=today - dt.timedelta(days=30 * (i + 1)), location="Paris", agenda="1. Point"
        )
        for i in range(meetings)
    ]
    statuses = [MeetingAttendance.Status.PRESENT, MeetingAttendance.Status.ABSENT, MeetingAttendance.Status.EXCUSED]
    MeetingAttendance.objects.bulk_create(
        [
            MeetingAttendance(meeting=meeting, member=seat, status=statuses[j % 3])
            for meeting in held
            for j, seat in enumerate(seats)
        ]
    )
    rows = []
    for i in range(decisions):
        kind = i % 3
        rows.append(
            Decision(
                meeting=held[i % len(held)],
                title=f"Décision {committee.pk}-{i}",
                owner="Le RAMEAU",
                due_on=today - dt.timedelta(days=5) if kind != 2 else today + dt.timedelta(days=20),
                status=Decision.Status.OPEN if kind != 1 else Decision.Status.DONE,
            )
        )
    Decision.objects.bulk_create(rows)
    return seats, held
