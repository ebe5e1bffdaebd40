"""``manage.py run_embedded [ADDRPORT]``: the web server and the periodic jobs, with no server to install.

What ``make run`` ends with (``EMBEDDED_WORKER=true``, see :mod:`alliances.embedded`). It starts two
processes and watches them:

- ``runserver ADDRPORT``, the web server (with its auto-reloader);
- one Celery worker with beat embedded, on the filesystem transport: it runs the schedules of
  django-celery-beat (the reminders and announcements job every 15 minutes, the nightly jobs) and
  every task the web server queues (documents, e-mails).

It also queues one run of the reminders job at once: beat's first run comes one interval (15
minutes) after the schedule was last changed, and whatever fell due while the platform was
stopped — the demo edition's session reminder on a fresh ``make run`` — should not wait for it.

Stopping: Ctrl-C (SIGINT), SIGTERM or SIGHUP to this command stops both, and so does either of
them exiting. Each child runs in its own process group, which gets SIGTERM (a warm shutdown for
the worker: it finishes its task), then SIGKILL after :data:`STOP_TIMEOUT` seconds; the groups
include the reloader's server process and beat's process. On Linux each child is also told to
receive SIGTERM should this command die without cleaning up (SIGKILL), so nothing is orphaned.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alliances.embedded import WORKER_ARGUMENTS, ensure_broker_folders

STOP_TIMEOUT = 20  # seconds a child has to stop after SIGTERM
POLL_INTERVAL = 0.5
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child, before exec: receive SIGTERM when the parent dies (Linux's prctl)."""
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Lance le serveur web et, à côté, un worker Celery avec beat intégré qui exécute les tâches "
        "périodiques (rappels, annonces), sans serveur à installer (EMBEDDED_WORKER=true). Ctrl-C arrête les deux."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Adresse du serveur web.")

    def handle(self, *args, addrport, **options):
        if not settings.EMBEDDED_WORKER:
            raise CommandError("run_embedded a besoin de EMBEDDED_WORKER=true (make run le définit).")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError(
                "CELERY_TASK_ALWAYS_EAGER est activé : les tâches ne passeraient pas par le worker. Retirez-le."
            )
        ensure_broker_folders()
        self._stopping = False
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._ask_to_stop)

        children = {}
        try:
            children["worker"] = self._spawn([sys.executable, "-m", "celery", *WORKER_ARGUMENTS])
            children["web"] = self._spawn([sys.executable, "-m", "django", "runserver", addrport])
            self.stdout.write(
                f"Serveur web (pid {children['web'].pid}) et worker avec beat intégré (pid {children['worker'].pid}) "
                f"démarrés ; Ctrl-C arrête les deux."
            )
            self.stdout.flush()
            self._queue_reminders_job()
            exited = self._wait_for_stop(children)
        finally:
            self._stop(children)
        if exited:
            name, code = exited
            raise CommandError(f"Le processus « {name} » s'est arrêté (code {code}) : l'autre a été arrêté aussi.")

    def _ask_to_stop(self, signum, frame):
        self._stopping = True

    def _spawn(self, command):
        # Its own session: the terminal's Ctrl-C reaches this command only, which stops the children in order.
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        return subprocess.Popen(command, start_new_session=True, preexec_fn=preexec)  # noqa: PLW1509

    def _queue_reminders_job(self):
        from alliances.tasks import send_reminders

        send_reminders.apply_async()

    def _wait_for_stop(self, children):
        """Until a signal arrives (None) or a child exits (its name and code)."""
        while not self._stopping:
            for name, process in children.items():
                code = process.poll()
                if code is not None:
                    return name, code
            time.sleep(POLL_INTERVAL)
        return None

    def _stop(self, children):
        for process in children.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in children.values():
            # SIGKILL to what is left in the group: the child itself, or a process it started (the
            # reloader's server, beat) that outlived it.
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process, signum):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
