"""The recruitment funnel of an edition: solicited networks → accord / en attente / refus, against the target.

``recruitment_funnel(programme)`` returns plain data (numbers, dates, strings — no
model instances), so that the coordinators' page and the documents (dashboard,
committee pack) show the same figures. Two queries, whatever the number of networks.
"""

from datetime import date
from typing import TypedDict

from django.db.models import Count, Max, Min, Q, QuerySet

from alliances.models import Programme
from networks.models import Enrolment

Status = Enrolment.Status


class Refusal(TypedDict):
    network: str
    reason: str
    decided_on: date | None


class Funnel(TypedDict):
    target: int  # Programme.target_networks: the number of pilot networks wanted
    solicited: int  # every enrolment of the edition (each network solicited once)
    agreed: int  # enrolments in accord
    pending: int  # en attente
    refused: int  # refus
    awaiting_answer: int  # still « sollicité », no answer yet
    first_solicited_on: date | None
    last_solicited_on: date | None
    last_decided_on: date | None
    agreed_percent_of_target: int  # may exceed 100
    missing_to_target: int  # 0 once reached
    target_reached: bool
    agreed_percent_of_solicited: int
    refusals: list[Refusal]  # by network name


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def recruitment_funnel(programme: Programme) -> Funnel:
    """The funnel's figures for one edition (see :class:`Funnel`)."""
    enrolments = Enrolment.objects.filter(programme=programme)
    figures = enrolments.aggregate(
        solicited=Count("pk"),
        agreed=Count("pk", filter=Q(status=Status.AGREED)),
        pending=Count("pk", filter=Q(status=Status.PENDING)),
        refused=Count("pk", filter=Q(status=Status.REFUSED)),
        awaiting_answer=Count("pk", filter=Q(status=Status.SOLICITED)),
        first_solicited_on=Min("solicited_on"),
        last_solicited_on=Max("solicited_on"),
        last_decided_on=Max("decided_on"),
    )
    refusals: list[Refusal] = [
        {"network": name, "reason": reason, "decided_on": decided_on}
        for name, reason, decided_on in enrolments.filter(status=Status.REFUSED)
        .order_by("network__name", "pk")
        .values_list("network__name", "refusal_reason", "decided_on")
    ]
    target = programme.target_networks
    agreed = figures["agreed"]
    return {
        "target": target,
        "solicited": figures["solicited"],
        "agreed": agreed,
        "pending": figures["pending"],
        "refused": figures["refused"],
        "awaiting_answer": figures["awaiting_answer"],
        "first_solicited_on": figures["first_solicited_on"],
        "last_solicited_on": figures["last_solicited_on"],
        "last_decided_on": figures["last_decided_on"],
        "agreed_percent_of_target": _percent(agreed, target),
        "missing_to_target": max(target - agreed, 0),
        "target_reached": agreed >= target,
        "agreed_percent_of_solicited": _percent(agreed, figures["solicited"]),
        "refusals": refusals,
    }


def funnel_enrolments(programme: Programme, *, status: str = "") -> QuerySet[Enrolment]:
    """The enrolments of the funnel's table (optionally of one status), by network name, with their network."""
    enrolments = Enrolment.objects.filter(programme=programme).select_related("network")
    if status:
        enrolments = enrolments.filter(status=status)
    return enrolments.order_by("network__name", "pk")
