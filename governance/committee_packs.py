"""Committee meeting packs sent to the members before each meeting, and on demand.

Automatic packs ride on the notification mechanism (:mod:`alliances.notifications`), whose
periodic job (``alliances.send_reminders``, every 15 minutes) asks each source what is due:

1. *Finding* (pure read, also used by ``send_reminders --dry-run``): for every meeting whose
   « J-n » has come (``n`` = the largest of the edition's ``meeting_reminder_days``, 7 by
   default; ``COMMITTEE_PACK_DAYS_BEFORE`` when the edition has none) and which has not taken
   place, one notification ``committee_pack`` about the meeting per member with an active account
   (members « en cours de validation » excluded). The notification table's unique constraint
   makes it one e-mail per member and meeting, whatever the number of runs.
2. *Building*, at send time: the meeting's automatic pack is fetched or created —
   :func:`pack_for_meeting` locks the meeting row, so two workers create one pack, marked
   ``{"meeting": id, "automatic": true}`` in its parameters — and the e-mail attaches its PDF.
   While the pack is being rendered, the e-mail is deferred (a few minutes); if its rendering
   failed, deferred too, until a coordinator relaunches it from the admin; once the meeting is
   past, cancelled.

On demand, a coordinator launches a pack with « envoi aux membres » from the admin: once it is
rendered, :func:`pack_ready` records one notification about that report per member and hands
them to the workers at once.
"""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from alliances import notifications
from alliances.documents import report_filename, report_request, report_title
from alliances.models import Notification, Programme, Report
from governance.models import Committee, CommitteeMember, Meeting

KIND = "committee_pack"
COMMITTEE_PACK = "committee_pack"
DEFAULT_DAYS_BEFORE = 7
# How long an e-mail waits for its pack to be rendered (or relaunched after a failure).
WAIT_FOR_RENDER = dt.timedelta(minutes=5)
WAIT_AFTER_FAILURE = dt.timedelta(hours=1)
# The furthest ahead a pack can be sent (the largest offset an edition accepts).
MAX_DAYS_BEFORE = 365


def days_before(programme: Programme) -> int:
    """How many days before a meeting its pack is generated and sent."""
    offsets = programme.meeting_reminder_offsets
    if offsets:
        return max(offsets)
    return int(getattr(settings, "COMMITTEE_PACK_DAYS_BEFORE", DEFAULT_DAYS_BEFORE))


def recipients(committee_ids: Iterable[int]) -> "QuerySet[CommitteeMember, tuple[int, int]]":
    """(committee id, user id) of the members who receive packs: a linked, active account, validated seat."""
    return (
        CommitteeMember.objects.filter(
            committee_id__in=list(committee_ids), user__isnull=False, user__is_active=True, pending_validation=False
        )
        .order_by()
        .values_list("committee_id", "user_id")
    )


def automatic_pack(meeting: Meeting) -> Report | None:
    return (
        Report.objects.filter(
            kind=COMMITTEE_PACK, programme_id=meeting.committee.programme_id, parameters__meeting=meeting.pk
        )
        .filter(parameters__automatic=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def pack_for_meeting(meeting: Meeting) -> Report:
    """The meeting's automatic pack, created (and its rendering queued) the first time: exactly one per meeting.

    The meeting row is locked while we look for the pack and create it, so concurrent callers
    (two workers building e-mails for two members) wait for each other and find the first one's pack.
    """
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().select_related("committee__programme").get(pk=meeting.pk)
        existing = automatic_pack(locked)
        if existing is not None:
            return existing
        report = report_request(
            kind=COMMITTEE_PACK,
            programme=locked.committee.programme,
            parameters={"committee": locked.committee.kind, "meeting": locked.pk, "automatic": True},
            requested_by=None,
        )
    report.refresh_from_db()  # rendered already when tasks run in-process (embedded default)
    return report


def _email(notification: Notification, report: Report, pdf: bytes, meeting: Meeting | None) -> EmailMessage:
    return notifications.build_email(
        "committee_pack",
        {
            "committee": meeting.committee if meeting else None,
            "meeting": meeting,
            "title": report_title(report),
            "download_url": notifications.absolute_url("documents:download", report.pk),
            "committee_url": notifications.absolute_url("committee:index", fallback="/comite/"),
        },
        notification=notification,
        attachments=[(report_filename(report), pdf, "application/pdf")],
    )


def _read(report: Report, cache: dict[int, bytes]) -> bytes:
    if report.pk not in cache:
        with report.file.open("rb") as handle:
            cache[report.pk] = handle.read()
    return cache[report.pk]


@notifications.register
class CommitteePackSource(notifications.Source):
    kind = KIND
    preference = "notify_meeting_reminders"

    def find_due(self, *, now: dt.datetime) -> list[Notification]:
        today = timezone.localdate(now)
        meetings = (
            Meeting.objects.filter(held_on__gte=today, held_on__lte=today + dt.timedelta(days=MAX_DAYS_BEFORE))
            .select_related("committee__programme")
            .order_by("held_on", "pk")
        )
        due_meetings: dict[int, tuple[Meeting, dt.datetime]] = {}
        for meeting in meetings:
            due_at = notifications.reminder_due_at(meeting.held_on, days_before(meeting.committee.programme))
            if due_at <= now:
                due_meetings[meeting.pk] = (meeting, due_at)
        if not due_meetings:
            return []
        by_committee: dict[int, list[tuple[Meeting, dt.datetime]]] = {}
        for meeting, due_at in due_meetings.values():
            by_committee.setdefault(meeting.committee_id, []).append((meeting, due_at))
        found: list[Notification] = []
        for committee_id, user_id in recipients(by_committee):
            for meeting, due_at in by_committee[committee_id]:
                found.append(
                    notifications.due(
                        meeting,
                        kind=KIND,
                        recipient_id=user_id,
                        programme_id=meeting.committee.programme_id,
                        due_at=due_at,
                    )
                )
        return found

    def build(self, notifications_: list[Notification], *, now: dt.datetime) -> dict[int, notifications.Outcome]:
        today = timezone.localdate(now)
        meeting_type = ContentType.objects.get_for_model(Meeting).id
        report_type = ContentType.objects.get_for_model(Report).id
        wanted: dict[int, set[int]] = {meeting_type: set(), report_type: set()}
        for notification in notifications_:
            wanted.setdefault(notification.content_type_id, set()).add(notification.object_id)
        reports = Report.objects.filter(kind=COMMITTEE_PACK).in_bulk(wanted[report_type])
        meeting_ids = wanted[meeting_type] | {r.parameters.get("meeting") for r in reports.values()} - {None}
        meetings = Meeting.objects.select_related("committee__programme").in_bulk(meeting_ids)
        # The committee of an on-demand pack: its meeting's, else the edition's committee of that kind.
        committees = {
            (programme_id, kind): pk
            for pk, programme_id, kind in Committee.objects.filter(
                programme_id__in={r.programme_id for r in reports.values()}
            ).values_list("pk", "programme_id", "kind")
        }
        members = set(recipients({m.committee_id for m in meetings.values()} | set(committees.values())))
        packs: dict[int, Report] = {}
        files: dict[int, bytes] = {}
        results: dict[int, notifications.Outcome] = {}
        report: Report | None
        committee_id: int | None
        for notification in notifications_:
            if notification.content_type_id == meeting_type:
                meeting = meetings.get(notification.object_id)
                if meeting is None or meeting.held_on < today:
                    results[notification.pk] = notifications.CANCEL
                    continue
                if meeting.pk not in packs:
                    packs[meeting.pk] = pack_for_meeting(meeting)
                report = packs[meeting.pk]
                committee_id = meeting.committee_id
            else:
                report = reports.get(notification.object_id)
                if report is None:
                    results[notification.pk] = notifications.CANCEL
                    continue
                meeting = meetings.get(report.parameters.get("meeting"))
                committee_id = (
                    meeting.committee_id
                    if meeting
                    else committees.get((report.programme_id, report.parameters.get("committee")))
                )
            if (committee_id, notification.recipient_id) not in members:
                results[notification.pk] = notifications.CANCEL  # no longer sits on the committee
            elif report.status == Report.Status.READY:
                results[notification.pk] = _email(notification, report, _read(report, files), meeting)
            elif report.status == Report.Status.FAILED:
                results[notification.pk] = notifications.Defer(now + WAIT_AFTER_FAILURE)
            else:
                results[notification.pk] = notifications.Defer(now + WAIT_FOR_RENDER)
        return results


def pack_ready(report: Report) -> None:
    """After a pack is rendered: when it was asked « envoi aux membres », e-mail it to them now."""
    if not report.parameters.get("send") or report.parameters.get("automatic"):
        return
    meeting = Meeting.objects.filter(pk=report.parameters.get("meeting")).select_related("committee").first()
    committee_ids = (
        [meeting.committee_id]
        if meeting
        else list(
            report.programme.committees.filter(kind=report.parameters.get("committee")).values_list("pk", flat=True)
        )
    )
    now = timezone.now()
    candidates = [
        notifications.due(report, kind=KIND, recipient_id=user_id, programme_id=report.programme_id, due_at=now)
        for _committee_id, user_id in recipients(committee_ids)
    ]
    notifications.create_due(now=now, candidates=candidates)
    ids = list(
        Notification.objects.filter(
            kind=KIND,
            content_type=ContentType.objects.get_for_model(Report),
            object_id=report.pk,
            status=Notification.Status.PENDING,
        ).values_list("pk", flat=True)
    )
    if ids:
        from alliances.tasks import dispatch_to_workers

        dispatch_to_workers(ids)
