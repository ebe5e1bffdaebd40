"""Sessions: inactivity timeout (sliding), logout ends the session, a deactivated user is turned away."""

import datetime as dt
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliances.session_activity import RENEWED_AT, SessionStore
from tests import factories
from tests.factories_community import assert_login_redirect, participant_in

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-assez-long"


@pytest.fixture
def member(programme):
    participant = participant_in(programme)
    participant.user.set_password(PASSWORD)
    participant.user.save()
    return participant.user


def log_in(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def test_default_timeout_is_two_hours():
    assert django_settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False


def age_session(key, *, renewed_seconds_ago, expires_in):
    """Pretend the session was last renewed some time ago and expires soon."""
    store = SessionStore(session_key=key)
    data = store.load()
    data[RENEWED_AT] = int(time.time()) - renewed_seconds_ago
    Session.objects.filter(session_key=key).update(
        session_data=store.encode(data), expire_date=timezone.now() + dt.timedelta(seconds=expires_in)
    )


def expiry(key):
    return Session.objects.get(session_key=key).expire_date


def test_a_request_after_the_renewal_interval_pushes_the_expiry_back(client, member, settings):
    settings.SESSION_COOKIE_AGE = 600
    key = log_in(client, member)
    # Nine minutes without a request: one minute left.
    age_session(key, renewed_seconds_ago=540, expires_in=60)
    assert client.get(reverse("portal:home")).status_code == 200
    # The request started a new ten-minute window, under the same key.
    assert expiry(key) > timezone.now() + dt.timedelta(seconds=590)
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value == key


def test_requests_within_the_renewal_interval_write_nothing(client, member, settings):
    settings.SESSION_COOKIE_AGE = 600
    key = log_in(client, member)
    age_session(key, renewed_seconds_ago=10, expires_in=590)
    before = expiry(key)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("portal:home")).status_code == 200
    assert expiry(key) == before
    assert not [
        query for query in queries.captured_queries if "django_session" in query["sql"] and "UPDATE" in query["sql"]
    ]


def test_an_expired_session_no_longer_authenticates(client, member):
    key = log_in(client, member)
    assert client.get(reverse("portal:home")).status_code == 200
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert_login_redirect(client.get(reverse("portal:home")))


def test_logout_ends_the_session(client, member):
    key = log_in(client, member)
    assert client.get(reverse("portal:home")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    # Replaying the old session cookie does not bring the user back.
    client.cookies[django_settings.SESSION_COOKIE_NAME] = key
    assert_login_redirect(client.get(reverse("portal:home")))


def test_deactivated_user_is_turned_away_at_the_next_request(client, member):
    log_in(client, member)
    assert client.get(reverse("portal:home")).status_code == 200
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert_login_redirect(client.get(reverse("portal:home")))


def test_deactivated_staff_loses_the_admin(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("admin:index")).status_code == 200
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_other_users_sessions_are_untouched_by_a_deactivation(client, programme, member):
    other = factories.UserFactory()
    other_client = client.__class__()
    other_client.force_login(other)
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert other_client.get(reverse("accounts:profile")).status_code == 200
