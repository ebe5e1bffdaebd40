"""Property-based tests (issue 7, item 6): arbitrary text never breaks a form or the CSV import.

Each form gets, for each of its fields, either arbitrary text or one of the field's valid
choices (so that validation goes past the first error and reaches the model's clean()).
``is_valid()`` must return a bool; a valid form is then saved through the app's service,
as the view does, where a ``ValidationError`` is an accepted answer and anything else a bug.
The CSV import must return a report for any bytes or text.
"""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliances.forms import ProfileForm
from evaluation.forms import QuestionnaireForm
from evaluation.models import Question
from networks import services
from networks.forms import ObstacleForm, PartnershipForm, RoadmapActionForm
from networks.forms_profile import ParticipantProfileForm
from networks.imports import ImportReport, participants_import_csv
from networks.models import Participant
from sessions.community_forms import TopicProposalForm
from sessions.forms import RsvpForm
from tests import factories

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.text(max_size=300)


def form_data(form_class, **kwargs):
    """A strategy of POST data for ``form_class``: per field, arbitrary text, a valid choice, or nothing."""
    form = form_class(**kwargs)
    fields = {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        options = [texts]
        choices = [str(value) for value, _label in getattr(field, "choices", []) if str(value)]
        if choices:
            options.append(st.sampled_from(choices))
        if "date" in type(field.widget).__name__.lower() or "Date" in type(field).__name__:
            options.append(st.dates().map(str))
        fields[key] = st.one_of(*options)
    return st.fixed_dictionaries({}, optional=fields)


def _check(form, save=None):
    valid = form.is_valid()
    assert isinstance(valid, bool)
    if valid and save is not None:
        try:
            with transaction.atomic():
                save(form.cleaned_data)
                transaction.set_rollback(True)
        except ValidationError:
            pass
    else:
        assert valid or form.errors


@pytest.fixture
def participant(db):
    enrolment = factories.EnrolmentFactory()
    factories.ParticipantFactory(enrolment=enrolment)
    return factories.ParticipantFactory(enrolment=enrolment)


@pytest.fixture
def roadmap(participant):
    return factories.RoadmapFactory(enrolment=participant.enrolment)


@FUZZ
@given(data=st.data())
def test_partnership_form(participant, data):
    form = PartnershipForm(data.draw(form_data(PartnershipForm)))
    _check(form, lambda cleaned: services.partnership_create(enrolment=participant.enrolment, **cleaned))


@FUZZ
@given(data=st.data())
def test_obstacle_form(participant, data):
    form = ObstacleForm(data.draw(form_data(ObstacleForm)))
    _check(form, lambda cleaned: services.obstacle_create(enrolment=participant.enrolment, **cleaned))


@FUZZ
@given(data=st.data())
def test_roadmap_action_form(roadmap, data):
    form = RoadmapActionForm(data.draw(form_data(RoadmapActionForm, roadmap=roadmap)), roadmap=roadmap)
    _check(form, lambda cleaned: services.roadmap_action_create(roadmap=roadmap, **cleaned))


@FUZZ
@given(data=st.data())
def test_rsvp_form(data):
    _check(RsvpForm(data.draw(form_data(RsvpForm))))


@FUZZ
@given(data=st.data())
def test_topic_proposal_form(data):
    _check(TopicProposalForm(data.draw(form_data(TopicProposalForm, prefix="s1")), prefix="s1"))


@FUZZ
@given(data=st.data())
def test_profile_forms(participant, data):
    user = participant.user
    form = ProfileForm(data.draw(form_data(ProfileForm, instance=user)), instance=user)
    _check(form, lambda cleaned: form.save())
    form = ParticipantProfileForm(
        data.draw(form_data(ParticipantProfileForm, instance=participant)), instance=participant
    )
    _check(form, lambda cleaned: form.save())


@pytest.fixture
def questions(db):
    questionnaire = factories.QuestionnaireFactory()
    return [
        factories.QuestionFactory(questionnaire=questionnaire, kind=Question.Kind.SCALE),
        factories.QuestionFactory(questionnaire=questionnaire, kind=Question.Kind.SINGLE, choices="Oui\nNon"),
        factories.QuestionFactory(questionnaire=questionnaire, kind=Question.Kind.MULTIPLE, choices="A\nB\nC"),
        factories.QuestionFactory(questionnaire=questionnaire, kind=Question.Kind.TEXT, required=False),
    ]


@FUZZ
@given(data=st.data())
def test_questionnaire_answer_form(questions, data):
    form = QuestionnaireForm(data.draw(form_data(QuestionnaireForm, questions=questions)), questions=questions)
    _check(form)
    if form.is_valid():
        assert set(form.answers()) == {q.pk for q in questions}


# --- CSV import -------------------------------------------------------------------------------

HEADER = "prénom;nom;email;réseau;fonction\n"


@pytest.fixture
def network_a(programme):
    return factories.EnrolmentFactory(programme=programme, network__acronym="RF-A")


def _import(programme, content: bytes):
    with transaction.atomic():
        report = participants_import_csv(
            programme=programme, file=io.BytesIO(content), invited_by=None, send_invitations=False
        )
        transaction.set_rollback(True)
    assert isinstance(report, ImportReport)
    return report


@FUZZ
@given(content=st.binary(max_size=2000))
def test_csv_import_any_bytes(programme, content):
    _import(programme, content)


@FUZZ
@given(text=st.text(max_size=2000), header=st.booleans())
def test_csv_import_any_text(programme, text, header):
    _import(programme, ((HEADER if header else "") + text).encode())


@FUZZ
@given(
    rows=st.lists(
        st.lists(st.one_of(texts, st.emails(), st.just("RF-A"), st.just("")), min_size=0, max_size=7),
        max_size=8,
    )
)
def test_csv_import_structured_rows(programme, network_a, rows):
    body = "\n".join(";".join(cell.replace(";", ",") for cell in row) for row in rows)
    _import(programme, (HEADER + body).encode())


# --- CSV import through the admin page (issue 13, item 16) ------------------------------------
#
# The rows are drawn with a known verdict (a blank name, a blank or malformed address, a blank or
# unknown network, values beyond the header's columns) and sent through the real admin URL, with
# a BOM or not, in UTF-8 or in another encoding, sometimes with a NUL byte. The page never answers
# 500; a file that is not UTF-8 text gets the file-level message; otherwise every bad row has its
# own « Ligne N : … » message on the page and nothing is imported, and a file of good rows imports
# them all.

# Cells never hold a delimiter, a quote or a line break, so that the physical line of a row is known.
cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=';,"\r\n\x00'), max_size=20
)
NAMES = {"good": st.from_regex(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ' -]{0,18}[A-Za-zÀ-ÿ]", fullmatch=True)}
NAMES["blank"] = st.sampled_from(["", " ", "\t", "\u00a0"])
EMAILS = {
    "good": st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,8})?", fullmatch=True).map(lambda s: f"{s}@example.org"),
    "blank": st.sampled_from(["", "  "]),
    "bad": cell_text.filter(lambda s: "@" not in s and s.strip()),
}
NETWORKS = {"good": st.sampled_from(["RF-A", "rf-a", " RF-A "]), "blank": st.just(""), "bad": st.just("Inconnu")}


@st.composite
def csv_rows(draw):
    """(cells, bad) for a « nom;email;réseau » file: the single « nom » column is the full name."""
    name_kind = draw(st.sampled_from(sorted(NAMES)))
    email_kind = draw(st.sampled_from(sorted(EMAILS)))
    network_kind = draw(st.sampled_from(sorted(NETWORKS)))
    cells = [draw(NAMES[name_kind]), draw(EMAILS[email_kind]), draw(NETWORKS[network_kind])]
    shape = draw(st.sampled_from(["exact", "exact", "exact", "too_few", "too_many", "trailing_empty"]))
    if shape == "too_few":
        cells = cells[: draw(st.integers(1, 2))]
        network_kind = "blank"
        if len(cells) == 1:
            email_kind = "blank"
    elif shape == "too_many":
        cells.append(draw(cell_text.filter(str.strip)))
    elif shape == "trailing_empty":
        cells.append("")  # an empty cell beyond the header is harmless
    bad = name_kind == "blank" or email_kind != "good" or network_kind != "good" or shape == "too_many"
    blank_row = not any(cell.strip() for cell in cells)
    return cells, bad, blank_row


@st.composite
def csv_files(draw):
    rows = draw(st.lists(csv_rows(), min_size=1, max_size=6))
    delimiter = draw(st.sampled_from([";", ","]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join([delimiter.join(["nom", "email", "réseau"])] + [delimiter.join(c) for c, _b, _e in rows])
    if draw(st.booleans()):
        text += newline
    content = (draw(st.sampled_from(["", "\ufeff"])) + text).encode(
        draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16", "cp1252"])), errors="replace"
    )
    if draw(st.integers(0, 9)) == 0:
        content = content.replace(b";", b"\x00;", 1).replace(b",", b"\x00,", 1)
    return content, rows


@pytest.fixture
def import_url():
    return reverse("admin:networks_participant_import_csv")


def _post_import(coordinator, programme, url, content):
    """POST the file through the admin page inside a rolled-back transaction; the response."""
    with transaction.atomic():
        client = Client()
        client.force_login(coordinator)
        upload = SimpleUploadedFile("participants.csv", content, "text/csv")
        response = client.post(url, {"programme": programme.pk, "file": upload})
        created = Participant.objects.filter(enrolment__programme=programme).count()
        transaction.set_rollback(True)
    return response, created


def _is_utf8_text(content):
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in content


@FUZZ
@given(file=csv_files())
def test_csv_import_page_reports_every_bad_row_by_line(programme, coordinator, network_a, import_url, file):
    content, rows = file
    response, created = _post_import(coordinator, programme, import_url, content)
    assert response.status_code in (200, 302)
    if not _is_utf8_text(content):
        assert response.status_code == 200
        assert [(e.line, e.message) for e in response.context["report"].errors] == [
            (
                None,
                "Le fichier n'est pas un fichier texte CSV en UTF-8 : dans le tableur, enregistrez-le "
                "au format « CSV UTF-8 ».",
            ),
        ]
        assert created == 0
        return
    if all(blank for _c, _b, blank in rows):  # blank lines are skipped: no participant at all
        assert [(e.line, e.message) for e in response.context["report"].errors] == [
            (None, "Le fichier ne contient aucun participant sous la ligne d'en-tête.")
        ]
        return
    bad_lines = {line for line, (_c, bad, blank) in enumerate(rows, start=2) if bad and not blank}
    emails = [cells[1].strip().lower() for cells, bad, blank in rows if not bad]
    if not bad_lines and len(set(emails)) == len(emails):
        assert response.status_code == 302, response.context["report"].errors
        assert created == len(emails)
        return
    assert response.status_code == 200
    assert created == 0
    page = response.content.decode()
    assert "Rien n'a été importé." in page
    errors = response.context["report"].errors
    reported = {error.line for error in errors}
    assert bad_lines <= reported
    for error in errors:
        assert error.line is None or 2 <= error.line <= len(rows) + 1
        assert escape(error.message) in page


@FUZZ
@given(content=st.binary(max_size=600) | st.text(max_size=600).map(str.encode))
def test_csv_import_page_never_fails_on_any_bytes(programme, coordinator, network_a, import_url, content):
    response, _created = _post_import(coordinator, programme, import_url, b"nom;email;reseau\n" + content)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        lines = content.count(b"\n") + content.count(b"\r") + 2
        assert all(error.line is None or 1 <= error.line <= lines for error in response.context["report"].errors)
