"""The embedded default's worker: the periodic jobs with no server to install.

``make run`` sets ``EMBEDDED_WORKER=true`` and runs ``manage.py run_embedded``, which starts the
web server and, beside it, one Celery worker with beat embedded (solo pool, one task at a time,
django-celery-beat's schedules). Tasks travel through files under ``DATA_DIR/celery/`` (kombu's
``filesystem://`` transport), so nothing else needs to run.

Trade-off of that transport: a message leaves its folder when the worker takes it, so a task the
worker was running when it was killed (SIGKILL, power cut) is lost rather than redelivered. Every
job is idempotent and the database is the source of truth (``alliances.notifications``): the next
run of the periodic job finds what is still due, and the document watchdog takes back a render.
"""

from pathlib import Path

from django.conf import settings

#: The worker's command line, after ``python -m celery``: the schedules from the database, one task
#: at a time in the worker's own process; no gossip, mingle nor heartbeat (events for a cluster,
#: which the filesystem transport cannot broadcast).
WORKER_ARGUMENTS = [
    "-A",
    "alliances",
    "worker",
    "--beat",
    "--scheduler",
    "django_celery_beat.schedulers:DatabaseScheduler",
    "--pool",
    "solo",
    "--concurrency",
    "1",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
    "--hostname",
    "embedded@%h",
    "--loglevel",
    "INFO",
]


def broker_folders():
    """The folders of the filesystem transport, when the settings use it."""
    if settings.CELERY_BROKER_URL != "filesystem://":
        return []
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    return sorted({Path(options[key]) for key in ("data_folder_in", "data_folder_out", "control_folder")})


def ensure_broker_folders():
    """Create the transport's folders (it creates none itself): before any task is queued."""
    for folder in broker_folders():
        folder.mkdir(parents=True, exist_ok=True)
