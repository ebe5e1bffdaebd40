"""Celery tasks of the document pipeline (rendering reports to PDF, and its watchdog).

Thin: the task passes the report's id, and its own task id, to
:func:`alliances.documents.report_render`, which claims the report (only one worker renders it),
records READY or FAILED with the message, and leaves a READY report alone. So ``acks_late``
redelivery, a retry or a duplicated message never renders a document twice nor loses one; the
redelivery of a message whose worker died (same task id) takes its claim over at once.

``alliances.recover_reports`` is the watchdog, run by beat every 5 minutes (created by the
migration ``alliances/0009_report_watchdog_periodic_task``): see
:func:`alliances.documents.report_recover_stale`.
"""

from typing import Any

from celery import shared_task

from alliances import notifications
from alliances.documents import report_recover_stale, report_render
from alliances.tasks import raise_database_retry


@shared_task(bind=True, name="alliances.render_report", max_retries=notifications.DATABASE_RETRIES)
def render_report(self: Any, report_id: int, force: bool = False) -> str | None:  # self: the Celery task (no types)
    """Render one report to PDF; returns its final status (or None when it was deleted meanwhile).

    The database gone (an outage, a restart) is retried like the sending tasks' (5, 10, 20, then
    every 30 s): a retry keeps its task id, so it takes over its own claim when the outage came
    mid-render, within the claim's attempts; the report never waits for the watchdog.
    """
    try:
        report = report_render(
            report_id, force=force, task_id=self.request.id or "", raise_database_errors=not self.request.is_eager
        )
    except notifications.DATABASE_ERRORS as exc:
        raise_database_retry(self, exc, retries=self.request.retries, args=[report_id], kwargs={"force": force})
    return report.status if report is not None else None


@shared_task(name="alliances.recover_reports")
def recover_reports() -> dict[str, int]:
    """The watchdog: a report whose worker died is marked « échec » and queued again once."""
    return report_recover_stale()
