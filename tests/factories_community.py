"""Helpers shared by the suite: people of an edition, the login redirect, and the one way to count a page's queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories


def participant_in(programme, **kwargs):
    """A participant of a new agreed network of ``programme``."""
    return factories.ParticipantFactory(enrolment__programme=programme, **kwargs)


def committee_user(programme):
    """A committee member with an account but no participation."""
    member = factories.CommitteeMemberFactory(committee__programme=programme, user=factories.UserFactory())
    return member.user


def count_queries(client, url):
    """The number of queries of a GET, after a first GET that warms up the per-process caches and the
    lazy creations of a first visit (a roadmap), so that two sizes are compared in the same state."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
