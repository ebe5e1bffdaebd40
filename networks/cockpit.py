"""The networks' panels of the edition's cockpit (:mod:`alliances.cockpit`)."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import cockpit
from alliances.invitations import INVITATION_VALIDITY
from alliances.models import Programme
from networks.models import Participant

INVITATIONS_SHOWN = 100  # the list's length; the counts cover every invitation


class InvitationsData(TypedDict):
    pending: int
    expired: int
    total: int
    participants: list[Participant]  # the first INVITATIONS_SHOWN, each with ``invitation_expired``
    hidden: int  # beyond the list


@cockpit.register
class InvitationsPanel(cockpit.Panel[InvitationsData]):
    """Participants whose invitation is not accepted yet (pending, or expired), each with « Renvoyer »: two queries.

    An invitation is the account's (``User.invited_at``, ``invitation_accepted_at``); its link
    stops working after ``INVITATION_VALIDITY``. Inactive accounts are left out: they cannot be
    invited again.
    """

    key = "invitations"
    title = _("Invitations en attente")
    template = "cockpit/_invitations.html"
    order = 40

    def get_data(
        self, programme: Programme, *, request: HttpRequest, today: dt.date, now: dt.datetime
    ) -> InvitationsData:
        waiting = Participant.objects.filter(
            programme=programme,
            user__is_active=True,
            user__invited_at__isnull=False,
            user__invitation_accepted_at__isnull=True,
        )
        expired_before = now - INVITATION_VALIDITY
        counts = waiting.aggregate(
            pending=Count("pk", filter=Q(user__invited_at__gte=expired_before)),
            expired=Count("pk", filter=Q(user__invited_at__lt=expired_before)),
        )
        rows = list(
            waiting.select_related("user", "enrolment__network").order_by(
                "user__invited_at", "user__last_name", "user__first_name", "pk"
            )[:INVITATIONS_SHOWN]
        )
        for participant in rows:
            invited_at = participant.user.invited_at  # never None here: the queryset asks for an invitation
            # An attribute of the instance for the panel's template: no model field.
            participant.invitation_expired = invited_at is not None and invited_at < expired_before  # type: ignore[attr-defined]
        pending, expired = counts["pending"], counts["expired"]
        total = pending + expired
        return {
            "pending": pending,
            "expired": expired,
            "total": total,
            "participants": rows,
            "hidden": total - len(rows),
        }

    def alerts(self, data: InvitationsData) -> list[cockpit.Alert]:
        expired = data["expired"]
        if not expired:
            return []
        text = ngettext("%(count)d invitation expirée", "%(count)d invitations expirées", expired) % {"count": expired}
        return [cockpit.Alert(text, self.key)]
