"""Follow-ups and field visits as the network sees them (/portail/suivi/).

The programme team records them in the admin, with private notes for coordinators
only and a shared summary for the network. These pages read the shared part ONLY:
the queries select the date, the form or place and the shared summary, never
``private_notes``, so the notes cannot reach a template even by mistake.
Everything is scoped to the participant's own enrolment: another network's
follow-up or visit is a 404.
"""

from django.db.models import CharField, F, Value
from django.http import Http404
from django.shortcuts import render

from alliances.pagination import paginate
from networks.access import participant_required
from sessions.models import FieldVisit, FollowUp

PAGE_SIZE = 20

FOLLOW_UP = "entretien"
FIELD_VISIT = "visite"

# What the network may read of each record: never the private notes.
SHARED_FOLLOW_UP_FIELDS = ("pk", "held_on", "kind", "shared_summary")
SHARED_FIELD_VISIT_FIELDS = ("pk", "visited_on", "place", "shared_summary")


def _timeline(enrolment):
    """Follow-ups and field visits of one enrolment, latest first, as dicts of their shared fields only."""
    text = CharField()
    # order_by(): no ORDER BY inside the parts of a UNION (the models order by date by default).
    follow_ups = (
        FollowUp.objects.filter(enrolment=enrolment)
        .order_by()
        .values(
            "pk",
            "shared_summary",
            date=F("held_on"),
            type=Value(FOLLOW_UP, output_field=text),
            detail=F("kind"),
        )
    )
    visits = (
        FieldVisit.objects.filter(enrolment=enrolment)
        .order_by()
        .values(
            "pk",
            "shared_summary",
            date=F("visited_on"),
            type=Value(FIELD_VISIT, output_field=text),
            detail=F("place"),
        )
    )
    return follow_ups.union(visits, all=True).order_by("-date", "-pk")


@participant_required
def followup_list(request):
    enrolment = request.participant.enrolment
    page = paginate(request, _timeline(enrolment), PAGE_SIZE)
    kinds = dict(FollowUp.Kind.choices)
    rows = []
    for row in page.object_list:
        label = kinds.get(row["detail"], row["detail"]) if row["type"] == FOLLOW_UP else row["detail"]
        rows.append({**row, "label": label})
    return render(
        request,
        "followups/followup_list.html",
        {"page": page, "rows": rows, "network": enrolment.network, "programme": enrolment.programme},
    )


def _get_shared(queryset, enrolment, pk, fields):
    """One record of the participant's own enrolment, with its shared fields only, else 404."""
    row = queryset.filter(enrolment=enrolment, pk=pk).values(*fields).first()
    if row is None:
        raise Http404
    return row


@participant_required
def followup_detail(request, pk):
    enrolment = request.participant.enrolment
    row = _get_shared(FollowUp.objects, enrolment, pk, SHARED_FOLLOW_UP_FIELDS)
    context = {
        "type": FOLLOW_UP,
        "date": row["held_on"],
        "label": dict(FollowUp.Kind.choices).get(row["kind"], row["kind"]),
        "shared_summary": row["shared_summary"],
        "network": enrolment.network,
    }
    return render(request, "followups/followup_detail.html", context)


@participant_required
def field_visit_detail(request, pk):
    enrolment = request.participant.enrolment
    row = _get_shared(FieldVisit.objects, enrolment, pk, SHARED_FIELD_VISIT_FIELDS)
    context = {
        "type": FIELD_VISIT,
        "date": row["visited_on"],
        "label": row["place"],
        "shared_summary": row["shared_summary"],
        "network": enrolment.network,
    }
    return render(request, "followups/followup_detail.html", context)
