"""Committee meeting reminders, sent through the core's notifications.

Found by :func:`alliances.notifications.sources` (autodiscovery of ``reminders``
modules). At each offset of ``Programme.meeting_reminder_offsets`` (« J-7 » by
default, at 8:00), the members of the meeting's committee who have an active
account and keep « rappels des réunions de comité » on receive the date, time,
place and agenda. Members without an account (an organisation not yet linked
to a person) and seats « en cours de validation » are not emailed (as for the
committee packs of ``governance/committee_packs.py``).
"""

import datetime as dt
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from alliances import notifications
from alliances.models import Notification, Programme
from governance.models import CommitteeMember, Meeting

MEETING_REMINDER = "meeting_reminder"
HORIZON = dt.timedelta(days=367)


def meeting_deadline(meeting: Meeting) -> dt.datetime:
    """No reminder after this moment: the meeting's start, or the end of its day when it has no time."""
    tz = timezone.get_default_timezone()
    if meeting.starts_at is not None:
        return timezone.make_aware(dt.datetime.combine(meeting.held_on, meeting.starts_at), tz)
    return timezone.make_aware(dt.datetime.combine(meeting.held_on + dt.timedelta(days=1), dt.time(0, 0)), tz)


def _offsets(programme: Programme) -> list[int]:
    try:
        return programme.meeting_reminder_offsets
    except Exception:  # an invalid value stored outside the form: no reminders rather than a crash
        return []


def _members_with_account(committee_id: int) -> QuerySet[CommitteeMember]:
    return CommitteeMember.objects.filter(
        committee_id=committee_id,
        pending_validation=False,
        user__isnull=False,
        user__is_active=True,
        user__notify_meeting_reminders=True,
    )


@notifications.register
class MeetingReminders(notifications.Source):
    kind = MEETING_REMINDER
    preference = "notify_meeting_reminders"

    def find_due(self, *, now: dt.datetime) -> Iterator[Notification]:
        today = timezone.localdate(now)
        meetings = Meeting.objects.filter(held_on__gte=today, held_on__lte=today + HORIZON).select_related(
            "committee__programme"
        )
        for meeting in meetings:
            programme = meeting.committee.programme
            days = notifications.current_offset(
                meeting.held_on, _offsets(programme), now=now, deadline=meeting_deadline(meeting)
            )
            if days is None:
                continue
            due_at = notifications.reminder_due_at(meeting.held_on, days)
            for user_id in _members_with_account(meeting.committee_id).values_list("user_id", flat=True).distinct():
                yield notifications.due(
                    meeting,
                    kind=f"{self.kind}:{days}",
                    recipient_id=user_id,
                    programme_id=programme.pk,
                    due_at=due_at,
                )

    def build(self, items: list[Notification], *, now: dt.datetime) -> dict[int, notifications.Outcome]:
        groups = notifications.group_by_object(items)
        meetings = Meeting.objects.select_related("committee__programme").in_bulk(
            {object_id for _kind, object_id in groups}
        )
        messages: dict[int, notifications.Outcome] = {}
        for (kind, meeting_id), group in groups.items():
            meeting = meetings.get(meeting_id)
            if meeting is None:
                continue
            outcome = notifications.reminder_outcome(
                kind,
                meeting.held_on,
                _offsets(meeting.committee.programme),
                now=now,
                deadline=meeting_deadline(meeting),
            )
            if outcome is not True:
                messages.update({n.pk: outcome for n in group})
                continue
            members = set(
                _members_with_account(meeting.committee_id)
                .filter(user_id__in=[n.recipient_id for n in group])
                .values_list("user_id", flat=True)
            )
            renderer = notifications.EmailRenderer(
                "meeting_reminder",
                {
                    "meeting": meeting,
                    "committee": meeting.committee,
                    "meeting_url": notifications.absolute_url("committee:meeting", meeting.pk, fallback="/comite/"),
                },
                programme=meeting.committee.programme,
            )
            for notification in group:
                if notification.recipient_id in members:
                    messages[notification.pk] = renderer.email(notification)
        return messages
