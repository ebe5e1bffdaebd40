"""Views of the core's top layer."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "down" for a health check
        return False


def _broker_ok():
    try:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - any failure means "down" for a health check
        return False


def _answer(checks):
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


@never_cache
@require_GET
def healthz(request):
    """Liveness: this process answers and reaches the database. 200 when it does, 503 otherwise.

    What the container's healthcheck and the reverse proxy / load balancer call. The broker is
    deliberately left out: while Redis is down, pages still work (only background jobs wait), and
    every instance shares the same Redis, so a check on it would take every instance, hence the
    whole site, out of the load balancer at once.
    """
    return _answer({"database": "ok" if _database_ok() else "error"})


@never_cache
@require_GET
def readyz(request):
    """Readiness: everything this deployment needs to do all of its work, the broker included.

    For monitoring and for deployment scripts (« is the whole stack up? »), not for routing
    traffic: see :func:`healthz`. ``broker`` appears only when ``REDIS_URL`` is set (without it,
    the embedded default runs its jobs in-process).
    """
    checks = {"database": "ok" if _database_ok() else "error"}
    if settings.REDIS_URL:
        checks["broker"] = "ok" if _broker_ok() else "error"
    return _answer(checks)


@login_required
@require_GET
def bench_minimal(request):
    """The baseline of the web benchmark (bench/web.py): a small template through the full middleware and login."""
    return render(request, "bench_minimal.html", {"user_name": request.user.get_full_name() or request.user.email})
