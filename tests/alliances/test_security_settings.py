"""Production security settings: `check --deploy`, HTTPS redirect, headers and the Content-Security-Policy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests import factories
from tests.alliances.test_settings import SETTINGS_VARIABLES
from tests.factories_community import participant_in

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DATABASE_URL": "postgres://alliances:secret@db.example:5432/alliances",
    "REDIS_URL": "redis://redis.example:6379/0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DEBUG": "false",
    "ALLOWED_HOSTS": "alliances.example.org",
}


def manage(tmp_path, *args, **variables):
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the live-server (browser) tests of this run
    env.update(DATA_DIR=str(tmp_path / "data"), **variables)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_deploy_check_passes_at_warning_level_with_production_values(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (1 silenced)" in result.stdout + result.stderr


@pytest.mark.slow
def test_deploy_check_fails_when_a_production_setting_is_weakened(tmp_path):
    """The check really looks: turning the HTTPS redirect off is a warning, hence a failure."""
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W008" in result.stderr


PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
    "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_REDIRECT_EXEMPT, s.SESSION_COOKIE_AGE]))"
)


@pytest.mark.slow
def test_production_values(tmp_path):
    result = manage(tmp_path, "shell", "-c", PROBE, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        '[true, 31536000, true, false, true, true, ["^healthz$", "^readyz$"], 7200]'
    )


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_except_healthz(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    settings.REDIS_URL = None
    login = client.get(reverse("accounts:login"))
    assert login.status_code == 301
    assert login.url.startswith("https://")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    # Behind the proxy, a request it received over HTTPS is not redirected.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get(reverse("accounts:login"), headers={"x-forwarded-proto": "https"}).status_code == 200


# --- Headers and Content-Security-Policy --------------------------------------------------


def directives(response):
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_protected(response):
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_login_page_has_the_policy(client):
    assert_protected(client.get(reverse("accounts:login")))


@pytest.mark.django_db
def test_portal_home_has_the_policy(client, programme):
    client.force_login(participant_in(programme).user)
    assert_protected(client.get(reverse("portal:home")))


@pytest.mark.django_db
def test_committee_page_has_the_policy(client, programme):
    member = factories.CommitteeMemberFactory(committee__programme=programme, user=factories.UserFactory())
    client.force_login(member.user)
    assert_protected(client.get(reverse("committee:detail", args=[member.committee.pk])))


@pytest.mark.django_db
def test_admin_pages_have_the_policy(client, coordinator):
    client.force_login(coordinator)
    assert_protected(client.get(reverse("admin:index")))
    assert_protected(client.get(reverse("admin:programme_sessions_resource_add")))


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


def test_our_templates_have_no_inline_script_style_or_event_handler():
    """What the policy would block: inline <script>/<style>, style="" and on...="" attributes."""
    import re

    offending = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            if "pdf" in path.parts or path.parent.name == "documents":
                continue  # rendered to PDF by WeasyPrint, never served to a browser
            text = path.read_text()
            for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=", r"\son[a-z]+="):
                if re.search(pattern, text):
                    offending.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offending == []
