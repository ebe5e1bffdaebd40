"""The session as a relance target: those who have neither confirmed nor declined it.

Found by :func:`alliances.relances.targets` (autodiscovery of ``relances`` modules). Who
is « sans réponse » is :func:`sessions.selectors.non_respondents`, as in the cockpit.
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
from sessions.models import Session
from sessions.selectors import non_respondents

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _when(session: Session) -> tuple[str, str]:
    moment = timezone.localtime(session.starts_at)
    return date_format(moment, "l j F Y"), time_format(moment, relances.TIME_FORMAT)


@relances.register
class SessionTarget(relances.Target[Session]):
    key = "session"
    model = Session
    anchor = "sessions"  # the cockpit panel (sessions/cockpit.py)
    closed_message = _("Cette session a déjà commencé : elle ne peut plus être relancée.")

    def recipients(self, obj: Session) -> QuerySet[User]:
        return User.objects.filter(participations__in=non_respondents(obj)).annotate(
            network_name=F("participations__enrolment__network__name")
        )

    def is_open(self, obj: Session, *, now: dt.datetime) -> bool:
        return obj.starts_at is not None and obj.starts_at > now

    def default_subject(self, obj: Session) -> str:
        if obj.starts_at is None:
            return gettext("Votre réponse pour la session %(session)s") % {"session": obj}
        return gettext("Votre réponse pour la session %(session)s du %(day)s") % {
            "session": obj,
            "day": date_format(timezone.localtime(obj.starts_at), "j F"),
        }

    def default_body(self, obj: Session) -> str:
        day, time = _when(obj)
        if obj.venue:
            where = gettext("La session « %(session)s » a lieu le %(day)s à %(time)s (lieu : %(venue)s).")
        elif obj.online_url:
            where = gettext("La session « %(session)s » a lieu le %(day)s à %(time)s, en ligne.")
        else:
            where = gettext("La session « %(session)s » a lieu le %(day)s à %(time)s.")
        where %= {"session": obj, "day": day, "time": time, "venue": obj.venue}
        ask = gettext(
            "Nous n'avons pas encore votre réponse : dites-nous si vous venez, en un clic, sur la page de la "
            "session (« Je participe » ou « Je ne participe pas »)."
        )
        return f"{where}\n\n{ask}"

    def portal_url(self, obj: Session) -> str:
        return f"{reverse('sessions:detail', args=[obj.pk])}#ma-reponse"

    def link_label(self, obj: Session) -> StrOrPromise:
        return _("Répondre sur la page de la session")
