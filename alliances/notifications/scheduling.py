"""What is due: reminders « J-n », the sources' candidates recorded, the periodic job and its dry run."""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, models, transaction
from django.utils import timezone

from alliances.models import Notification
from alliances.notifications.queue import claim_timeout, due_ids, release_stale_claims
from alliances.notifications.registry import CANCEL, Defer, offset_of, sources

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

#: A recorded notification's identity under the unique constraint: (kind, content type, object, recipient).
Key = tuple[str, int, int, int]

logger = logging.getLogger(__name__)

Status = Notification.Status

DEFAULT_BATCH_SIZE = 200


#: Reminders « J-n » leave at this local time, n days before the event's day.
REMINDER_TIME = dt.time(8, 0)


def batch_size() -> int:
    """How many notifications one task (one SMTP connection) sends."""
    return max(1, int(getattr(settings, "NOTIFICATIONS_BATCH_SIZE", DEFAULT_BATCH_SIZE)))


# --- Reminders « J-n » ---------------------------------------------------------------------


def reminder_due_at(day: dt.date, days_before: int) -> dt.datetime:
    """When the reminder « J-``days_before`` » of an event on ``day`` leaves: that morning, local time."""
    moment = dt.datetime.combine(day - dt.timedelta(days=days_before), REMINDER_TIME)
    return timezone.make_aware(moment, timezone.get_default_timezone())


def current_offset(
    day: dt.date | None, offsets: Collection[int], *, now: dt.datetime, deadline: dt.datetime | None
) -> int | None:
    """The reminder that should go out at ``now``: the smallest offset whose time has come, else None.

    None too once ``deadline`` (the event's start) has passed. Only the latest
    due reminder is sent: an event created 3 days ahead gets its « J-7 » message
    now and its « J-1 » the day before, never two messages at once.
    """
    if day is None or deadline is None or now >= deadline:
        return None
    passed = [days for days in offsets if reminder_due_at(day, days) <= now]
    return min(passed) if passed else None


def reminder_outcome(
    kind: str, day: dt.date | None, offsets: Collection[int], *, now: dt.datetime, deadline: dt.datetime | None
) -> Literal[True] | Defer | None:
    """At send time: ``True`` to send the reminder ``kind`` (``…:n``), else CANCEL or Defer.

    Cancelled when the event has started, when the offset was removed from the
    edition's settings, or when a later reminder superseded it; deferred when
    the event was moved later and this reminder is not due yet.
    """
    days = offset_of(kind)
    if day is None or deadline is None or now >= deadline or days not in offsets:
        return CANCEL
    current = current_offset(day, offsets, now=now, deadline=deadline)
    if current == days:
        return True
    if current is None or current > days:
        return Defer(reminder_due_at(day, days))
    return CANCEL


# --- Finding what is due ---------------------------------------------------------------------


def _existing_keys(candidates: Sequence[Notification]) -> set[Key]:
    """(kind, content type, object, recipient) of the candidates that already have a row."""
    if not candidates:
        return set()
    kinds = {c.kind for c in candidates}
    objects = {c.object_id for c in candidates}
    rows = Notification.objects.filter(kind__in=kinds, object_id__in=objects).values_list(
        "kind", "content_type_id", "object_id", "recipient_id"
    )
    return set(rows)


def _key(notification: Notification) -> Key:
    return (notification.kind, notification.content_type_id, notification.object_id, notification.recipient_id)


def find_candidates(*, now: dt.datetime) -> tuple[list[Notification], list[str]]:
    """``(candidates, errors)``: what every source finds due; a failing source does not stop the others."""
    candidates: list[Notification] = []
    errors: list[str] = []
    for source in sources():
        try:
            candidates.extend(source.find_due(now=now))
        except DatabaseError:
            raise
        except Exception as exc:  # a bug in one app's reminders must not stop the others' reminders
            logger.exception("Notification source %r failed to find due notifications", source.kind)
            errors.append(f"{source.kind}: {exc!r}")
    return candidates, errors


def create_due(*, now: dt.datetime, candidates: list[Notification] | None = None) -> int:
    """Record every due notification not recorded yet; returns how many rows were added.

    Idempotent and safe concurrently: ``INSERT … ON CONFLICT DO NOTHING`` under
    the unique constraint (the count of added rows is approximate when two runs race).
    """
    if candidates is None:
        candidates, _errors = find_candidates(now=now)
    existing = _existing_keys(candidates)
    new = [c for c in candidates if _key(c) not in existing]
    Notification.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new)


def chunked(ids: Iterable[int], size: int) -> list[list[int]]:
    ids = list(ids)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


@dataclass
class RunReport:
    created: int = 0
    released: int = 0
    due: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "released": self.released,
            "due": self.due,
            "batches": self.batches,
            "errors": self.errors,
        }


def run(*, dispatch: Callable[[list[int]], object], now: dt.datetime | None = None) -> RunReport:
    """The periodic job: record what is due, recover stale claims, hand the due ids out in chunks.

    ``dispatch(ids)`` sends one chunk: the Celery task queues ``send_notifications``
    (after commit) so that workers share the chunks; ``send_reminders`` may call
    :func:`send_batch` in-process. Safe to run twice, or on two machines at once.
    """
    now = now or timezone.now()
    report = RunReport()
    candidates, report.errors = find_candidates(now=now)
    with transaction.atomic():
        report.created = create_due(now=now, candidates=candidates)
        report.released = release_stale_claims(now=now)
    ids = due_ids(now=now)
    report.due = len(ids)
    for chunk in chunked(ids, batch_size()):
        dispatch(chunk)
        report.batches += 1
    return report


@dataclass
class Planned:
    """What a dry run reports: one notification that would be sent."""

    kind: str
    recipient: object
    obj: object
    due_at: dt.datetime
    recorded: bool


def plan(*, now: dt.datetime | None = None) -> tuple[list[Planned], int, list[str]]:
    """What :func:`run` would send at ``now``, without writing anything (``send_reminders --dry-run``).

    Returns ``(planned, released, errors)``: the notifications that would be sent (new
    ones and recorded pending ones), how many stale claims would be released, and
    the sources that failed.
    """
    now = now or timezone.now()
    candidates, errors = find_candidates(now=now)
    existing = _existing_keys(candidates)
    new = [c for c in candidates if _key(c) not in existing]
    pending = list(Notification.objects.filter(status=Status.PENDING, due_at__lte=now).order_by("due_at", "pk"))
    stale = Notification.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - dt.timedelta(seconds=claim_timeout())
    )
    pending += list(stale)
    everything = new + pending
    objects = _load_objects(everything)
    users = _load_users({n.recipient_id for n in everything})
    planned = [
        Planned(
            kind=n.kind,
            recipient=users.get(n.recipient_id),
            obj=objects.get((n.content_type_id, n.object_id)),
            due_at=n.due_at,
            recorded=n.pk is not None,
        )
        for n in everything
    ]
    return planned, stale.count(), errors


def _load_objects(notifications: Iterable[Notification]) -> dict[tuple[int, int], models.Model]:
    by_type: defaultdict[int, set[int]] = defaultdict(set)
    for n in notifications:
        by_type[n.content_type_id].add(n.object_id)
    found: dict[tuple[int, int], models.Model] = {}
    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        for pk, obj in model._default_manager.in_bulk(ids).items():
            found[(content_type_id, pk)] = obj
    return found


def _load_users(ids: Iterable[int]) -> "Mapping[int, AbstractBaseUser]":
    from django.contrib.auth import get_user_model

    return get_user_model()._default_manager.in_bulk(ids)
