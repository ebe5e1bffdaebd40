"""In-process cost of the pages bench/web.py loads: median time per request, and a profile on demand.

    .venv/bin/python bench/pages.py [--editions 5] [--requests 50] [--profile PAGE] [--data-dir DIR]

Builds a throwaway SQLite database in a temporary DATA_DIR (or reuses ``--data-dir`` when it
already holds one), loads ``--editions`` editions with ``generate_scale_data``, then requests
each page of bench/web.py through the whole WSGI stack (Django's test client, every
middleware, DEBUG off) as the same people, ``--requests`` times, and prints the median and
p95 wall time per request, the median CPU time of this process per request (steadier than wall
time on a shared machine), the number of queries and the time spent in SQL. ``--profile``
(a page label prefix, e.g. ``home`` or ``admin``) also prints the top of a cProfile of that
page (cumulative time), to find where the Python time goes. With DATABASE_URL set to a
PostgreSQL database it uses that database as it is (no data is generated: run bench/web.py's
loading, or ``generate_scale_data``, first).
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# In-process targets (issue 14): the cockpit of an edition at most 30 ms (median) at 100 editions.
TARGETS_MS = {"edition cockpit (coordinator)": 30.0}

PRODUCTION_LIKE = {
    "DEBUG": "false",
    "BENCH_MINIMAL_VIEW": "true",  # the baseline page, routed only when asked for
    "SECRET_KEY": "bench-pages-" + "x" * 50,
    "ALLOWED_HOSTS": "127.0.0.1,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "LOG_LEVEL": "WARNING",
    "EMAIL_URL": "consolemail://",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--editions", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--requests", type=int, default=50, help="requests per page")
    parser.add_argument("--profile", help="profile the page whose label starts with this (e.g. home, admin)")
    parser.add_argument("--top", type=int, default=45, help="lines of the profile")
    parser.add_argument(
        "--pyinstrument", action="store_true", help="profile with pyinstrument (sampling; pip install it) not cProfile"
    )
    parser.add_argument("--data-dir", help="a folder for the SQLite database, kept (reused when it has one)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    os.chdir(ROOT)
    os.environ.update(PRODUCTION_LIKE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliances.settings")
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="alliances-bench-pages-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if not postgres:
        os.environ.pop("DATABASE_URL", None)
        os.environ["DATA_DIR"] = str(data_dir)
    os.environ["MEDIA_ROOT"] = str(data_dir / "media")
    fresh = not postgres and not (data_dir / "alliances.sqlite3").exists()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from web import collect_static, pages

    collect_static()
    if fresh:
        call_command("migrate", verbosity=0)
        start = time.perf_counter()
        call_command("generate_scale_data", editions=args.editions, seed=args.seed, stdout=io.StringIO())
        print(f"{args.editions} editions generated in {time.perf_counter() - start:.1f} s ({data_dir})")

    client = Client()
    print(f"{'page':<32} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'queries':>8} {'SQL ms':>7} {'KiB':>6}")
    for label, path, cookie in pages(args.seed):
        headers = {"Cookie": cookie}
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        for _ in range(3):  # warm-up: templates compiled and cached, imports done
            client.get(path, headers=headers)
        times, cpu = [], []
        for _ in range(args.requests):
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(path, headers=headers)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, headers=headers)
        sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        median_ms = statistics.median(times) * 1000
        target = TARGETS_MS.get(label)
        verdict = "" if target is None else f"  target <= {target:.0f} ms: {'met' if median_ms <= target else 'MISSED'}"
        print(
            f"{label:<32} {median_ms:>10.1f} {p95 * 1000:>8.1f} "
            f"{statistics.median(cpu) * 1000:>7.1f} {len(queries):>8} "
            f"{sql_ms:>7.1f} {len(response.content) / 1024:>6.1f}{verdict}"
        )
        if args.profile and label.startswith(args.profile) and args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
            for _ in range(args.requests):
                client.get(path, headers=headers)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        elif args.profile and label.startswith(args.profile):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                client.get(path, headers=headers)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
            stats.print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
