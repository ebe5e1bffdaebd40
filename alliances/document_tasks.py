"""Celery tasks of the document pipeline (rendering reports to PDF).

Thin: the task passes the report's id to :func:`alliances.documents.report_render`, which
claims the report (only one worker renders it), records READY or FAILED with the message,
and leaves a READY report alone. So ``acks_late`` redelivery, a retry or a duplicated message
never renders a document twice nor loses one.
"""

from celery import shared_task

from alliances.documents import report_render


@shared_task(name="alliances.render_report")
def render_report(report_id, force=False):
    """Render one report to PDF; returns its final status (or None when it was deleted meanwhile)."""
    report = report_render(report_id, force=force)
    return report.status if report is not None else None
