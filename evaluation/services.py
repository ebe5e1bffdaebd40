"""Writes of the evaluation app: a participant's answers to a questionnaire.

HackSoft style: keyword-only arguments, validation (``full_clean``) before saving, one transaction.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from evaluation.models import Answer, Question, Questionnaire, Response
from networks.models import Enrolment, Participant

#: What a participant gives to one question: a score (scale), a choice (single), choices (multiple), a text.
AnswerValue = int | str | list[str] | None


def closed_message(questionnaire: Questionnaire) -> str:
    return _("Ce questionnaire est clos depuis le %(date)s : vos réponses ne peuvent plus être modifiées.") % {
        "date": formats.date_format(timezone.localtime(questionnaire.closes_at), "DATETIME_FORMAT"),
    }


def not_open_message(questionnaire: Questionnaire) -> str:
    if questionnaire.opens_at is None:
        return _("Ce questionnaire n'est pas encore ouvert.")
    return _("Ce questionnaire ouvre le %(date)s : revenez à cette date pour y répondre.") % {
        "date": formats.date_format(timezone.localtime(questionnaire.opens_at), "DATETIME_FORMAT"),
    }


def may_answer(*, questionnaire: Questionnaire, participant: Participant) -> bool:
    """Whether the questionnaire is meant for this participant: their edition, their audience, published."""
    if participant.enrolment.status != Enrolment.Status.AGREED:
        return False
    return Questionnaire.objects.for_participant(participant).published().filter(pk=questionnaire.pk).exists()


def _is_blank(value: AnswerValue) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def _answer_for(question: Question, value: Any) -> Answer:  # its shape follows the question's kind
    """An unsaved Answer holding ``value`` the way the question's kind stores it."""
    answer = Answer(question=question)
    if question.kind == Question.Kind.SCALE:
        answer.value = value
    elif question.kind == Question.Kind.TEXT:
        answer.text = value.strip()
    elif question.kind == Question.Kind.SINGLE:
        answer.selected = [value]
    else:
        answer.selected = list(value)
    return answer


def _locked_response(*, questionnaire: Questionnaire, participant: Participant, now: datetime) -> tuple[Response, bool]:
    """The participant's response, locked for this transaction; created (validated first) if none."""
    lookup = {"questionnaire": questionnaire, "participant": participant}
    response = Response.objects.select_for_update().filter(**lookup).first()
    if response is not None:
        return response, False
    response = Response(**lookup, submitted_at=now, updated_at=now)
    response.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        # Another request created it meanwhile: the unique constraint kept one; take that one.
        return Response.objects.select_for_update().get(**lookup), False
    return response, True


def response_submit(
    *,
    questionnaire: Questionnaire,
    participant: Participant,
    answers: Mapping[int, AnswerValue],
    now: datetime | None = None,
) -> tuple[Response, bool]:
    """Record (or replace) the participant's answers to an open questionnaire; return ``(response, created)``.

    ``answers`` maps a question id to its value: an int from 1 to 5 (scale), a choice (single
    choice), a list of choices (multiple choice) or a text; a blank value (None, "", []) means
    « no answer », allowed for questions that are not required. Answering again before the
    closing date replaces the previous answers; after it, nothing changes and a French
    ValidationError says why. The response row is locked while it is rewritten, and the
    unique (questionnaire, participant) constraint leaves one response however many posts race.
    """
    now = now or timezone.now()
    if not may_answer(questionnaire=questionnaire, participant=participant):
        raise ValidationError(_("Ce questionnaire ne vous est pas destiné."))
    status = questionnaire.status(now)
    if status == Questionnaire.Status.CLOSED:
        raise ValidationError(closed_message(questionnaire))
    if status != Questionnaire.Status.OPEN:
        raise ValidationError(not_open_message(questionnaire))

    questions = list(questionnaire.questions.order_by("order"))
    known = {question.pk for question in questions}
    unknown = set(answers) - known
    if unknown:
        raise ValidationError(_("Certaines réponses portent sur des questions d'un autre questionnaire."))
    errors: list[str] = []
    new_answers: list[Answer] = []
    for question in questions:
        value = answers.get(question.pk)
        if _is_blank(value):
            if question.required:
                errors.append(_("« %(question)s » : cette question est obligatoire.") % {"question": question.text})
            continue
        answer = _answer_for(question, value)
        try:
            # The question is attached (no query); uniqueness is held by the rewrite below.
            answer.full_clean(exclude=["response"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors.extend(f"« {question.text} » : {message}" for message in error.messages)
        new_answers.append(answer)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        response, created = _locked_response(questionnaire=questionnaire, participant=participant, now=now)
        if not created:
            response.updated_at = now
            response.save(update_fields=["updated_at"])
            response.answers.all().delete()
        for answer in new_answers:
            answer.response = response
        bulk_create_with_history(new_answers, Answer)  # one history row per answer, with its author
    return response, created
