"""Exports of a questionnaire's responses (CSV for French Excel, XLSX): content read back, access, cost."""

import csv
import datetime as dt
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from evaluation import exports
from evaluation.models import Question
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user
from tests.factories_evaluation import answer, open_questionnaire, question, respondents

pytestmark = pytest.mark.django_db

SUBMITTED = timezone.make_aware(dt.datetime(2018, 12, 3, 14, 30))


@pytest.fixture
def questionnaire(programme):
    """Two responses: Alice answered everything; Bruno skipped the optional questions."""
    questionnaire = open_questionnaire(programme, title="Évaluation finale : bilan")
    scale = question(questionnaire, 1, text="Satisfaction ?")
    single = question(questionnaire, 2, Question.Kind.SINGLE, text="Recommanderiez-vous ?", choices="Oui\nNon")
    multiple = question(
        questionnaire, 3, Question.Kind.MULTIPLE, text="Formats ?", choices="Sessions; visites\nBinôme", required=False
    )
    text = question(questionnaire, 4, Question.Kind.TEXT, text="Remarques", required=False)
    alice = factories.ParticipantFactory(
        enrolment__programme=programme,
        enrolment__network__name="Réseau des jardins",
        user__first_name="Alice",
        user__last_name="Durand",
        user__email="alice@example.org",
    )
    bruno = factories.ParticipantFactory(
        enrolment__programme=programme,
        enrolment__network__name="Réseau Zéphyr",
        user__first_name="Bruno",
        user__last_name="Éloi",
        user__email="bruno@example.org",
    )
    answer(
        questionnaire,
        alice,
        {scale: 4, single: ["Oui"], multiple: ["Sessions; visites", "Binôme"], text: "Très utile\nmerci ; bravo"},
        at=SUBMITTED,
    )
    answer(questionnaire, bruno, {scale: 2, single: ["Non"], text: '=HYPERLINK("http://x")'}, at=SUBMITTED)
    return questionnaire


HEADER = [
    "Participant",
    "E-mail",
    "Réseau",
    "Envoyée le",
    "Modifiée le",
    "Q1. Satisfaction ?",
    "Q2. Recommanderiez-vous ?",
    "Q3. Formats ?",
    "Q4. Remarques",
]


def csv_url(questionnaire):
    return reverse("evaluation_results:export_csv", args=[questionnaire.pk])


def xlsx_url(questionnaire):
    return reverse("evaluation_results:export_xlsx", args=[questionnaire.pk])


def read_csv(raw: bytes):
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark: French Excel reads the accents
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_has_one_row_per_response_one_column_per_question(client, coordinator, questionnaire):
    client.force_login(coordinator)
    response, content = download(client, csv_url(questionnaire))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="evaluation-finale-bilan-{questionnaire.pk}.csv"'
    rows = read_csv(content)
    assert rows == [
        HEADER,
        [
            "Alice Durand",
            "alice@example.org",
            "Réseau des jardins",
            "2018-12-03 14:30",
            "2018-12-03 14:30",
            "4",
            "Oui",
            "Sessions; visites | Binôme",
            "Très utile\nmerci ; bravo",
        ],
        [
            "Bruno Éloi",
            "bruno@example.org",
            "Réseau Zéphyr",
            "2018-12-03 14:30",
            "2018-12-03 14:30",
            "2",
            "Non",
            "",  # skipped
            '\'=HYPERLINK("http://x")',  # neutralised: a spreadsheet would run it
        ],
    ]


def test_csv_of_a_questionnaire_without_response_has_its_header(client, coordinator, programme):
    empty = open_questionnaire(programme)
    question(empty, 1, text="Une question")
    client.force_login(coordinator)
    _response, content = download(client, csv_url(empty))
    assert read_csv(content) == [[*HEADER[:5], "Q1. Une question"]]


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_reads_back_with_the_same_content(client, coordinator, questionnaire):
    client.force_login(coordinator)
    response, content = download(client, xlsx_url(questionnaire))

    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].endswith(f'evaluation-finale-bilan-{questionnaire.pk}.xlsx"')
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Évaluation finale   bilan"]  # « : » is not allowed in a sheet name
    sheet = workbook.active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    local = dt.datetime(2018, 12, 3, 14, 30)
    assert rows == [
        HEADER,
        [
            "Alice Durand",
            "alice@example.org",
            "Réseau des jardins",
            local,
            local,
            4,
            "Oui",
            "Sessions; visites | Binôme",
            "Très utile\nmerci ; bravo",
        ],
        ["Bruno Éloi", "bruno@example.org", "Réseau Zéphyr", local, local, 2, "Non", None, '=HYPERLINK("http://x")'],
    ]
    formula_cell = sheet.cell(row=3, column=9)
    assert formula_cell.data_type == "s"  # stored as text, never as a formula


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_of", [csv_url, xlsx_url], ids=["csv", "xlsx"])
def test_export_access_rules(client, programme, questionnaire, url_of):
    url = url_of(questionnaire)
    assert_login_redirect(client.get(url))

    client.force_login(factories.ParticipantFactory(enrolment__programme=programme).user)
    assert client.get(url).status_code == 403

    client.force_login(committee_user(programme))
    assert client.get(url).status_code == 403

    other_coordinator = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(other_coordinator)
    client.force_login(other_coordinator)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "superuser"])
def test_coordinator_and_superuser_export(client, request, questionnaire, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(csv_url(questionnaire)).status_code == 200
    assert client.get(xlsx_url(questionnaire)).status_code == 200


# --- Admin actions ------------------------------------------------------------------------------


def _action(client, action, questionnaires):
    return client.post(
        reverse("admin:evaluation_questionnaire_changelist"),
        {"action": action, "_selected_action": [q.pk for q in questionnaires]},
    )


def test_admin_action_csv_of_one_questionnaire(client, coordinator, questionnaire):
    client.force_login(coordinator)
    response = _action(client, "export_responses_csv", [questionnaire])
    content = b"".join(response.streaming_content)
    assert len(read_csv(content)) == 3


def test_admin_action_csv_of_several_is_a_zip(client, coordinator, programme, questionnaire):
    second = open_questionnaire(programme, title="Retour S1")
    question(second, 1)
    client.force_login(coordinator)
    response = _action(client, "export_responses_csv", [questionnaire, second])
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted([exports.filename(questionnaire, "csv"), exports.filename(second, "csv")])
        assert len(read_csv(archive.read(exports.filename(questionnaire, "csv")))) == 3


def test_admin_action_xlsx_has_one_sheet_per_questionnaire(client, coordinator, programme, questionnaire):
    second = open_questionnaire(programme, title="Retour S1")
    question(second, 1)
    client.force_login(coordinator)
    response = _action(client, "export_responses_xlsx", [questionnaire, second])
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 2
    assert workbook.worksheets[0].max_row + workbook.worksheets[1].max_row == 3 + 1


def test_admin_action_ignores_questionnaires_of_other_editions(client, coordinator, questionnaire):
    foreign = open_questionnaire(factories.ProgrammeFactory(), title="Étrangère")
    question(foreign, 1)
    respondents(foreign, 2, {foreign.questions.get(): 5})
    client.force_login(coordinator)
    response = _action(client, "export_responses_xlsx", [questionnaire, foreign])
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Évaluation finale   bilan"]


def test_sheet_titles_are_unique_and_short():
    used = set()
    long_title = type("Q", (), {"title": "Retour sur la session S1 — Comprendre les partenariats"})
    first = exports._sheet_title(long_title, used)
    second = exports._sheet_title(long_title, used)
    assert len(first) <= 31 and len(second) <= 31 and first != second


# --- Bounded queries ------------------------------------------------------------------------------


def test_exports_cost_the_same_with_5_and_50_respondents(client, coordinator, programme):
    questionnaire = open_questionnaire(programme)
    values = {
        question(questionnaire, 1): 3,
        question(questionnaire, 2, Question.Kind.MULTIPLE): ["Oui", "Non"],
        question(questionnaire, 3, Question.Kind.TEXT): "Avis",
    }
    client.force_login(coordinator)

    def measure():
        counts = []
        for url in (csv_url(questionnaire), xlsx_url(questionnaire)):
            with CaptureQueriesContext(connection) as ctx:
                _response, content = download(client, url)
            counts.append(len(ctx))
        return counts, content

    respondents(questionnaire, 5, values)
    with_5, _ = measure()
    participants_50 = respondents(questionnaire, 45, values)
    with_50, content = measure()

    assert len(participants_50) == 45
    assert len(list(load_workbook(io.BytesIO(content)).active.iter_rows())) == 51
    # session, user, « programme manager? », « coordinates something? », questionnaire, questions,
    # responses, their answers
    assert with_5 == with_50 == [8, 8]
