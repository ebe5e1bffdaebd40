"""The findings page of the committee area (/comite/enseignements/): grouping, evidence, access, query counts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Finding
from tests import factories
from tests.factories_committee import seated_user
from tests.factories_community import assert_login_redirect, count_queries, participant_in

URL = "/comite/enseignements/"


@pytest.fixture
def steering(programme):
    return factories.CommitteeFactory(programme=programme, kind="steering", name="Comité de pilotage")


@pytest.fixture
def member(steering):
    return seated_user(steering)


def test_the_route(db):
    assert reverse("findings:index") == URL


def test_findings_grouped_by_kind_with_their_evidence(client, programme, member, steering):
    orientation = factories.CommitteeFactory(programme=programme, kind="orientation")
    my_meeting = factories.MeetingFactory(committee=steering, title="Clôture", held_on=dt.date(2018, 12, 18))
    other_meeting = factories.MeetingFactory(committee=orientation, title="Mi-parcours orientation")
    questionnaire = factories.QuestionnaireFactory(programme=programme, title="Évaluation finale")
    session = factories.SessionFactory(
        programme=programme,
        code="S2",
        title="Mettre en œuvre",
        starts_at=timezone.make_aware(dt.datetime(2018, 6, 12, 9)),
    )
    make = factories.FindingFactory
    make(programme=programme, kind=Finding.Kind.RECOMMENDATION, title="Déployer par vagues régionales", order=1)
    make(programme=programme, kind=Finding.Kind.OBSERVATION, title="Assiduité forte", evidence_session=session)
    make(
        programme=programme,
        kind=Finding.Kind.LESSON,
        title="Le binôme compte",
        evidence_questionnaire=questionnaire,
        body="Les binômes ont mieux avancé.",
    )
    make(programme=programme, kind=Finding.Kind.CONVICTION, title="La confiance d'abord", evidence_meeting=my_meeting)
    make(programme=programme, kind=Finding.Kind.CONVICTION, title="Le territoire", evidence_meeting=other_meeting)
    make(programme=factories.ProgrammeFactory(), title="Constat d'une autre édition")

    client.force_login(member)
    response = client.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    groups = [(kind, [f.title for f in items]) for kind, _heading, items in response.context["groups"]]
    assert groups == [
        ("observation", ["Assiduité forte"]),
        ("lesson", ["Le binôme compte"]),
        ("conviction", ["La confiance d'abord", "Le territoire"]),
        ("recommendation", ["Déployer par vagues régionales"]),
    ]
    assert content.index("Constats") < content.index("Enseignements</h2>") < content.index("Recommandations</h2>")
    assert "Constat d'une autre édition" not in content
    # A questionnaire: its title and where its results are.
    assert "Questionnaire « Évaluation finale »" in content and "rapport d'évaluation" in content
    # A session: title and date.
    assert "S2 — Mettre en œuvre" in content and "12 juin 2018" in content
    # A meeting: linked only where I sit.
    assert f'href="{reverse("committee:meeting", args=[my_meeting.pk])}"' in content
    assert reverse("committee:meeting", args=[other_meeting.pk]) not in content
    assert "Mi-parcours orientation" in content
    assert "Les binômes ont mieux avancé." in content


def test_coordinator_gets_meeting_links_of_every_committee_of_the_edition(client, programme, coordinator):
    meeting = factories.MeetingFactory(committee=factories.CommitteeFactory(programme=programme))
    factories.FindingFactory(programme=programme, evidence_meeting=meeting)
    client.force_login(coordinator)
    assert reverse("committee:meeting", args=[meeting.pk]) in client.get(URL).content.decode()


def test_edition_switch_among_my_editions(client, programme, member):
    later = factories.ProgrammeFactory(name="Édition 2019", starts_on=dt.date(2019, 7, 1), ends_on=dt.date(2020, 6, 30))
    factories.CommitteeMemberFactory(committee=factories.CommitteeFactory(programme=later), user=member)
    factories.FindingFactory(programme=programme, title="Constat 2018")
    factories.FindingFactory(programme=later, title="Constat 2019")
    client.force_login(member)
    response = client.get(URL)
    assert response.context["programme"] == later  # the most recent by default
    assert "Constat 2019" in response.content.decode() and "Constat 2018" not in response.content.decode()
    response = client.get(URL, {"edition": programme.slug})
    assert "Constat 2018" in response.content.decode()
    assert response.context["form"] is not None


def test_an_edition_where_i_sit_nowhere_is_404(client, member):
    other = factories.ProgrammeFactory()
    factories.FindingFactory(programme=other, title="Secret")
    client.force_login(member)
    assert client.get(URL, {"edition": other.slug}).status_code == 404


def test_empty_state(client, member):
    client.force_login(member)
    assert "Aucun enseignement n'est encore formulé" in client.get(URL).content.decode()


def test_logged_out_participant_and_staff(client, programme, steering):
    assert_login_redirect(client.get(URL))
    client.force_login(participant_in(programme).user)
    assert client.get(URL).status_code == 403
    client.force_login(factories.UserFactory(is_staff=True))
    assert client.get(URL).status_code == 403


def test_superuser_sees_the_most_recent_edition(client, superuser, programme):
    factories.FindingFactory(programme=programme, title="Constat visible")
    client.force_login(superuser)
    assert "Constat visible" in client.get(URL).content.decode()


def test_query_count_is_the_same_with_5_and_50_findings(client, programme, member, steering):
    client.force_login(member)

    def add(count):
        meetings = [factories.MeetingFactory(committee=steering) for _ in range(3)]
        session = factories.SessionFactory(programme=programme)
        questionnaire = factories.QuestionnaireFactory(programme=programme)
        for i in range(count):
            factories.FindingFactory(
                programme=programme,
                kind=Finding.Kind.values[i % 4],
                evidence_meeting=meetings[i % 3],
                evidence_session=session,
                evidence_questionnaire=questionnaire,
            )

    add(5)
    few = count_queries(client, URL)
    add(45)
    assert count_queries(client, URL) == few
