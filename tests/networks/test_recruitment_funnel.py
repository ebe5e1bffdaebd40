"""The recruitment funnel of an edition: figures on a known data set, the coordinators' page and its access."""

import datetime as dt

import pytest
from django.urls import reverse

from networks.funnel import recruitment_funnel
from networks.models import Enrolment
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user, count_queries, participant_in

Status = Enrolment.Status


def enrol(programme, status, name, *, solicited_on=dt.date(2017, 11, 6), decided_on=None, reason=""):
    return factories.EnrolmentFactory(
        programme=programme,
        network__name=name,
        status=status,
        solicited_on=solicited_on,
        decided_on=decided_on,
        refusal_reason=reason,
    )


@pytest.fixture
def pilot(programme):
    """The 2018 pilot's recruitment (DESIGN §5): 15 solicited, 9 accord, 4 en attente, 2 refus, target 12;
    plus one network solicited late and not answered yet (16 solicited in all)."""
    for i in range(9):
        enrol(programme, Status.AGREED, f"Réseau accord {i:02}", decided_on=dt.date(2018, 1, 10 + i))
    for i in range(4):
        enrol(programme, Status.PENDING, f"Réseau attente {i}", solicited_on=dt.date(2017, 12, 1))
    enrol(programme, Status.REFUSED, "Réseau refus B", decided_on=dt.date(2018, 2, 1), reason="Calendrier trop chargé.")
    enrol(
        programme,
        Status.REFUSED,
        "Réseau refus A",
        solicited_on=dt.date(2017, 10, 2),
        decided_on=dt.date(2018, 2, 20),
        reason="Pas de disponibilité en 2018 (timing).",
    )
    enrol(programme, Status.SOLICITED, "Réseau sans réponse", solicited_on=dt.date(2018, 2, 26))
    # Another edition's enrolment does not count.
    factories.EnrolmentFactory(status=Status.AGREED)
    return programme


def test_funnel_figures_on_the_pilot(pilot, django_assert_num_queries):
    with django_assert_num_queries(2):  # the aggregate, the refusals
        funnel = recruitment_funnel(pilot)
    assert funnel == {
        "target": 12,
        "solicited": 16,
        "agreed": 9,
        "pending": 4,
        "refused": 2,
        "awaiting_answer": 1,
        "agreed_percent_of_target": 75,
        "missing_to_target": 3,
        "target_reached": False,
        "agreed_percent_of_solicited": 56,
        "first_solicited_on": dt.date(2017, 10, 2),
        "last_solicited_on": dt.date(2018, 2, 26),
        "last_decided_on": dt.date(2018, 2, 20),
        "refusals": [
            {
                "network": "Réseau refus A",
                "reason": "Pas de disponibilité en 2018 (timing).",
                "decided_on": dt.date(2018, 2, 20),
            },
            {"network": "Réseau refus B", "reason": "Calendrier trop chargé.", "decided_on": dt.date(2018, 2, 1)},
        ],
    }


def test_funnel_of_an_empty_edition(programme):
    funnel = recruitment_funnel(programme)
    assert funnel["solicited"] == funnel["agreed"] == 0
    assert funnel["agreed_percent_of_target"] == funnel["agreed_percent_of_solicited"] == 0
    assert funnel["missing_to_target"] == 12 and funnel["first_solicited_on"] is None and funnel["refusals"] == []


def test_target_reached_and_exceeded(programme):
    programme.target_networks = 2
    programme.save()
    for i in range(3):
        enrol(programme, Status.AGREED, f"R{i}")
    funnel = recruitment_funnel(programme)
    assert funnel["target_reached"] and funnel["missing_to_target"] == 0 and funnel["agreed_percent_of_target"] == 150


def url(programme):
    return reverse("recruitment:funnel", args=[programme.slug])


def test_page_for_the_coordinator(client, coordinator, pilot):
    client.force_login(coordinator)
    response = client.get(url(pilot))
    assert response.status_code == 200
    content = response.content.decode()
    assert response.context["funnel"]["agreed"] == 9
    assert "9 réseaux pilotes (en accord) sur 12 visés : 75 %." in content
    assert "Il manque 3 réseaux." in content
    assert "Pas de disponibilité en 2018 (timing)." in content and "Calendrier trop chargé." in content
    assert '<progress class="w-100" value="9" max="12"' in content
    assert len(response.context["page"].object_list) == 16


def test_page_filters_by_status(client, coordinator, pilot):
    client.force_login(coordinator)
    response = client.get(url(pilot), {"statut": "pending"})
    assert [e.network.name for e in response.context["page"].object_list] == [f"Réseau attente {i}" for i in range(4)]
    assert response.context["funnel"]["solicited"] == 16  # the figures stay those of the whole edition


def test_access(client, programme, pilot):
    assert_login_redirect(client.get(url(programme)))
    client.force_login(participant_in(programme).user)
    assert client.get(url(programme)).status_code == 403
    client.force_login(committee_user(programme))
    assert client.get(url(programme)).status_code == 403
    outsider = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(outsider)
    client.force_login(outsider)
    assert client.get(url(programme)).status_code == 404
    assert client.get(reverse("recruitment:funnel", args=["pas-une-edition"])).status_code == 404


def test_superuser_sees_every_funnel(client, superuser, pilot):
    client.force_login(superuser)
    assert client.get(url(pilot)).status_code == 200


def test_query_count_does_not_grow_with_the_networks(client, coordinator, programme):
    client.force_login(coordinator)
    for i in range(5):
        enrol(programme, Status.AGREED, f"Petit {i}")
    few = count_queries(client, url(programme))
    for i in range(60):
        enrol(programme, [Status.AGREED, Status.REFUSED, Status.PENDING][i % 3], f"Grand {i}", reason="Motif")
    assert count_queries(client, url(programme)) == few


def test_the_editions_list_links_to_the_funnel(client, coordinator, programme):
    client.force_login(coordinator)
    content = client.get(reverse("admin:alliances_programme_changelist")).content.decode()
    assert f'href="{url(programme)}"' in content
    content = client.get(reverse("admin:alliances_programme_change", args=[programme.pk])).content.decode()
    assert f'href="{url(programme)}"' in content
