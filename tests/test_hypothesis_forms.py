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
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliances.forms import ProfileForm
from evaluation.forms import QuestionnaireForm
from evaluation.models import Question
from networks import services
from networks.forms import ObstacleForm, PartnershipForm, RoadmapActionForm
from networks.forms_profile import ParticipantProfileForm
from networks.imports import ImportReport, participants_import_csv
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
