"""What the portal home needs from networks: the participant's pending items (« à faire »).

``PendingItem`` is the shape every app's ``pending_items(participant)`` returns, so
the home (alliances.portal) can gather and sort them without knowing each app.
networks never imports sessions: sessions.portal imports this module, not the reverse.
"""

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from networks.models import RoadmapAction

# Roadmap actions show up on the home this many days before they are due (and stay while overdue).
ROADMAP_HORIZON_DAYS = 30


@dataclass(frozen=True)
class PendingItem:
    """One thing the participant has to do, as the home lists it."""

    label: str
    url: str
    due: dt.date | None
    kind: str

    @property
    def is_late(self):
        return self.due is not None and self.due < timezone.localdate()


def pending_items(participant, today=None):
    """Roadmap actions of the participant's network due within 30 days or overdue, not done nor dropped.

    One query whatever the number of actions or networks.
    """
    today = today or timezone.localdate()
    actions = RoadmapAction.objects.filter(
        roadmap__enrolment_id=participant.enrolment_id,
        status__in=[RoadmapAction.Status.TODO, RoadmapAction.Status.IN_PROGRESS],
        due_on__lte=today + dt.timedelta(days=ROADMAP_HORIZON_DAYS),
    ).order_by("due_on", "pk")
    url = reverse("networks:roadmap")
    return [
        PendingItem(
            label=_("Feuille de route : %(action)s") % {"action": action.title},
            url=url,
            due=action.due_on,
            kind="roadmap_action",
        )
        for action in actions
    ]
