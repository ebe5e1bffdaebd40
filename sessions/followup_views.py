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

# The timeline's type of each record; what the network may read of it is ``model.shared_fields()``.
TYPES = {FollowUp: FOLLOW_UP, FieldVisit: FIELD_VISIT}


def _shared_part(model, enrolment):
    """One model's records of the enrolment as rows of the timeline: shared fields only, no ordering."""
    return (
        model.objects.filter(enrolment=enrolment)
        .order_by()
        .values(
            "pk",
            "shared_summary",
            date=F(model.date_field),
            type=Value(TYPES[model], output_field=CharField()),
            detail=F(model.detail_field),
        )
    )


def _timeline(enrolment):
    """Follow-ups and field visits of one enrolment, latest first, as dicts of their shared fields only."""
    # order_by(): no ORDER BY inside the parts of a UNION (the models order by date by default).
    follow_ups = _shared_part(FollowUp, enrolment)
    return follow_ups.union(_shared_part(FieldVisit, enrolment), all=True).order_by("-date", "-pk")


def _label(model, detail):
    """A follow-up is labelled by its form (« entretien téléphonique »), a visit by its place."""
    if model is FollowUp:
        return dict(FollowUp.Kind.choices).get(detail, detail)
    return detail


@participant_required
def followup_list(request):
    enrolment = request.participant.enrolment
    page = paginate(request, _timeline(enrolment), PAGE_SIZE)
    models = {value: model for model, value in TYPES.items()}
    rows = [{**row, "label": _label(models[row["type"]], row["detail"])} for row in page.object_list]
    return render(
        request,
        "followups/followup_list.html",
        {"page": page, "rows": rows, "network": enrolment.network, "programme": enrolment.programme},
    )


def _detail(request, model, pk):
    """One record of the participant's own enrolment, with its shared fields only, else 404."""
    enrolment = request.participant.enrolment
    row = model.objects.filter(enrolment=enrolment, pk=pk).values(*model.shared_fields()).first()
    if row is None:
        raise Http404
    context = {
        "type": TYPES[model],
        "date": row[model.date_field],
        "label": _label(model, row[model.detail_field]),
        "shared_summary": row["shared_summary"],
        "network": enrolment.network,
    }
    return render(request, "followups/followup_detail.html", context)


@participant_required
def followup_detail(request, pk):
    return _detail(request, FollowUp, pk)


@participant_required
def field_visit_detail(request, pk):
    return _detail(request, FieldVisit, pk)
