"""Reads of the « Mon réseau » area and of the cohort pages, reused by several views.

Every function takes the enrolment (or the programme) it is scoped to: callers pass
``request.participant.enrolment`` and never an id from the URL, so that a page can
only ever show the participant's own network (or what the cohort chose to share).
Each one runs a fixed number of queries, whatever the amount of data.
"""

import datetime as dt
from decimal import Decimal
from typing import TypedDict

from django.db.models import Avg, BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from alliances.models import Programme
from networks.models import Enrolment, Obstacle, Participant, Partnership, Roadmap, RoadmapAction

# Associations have 2.5 types of partner on average (Recherches & Solidarités / Le RAMEAU, 2017):
# the benchmark DESIGN §5 asks us to compare a network's inventory with.
NATIONAL_AVERAGE_PARTNER_TYPES = Decimal("2.5")

OPEN_ACTION_STATUSES = (RoadmapAction.Status.TODO, RoadmapAction.Status.IN_PROGRESS)


class PartnershipSummary(TypedDict):
    total: int
    types: int  # distinct partner types
    benchmark: Decimal  # NATIONAL_AVERAGE_PARTNER_TYPES
    families: list[tuple[str, str | Promise, int]]  # (value, label, count) per family, in the choices' order


class ObstacleSummary(TypedDict):
    total: int
    high: int  # of high severity


class ActionSummary(TypedDict):
    total: int
    overdue: int
    statuses: list[tuple[str, str | Promise, int]]  # (value, label, count) per status, in the choices' order


def _terms(search: str | None) -> list[str]:
    return [term for term in (search or "").split() if term]


# --- Partnerships ------------------------------------------------------------------


def partnerships_filtered(
    *,
    enrolment: Enrolment,
    search: str = "",
    family: str = "",
    partner_type: str = "",
    scale: str = "",
    status: str = "",
) -> QuerySet[Partnership]:
    """The inventory of one enrolment, narrowed by the list's search box and filters."""
    queryset = Partnership.objects.filter(enrolment=enrolment)
    for term in _terms(search):
        queryset = queryset.filter(partner_name__icontains=term)
    if family:
        queryset = queryset.filter(family=family)
    if partner_type:
        queryset = queryset.filter(partner_type=partner_type)
    if scale:
        queryset = queryset.filter(scale=scale)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("partner_name", "pk")


def partnership_summary(*, enrolment: Enrolment) -> PartnershipSummary:
    """Totals of an inventory in one query: partnerships, distinct partner types, counts per family."""
    families = {f"family_{value}": Count("pk", filter=Q(family=value)) for value in Partnership.Family.values}
    totals = Partnership.objects.filter(enrolment=enrolment).aggregate(
        total=Count("pk"), types=Count("partner_type", distinct=True), **families
    )
    return {
        "total": totals["total"],
        "types": totals["types"],
        "benchmark": NATIONAL_AVERAGE_PARTNER_TYPES,
        "families": [(value, label, totals[f"family_{value}"]) for value, label in Partnership.Family.choices],
    }


# --- Obstacles ---------------------------------------------------------------------


def obstacles_filtered(*, enrolment: Enrolment, search: str = "", category: str = "") -> QuerySet[Obstacle]:
    queryset = Obstacle.objects.filter(enrolment=enrolment)
    for term in _terms(search):
        queryset = queryset.filter(description__icontains=term)
    if category:
        queryset = queryset.filter(category=category)
    return queryset.order_by("-severity", "category", "pk")


def obstacle_summary(*, enrolment: Enrolment) -> ObstacleSummary:
    totals = Obstacle.objects.filter(enrolment=enrolment).aggregate(
        total=Count("pk"), high=Count("pk", filter=Q(severity=Obstacle.Severity.HIGH))
    )
    return {"total": totals["total"], "high": totals["high"]}


# --- Roadmap -----------------------------------------------------------------------


def _overdue_condition(today: dt.date) -> Q:
    return Q(due_on__lt=today, status__in=OPEN_ACTION_STATUSES)


def roadmap_of(*, enrolment: Enrolment) -> Roadmap | None:
    """The enrolment's roadmap if it was started, else None (reading never creates it)."""
    return Roadmap.objects.filter(enrolment=enrolment).first()


def roadmap_actions(
    *, roadmap: Roadmap, search: str = "", status: str = "", today: dt.date | None = None
) -> QuerySet[RoadmapAction]:
    """The actions of a roadmap with their owner, each flagged ``is_overdue`` (open and past its due date)."""
    today = today or timezone.localdate()
    queryset = (
        RoadmapAction.objects.filter(roadmap=roadmap)
        .select_related("owner__user")
        .annotate(is_overdue=ExpressionWrapper(_overdue_condition(today), output_field=BooleanField()))
    )
    for term in _terms(search):
        queryset = queryset.filter(Q(title__icontains=term) | Q(description__icontains=term))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by(F("due_on").asc(nulls_last=True), "pk")


def action_summary(*, enrolment: Enrolment, today: dt.date | None = None) -> ActionSummary:
    """Actions of the enrolment's roadmap counted per status, and the overdue ones, in one query."""
    today = today or timezone.localdate()
    per_status = {value: Count("pk", filter=Q(status=value)) for value in RoadmapAction.Status.values}
    totals = RoadmapAction.objects.filter(roadmap__enrolment=enrolment).aggregate(
        total=Count("pk"), overdue=Count("pk", filter=_overdue_condition(today)), **per_status
    )
    return {
        "total": totals["total"],
        "overdue": totals["overdue"],
        "statuses": [(value, label, totals[value]) for value, label in RoadmapAction.Status.choices],
    }


# --- My network --------------------------------------------------------------------


def network_members(*, enrolment: Enrolment) -> QuerySet[Participant]:
    """The participants of an enrolment, grouped by binôme (those without one last)."""
    return (
        Participant.objects.filter(enrolment=enrolment)
        .select_related("user", "binome")
        .order_by(F("binome_id").asc(nulls_last=True), "user__last_name", "user__first_name", "pk")
    )


# --- Cohort (the networks of an edition) ---------------------------------------------


def shared_enrolments(*, programme: Programme, search: str = "") -> QuerySet[Enrolment]:
    """The pilot networks of an edition that share their inventory, each with the counts of its inventory."""
    families = {
        f"family_{value}": Count("partnerships", filter=Q(partnerships__family=value))
        for value in Partnership.Family.values
    }
    queryset = Enrolment.objects.pilots().filter(programme=programme, share_inventory=True)
    for term in _terms(search):
        queryset = queryset.filter(Q(network__name__icontains=term) | Q(network__acronym__icontains=term))
    return (
        queryset.select_related("network")
        .annotate(
            partnership_total=Count("partnerships"),
            partner_types=Count("partnerships__partner_type", distinct=True),
            **families,
        )
        .order_by("network__name", "pk")
    )


def cohort_average_partner_types(*, programme: Programme) -> float | None:
    """Average number of distinct partner types over the sharing networks (None when none share)."""
    return shared_enrolments(programme=programme).aggregate(average=Avg("partner_types"))["average"]


def shared_enrolment(*, programme: Programme, pk: int) -> Enrolment | None:
    """One sharing pilot network of the edition, or None (did not share, other edition, not a pilot)."""
    return (
        Enrolment.objects.pilots()
        .filter(programme=programme, share_inventory=True, pk=pk)
        .select_related("network")
        .first()
    )


# --- Directory ---------------------------------------------------------------------


def _directory_match(term: str, prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}user__first_name__icontains": term})
        | Q(**{f"{prefix}user__last_name__icontains": term})
        | Q(**{f"{prefix}job_title__icontains": term})
        | Q(**{f"{prefix}enrolment__network__name__icontains": term})
        | Q(**{f"{prefix}enrolment__network__acronym__icontains": term})
    )


def directory_enrolments(*, programme: Programme, search: str = "") -> QuerySet[Enrolment]:
    """The pilot networks of an edition with their participants listed in the directory.

    With a search, a network appears when its name matches or one of its listed participants
    matches (name, job title, network), and only the matching participants are attached.
    Each enrolment carries ``listed_participants`` (a list) and its network's regions.
    """
    listed = Participant.objects.in_directory()
    network_match = Q()
    for term in _terms(search):
        listed = listed.filter(_directory_match(term))
        network_match &= Q(network__name__icontains=term) | Q(network__acronym__icontains=term)
    queryset = Enrolment.objects.pilots().filter(programme=programme)
    if _terms(search):
        has_match = Exists(listed.filter(enrolment=OuterRef("pk")))
        queryset = queryset.filter(network_match | Q(has_match))
    return (
        queryset.select_related("network")
        .prefetch_related(
            "network__regions",
            Prefetch(
                "participants",
                queryset=listed.select_related("user").order_by("user__last_name", "user__first_name", "pk"),
                to_attr="listed_participants",
            ),
        )
        .order_by("network__name", "pk")
    )
