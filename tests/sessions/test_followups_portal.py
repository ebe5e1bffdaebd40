"""Follow-ups and field visits in the portal (/portail/suivi/): shared summary only, my network only."""

import datetime as dt

import pytest
from django.urls import reverse

from sessions.models import FollowUp
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user, count_queries, participant_in

SECRET = "NOTE-INTERNE-CONFIDENTIELLE"


@pytest.fixture
def me(programme):
    return participant_in(programme, enrolment__network__name="Réseau A")


@pytest.fixture
def client_me(client, me):
    client.force_login(me.user)
    return client


@pytest.fixture
def records(me):
    enrolment = me.enrolment
    return {
        "call": factories.FollowUpFactory(
            enrolment=enrolment,
            held_on=dt.date(2018, 5, 3),
            kind=FollowUp.Kind.CALL,
            private_notes=f"{SECRET} appel",
            shared_summary="Point sur l'inventaire des partenariats.",
        ),
        "visio": factories.FollowUpFactory(
            enrolment=enrolment,
            held_on=dt.date(2018, 9, 10),
            kind=FollowUp.Kind.VISIO,
            private_notes=f"{SECRET} visio",
            shared_summary="",
        ),
        "visit": factories.FieldVisitFactory(
            enrolment=enrolment,
            visited_on=dt.date(2018, 7, 2),
            place="Marseille, siège du réseau",
            private_notes=f"{SECRET} visite",
            shared_summary="Rencontre avec le bureau du réseau.",
        ),
    }


def test_list_shows_my_follow_ups_and_visits_latest_first_with_the_shared_summary(client_me, records):
    response = client_me.get(reverse("followups:list"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["type"], row["date"]) for row in rows] == [
        ("entretien", dt.date(2018, 9, 10)),
        ("visite", dt.date(2018, 7, 2)),
        ("entretien", dt.date(2018, 5, 3)),
    ]
    content = response.content.decode()
    assert "visioconférence" in content and "entretien téléphonique" in content
    assert "Marseille, siège du réseau" in content
    assert "Point sur l&#x27;inventaire des partenariats." in content
    assert "Rencontre avec le bureau du réseau." in content
    assert "Pas de synthèse partagée" in content


def test_private_notes_never_appear(client_me, records):
    pages = [
        reverse("followups:list"),
        reverse("followups:followup", args=[records["call"].pk]),
        reverse("followups:followup", args=[records["visio"].pk]),
        reverse("followups:visit", args=[records["visit"].pk]),
    ]
    for url in pages:
        response = client_me.get(url)
        assert response.status_code == 200
        assert SECRET not in response.content.decode(), url
        # Not even in what the template was given.
        handed = {key: response.context[key] for key in ("rows", "shared_summary") if key in response.context}
        if "page" in response.context:
            handed["page"] = list(response.context["page"].object_list)
        assert handed and SECRET not in repr(handed), url


def test_detail_pages(client_me, records):
    content = client_me.get(reverse("followups:visit", args=[records["visit"].pk])).content.decode()
    assert "Visite terrain — Marseille, siège du réseau" in content
    assert "Rencontre avec le bureau du réseau." in content
    content = client_me.get(reverse("followups:followup", args=[records["visio"].pk])).content.decode()
    assert "Suivi individuel — visioconférence" in content
    assert "pas partagé de synthèse" in content


def test_another_networks_follow_ups_are_404_and_not_listed(client_me, programme, records):
    other = participant_in(programme, enrolment__network__name="Réseau B")
    theirs = factories.FollowUpFactory(enrolment=other.enrolment, shared_summary="Synthèse du réseau B")
    their_visit = factories.FieldVisitFactory(enrolment=other.enrolment, shared_summary="Visite du réseau B")
    assert client_me.get(reverse("followups:followup", args=[theirs.pk])).status_code == 404
    assert client_me.get(reverse("followups:visit", args=[their_visit.pk])).status_code == 404
    content = client_me.get(reverse("followups:list")).content.decode()
    assert "réseau B" not in content


def test_my_follow_ups_of_another_edition_are_not_shown(client_me, me):
    earlier = factories.EnrolmentFactory(network=me.enrolment.network, programme=factories.ProgrammeFactory())
    old = factories.FollowUpFactory(enrolment=earlier, shared_summary="Synthèse d'une autre édition")
    assert client_me.get(reverse("followups:followup", args=[old.pk])).status_code == 404
    assert "une autre édition" not in client_me.get(reverse("followups:list")).content.decode()


def test_empty_state(client_me):
    assert "Aucun entretien ni visite pour l" in client_me.get(reverse("followups:list")).content.decode()


def test_access(client, programme, records):
    urls = [
        reverse("followups:list"),
        reverse("followups:followup", args=[records["call"].pk]),
        reverse("followups:visit", args=[records["visit"].pk]),
    ]
    for url in urls:
        assert_login_redirect(client.get(url))
    client.force_login(committee_user(programme))
    for url in urls:
        assert client.get(url).status_code == 403
    coordinator_only = factories.UserFactory(is_staff=True)
    programme.coordinators.add(coordinator_only)
    client.force_login(coordinator_only)
    # Staff without a participation: the page that explains the portal and offers its preview (issue 14).
    response = client.get(urls[0])
    assert response.status_code == 302 and response.url == reverse("preview:choose")


def test_list_is_paginated(client_me, me):
    for day in range(25):
        factories.FollowUpFactory(enrolment=me.enrolment, held_on=dt.date(2018, 5, 1) + dt.timedelta(days=day))
    response = client_me.get(reverse("followups:list"))
    assert len(response.context["rows"]) == 20
    assert len(client_me.get(reverse("followups:list"), {"page": 2}).context["rows"]) == 5


def test_query_count_is_the_same_with_5_and_50_records(client_me, me):
    def add(count):
        for i in range(count):
            factories.FollowUpFactory(enrolment=me.enrolment, shared_summary="Synthèse")
            factories.FieldVisitFactory(enrolment=me.enrolment, place=f"Lieu {i}")

    add(3)
    few = count_queries(client_me, reverse("followups:list"))
    add(25)
    assert count_queries(client_me, reverse("followups:list")) == few
