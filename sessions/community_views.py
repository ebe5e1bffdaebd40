"""Community pages of the member portal: the S3 topic vote, resources, news; the coordinators' attendance page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliances.access import coordinator_required
from alliances.pagination import paginate
from alliances.uploads import download_filename
from networks.access import participant_required
from sessions import attendance as attendance_services
from sessions import vote as vote_services
from sessions.community_forms import AttendanceForm, ResourceFilterForm, SearchForm, TopicProposalForm
from sessions.models import Announcement, Resource, Session, TopicProposal, TopicVote


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- S3 topic vote -------------------------------------------------------------------


def _voting_sessions(participant):
    """The sessions of the participant's edition whose topic is chosen collectively, with their results."""
    proposals = (
        TopicProposal.objects.annotate(num_votes=Count("votes"))
        .select_related("proposed_by__user")
        .order_by("-num_votes", "created_at", "pk")
    )
    return (
        Session.objects.filter(programme_id=participant.enrolment.programme_id)
        .filter(Q(topic_vote_open=True) | Q(topic_vote_closed_at__isnull=False))
        .prefetch_related(Prefetch("topic_proposals", queryset=proposals, to_attr="results"))
        .order_by("number")
    )


def _render_topic_vote(request, *, bound_form=None, bound_session_pk=None):
    participant = request.participant
    sessions = list(_voting_sessions(participant))
    my_vote = TopicVote.objects.filter(participant=participant).values_list("proposal_id", flat=True).first()
    for session in sessions:
        session.total_votes = sum(p.num_votes for p in session.results)
        if session.topic_vote_open:
            if bound_form is not None and session.pk == bound_session_pk:
                session.proposal_form = bound_form
            else:
                session.proposal_form = TopicProposalForm(prefix=f"s{session.pk}")
    context = {"voting_sessions": sessions, "my_vote": my_vote}
    return render(request, "community/topic_vote.html", context)


@participant_required
def topic_vote(request):
    return _render_topic_vote(request)


def _edition_session(request, pk):
    """A session of the participant's edition, else 404."""
    return get_object_or_404(Session, pk=pk, programme_id=request.participant.enrolment.programme_id)


@require_POST
@participant_required
def topic_propose(request, session_pk):
    session = _edition_session(request, session_pk)
    form = TopicProposalForm(request.POST, prefix=f"s{session.pk}")
    if not form.is_valid():
        return _render_topic_vote(request, bound_form=form, bound_session_pk=session.pk)
    try:
        vote_services.topic_propose(
            participant=request.participant,
            session=session,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            # An error about the proposal itself (the topic was already proposed): show it on the form.
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
            return _render_topic_vote(request, bound_form=form, bound_session_pk=session.pk)
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Sujet proposé. Merci !"))
    return redirect("community:topic_vote")


@require_POST
@participant_required
def topic_vote_cast(request, proposal_pk):
    proposal = get_object_or_404(
        TopicProposal.objects.select_related("session"),
        pk=proposal_pk,
        session__programme_id=request.participant.enrolment.programme_id,
    )
    try:
        vote_services.topic_vote_cast(participant=request.participant, proposal=proposal)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Vote enregistré pour « %(title)s ».") % {"title": proposal.title})
    return redirect("community:topic_vote")


# --- Attendance (coordinators) -------------------------------------------------------


@coordinator_required
def attendance(request, session_pk):
    session = get_object_or_404(
        Session.objects.select_related("programme"), pk=session_pk, programme__in=request.coordinated_programmes
    )
    participants = attendance_services.session_participants(session)
    marks = attendance_services.attendance_marks(session)
    if request.method == "POST":
        form = AttendanceForm(request.POST, participants=participants, marks=marks)
        if form.is_valid():
            try:
                attendance_services.attendance_record(session=session, marks=form.marks(), recorded_by=request.user)
            except ValidationError as error:
                messages.error(request, _error_text(error))
            else:
                messages.success(request, _("Présences enregistrées."))
                return redirect("community:attendance", session_pk=session.pk)
    else:
        form = AttendanceForm(participants=participants, marks=marks)
    per_network = attendance_services.network_attendance(session)
    context = {
        "session": session,
        "form": form,
        "per_network": per_network,
        "totals": attendance_services.attendance_totals(session, per_network),
    }
    return render(request, "community/attendance.html", context)


# --- Resource library ----------------------------------------------------------------


@participant_required
def resources(request):
    programme = request.participant.enrolment.programme
    form = ResourceFilterForm(request.GET or None, programme=programme)
    items = Resource.objects.filter(programme=programme).select_related("theme", "session")
    group = "theme"
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            items = items.filter(Q(title__icontains=data["q"]) | Q(description__icontains=data["q"]))
        if data["theme"]:
            items = items.filter(theme=data["theme"])
        if data["session"]:
            items = items.filter(session=data["session"])
        group = data["group"] or "theme"
    if group == "session":
        # Sessions in order, then resources attached to no session.
        items = items.order_by(F("session__number").asc(nulls_last=True), "title")
    else:
        items = items.order_by(
            F("theme__order").asc(nulls_last=True), F("theme__title").asc(nulls_last=True), "theme_id", "title"
        )
    context = {
        "form": form,
        "page": paginate(request, items),
        "group": group,
        "filtered": form.is_bound and form.has_changed(),
    }
    return render(request, "community/resources.html", context)


@participant_required
def resource_download(request, pk):
    resource = get_object_or_404(
        Resource.objects.exclude(file=""), pk=pk, programme_id=request.participant.enrolment.programme_id
    )
    try:
        handle = resource.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("Ce fichier n'est plus disponible.")) from None
    return FileResponse(handle, as_attachment=True, filename=download_filename(resource.title, resource.file.name))


# --- Announcements -------------------------------------------------------------------


@participant_required
def announcements(request):
    form = SearchForm(request.GET or None)
    items = Announcement.objects.filter(
        programme_id=request.participant.enrolment.programme_id, published_at__lte=timezone.now()
    ).select_related("author")
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        items = items.filter(Q(title__icontains=query) | Q(body__icontains=query))
    items = items.order_by("-published_at", "-pk")
    context = {
        "form": form,
        "page": paginate(request, items),
        "filtered": form.is_bound and form.has_changed(),
    }
    return render(request, "community/announcements.html", context)
