"""A render whose worker died never leaves its document « en cours » for ever (issue 13, item 10).

* the redelivery of the same task (same Celery task id) takes its own claim over at once — a bounded
  number of times; a different task still backs off while the claim is young;
* the watchdog (``alliances.recover_reports``) marks a report running past the hard time limit
  « échec » with a French message and queues it again, once;
* the status page and its JSON stop asking to reload on a final state and after a bound;
* « Produire à nouveau » (admin action and status page) renders again from every state.

A worker really killed with SIGKILL mid-render: ``tests/alliances/test_worker_documents.py`` (PostgreSQL + Redis).
"""

import datetime as dt
import importlib
import threading

import pytest
from celery._state import _set_task_join_will_block
from celery.exceptions import Retry
from django.core.files.base import ContentFile
from django.db import OperationalError, connection, connections
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from alliances import documents
from alliances.document_tasks import recover_reports, render_report
from alliances.documents import MAX_RENDER_ATTEMPTS, report_claim, report_recover_stale, report_render, stale_after
from alliances.models import Report
from tests import factories

RUNNING, READY, FAILED, PENDING = (
    Report.Status.RUNNING,
    Report.Status.READY,
    Report.Status.FAILED,
    Report.Status.PENDING,
)


def new_report(programme):
    return documents.report_request(kind="dashboard", programme=programme, parameters={}, enqueue=False)


def long_ago():
    return timezone.now() - stale_after() - dt.timedelta(seconds=30)


def die_while_running(report, *, task_id="dead-task", started_at=None):
    """The state a worker leaves behind when it is killed mid-render: RUNNING, claimed by its task."""
    report_claim(report.pk, task_id=task_id)
    if started_at is not None:
        Report.objects.filter(pk=report.pk).update(started_at=started_at)
    report.refresh_from_db()
    assert report.status == RUNNING
    return report


# --- The claim knows its task ---------------------------------------------------------------------------


def test_the_redelivered_task_takes_its_own_claim_over_at_once(programme):
    report = die_while_running(new_report(programme), task_id="task-1")
    # acks_late: the broker hands the same message (same task id) to another worker process.
    again = report_render(report.pk, task_id="task-1")
    assert again.status == READY
    assert again.attempts == 2


def test_a_different_task_backs_off_while_the_claim_is_young(programme):
    report = die_while_running(new_report(programme), task_id="task-1")
    assert report_render(report.pk, task_id="task-2").status == RUNNING
    assert report_render(report.pk).status == RUNNING  # the command, or an untracked caller, too
    report.refresh_from_db()
    assert (report.task_id, report.attempts) == ("task-1", 1)


def test_the_celery_task_passes_its_id(programme):
    report = die_while_running(new_report(programme), task_id="the-message-id")
    assert render_report.apply(args=[report.pk], task_id="the-message-id").get() == READY
    report.refresh_from_db()
    assert report.task_id == "the-message-id"


def _database_lost_once(monkeypatch):
    """The database goes away once, in the middle of the next render (after its claim)."""
    calls = {"n": 0}
    real = documents.render_document

    def render(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "render_document", render)


def test_a_database_outage_mid_render_is_retried_by_the_worker_and_takes_its_claim_over(programme, monkeypatch):
    report = new_report(programme)
    _database_lost_once(monkeypatch)
    retries = []
    monkeypatch.setattr(render_report, "retry", lambda **kwargs: retries.append(kwargs) or Retry())
    # As a worker runs it (not eagerly): the outage is not the document's fault, no « échec ».
    render_report.push_request(id="the-message-id", retries=0, is_eager=False, called_directly=False)
    try:
        with pytest.raises(Retry):
            render_report.run(report.pk)
    finally:
        render_report.pop_request()
    assert [(call["args"], call["countdown"]) for call in retries] == [([report.pk], 5)]
    report.refresh_from_db()
    assert (report.status, report.task_id, report.error) == (RUNNING, "the-message-id", "")
    # Celery's retry keeps the task id: the retry takes its own claim over at once and renders.
    render_report.push_request(id="the-message-id", retries=1, is_eager=False, called_directly=False)
    try:
        assert render_report.run(report.pk) == READY
    finally:
        render_report.pop_request()
    report.refresh_from_db()
    assert report.attempts == 2


def test_in_process_a_database_error_mid_render_is_recorded_as_a_failure(programme, monkeypatch):
    """The embedded default renders in the request's process: no retry loop there, the report says why."""
    report = new_report(programme)
    _database_lost_once(monkeypatch)
    assert render_report.delay(report.pk).get() == FAILED
    report.refresh_from_db()
    assert report.error.startswith("OperationalError")


def test_a_document_that_kills_every_worker_ends_in_echec(programme):
    report = new_report(programme)
    for _attempt in range(MAX_RENDER_ATTEMPTS):  # each delivery claims, then its worker dies
        assert report_claim(report.pk, task_id="task-1") is not None
    ended = report_render(report.pk, task_id="task-1")
    assert ended.status == FAILED
    assert f"La production a été interrompue {MAX_RENDER_ATTEMPTS} fois" in ended.error
    assert "Produire à nouveau" in ended.error
    assert ended.finished_at is not None


# --- The watchdog ----------------------------------------------------------------------------------------


def test_the_watchdog_marks_a_stale_render_failed_and_queues_it_again_once(
    programme, django_capture_on_commit_callbacks
):
    report = die_while_running(new_report(programme), started_at=long_ago())
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert report_recover_stale() == {"failed": 1, "requeued": 1}
    assert len(queued) == 1
    report.refresh_from_db()
    assert report.status == FAILED and report.requeued_at is not None
    assert report.error.startswith("Le processus qui produisait ce document s'est arrêté en cours de route")
    assert "Une nouvelle tentative a été lancée automatiquement." in report.error

    # The second try is claimed, then its worker dies too: « échec » again, for a person; not queued again.
    die_while_running(report, task_id="second-try", started_at=long_ago())
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert report_recover_stale() == {"failed": 1, "requeued": 0}
    assert queued == []
    report.refresh_from_db()
    assert report.status == FAILED
    assert "de nouveau arrêté" in report.error and "Produire à nouveau" in report.error

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert report_recover_stale() == {"failed": 0, "requeued": 0}  # the next run: nothing more
    assert queued == []


def test_the_requeued_render_ends_ready(programme, django_capture_on_commit_callbacks):
    report = die_while_running(new_report(programme), started_at=long_ago())
    with django_capture_on_commit_callbacks(execute=True):
        recover_reports.delay()  # the periodic task itself; its render runs in-process here (eager)
    report.refresh_from_db()
    assert report.status == READY and report.error == ""


def test_the_watchdog_leaves_young_and_finished_reports_alone(programme, django_capture_on_commit_callbacks):
    young = die_while_running(new_report(programme))
    failed = factories.ReportFactory(programme=programme, status=FAILED, error="Session supprimée")
    Report.objects.filter(pk=failed.pk).update(started_at=long_ago())
    pending = new_report(programme)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert report_recover_stale() == {"failed": 0, "requeued": 0}
    assert queued == []
    assert Report.objects.get(pk=young.pk).status == RUNNING
    assert Report.objects.get(pk=failed.pk).error == "Session supprimée"
    assert Report.objects.get(pk=pending.pk).status == PENDING


def test_a_report_never_picked_up_is_queued_again_once(programme, django_capture_on_commit_callbacks):
    report = new_report(programme)  # its message was lost: the broker was down at commit
    Report.objects.filter(pk=report.pk).update(created_at=long_ago())
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert report_recover_stale() == {"failed": 0, "requeued": 1}
    assert len(queued) == 1
    assert Report.objects.get(pk=report.pk).status == PENDING
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert report_recover_stale() == {"failed": 0, "requeued": 0}
    assert queued == []


def test_the_watchdog_is_a_periodic_task_every_five_minutes_from_an_idempotent_migration(db):
    from django.apps import apps

    migration = importlib.import_module("alliances.migrations.0009_report_watchdog_periodic_task")
    migration.create_periodic_task(apps, None)  # already applied by migrate (unless a flush removed it)
    task = PeriodicTask.objects.get(task="alliances.recover_reports")
    assert task.enabled and (task.interval.every, task.interval.period) == (5, "minutes")
    task.enabled = False  # a coordinator's change in the admin survives
    task.save()
    migration.create_periodic_task(apps, None)
    assert PeriodicTask.objects.get(task="alliances.recover_reports").enabled is False


# --- The status page stops asking to reload ------------------------------------------------------------


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def status(client, report):
    url = reverse("documents:status", args=[report.pk])
    return client.get(url), client.get(url, {"format": "json"}).json()


def ready_report(programme):
    report = factories.ReportFactory(programme=programme, parameters={"title": "Tableau de bord"})
    report.file.save("x.pdf", ContentFile(b"%PDF-1.4"), save=False)
    report.status = READY
    report.save()
    return report


def test_the_status_page_reloads_while_a_result_may_come(coordinator_client, programme):
    running = die_while_running(new_report(programme))
    page, data = status(coordinator_client, running)
    assert page["Refresh"] == "3" and data["refresh_seconds"] == 3
    assert "En cours de production" in page.content.decode()


@pytest.mark.parametrize("state", ["ready", "failed"])
def test_the_status_page_stops_on_a_final_state(coordinator_client, programme, state):
    report = (
        ready_report(programme) if state == "ready" else factories.ReportFactory(programme=programme, status=FAILED)
    )
    page, data = status(coordinator_client, report)
    assert "Refresh" not in page and data["refresh_seconds"] is None


def test_the_status_page_waits_for_the_retry_the_watchdog_queued(
    coordinator_client, programme, django_capture_on_commit_callbacks
):
    report = die_while_running(new_report(programme), started_at=long_ago())
    with django_capture_on_commit_callbacks(execute=False):  # its retry is queued, not started yet
        report_recover_stale()
    page, data = status(coordinator_client, report)
    assert page["Refresh"] == "3" and data["refresh_seconds"] == 3
    assert "Une nouvelle tentative a été lancée automatiquement." in page.content.decode()
    assert Report.objects.filter(documents.awaited(), pk=report.pk).exists()  # the admin list reloads too

    die_while_running(report, task_id="second-try", started_at=long_ago())
    with django_capture_on_commit_callbacks(execute=False):
        report_recover_stale()  # the retry died too: « échec » for a person, nothing more to wait for
    page, data = status(coordinator_client, report)
    assert "Refresh" not in page and data["refresh_seconds"] is None
    assert not Report.objects.filter(documents.awaited(), pk=report.pk).exists()


@pytest.mark.parametrize("state", ["running", "pending"])
def test_the_status_page_stops_after_a_bound_and_says_why(coordinator_client, programme, state):
    report = new_report(programme)
    if state == "running":
        die_while_running(report, started_at=long_ago())
    else:
        Report.objects.filter(pk=report.pk).update(created_at=long_ago())
    page, data = status(coordinator_client, report)
    assert "Refresh" not in page and data["refresh_seconds"] is None
    content = page.content.decode()
    assert "bien plus longtemps que prévu" in content and "ne se met plus à jour toute seule" in content
    assert reverse("documents:render_again", args=[report.pk]) in content


def test_the_admin_list_stops_reloading_for_a_stuck_render(coordinator_client, programme):
    report = die_while_running(new_report(programme))
    changelist = reverse("admin:alliances_report_changelist")
    assert coordinator_client.get(changelist)["Refresh"] == "5"
    Report.objects.filter(pk=report.pk).update(started_at=long_ago())
    assert "Refresh" not in coordinator_client.get(changelist)
    assert "Refresh" not in coordinator_client.get(reverse("admin:alliances_report_change", args=[report.pk]))


# --- « Produire à nouveau » does what it says, from every state ------------------------------------------


def in_state(programme, state):
    report = new_report(programme)
    if state == "ready":
        report_render(report.pk)
    elif state == "failed":
        Report.objects.filter(pk=report.pk).update(status=FAILED, error="Session supprimée")
    elif state == "running":  # a healthy render under way (or a stuck one still young)
        die_while_running(report)
    elif state == "running_stuck":
        die_while_running(report, started_at=long_ago())
    elif state == "exhausted":  # every delivery died, then the watchdog gave up
        for _attempt in range(MAX_RENDER_ATTEMPTS):
            report_claim(report.pk, task_id="task-1")
        Report.objects.filter(pk=report.pk).update(requeued_at=timezone.now())
    report.refresh_from_db()
    return report


STATES = ["pending", "running", "running_stuck", "failed", "ready", "exhausted"]


@pytest.mark.parametrize("state", STATES)
def test_produce_again_from_the_admin_renders_from_every_state(
    coordinator_client, programme, django_capture_on_commit_callbacks, state
):
    report = in_state(programme, state)
    old_file = report.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("admin:alliances_report_changelist"),
            {"action": "render_again", "_selected_action": [report.pk]},
            follow=True,
        )
    assert "1 document relancé : son statut se met à jour" in response.content.decode()
    report.refresh_from_db()
    assert report.status == READY, (state, report.error)
    assert report.file.name and report.file.name != old_file
    assert (report.attempts, report.requeued_at) == (1, None)  # a fresh request: its retries start again


@pytest.mark.parametrize("state", STATES)
def test_produce_again_from_the_status_page_renders_from_every_state(
    coordinator_client, programme, django_capture_on_commit_callbacks, state
):
    report = in_state(programme, state)
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(reverse("documents:render_again", args=[report.pk]))
    assert response.status_code == 302 and response.url == reverse("documents:status", args=[report.pk])
    report.refresh_from_db()
    assert report.status == READY, (state, report.error)


def test_produce_again_during_a_render_discards_the_older_result(
    programme, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """Clicked while a worker renders: that render's result is thrown away, the new request's is kept."""
    kind = documents.get_kind("dashboard")
    clicked = []

    def build_then_click(programme, parameters, report=None):
        if not clicked:  # the coordinator clicks while this (first) render is under way
            clicked.append(documents.report_render_again([report.pk]))
        return kind.build_context(programme, parameters, report=report)

    monkeypatch.setitem(
        documents._kinds, "dashboard", documents.DocumentKind(**{**kind.__dict__, "build_context": build_then_click})
    )
    report = new_report(programme)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = report_render(report.pk, task_id="old-task")
    assert clicked == [1]
    assert first.status == PENDING and not first.file  # its claim was released: it recorded nothing
    assert list((settings.MEDIA_ROOT / "reports").rglob("*.pdf")) == []  # and left no orphan file
    queued[0]()
    report.refresh_from_db()
    assert report.status == READY
    assert [p.name for p in (settings.MEDIA_ROOT / "reports").rglob("*.pdf")] == [report.file.name.rsplit("/", 1)[1]]


@pytest.mark.parametrize("role", ["member", "outsider"])
def test_produce_again_on_the_status_page_is_for_coordinators(client, programme, role):
    report = ready_report(programme)
    if role == "member":
        user = factories.CommitteeMemberFactory(committee__programme=programme, user=factories.UserFactory()).user
    else:
        user = factories.UserFactory()
    client.force_login(user)
    response = client.post(reverse("documents:render_again", args=[report.pk]))
    assert response.status_code == (403 if role == "member" else 404)
    assert (
        f"documents/{report.pk}/produire-a-nouveau"
        not in client.get(reverse("documents:status", args=[report.pk])).content.decode()
    )


def test_produce_again_needs_post(coordinator_client, programme):
    report = ready_report(programme)
    assert coordinator_client.get(reverse("documents:render_again", args=[report.pk])).status_code == 405


# --- Two watchdogs at once (PostgreSQL: real threads, real connections) ----------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL (SQLite serialises writes)")
def test_two_watchdogs_at_once_requeue_each_stale_report_once():
    programme = factories.ProgrammeFactory()
    stale = [die_while_running(new_report(programme), task_id=f"dead-{n}", started_at=long_ago()) for n in range(6)]
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            outcomes.append(report_recover_stale())
        except Exception as error:  # reported by the assertion below
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Eager tasks in threads race on Celery's process-wide « no result.get() inside a task » flag
    # (each run saves and restores it): put it back, or later tests' .get() would be refused.
    _set_task_join_will_block(False)
    assert not errors, errors
    assert sum(o["failed"] for o in outcomes) == 6
    assert sum(o["requeued"] for o in outcomes) == 6  # each one queued once, whichever watchdog won it
    # Each requeued render ran (in-process here) and ended the report READY, once.
    assert (
        sorted(Report.objects.filter(pk__in=[r.pk for r in stale]).values_list("status", "attempts"))
        == [(READY, 2)] * 6
    )
