"""Settings of the Alliances platform: one file, read from the environment.

With no environment at all you get the *embedded default*: SQLite in the data
folder, Celery tasks run eagerly in-process, emails written to files, DEBUG on.
Setting ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``DEBUG``,
``ALLOWED_HOSTS``, ``EMAIL_URL`` or ``MEDIA_ROOT`` switches each part to its
production counterpart (see README, "Configuration").

Every value is parsed strictly: a malformed boolean, number or URL stops
start-up with an ``ImproperlyConfigured`` naming the variable, instead of
being silently read as a default.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_env = environ.Env()


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (one of true/false, yes/no, on/off, 1/0), got {raw!r}.")


def env_int(name, default, *, minimum=None):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_str(name, default=None):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip()


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name} must be a comma-separated list without empty items, got {raw!r}.")
    return items


def _redact(raw):
    """The URL with its password hidden, for error messages."""
    try:
        parts = urlsplit(raw)
        if parts.password:
            return raw.replace(f":{parts.password}@", ":***@", 1)
    except ValueError:
        pass
    return raw


def env_redis_url(name):
    raw = env_str(name)
    if raw is None:
        return None
    shown = _redact(raw)
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{name} must be a redis://, rediss:// or unix:// URL, got {shown!r}.")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid Redis URL ({shown!r}): {exc}") from None
    if parts.scheme == "unix":
        if not parts.path:
            raise ImproperlyConfigured(f"{name} must give the socket path (unix:///path/to/redis.sock), got {shown!r}.")
    else:
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name} must name a host (redis://HOST:PORT/DB), got {shown!r}.")
        db = parts.path.strip("/")
        if db and not db.isdigit():
            raise ImproperlyConfigured(f"{name} must end with a database number (redis://HOST:PORT/DB), got {shown!r}.")
    return raw


# Database URL schemes the platform supports (psycopg2 for PostgreSQL; SQLite for a single machine).
_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "psql", "sqlite"}


def env_database_url(name):
    """Parse a database URL strictly: a known scheme and a database name, or a clear error."""
    raw = env_str(name)
    if raw is None:
        return None
    shown = _redact(raw)
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme not in _DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} must be a postgres://USER:PASSWORD@HOST:PORT/NAME (or sqlite:////path) URL, got {shown!r}."
        )
    try:
        config = _env.db_url_config(raw)
    except (ImproperlyConfigured, KeyError, ValueError, IndexError) as exc:
        raise ImproperlyConfigured(f"{name} is not a valid database URL ({shown!r}): {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database (…/NAME at the end), got {shown!r}.")
    return config


def env_email_url(name):
    """Parse an email URL strictly (smtp://, smtp+tls://, smtps://, consolemail://, ...) into EMAIL_* settings."""
    raw = env_str(name)
    if raw is None:
        return None
    shown = _redact(raw)
    try:
        config = _env.email_url_config(raw)
    except (ImproperlyConfigured, KeyError, ValueError, IndexError) as exc:
        raise ImproperlyConfigured(f"{name} is not a valid email URL ({shown!r}): {exc}") from None
    if config["EMAIL_BACKEND"].endswith(".smtp.EmailBackend") and not config.get("EMAIL_HOST"):
        raise ImproperlyConfigured(f"{name} must name the SMTP host (smtp://USER:PASSWORD@HOST:PORT), got {shown!r}.")
    # Parts the URL leaves out keep Django's defaults (port 25, no user...) instead of becoming None.
    return {key: value for key, value in config.items() if value not in (None, "")}


def env_log_level(name, default):
    value = env_str(name, default).upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ImproperlyConfigured(f"{name} must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {value!r}.")
    return value


# --- Core switches -----------------------------------------------------------------

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))

DATABASE_URL = env_str("DATABASE_URL")
_DATABASE = env_database_url("DATABASE_URL")  # parsed first: a bad URL is reported before anything else
REDIS_URL = env_redis_url("REDIS_URL")

# DEBUG is on in the embedded default and off as soon as a production service
# is configured, unless DEBUG says otherwise.
DEBUG = env_bool("DEBUG", default=not (DATABASE_URL or REDIS_URL or env_str("SECRET_KEY")))

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-embedded-default-only-never-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS items must start with http:// or https:// (e.g. https://example.org), got {_origin!r}."
        )

# The public address of the platform, for links in emails sent outside a request.
# The benchmark's baseline page (/bench-minimal/, bench/web.py) is routed only with DEBUG or when
# the benchmark asks for it: a production deployment has no page that exists for measuring. With
# DEBUG off it is accepted only for a benchmark on this machine, one that answers local host names
# only (bench/web.py and bench/pages.py do): a platform that serves a public name refuses to start
# with it, and `check --deploy` flags it (alliances.W001).
BENCH_MINIMAL_VIEW = env_bool("BENCH_MINIMAL_VIEW", False)
BENCH_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"}
if BENCH_MINIMAL_VIEW and not DEBUG and not set(ALLOWED_HOSTS) <= BENCH_LOCAL_HOSTS:
    raise ImproperlyConfigured(
        "BENCH_MINIMAL_VIEW is for a benchmark on this machine: with DEBUG off, ALLOWED_HOSTS may then name only "
        f"{', '.join(sorted(BENCH_LOCAL_HOSTS))}, got {', '.join(ALLOWED_HOSTS)}. Leave it off in production."
    )

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else None)
if SITE_URL is not None and not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"SITE_URL must start with http:// or https:// (e.g. https://example.org), got {SITE_URL!r}."
    )
SITE_URL = SITE_URL.rstrip("/") if SITE_URL else ""

# --- Applications ------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "axes",
    "simple_history",
    "alliances.apps.CoreConfig",
    "networks.apps.NetworksConfig",
    "sessions.apps.SessionsConfig",
    "governance.apps.GovernanceConfig",
    "evaluation.apps.EvaluationConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "alliances.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything looks up a value taken from the URL (the session renewal above only reads the session).
    "alliances.middleware.RejectNulCharactersMiddleware",
    "alliances.session_activity.SessionRenewalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before any view or CSRF check reads the body; after the language, user and messages the page needs.
    "alliances.middleware.RequestSizeLimitMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",  # records who made each change
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the French lockout page
]

ROOT_URLCONF = "alliances.urls"
WSGI_APPLICATION = "alliances.wsgi.application"
ASGI_APPLICATION = "alliances.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Data --------------------------------------------------------------------------

if DATABASE_URL:
    DATABASES = {"default": _DATABASE}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "alliances.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("CONN_MAX_AGE", 0, minimum=0))
# A kept connection is checked before each request reuses it, so a restarted database costs no error.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] > 0
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "alliances",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Uploads (alliances/uploads.py) -------------------------------------------------

# A file past this is no longer stored, only counted, and its form says it is too big
# (FileValidator's default limit is the same 10 MB).
UPLOAD_MAX_FILE_SIZE = 10 * 1024 * 1024
# A request declaring a longer body is answered 413 before its body is read. The reverse proxy
# should refuse the same (nginx: client_max_body_size 20m). Between the two limits the body is
# read and thrown away, so the form comes back with its message rather than an error page.
UPLOAD_MAX_REQUEST_SIZE = env_int("UPLOAD_MAX_REQUEST_SIZE", 20 * 1024 * 1024, minimum=UPLOAD_MAX_FILE_SIZE)
FILE_UPLOAD_HANDLERS = [
    "alliances.uploads.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Users -------------------------------------------------------------------------

AUTH_USER_MODEL = "alliances.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "landing"  # each role to its own space
LOGOUT_REDIRECT_URL = "accounts:login"
# Login throttling (django-axes): 5 failures for one account from one address lock that
# pair out for 15 minutes; another address, or another account, is not affected.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the email field of the login form (Django's AuthenticationForm) is "username"
# The key of every record and check is the normalised address (stripped, lower-cased), on every
# login page and for every authenticate() call: one lockout per account, whatever its spelling.
AXES_USERNAME_CALLABLE = "alliances.throttling.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# Behind N reverse proxies, the client address is the Nth from the right in X-Forwarded-For;
# with 0 (the default) REMOTE_ADDR is used, which behind a proxy is the proxy's address.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", 0, minimum=0) or None
# Read by our own resolver (django-ipware is not installed, so axes would ignore the count):
# the login throttle and the password reset's count per client share it.
AXES_CLIENT_IP_CALLABLE = "alliances.throttling.client_ip"
AXES_COOLOFF_MESSAGE = _("Trop de tentatives de connexion : ce compte est bloqué pour 15 minutes depuis cette adresse.")
# Login records (django-axes' access logs, attempts and failures: address, IP, user agent) are
# personal data kept only this many days, then purged every night (alliances.purge_login_records).
LOGIN_RECORDS_RETENTION_DAYS = env_int("LOGIN_RECORDS_RETENTION_DAYS", 90, minimum=1)

# Password-reset requests (alliances/throttling.py): at most so many per address and per client
# address within the window, counted in the cache (Redis in production: shared by every process).
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3, minimum=1)
PASSWORD_RESET_LIMIT_PER_CLIENT = env_int("PASSWORD_RESET_LIMIT_PER_CLIENT", 20, minimum=1)
PASSWORD_RESET_THROTTLE_WINDOW = 3600  # seconds
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time -------------------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("Anglais"))]
# locale_overrides/ first: its French corrects Django's and django-celery-beat's own catalogues
# (« Ajouter : édition du programme », not « Ajout de édition du programme »); edited by hand,
# never written by makemessages (alliances/management/commands/makemessages.py).
LOCALE_OVERRIDES = BASE_DIR / "locale_overrides"
LOCALE_PATHS = [LOCALE_OVERRIDES, BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
# Formats that differ from Django's (alliances/formats/<language>/formats.py): times without seconds.
FORMAT_MODULE_PATH = ["alliances.formats"]
USE_I18N = True
USE_TZ = True

# --- Email -------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Alliances innovantes <noreply@alliances.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_EMAIL = env_email_url("EMAIL_URL")
if _EMAIL:
    vars().update(_EMAIL)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "emails"

# --- Celery ------------------------------------------------------------------------

# The embedded default's own worker (`make run` sets EMBEDDED_WORKER=true): tasks go through files
# under DATA_DIR/celery/ (kombu's filesystem transport: no server to install) to the one Celery
# worker, with beat embedded, that `manage.py run_embedded` starts beside the web server, so the
# periodic jobs (reminders, announcements, packs) run. Off: tasks run eagerly in-process and no
# periodic job runs. With Redis, run a worker and one beat instead (docker-compose.yml).
EMBEDDED_WORKER = env_bool("EMBEDDED_WORKER", False)
if EMBEDDED_WORKER and REDIS_URL:
    raise ImproperlyConfigured(
        "EMBEDDED_WORKER is for the embedded default: with REDIS_URL, run `celery worker` and one "
        "`celery beat` (docker-compose.yml) and leave EMBEDDED_WORKER unset."
    )
EMBEDDED_BROKER_DIR = DATA_DIR / "celery"

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
elif EMBEDDED_WORKER:
    CELERY_BROKER_URL = "filesystem://"
else:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not (REDIS_URL or EMBEDDED_WORKER))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
if CELERY_BROKER_URL == "filesystem://":
    # One folder for the queue (the web server writes, the worker reads), one for the exchanges.
    # Created at start-up by alliances.embedded.ensure_broker_folders().
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(EMBEDDED_BROKER_DIR / "queue"),
        "data_folder_out": str(EMBEDDED_BROKER_DIR / "queue"),
        "control_folder": str(EMBEDDED_BROKER_DIR / "control"),
    }
# Task modules beyond each app's tasks.py (autodiscovered).
CELERY_IMPORTS = ["alliances.document_tasks"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must be greater than CELERY_TASK_SOFT_TIME_LIMIT.")
# Redis redelivers a task not acknowledged within the visibility timeout. A redelivered render takes its own claim
# over (alliances.documents.report_claim): safe only because the time limit has killed the first one by then.
_VISIBILITY_TIMEOUT = CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
if CELERY_TASK_TIME_LIMIT >= _VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must be shorter than the broker's visibility timeout (3600 s).")

# --- Notifications (alliances/notifications/) -----------------------------------------

# A message claimed by a worker that died is taken back after this many seconds.
NOTIFICATIONS_CLAIM_TIMEOUT = env_int("NOTIFICATIONS_CLAIM_TIMEOUT", 600, minimum=1)
NOTIFICATIONS_BATCH_SIZE = 200  # messages per task and per SMTP connection
EMAIL_TIMEOUT = 30  # seconds, for each SMTP operation
COMMITTEE_PACK_DAYS_BEFORE = 7  # when an edition sets no meeting reminder offset

# --- Forms -------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Production hardening (behind a TLS-terminating reverse proxy) ------------------

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    # Plain HTTP is redirected to HTTPS (the proxy says which one it got in X-Forwarded-Proto),
    # except /healthz and /readyz: the container healthcheck, a load balancer or a monitoring probe
    # calls gunicorn directly over plain HTTP.
    # Turned off only for the test suite run with DEBUG off (the test client speaks plain HTTP).
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    # HSTS for one year, subdomains included. A constant, not a variable: lowering it is never the
    # fix for anything, and browsers remember it anyway. No preload: entering the browsers' preload
    # list is a commitment for the whole domain (hard to undo) that the operator of the domain,
    # not this application, has to make.
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False

# Headers sent in every mode (SecurityMiddleware and XFrameOptionsMiddleware).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# `check --deploy --fail-level WARNING` passes with the production values; one check is silenced:
# - security.W021 (SECURE_HSTS_PRELOAD not set): deliberate, see the HSTS comment above. Preloading
#   is decided by whoever owns the domain, and it binds every subdomain to HTTPS for months after
#   a removal request; the one-year HSTS header already protects every returning visitor.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (django-csp) on every response: only our own scripts, styles, fonts and
# images; no inline script, no inline style (our templates have none), no framing, no plug-ins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Sessions end after this many seconds without a request: a sliding window, renewed by
# alliances.session_activity at most once a minute (SESSION_SAVE_EVERY_REQUEST would write the
# session on every request). Logging out flushes the session. A deactivated user is turned away
# at their next request: ModelBackend.get_user() refuses inactive users (user_can_authenticate),
# so their stored sessions need not be deleted.
SESSION_COOKIE_AGE = env_int("SESSION_INACTIVITY_TIMEOUT", 2 * 60 * 60, minimum=120)
SESSION_ENGINE = "alliances.session_activity"
SESSION_RENEWAL_INTERVAL = 60

# --- Logging -----------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_log_level("LOG_LEVEL", "INFO")},
}
