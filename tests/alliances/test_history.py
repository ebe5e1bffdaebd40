"""History of changes (issue 7, item 4): who changed what, visible to the edition's coordinators only."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Answer, Question
from governance.models import Decision
from networks.models import Partnership
from sessions.models import Registration
from tests import factories
from tests.factories_evaluation import open_questionnaire, question

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(programme):
    return factories.ParticipantFactory(enrolment__programme=programme, user__email="camille@example.org")


def test_an_rsvp_records_a_history_row_with_its_author(client, programme, participant):
    session = factories.SessionFactory(programme=programme, starts_at=timezone.now() + dt.timedelta(days=3))
    client.force_login(participant.user)

    client.post(reverse("sessions:rsvp", args=[session.pk]), {"rsvp": "confirmed", "comment": "Avec plaisir"})
    client.post(reverse("sessions:rsvp", args=[session.pk]), {"rsvp": "declined", "comment": "Empêchée"})

    registration = Registration.objects.get(session=session, participant=participant)
    rows = list(registration.history.order_by("history_date"))
    assert [row.rsvp for row in rows][-2:] == ["confirmed", "declined"]
    assert rows[-1].rsvp_comment == "Empêchée"
    assert {row.history_user for row in rows} == {participant.user}


def test_a_partnership_edit_records_its_author(client, participant):
    partnership = factories.PartnershipFactory(enrolment=participant.enrolment, partner_name="Mairie")
    client.force_login(participant.user)
    payload = {"partner_name": "Mairie de Lyon", "family": "public", "partner_type": "local_authority"}
    payload.update({"scale": "local", "depth": "1", "status": "active"})

    response = client.post(reverse("networks:partnership_edit", args=[partnership.pk]), payload)

    assert response.status_code == 302
    latest = Partnership.history.filter(id=partnership.pk).latest("history_date")
    assert latest.history_type == "~"
    assert latest.partner_name == "Mairie de Lyon"
    assert latest.history_user == participant.user
    assert latest.prev_record.partner_name == "Mairie"


def test_an_answer_records_its_author(client, programme, participant):
    questionnaire = open_questionnaire(programme)
    scale = question(questionnaire, 1)
    text = question(questionnaire, 2, Question.Kind.TEXT, required=False)
    client.force_login(participant.user)

    response = client.post(
        reverse("questionnaires:answer", args=[questionnaire.pk]), {f"q{scale.pk}": "5", f"q{text.pk}": "Bien"}
    )

    assert response.status_code == 302
    answer = Answer.objects.get(question=scale, response__participant=participant)
    row = answer.history.latest("history_date")
    assert row.value == 5
    assert row.history_user == participant.user


def test_a_decision_changed_in_the_admin_records_the_coordinator(client, programme, coordinator):
    decision = factories.DecisionFactory(meeting__committee__programme=programme, title="Lancer la phase 2")
    client.force_login(coordinator)

    response = client.post(
        reverse("admin:governance_decision_change", args=[decision.pk]),
        {
            "meeting": decision.meeting_id,
            "title": "Lancer la phase 2",
            "description": "",
            "owner": "Coordination",
            "due_on": "2018-10-01",
            "status": "in_progress",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    row = Decision.history.filter(id=decision.pk).latest("history_date")
    assert (row.status, row.owner, row.history_user) == ("in_progress", "Coordination", coordinator)


def test_the_coordinator_sees_the_history_page_of_their_edition(client, programme, coordinator, participant):
    partnership = factories.PartnershipFactory(enrolment=participant.enrolment, partner_name="Mairie")
    partnership.partner_name = "Mairie de Lyon"
    partnership._history_user = participant.user
    partnership.save()
    client.force_login(coordinator)

    response = client.get(reverse("admin:networks_partnership_history", args=[partnership.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "camille@example.org" in content
    version = partnership.history.earliest("history_date")
    url = reverse("admin:networks_partnership_simple_history", args=[partnership.pk, version.history_id])
    assert client.get(url).status_code == 200
    # Reading, not reverting: a coordinator cannot roll an object back.
    assert client.post(url, {"partner_name": "Mairie"}).status_code == 403
    partnership.refresh_from_db()
    assert partnership.partner_name == "Mairie de Lyon"


@pytest.mark.parametrize(
    ("admin_name", "make"),
    [
        ("networks_partnership", lambda p, programme: factories.PartnershipFactory(enrolment=p.enrolment)),
        ("networks_enrolment", lambda p, programme: p.enrolment),
        (
            "programme_sessions_registration",
            lambda p, programme: factories.RegistrationFactory(
                participant=p, session=factories.SessionFactory(programme=programme)
            ),
        ),
        (
            "governance_decision",
            lambda p, programme: factories.DecisionFactory(meeting__committee__programme=programme),
        ),
        (
            "evaluation_answer",
            lambda p, programme: factories.AnswerFactory(
                response=factories.ResponseFactory(
                    participant=p, questionnaire=factories.QuestionnaireFactory(programme=programme)
                )
            ),
        ),
    ],
)
def test_a_coordinator_of_another_edition_gets_no_history(
    client, programme, participant, coordinator, other_coordinator, admin_name, make
):
    obj = make(participant, programme)
    version = type(obj).history.filter(id=obj.pk).latest("history_date")
    history_url = reverse(f"admin:{admin_name}_history", args=[obj.pk])
    version_url = reverse(f"admin:{admin_name}_simple_history", args=[obj.pk, version.history_id])

    client.force_login(coordinator)
    assert client.get(history_url).status_code == 200

    client.force_login(other_coordinator)
    # The admin's "does not exist" answer: back to the index, nothing of the object shown.
    for response in (client.get(history_url), client.get(version_url), client.post(version_url, {})):
        assert (response.status_code, response.url) == (302, reverse("admin:index"))
    assert type(obj).history.filter(id=obj.pk).count() == 1  # no revert either


def test_history_of_a_deleted_object_is_not_shown_to_coordinators(client, programme, participant, coordinator):
    partnership = factories.PartnershipFactory(enrolment=participant.enrolment)
    pk = partnership.pk
    partnership.delete()
    client.force_login(coordinator)

    response = client.get(reverse("admin:networks_partnership_history", args=[pk]))
    assert (response.status_code, response.url) == (302, reverse("admin:index"))


def test_a_participant_gets_no_admin_history(client, participant):
    partnership = factories.PartnershipFactory(enrolment=participant.enrolment)
    client.force_login(participant.user)

    response = client.get(reverse("admin:networks_partnership_history", args=[partnership.pk]))

    assert response.status_code == 302  # the admin's login page: not staff
    assert Answer.history.count() == 0
