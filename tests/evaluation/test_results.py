"""Results of the questionnaires: aggregation against hand-computed figures, the k < 5 rule, the
coordinators' results pages (/coordination/evaluation/) and their access rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluation import results
from evaluation.models import MIN_RESPONDENTS_FOR_AGGREGATE, Question, Questionnaire
from networks.models import Enrolment
from sessions.models import Registration
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user
from tests.factories_evaluation import (
    answer,
    count_queries,
    feedback_questionnaire,
    mark_present,
    open_questionnaire,
    participants,
    question,
    respondents,
)

pytestmark = pytest.mark.django_db

INDEX = "/coordination/evaluation/"


def programme_url(programme):
    return reverse("evaluation_results:programme", args=[programme.slug])


def questionnaire_url(questionnaire):
    return reverse("evaluation_results:questionnaire", args=[questionnaire.pk])


def by_order(entry):
    return {q["order"]: q for q in entry["questions"]}


# --- A small edition whose figures are computed by hand ------------------------------------------


@pytest.fixture
def edition(programme):
    """Eight participants in accord (p1…p8) and one of a network still « en attente »."""
    people = participants(programme, 8)
    factories.ParticipantFactory(enrolment__programme=programme, enrolment__status=Enrolment.Status.PENDING)
    return people


@pytest.fixture
def final(programme, edition):
    """Five of the eight answered (r1…r5 = p1…p5).

    q1 scale: 1, 2, 2, 4, 5 → mean 14 / 5 = 2.8; distribution 1: 1, 2: 2, 3: 0, 4: 1, 5: 1.
    q2 single (optional): Oui, Oui, Non, Oui, — → 4 respondents: Oui 3 (75 %), Non 1 (25 %).
    q3 multiple: [S, B], [S], [V, B, S], [B], [S] → 5 respondents: S 4 (80 %), V 1 (20 %), B 3 (60 %).
    q4 text (optional): 2 respondents.
    """
    questionnaire = open_questionnaire(programme, title="Évaluation finale", kind=Questionnaire.Kind.FINAL)
    q1 = question(questionnaire, 1, text="Satisfaction ?")
    q2 = question(questionnaire, 2, Question.Kind.SINGLE, choices="Oui\nNon\nPeut-être", required=False)
    q3 = question(questionnaire, 3, Question.Kind.MULTIPLE, choices="Sessions\nVisites\nBinôme")
    q4 = question(questionnaire, 4, Question.Kind.TEXT, required=False)
    rows = [
        (1, ["Oui"], ["Sessions", "Binôme"], "Très concret"),
        (2, ["Oui"], ["Sessions"], None),
        (2, ["Non"], ["Visites", "Binôme", "Sessions"], "Trop court"),
        (4, ["Oui"], ["Binôme"], None),
        (5, None, ["Sessions"], None),
    ]
    for person, (v1, v2, v3, v4) in zip(edition, rows, strict=False):
        answer(questionnaire, person, {q1: v1, q2: v2, q3: v3, q4: v4})
    return questionnaire


def test_scale_question_mean_and_distribution(final):
    entry = by_order(results.questionnaire_results(final, for_coordinator=True))[1]
    assert entry["respondents"] == 5
    assert entry["mean"] == 2.8
    assert [(row["value"], row["count"], row["share"]) for row in entry["distribution"]] == [
        (1, 1, 0.2),
        (2, 2, 0.4),
        (3, 0, 0.0),
        (4, 1, 0.2),
        (5, 1, 0.2),
    ]
    assert entry["withheld"] is False


def test_single_choice_distribution_counts_only_those_who_answered(final):
    entry = by_order(results.questionnaire_results(final, for_coordinator=True))[2]
    assert entry["respondents"] == 4
    assert entry["mean"] is None
    assert [(row["label"], row["count"], row["share"]) for row in entry["distribution"]] == [
        ("Oui", 3, 0.75),
        ("Non", 1, 0.25),
        ("Peut-être", 0, 0.0),
    ]


def test_multiple_choice_shares_are_of_respondents(final):
    entry = by_order(results.questionnaire_results(final, for_coordinator=True))[3]
    assert entry["respondents"] == 5
    assert [(row["label"], row["count"], row["share"]) for row in entry["distribution"]] == [
        ("Sessions", 4, 0.8),
        ("Visites", 1, 0.2),
        ("Binôme", 3, 0.6),
    ]
    assert sum(row["share"] for row in entry["distribution"]) == pytest.approx(1.6)


def test_text_answers_for_coordinators_only(final):
    for_coordinator = by_order(results.questionnaire_results(final, for_coordinator=True))[4]
    assert for_coordinator["respondents"] == 2
    assert {a["text"] for a in for_coordinator["answers"]} == {"Très concret", "Trop court"}
    assert for_coordinator["distribution"] is None

    final_others = results.questionnaire_results(final, for_coordinator=False)
    assert by_order(final_others)[4]["answers"] is None


def test_response_rate_is_respondents_over_audience(final):
    entry = results.questionnaire_results(final, for_coordinator=True)
    # Audience: the eight participants in accord; the network « en attente » does not count.
    assert (entry["respondents"], entry["audience_size"], entry["response_rate"]) == (5, 8, 0.625)


# --- Satisfaction per session ----------------------------------------------------------------------


@pytest.fixture
def sessions(programme, edition):
    """S1: 6 present (p1…p6), 5 answered; S2: 4 answered; S3: no feedback questionnaire.

    S1's pooled scores: (5, 4), (4, 4), (3, —), (5, 5), (2, 3) → 35 / 9 = 3.888… → 3.89.
    """
    s1 = factories.SessionFactory(programme=programme, number=1, code="S1", title="Comprendre")
    s2 = factories.SessionFactory(programme=programme, number=2, code="S2", title="Mettre en œuvre")
    factories.SessionFactory(programme=programme, number=3, code="S3", title="Approfondir")
    mark_present(s1, edition[:6])
    mark_present(s1, edition[6:], attendance=Registration.Attendance.ABSENT)
    mark_present(s2, edition[:4])
    f1 = feedback_questionnaire(s1, title="Retour S1")
    a, b = question(f1, 1), question(f1, 2, required=False)
    text = question(f1, 3, Question.Kind.TEXT, required=False)
    for person, (va, vb) in zip(edition, [(5, 4), (4, 4), (3, None), (5, 5), (2, 3)], strict=False):
        answer(f1, person, {a: va, b: vb, text: "Merci"})
    f2 = feedback_questionnaire(s2, title="Retour S2")
    c = question(f2, 1)
    for person in edition[:4]:
        answer(f2, person, {c: 4})
    return f1, f2


def test_satisfaction_per_session_pools_the_scale_scores(programme, sessions):
    f1, f2 = sessions
    rows = results.satisfaction_by_session(programme, for_coordinator=True)
    assert [(r["session"]["code"], r["questionnaire_id"], r["respondents"], r["mean"]) for r in rows] == [
        ("S1", f1.pk, 5, 3.89),
        ("S2", f2.pk, 4, 4.0),
        ("S3", None, 0, None),
    ]


def test_satisfaction_under_five_respondents_is_withheld_from_others(programme, sessions):
    rows = results.satisfaction_by_session(programme, for_coordinator=False)
    assert [(r["session"]["code"], r["mean"], r["withheld"]) for r in rows] == [
        ("S1", 3.89, False),
        ("S2", None, True),
        ("S3", None, True),
    ]
    assert rows[1]["respondents"] == 4


def test_attendee_audience_is_those_present(sessions):
    f1, _f2 = sessions
    entry = results.questionnaire_results(f1, for_coordinator=True)
    assert (entry["respondents"], entry["audience_size"], entry["response_rate"]) == (5, 6, 0.833)


# --- Competency progression pré → post -----------------------------------------------------------


@pytest.fixture
def progression(programme, edition):
    """p1…p6 answered both; p7 only pré (C1 = 5), p8 only post (C1 = 1): neither counts.

    C1: pré 1, 2, 2, 3, 1, 3 (12) → 2.0; post 3, 3, 4, 3, 2, 5 (20) → 3.33; delta 8 / 6 → 1.33; n 6.
    C2: p6 skipped it in post, so n 5: pré 2, 2, 3, 1, 4 (12) → 2.4; post 4, 3, 3, 2, 5 (17) → 3.4; delta 1.0.
    C3: nobody → n 0.
    """
    c1 = factories.CompetencyFactory(programme=programme, order=1, name="Comprendre le paysage")
    c2 = factories.CompetencyFactory(programme=programme, order=2, name="Identifier les enjeux")
    factories.CompetencyFactory(programme=programme, order=3, name="Co-construire")
    pre = open_questionnaire(programme, title="Pré", kind=Questionnaire.Kind.COMPETENCY_PRE)
    post = open_questionnaire(programme, title="Post", kind=Questionnaire.Kind.COMPETENCY_POST)
    pre1, pre2 = question(pre, 1, competency=c1), question(pre, 2, competency=c2)
    post1, post2 = question(post, 1, competency=c1), question(post, 2, competency=c2, required=False)
    pre_values = [(1, 2), (2, 2), (2, 3), (3, 1), (1, 4), (3, 1), (5, 5)]
    post_values = [(3, 4), (3, 3), (4, 3), (3, 2), (2, 5), (5, None)]
    for person, (v1, v2) in zip(edition[:7], pre_values, strict=True):
        answer(pre, person, {pre1: v1, pre2: v2})
    for person, (v1, v2) in zip(edition[:6], post_values, strict=True):
        answer(post, person, {post1: v1, post2: v2})
    answer(post, edition[7], {post1: 1, post2: 1})
    # Another edition's answers never mix in.
    other = factories.ProgrammeFactory()
    other_pre = open_questionnaire(other, kind=Questionnaire.Kind.COMPETENCY_PRE)
    answer(other_pre, participants(other, 1)[0], {question(other_pre, 1, competency=c1): 5})
    return pre, post


def test_progression_pairs_only_those_who_answered_both(programme, progression):
    rows = results.competency_progression(programme, for_coordinator=True)
    assert [(r["competency"]["name"], r["n"], r["mean_pre"], r["mean_post"], r["delta"]) for r in rows] == [
        ("Comprendre le paysage", 6, 2.0, 3.33, 1.33),
        ("Identifier les enjeux", 5, 2.4, 3.4, 1.0),
        ("Co-construire", 0, None, None, None),
    ]


def test_progression_under_five_pairs_is_withheld_from_others(programme, progression):
    rows = results.competency_progression(programme, for_coordinator=False)
    assert [(r["n"], r["withheld"], r["delta"]) for r in rows] == [(6, False, 1.33), (5, False, 1.0), (0, True, None)]


def test_progression_with_four_pairs(programme, edition):
    competency = factories.CompetencyFactory(programme=programme)
    pre = open_questionnaire(programme, kind=Questionnaire.Kind.COMPETENCY_PRE)
    post = open_questionnaire(programme, kind=Questionnaire.Kind.COMPETENCY_POST)
    q_pre, q_post = question(pre, 1, competency=competency), question(post, 1, competency=competency)
    for person in edition[:4]:
        answer(pre, person, {q_pre: 2})
        answer(post, person, {q_post: 3})
    coordinator_view = results.competency_progression(programme, for_coordinator=True)[0]
    assert (coordinator_view["n"], coordinator_view["delta"], coordinator_view["withheld"]) == (4, 1.0, False)
    others = results.competency_progression(programme, for_coordinator=False)[0]
    assert (others["n"], others["mean_pre"], others["mean_post"], others["delta"], others["withheld"]) == (
        4,
        None,
        None,
        None,
        True,
    )


# --- The rule of disclosure -----------------------------------------------------------------------


def test_the_threshold_is_five():
    assert MIN_RESPONDENTS_FOR_AGGREGATE == 5
    assert results.is_withheld(4, for_coordinator=False)
    assert not results.is_withheld(5, for_coordinator=False)
    assert not results.is_withheld(0, for_coordinator=True)


def test_disclose_blanks_every_figure_of_a_withheld_entry():
    entry = {"id": 1, "respondents": 3, "mean": 4.2, "distribution": [1], "delta": 1, "answers": ["x"]}
    assert results.disclose(dict(entry), respondents=3, for_coordinator=False) == {
        "id": 1,
        "respondents": 3,
        "mean": None,
        "distribution": None,
        "delta": None,
        "answers": None,
        "withheld": True,
    }
    shown = results.disclose(dict(entry), respondents=5, for_coordinator=False)
    assert (shown["mean"], shown["answers"], shown["withheld"]) == (4.2, None, False)  # free text: coordinators
    assert results.disclose(dict(entry), respondents=3, for_coordinator=True) == {**entry, "withheld": False}


def test_four_respondents_are_withheld_five_are_shown(programme):
    questionnaire = open_questionnaire(programme)
    scale = question(questionnaire, 1)
    respondents(questionnaire, 4, {scale: 3})
    four = results.questionnaire_results(questionnaire, for_coordinator=False)
    assert four["withheld"] and four["respondents"] == 4
    assert four["questions"][0]["withheld"]
    assert four["questions"][0]["mean"] is None and four["questions"][0]["distribution"] is None
    assert four["response_rate"] == 1.0  # rates are never withheld: how many answered, not what
    assert results.questionnaire_results(questionnaire, for_coordinator=True)["questions"][0]["mean"] == 3.0

    respondents(questionnaire, 1, {scale: 5})
    five = results.questionnaire_results(questionnaire, for_coordinator=False)
    assert not five["withheld"]
    assert five["questions"][0]["mean"] == 3.4


def test_an_optional_question_answered_by_fewer_is_withheld_alone(final):
    others = by_order(results.questionnaire_results(final, for_coordinator=False))
    assert not others[1]["withheld"] and others[1]["mean"] == 2.8
    assert others[2]["withheld"] and others[2]["distribution"] is None  # 4 respondents
    assert not others[3]["withheld"]
    assert others[4]["withheld"]


# --- programme_results: the structure other apps use ------------------------------------------------


def test_programme_results_gathers_everything(programme, final, sessions, progression):
    data = results.programme_results(programme, for_coordinator=False)

    assert data["programme"] == {"id": programme.pk, "name": programme.name, "slug": programme.slug}
    assert data["for_coordinator"] is False and data["min_respondents"] == 5
    titles = {entry["title"] for entry in data["questionnaires"]}
    assert titles == {"Évaluation finale", "Retour S1", "Retour S2", "Pré", "Post"}
    final_entry = next(e for e in data["questionnaires"] if e["title"] == "Évaluation finale")
    assert by_order(final_entry)[1]["mean"] == 2.8
    assert final_entry["status"] == "open" and final_entry["kind"] == "final"
    rates = {
        row["title"]: (row["respondents"], row["audience_size"], row["response_rate"]) for row in data["response_rates"]
    }
    assert rates["Évaluation finale"] == (5, 8, 0.625)
    assert rates["Retour S2"] == (4, 4, 1.0)
    assert rates["Pré"] == (7, 8, 0.875)
    retour_s2 = next(e for e in data["questionnaires"] if e["title"] == "Retour S2")
    assert retour_s2["withheld"] and retour_s2["questions"][0]["mean"] is None
    assert [row["mean"] for row in data["satisfaction"]] == [3.89, None, None]
    assert [row["delta"] for row in data["progression"]] == [1.33, 1.0, None]


def test_programme_results_leaves_out_drafts(programme):
    factories.QuestionnaireFactory(programme=programme, opens_at=None, title="Brouillon")
    assert results.programme_results(programme, for_coordinator=True)["questionnaires"] == []


def test_programme_results_costs_the_same_with_5_and_50_respondents(programme, final, sessions, progression):
    def measure():
        with CaptureQueriesContext(connection) as ctx:
            results.programme_results(programme, for_coordinator=False)
        return len(ctx)

    few = measure()
    scale = final.questions.get(order=1)
    respondents(final, 45, {scale: 4})
    assert measure() == few <= 10


# --- Coordinators' pages: access ---------------------------------------------------------------------


@pytest.fixture
def pages(programme, final):
    return [INDEX, programme_url(programme), questionnaire_url(final)]


def test_logged_out_is_sent_to_login(client, pages):
    for url in pages:
        assert_login_redirect(client.get(url))


def test_participant_gets_403(client, programme, pages):
    client.force_login(factories.ParticipantFactory(enrolment__programme=programme).user)
    for url in pages:
        assert client.get(url).status_code == 403, url


def test_committee_member_gets_403(client, programme, pages):
    client.force_login(committee_user(programme))
    for url in pages:
        assert client.get(url).status_code == 403, url


def test_staff_user_coordinating_nothing_gets_403(client, pages):
    client.force_login(factories.UserFactory(is_staff=True))
    for url in pages:
        assert client.get(url).status_code == 403, url


def test_coordinator_of_another_edition_gets_404(client, programme, pages):
    other = factories.ProgrammeFactory()
    someone = factories.UserFactory(is_staff=True)
    other.coordinators.add(someone)
    client.force_login(someone)
    assert client.get(INDEX).status_code == 200
    assert programme.name not in client.get(INDEX).content.decode()
    for url in pages[1:]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", ["coordinator", "superuser"])
def test_coordinator_and_superuser_see_the_pages(client, request, programme, pages, role):
    client.force_login(request.getfixturevalue(role))
    for url in pages:
        assert client.get(url).status_code == 200, url


# --- Coordinators' pages: content ---------------------------------------------------------------------


def test_index_lists_coordinated_editions_with_search(client, coordinator, programme, final):
    client.force_login(coordinator)
    other = factories.ProgrammeFactory(name="Édition 2019 Occitanie")
    other.coordinators.add(coordinator)
    content = client.get(INDEX).content.decode()
    assert programme_url(programme) in content and programme_url(other) in content
    content = client.get(INDEX, {"q": "occitanie"}).content.decode()
    assert programme_url(other) in content and programme_url(programme) not in content
    assert "Aucune édition ne correspond" in client.get(INDEX, {"q": "zzz"}).content.decode()


def test_programme_page_shows_rates_satisfaction_and_progression(
    client, coordinator, programme, final, sessions, progression
):
    client.force_login(coordinator)
    content = client.get(programme_url(programme)).content.decode()
    assert "Évaluation finale" in content
    assert "63\u202f%" in content  # 5 / 8
    assert "3,89" in content  # S1
    assert "4,00" in content  # S2, 4 respondents: coordinators see it
    assert "+1,33" in content and "+1,00" in content
    assert reverse("evaluation_results:export_csv", args=[final.pk]) in content
    assert "pas de questionnaire de retour" in content  # S3


def test_aggregates_preview_withholds_small_groups(client, coordinator, programme, final, sessions):
    client.force_login(coordinator)
    response = client.get(programme_url(programme), {"vue": "agregats"})
    assert response.context["results"]["for_coordinator"] is False
    content = response.content.decode()
    assert "Non diffusé : 4 répondants, moins de 5" in content
    assert "4,00" not in content
    assert reverse("evaluation_results:export_csv", args=[final.pk]) not in content


def test_questionnaire_page_shows_distribution_and_free_text(client, coordinator, final):
    client.force_login(coordinator)
    content = client.get(questionnaire_url(final)).content.decode()
    assert "2,80" in content
    assert "40\u202f%" in content  # the value 2, twice out of five
    assert "Très concret" in content and "Trop court" in content
    assert reverse("evaluation_results:export_xlsx", args=[final.pk]) in content

    preview = client.get(questionnaire_url(final), {"vue": "agregats"}).content.decode()
    assert "Très concret" not in preview
    assert "Non diffusé : 4 répondants, moins de 5" in preview  # the optional single choice


def test_draft_questionnaire_page_for_coordinators(client, coordinator, programme):
    draft = factories.QuestionnaireFactory(programme=programme, opens_at=None, title="En chantier")
    client.force_login(coordinator)
    response = client.get(questionnaire_url(draft))
    assert response.status_code == 200
    assert "en préparation" in response.content.decode()
    assert "En chantier" in client.get(programme_url(programme)).content.decode()


# --- Bounded queries -------------------------------------------------------------------------------------


def test_results_pages_cost_the_same_with_5_and_50_respondents(client, coordinator, programme, sessions, progression):
    client.force_login(coordinator)
    questionnaire = open_questionnaire(programme, title="Finale")
    scale = question(questionnaire, 1)
    single = question(questionnaire, 2, Question.Kind.SINGLE)
    multiple = question(questionnaire, 3, Question.Kind.MULTIPLE)
    text = question(questionnaire, 4, Question.Kind.TEXT)
    values = {scale: 4, single: ["Oui"], multiple: ["Oui", "Non"], text: "Un avis"}
    urls = [INDEX, programme_url(programme), questionnaire_url(questionnaire)]

    respondents(questionnaire, 5, values)
    with_5 = [count_queries(client, url) for url in urls]
    respondents(questionnaire, 45, values)
    with_50 = [count_queries(client, url) for url in urls]

    # Each page: session, user, « programme manager? », « coordinates something? »; then
    # index: count of editions, the page of editions (with their counts);
    # edition: the edition, its questionnaires (with response counts), audience of « all », audiences of
    #   sessions, questions, answers counted by value, ticks of choice questions, satisfaction, sessions,
    #   progression pairs, competencies, drafts;
    # questionnaire: the questionnaire, response count, questions, answers counted by value, ticks of choice
    #   questions, latest free texts, audience.
    assert with_5 == with_50 == [6, 16, 11]


# --- Admin -------------------------------------------------------------------------------------------------


def test_admin_links_each_questionnaire_to_its_results(client, coordinator, final):
    client.force_login(coordinator)
    changelist = client.get(reverse("admin:evaluation_questionnaire_changelist")).content.decode()
    assert questionnaire_url(final) in changelist
    assert "5 / 8 (62 %)" in changelist or "5 / 8 (63 %)" in changelist
    change = client.get(reverse("admin:evaluation_questionnaire_change", args=[final.pk])).content.decode()
    assert questionnaire_url(final) in change


def test_admin_refuses_to_change_the_kind_of_an_answered_question(client, coordinator, final):
    client.force_login(coordinator)
    url = reverse("admin:evaluation_questionnaire_change", args=[final.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "programme": final.programme_id,
            "opens_at_0": final.opens_at.strftime("%d/%m/%Y"),
            "opens_at_1": final.opens_at.strftime("%H:%M:%S"),
            "closes_at_0": final.closes_at.strftime("%d/%m/%Y"),
            "closes_at_1": final.closes_at.strftime("%H:%M:%S"),
        }
    )
    data.pop("opens_at", None)
    data.pop("closes_at", None)
    questions = list(final.questions.order_by("order"))
    prefix = "questions"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(len(questions)),
            f"{prefix}-INITIAL_FORMS": str(len(questions)),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    )
    for index, asked in enumerate(questions):
        data.update(
            {
                f"{prefix}-{index}-id": str(asked.pk),
                f"{prefix}-{index}-questionnaire": str(final.pk),
                f"{prefix}-{index}-order": str(asked.order),
                f"{prefix}-{index}-text": asked.text,
                f"{prefix}-{index}-kind": asked.kind,
                f"{prefix}-{index}-choices": asked.choices,
                f"{prefix}-{index}-required": "on" if asked.required else "",
            }
        )
    data[f"{prefix}-0-kind"] = Question.Kind.TEXT  # the scale question answered by five people

    response = client.post(url, data)

    assert response.status_code == 200
    assert "son type ne peut plus changer" in response.content.decode()
    assert final.questions.get(order=1).kind == Question.Kind.SCALE
