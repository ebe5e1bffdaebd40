"""Celery tasks of the core: the reminders job, its batches, and the nightly cleanups.

Thin by design: they pass ids and call :mod:`alliances.notifications`, where the
rules live. Every task is idempotent (the database records what was sent), so
``acks_late`` redelivery, a retry or two workers running the same chunk never
send a message twice.

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


@shared_task(name="alliances.send_reminders")
def send_reminders():
    """The periodic job (every 15 minutes): find what is due, fan it out to the workers in batches."""
    report = notifications.run(dispatch=dispatch_to_workers)
    if report.errors:
        logger.error("Reminder sources failed: %s", report.errors)
    return report.as_dict()


@shared_task(bind=True, name="alliances.send_notifications", max_retries=len(notifications.RETRY_BACKOFF))
def send_notifications(self, notification_ids):
    """Send one batch of notifications over one SMTP connection; retry transient failures with backoff.

    When the retries run out, the rows are still pending in the database with
    their next due time: the periodic job picks them up.
    """
    report = notifications.send_batch(notification_ids, retry_number=self.request.retries)
    # Run in-process (the embedded default), a retry would happen at once and its exception would
    # reach the caller: there the rows simply wait, pending, for the next run of the job.
    if report.retry_ids and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(args=[report.retry_ids], countdown=bounded_countdown(report.retry_in or 60))
    return report.as_dict()


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
