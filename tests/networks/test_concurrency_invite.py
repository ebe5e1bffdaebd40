"""The one-step invitation raced (issue 14, item 3): two coordinators, or a double click, at once.

As in tests/alliances/test_concurrency_writes.py (whose ``race`` this reuses): each POST in its own
thread and database connection, released together; PostgreSQL only (SQLite serialises writes).
"""

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from alliances.models import User
from networks import services
from networks.models import Binome, Participant
from tests import factories
from tests.alliances.test_concurrency_writes import ROUNDS, one_accepted, race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL (row locks; SQLite serialises writes): set DATABASE_URL",
    ),
]


@pytest.fixture
def coordinators(programme):
    people = [factories.UserFactory(is_staff=True) for _ in range(2)]
    for person in people:
        programme.coordinators.add(person)
    return people


def invite_data(enrolment, address, binome=None):
    return {
        "first_name": "Camille",
        "last_name": "Martin",
        "email": address,
        "enrolment": enrolment.pk,
        "job_title": "",
        "binome": binome.pk if binome else "",
    }


def test_two_coordinators_inviting_one_person_at_once_make_one_account_one_participation_one_email(
    programme, coordinators
):
    url = reverse("invitations:invite", kwargs={"slug": programme.slug})
    for round_ in range(ROUNDS):
        enrolment = factories.EnrolmentFactory(programme=programme)
        address = f"camille.{round_}@example.org"
        mail.outbox = []
        results = race(
            [
                (coordinator, url, lambda address=address, enrolment=enrolment: invite_data(enrolment, address))
                for coordinator in coordinators
            ]
        )
        page = one_accepted(results)
        assert "participe déjà à cette édition" in page
        assert User.objects.filter(email=address).count() == 1
        assert Participant.objects.filter(user__email=address).count() == 1
        assert [message.to for message in mail.outbox] == [[address]]


def test_without_the_edition_lock_the_database_refuses_and_the_form_says_so(programme, coordinators, monkeypatch):
    """A writer that takes no lock (the admin's user form) races the invitation: the unique address
    refuses the second insert, and the IntegrityError becomes the form's French error, nothing sent."""
    monkeypatch.setattr(services, "_lock_edition", lambda programme: None)
    url = reverse("invitations:invite", kwargs={"slug": programme.slug})
    refused_by_the_database = 0
    for round_ in range(ROUNDS):
        enrolment = factories.EnrolmentFactory(programme=programme)
        address = f"sans.verrou.{round_}@example.org"
        mail.outbox = []
        results = race(
            [
                (coordinator, url, lambda address=address, enrolment=enrolment: invite_data(enrolment, address))
                for coordinator in coordinators
            ]
        )
        page = one_accepted(results)
        refused_by_the_database += "vient d&#x27;être modifié par une autre opération" in page
        assert User.objects.filter(email=address).count() == 1
        assert Participant.objects.filter(user__email=address).count() == 1
        assert [message.to for message in mail.outbox] == [[address]]
    assert refused_by_the_database  # at least one round raced past the checks


def test_two_invitations_into_the_last_place_of_a_binome_leave_a_binome_of_two(programme, coordinators):
    url = reverse("invitations:invite", kwargs={"slug": programme.slug})
    for round_ in range(ROUNDS):
        binome = factories.BinomeFactory(enrolment__programme=programme)
        factories.ParticipantFactory(enrolment=binome.enrolment, binome=binome)
        mail.outbox = []
        results = race(
            [
                (
                    coordinator,
                    url,
                    lambda binome=binome, n=n, r=round_: invite_data(binome.enrolment, f"b{r}.{n}@example.org", binome),
                )
                for n, coordinator in enumerate(coordinators)
            ]
        )
        assert escape(str(Binome.FULL_MESSAGE)) in one_accepted(results)
        assert sorted(binome.members.values_list("binome_slot", flat=True)) == [1, 2]
        assert len(mail.outbox) == 1
        # The refused person was not created either.
        assert User.objects.filter(email__startswith=f"b{round_}.").count() == 1
