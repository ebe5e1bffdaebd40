"""The edition's directory: pilot networks and their listed participants, search, pagination, the « me masquer » toggle."""

from html import unescape

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from networks.models import Enrolment
from tests import factories
from tests.factories_networks import a_region, network_with_work

pytestmark = pytest.mark.django_db

DIRECTORY = reverse("networks:directory")
VISIBILITY = reverse("networks:directory_visibility")


@pytest.fixture
def mine(programme):
    return network_with_work(programme)


@pytest.fixture
def me(mine):
    return mine[1][0]


@pytest.fixture
def client_me(client, me):
    client.force_login(me.user)
    return client


def text(response):
    return unescape(response.content.decode())


def listed_people(response):
    return [person for enrolment in response.context["page_obj"] for person in enrolment.listed_participants]


# --- Access ---------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "method"), [(DIRECTORY, "get"), (VISIBILITY, "post")])
def test_logged_out_is_sent_to_login(client, url, method):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize(("url", "method"), [(DIRECTORY, "get"), (VISIBILITY, "post")])
def test_committee_member_without_participation_is_refused(client, programme, url, method):
    member = factories.CommitteeMemberFactory(committee__programme=programme, user=factories.UserFactory())
    client.force_login(member.user)
    assert getattr(client, method)(url).status_code == 403


def test_visibility_toggle_refuses_get(client_me):
    assert client_me.get(VISIBILITY).status_code == 405


# --- Content ----------------------------------------------------------------------------


def test_directory_lists_the_pilot_networks_of_my_edition_with_job_titles_and_emails(client_me, programme, mine):
    other, other_people = network_with_work(programme)
    other_people[0].job_title = "Déléguée générale"
    other_people[0].save()
    pending, pending_people = network_with_work(programme, status=Enrolment.Status.PENDING)
    elsewhere, elsewhere_people = network_with_work(factories.ProgrammeFactory())

    response = client_me.get(DIRECTORY)

    content = response.content.decode()
    assert {enrolment.pk for enrolment in response.context["page_obj"]} == {mine[0].pk, other.pk}
    assert other.network.name in content
    assert "Déléguée générale" in content
    for person in [*mine[1], *other_people]:
        assert person.user.email in content
    for person in [*pending_people, *elsewhere_people]:
        assert person.user.email not in content
    assert pending.network.name not in content
    assert elsewhere.network.name not in content


def test_unlisted_participants_are_hidden_with_their_email(client_me, programme):
    other, (visible, hidden) = network_with_work(programme)
    hidden.listed_in_directory = False
    hidden.job_title = "Fonction confidentielle"
    hidden.save()

    response = client_me.get(DIRECTORY)

    content = response.content.decode()
    assert visible in listed_people(response)
    assert hidden not in listed_people(response)
    assert hidden.user.email not in content
    assert "Fonction confidentielle" not in content


def test_people_who_never_activated_their_account_are_not_listed(client_me, programme):
    other, (activated, invited, closed) = network_with_work(programme, participants=3)
    invited.user.set_unusable_password()  # invited (or imported), never followed the link
    invited.user.last_name = "Zéphyrin"
    invited.user.save()
    closed.user.is_active = False
    closed.user.save()

    response = client_me.get(DIRECTORY)
    content = response.content.decode()
    assert activated in listed_people(response)
    for person in (invited, closed):
        assert person not in listed_people(response)
        assert person.user.email not in content
    searched = client_me.get(DIRECTORY, {"q": "Zéphyrin"})
    assert listed_people(searched) == []
    assert invited.user.email not in searched.content.decode()

    # Once the invitation is accepted (a password chosen), the person appears.
    invited.user.set_password("une-phrase-de-passe-2018")
    invited.user.save()
    assert invited in listed_people(client_me.get(DIRECTORY))


def test_network_with_nobody_listed_still_appears(client_me, programme):
    other, people = network_with_work(programme, participants=1)
    people[0].listed_in_directory = False
    people[0].save()

    content = client_me.get(DIRECTORY).content.decode()

    assert other.network.name in content
    assert "Aucun participant de ce réseau n" in content


def test_search_by_person_and_by_network(client_me, programme):
    other, (alice, bob) = network_with_work(programme)
    alice.user.last_name = "Zéphyrin"
    alice.user.save()
    other.network.name = "Fédération des Jardins Partagés"
    other.network.save()

    by_person = client_me.get(DIRECTORY, {"q": "zéphyrin"})
    assert listed_people(by_person) == [alice]

    by_network = client_me.get(DIRECTORY, {"q": "jardins partagés"})
    assert [e.pk for e in by_network.context["page_obj"]] == [other.pk]
    assert set(listed_people(by_network)) == {alice, bob}

    nothing = client_me.get(DIRECTORY, {"q": "introuvable"})
    assert "Personne ne correspond à cette recherche." in nothing.content.decode()


def test_search_does_not_find_unlisted_people(client_me, programme):
    _other, (alice, _bob) = network_with_work(programme)
    alice.user.last_name = "Zéphyrin"
    alice.user.save()
    alice.listed_in_directory = False
    alice.save()

    response = client_me.get(DIRECTORY, {"q": "Zéphyrin"})

    assert listed_people(response) == []
    assert alice.user.email not in response.content.decode()


def test_directory_is_paginated(client_me, programme):
    for _ in range(29):
        factories.EnrolmentFactory(programme=programme)  # 30 pilot networks with mine

    first = client_me.get(DIRECTORY)
    second = client_me.get(DIRECTORY, {"page": 2})

    assert len(first.context["page_obj"]) == 25
    assert len(second.context["page_obj"]) == 5
    assert "Page 1 sur 2" in first.content.decode()


# --- Toggle ----------------------------------------------------------------------------


def test_hide_and_show_myself(client_me, me):
    assert "Me masquer de l'annuaire" in text(client_me.get(DIRECTORY))

    response = client_me.post(VISIBILITY, {"listed": "0"}, follow=True)
    me.refresh_from_db()
    assert not me.listed_in_directory
    assert "Vous n'apparaissez plus dans l'annuaire de la promotion." in text(response)
    assert me not in listed_people(response)
    assert me.user.email not in text(response)
    assert "M'afficher dans l'annuaire" in text(response)

    client_me.post(VISIBILITY, {"listed": "1"})
    me.refresh_from_db()
    assert me.listed_in_directory
    assert me in listed_people(client_me.get(DIRECTORY))


# --- Query count ------------------------------------------------------------------------


def count_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("search", ["", "fictif"])
def test_directory_runs_a_constant_number_of_queries(client_me, programme, search):
    url = f"{DIRECTORY}?q={search}" if search else DIRECTORY
    region = a_region()

    small = count_queries(client_me, url)
    for _ in range(19):
        enrolment, _people = network_with_work(programme, participants=3)
        enrolment.network.regions.add(region)
    big = count_queries(client_me, url)

    assert small == big
