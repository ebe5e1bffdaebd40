"""The evaluation's part of a person's data (RGPD): their questionnaire responses and answers."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from alliances.models import User
from alliances.privacy import Anonymisation, PrivacyContributor, export_choice, export_time, privacy_registry
from evaluation.models import Answer, Response


@privacy_registry.register
class EvaluationPrivacy(PrivacyContributor):
    key = "evaluation"
    order = 40
    models = ("evaluation.Response", "evaluation.Answer")
    positions = {"responses": 60}

    def export(self, user: User) -> dict[str, Any]:
        responses = (
            Response.objects.filter(participant__user=user)
            .select_related("questionnaire__programme")
            .prefetch_related("answers__question")
        )
        return {
            "responses": [
                {
                    "edition": r.questionnaire.programme.name,
                    "questionnaire": r.questionnaire.title,
                    **export_choice(r.questionnaire, "kind", "questionnaire_kind"),
                    "submitted_at": export_time(r.submitted_at),
                    "updated_at": export_time(r.updated_at),
                    "answers": [
                        {"question": a.question.text, "value": a.value, "text": a.text, "selected": a.selected}
                        for a in r.answers.all()
                    ],
                }
                for r in responses
            ],
        }

    def anonymise(self, anonymisation: Anonymisation) -> list[Model | QuerySet[Any]]:
        """Answer values stay for the aggregates; the free text the person wrote goes, in the history too."""
        response_ids = list(Response.objects.filter(participant__user=anonymisation.user).values_list("pk", flat=True))
        answer_ids = list(Answer.objects.filter(response_id__in=response_ids).values_list("pk", flat=True))
        Answer.objects.filter(pk__in=answer_ids).update(text="")
        Answer.history.filter(response_id__in=response_ids).update(text="")
        return []
