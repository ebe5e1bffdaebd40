"""The recruitment funnel of an edition: solicited networks → accord / en attente / refus, against the target.

``recruitment_funnel(programme)`` returns plain data (numbers, dates, strings — no
model instances), so that the coordinators' page and the documents (dashboard,
committee pack) show the same figures. Two queries, whatever the number of networks.
"""

from django.db.models import Count, Max, Min, Q

from networks.models import Enrolment

Status = Enrolment.Status


def _percent(part, whole):
    return round(100 * part / whole) if whole else 0


def recruitment_funnel(programme) -> dict:
    """The funnel's figures for one edition.

    Keys:

    - ``target``: Programme.target_networks (the number of pilot networks wanted);
    - ``solicited``: every enrolment of the edition (each network solicited once);
    - ``agreed``, ``pending``, ``refused``: enrolments in accord, en attente, refus;
    - ``awaiting_answer``: still « sollicité », no answer yet;
    - ``agreed_percent_of_target`` (may exceed 100), ``missing_to_target`` (0 once reached),
      ``target_reached``, ``agreed_percent_of_solicited``;
    - ``first_solicited_on``, ``last_solicited_on``, ``last_decided_on``: dates or None;
    - ``refusals``: ``[{"network", "reason", "decided_on"}, …]`` by network name.
    """
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
    refusals = [
        {"network": name, "reason": reason, "decided_on": decided_on}
        for name, reason, decided_on in enrolments.filter(status=Status.REFUSED)
        .order_by("network__name", "pk")
        .values_list("network__name", "refusal_reason", "decided_on")
    ]
    target = programme.target_networks
    agreed = figures["agreed"]
    return {
        "target": target,
        **figures,
        "agreed_percent_of_target": _percent(agreed, target),
        "missing_to_target": max(target - agreed, 0),
        "target_reached": agreed >= target,
        "agreed_percent_of_solicited": _percent(agreed, figures["solicited"]),
        "refusals": refusals,
    }


def funnel_enrolments(programme, *, status=""):
    """The enrolments of the funnel's table (optionally of one status), by network name, with their network."""
    enrolments = Enrolment.objects.filter(programme=programme).select_related("network")
    if status:
        enrolments = enrolments.filter(status=status)
    return enrolments.order_by("network__name", "pk")
