"""Views of the core's top layer."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
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


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness for load balancers and docker: 200 when healthy, 503 otherwise."""
    checks = {"database": "ok" if _database_ok() else "error"}
    if settings.REDIS_URL:
        checks["broker"] = "ok" if _broker_ok() else "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
