"""Sending a batch over one SMTP connection: claim, transfer and record each message in turn."""

import datetime as dt
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast, overload

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError
from django.db import connection as db_connection
from django.db.models import F
from django.utils import timezone, translation

from alliances.models import Notification
from alliances.notifications.errors import (
    CONNECTION,
    DATABASE_ERRORS,
    PERMANENT,
    classify,
    connection_backoff,
    describe_error,
    drop_database_connection,
)
from alliances.notifications.queue import (
    _claim,
    _mark_failed,
    _mark_sent,
    _mark_sent_and_claim,
    _release_claim,
    _release_for_retry,
    record_retry_budget,
)
from alliances.notifications.registry import CANCEL, Defer, Outcome, Source, source_for
from alliances.notifications.transport import _open_session, _transfer

logger = logging.getLogger(__name__)

Status = Notification.Status

DEFAULT_SMTP_TIMEOUT = 30

OnResult = Callable[[Notification, str, str], object]  #: ``on_result(notification, status, error)``
Tell = Callable[..., None]  #: ``tell(notification, status, error="")``: ``on_result`` if there is one
Pair = tuple[Notification, EmailMessage]  #: a message to send and its notification


@dataclass
class BatchReport:
    sent: list[Notification] = field(default_factory=list)
    failed: list[Notification] = field(default_factory=list)
    cancelled: list[Notification] = field(default_factory=list)
    deferred: list[Notification] = field(default_factory=list)
    retry_ids: list[int] = field(default_factory=list)
    retry_in: int | None = None
    #: The SMTP connection failed (its retry follows CONNECTION_BACKOFF, not a message's attempts).
    connection_failed: bool = False
    skipped: int = 0
    connections: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": len(self.sent),
            "failed": len(self.failed),
            "cancelled": len(self.cancelled),
            "deferred": len(self.deferred),
            "retry": len(self.retry_ids),
            "retry_in": self.retry_in,
            "connection_failed": self.connection_failed,
            "skipped": self.skipped,
        }


class _BuildFailure:
    __slots__ = ("error",)

    def __init__(self, error: str) -> None:
        self.error = error


def _build(notifications: Sequence[Notification], *, now: dt.datetime) -> dict[int, Outcome | _BuildFailure]:
    by_source: defaultdict[Source, list[Notification]] = defaultdict(list)
    outcomes: dict[int, Outcome | _BuildFailure] = {}
    for notification in notifications:
        source = source_for(notification.kind)
        if source is None:
            outcomes[notification.pk] = _BuildFailure(f"Type de notification inconnu : {notification.kind}")
        else:
            by_source[source].append(notification)
    for source, items in by_source.items():
        try:
            built: Mapping[int, Outcome | _BuildFailure] = source.build(items, now=now)
        except DatabaseError:
            raise
        except Exception as exc:  # a template or code error: visible in the email log, resendable once fixed
            logger.exception("Notification source %r failed to build its emails", source.kind)
            built = {n.pk: _BuildFailure(f"Impossible de préparer le message : {exc!r}"[:2000]) for n in items}
        for notification in items:
            outcomes[notification.pk] = built.get(notification.pk, CANCEL)
    return outcomes


def _settle_unsendable(notification: Notification, outcome: Outcome | _BuildFailure, report: BatchReport) -> str | None:
    """Cancel, defer or fail a notification that will not be sent now (if it is still pending).

    Returns the status it got (« cancelled », « deferred », « failed »), or None when
    another worker had already dealt with it.
    """
    pending = Notification.objects.filter(pk=notification.pk, status=Status.PENDING)
    if isinstance(outcome, Defer):
        changed, status, bucket = pending.update(due_at=outcome.until), "deferred", report.deferred
    elif isinstance(outcome, _BuildFailure):
        changed = pending.update(status=Status.FAILED, attempts=F("attempts") + 1, last_error=outcome.error)
        status, bucket = "failed", report.failed
    else:
        changed, status, bucket = pending.update(status=Status.CANCELLED), "cancelled", report.cancelled
    if not changed:
        return None
    bucket.append(notification)
    return status


def send_batch(
    ids: Iterable[int],
    *,
    now: dt.datetime | None = None,
    connection_retries: int = 0,
    connection: BaseEmailBackend | None = None,
    on_result: OnResult | None = None,
) -> BatchReport:
    """Send the pending, due notifications among ``ids``, in that order, over one SMTP connection.

    Each message is claimed right before its transfer and recorded right after
    it (see the package docstring for why this is exactly once but for one
    window). ``on_result(notification, status, error)`` is called after each
    outcome (``send_reminders`` prints them). Returns a :class:`BatchReport`;
    its ``retry_ids`` went back to « pending » after a transient failure and are
    due again in ``retry_in`` seconds. ``connection_retries`` says how many
    connection-level failures in a row preceded this batch (the Celery task's
    retries): it picks the step of :data:`CONNECTION_BACKOFF`.
    """
    now = now or timezone.now()
    report = BatchReport()

    def tell(notification: Notification, status: str, error: str = "") -> None:
        if on_result is not None:
            on_result(notification, status, error)

    to_send = _prepare(ids, now=now, report=report, tell=tell)
    if not to_send:
        return report
    if connection is None:
        connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_SMTP_TIMEOUT)
    try:
        _open_session(connection)
    except Exception as exc:
        _postpone(to_send, exc, now, connection_retries, report, tell)
        return report
    report.connections += 1
    _Session(connection, now=now, connection_retries=connection_retries, report=report, tell=tell).send(to_send)
    return report


def _prepare(ids: Iterable[int], *, now: dt.datetime, report: BatchReport, tell: Tell) -> list[Pair]:
    """``[(notification, message)]`` to send among ``ids``, in their order; the others settled.

    What is no longer pending or due is skipped; what its source cancels, defers or cannot
    build is settled now (:func:`_settle_unsendable`).
    """
    order = {pk: position for position, pk in enumerate(dict.fromkeys(ids))}
    notifications = sorted(
        Notification.objects.filter(pk__in=list(order), status=Status.PENDING, due_at__lte=now).select_related(
            "recipient", "programme"
        ),
        key=lambda notification: order[notification.pk],
    )
    report.skipped = len(order) - len(notifications)
    if not notifications:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        outcomes = _build(notifications, now=now)
    to_send: list[Pair] = []
    for notification in notifications:
        outcome = outcomes.get(notification.pk)
        if isinstance(outcome, EmailMessage):
            to_send.append((notification, outcome))
            continue
        status = _settle_unsendable(notification, outcome, report)
        if status is None:
            report.skipped += 1
        else:
            tell(notification, status, getattr(outcome, "error", ""))
    return to_send


class _Session:
    """One batch's open SMTP session: each message claimed, transferred, then recorded, in turn."""

    def __init__(
        self,
        connection: BaseEmailBackend,
        *,
        now: dt.datetime,
        connection_retries: int,
        report: BatchReport,
        tell: Tell,
    ) -> None:
        self.connection, self.now, self.connection_retries = connection, now, connection_retries
        self.report, self.tell = report, tell
        # (notification, token) sent, its « sent » record not written yet: written by the same
        # UPDATE as the next claim, so that each message costs one statement and one commit (the database's
        # round trips and disk flushes cost more than the SMTP transfer itself), and always before
        # the next transfer starts: the duplicate window stays one message.
        self.unrecorded: tuple[Notification, uuid.UUID] | None = None
        # (pk, token) of the claim being made or held, its message not transferred: given back if
        # the database fails before the claim is settled (the claim's commit may have gone through).
        self.held: tuple[int, uuid.UUID] | None = None

    def send(self, to_send: list[Pair]) -> None:
        try:
            for index, (notification, message) in enumerate(to_send):
                token = uuid.uuid4()
                if not self.record_then_claim(notification, token):
                    self.report.skipped += 1  # another worker has it, or has sent it
                    continue
                try:
                    _transfer(self.connection, message)
                except Exception as exc:
                    if not self.settle_failure(notification, token, exc, [*to_send[index + 1 :], to_send[index]]):
                        break
                    continue
                # THE DUPLICATE WINDOW: a crash from here until the next claim's commit (which also
                # records this message as sent), or a database away for longer than the record's
                # retries, leaves this row « sending »: it is sent again once its claim expires.
                # No other message is transferred in between.
                self.unrecorded, self.held = (notification, token), None
            self.record_then_claim()
        except DATABASE_ERRORS:
            # The database went away mid-batch. The rest of the batch waits for the task's retry, but
            # what the database must know is written first, retrying while it is unreachable: the
            # « sent » of the message already transferred (else it would be sent again once its claim
            # expires), and the claim of one not transferred given back (else it would wait for that).
            self.close()
            if _settle_after_database_error(self.unrecorded, self.held) and self.unrecorded is not None:
                self.sent(self.unrecorded[0])
            self.unrecorded = None
            raise
        finally:
            if self.unrecorded is not None:  # leaving on another error: record what was sent, if possible
                try:
                    self.record_then_claim()
                except Exception:
                    logger.exception("Could not record a sent notification: it will be sent again")
            self.close()

    @overload
    def record_then_claim(self) -> bool: ...
    @overload
    def record_then_claim(self, notification: Notification, token: uuid.UUID) -> bool: ...
    def record_then_claim(self, notification: Notification | None = None, token: uuid.UUID | None = None) -> bool:
        """Record the message sent last (if any) and claim ``notification`` (if any); True if claimed."""
        token = cast(uuid.UUID, token)  # the overloads: a token comes with a notification, and only then
        self.held = (notification.pk, token) if notification is not None else None
        if self.unrecorded is None:
            claimed = notification is not None and _claim(notification.pk, token, timezone.now())
        elif notification is None:
            _mark_sent(self.unrecorded[0].pk, self.unrecorded[1])
            claimed = False
        else:
            claimed = _mark_sent_and_claim(self.unrecorded, notification.pk, token, timezone.now())
        if self.unrecorded is not None:
            self.sent(self.unrecorded[0])
            self.unrecorded = None
        if not claimed:
            self.held = None
        return claimed

    def sent(self, notification: Notification) -> None:
        self.report.sent.append(notification)
        self.tell(notification, "sent")

    def settle_failure(
        self, notification: Notification, token: uuid.UUID, exc: Exception, postponed: Sequence[Pair]
    ) -> bool:
        """A transfer failed: record why. Returns whether the batch goes on (False: the connection is lost).

        ``postponed`` are the messages that wait if the connection is lost, this one last.
        """
        kind, error = classify(exc), describe_error(exc)
        if kind == CONNECTION:
            # The server's fault, not this message's: no attempt counted. It goes last in the
            # retry, so that a message which makes the server hang up every time (a timeout on
            # a large attachment…) cannot hold back the rest of its batch.
            logger.warning("SMTP connection lost (%s): the rest of the batch waits", error)
            _release_claim(notification.pk, token)
            self.held = None
            _postpone(postponed, exc, self.now, self.connection_retries, self.report, self.tell)
            return False
        if kind == PERMANENT:
            _mark_failed(notification.pk, token, error)
            retry_at = None
        else:  # transient: pending again later, or failed after MAX_ATTEMPTS
            retry_at = _release_for_retry(notification, token, error, self.now)
        self.held = None
        if retry_at is None:
            self.report.failed.append(notification)
            self.tell(notification, "failed", error)
        else:
            _note_retry(self.report, notification, retry_at, self.now)
            self.tell(notification, "retry", error)
        return True

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # closing a dead connection must not hide what happened
            logger.debug("Error while closing the SMTP connection", exc_info=True)


def _settle_after_database_error(
    unrecorded: tuple[Notification, uuid.UUID] | None, held: tuple[int, uuid.UUID] | None
) -> bool:
    """After a database error mid-batch, record ``unrecorded`` as sent and give ``held`` back.

    ``unrecorded`` is ``(notification, token)`` of a message transferred but not recorded,
    ``held`` is ``(pk, token)`` of a claim perhaps made (its commit may have gone through before
    the connection broke) for a message not transferred. Both writes are conditional on our
    token, so repeating them is harmless. They are retried, on a fresh connection each time,
    for at most :func:`record_retry_budget` seconds (2 s at most between two tries, so they go in
    within 2 s of the database's return): an outage shorter than that duplicates nothing.
    Returns whether they went in; if not, the message will be sent again once its claim expires.
    """
    if unrecorded is None and held is None:
        return True
    deadline = time.monotonic() + record_retry_budget()
    pause = 0.25
    while True:
        drop_database_connection()
        try:
            if unrecorded is not None:
                _mark_sent(unrecorded[0].pk, unrecorded[1])
            if held is not None:
                _release_claim(*held)
            return True
        except DATABASE_ERRORS:
            if db_connection.in_atomic_block or time.monotonic() + pause > deadline:
                if unrecorded is not None:
                    logger.exception(
                        "Could not record notification %s as sent: it is sent again once its claim expires",
                        unrecorded[0].pk,
                    )
                elif held is not None:  # always, as both None returned above: the check says so to the type checker
                    logger.exception("Could not give back claim of notification %s: it waits for its lease", held[0])
                return False
            time.sleep(pause)
            pause = min(pause * 2, 2)


def _note_retry(report: BatchReport, notification: Notification, retry_at: dt.datetime, now: dt.datetime) -> None:
    report.retry_ids.append(notification.pk)
    delay = max(1, int((retry_at - now).total_seconds()))
    report.retry_in = delay if report.retry_in is None else min(report.retry_in, delay)


def _postpone(
    pairs: Sequence[Pair], exc: Exception, now: dt.datetime, connection_retries: int, report: BatchReport, tell: Tell
) -> None:
    """The connection is unusable: these messages wait, without an attempt counted against them."""
    report.connection_failed = True
    retry_at = now + dt.timedelta(seconds=connection_backoff(connection_retries + 1))
    error = describe_error(exc)
    ids = [notification.pk for notification, _message in pairs]
    Notification.objects.filter(pk__in=ids, status=Status.PENDING).update(due_at=retry_at, last_error=error)
    for notification, _message in pairs:
        _note_retry(report, notification, retry_at, now)
        tell(notification, "retry", error)
