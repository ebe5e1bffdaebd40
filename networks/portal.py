"""What the portal home needs from networks: the network's card, the binôme, the roadmap's « à faire ».

Also where « / » leads a participant (the portal). ``PendingItem`` is the core's
(alliances.portal), re-exported here for the code that imported it from networks.
networks never imports sessions: sessions.portal contributes its own part.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliances.portal import SIDE, Card, HomePage, HomeParts, PendingItem, home_parts, landings
from networks.access import current_participant
from networks.models import Participant, RoadmapAction

__all__ = ["PendingItem", "ROADMAP_HORIZON_DAYS", "binome_mates", "pending_items"]

# Roadmap actions show up on the home this many days before they are due (and stay while overdue).
ROADMAP_HORIZON_DAYS = 30


def pending_items(participant: Participant, today: dt.date | None = None) -> list[PendingItem]:
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


def binome_mates(participant: Participant) -> list[Participant] | None:
    """The other members of the participant's binôme (one query), or None without a binôme."""
    if participant.binome_id is None:
        return None
    return list(
        Participant.objects.filter(binome_id=participant.binome_id)
        .exclude(pk=participant.pk)
        .select_related("user")
        # A binôme belongs to one enrolment: by name, without the default ordering's joins (edition, network).
        .order_by("user__last_name", "user__first_name", "pk")
    )


@home_parts.register
class NetworkHome:
    """« Mon réseau et mon binôme », and the roadmap actions due soon."""

    key = "networks"

    def home(self, page: HomePage) -> HomeParts:
        participant = page.participant
        return HomeParts(
            cards=[Card("networks/_home_network.html", 20, SIDE)],
            pending=pending_items(participant, page.today),
            context={"binome_mates": binome_mates(participant)},  # the view gives the header's network
        )


@landings.register
class ParticipantLanding:
    """A participant (or a coordinator previewing one) lands on the portal."""

    key = "participant"
    order = 10

    def destination(self, request: HttpRequest) -> str | None:
        return "portal:home" if current_participant(request) is not None else None
