"""Developer-only code is never routed in production: the benchmark's baseline page (``/bench-minimal/``,
``BENCH_MINIMAL_VIEW``) is accepted with DEBUG off only by a platform answering local host names, as
the benchmarks run it, and ``check --deploy`` flags it. (Its routing either way: tests/alliances/test_healthz.py.)"""

import re
from pathlib import Path

import pytest

from tests.alliances.test_security_settings import PRODUCTION, manage
from tests.alliances.test_settings import settings_ok, settings_refused

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent.parent / "bench"
PRODUCTION_LIKE = {"DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 50, "BENCH_MINIMAL_VIEW": "true"}


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def benchmark_hosts():
    """The ALLOWED_HOSTS values the benchmark scripts start the platform with."""
    hosts = re.findall(r'"ALLOWED_HOSTS": "([^"]+)"', (BENCH / "web.py").read_text() + (BENCH / "pages.py").read_text())
    assert hosts
    return sorted(set(hosts))


@pytest.mark.parametrize("hosts", ["alliances.example.org", "127.0.0.1,alliances.example.org", "*"])
def test_a_platform_serving_a_public_name_refuses_the_bench_page(data_dir, hosts):
    message = settings_refused(data_dir, **PRODUCTION_LIKE, ALLOWED_HOSTS=hosts)
    assert "BENCH_MINIMAL_VIEW" in message and "Leave it off in production" in message


def test_the_benchmarks_settings_keep_their_page(data_dir):
    for hosts in benchmark_hosts():
        settings_ok(data_dir, **PRODUCTION_LIKE, ALLOWED_HOSTS=hosts)


def test_debug_and_a_production_without_the_page_start_as_before(data_dir):
    settings_ok(data_dir, DEBUG="true", BENCH_MINIMAL_VIEW="true", ALLOWED_HOSTS="alliances.example.org")
    settings_ok(data_dir, **{**PRODUCTION_LIKE, "BENCH_MINIMAL_VIEW": "false"}, ALLOWED_HOSTS="alliances.example.org")


def test_the_deploy_check_flags_the_bench_page(tmp_path):
    result = manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{**PRODUCTION, "ALLOWED_HOSTS": "localhost"},
        BENCH_MINIMAL_VIEW="true",
    )
    assert result.returncode != 0
    assert "alliances.W001" in result.stderr
