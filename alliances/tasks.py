"""Celery tasks of the core: the reminders job, its batches, and the nightly cleanups.

Thin by design: they pass ids and call :mod:`alliances.notifications`, where the
rules live. Every task is idempotent (the database records what was sent), so
``acks_late`` redelivery, a retry or two workers running the same chunk never
send a message twice; hence the sending tasks retry database errors (an outage,
a restart, a failover) instead of leaving their work to the next periodic run.

``send_password_reset`` sends one reset link, queued by the request page: a redelivery
may send the same person a second link, which is harmless (each link works until the
password changes).

The beat schedule (django-celery-beat, editable in the admin) is created by the
migration ``alliances/0004_periodic_tasks``: ``alliances.send_reminders`` every
15 minutes and ``alliances.clear_sessions`` every night; the migration
``alliances/0007_login_records_purge_task`` adds ``alliances.purge_login_records``.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError

from alliances import login_records, notifications
from alliances.password_reset import password_reset_send

logger = logging.getLogger(__name__)


def _visibility_timeout():
    return int((getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).get("visibility_timeout", 3600))


def bounded_countdown(seconds):
    """A countdown the broker can hold: Redis redelivers a task not acknowledged within its visibility
    timeout, so an ETA beyond it would run twice. The database still guards against that; this keeps it rare."""
    return max(1, min(int(seconds), _visibility_timeout() - 60))


def dispatch_to_workers(ids):
    """Queue one batch, once the surrounding transaction (if any) has committed."""
    send_notifications.delay_on_commit(list(ids))


def raise_database_retry(task, exc, *, retries, args=(), kwargs=None):
    """The database is unreachable or dropped the connection: raise Celery's retry of ``task``.

    Always raises: the retry, on a fresh connection, after ``DATABASE_BACKOFF`` (5, 10, 20,
    then every 30 s), at most ``DATABASE_RETRIES`` times in a row (``retries`` so far); past
    that, or run in-process (the embedded default), ``exc`` itself: the rows are still in the
    database, and the next periodic run finds them.
    """
    notifications.drop_database_connection()
    if task.request.is_eager or retries >= notifications.DATABASE_RETRIES:
        raise exc
    countdown = notifications.database_backoff(retries + 1)
    logger.warning("Database unavailable (%s): %s retried in %s s", exc, task.name, countdown)
    raise task.retry(args=args, kwargs=kwargs or {}, countdown=countdown, exc=exc)


@shared_task(bind=True, name="alliances.send_reminders", max_retries=notifications.DATABASE_RETRIES)
def send_reminders(self):
    """The periodic job (every 15 minutes): find what is due, fan it out to the workers in batches."""
    try:
        report = notifications.run(dispatch=dispatch_to_workers)
    except notifications.DATABASE_ERRORS as exc:
        raise_database_retry(self, exc, retries=self.request.retries)
    if report.errors:
        logger.error("Reminder sources failed: %s", report.errors)
    return report.as_dict()


@shared_task(
    bind=True,
    name="alliances.send_notifications",
    # A safety net only: each kind of retry below has its own, smaller bound.
    max_retries=notifications.CONNECTION_RETRIES + len(notifications.RETRY_BACKOFF) + notifications.DATABASE_RETRIES,
)
def send_notifications(self, notification_ids, connection_retries=0, database_retries=0):
    """Send one batch of notifications over one SMTP connection; retry transient failures with backoff.

    Three kinds of retry. After a database error (PostgreSQL unreachable or restarted),
    the whole batch is retried along ``DATABASE_BACKOFF``, counted in ``database_retries``
    (the batch has recorded what it sent first: see ``send_batch``). After a
    connection-level SMTP failure (the server's fault), the batch is retried along
    ``CONNECTION_BACKOFF`` at most ``CONNECTION_RETRIES`` times in a row, counted in
    ``connection_retries``; no message is charged an attempt. After a message's own
    transient failure (4xx), it is retried along ``RETRY_BACKOFF``, bounded by its
    attempts (``MAX_ATTEMPTS``). When the retries run out, the rows are still pending in
    the database with their next due time: the periodic job picks them up.
    """
    try:
        report = notifications.send_batch(notification_ids, connection_retries=connection_retries)
    except notifications.DATABASE_ERRORS as exc:
        raise_database_retry(
            self,
            exc,
            retries=database_retries,
            args=[notification_ids],
            kwargs={"connection_retries": connection_retries, "database_retries": database_retries + 1},
        )
    # Run in-process (the embedded default), a retry would happen at once and its exception would
    # reach the caller: there the rows simply wait, pending, for the next run of the job.
    if not report.retry_ids or self.request.is_eager or self.request.retries >= self.max_retries:
        return report.as_dict()
    if report.connection_failed and connection_retries >= notifications.CONNECTION_RETRIES:
        return report.as_dict()
    # The ladder of connection retries starts again once a connection has worked.
    connection_retries = connection_retries + 1 if report.connection_failed else 0
    raise self.retry(
        args=[report.retry_ids],
        kwargs={"connection_retries": connection_retries},
        countdown=bounded_countdown(report.retry_in or 60),
    )


@shared_task(name="alliances.clear_sessions")
def clear_sessions():
    """Delete expired web sessions (Django's ``clearsessions``), every night."""
    call_command("clearsessions")


@shared_task(name="alliances.purge_login_records")
def purge_login_records():
    """Delete the login records older than ``LOGIN_RECORDS_RETENTION_DAYS`` (RGPD), every night."""
    deleted = login_records.login_records_purge()
    logger.info("Login records purged: %s", deleted)
    return deleted


@shared_task(bind=True, name="alliances.send_password_reset", max_retries=len(notifications.RETRY_BACKOFF))
def send_password_reset(self, email, base_url, language=None):
    """Email the reset link of ``email``'s account, if any; retry when SMTP or the database fails for a while.

    A permanent SMTP refusal is logged and dropped: the person may ask again. Run in-process
    (the embedded default), a failure is only logged, so the request page answers as usual.
    """
    try:
        return password_reset_send(email=email, base_url=base_url, language=language)
    except (OSError, DatabaseError) as exc:  # smtplib's errors are OSErrors
        transient = isinstance(exc, DatabaseError) or notifications.classify(exc) != notifications.PERMANENT
        if transient and not self.request.is_eager and self.request.retries < self.max_retries:
            delay = notifications.RETRY_BACKOFF[self.request.retries]
            raise self.retry(exc=exc, countdown=bounded_countdown(delay)) from exc
        logger.error(
            "Password reset email not sent (attempt %d): %s",
            self.request.retries + 1,
            notifications.describe_error(exc),
        )
        return 0
