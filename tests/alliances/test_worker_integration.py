"""Reminders through a real Redis and a real ``celery worker`` process, to a local SMTP sink.

1. Every recipient gets exactly one message, the run fanned out in several batches over two
   worker processes.
2. The worker is killed (SIGKILL, the whole process group: a machine lost) in the middle of a
   batch, then started again, and the periodic job runs again once the stale-claim lease has
   expired: no message is missing, and at most one is duplicated — the one that was in flight
   at the kill (see THE DUPLICATE WINDOW in ``alliances/notifications/__init__.py``). The test prints
   how many duplicates it saw.
3. PostgreSQL goes away for 45 s in the middle of a run: the worker's connections are
   terminated and new ones refused, for the test database only (``ALLOW_CONNECTIONS false`` and
   ``pg_terminate_backend`` from an admin connection; the server itself keeps running for everyone
   else). The batches retry, the message transferred at the cut is recorded once the database is
   back: every reminder goes out within a minute of the return, none twice. The test prints its
   figures.
4. The SMTP server is down when the batch first connects and back 61 s later: every reminder
   arrives within 2 minutes of the failure, no attempt charged to any message.

Runs only with a broker and a database that another process can share: ``REDIS_URL`` and a
PostgreSQL ``DATABASE_URL`` (CI's second run). The worker uses the test database, with data
committed by a transactional test, and a settings module that imports the project's settings
and shortens the claim lease to a couple of seconds (``NOTIFICATIONS_CLAIM_TIMEOUT``).
"""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from alliances import tasks
from alliances.celery import app
from alliances.models import Notification
from networks.models import Participant
from tests import factories
from tests.fake_smtp import FakeSMTPServer

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
CLAIM_TIMEOUT = 2


def _skip_reason():
    if not REDIS_URL:
        return "needs REDIS_URL: a real broker shared with a worker process (CI's PostgreSQL + Redis run)"
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return "needs a PostgreSQL DATABASE_URL: a worker process cannot share the SQLite test database"
    return ""


pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(_skip_reason()), reason=_skip_reason() or "-")]

WORKER_SETTINGS = '''
"""Settings of the worker started by tests/alliances/test_worker_integration.py."""
import os

from alliances.settings import *  # noqa: F403

NOTIFICATIONS_CLAIM_TIMEOUT = int(os.environ["TEST_NOTIFICATIONS_CLAIM_TIMEOUT"])
NOTIFICATIONS_BATCH_SIZE = int(os.environ["TEST_NOTIFICATIONS_BATCH_SIZE"])
CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_CELERY_QUEUE"]
'''


class Worker:
    """``celery -A alliances worker`` in its own process group, on its own queue."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = log_path
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process's lifetime
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "alliances",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"alliances-test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches the pool's children too
        )
        log.close()
        return self

    def kill(self):
        """Like a machine lost: every process of the worker dies at once, without cleanup."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self):
        return self.log_path.read_text(errors="replace")[-5000:]


def _purge(queue):
    """Remove the test queue, its bindings and any unacknowledged message of it left by the killed worker."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    for tag, payload in client.hgetall("unacked").items():
        try:
            message, _exchange, routing_key = json.loads(payload)
        except (ValueError, TypeError):
            continue
        if routing_key == queue:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def celery_to_workers():
    """This process publishes to the broker instead of running tasks in-process (conftest makes them eager)."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def start_worker(transactional_db, tmp_path, celery_to_workers):
    """``start_worker(smtp, batch_size=…)`` → a running Worker; every worker is stopped before the database flush."""
    (tmp_path / "worker_settings.py").write_text(WORKER_SETTINGS, encoding="utf-8")
    database_url = urlsplit(DATABASE_URL)._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    queue = f"alliances-test-{uuid.uuid4().hex[:8]}"
    workers = []

    def start(smtp, *, batch_size, claim_timeout=CLAIM_TIMEOUT):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "worker_settings",
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "integration-test-only-secret-key-0123456789",
            "TEST_NOTIFICATIONS_CLAIM_TIMEOUT": str(claim_timeout),
            "TEST_NOTIFICATIONS_BATCH_SIZE": str(batch_size),
            "TEST_CELERY_QUEUE": queue,
        }
        worker = Worker(env, tmp_path / f"worker-{len(workers)}.log").start()
        workers.append(worker)
        return worker

    start.queue = queue
    yield start
    for worker in workers:
        worker.stop()
    _purge(queue)


def run_periodic_job(queue):
    """What beat does every 15 minutes: queue the periodic task (here on the test's own queue)."""
    tasks.send_reminders.apply_async(queue=queue)


def wait_for(condition, *, timeout, what, workers=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    logs = "\n".join(worker.log() for worker in workers)
    pytest.fail(f"Timed out after {timeout} s waiting for {what}.\n--- worker logs ---\n{logs}")


def make_session_with_participants(count):
    """A session in 3 days (its « J-7 » reminder is due now) and ``count`` invited participants."""
    programme = factories.ProgrammeFactory(session_reminder_days="7,1")
    factories.SessionFactory(programme=programme, starts_at=timezone.now() + dt.timedelta(days=3))
    enrolment = factories.EnrolmentFactory(programme=programme)
    users = factories.UserFactory.create_batch(count)
    Participant.objects.bulk_create([Participant(user=user, enrolment=enrolment) for user in users])
    return {user.email.lower() for user in users}


def test_a_real_worker_delivers_each_reminder_exactly_once(start_worker):
    expected = make_session_with_participants(60)
    with FakeSMTPServer() as smtp:
        worker = start_worker(smtp, batch_size=25)  # 3 batches shared by 2 worker processes
        run_periodic_job(start_worker.queue)
        wait_for(lambda: len(smtp.messages) >= 60, timeout=90, what="60 messages", workers=[worker])
        time.sleep(2)  # anything extra would arrive now
        counts = smtp.count_by_recipient()
        connections = smtp.connections
    assert set(counts) == expected
    assert set(counts.values()) == {1}
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 60
    assert connections == 3  # one SMTP connection per batch


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_at_most_the_message_in_flight(start_worker, capsys):
    expected = make_session_with_participants(300)
    with FakeSMTPServer(delay=0.02) as smtp:
        # One batch (one process sending), so that one message at most is in flight at the kill.
        first = start_worker(smtp, batch_size=1000)
        run_periodic_job(start_worker.queue)
        wait_for(lambda: len(smtp.messages) >= 60, timeout=90, what="the batch to be under way", workers=[first])
        first.kill()
        delivered_before_restart = len(smtp.messages)
        in_flight = set(
            Notification.objects.filter(status=Notification.Status.SENDING).values_list("recipient__email", flat=True)
        )
        assert delivered_before_restart < 300, "the batch ended before the kill: slow the sink down"
        assert len(in_flight) <= 1

        second = start_worker(smtp, batch_size=1000)
        time.sleep(CLAIM_TIMEOUT + 1)  # the killed worker's claim is stale now
        run_periodic_job(start_worker.queue)
        wait_for(
            lambda: set(smtp.count_by_recipient()) >= expected,
            timeout=120,
            what="every recipient to get the reminder",
            workers=[second],
        )
        time.sleep(2)
        counts = smtp.count_by_recipient()

    duplicates = {email: count - 1 for email, count in counts.items() if count > 1}
    with capsys.disabled():  # reported in every run, not only when the test fails
        print(
            f"\n[worker killed mid-batch] killed after {delivered_before_restart} of 300 messages; "
            f"in flight at the kill: {len(in_flight)}; duplicates seen: {sum(duplicates.values())} {sorted(duplicates)}"
        )
    assert expected - set(counts) == set(), "missing messages"
    assert sum(duplicates.values()) <= 1
    assert set(duplicates) <= {email.lower() for email in in_flight}
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 300


class DatabaseOutage:
    """The test database unreachable for the worker, PostgreSQL itself left running for everyone else.

    From an admin connection to the ``postgres`` database: new connections to the test database are
    refused (``ALLOW_CONNECTIONS false``) and its backends terminated, except this test process's own
    (kept, so that the test can look at the rows afterwards; it runs no query during the outage).
    """

    def __init__(self):
        import psycopg2

        self.name = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.own_pid = cursor.fetchone()[0]
        parts = urlsplit(DATABASE_URL)
        self.admin = psycopg2.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username,
            password=parts.password,
            dbname="postgres",
        )
        self.admin.autocommit = True

    def _run(self, sql, params=()):
        with self.admin.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    def start(self):
        self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        terminated = self._run(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
            [self.name, self.own_pid],
        )
        return len(terminated)

    def end(self):
        self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    def close(self):
        self.end()
        self.admin.close()


OUTAGE_SECONDS = 45


def test_a_database_outage_mid_run_strands_nothing_and_duplicates_nothing(start_worker, capsys):
    expected = make_session_with_participants(300)
    outage = DatabaseOutage()
    try:
        with FakeSMTPServer(delay=0.03) as smtp:
            # 3 batches, 2 sending at once; the default claim lease (600 s), as in production.
            worker = start_worker(smtp, batch_size=100, claim_timeout=600)
            run_periodic_job(start_worker.queue)
            wait_for(lambda: len(smtp.messages) >= 40, timeout=90, what="the run to be under way", workers=[worker])
            terminated = outage.start()
            cut_at = time.monotonic()
            delivered_at_cut = len(smtp.messages)
            time.sleep(OUTAGE_SECONDS)
            delivered_during = len(smtp.messages) - delivered_at_cut
            outage.end()
            back_at = time.monotonic()
            wait_for(
                lambda: set(smtp.count_by_recipient()) >= expected,
                timeout=120,
                what="every recipient to get the reminder after the outage",
                workers=[worker],
            )
            done_after_return = time.monotonic() - back_at
            time.sleep(3)  # anything extra would arrive now
            counts = smtp.count_by_recipient()
    finally:
        outage.close()

    duplicates = {email: count - 1 for email, count in counts.items() if count > 1}
    with capsys.disabled():  # reported in every run, not only when the test fails
        print(
            f"\n[database outage] {OUTAGE_SECONDS} s, {terminated} backend(s) terminated, after "
            f"{delivered_at_cut} of 300 messages; {delivered_during} transferred during the outage "
            f"(in flight at the cut); stranded at the return: {300 - delivered_at_cut - delivered_during}; "
            f"all delivered {done_after_return:.1f} s after the return "
            f"({time.monotonic() - cut_at:.0f} s after the cut); duplicates: {sum(duplicates.values())}"
        )
    assert delivered_at_cut + delivered_during < 300, "the run ended before the outage: slow the sink down"
    assert expected - set(counts) == set(), "missing messages"
    assert duplicates == {}
    assert done_after_return < 60
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 300


SMTP_OUTAGE_SECONDS = 61  # a 60 s outage, and a second for the server to start again


def test_a_60_second_smtp_outage_delays_delivery_by_at_most_2_minutes(start_worker, capsys):
    """The SMTP server is down when the batch first connects and back 61 s later.

    Retries come after 15, 30 and 45 s: delivered 90 s after the failure, no attempt charged.
    Before, they came after 60 s (still down) then 300 s: 6 minutes."""
    expected = make_session_with_participants(30)
    smtp = FakeSMTPServer()  # not listening yet: connections refused
    try:
        worker = start_worker(smtp, batch_size=100, claim_timeout=600)
        run_periodic_job(start_worker.queue)
        wait_for(
            lambda: Notification.objects.filter(last_error__gt="").count() == 30,
            timeout=30,
            what="the batch to fail on the closed port",
            workers=[worker],
        )
        failed_at = time.monotonic()
        time.sleep(SMTP_OUTAGE_SECONDS)
        smtp.start()
        wait_for(
            lambda: set(smtp.count_by_recipient()) >= expected,
            timeout=360,
            what="every recipient to get the reminder after the SMTP outage",
            workers=[worker],
        )
        delay = time.monotonic() - failed_at
        time.sleep(2)
        counts = smtp.count_by_recipient()
    finally:
        smtp.stop()
    with capsys.disabled():
        print(f"\n[SMTP outage] {SMTP_OUTAGE_SECONDS} s: all 30 delivered {delay:.0f} s after the batch's failure")
    assert set(counts) == expected and set(counts.values()) == {1}
    assert delay <= 120
    assert set(Notification.objects.values_list("status", "attempts")) == {(Notification.Status.SENT, 0)}
