"""Benchmark: 5,000 due session reminders sent through the platform, against plain smtplib.

    .venv/bin/python bench/reminders.py [--count 5000] [--workers 4] [--editions 100 [--seed 0]]

In a throwaway database — a temporary SQLite file (the embedded default), or, when
DATABASE_URL names a PostgreSQL server, a temporary database created on it and
dropped at the end — it creates an edition, a session in three days and COUNT
participants (half confirmed, half not answered yet), so that COUNT « J-7 »
reminders are due. A local SMTP sink (aiosmtpd, in its own process) receives the mail.

With ``--editions N`` the reminders are taken from a database at scale instead:
``generate_scale_data`` loads N complete editions (15 networks and about 50 participants
each), and every edition gets a session in three days (half of its participants confirmed,
half not answered yet): about 50 × N due reminders, 5,000 for 100 editions (``--count`` is
then ignored; the number due is printed).

* platform: the periodic task ``alliances.send_reminders``, run in-process (Celery
  eager): find what is due, record it, then batches of 200 over one SMTP connection
  each: claim, render (text + HTML + .ics), send and record every message. Measured
  with one worker (the batches one after the other, exactly the in-process task), and
  with ``--workers`` concurrent workers (threads here, worker processes in production)
  sharing the batches, as a deployment with several workers does.
* baseline: the very same messages, rendered beforehand, sent with plain smtplib
  over a single connection.

It prints the times and their ratios to the baseline (target: at most 2×).
"""

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


# --- The SMTP sink, in its own process (so that it does not share this process's CPU time) ------


def _sink(port, received, ready):
    import asyncio
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with received.get_lock():
                received.value += len(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        asyncio.run(asyncio.sleep(10**6))
    finally:
        controller.stop()


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink():
    context = multiprocessing.get_context("spawn")
    port = _free_port()
    received = context.Value("i", 0)
    ready = context.Event()
    process = context.Process(target=_sink, args=(port, received, ready), daemon=True)
    process.start()
    if not ready.wait(30):
        raise RuntimeError("The SMTP sink did not start.")
    return process, port, received


def wait_for(received, count, timeout=30):
    deadline = time.monotonic() + timeout
    while received.value < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return received.value


# --- A throwaway database --------------------------------------------------------------------


def throwaway_database(workdir):
    """Point the settings at a fresh database; returns a cleanup function."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        os.environ.pop("DATABASE_URL", None)
        os.environ["DATA_DIR"] = str(workdir)  # SQLite at DATA_DIR/alliances.sqlite3
        return lambda: None, "SQLite (temporary file)"
    import psycopg2

    parts = urlsplit(url)
    name = f"alliances_bench_{os.getpid()}"
    admin = psycopg2.connect(url.replace(parts.path, "/postgres", 1))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = parts._replace(path="/" + name).geturl()

    def drop():
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django never started: nothing to close
            pass
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return drop, f"PostgreSQL (temporary database {name})"


# --- Data ------------------------------------------------------------------------------------


def create_participants(count):
    """An edition with ``count`` participants in 50 pilot networks."""
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from faker import Faker

    from alliances.models import Programme, User
    from networks.models import Enrolment, Network, Participant

    programme = Programme.objects.create(
        name="Édition de mesure",
        slug="edition-de-mesure",
        starts_on=dt.date(2030, 1, 1),
        ends_on=dt.date(2030, 12, 31),
        email_introduction="Bienvenue dans le Parcours d'expérience « Alliances innovantes ».",
    )
    networks = Network.objects.bulk_create([Network(name=f"Réseau de mesure {i}", acronym=f"RM{i}") for i in range(50)])
    enrolments = Enrolment.objects.bulk_create(
        [Enrolment(programme=programme, network=network, status=Enrolment.Status.AGREED) for network in networks]
    )
    fake = Faker("fr_FR")
    fake.seed_instance(2018)
    password = make_password(None)
    users = User.objects.bulk_create(
        [
            User(
                email=f"participant{i}@bench.test",
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                password=password,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    participants = Participant.objects.bulk_create(
        [Participant(user=user, enrolment=enrolments[i % len(enrolments)]) for i, user in enumerate(users)],
        batch_size=1000,
    )
    return programme, participants


def create_session(programme, participants, number):
    """A session in three days: its « J-7 » reminder is due for every participant (half of them confirmed)."""
    import datetime as dt

    from django.utils import timezone

    from sessions.models import Registration, Session

    session = Session.objects.create(
        programme=programme,
        number=number,
        code=f"S{number}",
        title="Comprendre",
        starts_at=timezone.now() + dt.timedelta(days=3),
        ends_at=timezone.now() + dt.timedelta(days=3, hours=7),
        venue="Paris",
        theory="Le paysage des partenariats en France.",
    )
    Registration.objects.bulk_create(
        [
            Registration(session=session, participant=participant, rsvp=Registration.Rsvp.CONFIRMED)
            for participant in participants[::2]
        ],
        batch_size=1000,
    )
    return session


def scale_editions(editions, seed):
    """``generate_scale_data`` editions, each as (programme, its participants who get emails)."""
    import io

    from django.core.management import call_command

    from alliances.models import Programme
    from sessions.reminders import edition_participants

    call_command("generate_scale_data", editions=editions, seed=seed, stdout=io.StringIO())
    return [
        (programme, list(edition_participants(programme.pk).order_by("pk")))
        for programme in Programme.objects.filter(sessions__isnull=False).distinct().order_by("pk")
    ]


def due_count(sessions):
    """The reminders due for ``sessions``, counted as the periodic task finds them."""
    from sessions.models import Registration
    from sessions.reminders import edition_participants

    total = 0
    for session in sessions:
        declined = Registration.objects.filter(session=session, rsvp=Registration.Rsvp.DECLINED)
        total += (
            edition_participants(session.programme_id)
            .filter(user__notify_session_reminders=True)
            .exclude(pk__in=declined.values("participant_id"))
            .values("user_id")
            .distinct()
            .count()
        )
    return total


def rendered_messages(sessions):
    """The platform's own messages for the sessions' sent reminders, rendered ahead (for the baseline)."""
    from django.conf import settings
    from django.utils import timezone, translation

    from alliances import notifications
    from alliances.models import Notification

    rows = list(
        Notification.objects.filter(object_id__in=[s.pk for s in sessions], kind__startswith="session_reminder")
        .select_related("recipient", "programme")
        .order_by("pk")
    )
    now = timezone.now()
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for start in range(0, len(rows), 200):
            chunk = rows[start : start + 200]
            built = notifications.source_for(chunk[0].kind).build(chunk, now=now)
            for row in chunk:
                message = built[row.pk]
                messages.append((message.from_email, message.to, message.message().as_bytes(linesep="\r\n")))
    return messages


def run_platform(workers):
    """The periodic job, then its batches sent by ``workers`` concurrent workers (threads here,
    worker processes in production); with one worker, exactly the in-process periodic task."""
    import queue
    import threading

    from django.db import connections

    from alliances import notifications, tasks

    if workers == 1:
        return tasks.send_reminders.delay().get()["batches"]
    batches = queue.Queue()
    report = notifications.run(dispatch=batches.put)

    def worker():
        try:
            while True:
                try:
                    ids = batches.get_nowait()
                except queue.Empty:
                    return
                tasks.send_notifications.apply(args=[ids])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return report.batches


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="due reminders (default 5000)")
    parser.add_argument(
        "--workers", type=int, default=4, help="also measure with this many concurrent workers (default 4)"
    )
    parser.add_argument(
        "--editions", type=int, default=0, help="take the reminders from N generate_scale_data editions (e.g. 100)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of generate_scale_data (with --editions)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="alliances-bench-"))
    drop_database, database = throwaway_database(workdir)
    sink, port, received = start_sink()
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliances.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else")
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from alliances.models import Notification

        call_command("migrate", verbosity=0)
        if args.editions:
            started = time.perf_counter()
            editions = scale_editions(args.editions, args.seed)
            database += f", {len(editions)} generate_scale_data editions ({time.perf_counter() - started:.0f} s)"
        else:
            editions = [create_participants(args.count)]

        timings = {}
        for number, workers in enumerate(sorted({1, args.workers}), start=1):
            # Numbers above the generated sessions' (1-4): a new session in three days per edition.
            sessions = [create_session(programme, people, 10 + number) for programme, people in editions]
            count = due_count(sessions)
            received.value = 0
            started = time.perf_counter()
            batches = run_platform(workers)
            timings[workers] = time.perf_counter() - started
            delivered = wait_for(received, count)
            sent = Notification.objects.filter(
                object_id__in=[s.pk for s in sessions],
                kind__startswith="session_reminder",
                status=Notification.Status.SENT,
            ).count()
            if delivered != count or sent != count:
                raise SystemExit(f"Platform: {delivered} delivered, {sent} recorded as sent, {count} expected.")

        # The baseline: the same messages, pre-built, over one plain smtplib connection.
        import smtplib

        messages = rendered_messages(sessions)
        received.value = 0
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for from_email, to, raw in messages:
                smtp.sendmail(from_email, to, raw)
        baseline = time.perf_counter() - started
        if wait_for(received, count) != count:
            raise SystemExit("Baseline: not every message was delivered.")

        size = sum(len(raw) for _from, _to, raw in messages) / len(messages)
        print(f"Database: {database}; {count} due reminders, {batches} batches of <= 200; {size / 1024:.1f} KiB each")
        print(
            f"baseline: pre-built messages, plain smtplib, one connection: {baseline:6.2f} s {count / baseline:5.0f} msg/s"
        )
        for workers, seconds in timings.items():
            label = "1 worker" if workers == 1 else f"{workers} workers"
            print(
                f"platform, {label:<10} (find, record, claim, render, send, record): {seconds:6.2f} s"
                f" {count / seconds:5.0f} msg/s  ratio {seconds / baseline:.2f}x"
            )
        print("target: ratio <= 2x")
    finally:
        sink.terminate()
        sink.join(5)
        drop_database()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
