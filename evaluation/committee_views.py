"""The findings of an edition (phase 3b) as the committees read them (/comite/enseignements/).

Constats, enseignements, convictions and recommandations, grouped by kind, each with
its evidence: a questionnaire (its title; its results are in the evaluation report),
a committee meeting (linked when the reader may open that meeting's page) or a
session (title and date). Read-only; coordinators write the findings in the admin.

Same access as the committee area (``governance.access``): logged out → login,
sitting on no committee and coordinating nothing → 403, an edition the reader
has no committee in → 404. Routed by the top layer (``alliances/urls.py``) because
governance does not import evaluation.
"""

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from evaluation.models import Finding
from governance.access import committee_area_required

# Headings of the page, in the order of the reasoning: what was seen → what to do.
KIND_HEADINGS = {
    Finding.Kind.OBSERVATION: _("Constats"),
    Finding.Kind.LESSON: _("Enseignements"),
    Finding.Kind.CONVICTION: _("Convictions"),
    Finding.Kind.RECOMMENDATION: _("Recommandations"),
}


class EditionForm(forms.Form):
    edition = forms.ChoiceField(label=_("Édition"), required=False)

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["edition"].choices = [(p.slug, p.name) for p in programmes]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("edition", css_class="col-12 col-md-8"),
                Column(
                    StrictButton(_("Afficher"), type="submit", css_class="btn-primary mt-md-4 mb-3"),
                    css_class="col-12 col-md-4",
                ),
            )
        )


def _findings_by_kind(programme, viewer):
    """[(kind, heading, [finding, …]), …] in the order constats → recommandations; one query."""
    findings = (
        Finding.objects.filter(programme=programme)
        .select_related("evidence_questionnaire", "evidence_session", "evidence_meeting__committee")
        .order_by("order", "pk")
    )
    groups = {kind: [] for kind in KIND_HEADINGS}
    for finding in findings:
        meeting = finding.evidence_meeting
        finding.meeting_viewable = meeting is not None and viewer.may_view_committee(
            meeting.committee_id, meeting.committee.programme_id
        )
        groups[finding.kind].append(finding)
    return [(kind, heading, groups[kind]) for kind, heading in KIND_HEADINGS.items()]


@committee_area_required
def findings(request):
    viewer = request.committee_viewer
    programmes = list(viewer.programmes().order_by("-starts_on", "name"))
    slug = request.GET.get("edition", "")
    if slug:
        programme = next((p for p in programmes if p.slug == slug), None)
        if programme is None:
            raise Http404
    else:
        programme = programmes[0] if programmes else None
    context = {"programme": programme, "form": None, "groups": [], "total": 0}
    if programme is not None:
        groups = _findings_by_kind(programme, viewer)
        context.update(
            groups=groups,
            total=sum(len(items) for _kind, _label, items in groups),
            form=EditionForm(initial={"edition": programme.slug}, programmes=programmes)
            if len(programmes) > 1
            else None,
        )
    return render(request, "governance/findings.html", context)
