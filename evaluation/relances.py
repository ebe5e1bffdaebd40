"""The questionnaire as a relance target: its expected respondents who have not answered.

Found by :func:`alliances.relances.targets` (autodiscovery of ``relances`` modules); who
they are is :func:`evaluation.selectors.non_respondents`, as in the cockpit's panel.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliances import relances
from alliances.models import User
from evaluation.models import Questionnaire
from evaluation.selectors import non_respondents

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@relances.register
class QuestionnaireTarget(relances.Target[Questionnaire]):
    key = "questionnaire"
    model = Questionnaire
    anchor = "questionnaires"
    closed_message = _(
        "Ce questionnaire n'est pas ouvert aux réponses (clos ou pas encore ouvert) : il ne peut pas être relancé."
    )

    def recipients(self, obj: Questionnaire) -> QuerySet[User]:
        return User.objects.filter(participations__in=non_respondents(obj)).annotate(
            network_name=F("participations__enrolment__network__name")
        )

    def is_open(self, obj: Questionnaire, *, now: dt.datetime) -> bool:
        return obj.is_open(now)

    def default_subject(self, obj: Questionnaire) -> str:
        if obj.closes_at is None:
            return gettext("Questionnaire à remplir : %(title)s") % {"title": obj.title}
        return gettext("Questionnaire à remplir avant le %(day)s : %(title)s") % {
            "title": obj.title,
            "day": date_format(timezone.localtime(obj.closes_at), "j F"),
        }

    def default_body(self, obj: Questionnaire) -> str:
        if obj.closes_at is None:
            waiting = gettext("Le questionnaire « %(title)s » attend encore votre réponse.") % {"title": obj.title}
        else:
            moment = timezone.localtime(obj.closes_at)
            waiting = gettext(
                "Le questionnaire « %(title)s » attend encore votre réponse ; il ferme le %(day)s à %(time)s."
            ) % {
                "title": obj.title,
                "day": date_format(moment, "l j F Y"),
                "time": time_format(moment, relances.TIME_FORMAT),
            }
        why = gettext(
            "Quelques minutes suffisent, et vos réponses nous aident à améliorer le parcours ; les résultats ne sont "
            "présentés que de façon agrégée."
        )
        return f"{waiting}\n\n{why}"

    def portal_url(self, obj: Questionnaire) -> str:
        return reverse("questionnaires:answer", args=[obj.pk])

    def link_label(self, obj: Questionnaire) -> StrOrPromise:
        return _("Répondre au questionnaire")
