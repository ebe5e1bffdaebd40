"""The notification mechanism: exactly once (twice, concurrently, after a crash), SMTP failures,
one connection per batch, the Celery tasks and beat entries, send_reminders, the email log admin."""

import datetime as dt
import email as email_lib
import importlib
import smtplib
import socket
import threading
import time
import uuid
from email import policy as email_policy
from io import StringIO
from types import SimpleNamespace

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session as WebSession
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from alliances import notifications, tasks
from alliances.models import Notification, Programme, User
from tests import factories
from tests.fake_smtp import FakeSMTPServer, free_port

Status = Notification.Status
NOW = timezone.make_aware(dt.datetime(2030, 3, 13, 9, 0))


class EchoSource(notifications.Source):
    """A test source: one notification about the edition to each user whose address ends with @sink.test."""

    kind = "test_echo"
    broken = False

    def find_due(self, *, now):
        for user in User.objects.filter(email__endswith="@sink.test").order_by("email"):
            programme = Programme.objects.order_by("pk").first()
            yield notifications.due(
                programme, kind=self.kind, recipient_id=user.pk, programme_id=programme.pk, due_at=now
            )

    def build(self, items, *, now):
        if self.broken:
            raise RuntimeError("gabarit introuvable")
        announcement = SimpleNamespace(title="Message de test", body="Corps du message.")
        return {
            n.pk: notifications.build_email(
                "announcement", {"announcement": announcement, "announcements_url": "/"}, notification=n
            )
            for n in items
        }


@pytest.fixture(autouse=True)
def echo_source(monkeypatch):
    """Only the test source runs: what is tested here is the mechanism, whatever the apps' sources."""
    notifications.sources()
    source = EchoSource()
    monkeypatch.setattr(notifications.reminders, "_items", {"test_echo": source})
    return source


def users(*names):
    return [factories.UserFactory(email=f"{name}@sink.test") for name in names]


def run_job(now=NOW):
    return notifications.run(dispatch=lambda ids: notifications.send_batch(ids, now=now), now=now)


def statuses():
    return dict(Notification.objects.values_list("recipient__email", "status"))


@pytest.fixture
def smtp(settings):
    with FakeSMTPServer() as server:
        server.use_in(settings)
        yield server


# --- Exactly once ---------------------------------------------------------------------------


def test_a_fake_apps_source_is_discovered_and_sent(programme):
    """The sources are an :class:`alliances.registry.Registry` fed by each app's ``reminders.py``."""

    class FakeAppSource(EchoSource):
        kind = "fake_app_echo"

    real_kinds = {source.kind for source in notifications.reminders._items.values()}
    assert "session_reminder" not in real_kinds  # the fixture left only the test source
    notifications.register(FakeAppSource)
    try:
        assert notifications.source_for("fake_app_echo:7").__class__ is FakeAppSource
        assert {source.kind for source in notifications.sources()} == {"test_echo", "fake_app_echo"}
        users("a")
        notifications.run(dispatch=lambda ids: notifications.send_batch(ids, now=NOW), now=NOW)
        assert Notification.objects.filter(kind="fake_app_echo", status=Status.SENT).count() == 1
    finally:
        notifications.reminders.unregister("fake_app_echo")
    assert notifications.source_for("fake_app_echo") is None
    with pytest.raises(ValueError):
        notifications.register(type("Nameless", (notifications.Source,), {"kind": "a:b"}))


def test_the_job_run_twice_sends_each_once(programme):
    users("a", "b", "c")
    first = run_job()
    second = run_job()
    assert sorted(m.to[0] for m in mail.outbox) == ["a@sink.test", "b@sink.test", "c@sink.test"]
    assert (first.created, first.due, second.created, second.due) == (3, 3, 0, 0)
    assert set(statuses().values()) == {Status.SENT}
    assert all(n.sent_at is not None for n in Notification.objects.all())


def test_a_batch_delivered_twice_sends_each_once(programme):
    users("a", "b")
    notifications.create_due(now=NOW)
    ids = list(Notification.objects.values_list("pk", flat=True))
    first = notifications.send_batch(ids, now=NOW)
    second = notifications.send_batch(ids, now=NOW)
    assert (len(first.sent), len(second.sent), second.skipped) == (2, 0, 2)
    assert len(mail.outbox) == 2


def test_a_notification_not_due_yet_is_not_sent(programme):
    users("a")
    notifications.create_due(now=NOW)
    report = notifications.send_batch(
        list(Notification.objects.values_list("pk", flat=True)), now=NOW - dt.timedelta(seconds=1)
    )
    assert report.skipped == 1 and mail.outbox == []


def test_the_claim_is_a_conditional_update(db):
    notification = factories.NotificationFactory()
    assert notifications.queue._claim(notification.pk, "00000000-0000-0000-0000-000000000001", NOW) is True
    assert notifications.queue._claim(notification.pk, "00000000-0000-0000-0000-000000000002", NOW) is False
    notification.refresh_from_db()
    assert notification.status == Status.SENDING and notification.claimed_at == NOW


def _close_connection_after(target):
    def wrapper(*args):
        try:
            target(*args)
        finally:
            connections.close_all()

    return wrapper


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "sqlite" in django_settings.DATABASES["default"]["ENGINE"],
    reason="Concurrent writers need PostgreSQL; on SQLite the sequential double run above is the test.",
)
def test_two_jobs_at_once_on_postgresql_send_each_once(settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 7
    factories.ProgrammeFactory()
    users(*[f"p{i:02d}" for i in range(60)])
    with FakeSMTPServer(delay=0.002) as server:
        server.use_in(settings)
        barrier = threading.Barrier(2)
        reports = {}

        def job(name):
            barrier.wait()
            reports[name] = notifications.run(
                dispatch=lambda ids: reports.setdefault(f"{name}-sent", []).append(
                    len(notifications.send_batch(ids).sent)
                )
            )

        threads = [threading.Thread(target=_close_connection_after(job), args=(name,)) for name in ("one", "two")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        counts = server.count_by_recipient()
    assert len(counts) == 60
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
    assert Notification.objects.filter(status=Status.SENT).count() == 60
    print("sent by each job:", sum(reports.get("one-sent", [])), sum(reports.get("two-sent", [])))
    assert sum(reports.get("one-sent", [])) + sum(reports.get("two-sent", [])) == 60


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "sqlite" in django_settings.DATABASES["default"]["ENGINE"],
    reason="Concurrent writers need PostgreSQL; on SQLite the sequential double delivery above is the test.",
)
def test_two_workers_with_the_same_batch_on_postgresql_send_each_once(settings):
    factories.ProgrammeFactory()
    users(*[f"q{i:02d}" for i in range(40)])
    notifications.create_due(now=timezone.now())
    ids = list(Notification.objects.values_list("pk", flat=True))
    with FakeSMTPServer(delay=0.002) as server:
        server.use_in(settings)
        barrier = threading.Barrier(2)
        sent = []

        def worker():
            barrier.wait()
            sent.append(len(notifications.send_batch(ids).sent))

        threads = [threading.Thread(target=_close_connection_after(worker)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        counts = server.count_by_recipient()
    print("sent by each worker:", sent)
    assert sum(sent) == 40 and len(counts) == 40 and set(counts.values()) == {1}


def test_stale_claims_of_a_crashed_worker_are_sent_again(programme, settings):
    settings.NOTIFICATIONS_CLAIM_TIMEOUT = 600
    a, b, c = users("a", "b", "c")
    notifications.create_due(now=NOW)
    Notification.objects.filter(recipient=a).update(status=Status.SENDING, claimed_at=NOW - dt.timedelta(minutes=11))
    Notification.objects.filter(recipient=b).update(status=Status.SENDING, claimed_at=NOW - dt.timedelta(minutes=1))
    Notification.objects.filter(recipient=c).update(
        status=Status.SENDING, claimed_at=NOW - dt.timedelta(hours=1), attempts=notifications.MAX_ATTEMPTS - 1
    )

    report = run_job()

    assert report.released == 1
    assert [m.to[0] for m in mail.outbox] == ["a@sink.test"]
    a_row = Notification.objects.get(recipient=a)
    assert (a_row.status, a_row.attempts) == (Status.SENT, 1)
    assert statuses()["b@sink.test"] == Status.SENDING  # a live claim: left alone
    c_row = Notification.objects.get(recipient=c)
    assert c_row.status == Status.FAILED and "Prise en charge expirée" in c_row.last_error


def test_the_claim_timeout_is_a_setting(settings):
    assert notifications.claim_timeout() == 600
    settings.NOTIFICATIONS_CLAIM_TIMEOUT = 2
    assert notifications.claim_timeout() == 2
    # A live worker never loses its claim: the lease outlasts a task's hard time limit.
    assert notifications.DEFAULT_CLAIM_TIMEOUT > django_settings.CELERY_TASK_TIME_LIMIT


# --- SMTP failures --------------------------------------------------------------------------


def test_permanent_and_transient_smtp_failures(programme, smtp):
    users("ok", "perm", "temp")
    smtp.refuse("perm@sink.test", "550 5.1.1 Utilisateur inconnu")
    smtp.refuse("temp@sink.test", "451 4.7.1 Greylisting, réessayez plus tard")

    report = run_job()

    assert [rcpt for rcpt, _raw in smtp.messages] == ["ok@sink.test"]
    perm = Notification.objects.get(recipient__email="perm@sink.test")
    assert perm.status == Status.FAILED and perm.attempts == 1
    assert "550" in perm.last_error and "perm@sink.test" in perm.last_error
    temp = Notification.objects.get(recipient__email="temp@sink.test")
    assert temp.status == Status.PENDING and temp.attempts == 1 and "451" in temp.last_error
    assert temp.due_at == NOW + dt.timedelta(seconds=notifications.RETRY_BACKOFF[0])
    assert report.batches == 1

    smtp.accept("temp@sink.test")
    run_job(NOW + dt.timedelta(seconds=30))  # not due again yet
    assert len(smtp.messages) == 1
    run_job(NOW + dt.timedelta(seconds=61))
    assert sorted(rcpt for rcpt, _raw in smtp.messages) == ["ok@sink.test", "temp@sink.test"]
    assert statuses() == {"ok@sink.test": Status.SENT, "perm@sink.test": Status.FAILED, "temp@sink.test": Status.SENT}


def test_a_transient_failure_that_never_ends_fails_after_the_last_attempt(programme, smtp):
    users("temp")
    smtp.refuse("temp@sink.test", "452 4.2.2 Boîte pleine")
    now = NOW
    for _attempt in range(notifications.MAX_ATTEMPTS + 2):
        run_job(now)
        now += dt.timedelta(seconds=max(notifications.RETRY_BACKOFF) + 1)
    row = Notification.objects.get()
    assert row.status == Status.FAILED and row.attempts == notifications.MAX_ATTEMPTS
    assert "abandon après 5 tentatives" in row.last_error
    assert smtp.messages == []


def test_backoff_grows_then_stays_at_its_maximum():
    assert [notifications.backoff(n) for n in range(1, 7)] == [60, 300, 900, 1800, 1800, 1800]
    assert [notifications.connection_backoff(n) for n in range(1, 9)] == [15, 30, 45, 60, 120, 300, 300, 300]


def test_an_unreachable_server_postpones_the_batch_without_counting_attempts(programme, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    users("a", "b")
    notifications.create_due(now=NOW)
    report = notifications.send_batch(list(Notification.objects.values_list("pk", flat=True)), now=NOW)
    assert len(report.retry_ids) == 2 and report.retry_in == 15 and report.connection_failed
    for row in Notification.objects.all():
        assert (row.status, row.attempts) == (Status.PENDING, 0)
        assert row.due_at == NOW + dt.timedelta(seconds=15) and row.last_error


def test_a_server_refusing_sessions_charges_no_message(programme, smtp):
    """421 to EHLO and HELO (an overloaded server): the first message of the batch is not charged either."""
    users("a", "b")
    smtp.refuse_sessions("421 4.3.2 Service temporairement indisponible")
    report = run_job()
    assert smtp.messages == [] and smtp.connections == 1
    assert report.batches == 1
    for row in Notification.objects.all():
        assert (row.status, row.attempts) == (Status.PENDING, 0), row.recipient.email
        assert row.due_at == NOW + dt.timedelta(seconds=15) and "421" in row.last_error
    smtp.refuse_sessions(None)
    run_job(NOW + dt.timedelta(seconds=15))
    assert sorted(rcpt for rcpt, _raw in smtp.messages) == ["a@sink.test", "b@sink.test"]
    assert {(row.status, row.attempts) for row in Notification.objects.all()} == {(Status.SENT, 0)}


def test_a_server_hanging_up_mid_message_charges_no_message(programme, smtp, monkeypatch):
    """The connection lost during a message's transfer: that message and the rest wait, none charged."""
    users("a", "b", "c")
    real_transfer = notifications.delivery._transfer

    def hang_up_on_b(connection, message):
        if message.to == ["b@sink.test"]:
            connection.connection.sock.shutdown(socket.SHUT_RDWR)  # what a server crash looks like from here
        real_transfer(connection, message)

    monkeypatch.setattr(notifications.delivery, "_transfer", hang_up_on_b)
    notifications.create_due(now=NOW)
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    report = notifications.send_batch(ids, now=NOW)
    assert [rcpt for rcpt, _raw in smtp.messages] == ["a@sink.test"]
    rows = {n.recipient.email: n for n in Notification.objects.select_related("recipient")}
    assert rows["a@sink.test"].status == Status.SENT
    for email in ("b@sink.test", "c@sink.test"):
        assert (rows[email].status, rows[email].attempts, rows[email].claim_token) == (Status.PENDING, 0, None)
    # The message being transferred goes last: one that breaks the connection every time delays only itself.
    assert report.retry_ids == [rows["c@sink.test"].pk, rows["b@sink.test"].pk]


def test_a_connection_closed_mid_batch_postpones_the_rest(programme, smtp):
    users("a", "b", "c")
    smtp.refuse("b@sink.test", "421 4.3.2 Service indisponible, fermeture")
    notifications.create_due(now=NOW)
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    report = notifications.send_batch(ids, now=NOW)
    assert [rcpt for rcpt, _raw in smtp.messages] == ["a@sink.test"]
    rows = {n.recipient.email: n for n in Notification.objects.select_related("recipient")}
    assert rows["a@sink.test"].status == Status.SENT
    # 421 is the server closing the connection, whichever command it answers: nobody's attempt.
    assert (rows["b@sink.test"].status, rows["b@sink.test"].attempts) == (Status.PENDING, 0)
    assert (rows["c@sink.test"].status, rows["c@sink.test"].attempts) == (Status.PENDING, 0)
    assert rows["c@sink.test"].due_at > NOW and "421" in rows["b@sink.test"].last_error
    assert report.retry_ids == [rows["c@sink.test"].pk, rows["b@sink.test"].pk]
    smtp.accept("b@sink.test")
    run_job(NOW + dt.timedelta(minutes=2))
    assert sorted(rcpt for rcpt, _raw in smtp.messages) == ["a@sink.test", "b@sink.test", "c@sink.test"]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (smtplib.SMTPRecipientsRefused({"x@y": (550, b"no")}), notifications.PERMANENT),
        (smtplib.SMTPRecipientsRefused({"x@y": (451, b"later")}), notifications.TRANSIENT),
        (smtplib.SMTPRecipientsRefused({"x@y": (421, b"bye")}), notifications.CONNECTION),
        (smtplib.SMTPDataError(554, b"rejected"), notifications.PERMANENT),
        (smtplib.SMTPDataError(452, b"full"), notifications.TRANSIENT),
        (smtplib.SMTPSenderRefused(553, b"bad sender", "noreply@x"), notifications.PERMANENT),
        (smtplib.SMTPServerDisconnected("lost"), notifications.CONNECTION),
        (smtplib.SMTPAuthenticationError(535, b"auth"), notifications.CONNECTION),
        (ConnectionRefusedError(), notifications.CONNECTION),
        (TimeoutError(), notifications.CONNECTION),
        (UnicodeEncodeError("ascii", "é", 0, 1, "x"), notifications.PERMANENT),
    ],
)
def test_classify(exc, expected):
    assert notifications.classify(exc) == expected


def test_a_message_that_cannot_be_built_fails_visibly_and_can_be_resent(programme, echo_source):
    users("a")
    echo_source.broken = True
    run_job()
    row = Notification.objects.get()
    assert row.status == Status.FAILED and "gabarit introuvable" in row.last_error and mail.outbox == []
    echo_source.broken = False
    notifications.notifications_resend(queryset=Notification.objects.all(), now=NOW)
    run_job()
    assert len(mail.outbox) == 1 and Notification.objects.get().status == Status.SENT


# --- Delivery -------------------------------------------------------------------------------


def test_one_smtp_connection_per_batch(programme, smtp, settings):
    users(*[f"u{i}" for i in range(7)])
    report = run_job()
    assert (report.batches, smtp.connections, len(smtp.messages)) == (1, 1, 7)

    settings.NOTIFICATIONS_BATCH_SIZE = 3
    users(*[f"v{i}" for i in range(7)])
    report = run_job()
    assert (report.batches, smtp.connections, len(smtp.messages)) == (3, 1 + 3, 14)


def test_messages_have_text_and_html_and_a_stable_message_id(programme, smtp):
    users("a")
    run_job()
    ((rcpt, message),) = smtp.parsed()
    notification = Notification.objects.get()
    assert message["Message-ID"] == f"<notification.{notification.pk}@alliances.localhost>"
    assert message["X-Alliances-Notification"] == str(notification.pk)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<http://127.0.0.1:8000/compte/profil/>"
    types = [part.get_content_type() for part in message.walk()]
    assert "text/plain" in types and "text/html" in types
    assert message["From"] == django_settings.DEFAULT_FROM_EMAIL


def test_reminder_time_and_offsets():
    day = dt.date(2030, 3, 20)
    assert timezone.localtime(notifications.reminder_due_at(day, 7)).isoformat() == "2030-03-13T08:00:00+01:00"
    start = timezone.make_aware(dt.datetime(2030, 3, 20, 14, 0))
    at = timezone.make_aware
    assert notifications.current_offset(day, [7, 1], now=at(dt.datetime(2030, 3, 13, 7, 59)), deadline=start) is None
    assert notifications.current_offset(day, [7, 1], now=at(dt.datetime(2030, 3, 13, 8, 0)), deadline=start) == 7
    assert notifications.current_offset(day, [7, 1], now=at(dt.datetime(2030, 3, 19, 8, 0)), deadline=start) == 1
    assert notifications.current_offset(day, [7, 1, 0], now=at(dt.datetime(2030, 3, 20, 9, 0)), deadline=start) == 0
    assert notifications.current_offset(day, [7, 1], now=start, deadline=start) is None


# --- Database outages ----------------------------------------------------------------------
# The database's errors are injected here (the suite also runs on SQLite); a real outage, with a
# real worker and PostgreSQL refusing connections, is in tests/alliances/test_worker_integration.py.


def _failing(target, failures, *, after=False):
    """``target`` raising OperationalError on its first ``failures`` calls; ``after``: once it has run,
    as when a statement's commit went through but the connection broke before its answer came back."""
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > failures:
            return target(*args, **kwargs)
        if after:
            target(*args, **kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    wrapper.calls = calls
    return wrapper


def _batch_ids():
    return list(Notification.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_after_a_transfer_records_it_once_the_database_is_back(programme, smtp, monkeypatch):
    """The « sent » of a transferred message is retried while the database is away: no duplicate."""
    users("a", "b", "c")
    notifications.create_due(now=NOW)
    # The statement recording a and claiming b fails, then the database refuses two more tries.
    monkeypatch.setattr(
        notifications.delivery, "_mark_sent_and_claim", _failing(notifications.delivery._mark_sent_and_claim, 1)
    )
    mark_sent = _failing(notifications.delivery._mark_sent, 2)
    monkeypatch.setattr(notifications.delivery, "_mark_sent", mark_sent)
    with pytest.raises(OperationalError):
        notifications.send_batch(_batch_ids(), now=NOW)
    assert mark_sent.calls["n"] == 3  # retried until the database answered
    assert statuses() == {"a@sink.test": Status.SENT, "b@sink.test": Status.PENDING, "c@sink.test": Status.PENDING}
    notifications.send_batch(_batch_ids(), now=NOW)  # the task's retry
    assert sorted(smtp.count_by_recipient().items()) == [("a@sink.test", 1), ("b@sink.test", 1), ("c@sink.test", 1)]
    assert set(statuses().values()) == {Status.SENT}


@pytest.mark.django_db(transaction=True)
def test_a_claim_committed_before_the_connection_broke_is_given_back(programme, smtp, monkeypatch):
    """The statement recording a and claiming b went through, its answer was lost: b is not left « sending »."""
    users("a", "b", "c")
    notifications.create_due(now=NOW)
    monkeypatch.setattr(
        notifications.delivery,
        "_mark_sent_and_claim",
        _failing(notifications.delivery._mark_sent_and_claim, 1, after=True),
    )
    with pytest.raises(OperationalError):
        notifications.send_batch(_batch_ids(), now=NOW)
    rows = {n.recipient.email: n for n in Notification.objects.select_related("recipient")}
    assert rows["a@sink.test"].status == Status.SENT
    assert (rows["b@sink.test"].status, rows["b@sink.test"].claim_token, rows["b@sink.test"].attempts) == (
        Status.PENDING,
        None,
        0,
    )
    notifications.send_batch(_batch_ids(), now=NOW)
    assert sorted(smtp.count_by_recipient().values()) == [1, 1, 1]


@pytest.mark.django_db(transaction=True)
def test_recording_is_retried_well_inside_the_claim_lease(programme, smtp, monkeypatch, settings):
    """A database away for longer than the budget: given up (the message is sent again after its lease)."""
    assert notifications.record_retry_budget() == 120 < notifications.claim_timeout() / 4
    settings.NOTIFICATIONS_CLAIM_TIMEOUT = 5  # budget: a fifth of the lease, 1 s
    users("a", "b")
    notifications.create_due(now=NOW)
    monkeypatch.setattr(
        notifications.delivery, "_mark_sent_and_claim", _failing(notifications.delivery._mark_sent_and_claim, 1)
    )
    monkeypatch.setattr(notifications.delivery, "_mark_sent", _failing(notifications.delivery._mark_sent, 1000))
    started = time.monotonic()
    with pytest.raises(OperationalError):
        notifications.send_batch(_batch_ids(), now=NOW)
    assert time.monotonic() - started < 3
    assert statuses()["a@sink.test"] == Status.SENDING  # its claim expires, then it is sent again


def test_the_batch_task_retries_database_errors_with_a_short_backoff(programme, monkeypatch):
    users("a")
    notifications.create_due(now=timezone.now())
    ids = _batch_ids()
    task, calls = tasks.send_notifications, []
    monkeypatch.setattr(task, "retry", lambda **kwargs: calls.append(kwargs) or Retry())
    monkeypatch.setattr(notifications, "send_batch", _failing(notifications.send_batch, 1000))
    kwargs = {}
    for retries in range(notifications.DATABASE_RETRIES):
        assert _run_task_as_a_worker(task, [ids], kwargs, retries)
        kwargs = calls[-1]["kwargs"]
    assert [call["countdown"] for call in calls[:6]] == [5, 10, 20, 30, 30, 30]
    assert {call["countdown"] for call in calls} == {5, 10, 20, 30}
    assert calls[0]["args"] == [ids] and calls[0]["kwargs"] == {"connection_retries": 0, "database_retries": 1}
    with pytest.raises(OperationalError):  # about 14 minutes later: the periodic job takes over
        _run_task_as_a_worker(task, [ids], kwargs, notifications.DATABASE_RETRIES)
    assert Notification.objects.get().status == Status.PENDING


def test_the_periodic_job_retries_database_errors(programme, monkeypatch):
    task, calls = tasks.send_reminders, []
    monkeypatch.setattr(task, "retry", lambda **kwargs: calls.append(kwargs) or Retry())
    monkeypatch.setattr(notifications, "run", _failing(notifications.run, 1))
    assert _run_task_as_a_worker(task, [], {}, 0)
    assert calls[0]["countdown"] == 5
    assert not _run_task_as_a_worker(task, [], {}, 1)  # the database is back


def test_in_process_a_database_error_reaches_the_caller(programme, monkeypatch):
    """The embedded default runs tasks eagerly: no retry loop in the caller's process."""
    monkeypatch.setattr(notifications, "send_batch", _failing(notifications.send_batch, 1))
    with pytest.raises(OperationalError):
        tasks.send_notifications.delay([1])


# --- Celery tasks and beat ------------------------------------------------------------------


def test_the_periodic_task_fans_out_batches_after_commit(programme, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_BATCH_SIZE = 2
    users("a", "b", "c", "d", "e")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = tasks.send_reminders.delay().get()
    assert result["batches"] == 3 and len(callbacks) == 3  # nothing queued before the commit
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 5


def test_the_batch_task_retries_transient_failures_with_backoff(programme, smtp, monkeypatch):
    users("ok", "temp")
    smtp.refuse("temp@sink.test", "451 4.7.1 Réessayez")
    notifications.create_due(now=timezone.now())
    ids = list(Notification.objects.values_list("pk", flat=True))
    retries = []

    def retry(**kwargs):
        retries.append(kwargs)
        return Retry()

    monkeypatch.setattr(tasks.send_notifications, "retry", retry)
    # As a worker runs it (not eagerly): the transient failure asks Celery for a retry after the backoff.
    task = tasks.send_notifications
    task.push_request(retries=0, is_eager=False, called_directly=False)
    try:
        with pytest.raises(Retry):
            task.run(ids)
    finally:
        task.pop_request()
    temp = Notification.objects.get(recipient__email="temp@sink.test")
    assert retries == [{"args": [[temp.pk]], "kwargs": {"connection_retries": 0}, "countdown": 60}]
    assert (temp.status, temp.attempts) == (Status.PENDING, 1)
    assert [rcpt for rcpt, _raw in smtp.messages] == ["ok@sink.test"]


def _run_task_as_a_worker(task, args, kwargs, retries):
    """Run ``task`` as a worker would (not eagerly); its ``retry`` must have been replaced by the test."""
    task.push_request(retries=retries, is_eager=False, called_directly=False)
    try:
        task.run(*args, **kwargs)
    except Retry:
        return True
    finally:
        task.pop_request()
    return False


def test_a_60_second_smtp_outage_delays_delivery_by_less_than_2_minutes(programme, smtp, monkeypatch):
    """The batch task and its retries, one after the other, the clock moved on by each countdown.

    The server goes down as the batch starts and is back 61 s later (a 60 s outage, and a
    second to restart). Before, the retries came after 60 s (still down) then 300 s: 6 minutes."""
    users("a", "b", "c")
    notifications.create_due(now=timezone.now())
    task, calls = tasks.send_notifications, []
    monkeypatch.setattr(task, "retry", lambda **kwargs: calls.append(kwargs) or Retry())
    smtp.stop()
    elapsed, args, kwargs = 0, [list(Notification.objects.values_list("pk", flat=True))], {}
    for retries in range(20):
        if elapsed >= 61 and smtp.controller is None:
            smtp.start()
        if not _run_task_as_a_worker(task, args, kwargs, retries):
            break
        args, kwargs, countdown = calls[-1]["args"], calls[-1].get("kwargs") or {}, calls[-1]["countdown"]
        elapsed += countdown
        # The clock moves on by the countdown: what was due then is due now.
        Notification.objects.update(due_at=F("due_at") - dt.timedelta(seconds=countdown))
    print("retries after", [call["countdown"] for call in calls], "→ delivered after", elapsed, "s")
    assert sorted(rcpt for rcpt, _raw in smtp.messages) == ["a@sink.test", "b@sink.test", "c@sink.test"]
    assert elapsed <= 120
    assert {(row.status, row.attempts) for row in Notification.objects.all()} == {(Status.SENT, 0)}


def test_connection_retries_are_bounded_then_the_periodic_job_takes_over(programme, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    users("a")
    notifications.create_due(now=timezone.now())
    task, calls = tasks.send_notifications, []
    monkeypatch.setattr(task, "retry", lambda **kwargs: calls.append(kwargs) or Retry())
    ids = list(Notification.objects.values_list("pk", flat=True))
    retried = []
    for n in range(notifications.CONNECTION_RETRIES + 1):
        Notification.objects.update(due_at=timezone.now())  # the countdown has passed
        retried.append(_run_task_as_a_worker(task, [ids], {"connection_retries": n}, n))
    assert retried == [True] * notifications.CONNECTION_RETRIES + [False]
    assert [call["kwargs"]["connection_retries"] for call in calls] == list(
        range(1, notifications.CONNECTION_RETRIES + 1)
    )
    row = Notification.objects.get()
    assert (row.status, row.attempts) == (Status.PENDING, 0)  # the periodic job finds it when due


def test_in_process_a_transient_failure_waits_for_the_next_run(programme, smtp):
    users("temp")
    smtp.refuse("temp@sink.test", "451 4.7.1 Réessayez")
    notifications.create_due(now=timezone.now())
    result = tasks.send_notifications.delay(list(Notification.objects.values_list("pk", flat=True))).get()
    assert result["retry"] == 1 and result["retry_in"] == 60
    assert Notification.objects.get().status == Status.PENDING


def test_countdowns_stay_below_the_brokers_visibility_timeout(settings):
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert max(notifications.RETRY_BACKOFF) < visibility
    assert tasks.bounded_countdown(10_000) < visibility
    assert tasks.bounded_countdown(60) == 60


def test_tasks_are_registered_under_stable_names():
    from alliances.celery import app

    for name in ("alliances.send_reminders", "alliances.send_notifications", "alliances.clear_sessions"):
        assert name in app.tasks


def test_beat_entries_come_from_an_idempotent_migration(db):
    from django.apps import apps

    migration = importlib.import_module("alliances.migrations.0004_periodic_tasks")
    migration.create_periodic_tasks(apps, None)  # already applied by migrate (unless a flush removed them)
    reminders = PeriodicTask.objects.get(task="alliances.send_reminders")
    assert (reminders.interval.every, reminders.interval.period, reminders.enabled) == (15, "minutes", True)
    nightly = PeriodicTask.objects.get(task="alliances.clear_sessions")
    assert (nightly.crontab.hour, nightly.crontab.minute, str(nightly.crontab.timezone)) == ("3", "30", "Europe/Paris")

    reminders.enabled = False  # a coordinator's change in the admin survives
    reminders.save()
    migration.create_periodic_tasks(apps, None)
    assert PeriodicTask.objects.filter(task="alliances.send_reminders").get().enabled is False
    assert PeriodicTask.objects.filter(name__in=[migration.REMINDERS, migration.CLEARSESSIONS]).count() == 2


def test_clear_sessions_task_deletes_expired_web_sessions(db):
    WebSession.objects.create(session_key="old", session_data="x", expire_date=timezone.now() - dt.timedelta(days=1))
    WebSession.objects.create(session_key="new", session_data="x", expire_date=timezone.now() + dt.timedelta(days=1))
    tasks.clear_sessions.delay()
    assert list(WebSession.objects.values_list("session_key", flat=True)) == ["new"]


# --- send_reminders -------------------------------------------------------------------------


def test_send_reminders_dry_run_prints_and_writes_nothing(programme):
    users("a", "b")
    out = StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "a@sink.test" in text and "b@sink.test" in text and "test_echo" in text
    assert "Simulation : 2 message(s) seraient envoyés" in text
    assert not Notification.objects.exists() and mail.outbox == []


def test_send_reminders_sends_and_prints_each_message(programme):
    users("a", "b")
    out = StringIO()
    call_command("send_reminders", stdout=out)
    text = out.getvalue()
    assert "envoyé" in text and "a@sink.test" in text and "b@sink.test" in text
    assert "2 notification(s) enregistrée(s)" in text and "2 envoyé" in text
    assert len(mail.outbox) == 2
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "rien à envoyer" in out.getvalue() and len(mail.outbox) == 2


def test_send_reminders_can_hand_the_batches_to_the_workers(programme, django_capture_on_commit_callbacks):
    users("a")
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--queue", stdout=out)
    assert "confiés aux workers" in out.getvalue()
    assert len(mail.outbox) == 1


# --- The email log (admin) ------------------------------------------------------------------


@pytest.fixture
def log_rows(programme):
    other = factories.ProgrammeFactory()
    mine = factories.NotificationFactory(
        programme=programme, status=Status.FAILED, last_error="Destinataire refusé — 550", kind="session_reminder:7"
    )
    theirs = factories.NotificationFactory(programme=other, status=Status.FAILED)
    return mine, theirs


def test_the_email_log_is_scoped_to_the_coordinators_editions(client, coordinator, log_rows):
    mine, theirs = log_rows
    client.force_login(coordinator)
    url = reverse("admin:alliances_notification_changelist")
    response = client.get(url)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    assert "rappel de session (J-7)" in response.content.decode()
    assert client.get(reverse("admin:alliances_notification_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:alliances_notification_change", args=[theirs.pk])).status_code == 302
    assert client.get(f"{url}?status__exact=failed&famille=session_reminder&incident=oui").status_code == 200


def test_the_email_log_refuses_others(client, log_rows):
    url = reverse("admin:alliances_notification_changelist")
    assert client.get(url).status_code == 302  # logged out: login
    client.force_login(factories.UserFactory(is_staff=True))  # staff coordinating nothing
    assert client.get(url).status_code == 403
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 302


def test_resend_action(client, coordinator, programme, log_rows, django_capture_on_commit_callbacks):
    mine, theirs = log_rows
    recipient = factories.UserFactory(email="corrige@sink.test")
    failed = factories.NotificationFactory(
        kind="test_echo", programme=programme, recipient=recipient, status=Status.FAILED, attempts=1
    )
    pending = factories.NotificationFactory(kind="test_echo", programme=programme, status=Status.PENDING)
    client.force_login(coordinator)
    url = reverse("admin:alliances_notification_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"action": "resend", "_selected_action": [failed.pk, pending.pk, theirs.pk]}, follow=True
        )
    text = response.content.decode()
    assert "1 e-mail remis en file d&#x27;envoi." in text
    assert "1 e-mail ignoré" in text
    failed.refresh_from_db()
    theirs.refresh_from_db()
    assert failed.status == Status.SENT and failed.attempts == 0
    assert theirs.status == Status.FAILED  # another edition's: untouched
    assert [m.to[0] for m in mail.outbox] == ["corrige@sink.test"]


def test_email_log_query_count_does_not_grow(client, coordinator, programme):
    client.force_login(coordinator)
    url = reverse("admin:alliances_notification_changelist")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    factories.NotificationFactory.create_batch(3, programme=programme)
    small = count()
    factories.NotificationFactory.create_batch(40, programme=programme)
    assert count() == small


# --- Encoding once per group ----------------------------------------------------------------


def _notification_for(programme, email, first_name):
    user = factories.UserFactory(email=email, first_name=first_name)
    return factories.NotificationFactory(kind="test_echo", programme=programme, recipient=user)


def _parts(raw):
    message = email_lib.message_from_bytes(raw, policy=email_policy.default)
    parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
    return message, parts


def test_a_group_is_encoded_once_and_each_message_matches_djangos_own_encoding(programme):
    programme.email_introduction = "Le mot de l'équipe."
    programme.save()
    renderer = notifications.EmailRenderer(
        "announcement",
        {"announcement": SimpleNamespace(title="Visite à Lyon", body="Corps."), "announcements_url": "/a/"},
        programme=programme,
        attachments=[("agenda.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")],
    )
    named = _notification_for(programme, "zoe.lea+alliances@example.org", "Zoé & Léa")
    anonymous = _notification_for(programme, "anonyme@example.org", "")
    for notification, greeting, html_greeting in (
        (named, "Bonjour Zoé & Léa,", "Bonjour Zoé &amp; Léa,"),
        (anonymous, "Bonjour,", "Bonjour,"),
    ):
        message = renderer.email(notification)
        assert message.encoded is not None  # the fast path
        fast, fast_parts = _parts(message.message().as_bytes(linesep="\r\n"))
        slow, slow_parts = _parts(EmailMultiAlternatives.message(message).as_bytes(linesep="\r\n"))
        for header in ("From", "To", "Subject", "Message-ID", "X-Alliances-Notification", "Auto-Submitted"):
            assert fast[header] == slow[header], header
        assert fast["To"] == notification.recipient.email
        assert fast["Message-ID"] == f"<notification.{notification.pk}@alliances.localhost>"
        assert fast_parts == slow_parts
        assert greeting in fast_parts["text/plain"] and html_greeting in fast_parts["text/html"]
        assert "Le mot de l'équipe." in fast_parts["text/plain"]
        assert fast_parts["text/calendar"].startswith("BEGIN:VCALENDAR")
        # What locmem, file and console backends and the tests read is the same message.
        assert greeting in message.body and html_greeting in message.alternatives[0].content
    assert len(renderer._variants) == 2  # rendered twice for the whole group: with and without a name


def test_what_cannot_be_encoded_once_is_encoded_per_message(programme):
    renderer = notifications.EmailRenderer(
        "announcement",
        {"announcement": SimpleNamespace(title="T", body="x" * 1200), "announcements_url": "/"},  # quoted-printable
        programme=programme,
    )
    message = renderer.email(_notification_for(programme, "a@example.org", "Ana"))
    assert message.encoded is None
    _message, parts = _parts(message.message().as_bytes())
    assert "Bonjour Ana," in parts["text/plain"] and "x" * 1200 in parts["text/plain"]

    plain = notifications.EmailRenderer("announcement", {"announcement": SimpleNamespace(title="T", body="B")})
    notification = SimpleNamespace(pk=1, recipient=SimpleNamespace(first_name="Ana", email="ana@exemple.fr"))
    assert plain.email(notification).encoded is not None
    notification.recipient.email = "anaïs@exemple.fr"  # needs encoding: Django does it
    assert plain.email(notification).encoded is None


def test_personal_values_reach_each_message_in_its_parts_and_headers_on_the_fast_path(programme):
    renderer = notifications.EmailRenderer(
        "announcement",
        {"announcement": SimpleNamespace(title="Visite", body="Corps."), "announcements_url": "/a/"},
        programme=programme,
        personal={"announcements_url": lambda n: f"https://site.example/lien/{n.recipient.email.split('@')[0]}/?k=1"},
    )
    renderer.headers["X-Test-Link"] = f"<{renderer.placeholder('announcements_url')}>"
    for address in ("ana@example.org", "bea@example.org"):
        message = renderer.email(_notification_for(programme, address, "Ana"))
        link = f"https://site.example/lien/{address.split('@')[0]}/?k=1"
        assert message.encoded is not None
        fast, fast_parts = _parts(message.message().as_bytes(linesep="\r\n"))
        slow, slow_parts = _parts(EmailMultiAlternatives.message(message).as_bytes(linesep="\r\n"))
        assert fast_parts == slow_parts
        assert fast["X-Test-Link"] == slow["X-Test-Link"] == f"<{link}>"
        assert link in fast_parts["text/plain"] and link in fast_parts["text/html"]
        assert "pv-" not in message.body and "pv-" not in message.alternatives[0].content
    assert len(renderer._variants) == 1


def test_a_personal_value_that_html_escapes_differently_is_encoded_per_message(programme):
    renderer = notifications.EmailRenderer(
        "announcement",
        {"announcement": SimpleNamespace(title="Visite", body="Corps."), "announcements_url": "/a/"},
        programme=programme,
        personal={"announcements_url": lambda n: "https://site.example/?a=1&b=2"},
    )
    message = renderer.email(_notification_for(programme, "ana@example.org", "Ana"))
    assert message.encoded is None
    _message, parts = _parts(message.message().as_bytes())
    assert "https://site.example/?a=1&b=2" in parts["text/plain"]
    assert "https://site.example/?a=1&amp;b=2" in parts["text/html"]


def test_one_statement_records_the_previous_message_and_claims_the_next(programme):
    users("a", "b", "c")
    notifications.create_due(now=NOW)
    a, b, c = Notification.objects.order_by("recipient__email")
    token_a, token_b = uuid.uuid4(), uuid.uuid4()
    assert notifications.queue._claim(a.pk, token_a, NOW)

    assert notifications.queue._mark_sent_and_claim((a, token_a), b.pk, token_b, NOW) is True
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.claim_token, a.sent_at is not None) == (Status.SENT, None, True)
    assert (b.status, b.claim_token, b.claimed_at) == (Status.SENDING, token_b, NOW)

    Notification.objects.filter(pk=c.pk).update(status=Status.SENDING)  # another worker has it
    assert notifications.queue._mark_sent_and_claim((b, token_b), c.pk, uuid.uuid4(), NOW) is False
    b.refresh_from_db()
    assert b.status == Status.SENT


def test_a_superuser_sees_every_editions_email_log(client, superuser, log_rows):
    client.force_login(superuser)
    response = client.get(reverse("admin:alliances_notification_changelist"))
    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == set(log_rows)
