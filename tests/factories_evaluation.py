"""Helpers that build questionnaires, audiences and answers for the evaluation tests."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluation.models import Answer, Question, Questionnaire, Response
from sessions.models import Registration
from tests import factories


def open_questionnaire(programme, **kwargs):
    """A questionnaire opened yesterday, closing in a week (audience: everyone of the edition)."""
    now = timezone.now()
    kwargs.setdefault("opens_at", now - dt.timedelta(days=1))
    kwargs.setdefault("closes_at", now + dt.timedelta(days=7))
    return factories.QuestionnaireFactory(programme=programme, **kwargs)


def closed_questionnaire(programme, **kwargs):
    now = timezone.now()
    kwargs.setdefault("opens_at", now - dt.timedelta(days=20))
    kwargs.setdefault("closes_at", now - dt.timedelta(days=1))
    return factories.QuestionnaireFactory(programme=programme, **kwargs)


def question(questionnaire, order, kind=Question.Kind.SCALE, **kwargs):
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        kwargs.setdefault("choices", "Oui\nNon\nPeut-être")
    return factories.QuestionFactory(questionnaire=questionnaire, order=order, kind=kind, **kwargs)


def participants(programme, count):
    """``count`` participants of the edition, two per network in accord."""
    result = []
    enrolment = None
    for index in range(count):
        if index % 2 == 0:
            enrolment = factories.EnrolmentFactory(programme=programme)
        result.append(factories.ParticipantFactory(enrolment=enrolment))
    return result


def mark_present(session, people, attendance=Registration.Attendance.PRESENT):
    for participant in people:
        factories.RegistrationFactory(session=session, participant=participant, attendance=attendance)


def answer(questionnaire, participant, values, *, at=None):
    """Record a response directly (no rule checked): ``values`` maps a Question to its value.

    An int for a scale, a str for a text, a list for a single or multiple choice.
    """
    at = at or timezone.now()
    response = Response.objects.create(
        questionnaire=questionnaire, participant=participant, submitted_at=at, updated_at=at
    )
    rows = []
    for asked, value in values.items():
        if value is None:
            continue
        row = Answer(response=response, question=asked)
        if isinstance(value, int):
            row.value = value
        elif isinstance(value, list):
            row.selected = value
        else:
            row.text = value
        rows.append(row)
    Answer.objects.bulk_create(rows)
    return response


def respondents(questionnaire, count, values=None):
    """``count`` new participants of the questionnaire's edition who answered it (same values)."""
    people = participants(questionnaire.programme, count)
    for participant in people:
        answer(questionnaire, participant, values or {})
    return people


def count_queries(client, url):
    """The number of queries of a GET, after a first GET that warms up the per-process caches."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def feedback_questionnaire(session, **kwargs):
    kwargs.setdefault("kind", Questionnaire.Kind.SESSION_FEEDBACK)
    kwargs.setdefault("audience", Questionnaire.Audience.SESSION_ATTENDEES)
    return open_questionnaire(session.programme, session=session, **kwargs)
