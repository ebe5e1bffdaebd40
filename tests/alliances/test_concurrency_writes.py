"""Double submissions and concurrent coordinators (issue 13, items 11 and 12): a French answer, never a 500.

Each request runs in its own thread with its own test client and database connection, released
together by a barrier, so that both pass their form's validation before either commits — what
two coordinators (or one double click) do. Only PostgreSQL shows whether the row locks and the
unique constraints hold (SQLite serialises every write): on SQLite these tests are skipped.
Each race is run several rounds, fresh objects each time, because a race is not lost every time.
"""

import threading

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from alliances.models import Programme, User
from networks.models import Binome, Participant
from tests import factories

ROUNDS = 6

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL (row locks; SQLite serialises writes): set DATABASE_URL",
    ),
]


def race(requests):
    """POST every (user, url, make_data) at once; [(status, page)] in order, ``page`` the content of the
    answer, or of the page it redirects to (where the admin shows its messages)."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)
    errors = []

    def run(index, user, url, make_data):
        try:
            client = Client(raise_request_exception=False)
            client.force_login(user)
            data = make_data()
            barrier.wait(timeout=30)
            response = client.post(url, data)
            page = response.content.decode()
            if response.status_code == 302:
                page = client.get(response.url).content.decode()
            results[index] = (response.status_code, page)
        except Exception as error:  # reported by the assertion below, not swallowed
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert None not in results
    return results


def one_accepted(results):
    """The page of the refused request, after checking that exactly one of two was accepted."""
    assert sorted(status for status, _page in results) == [200, 302], [status for status, _page in results]
    return next(page for status, page in results if status == 200)


@pytest.fixture
def coordinators(programme):
    people = [factories.UserFactory(is_staff=True) for _ in range(2)]
    for person in people:
        programme.coordinators.add(person)
    return people


def participant_form(participant, **changes):
    data = {
        "user": participant.user_id,
        "enrolment": participant.enrolment_id,
        "job_title": participant.job_title,
        "binome": participant.binome_id or "",
        "listed_in_directory": "on",
    }
    return data | changes


def test_two_coordinators_adding_a_third_member_at_once_leave_a_binome_of_two(programme, coordinators):
    for _round in range(ROUNDS):
        binome = factories.BinomeFactory(enrolment__programme=programme)
        factories.ParticipantFactory(enrolment=binome.enrolment, binome=binome)
        newcomers = factories.ParticipantFactory.create_batch(2, enrolment=binome.enrolment)
        results = race(
            [
                (
                    coordinator,
                    reverse("admin:networks_participant_change", args=[newcomer.pk]),
                    lambda newcomer=newcomer, binome=binome: participant_form(newcomer, binome=binome.pk),
                )
                for coordinator, newcomer in zip(coordinators, newcomers, strict=True)
            ]
        )
        assert escape(str(Binome.FULL_MESSAGE)) in one_accepted(results)
        assert sorted(binome.members.values_list("binome_slot", flat=True)) == [1, 2]


def test_two_coordinators_giving_one_person_two_networks_at_once_leave_one_participation(programme, coordinators):
    for _round in range(ROUNDS):
        person = factories.UserFactory()
        networks = factories.EnrolmentFactory.create_batch(2, programme=programme)
        url = reverse("admin:networks_participant_add")
        results = race(
            [
                (
                    coordinator,
                    url,
                    lambda enrolment=enrolment, person=person: {
                        "user": person.pk,
                        "enrolment": enrolment.pk,
                        "job_title": "",
                        "listed_in_directory": "on",
                    },
                )
                for coordinator, enrolment in zip(coordinators, networks, strict=True)
            ]
        )
        page = one_accepted(results)
        assert escape("Cette personne participe déjà à cette édition au titre d'un autre réseau.") in page
        assert Participant.objects.filter(user=person, programme=programme).count() == 1


def test_duplicating_an_edition_twice_at_once_with_one_identifier_creates_one(programme):
    superusers = [factories.UserFactory(is_staff=True, is_superuser=True) for _ in range(2)]
    url = reverse("admin:alliances_programme_changelist")
    for round_ in range(ROUNDS):
        slug = f"copie-{round_}"

        def form(slug=slug):
            return {
                "action": "duplicate_programme",
                "_selected_action": [programme.pk],
                "apply": "1",
                "name": f"Copie {slug}",
                "slug": slug,
                "offset_days": "365",
            }

        results = race([(superuser, url, form) for superuser in superusers])
        page = one_accepted(results)
        assert escape(f"L'édition « Copie {slug} » existe déjà avec l'identifiant « {slug} »") in page
        assert Programme.objects.filter(slug=slug).count() == 1


def test_the_same_csv_import_twice_at_once_imports_once(programme, coordinators):
    url = reverse("admin:networks_participant_import_csv")
    for round_ in range(ROUNDS):
        enrolment = factories.EnrolmentFactory(programme=programme)
        acronym = enrolment.network.acronym
        rows = "".join(f"Nom{n} Prénom,p{round_}-{n}@example.org,{acronym}\n" for n in range(10))

        def form(rows=rows):
            upload = SimpleUploadedFile("participants.csv", f"nom,email,réseau\n{rows}".encode(), "text/csv")
            return {"programme": programme.pk, "file": upload, "send_invitations": "on"}

        mail.outbox = []
        results = race([(coordinator, url, form) for coordinator in coordinators])
        assert [status for status, _page in results] == [302, 302]
        already = escape("Ce fichier a déjà été importé : les 10 personnes qu'il contient participent déjà")
        done = "Import terminé : 10 participants ajoutés, dont 10 nouveaux comptes"
        assert sorted((already in page, done in page) for _status, page in results) == [(False, True), (True, False)]
        assert Participant.objects.filter(enrolment=enrolment).count() == 10
        assert User.objects.filter(email__startswith=f"p{round_}-").count() == 10
        assert len(mail.outbox) == 10  # one invitation each, not two
