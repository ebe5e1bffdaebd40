"""Networks, their enrolment in an edition, their participants and their work.

Depends on the core only (never on sessions, governance or evaluation). The models live in
two modules, re-exported here (``from networks.models import Participant``):
``enrolments`` (regions, networks, enrolments, binômes, participants) and ``work`` (what a
network keeps: partnerships, obstacles, roadmap and actions).
"""

from networks.models.enrolments import (
    Binome,
    Enrolment,
    EnrolmentQuerySet,
    Network,
    Participant,
    ParticipantQuerySet,
    Region,
)
from networks.models.work import Obstacle, Partnership, Roadmap, RoadmapAction

__all__ = [
    "Binome",
    "Enrolment",
    "EnrolmentQuerySet",
    "Network",
    "Obstacle",
    "Participant",
    "ParticipantQuerySet",
    "Partnership",
    "Region",
    "Roadmap",
    "RoadmapAction",
]
