"""What the portal home needs from evaluation: the questionnaires waiting for the participant's answer."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliances.portal import HomePage, HomeParts, PendingItem, home_parts
from evaluation.models import Questionnaire, Response
from networks.models import Participant


def questionnaires_to_answer(participant: Participant, now: dt.datetime | None = None) -> QuerySet[Questionnaire]:
    """Open questionnaires of the participant's edition and audience they have not answered, closing soonest first."""
    now = now or timezone.now()
    answered = Response.objects.filter(participant_id=participant.pk).values("questionnaire_id")
    return (
        Questionnaire.objects.for_participant(participant)
        .open_at(now)
        .exclude(pk__in=answered)
        .order_by(F("closes_at").asc(nulls_last=True), "title", "pk")
    )


def pending_items(participant: Participant, now: dt.datetime | None = None) -> list[PendingItem]:
    """The questionnaires to answer, as the home's « à faire » lists them.

    One query whatever the size of the edition: the audience (attendance) and the answers
    already given are subqueries.
    """
    return [
        PendingItem(
            label=_("Répondre au questionnaire : %(title)s") % {"title": questionnaire.title},
            url=reverse("questionnaires:answer", args=[questionnaire.pk]),
            due=timezone.localdate(questionnaire.closes_at) if questionnaire.closes_at else None,
            kind="questionnaire",
        )
        for questionnaire in questionnaires_to_answer(participant, now)
    ]


@home_parts.register
class EvaluationHome:
    """The questionnaires to answer join the home's « à faire » (no card of their own)."""

    key = "evaluation"

    def home(self, page: HomePage) -> HomeParts:
        return HomeParts(pending=pending_items(page.participant, page.now))
