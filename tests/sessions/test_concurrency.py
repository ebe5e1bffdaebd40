"""Robustness under concurrent clicks (issue 7, item 6): one row, no server error.

The same participant answers an RSVP, or votes, from 20 requests at once, each
thread with its own test client and its own database connection. SQLite
serialises every write, so only PostgreSQL shows whether the services' locks
and unique constraints hold: on SQLite the tests are skipped.
"""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from sessions.models import Registration, TopicVote
from tests import factories

REQUESTS = 20

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL (row locks; SQLite serialises writes): set DATABASE_URL",
    ),
]


def _race(user, requests):
    """POST every (url, data) of ``requests`` at once, one thread and client each; the status codes."""
    barrier = threading.Barrier(len(requests))
    statuses = []
    errors = []

    def run(url, data):
        try:
            client = Client(raise_request_exception=False)
            client.force_login(user)
            barrier.wait(timeout=30)
            statuses.append(client.post(url, data).status_code)
        except Exception as error:  # reported by the assertion below, not swallowed
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(statuses) == len(requests)
    return statuses


def test_twenty_concurrent_rsvps_leave_one_registration():
    participant = factories.ParticipantFactory()
    session = factories.SessionFactory(programme=participant.enrolment.programme)
    url = reverse("sessions:rsvp", args=[session.pk])
    answers = ["confirmed", "declined"]
    statuses = _race(participant.user, [(url, {"rsvp": answers[i % 2]}) for i in range(REQUESTS)])

    assert statuses == [302] * REQUESTS  # no 500: every request ends on the session page
    registrations = Registration.objects.filter(session=session, participant=participant)
    assert registrations.count() == 1
    assert registrations.get().rsvp in answers


def test_twenty_concurrent_votes_leave_one_vote():
    participant = factories.ParticipantFactory()
    session = factories.SessionFactory(programme=participant.enrolment.programme, topic_vote_open=True)
    proposals = [factories.TopicProposalFactory(session=session) for _ in range(2)]
    requests = [(reverse("community:topic_vote_cast", args=[proposals[i % 2].pk]), {}) for i in range(REQUESTS)]
    statuses = _race(participant.user, requests)

    assert statuses == [302] * REQUESTS
    votes = TopicVote.objects.filter(participant=participant)
    assert votes.count() == 1
    assert votes.get().proposal in proposals
