"""Coordinator pages about networks: the recruitment funnel of an edition.

Coordinators of the edition only (superusers: all): logged out → login, a user who
coordinates no edition → 403, an edition the user does not coordinate → 404.
"""

from django import forms
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from alliances.access import coordinator_required
from alliances.pagination import paginate
from networks.funnel import funnel_enrolments, recruitment_funnel
from networks.models import Enrolment

PAGE_SIZE = 50


class StatusFilterForm(forms.Form):
    statut = forms.ChoiceField(
        label=_("Statut"), required=False, choices=[("", _("Tous les réseaux sollicités")), *Enrolment.Status.choices]
    )


@coordinator_required
def funnel(request, slug):
    programme = get_object_or_404(request.coordinated_programmes, slug=slug)
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["statut"] if form.is_valid() else ""
    page = paginate(request, funnel_enrolments(programme, status=status), PAGE_SIZE)
    return render(
        request,
        "recruitment/funnel.html",
        {"programme": programme, "funnel": recruitment_funnel(programme), "form": form, "page": page, "status": status},
    )
