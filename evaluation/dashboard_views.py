"""The programme dashboard as a web page (/documents/tableau-de-bord/<slug>/, ``documents:dashboard``).

Its coordinators and its committee members see it, with the same sections and charts as the PDF;
403 for a person who coordinates nothing and sits on no committee, 404 for an edition that is not
theirs. The list under it shows the latest documents the reader may download.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from alliances.document_views import documents_login_required
from alliances.documents import committee_documents, kind_label, report_title
from alliances.models import Programme, Report
from evaluation.dashboard import programme_dashboard
from governance.documents import CommitteeSeats

RECENT_DOCUMENTS = 10


@documents_login_required
def dashboard(request, slug):
    """The programme dashboard, same sections and charts as the PDF, for its coordinators and committee members."""
    access = request.document_access
    seats = CommitteeSeats(request.user)
    if not (access.coordinates_any() or seats.any()):
        raise PermissionDenied
    programme = get_object_or_404(Programme, slug=slug)
    coordinator = access.coordinates(programme.pk)
    if not (coordinator or seats.sits_in(programme.pk)):
        raise Http404
    if coordinator:
        documents = Report.objects.filter(programme=programme)
    else:
        documents = committee_documents(programme, committees=seats.committees_in(programme.pk))
    documents = documents.select_related("requested_by")
    recent = list(documents.order_by("-created_at", "-pk")[:RECENT_DOCUMENTS])
    for report in recent:
        report.label = kind_label(report.kind)
        report.title = report_title(report)
    return render(
        request,
        "documents/dashboard_page.html",
        {
            "programme": programme,
            # What committee members read: questionnaire aggregates under 5 respondents withheld, as in the PDF.
            "dashboard": programme_dashboard(programme, for_coordinator=False),
            "is_coordinator": coordinator,
            "recent": recent,
        },
    )
