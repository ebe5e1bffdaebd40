"""The questionnaires' panel of the cockpit: response rates and who has not answered, with « Relancer ».

Found by :func:`alliances.cockpit.panels` (autodiscovery of ``cockpit`` modules). The
expected respondents and the non-respondents are those of :mod:`evaluation.selectors`,
computed here for every questionnaire of the panel at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import cockpit, relances
from alliances.access import CoordinatorHttpRequest
from alliances.models import Programme, Relance
from evaluation.models import Questionnaire, Response
from sessions.models import Registration
from sessions.selectors import expected_participants

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: Closed questionnaires stay in the panel this long after their closing.
RECENTLY_CLOSED = dt.timedelta(days=14)


class QuestionnaireRow(TypedDict):
    questionnaire: Questionnaire
    is_open: bool
    hide_relance_button: bool
    status: StrOrPromise
    expected: int
    responded: int
    missing: int
    rate: int | None  # percent of the expected who responded; None without anyone expected
    non_respondents: list[tuple[str, list[str]]]  # (network name, people's names), by name
    relance: Relance | None  # the latest relance of the questionnaire


class QuestionnairesData(TypedDict):
    questionnaires: list[QuestionnaireRow]


def _name(row: Mapping[str, Any]) -> str:
    return f"{row['user__first_name']} {row['user__last_name']}".strip() or row["user__email"]


@cockpit.register
class QuestionnairePanel(cockpit.Panel[QuestionnairesData]):
    """The edition's open questionnaires and those closed in the last 14 days.

    Five queries whatever the number of questionnaires and people (one if there is no
    questionnaire): the questionnaires; the expected people of the edition; the presences
    at the sessions of the questionnaires « présents à une session »; the responses; the
    latest relance of each questionnaire.
    """

    key = "questionnaires"
    title = _("Questionnaires")
    template = "cockpit/_questionnaires.html"
    order = 50

    def get_data(
        self, programme: Programme, *, request: CoordinatorHttpRequest, today: dt.date, now: dt.datetime
    ) -> QuestionnairesData | None:
        shown = Questionnaire.objects.filter(programme=programme, opens_at__lte=now).filter(
            Q(closes_at__isnull=True) | Q(closes_at__gt=now - RECENTLY_CLOSED)
        )
        questionnaires = list(shown.select_related("programme", "session").order_by("closes_at", "opens_at", "pk"))
        if not questionnaires:
            return None
        # Questionnaire.audience_participants() with an active account (evaluation.selectors.expected_respondents),
        # for every questionnaire at once: the edition's expected people, then each audience among them.
        people = {
            row["pk"]: row
            for row in expected_participants(programme.pk).values(
                "pk", "user__first_name", "user__last_name", "user__email", "enrolment__network__name"
            )
        }
        present: defaultdict[int | None, set[int]] = defaultdict(set)  # a questionnaire's session may be None
        attendee_sessions = shown.filter(audience=Questionnaire.Audience.SESSION_ATTENDEES).values("session_id")
        for session_id, participant_id in Registration.objects.filter(
            session_id__in=attendee_sessions, attendance=Registration.Attendance.PRESENT
        ).values_list("session_id", "participant_id"):
            present[session_id].add(participant_id)
        answered: defaultdict[int, set[int]] = defaultdict(set)
        for questionnaire_id, participant_id in Response.objects.filter(
            questionnaire_id__in=[q.pk for q in questionnaires]
        ).values_list("questionnaire_id", "participant_id"):
            answered[questionnaire_id].add(participant_id)
        latest = relances.latest_for(questionnaires)

        rows: list[QuestionnaireRow] = []
        for questionnaire in questionnaires:
            if questionnaire.audience == Questionnaire.Audience.SESSION_ATTENDEES:
                expected = present[questionnaire.session_id] & people.keys()
            else:
                expected = set(people)
            responded = expected & answered[questionnaire.pk]
            by_network: defaultdict[str, list[str]] = defaultdict(list)
            for pk in expected - responded:
                by_network[people[pk]["enrolment__network__name"]].append(_name(people[pk]))
            is_open = questionnaire.is_open(now)
            rows.append(
                {
                    "questionnaire": questionnaire,
                    "is_open": is_open,
                    "hide_relance_button": not (is_open and len(expected) > len(responded)),
                    "status": Questionnaire.Status(questionnaire.status(now)).label,
                    "expected": len(expected),
                    "responded": len(responded),
                    "missing": len(expected) - len(responded),
                    "rate": round(100 * len(responded) / len(expected)) if expected else None,
                    "non_respondents": [
                        (network, sorted(names, key=str.casefold))
                        for network, names in sorted(by_network.items(), key=lambda item: item[0].casefold())
                    ],
                    "relance": latest.get(questionnaire.pk),
                }
            )
        return {"questionnaires": rows}

    def alerts(self, data: QuestionnairesData) -> list[cockpit.Alert]:
        return [
            cockpit.Alert(
                ngettext(
                    "« %(title)s » : %(count)d personne sans réponse",
                    "« %(title)s » : %(count)d personnes sans réponse",
                    row["missing"],
                )
                % {"title": row["questionnaire"].title, "count": row["missing"]},
                self.key,
                "info",
            )
            for row in data["questionnaires"]
            if row["is_open"] and row["missing"]
        ]
