"""Questionnaire reminders, sent through the core's notifications (the hook for evaluation).

Found by :func:`alliances.notifications.sources` (autodiscovery of ``reminders``
modules: nothing imports this module, as nothing but the top layer may import
evaluation). A questionnaire that is open (published, ``opens_at`` passed, not
closed: :meth:`Questionnaire.is_open`) and has a closing date is reminded « J-n »
before closing, for each n of :data:`QUESTIONNAIRE_REMINDER_DAYS`, at 8:00, to
the people of its audience (:meth:`Questionnaire.audience_participants`: the
edition's participants, or those present at its session) with an active account
who have not answered (no ``Response``) and keep « questionnaires » on.

Whether the questionnaire is still open and the person has still not answered is
checked again at send time. A questionnaire still in preparation (no opening
date) is never reminded.
"""

import datetime as dt
from collections.abc import Iterator
from typing import cast

from django.db.models import QuerySet
from django.utils import timezone

from alliances import notifications
from alliances.models import Notification
from evaluation.models import Questionnaire
from evaluation.selectors import non_respondents
from networks.models import Participant

QUESTIONNAIRE_REMINDER = "questionnaire_reminder"
QUESTIONNAIRE_REMINDER_DAYS = [7, 1]
HORIZON = dt.timedelta(days=367)


def not_answered(questionnaire: Questionnaire) -> QuerySet[Participant]:
    """The non-respondents (:func:`evaluation.selectors.non_respondents`) who keep « questionnaires » on."""
    return non_respondents(questionnaire).filter(user__notify_questionnaires=True)


@notifications.register
class QuestionnaireReminders(notifications.Source):
    kind = QUESTIONNAIRE_REMINDER
    preference = "notify_questionnaires"

    def find_due(self, *, now: dt.datetime) -> Iterator[Notification]:
        questionnaires = Questionnaire.objects.published().open_at(now).filter(closes_at__lte=now + HORIZON)
        for questionnaire in questionnaires:
            day = timezone.localdate(questionnaire.closes_at)
            days = notifications.current_offset(
                day, QUESTIONNAIRE_REMINDER_DAYS, now=now, deadline=questionnaire.closes_at
            )
            if days is None:
                continue
            opens_at = cast(dt.datetime, questionnaire.opens_at)  # open_at(now): it has opened, so it is set
            due_at = max(notifications.reminder_due_at(day, days), opens_at)
            for user_id in not_answered(questionnaire).values_list("user_id", flat=True).distinct():
                yield notifications.due(
                    questionnaire,
                    kind=f"{self.kind}:{days}",
                    recipient_id=user_id,
                    programme_id=questionnaire.programme_id,
                    due_at=due_at,
                )

    def build(self, items: list[Notification], *, now: dt.datetime) -> dict[int, notifications.Outcome]:
        groups = notifications.group_by_object(items)
        questionnaires = Questionnaire.objects.select_related("programme", "session").in_bulk(
            {object_id for _kind, object_id in groups}
        )
        messages: dict[int, notifications.Outcome] = {}
        for (kind, questionnaire_id), group in groups.items():
            questionnaire = questionnaires.get(questionnaire_id)
            if questionnaire is None:
                continue
            if not questionnaire.is_open(now):
                continue  # unpublished or closed meanwhile: cancelled
            day = timezone.localdate(questionnaire.closes_at) if questionnaire.closes_at else None
            outcome = notifications.reminder_outcome(
                kind, day, QUESTIONNAIRE_REMINDER_DAYS, now=now, deadline=questionnaire.closes_at
            )
            if outcome is not True:
                messages.update({n.pk: outcome for n in group})
                continue
            waiting = set(
                not_answered(questionnaire)
                .filter(user_id__in=[n.recipient_id for n in group])
                .values_list("user_id", flat=True)
            )
            renderer = notifications.EmailRenderer(
                "questionnaire_reminder",
                {
                    "questionnaire": questionnaire,
                    "questionnaire_url": notifications.absolute_url(
                        "questionnaires:answer", questionnaire.pk, fallback="/portail/questionnaires/"
                    ),
                },
                programme=questionnaire.programme,
            )
            for notification in group:
                if notification.recipient_id in waiting:
                    messages[notification.pk] = renderer.email(notification)
        return messages
