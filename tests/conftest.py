"""Fixtures shared by the whole suite."""

import pytest

from tests import factories

# The `chromium` fixture of the browser tests.
pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Fast hasher, in-memory mail, media in a temporary folder, Celery eager."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Throttle counts live in the cache, which outlives a test (and, on Redis, a test run).
    from django.core.cache import cache

    cache.clear()
    from alliances.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture
def programme(db):
    return factories.ProgrammeFactory()


@pytest.fixture
def coordinator(db, programme):
    user = factories.UserFactory(is_staff=True, email="coordination@example.org")
    programme.coordinators.add(user)
    return user


@pytest.fixture
def superuser(db):
    return factories.UserFactory(is_staff=True, is_superuser=True, email="admin@example.org")
