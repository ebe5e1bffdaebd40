"""Evaluation's part of « dupliquer l'édition » (see alliances/duplication.py).

Copied: competencies; questionnaires, session relinked to the copied session, and their questions,
competencies relinked to the copied ones.

A copied questionnaire comes over as a **draft** (« en préparation »): its opening date is
cleared, so no participant sees it, none is reminded, and it cannot be answered until a
coordinator opens it again, whatever the offset (a window shifted into the past, or one left
without a closing date, would otherwise be open at once). Its closing date is shifted, the
deadline to adapt when it is opened.

Left out: responses and answers, findings (what one cohort said and what was learnt from it).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances.duplication import DuplicationContext, DuplicationContribution, clean_copies, duplications
from alliances.models import Programme
from evaluation.models import Competency, Question, Questionnaire
from sessions.models import Session


@duplications.register
class EvaluationDuplication(DuplicationContribution):
    key = "evaluation"
    order = 40  # after the sessions, which the questionnaires relink to
    copied_note = gettext_lazy(
        "Les questionnaires arrivent en préparation, sans date d'ouverture : aucun n'est ouvert avant que vous "
        "ne l'ouvriez ; leur clôture est décalée. Les questions d'auto-évaluation sont reliées aux compétences "
        "copiées."
    )
    left_out = (gettext_lazy("réponses aux questionnaires"), gettext_lazy("enseignements"))

    def summary(self, source: Programme) -> list[tuple[str, int]]:
        return [
            (_("questionnaires (en préparation)"), Questionnaire.objects.filter(programme=source).count()),
            (_("questions"), Question.objects.filter(questionnaire__programme=source).count()),
        ]

    def copy(self, context: DuplicationContext) -> None:
        self._copy_competencies(context)
        self._copy_questionnaires(context)

    def _copy_competencies(self, context: DuplicationContext) -> None:
        competencies = list(Competency.objects.filter(programme=context.source).order_by("order", "pk"))
        copies = [Competency(programme=context.programme, order=c.order, name=c.name) for c in competencies]
        clean_copies(copies, exclude=["programme"])
        context.record(Competency, competencies, Competency.objects.bulk_create(copies))

    def _copy_questionnaires(self, context: DuplicationContext) -> None:
        questionnaires = list(
            Questionnaire.objects.filter(programme=context.source).prefetch_related("questions").order_by("pk")
        )
        copies = [
            Questionnaire(
                programme=context.programme,
                kind=questionnaire.kind,
                title=questionnaire.title,
                introduction=questionnaire.introduction,
                session=context.copy_of(Session, questionnaire.session_id),
                audience=questionnaire.audience,
                opens_at=None,  # a draft: see the module's docstring
                closes_at=context.shift_datetime(questionnaire.closes_at),
            )
            for questionnaire in questionnaires
        ]
        clean_copies(copies, exclude=["programme", "session"])
        copies = Questionnaire.objects.bulk_create(copies)
        context.record(Questionnaire, questionnaires, copies)
        questions = [
            Question(
                questionnaire=copy,
                order=question.order,
                text=question.text,
                help_text=question.help_text,
                kind=question.kind,
                choices=question.choices,
                required=question.required,
                competency=context.copy_of(Competency, question.competency_id),
            )
            for questionnaire, copy in zip(questionnaires, copies, strict=True)
            for question in questionnaire.questions.all()
        ]
        clean_copies(questions, exclude=["questionnaire", "competency"])
        Question.objects.bulk_create(questions)
