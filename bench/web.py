"""Benchmark: pages served by gunicorn (2 workers) under load, against a minimal page of our own.

    .venv/bin/python bench/web.py [--editions 100] [--seed 0] [--duration 10] [--rounds 1] [--clients 8] [--sqlite]
                                  [--postgres-url postgres://USER@127.0.0.1:5432/postgres] [--database NAME]

1. A throwaway database: ``--database`` (default ``alliances_bench_web``) on the local PostgreSQL
   server (created through the ``postgres`` database, dropped at the end; ``--postgres-url``
   names the server), or with
   ``--sqlite`` a temporary SQLite file (``DATA_DIR``). Migrated, then ``generate_scale_data``
   loads ``--editions`` complete editions.
2. gunicorn, 2 workers, on 127.0.0.1 and a free port, with production-like settings (DEBUG off,
   a SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, no HTTPS redirect nor secure cookies since the load
   generator speaks plain HTTP on loopback).
3. Logged-in sessions for a participant, a committee member and a coordinator of the first
   edition, created directly with the session store; the load generator sends their cookie.
4. ``wrk`` when installed (p95 from a Lua ``done`` hook), else a small Python generator (threads,
   http.client): ``--clients`` concurrent connections, ``--duration`` seconds per page, at most
   ``--max-requests`` requests per page (Python generator). Only 127.0.0.1 is ever contacted.

It prints requests per second and p95 latency for each page, and the ratio of the throughput to
the minimal view's (targets: ratio ≥ 0.5, p95 ≤ 150 ms). On a shared, noisy machine, ``--rounds 5``
measures the pages round-robin in five slices and takes each page's median ratio to the minimal
view of the same slice.
"""

import argparse
import getpass
import http.client
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "alliances_bench_web"
RATIO_TARGET = 0.5
P95_TARGET_MS = 150.0
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_us=%d p95_us=%d non2xx=%d errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(95), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- The throwaway database -------------------------------------------------------------------


def create_database(args, workdir):
    """Set DATABASE_URL (or DATA_DIR) for this process and gunicorn; return a cleanup function."""
    if args.sqlite:
        os.environ.pop("DATABASE_URL", None)
        os.environ["DATA_DIR"] = str(workdir)
        return lambda: None, f"SQLite ({workdir}/alliances.sqlite3)"
    import psycopg2

    server = urlsplit(args.postgres_url)
    if server.hostname not in ("127.0.0.1", "localhost", None, ""):
        raise SystemExit("The benchmark database must be on this machine (127.0.0.1).")
    admin = psycopg2.connect(args.postgres_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = server._replace(path="/" + args.database).geturl()

    def drop():
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django never started: nothing to close
            pass
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.close()

    return drop, f"PostgreSQL (database {args.database}, dropped at the end)"


def collect_static():
    """DEBUG off serves hashed static names from the manifest, as in production: collect them if missing."""
    from django.conf import settings
    from django.core.management import call_command

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def load_data(editions, seed):
    import django
    from django.core.management import call_command

    django.setup()
    collect_static()
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("generate_scale_data", editions=editions, seed=seed, stdout=io.StringIO())
    return time.perf_counter() - start


# --- Logged-in sessions -----------------------------------------------------------------------


def login_cookie(user):
    """A session row for ``user``, as a login would make it; returns the Cookie header value."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def pages(seed):
    """(label, path, cookie) of each measured page, for the people of the first edition."""
    from alliances.scale import edition_slug
    from governance.models import CommitteeMember
    from networks.models import Participant
    from sessions.models import Session

    slug = edition_slug(seed, 1)
    participant = Participant.objects.select_related("user").filter(enrolment__programme__slug=slug).first()
    member = CommitteeMember.objects.select_related("user").filter(committee__programme__slug=slug, user__isnull=False)
    member = member.first().user
    coordinator = participant.enrolment.programme.coordinators.get()
    session = Session.objects.filter(programme__slug=slug).order_by("number").first()
    as_participant, as_member, as_coordinator = (login_cookie(u) for u in (participant.user, member, coordinator))
    return [
        ("minimal view (baseline)", "/bench-minimal/", as_participant),
        ("portal home (participant)", "/portail/", as_participant),
        ("session page (participant)", f"/portail/sessions/{session.pk}/", as_participant),
        ("committee area (member)", "/comite/", as_member),
        ("admin changelist (coordinator)", "/admin/networks/enrolment/", as_coordinator),
        ("edition cockpit (coordinator)", f"/coordination/editions/{slug}/", as_coordinator),
    ]


# --- gunicorn ---------------------------------------------------------------------------------


def start_gunicorn(port, workers, log):
    env = {
        **os.environ,
        "DEBUG": "false",
        "BENCH_MINIMAL_VIEW": "true",  # the baseline page, routed only when asked for
        "SECRET_KEY": "bench-web-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "alliances.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "/dev/null",
        "--error-logfile",
        str(log),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            status, _ = get(port, "/healthz", "")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s.")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def get(port, path, cookie, connection=None):
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"} if cookie else {"Host": "127.0.0.1"})
    response = conn.getresponse()
    body = response.read()
    if connection is None:
        conn.close()
    return response.status, body


# --- Load generators --------------------------------------------------------------------------


def run_wrk(port, path, cookie, args, script, duration):
    command = [
        "wrk",
        f"-t{min(2, args.clients)}",
        f"-c{args.clients}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        "-H",
        f"Cookie: {cookie}",
        f"http://127.0.0.1:{port}{path}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    values = dict(item.split("=") for item in line.split()[1:])
    requests = int(values["requests"])
    return {
        "rps": requests / (int(values["duration_us"]) / 1e6),
        "p95_ms": int(values["p95_us"]) / 1000,
        "requests": requests,
        "failed": int(values["non2xx"]) + int(values["errors"]),
    }


def run_python(port, path, cookie, args, duration):
    """``args.clients`` threads, one keep-alive connection each, for ``duration`` s or ``args.max_requests``."""
    latencies, failures, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + duration

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed = [], 0
        while time.monotonic() < deadline and len(latencies) + len(mine) < args.max_requests:
            start = time.perf_counter()
            try:
                status, _ = get(port, path, cookie, conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            mine.append(time.perf_counter() - start)
            failed += status != 200
        conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else float("nan")
    return {"rps": len(latencies) / elapsed, "p95_ms": p95 * 1000, "requests": len(latencies), "failed": failures[0]}


# --- Main ---------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--editions", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--duration", type=int, default=10, help="seconds per page (over all the rounds)")
    parser.add_argument("--rounds", type=int, default=1, help="measure the pages round-robin, in this many slices")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per page (Python generator)")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--python-client", action="store_true", help="the Python generator even if wrk is there")
    parser.add_argument("--postgres-url", default=f"postgres://{getpass.getuser()}@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default=DB_NAME, help="name of the throwaway PostgreSQL database")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliances.settings")
    # The bench process uses the same settings as gunicorn (DEBUG off: no query log kept).
    os.environ.update(
        {
            "DEBUG": "false",
            "BENCH_MINIMAL_VIEW": "true",  # the baseline page, routed only when asked for
            "SECRET_KEY": "bench-web-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
        }
    )
    workdir = Path(tempfile.mkdtemp(prefix="alliances-bench-web-"))
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["EMAIL_URL"] = "consolemail://"
    drop, database = create_database(args, workdir)
    gunicorn = None
    wrk = None if args.python_client else shutil.which("wrk")
    try:
        load_time = load_data(args.editions, args.seed)
        targets = pages(args.seed)
        from django.db import connections

        connections.close_all()
        port = free_port()
        gunicorn = start_gunicorn(port, args.workers, workdir / "gunicorn.log")
        script = workdir / "p95.lua"
        script.write_text(WRK_SCRIPT)
        print(f"Database: {database}; {args.editions} editions generated in {load_time:.1f} s")
        print(
            f"gunicorn: {args.workers} workers on 127.0.0.1:{port}; load: "
            f"{'wrk' if wrk else 'Python threads'}, {args.clients} clients, {args.duration} s per page; "
            f"CPUs: {os.cpu_count()}"
        )
        for _label, path, cookie in targets:
            status, body = get(port, path, cookie)
            if status != 200:
                raise RuntimeError(f"{path} answered {status} before the load: {body[:200]!r}")
            get(port, path, cookie)  # warm-up
        # Round-robin: every page, the minimal view first, for duration / rounds seconds per round; a
        # page's ratio is the median of its ratios to the minimal view of the same round, so that a
        # load that comes and goes on a shared machine weighs on both sides of each ratio alike.
        rounds = [[] for _ in targets]
        slice_seconds = max(1, round(args.duration / args.rounds))
        for _round in range(args.rounds):
            for index, (_label, path, cookie) in enumerate(targets):
                if wrk:
                    rounds[index].append(run_wrk(port, path, cookie, args, script, slice_seconds))
                else:
                    rounds[index].append(run_python(port, path, cookie, args, slice_seconds))
        print()
        print(
            f"{'page':<32} {'path':<30} {'req/s':>8} {'p95 ms':>8} {'ratio':>6} {'requests':>9} {'failed':>6}  target"
        )
        for (label, path, _cookie), measured in zip(targets, rounds, strict=True):
            r = {
                "rps": statistics.median(m["rps"] for m in measured),
                "p95_ms": statistics.median(m["p95_ms"] for m in measured),
                "requests": sum(m["requests"] for m in measured),
                "failed": sum(m["failed"] for m in measured),
            }
            ratio = statistics.median(m["rps"] / b["rps"] for m, b in zip(measured, rounds[0], strict=True))
            ok = ratio >= RATIO_TARGET and r["p95_ms"] <= P95_TARGET_MS and not r["failed"]
            print(
                f"{label:<32} {path:<30} {r['rps']:>8.1f} {r['p95_ms']:>8.1f} {ratio:>6.2f} "
                f"{r['requests']:>9} {r['failed']:>6}  {'ok' if ok else 'MISSED'}"
            )
        print(
            f"\n{args.rounds} rounds of {slice_seconds} s per page (req/s, p95: medians of the rounds; ratio: median"
            " of the ratios to the minimal view measured in the same round)."
        )
        print(f"Targets: ratio to the minimal view ≥ {RATIO_TARGET}, p95 ≤ {P95_TARGET_MS:.0f} ms.")
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        drop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
