"""The committee area (/comite/): committees, meetings, the decisions log and the edition's documents.

Read-only: coordinators record agendas, minutes, attendance and decisions in the
admin. Every view goes through ``committee_area_required`` and fetches its object
among the committees the viewer may see (see ``governance/access.py``), so another
committee's page is a 404.
"""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from alliances.documents import committee_documents, report_title
from alliances.pagination import paginate
from governance import selectors
from governance.access import committee_area_required
from governance.forms import CommitteeSearchForm, DecisionFilterForm
from governance.models import Meeting

SEARCH_FROM = 6  # committees: fewer need no search box

# The download view of documents is built by the documents work (route ``documents:download``).
# Until that route exists the list shows the documents without links (see ``_download_url``).
DOWNLOAD_URL_NAME = "documents:download"
# The code of the meeting pack, a document kind of evaluation (a lookup value, not an import).
PACK_KIND = "committee_pack"


def _committee_context(request, committee, active):
    viewer = request.committee_viewer
    return {
        "committee": committee,
        "programme": committee.programme,
        "sits_on": viewer.sits_on(committee.pk),
        "active_tab": active,
    }


@committee_area_required
def index(request):
    """The committees the viewer sits on (every edition), and those of the editions they coordinate."""
    viewer = request.committee_viewer
    form = CommitteeSearchForm(request.GET or None)
    committees = viewer.committees()
    search = form.search()
    if search:
        committees = committees.filter(
            Q(name__icontains=search) | Q(programme__name__icontains=search) | Q(mission__icontains=search)
        )
    page = paginate(request, selectors.committees_overview(committees, user=request.user))
    return render(
        request,
        "governance/index.html",
        {
            "page": page,
            "form": form,
            "filtered": bool(search),
            # Searching helps coordinators of several editions, not a member of two committees.
            "show_search": bool(search) or page.paginator.count > SEARCH_FROM,
            "today": timezone.localdate(),
        },
    )


@committee_area_required
def committee_detail(request, pk):
    """A committee: its members and its meetings, latest first."""
    committee = request.committee_viewer.get_committee(pk)
    context = _committee_context(request, committee, "meetings")
    context.update(
        members=list(selectors.committee_members(committee)),
        page=paginate(request, selectors.committee_meetings(committee)),
        today=timezone.localdate(),
    )
    return render(request, "governance/committee_detail.html", context)


@committee_area_required
def meeting_detail(request, pk):
    """A meeting: agenda, minutes, attendance of every member, and its decisions."""
    meeting = Meeting.objects.filter(pk=pk).select_related("committee__programme").first()
    viewer = request.committee_viewer
    if meeting is None or not viewer.may_view_committee(meeting.committee_id, meeting.committee.programme_id):
        raise Http404
    committee = meeting.committee
    rows, totals = selectors.meeting_attendance(meeting)
    context = _committee_context(request, committee, "meetings")
    # The latest ready pack of this very meeting (its « meeting » parameter), to download from here.
    pack = (
        committee_documents(committee.programme, committees=[committee.kind])
        .filter(kind=PACK_KIND, parameters__meeting=meeting.pk)
        .first()
    )
    context.update(
        meeting=meeting,
        attendance=rows,
        totals=totals,
        decisions=list(selectors.meeting_decisions(meeting)),
        pack=pack,
        pack_url=_download_url(pack) if pack is not None else None,
    )
    return render(request, "governance/meeting_detail.html", context)


@committee_area_required
def decision_log(request, pk):
    """The decisions taken across the committee's meetings: owner, due date, status; overdue ones highlighted."""
    committee = request.committee_viewer.get_committee(pk)
    form = DecisionFilterForm(request.GET or None)
    filters = form.values()
    decisions = selectors.committee_decisions(committee, status=filters["status"], search=filters["search"])
    context = _committee_context(request, committee, "decisions")
    context.update(
        form=form,
        page=paginate(request, decisions),
        filtered=bool(filters["status"] or filters["search"]),
        today=timezone.localdate(),
    )
    return render(request, "governance/decision_log.html", context)


def _download_url(report):
    """The download link of a ready document, or None while the documents' download view does not exist yet."""
    try:
        return reverse(DOWNLOAD_URL_NAME, args=[report.pk])
    except NoReverseMatch:
        # The documents work has not mounted ``documents:download`` yet: list without links.
        return None


@committee_area_required
def documents(request, pk):
    """The documents ready to read of this committee: the edition-wide ones (dashboard, evaluation report)
    and this committee's own (its meeting packs), by the registry's rule that the download view applies
    too. Another committee's packs are not listed here, even to a coordinator: they are on its own page."""
    committee = request.committee_viewer.get_committee(pk)
    page = paginate(request, committee_documents(committee.programme, committees=[committee.kind]))
    page.object_list = list(page.object_list)
    for report in page.object_list:
        report.title = report_title(report)
        report.download_url = _download_url(report)
    context = _committee_context(request, committee, "documents")
    context.update(page=page, links_available=any(r.download_url for r in page.object_list))
    return render(request, "governance/documents.html", context)
