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
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from networks.models import Participant

SESSION_KEY = "portal_participant_id"


def participations(user):
    """The user's participations, most recent edition first, with what the portal shows of each."""
    return (
        Participant.objects.filter(user=user, enrolment__status="agreed")
        .select_related("enrolment__programme", "enrolment__network", "user")
        .order_by("-enrolment__programme__starts_on", "-pk")
    )


def request_participations(request):
    """The requesting user's participations (``participations``), fetched once per request.

    A person takes part in a handful of editions at most: one query loads them all, and the
    current participation and the edition switcher both read this list.
    """
    cached = getattr(request, "_portal_participations", None)
    if cached is None:
        cached = list(participations(request.user)) if request.user.is_authenticated else []
        request._portal_participations = cached
    return cached


def current_participant(request):
    """The participation the portal works on for this request, or None."""
    if not request.user.is_authenticated:
        return None
    choices = request_participations(request)
    chosen = request.session.get(SESSION_KEY)
    if chosen:
        for participant in choices:
            if str(participant.pk) == str(chosen):
                return participant
    return choices[0] if choices else None


def participant_required(view):
    """Resolve ``request.participant`` or refuse: login redirect when anonymous, 403 without a participation."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        participant = current_participant(request)
        if participant is None:
            raise PermissionDenied
        request.participant = participant
        return view(request, *args, **kwargs)

    return wrapper


def get_for_enrolment(queryset, enrolment, **lookup):
    """Fetch one object of the participant's own enrolment, else 404 (never 403: no information leak)."""
    obj = queryset.filter(enrolment=enrolment, **lookup).first()
    if obj is None:
        raise Http404
    return obj
