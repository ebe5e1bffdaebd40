"""Settings read from the environment: the embedded default, strict parsing, the production switches.

Each case loads the settings in a fresh interpreter with a clean environment, as a real start-up does.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every variable the settings read: none may leak from the environment the tests run in (CI sets some).
SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "EMAIL_URL",
    "MEDIA_ROOT",
    "DATA_DIR",
    "DEFAULT_FROM_EMAIL",
    "CONN_MAX_AGE",
    "CELERY_TASK_ALWAYS_EAGER",
    "CELERY_TASK_SOFT_TIME_LIMIT",
    "CELERY_TASK_TIME_LIMIT",
    "LOG_LEVEL",
    "AXES_IPWARE_PROXY_COUNT",
    "SITE_URL",
    "NOTIFICATIONS_CLAIM_TIMEOUT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SESSION_INACTIVITY_TIMEOUT",
    "LOGIN_RECORDS_RETENTION_DAYS",
    "PASSWORD_RESET_LIMIT_PER_ADDRESS",
    "PASSWORD_RESET_LIMIT_PER_CLIENT",
    "BENCH_MINIMAL_VIEW",
    "UPLOAD_MAX_REQUEST_SIZE",
    "EMBEDDED_WORKER",
}

PROBE = """
import json
import django
django.setup()
from django.conf import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "db_name": str(db["NAME"]),
    "db_host": db.get("HOST", ""),
    "db_port": db.get("PORT", ""),
    "db_user": db.get("USER", ""),
    "conn_max_age": db["CONN_MAX_AGE"],
    "conn_health_checks": db["CONN_HEALTH_CHECKS"],
    "debug": s.DEBUG,
    "secret_key": s.SECRET_KEY,
    "allowed_hosts": s.ALLOWED_HOSTS,
    "csrf_trusted_origins": s.CSRF_TRUSTED_ORIGINS,
    "cache_backend": s.CACHES["default"]["BACKEND"],
    "cache_location": s.CACHES["default"].get("LOCATION"),
    "redis_url": s.REDIS_URL,
    "broker_url": s.CELERY_BROKER_URL,
    "broker_options": s.CELERY_BROKER_TRANSPORT_OPTIONS,
    "embedded_worker": s.EMBEDDED_WORKER,
    "eager": s.CELERY_TASK_ALWAYS_EAGER,
    "soft_time_limit": s.CELERY_TASK_SOFT_TIME_LIMIT,
    "time_limit": s.CELERY_TASK_TIME_LIMIT,
    "email_backend": s.EMAIL_BACKEND,
    "email_file_path": str(getattr(s, "EMAIL_FILE_PATH", "")),
    "email_host": s.EMAIL_HOST,
    "email_port": s.EMAIL_PORT,
    "email_host_user": s.EMAIL_HOST_USER,
    "email_use_tls": s.EMAIL_USE_TLS,
    "default_from_email": s.DEFAULT_FROM_EMAIL,
    "media_root": str(s.MEDIA_ROOT),
    "language_code": s.LANGUAGE_CODE,
    "time_zone": s.TIME_ZONE,
    "session_cookie_secure": s.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": s.CSRF_COOKIE_SECURE,
    "staticfiles_backend": s.STORAGES["staticfiles"]["BACKEND"],
    "log_level": s.LOGGING["root"]["level"],
}))
"""

PROD = {"DATABASE_URL": "postgres://alliances:pw@db.example:5433/alliances", "SECRET_KEY": "s" * 50}


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def load_settings(data_dir, **variables):
    """Start Django in a subprocess with only these variables; return (returncode, settings dict or stderr)."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "alliances.settings"
    env["DATA_DIR"] = str(data_dir)
    env.update(variables)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode == 0:
        return 0, json.loads(result.stdout.strip().splitlines()[-1])
    return result.returncode, result.stderr


def settings_ok(data_dir, **variables):
    code, out = load_settings(data_dir, **variables)
    assert code == 0, out
    return out


def settings_refused(data_dir, **variables):
    """The settings refuse to start: ImproperlyConfigured, on the last line of the traceback."""
    code, err = load_settings(data_dir, **variables)
    assert code != 0, f"start-up accepted {variables}"
    last_line = err.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), err
    return last_line


pytestmark = pytest.mark.slow


def test_embedded_default_with_no_environment(data_dir):
    s = settings_ok(data_dir)
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["db_name"] == str(data_dir / "alliances.sqlite3")
    assert s["debug"] is True
    assert s["eager"] is True
    assert s["broker_url"] == "memory://"
    assert s["redis_url"] is None
    assert s["cache_backend"] == "django.core.cache.backends.locmem.LocMemCache"
    assert s["email_backend"] == "django.core.mail.backends.filebased.EmailBackend"
    assert s["email_file_path"] == str(data_dir / "emails")
    assert s["media_root"] == str(data_dir / "media")
    assert s["language_code"] == "fr"
    assert s["time_zone"] == "Europe/Paris"
    assert "testserver" in s["allowed_hosts"] and "127.0.0.1" in s["allowed_hosts"]
    assert s["staticfiles_backend"] == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert s["conn_max_age"] == 0
    assert s["conn_health_checks"] is False
    assert s["log_level"] == "INFO"
    assert s["soft_time_limit"] < s["time_limit"]


def test_empty_values_count_as_unset(data_dir):
    s = settings_ok(data_dir, DATABASE_URL="", REDIS_URL=" ", DEBUG="", EMAIL_URL="", ALLOWED_HOSTS="")
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["debug"] is True
    assert s["eager"] is True


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"CONN_MAX_AGE": "abc"}, "CONN_MAX_AGE"),
        ({"CONN_MAX_AGE": "-1"}, "CONN_MAX_AGE"),
        ({"UPLOAD_MAX_REQUEST_SIZE": "1000"}, "UPLOAD_MAX_REQUEST_SIZE"),  # below the 10 MB file limit
        ({"DATABASE_URL": "notaurl"}, "DATABASE_URL"),
        ({"DATABASE_URL": "foo://user@host/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://user@host:notaport/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://user@host"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://host:port/0"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://host:6379/zero"}, "REDIS_URL"),
        ({"ALLOWED_HOSTS": "a,,b"}, "ALLOWED_HOSTS"),
        ({"CSRF_TRUSTED_ORIGINS": "example.org"}, "CSRF_TRUSTED_ORIGINS"),
        ({"EMAIL_URL": "notaurl"}, "EMAIL_URL"),
        ({"EMAIL_URL": "smtp://host:abc"}, "EMAIL_URL"),
        ({"EMAIL_URL": "smtp://"}, "EMAIL_URL"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DATABASE_URL": "postgres://u@h/db"}, "SECRET_KEY"),
        ({"CELERY_TASK_SOFT_TIME_LIMIT": "300", "CELERY_TASK_TIME_LIMIT": "300"}, "CELERY_TASK_TIME_LIMIT"),
        ({"CELERY_TASK_SOFT_TIME_LIMIT": "600"}, "CELERY_TASK_TIME_LIMIT"),
        ({"CELERY_TASK_TIME_LIMIT": "ten"}, "CELERY_TASK_TIME_LIMIT"),
        ({"CELERY_TASK_TIME_LIMIT": "3600"}, "visibility timeout"),
        ({"CELERY_TASK_ALWAYS_EAGER": "sometimes"}, "CELERY_TASK_ALWAYS_EAGER"),
        ({"EMBEDDED_WORKER": "sometimes"}, "EMBEDDED_WORKER"),
        ({**PROD, "REDIS_URL": "redis://r:6379/0", "EMBEDDED_WORKER": "true"}, "EMBEDDED_WORKER"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({**PROD, "SESSION_COOKIE_SECURE": "maybe"}, "SESSION_COOKIE_SECURE"),
        ({**PROD, "CSRF_COOKIE_SECURE": "2"}, "CSRF_COOKIE_SECURE"),
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value,
)
def test_malformed_values_stop_start_up_naming_the_variable(data_dir, variables, named):
    message = settings_refused(data_dir, **variables)
    assert named in message


def test_error_messages_do_not_show_passwords(data_dir):
    message = settings_refused(data_dir, DATABASE_URL="postgres://user:hunter2@host:bad/db", SECRET_KEY="k")
    assert "DATABASE_URL" in message
    assert "hunter2" not in message
    message = settings_refused(data_dir, EMAIL_URL="smtp+tls://user:hunter2@host:bad")
    assert "hunter2" not in message


def test_database_url_switches_to_postgresql_and_production_defaults(data_dir):
    s = settings_ok(data_dir, **PROD)
    assert s["engine"] == "django.db.backends.postgresql"
    assert (s["db_name"], s["db_host"], s["db_port"], s["db_user"]) == ("alliances", "db.example", 5433, "alliances")
    # DEBUG goes off as soon as a production service is configured, and with it the open defaults.
    assert s["debug"] is False
    assert s["allowed_hosts"] == []
    assert s["session_cookie_secure"] is True
    assert s["csrf_cookie_secure"] is True
    assert s["staticfiles_backend"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    # No Redis: tasks still run in-process.
    assert s["eager"] is True
    assert s["cache_backend"] == "django.core.cache.backends.locmem.LocMemCache"


def test_redis_url_switches_cache_and_broker_and_turns_eager_off(data_dir):
    s = settings_ok(data_dir, **PROD, REDIS_URL="redis://redis.example:6379/2")
    assert s["redis_url"] == "redis://redis.example:6379/2"
    assert s["cache_backend"] == "django.core.cache.backends.redis.RedisCache"
    assert s["cache_location"] == "redis://redis.example:6379/2"
    assert s["broker_url"] == "redis://redis.example:6379/2"
    assert s["eager"] is False


def test_embedded_worker_queues_tasks_in_files_under_the_data_folder(data_dir):
    """What `make run` sets: tasks are no longer eager, they go through kombu's filesystem transport."""
    s = settings_ok(data_dir, EMBEDDED_WORKER="true")
    assert s["embedded_worker"] is True
    assert s["broker_url"] == "filesystem://"
    assert s["eager"] is False
    queue = data_dir / "celery" / "queue"
    assert s["broker_options"]["data_folder_in"] == s["broker_options"]["data_folder_out"] == str(queue)
    assert s["broker_options"]["control_folder"] == str(data_dir / "celery" / "control")
    assert queue.is_dir()  # created at start-up: the transport creates no folder itself
    assert s["debug"] is True and s["engine"] == "django.db.backends.sqlite3"  # still the embedded default


def test_embedded_worker_is_off_by_default(data_dir):
    s = settings_ok(data_dir, EMBEDDED_WORKER="false")
    assert (s["embedded_worker"], s["broker_url"], s["eager"]) == (False, "memory://", True)
    assert not (data_dir / "celery").exists()


def test_celery_eager_can_be_forced_with_redis(data_dir):
    s = settings_ok(data_dir, **PROD, REDIS_URL="redis://r:6379/0", CELERY_TASK_ALWAYS_EAGER="true")
    assert s["eager"] is True


def test_email_url_switches_to_smtp(data_dir):
    s = settings_ok(data_dir, EMAIL_URL="smtp+tls://mailer:pw@smtp.example.org:587")
    assert s["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["email_host"], s["email_port"], s["email_host_user"]) == ("smtp.example.org", 587, "mailer")
    assert s["email_use_tls"] is True


def test_email_url_without_port_keeps_django_default_port(data_dir):
    s = settings_ok(data_dir, EMAIL_URL="smtp://smtp.example.org")
    assert s["email_port"] == 25
    assert s["email_host_user"] == ""


def test_explicit_values_are_honoured(data_dir, tmp_path):
    s = settings_ok(
        data_dir,
        **PROD,
        DEBUG="true",
        MEDIA_ROOT=str(tmp_path / "uploads"),
        ALLOWED_HOSTS="alliances.example.org, www.alliances.example.org",
        CSRF_TRUSTED_ORIGINS="https://alliances.example.org",
        CONN_MAX_AGE="60",
        DEFAULT_FROM_EMAIL="Programme <programme@example.org>",
        CELERY_TASK_SOFT_TIME_LIMIT="30",
        CELERY_TASK_TIME_LIMIT="45",
        LOG_LEVEL="warning",
    )
    assert s["debug"] is True
    assert s["media_root"] == str(tmp_path / "uploads")
    assert s["allowed_hosts"] == ["alliances.example.org", "www.alliances.example.org"]
    assert s["csrf_trusted_origins"] == ["https://alliances.example.org"]
    assert s["conn_max_age"] == 60
    assert s["conn_health_checks"] is True  # a kept connection is checked before reuse
    assert s["default_from_email"] == "Programme <programme@example.org>"
    assert (s["soft_time_limit"], s["time_limit"]) == (30, 45)
    assert s["log_level"] == "WARNING"
    assert s["secret_key"] == PROD["SECRET_KEY"]


def test_secure_cookies_can_be_turned_off_for_plain_http(data_dir):
    s = settings_ok(data_dir, **PROD, SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="no")
    assert s["session_cookie_secure"] is False
    assert s["csrf_cookie_secure"] is False


def test_every_variable_read_by_the_settings_is_known_and_documented():
    """Keeps this file's clean environment, the README and CI in step with settings.py."""
    source = (ROOT / "alliances" / "settings.py").read_text()
    read = set(re.findall(r'\benv_\w+\(\s*"([A-Z][A-Z0-9_]*)"', source))
    assert read == SETTINGS_VARIABLES
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for name in sorted(read):
        assert f"`{name}`" in readme, f"{name} is not documented in README.md"
        assert name in ci, f".ci/run does not clear {name} before the embedded run"
