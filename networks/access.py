"""Who may use the member portal, and as which participant.

A person may take part in several editions (one Participant per enrolment).
The portal works for one *current* participation at a time: the one chosen
with the edition switcher (kept in the session), else the one of the most
recent edition. Every portal view resolves it once with
``participant_required`` and scopes its queries to ``request.participant``.

The rules the tests hold every portal view to:
- logged out → redirect to the login page;
- logged in without any participation (a committee member, say) → 403;
- an object of another network, or of another edition → 404 (no leak).

A coordinator may open the portal as one of their editions' participants, in a
read-only *preview* (``networks/preview.py`` starts and ends it; the previewed
participant's id is kept in the session). The resolution below then serves that
participant to the portal's pages, and ``participant_required`` refuses every
write. Only the portal's pages read the preview: the profile, the privacy pages,
the documents and the admin keep acting for the coordinator themself.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from alliances.access import AuthenticatedHttpRequest
from networks.models import Participant


class ParticipantHttpRequest(AuthenticatedHttpRequest):
    """For type annotations only: a request whose ``participant`` the portal's navigation reads.

    Set by :func:`participant_required` (and ``portal_preview`` with it), and by the profile page
    (``networks/accounts.py``: None without a participation).
    """

    participant: Participant | None
    portal_preview: bool


SESSION_KEY = "portal_participant_id"
PREVIEW_SESSION_KEY = "portal_preview_participant_id"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def portal_participants():
    """Participants who may use the portal (their network agreed), with what the portal shows of each."""
    return Participant.objects.filter(enrolment__status="agreed").select_related(
        "enrolment__programme", "enrolment__network", "user"
    )


def participations(user):
    """The user's participations, most recent edition first, with what the portal shows of each."""
    return portal_participants().filter(user=user).order_by("-enrolment__programme__starts_on", "-pk")


def previewable_participants(user):
    """The participants ``user`` may preview the portal as: those of the editions they coordinate."""
    return portal_participants().filter(programme__in=user.coordinated_programmes())


def preview_participant(request):
    """The participant a coordinator previews the portal as, or None; fetched once per request.

    Without the session key (every participant's request) it costs no query. A coordinator who
    lost the edition (or their staff status) loses the preview with it.
    """
    if not hasattr(request, "_portal_preview"):
        previewed = None
        chosen = request.session.get(PREVIEW_SESSION_KEY) if hasattr(request, "session") else None
        if chosen and request.user.is_authenticated:
            previewed = previewable_participants(request.user).filter(pk=chosen).first()
            if previewed is None:
                del request.session[PREVIEW_SESSION_KEY]
        request._portal_preview = previewed
    return request._portal_preview


def request_participations(request):
    """The requesting user's participations (``participations``), fetched once per request.

    A person takes part in a handful of editions at most: one query loads them all, and the
    current participation and the edition switcher both read this list.
    During a preview, the previewed participant is the only one (no edition switcher).
    """
    cached = getattr(request, "_portal_participations", None)
    if cached is None:
        previewed = preview_participant(request)
        if previewed is not None:
            cached = [previewed]
        else:
            cached = list(participations(request.user)) if request.user.is_authenticated else []
        request._portal_participations = cached
    return cached


def current_participant(request, *, preview=True):
    """The participation the portal works on for this request, or None.

    ``preview=False`` ignores a preview: the user's own participation, for pages outside the
    portal's read pages (the profile form writes to it).
    """
    if not request.user.is_authenticated:
        return None
    if not preview:
        own = list(participations(request.user))
        chosen = request.session.get(SESSION_KEY)
        return next((p for p in own if str(p.pk) == str(chosen)), own[0] if own else None)
    choices = request_participations(request)
    chosen = request.session.get(SESSION_KEY)
    if chosen:
        for participant in choices:
            if str(participant.pk) == str(chosen):
                return participant
    return choices[0] if choices else None


def participant_required(view):
    """Resolve ``request.participant`` or refuse.

    Logged out → login redirect; staff without a participation → the page that explains the
    portal and offers the preview; anyone else without a participation → 403. During a preview
    (``request.portal_preview``), every request but a read is refused with a message.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        participant = current_participant(request)
        if participant is None:
            if request.user.is_active and request.user.is_staff:
                return redirect("preview:choose")
            raise PermissionDenied
        request.participant = participant
        request.portal_preview = preview_participant(request) is not None
        if request.portal_preview and request.method not in SAFE_METHODS:
            return _refuse_write(request)
        return view(request, *args, **kwargs)

    return wrapper


def _refuse_write(request):
    messages.error(
        request,
        _("Aperçu en lecture seule : rien n'a été enregistré. Quittez l'aperçu pour agir en votre nom."),
    )
    back = request.headers.get("referer", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("portal:home")


def get_for_enrolment(queryset, enrolment, **lookup):
    """Fetch one object of the participant's own enrolment, else 404 (never 403: no information leak)."""
    obj = queryset.filter(enrolment=enrolment, **lookup).first()
    if obj is None:
        raise Http404
    return obj
