"""The coordinators' read-only preview of the member portal (issue 14, item 6).

A coordinator opens the portal as one of their editions' participants, to see what they
see. Starting a preview keeps the participant's id in the session (``networks.access``
serves that participant to the portal's pages and refuses every write) and records it in
the admin log; logging out or « Quitter l'aperçu » ends it. Nothing is written as the
participant: the coordinator stays logged in as themself.
"""

from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alliances.access import coordinator_required
from alliances.pagination import paginate
from networks.access import PREVIEW_SESSION_KEY, portal_participants, preview_participant, previewable_participants
from networks.models import Enrolment, Participant


def _name(participant):
    return participant.user.get_full_name() or participant.user.email


@login_required
@require_http_methods(["GET"])
def choose(request):
    """What a staff user without a participation gets on the portal: an explanation and the preview's list."""
    user = request.user
    if not (user.is_active and user.is_staff):
        raise PermissionDenied
    search = request.GET.get("q", "").strip()
    edition_slug = request.GET.get("edition", "").strip()  # the cockpit's link narrows to its edition
    participants = previewable_participants(user).order_by(
        "-enrolment__programme__starts_on", "enrolment__network__name", "user__last_name", "user__first_name", "pk"
    )
    for term in search.split():
        participants = participants.filter(
            Q(user__first_name__icontains=term)
            | Q(user__last_name__icontains=term)
            | Q(user__email__icontains=term)
            | Q(enrolment__network__name__icontains=term)
            | Q(enrolment__network__acronym__icontains=term)
        )
    editions = list(user.coordinated_programmes().order_by("-starts_on", "name"))
    edition = next((e for e in editions if e.slug == edition_slug), None)
    if edition is not None:
        participants = participants.filter(programme=edition)
    context = {
        "page_obj": paginate(request, participants) if editions else None,
        "editions": editions,
        "edition": edition,
        "search": search,
        "previewed": preview_participant(request),
    }
    return render(request, "networks/preview_choose.html", context)


@coordinator_required
@require_http_methods(["GET", "POST"])
def start(request, slug, participant_pk):
    """GET: what the preview is, and its button; POST: open the portal as this participant."""
    programme = get_object_or_404(request.coordinated_programmes, slug=slug)
    participant = get_object_or_404(
        Participant.objects.select_related("user", "enrolment__network", "enrolment__programme"),
        pk=participant_pk,
        programme=programme,
    )
    agreed = participant.enrolment.status == Enrolment.Status.AGREED
    if request.method == "POST":
        if not agreed:
            messages.error(
                request, _("Ce réseau n'a pas donné son accord : ses participants n'ont pas accès au portail.")
            )
            return redirect("preview:start", slug=slug, participant_pk=participant_pk)
        # Looked up as the portal will (its network agreed, an edition the user coordinates).
        participant = get_object_or_404(portal_participants(), pk=participant.pk)
        request.session[PREVIEW_SESSION_KEY] = participant.pk
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=[participant],
            action_flag=CHANGE,
            change_message=_("Aperçu du portail"),
            single_object=True,
        )
        messages.info(
            request,
            _("Vous voyez le portail comme %(name)s, en lecture seule.") % {"name": _name(participant)},
        )
        return redirect("portal:home")
    return render(
        request,
        "networks/preview_start.html",
        {"participant": participant, "programme": programme, "agreed": agreed, "name": _name(participant)},
    )


@login_required
@require_POST
def leave(request):
    """End the preview (logging out ends it too): back to the edition's cockpit."""
    previewed = preview_participant(request)
    request.session.pop(PREVIEW_SESSION_KEY, None)
    if previewed is None:
        return redirect("landing")
    messages.success(request, _("Aperçu du portail terminé."))
    return redirect("cockpit:edition", slug=previewed.enrolment.programme.slug)
