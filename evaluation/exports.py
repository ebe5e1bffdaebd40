"""Exports of a questionnaire's responses for coordinators: CSV (French Excel) and XLSX.

One row per response (in the order they came in), one column per question, after the
respondent's columns. Individual answers leave the platform only through these files, which
only coordinators of the questionnaire's edition may download (the views and the admin actions
check it).

- CSV: UTF-8 with a byte order mark and « ; » as delimiter, which French Excel opens as is.
- XLSX: written with openpyxl in write-only mode (constant memory per row).
- A cell a spreadsheet would run as a formula (text starting with =, +, -, @) is neutralised:
  prefixed with an apostrophe in the CSV, stored as plain text in the XLSX.

Queries: the questions, then the responses with their respondent in chunks, each chunk with
its answers: a fixed number per 1,000 responses, never one per response.
"""

import csv
import io
import zipfile

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from evaluation.models import Question

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_CONTENT_TYPE = "application/zip"
BOM = "\ufeff"
DELIMITER = ";"
CHOICES_SEPARATOR = " | "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 1000
DATETIME_FORMAT = "%Y-%m-%d %H:%M"


def header(questions):
    return [
        _("Participant"),
        _("E-mail"),
        _("Réseau"),
        _("Envoyée le"),
        _("Modifiée le"),
        *[f"Q{question.order}. {question.text}" for question in questions],
    ]


def _answer_value(answer, question):
    if question.kind == Question.Kind.SCALE:
        return answer.value
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        return CHOICES_SEPARATOR.join(answer.selected or [])
    return answer.text


def rows(questionnaire, questions=None):
    """The export's rows (after the header): plain values, local naive datetimes, None for no answer."""
    questions = list(questions if questions is not None else questionnaire.questions.order_by("order"))
    responses = (
        questionnaire.responses.select_related("participant__user", "participant__enrolment__network")
        .prefetch_related("answers")
        .order_by("submitted_at", "pk")
    )
    for response in responses.iterator(chunk_size=CHUNK_SIZE):
        user = response.participant.user
        by_question = {answer.question_id: answer for answer in response.answers.all()}
        yield [
            user.get_full_name() or user.email,
            user.email,
            response.participant.enrolment.network.name,
            timezone.localtime(response.submitted_at).replace(tzinfo=None),
            timezone.localtime(response.updated_at).replace(tzinfo=None),
            *[
                _answer_value(by_question[question.pk], question) if question.pk in by_question else None
                for question in questions
            ],
        ]


def filename(questionnaire, extension):
    return f"{slugify(questionnaire.title) or 'questionnaire'}-{questionnaire.pk}.{extension}"


# --- CSV ---------------------------------------------------------------------------------------


def _csv_cell(value):
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write() returns the line: csv.writer then feeds a streaming response."""

    def write(self, value):
        return value


def csv_lines(questionnaire):
    """The CSV as an iterator of strings, the byte order mark first."""
    questions = list(questionnaire.questions.order_by("order"))
    writer = csv.writer(_Echo(), delimiter=DELIMITER, lineterminator="\r\n")
    yield BOM
    yield writer.writerow(header(questions))
    for row in rows(questionnaire, questions):
        yield writer.writerow([_csv_cell(value) for value in row])


def csv_text(questionnaire):
    return "".join(csv_lines(questionnaire))


def csv_response(questionnaire):
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(questionnaire)), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(questionnaire, "csv")}"'
    return response


# --- XLSX --------------------------------------------------------------------------------------


def _sheet_title(questionnaire, used):
    """Excel's rules: 31 characters at most, none of []:*?/\\, unique within the workbook."""
    base = "".join(" " if char in "[]:*?/\\" else char for char in questionnaire.title).strip()[:31] or "Questionnaire"
    title, number = base, 2
    while title.lower() in used:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(title.lower())
    return title


def _xlsx_cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # openpyxl would otherwise write it as a formula
    elif hasattr(value, "strftime"):
        cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def _add_sheet(workbook, questionnaire, used_titles):
    sheet = workbook.create_sheet(title=_sheet_title(questionnaire, used_titles))
    questions = list(questionnaire.questions.order_by("order"))
    sheet.append([_xlsx_cell(sheet, title) for title in header(questions)])
    for row in rows(questionnaire, questions):
        sheet.append([_xlsx_cell(sheet, value) for value in row])


def xlsx_bytes(questionnaires):
    """A workbook with one sheet per questionnaire."""
    workbook = Workbook(write_only=True)
    used_titles = set()
    for questionnaire in questionnaires:
        _add_sheet(workbook, questionnaire, used_titles)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(questionnaires, name):
    response = HttpResponse(xlsx_bytes(questionnaires), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def zip_of_csv_response(questionnaires, name):
    """Several questionnaires at once (admin action): one CSV each, in a ZIP archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for questionnaire in questionnaires:
            archive.writestr(filename(questionnaire, "csv"), csv_text(questionnaire).encode("utf-8"))
    response = HttpResponse(buffer.getvalue(), content_type=ZIP_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
