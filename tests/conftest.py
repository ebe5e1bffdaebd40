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


# --- The cast: the people most tests need, one definition each ------------------------------
# A test module that needs a variant (a named participant, a second network with data) overrides
# the fixture locally; the helpers that build more (``participant_in``, ``committee_user``) are in
# tests/factories_community.py with the one ``count_queries``.


@pytest.fixture
def participant(programme):
    """A participant of network A of the edition."""
    return factories.ParticipantFactory(enrolment__programme=programme)


@pytest.fixture
def peer(programme):
    """A participant of network B of the same edition (another network's objects are hers)."""
    return factories.ParticipantFactory(enrolment__programme=programme)


@pytest.fixture
def other_coordinator(db):
    """A coordinator of another edition only."""
    user = factories.UserFactory(is_staff=True, email="autre-coordination@example.org")
    factories.ProgrammeFactory().coordinators.add(user)
    return user


@pytest.fixture
def committee_member(programme):
    """A committee member of the edition: an account, no participation."""
    return factories.CommitteeMemberFactory(committee__programme=programme, user=factories.UserFactory()).user


@pytest.fixture
def logged_in(client, participant):
    """The participant's client."""
    client.force_login(participant.user)
    return client


@pytest.fixture
def coordinator_client(client, coordinator):
    """The edition's coordinator's client."""
    client.force_login(coordinator)
    return client
