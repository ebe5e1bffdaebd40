"""Questionnaires in the member portal (/portail/questionnaires/): access, answering, editing until closing."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from evaluation import portal as evaluation_portal
from evaluation.models import Answer, Question, Questionnaire, Response
from evaluation.services import response_submit
from networks.models import Enrolment
from sessions.models import Registration
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user
from tests.factories_evaluation import (
    answer,
    closed_questionnaire,
    count_queries,
    feedback_questionnaire,
    mark_present,
    open_questionnaire,
    participants,
    question,
    respondents,
)

LIST = "/portail/questionnaires/"


def answer_url(questionnaire):
    return reverse("questionnaires:answer", args=[questionnaire.pk])


def mine_url(questionnaire):
    return reverse("questionnaires:my_answers", args=[questionnaire.pk])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def participant(programme):
    return factories.ParticipantFactory(enrolment__programme=programme, user__first_name="Camille")


@pytest.fixture
def questionnaire(programme):
    """Open: a required scale, an optional single choice, a required multiple choice, an optional text."""
    questionnaire = open_questionnaire(programme, title="Évaluation finale", introduction="Merci de répondre.")
    question(questionnaire, 1, text="Satisfaction générale ?")
    question(questionnaire, 2, Question.Kind.SINGLE, text="Recommanderiez-vous ?", required=False)
    question(questionnaire, 3, Question.Kind.MULTIPLE, text="Formats utiles ?", choices="Sessions\nVisites\nBinôme")
    question(questionnaire, 4, Question.Kind.TEXT, text="Remarques", required=False)
    return questionnaire


def form_data(questionnaire, scale="4", single="Oui", multiple=("Sessions", "Binôme"), text="Très utile."):
    q1, q2, q3, q4 = questionnaire.questions.order_by("order")
    return {f"q{q1.pk}": scale, f"q{q2.pk}": single, f"q{q3.pk}": list(multiple), f"q{q4.pk}": text}


# --- Access ------------------------------------------------------------------------------------


def test_urls_are_under_portail():
    assert reverse("questionnaires:list") == LIST
    assert reverse("questionnaires:answer", args=[3]) == "/portail/questionnaires/3/"
    assert reverse("questionnaires:my_answers", args=[3]) == "/portail/questionnaires/3/mes-reponses/"


def test_logged_out_is_sent_to_login(client, questionnaire):
    for url in (LIST, answer_url(questionnaire), mine_url(questionnaire)):
        assert_login_redirect(client.get(url))
    assert_login_redirect(client.post(answer_url(questionnaire), form_data(questionnaire)))


def test_committee_member_without_participation_gets_403(client, programme, questionnaire):
    client.force_login(committee_user(programme))
    for url in (LIST, answer_url(questionnaire), mine_url(questionnaire)):
        assert client.get(url).status_code == 403
    assert client.post(answer_url(questionnaire), form_data(questionnaire)).status_code == 403
    assert not Response.objects.exists()


def test_coordinator_without_participation_is_offered_the_preview(client, coordinator, questionnaire):
    # Staff without a participation get the page that explains the portal and offers its preview (issue 14),
    # and answer nothing.
    client.force_login(coordinator)
    for url in (LIST, answer_url(questionnaire)):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("preview:choose")
    response = client.post(answer_url(questionnaire), form_data(questionnaire))
    assert response.status_code == 302 and response.url == reverse("preview:choose")
    assert not Response.objects.exists()


def test_participant_of_another_edition_gets_404(client, questionnaire):
    stranger = factories.ParticipantFactory()  # another edition
    client.force_login(stranger.user)
    assert client.get(answer_url(questionnaire)).status_code == 404
    assert client.get(mine_url(questionnaire)).status_code == 404
    assert client.post(answer_url(questionnaire), form_data(questionnaire)).status_code == 404
    assert not Response.objects.exists()
    assert "Évaluation finale" not in client.get(LIST).content.decode()


def test_a_draft_questionnaire_does_not_exist_for_participants(logged_in, programme):
    draft = factories.QuestionnaireFactory(programme=programme, title="Brouillon", opens_at=None)
    question(draft, 1)
    assert logged_in.get(answer_url(draft)).status_code == 404
    assert logged_in.get(mine_url(draft)).status_code == 404
    assert "Brouillon" not in logged_in.get(LIST).content.decode()


class TestSessionAttendeesAudience:
    """« Les présents à une session »: only those marked present may answer.

    Anyone else gets a 404, not a 403: for them the questionnaire does not exist (it is not in
    their list nor their « à faire »), as the portal treats every object outside one's scope; a
    403 would confirm that a questionnaire exists for a session they missed.
    """

    @pytest.fixture
    def setup(self, programme, participant):
        session = factories.SessionFactory(programme=programme, code="S2", title="Mettre en œuvre")
        feedback = feedback_questionnaire(session, title="Retour sur S2")
        scale = question(feedback, 1)
        return session, feedback, scale

    @pytest.mark.parametrize(
        "attendance",
        [Registration.Attendance.ABSENT, Registration.Attendance.EXCUSED, "", None],
        ids=["absent", "excused", "not-recorded", "not-registered"],
    )
    def test_someone_not_present_cannot_answer(self, logged_in, participant, setup, attendance):
        session, feedback, scale = setup
        if attendance is not None:
            mark_present(session, [participant], attendance=attendance)
        assert logged_in.get(answer_url(feedback)).status_code == 404
        assert logged_in.post(answer_url(feedback), {f"q{scale.pk}": "5"}).status_code == 404
        assert logged_in.get(mine_url(feedback)).status_code == 404
        assert not Response.objects.exists()
        assert "Retour sur S2" not in logged_in.get(LIST).content.decode()
        assert evaluation_portal.pending_items(participant) == []
        with pytest.raises(ValidationError, match="ne vous est pas destiné"):
            response_submit(questionnaire=feedback, participant=participant, answers={scale.pk: 5})

    def test_someone_present_answers(self, logged_in, participant, setup):
        session, feedback, scale = setup
        mark_present(session, [participant])
        assert logged_in.get(answer_url(feedback)).status_code == 200
        response = logged_in.post(answer_url(feedback), {f"q{scale.pk}": "5"})
        assert response.status_code == 302
        assert Answer.objects.get(response__participant=participant).value == 5
        assert [item.label for item in evaluation_portal.pending_items(participant)] == []

    def test_presence_at_another_session_does_not_count(self, logged_in, programme, participant, setup):
        session, feedback, scale = setup
        other = factories.SessionFactory(programme=programme)
        mark_present(other, [participant])
        assert logged_in.get(answer_url(feedback)).status_code == 404


def test_participant_of_a_network_not_in_accord_cannot_answer(programme, questionnaire):
    pending = factories.ParticipantFactory(enrolment__programme=programme, enrolment__status=Enrolment.Status.PENDING)
    with pytest.raises(ValidationError, match="ne vous est pas destiné"):
        response_submit(questionnaire=questionnaire, participant=pending, answers={})


# --- Answering ---------------------------------------------------------------------------------


def test_form_offers_radios_checkboxes_and_a_text_area(logged_in, questionnaire):
    response = logged_in.get(answer_url(questionnaire))
    assert response.status_code == 200
    content = response.content.decode()
    q1, q2, q3, q4 = questionnaire.questions.order_by("order")

    def inputs(kind, name):
        return len(re.findall(rf'<input type="{kind}"[^>]* name="{name}"', content))

    assert inputs("radio", f"q{q1.pk}") == 5
    assert inputs("radio", f"q{q2.pk}") == 3
    assert inputs("checkbox", f"q{q3.pk}") == 3
    assert f'<textarea name="q{q4.pk}"' in content
    assert "Merci de répondre." in content
    assert "Envoyer mes réponses" in content


def test_answering_stores_each_kind_and_thanks(logged_in, participant, questionnaire):
    response = logged_in.post(answer_url(questionnaire), form_data(questionnaire))

    assert response.status_code == 302
    assert response.url == mine_url(questionnaire)
    assert any("Merci ! Vos réponses sont enregistrées." in m for m in messages_of(response))
    saved = Response.objects.get(questionnaire=questionnaire, participant=participant)
    values = {a.question.order: (a.value, a.selected, a.text) for a in saved.answers.select_related("question")}
    assert values == {
        1: (4, [], ""),
        2: (None, ["Oui"], ""),
        3: (None, ["Sessions", "Binôme"], ""),
        4: (None, [], "Très utile."),
    }
    for stored in saved.answers.all():
        stored.full_clean()


def test_optional_questions_may_stay_blank(logged_in, participant, questionnaire):
    response = logged_in.post(answer_url(questionnaire), form_data(questionnaire, single="", text="  "))
    assert response.status_code == 302
    orders = sorted(Answer.objects.filter(response__participant=participant).values_list("question__order", flat=True))
    assert orders == [1, 3]


def test_a_missing_required_answer_is_refused_and_nothing_saved(logged_in, questionnaire):
    response = logged_in.post(answer_url(questionnaire), form_data(questionnaire, scale="", multiple=()))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Cette question est obligatoire." in content
    assert "Certaines réponses manquent" in content
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("scale", "6"), ("scale", "beaucoup"), ("single", "Jamais"), ("multiple", ["Sessions", "Inconnu"])],
)
def test_an_answer_outside_the_choices_is_refused(logged_in, questionnaire, field, value):
    data = form_data(questionnaire, **{field: value})
    response = logged_in.post(answer_url(questionnaire), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Response.objects.exists()


def test_my_answers_shows_my_own_answers_only(logged_in, programme, participant, questionnaire):
    q1, q2, q3, q4 = questionnaire.questions.order_by("order")
    answer(questionnaire, participant, {q1: 2, q3: ["Visites"], q4: "Mon avis à moi"})
    other = factories.ParticipantFactory(enrolment=participant.enrolment)
    answer(questionnaire, other, {q1: 5, q3: ["Binôme"], q4: "L'avis de mon binôme"})

    content = logged_in.get(mine_url(questionnaire)).content.decode()

    assert "Mon avis à moi" in content
    assert "2 sur 5" in content
    assert "Visites" in content
    assert "L'avis de mon binôme" not in content
    assert "Modifier mes réponses" in content


def test_my_answers_without_a_response_says_what_to_do(logged_in, questionnaire):
    content = logged_in.get(mine_url(questionnaire)).content.decode()
    assert "Vous n'avez pas encore répondu à ce questionnaire." in content
    assert answer_url(questionnaire) in content


# --- Editing until closing -------------------------------------------------------------------------


def test_answers_can_be_changed_while_open(logged_in, participant, questionnaire):
    logged_in.post(answer_url(questionnaire), form_data(questionnaire))
    first = Response.objects.get()

    form = logged_in.get(answer_url(questionnaire)).context["form"]
    q1, q2, q3, q4 = questionnaire.questions.order_by("order")
    assert form.initial == {
        f"q{q1.pk}": 4,
        f"q{q2.pk}": "Oui",
        f"q{q3.pk}": ["Sessions", "Binôme"],
        f"q{q4.pk}": "Très utile.",
    }

    response = logged_in.post(answer_url(questionnaire), form_data(questionnaire, scale="2", single="", text="Revu."))

    assert any("Vos réponses sont modifiées." in m for m in messages_of(response))
    changed = Response.objects.get()
    assert changed.pk == first.pk
    assert changed.submitted_at == first.submitted_at
    assert changed.updated_at > first.updated_at
    values = {a.question.order: (a.value, a.selected, a.text) for a in changed.answers.select_related("question")}
    assert values == {1: (2, [], ""), 3: (None, ["Sessions", "Binôme"], ""), 4: (None, [], "Revu.")}


def test_after_closing_changes_are_refused_and_nothing_changes(logged_in, participant, questionnaire):
    logged_in.post(answer_url(questionnaire), form_data(questionnaire))
    before = Response.objects.get()
    answers_before = list(Answer.objects.order_by("pk").values())
    closed_at = timezone.now() - dt.timedelta(minutes=5)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(
        opens_at=closed_at - dt.timedelta(days=10), closes_at=closed_at
    )

    response = logged_in.post(answer_url(questionnaire), form_data(questionnaire, scale="1", text="Trop tard"))

    assert response.status_code == 302
    assert response.url == mine_url(questionnaire)
    assert any(
        m.startswith("Ce questionnaire est clos depuis le") and "ne peuvent plus être modifiées" in m
        for m in messages_of(response)
    )
    after = Response.objects.get()
    assert after.updated_at == before.updated_at
    assert list(Answer.objects.order_by("pk").values()) == answers_before
    page = logged_in.get(mine_url(questionnaire)).content.decode()
    assert "Modifier mes réponses" not in page
    assert "Ce questionnaire est clos" in page


def test_after_closing_a_first_answer_is_refused_too(logged_in, programme):
    closed = closed_questionnaire(programme)
    scale = question(closed, 1)
    response = logged_in.post(answer_url(closed), {f"q{scale.pk}": "3"}, follow=True)
    assert "Ce questionnaire est clos depuis le" in response.content.decode()
    assert not Response.objects.exists()


def test_the_service_refuses_after_closing(participant, questionnaire):
    q1 = questionnaire.questions.get(order=1)
    later = questionnaire.closes_at + dt.timedelta(seconds=1)
    with pytest.raises(ValidationError, match="Ce questionnaire est clos depuis le"):
        response_submit(questionnaire=questionnaire, participant=participant, answers={q1.pk: 3}, now=later)
    assert not Response.objects.exists()


def test_the_service_checks_every_answer(participant, questionnaire):
    q1, q2, q3, q4 = questionnaire.questions.order_by("order")
    with pytest.raises(ValidationError) as error:
        response_submit(
            questionnaire=questionnaire, participant=participant, answers={q1.pk: 9, q2.pk: "Jamais", q3.pk: []}
        )
    text = " ".join(error.value.messages)
    assert "Donnez une note de 1 à 5." in text
    assert "Choisissez parmi les choix proposés." in text
    assert "« Formats utiles ? » : cette question est obligatoire." in text
    other = factories.QuestionFactory()
    with pytest.raises(ValidationError, match="autre questionnaire"):
        response_submit(questionnaire=questionnaire, participant=participant, answers={other.pk: 3})
    assert not Response.objects.exists()


def test_an_upcoming_questionnaire_cannot_be_answered_yet(logged_in, programme):
    upcoming = open_questionnaire(
        programme, title="Bientôt", opens_at=timezone.now() + dt.timedelta(days=3), closes_at=None
    )
    scale = question(upcoming, 1)
    response = logged_in.post(answer_url(upcoming), {f"q{scale.pk}": "3"})
    assert response.url == LIST
    assert any("Ce questionnaire ouvre le" in m for m in messages_of(response))
    assert not Response.objects.exists()


# --- The list and the home's « à faire » ---------------------------------------------------------


def test_list_groups_my_questionnaires(logged_in, programme, participant):
    now = timezone.now()
    to_answer = open_questionnaire(programme, title="À remplir vite")
    answered_open = open_questionnaire(programme, title="Déjà répondu, ouvert")
    answered_closed = closed_questionnaire(programme, title="Répondu puis clos")
    closed_questionnaire(programme, title="Manqué")
    open_questionnaire(programme, title="Plus tard", opens_at=now + dt.timedelta(days=5), closes_at=None)
    factories.QuestionnaireFactory(programme=programme, title="Brouillon", opens_at=None)
    open_questionnaire(factories.ProgrammeFactory(), title="Autre édition")
    answer(answered_open, participant, {})
    answer(answered_closed, participant, {})

    response = logged_in.get(LIST)

    context = response.context
    assert [q.title for q in context["to_answer"]] == ["À remplir vite"]
    assert {q.title for q in context["answered"]} == {"Déjà répondu, ouvert", "Répondu puis clos"}
    assert [q.title for q in context["upcoming"]] == ["Plus tard"]
    assert [q.title for q in context["missed"]] == ["Manqué"]
    content = response.content.decode()
    assert "Brouillon" not in content and "Autre édition" not in content
    assert f'href="{answer_url(to_answer)}"' in content
    assert f'href="{mine_url(answered_closed)}"' in content
    assert f'href="{answer_url(answered_closed)}"' not in content  # closed: no « Modifier »
    assert f'href="{answer_url(answered_open)}"' in content  # open: « Modifier »


def test_empty_list_says_what_happens_next(logged_in):
    content = logged_in.get(LIST).content.decode()
    assert "Aucun questionnaire n'attend votre réponse" in content


def test_nav_has_a_questionnaires_item(logged_in):
    content = logged_in.get(LIST).content.decode()
    assert f'aria-current="page" href="{LIST}"' in content


def test_home_lists_open_questionnaires_until_answered(logged_in, participant, questionnaire):
    programme = questionnaire.programme
    closed_questionnaire(programme, title="Clos")
    open_questionnaire(programme, title="Pas encore", opens_at=timezone.now() + dt.timedelta(days=2))

    items = logged_in.get("/portail/").context["pending_items"]

    assert [(item.label, item.url, item.kind) for item in items] == [
        ("Répondre au questionnaire : Évaluation finale", answer_url(questionnaire), "questionnaire")
    ]
    assert items[0].due == timezone.localdate(questionnaire.closes_at)

    logged_in.post(answer_url(questionnaire), form_data(questionnaire))
    assert logged_in.get("/portail/").context["pending_items"] == []


def test_pending_items_cost_one_query(django_assert_num_queries, programme, participant):
    for index in range(3):
        open_questionnaire(programme, title=f"Ouvert {index}")
    with django_assert_num_queries(1):
        items = evaluation_portal.pending_items(participant)
    assert len(items) == 3


# --- Bounded queries -------------------------------------------------------------------------------


def test_list_query_count_is_the_same_with_5_and_50_respondents(client, programme):
    session = factories.SessionFactory(programme=programme)
    me = participants(programme, 1)[0]
    mark_present(session, [me])
    questionnaires = [
        open_questionnaire(programme, title="Ouvert"),
        closed_questionnaire(programme, title="Clos"),
        feedback_questionnaire(session, title="Retour"),
    ]
    for questionnaire in questionnaires:
        question(questionnaire, 1)
    answer(questionnaires[1], me, {})
    client.force_login(me.user)

    for questionnaire in questionnaires:
        respondents(questionnaire, 5)
    with_5 = count_queries(client, LIST)
    for questionnaire in questionnaires:
        respondents(questionnaire, 45)
    with_50 = count_queries(client, LIST)

    assert Response.objects.filter(questionnaire=questionnaires[0]).count() == 50
    # session, user, current participation, the questionnaires with my answer dates
    assert with_5 == with_50 == 4


def test_answer_and_my_answers_pages_cost_the_same_with_5_and_50_respondents(client, programme, questionnaire):
    me = participants(programme, 1)[0]
    q1, q2, q3, q4 = questionnaire.questions.order_by("order")
    answer(questionnaire, me, {q1: 3, q3: ["Sessions"], q4: "Bien"})
    client.force_login(me.user)
    respondents(questionnaire, 5, {q1: 4})
    few = (count_queries(client, answer_url(questionnaire)), count_queries(client, mine_url(questionnaire)))
    respondents(questionnaire, 45, {q1: 4})
    many = (count_queries(client, answer_url(questionnaire)), count_queries(client, mine_url(questionnaire)))
    assert few == many


# --- Rules the models hold -------------------------------------------------------------------------


def test_a_competency_of_another_edition_is_refused(questionnaire):
    foreign = factories.CompetencyFactory()
    asked = Question(questionnaire=questionnaire, order=9, text="?", kind=Question.Kind.SCALE, competency=foreign)
    with pytest.raises(ValidationError, match="autre édition"):
        asked.full_clean()


def test_one_self_assessment_before_and_one_after_per_edition(programme):
    factories.QuestionnaireFactory(programme=programme, kind=Questionnaire.Kind.COMPETENCY_PRE)
    second = factories.QuestionnaireFactory.build(programme=programme, kind=Questionnaire.Kind.COMPETENCY_PRE)
    with pytest.raises(ValidationError, match="déjà une auto-évaluation des compétences"):
        second.full_clean()


def test_one_feedback_questionnaire_per_session(programme):
    session = factories.SessionFactory(programme=programme)
    feedback_questionnaire(session)
    second = factories.QuestionnaireFactory.build(
        programme=programme, kind=Questionnaire.Kind.SESSION_FEEDBACK, session=session
    )
    with pytest.raises(ValidationError, match="déjà un questionnaire de retour"):
        second.full_clean()


def test_attendee_audience_needs_a_session(programme):
    questionnaire = factories.QuestionnaireFactory.build(
        programme=programme, audience=Questionnaire.Audience.SESSION_ATTENDEES
    )
    with pytest.raises(ValidationError, match="Choisissez la session"):
        questionnaire.full_clean()


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        (Question.Kind.SCALE, {"value": None}, "note de 1 à 5"),
        (Question.Kind.SCALE, {"value": 3, "text": "et aussi"}, "note de 1 à 5"),
        (Question.Kind.SINGLE, {"selected": ["Oui", "Non"]}, "une seule réponse"),
        (Question.Kind.MULTIPLE, {"selected": ["Oui", "Oui"]}, "parmi les choix"),
        (Question.Kind.MULTIPLE, {"selected": ["Ailleurs"]}, "parmi les choix"),
        (Question.Kind.TEXT, {"text": "   "}, "Écrivez votre réponse"),
    ],
)
def test_an_answer_holds_what_its_question_asks(programme, participant, kind, fields, message):
    questionnaire = open_questionnaire(programme)
    asked = question(questionnaire, 1, kind)
    response = answer(questionnaire, participant, {})
    with pytest.raises(ValidationError, match=message):
        Answer(response=response, question=asked, **fields).full_clean()


def test_status_follows_the_dates(programme):
    now = timezone.now()
    day = dt.timedelta(days=1)
    assert factories.QuestionnaireFactory.build(opens_at=None).status(now) == Questionnaire.Status.DRAFT
    assert factories.QuestionnaireFactory.build(opens_at=now + day).status(now) == Questionnaire.Status.UPCOMING
    assert factories.QuestionnaireFactory.build(opens_at=now - day, closes_at=None).status(now) == "open"
    assert factories.QuestionnaireFactory.build(opens_at=now - day, closes_at=now).status(now) == "closed"
