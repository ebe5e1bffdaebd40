"""PDF rendering through a real Redis and a real ``celery worker``, killed with SIGKILL mid-render.

1. The pool process rendering the document is killed (out of memory, say): the worker's main
   process sees it die and the broker redelivers the message (``acks_late`` +
   ``reject_on_worker_lost``) with the same task id. That redelivery takes its own claim over and
   the document ends READY — before, it returned at once (the claim was younger than 420 s) and
   the document stayed « en cours » for ever.
2. The whole worker is killed (every process at once: a machine lost). No redelivery comes within
   the broker's visibility timeout (an hour); the watchdog does: run as beat runs it, at a time
   past the hard time limit, it marks the report « échec » with a French message and queues it
   again, and a new worker renders it READY.

The render is held in its first attempt by a document kind that a small app, installed in the
worker only, registers: it is the dashboard, that waits on its first attempt until it is killed.
Runs only with ``REDIS_URL`` and a PostgreSQL ``DATABASE_URL``, like tests/alliances/test_worker_integration.py.
"""

import datetime as dt
import os
import signal
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from alliances.celery import app
from alliances.document_tasks import render_report
from alliances.documents import report_recover_stale, stale_after
from alliances.models import Report
from tests import factories
from tests.alliances.test_worker_integration import (
    DATABASE_URL,
    REDIS_URL,
    ROOT,
    Worker,
    _purge,
    _skip_reason,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(_skip_reason()), reason=_skip_reason() or "-")]

SLOW_KIND = "held_dashboard"

WORKER_SETTINGS = '''
"""Settings of the worker started by tests/alliances/test_worker_documents.py."""
import os

from alliances.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "held_documents"]  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_CELERY_QUEUE"]
'''

HELD_APP = '''
"""A document kind for the test: the dashboard, held in its first attempt until the test kills its process."""
import os
import time
from pathlib import Path

from django.apps import AppConfig


def build(programme, parameters, report=None):
    from evaluation.documents import build_dashboard

    markers = Path(os.environ["TEST_RENDER_MARKERS"])
    attempt = len(list(markers.glob(f"{report.pk}-attempt-*"))) + 1
    (markers / f"{report.pk}-attempt-{attempt}").write_text(str(os.getpid()))
    if attempt == 1:
        time.sleep(120)  # killed long before
    return build_dashboard(programme, parameters, report)


class HeldDocumentsConfig(AppConfig):
    name = "held_documents"

    def ready(self):
        from alliances.documents import DocumentKind, register

        register(
            DocumentKind(
                code="held_dashboard",
                label="Tableau de bord retenu",
                template_name="documents/dashboard.html",
                build_context=build,
                committee_visible=False,
            )
        )
'''


@pytest.fixture
def worker_env(transactional_db, tmp_path):
    """``start()`` → a running Worker on a queue of its own; this process publishes there too."""
    (tmp_path / "worker_settings.py").write_text(WORKER_SETTINGS, encoding="utf-8")
    (tmp_path / "held_documents").mkdir()
    (tmp_path / "held_documents" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "held_documents" / "apps.py").write_text(HELD_APP, encoding="utf-8")
    markers = tmp_path / "markers"
    markers.mkdir()
    database_url = urlsplit(DATABASE_URL)._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    queue = f"alliances-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "worker_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "integration-test-only-secret-key-0123456789",
        "TEST_CELERY_QUEUE": queue,
        "TEST_RENDER_MARKERS": str(markers),
    }
    workers = []

    def start():
        worker = Worker(env, tmp_path / f"worker-{len(workers)}.log").start()
        workers.append(worker)
        return worker

    start.queue = queue
    start.markers = markers
    app.conf.task_always_eager = False
    _route_renders_to(queue)  # what the watchdog queues from this process goes to the test's workers
    yield start
    app.conf.task_always_eager = True
    _route_renders_to(None)
    for worker in workers:
        worker.stop()
    _purge(queue)


def _route_renders_to(queue):
    """Route this process's renders to ``queue`` (None: back to the default). Celery caches its router on first
    use, so the cached one is dropped for the new routes to apply."""
    app.conf.task_routes = {"alliances.render_report": {"queue": queue}} if queue else None
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


def held_report():
    programme = factories.ProgrammeFactory()
    return factories.ReportFactory(programme=programme, kind=SLOW_KIND, parameters={"title": "Tableau retenu"})


def marker(markers, report, attempt):
    return markers / f"{report.pk}-attempt-{attempt}"


def status(report):
    return Report.objects.filter(pk=report.pk).values_list("status", flat=True).get()


def test_a_render_whose_pool_process_is_killed_is_redelivered_and_ends_ready(worker_env, capsys):
    report = held_report()
    worker = worker_env()
    render_report.apply_async(args=[report.pk], queue=worker_env.queue)
    first = marker(worker_env.markers, report, 1)
    wait_for(first.exists, timeout=60, what="the first attempt to start rendering", workers=[worker])
    assert status(report) == Report.Status.RUNNING
    task_id = Report.objects.get(pk=report.pk).task_id
    assert task_id

    os.kill(int(first.read_text()), signal.SIGKILL)  # the pool process only: its worker lives on
    killed_at = time.monotonic()
    wait_for(lambda: status(report) in {"ready", "failed"}, timeout=90, what="the document to end", workers=[worker])
    took = time.monotonic() - killed_at

    report.refresh_from_db()
    with capsys.disabled():
        print(f"\n[pool process killed mid-render] ended {report.status} {took:.1f} s after the kill")
    assert report.status == Report.Status.READY, report.error
    assert report.task_id == task_id  # the same message, redelivered, rendered it
    assert report.attempts == 2
    assert marker(worker_env.markers, report, 2).exists()
    assert took < stale_after().total_seconds()  # without waiting for the claim to go stale
    with report.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"


def test_a_render_whose_whole_worker_is_killed_is_ended_by_the_watchdog(worker_env, capsys):
    report = held_report()
    first_worker = worker_env()
    render_report.apply_async(args=[report.pk], queue=worker_env.queue)
    wait_for(
        marker(worker_env.markers, report, 1).exists,
        timeout=60,
        what="the first attempt to start rendering",
        workers=[first_worker],
    )
    first_worker.kill()  # every process of the worker at once: the message stays unacknowledged in Redis
    time.sleep(2)
    assert status(report) == Report.Status.RUNNING  # nobody will say otherwise but the watchdog

    second_worker = worker_env()
    # The periodic job, as beat runs it — at a moment past the hard time limit (rather than waiting 7 minutes).
    outcome = report_recover_stale(now=timezone.now() + stale_after() + dt.timedelta(seconds=1))
    assert outcome == {"failed": 1, "requeued": 1}
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "Une nouvelle tentative a été lancée automatiquement." in report.error

    wait_for(lambda: status(report) == "ready", timeout=90, what="the requeued render", workers=[second_worker])
    report.refresh_from_db()
    with capsys.disabled():
        print(f"\n[worker killed mid-render] ended {report.status} after {report.attempts} attempts")
    assert report.error == "" and report.requeued_at is not None
    # The next run of the watchdog has nothing to do.
    assert report_recover_stale(now=timezone.now() + stale_after() + dt.timedelta(seconds=1)) == {
        "failed": 0,
        "requeued": 0,
    }


def test_the_held_app_is_not_installed_here():
    """The held kind exists only in the worker: nothing of it leaks into the project."""
    from alliances.documents import kinds

    assert SLOW_KIND not in {kind.code for kind in kinds()}
    assert not Path(ROOT / "held_documents").exists()
