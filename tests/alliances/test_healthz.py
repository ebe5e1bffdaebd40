"""/healthz (liveness: docker's healthcheck, the load balancer) and /readyz (readiness: monitoring, deployments)."""

import socket

import pytest

from alliances import views

pytestmark = [
    pytest.mark.django_db,
    # whitenoise warns when STATIC_ROOT has not been collected, as in a fresh clone: irrelevant here.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

REAL_REDIS = "redis://127.0.0.1:6379/15"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def redis_reachable(host="127.0.0.1", port=6379):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


# --- /healthz: liveness (the process and its database) ---------------------------------------


def test_healthz_reports_the_database(client, settings):
    settings.REDIS_URL = REAL_REDIS
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_stays_200_while_only_the_broker_is_down(client, settings):
    """Pages work without Redis: a load balancer on /healthz must keep the site up."""
    settings.REDIS_URL = CLOSED_PORT_REDIS
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_database_failure_gives_503(client, settings, monkeypatch):
    settings.REDIS_URL = CLOSED_PORT_REDIS
    monkeypatch.setattr(views, "_database_ok", lambda: False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}


# --- /readyz: readiness (the database and the broker) ----------------------------------------


def test_readyz_without_redis_reports_database_only(client, settings):
    settings.REDIS_URL = None
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_database_failure_gives_503(client, settings, monkeypatch):
    settings.REDIS_URL = None
    monkeypatch.setattr(views, "_database_ok", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}


def test_readyz_broker_down_gives_503(client, settings):
    settings.REDIS_URL = CLOSED_PORT_REDIS
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "broker": "error"}


def test_readyz_broker_checked_against_real_redis(client, settings):
    settings.REDIS_URL = REAL_REDIS
    response = client.get("/readyz")
    if redis_reachable():
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    else:  # no Redis on this machine: the same call must then report the broker down
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "ok", "broker": "error"}


def test_readyz_database_and_broker_down(client, settings, monkeypatch):
    settings.REDIS_URL = CLOSED_PORT_REDIS
    monkeypatch.setattr(views, "_database_ok", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "broker": "error"}


def test_database_check_runs_a_real_query():
    assert views._database_ok() is True


@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get_is_allowed(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response["Allow"] == "GET"


@pytest.fixture
def urlconf_with(settings):
    """Re-read alliances/urls.py under the given settings (it decides its routes at import)."""
    import importlib

    from django.conf import settings as django_settings
    from django.urls import clear_url_caches

    import alliances.urls

    original = {name: getattr(django_settings, name) for name in ("DEBUG", "BENCH_MINIMAL_VIEW")}

    def load(**values):
        for name, value in values.items():
            setattr(settings, name, value)
        importlib.reload(alliances.urls)
        clear_url_caches()

    yield load
    load(**original)


def test_the_bench_page_is_not_routed_in_production(client, db, urlconf_with):
    from django.urls import NoReverseMatch, reverse

    from tests import factories

    urlconf_with(DEBUG=False, BENCH_MINIMAL_VIEW=False)
    with pytest.raises(NoReverseMatch):
        reverse("bench_minimal")
    client.force_login(factories.UserFactory())
    assert client.get("/bench-minimal/").status_code == 404


@pytest.mark.parametrize("switch", [{"DEBUG": True}, {"BENCH_MINIMAL_VIEW": True}])
def test_bench_minimal_view_renders_a_small_page_for_anyone_logged_in(client, db, urlconf_with, switch):
    """The baseline of bench/web.py, routed with DEBUG or when the benchmark asks: login required, then a small page."""
    from django.urls import reverse

    from tests import factories

    urlconf_with(**{"DEBUG": False, "BENCH_MINIMAL_VIEW": False, **switch})
    url = reverse("bench_minimal")
    assert url == "/bench-minimal/"
    assert client.get(url).status_code == 302
    client.force_login(factories.UserFactory(first_name="Ada", last_name="Lovelace"))
    response = client.get(url)
    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()


def test_the_benchmarks_ask_for_their_page():
    from pathlib import Path

    bench = Path(__file__).resolve().parents[2] / "bench"
    for script in ("web.py", "pages.py"):
        assert '"BENCH_MINIMAL_VIEW": "true"' in (bench / script).read_text(), script
