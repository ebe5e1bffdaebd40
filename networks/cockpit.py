"""The networks' panels of the edition's cockpit (:mod:`alliances.cockpit`)."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import cockpit
from alliances.invitations import INVITATION_VALIDITY
from networks.models import Participant

INVITATIONS_SHOWN = 100  # the list's length; the counts cover every invitation


@cockpit.register
class InvitationsPanel(cockpit.Panel):
    """Participants whose invitation is not accepted yet (pending, or expired), each with « Renvoyer »: two queries.

    An invitation is the account's (``User.invited_at``, ``invitation_accepted_at``); its link
    stops working after ``INVITATION_VALIDITY``. Inactive accounts are left out: they cannot be
    invited again.
    """

    key = "invitations"
    title = _("Invitations en attente")
    template = "cockpit/_invitations.html"
    order = 40

    def get_data(self, programme, *, request, today, now):
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
            participant.invitation_expired = participant.user.invited_at < expired_before
        total = counts["pending"] + counts["expired"]
        return {**counts, "total": total, "participants": rows, "hidden": total - len(rows)}

    def alerts(self, data):
        expired = data["expired"]
        if not expired:
            return []
        text = ngettext("%(count)d invitation expirée", "%(count)d invitations expirées", expired) % {"count": expired}
        return [cockpit.Alert(text, self.key)]
