"""Celery tasks of the sessions app. Session reminders themselves go through ``alliances.send_reminders``
(see ``sessions/reminders.py``); this module holds what a coordinator triggers by hand."""

from celery import shared_task

from alliances import notifications
from alliances.tasks import dispatch_to_workers
from sessions.models import Announcement
from sessions.reminders import announcement_queue


@shared_task(name="sessions.send_announcement")
def send_announcement(announcement_id):
    """Email one announcement now to the participants who have not had it (idempotent)."""
    announcement = Announcement.objects.filter(pk=announcement_id).first()
    if announcement is None:
        return 0
    ids = announcement_queue(announcement=announcement)
    for chunk in notifications.chunked(ids, notifications.batch_size()):
        dispatch_to_workers(chunk)
    return len(ids)
