"""What ``make run`` ends with, for real: ``run_embedded`` sends the demo's due reminder to the files.

In a fresh data folder (SQLite, no service, the environment ``make run`` gives: EMBEDDED_WORKER and
SITE_URL), after ``migrate`` and ``load_demo``: ``manage.py run_embedded`` starts the web server and
a Celery worker with beat embedded; within 2 minutes, with no other command, the current demo
edition's session reminder is in ``DATA_DIR/emails/``, its links on the server's address. Ctrl-C
(SIGINT) then stops everything, and so does a SIGKILL of the command itself: no process is left.
"""

import email
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from tests.alliances.test_settings import SETTINGS_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 120  # seconds: the issue's « within 2 minutes »
EMAIL_SEPARATOR = "-" * 79  # between two messages in a file of Django's file-based backend

pytestmark = pytest.mark.slow


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def embedded(tmp_path):
    """The environment of `make run` in a fresh data folder, migrated and with the demo loaded."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env |= {
        "DJANGO_SETTINGS_MODULE": "alliances.settings",
        "DATA_DIR": str(tmp_path / "data"),
        "EMBEDDED_WORKER": "true",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    (tmp_path / "data").mkdir()
    for command in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
        )
    return env, port, tmp_path / "data"


def _start(env, port, log):
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_embedded", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _child_groups(log_path):
    """The process groups of the web server and the worker, from the command's start-up line."""
    for _ in range(100):
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith("Serveur web (pid"):
                web = int(line.split("(pid ", 1)[1].split(")", 1)[0])
                worker = int(line.split("(pid ", 2)[2].split(")", 1)[0])
                return [web, worker]
        time.sleep(0.1)
    raise AssertionError(f"no start-up line:\n{log_path.read_text(errors='replace')}")


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(groups, timeout=40):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_group_alive(pgid) for pgid in groups):
        time.sleep(0.2)
    return [pgid for pgid in groups if _group_alive(pgid)]


def _messages(folder):
    messages = []
    for path in sorted(folder.glob("*.log")) if folder.is_dir() else []:
        for chunk in path.read_text(errors="replace").split(EMAIL_SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.strip()))
    return messages


def _subject(message):
    return str(make_header(decode_header(message["Subject"] or "")))


def test_run_embedded_sends_the_due_reminder_within_two_minutes_and_stops_on_ctrl_c(embedded, tmp_path):
    env, port, data_dir = embedded
    log_path = tmp_path / "run_embedded.log"
    with log_path.open("w") as log:
        started = time.monotonic()
        process = _start(env, port, log)
        try:
            groups = _child_groups(log_path)
            reminders = []
            while time.monotonic() - started < DEADLINE and len(reminders) < 7:
                reminders = [m for m in _messages(data_dir / "emails") if "S2 — " in _subject(m)]
                time.sleep(0.5)
            elapsed = time.monotonic() - started
            print(f"\n{len(reminders)} reminders in data/emails/ {elapsed:.1f} s after run_embedded started")
            assert len(reminders) == 7, log_path.read_text(errors="replace")
            assert elapsed < DEADLINE
            claire = next(m for m in reminders if m["To"] == "claire.moreau@rfes.example.org")
            assert "S2" in _subject(claire)
            body = claire.get_payload(0).get_payload(0).get_payload()  # text/plain, 8bit
            assert f"http://127.0.0.1:{port}/portail/sessions/" in body  # SITE_URL follows the address
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
                assert response.status == 200
        finally:
            process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            code = process.wait(timeout=60)
    assert code == 0, log_path.read_text(errors="replace")
    assert _wait_gone(groups) == [], "processes left behind after Ctrl-C"


def test_a_killed_run_embedded_leaves_no_process_behind(embedded, tmp_path):
    env, port, _data_dir = embedded
    log_path = tmp_path / "run_embedded.log"
    with log_path.open("w") as log:
        process = _start(env, port, log)
        groups = _child_groups(log_path)
        time.sleep(3)
        process.kill()  # SIGKILL: the command cannot clean up; its children are told by the kernel
        process.wait(timeout=10)
    assert _wait_gone(groups) == [], "processes orphaned by a SIGKILL of run_embedded"
