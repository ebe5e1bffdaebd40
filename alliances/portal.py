"""The member portal's home and edition switcher (the core's top layer: it gathers every app).

The home asks each app for what it owes the participant through a small function
of its own (``<app>.portal``), so each app keeps its rules and the home its layout.
Every piece costs a fixed number of queries, whatever the size of the edition.
"""

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from alliances.models import Phase, Step
from evaluation import portal as evaluation_portal
from networks import portal as networks_portal
from networks.access import (
    SESSION_KEY,
    current_participant,
    participant_required,
    request_participations,
)
from networks.models import Participant
from sessions import portal as sessions_portal
from sessions.forms import RsvpForm
from sessions.models import Announcement
from sessions.services import rsvp_is_open

ANNOUNCEMENTS_ON_HOME = 5
# The announcements page is built in another part of the portal: link to it only once it exists.
ANNOUNCEMENTS_URL_NAME = "community:announcements"


class EditionSwitchForm(forms.Form):
    participant = forms.TypedChoiceField(label=gettext_lazy("Édition"), coerce=int)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].choices = [
            (p.pk, f"{p.enrolment.programme.name} — {p.enrolment.network.name}") for p in choices
        ]


def _url_or_none(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _programme_overview(programme, today):
    """The current phase and every phase with its derived progress: one query (the phases, their steps counted)."""
    # Phase.progress reads these counts instead of the steps themselves.
    phases = list(
        Phase.objects.filter(programme=programme)
        .annotate(step_total=Count("steps"), step_done=Count("steps", filter=Q(steps__status=Step.Status.DONE)))
        .order_by("number")
    )
    current = programme.current_phase(today, phases=phases)
    return current, [(phase, phase.progress()) for phase in phases]


def _binome_mates(participant):
    if participant.binome_id is None:
        return None
    return list(
        Participant.objects.filter(binome_id=participant.binome_id)
        .exclude(pk=participant.pk)
        .select_related("user")
        # A binôme belongs to one enrolment: by name, without the default ordering's joins (edition, network).
        .order_by("user__last_name", "user__first_name", "pk")
    )


@participant_required
def home(request):
    participant = request.participant
    enrolment = participant.enrolment
    programme = enrolment.programme
    today = timezone.localdate()
    now = timezone.now()

    current_phase, phases = _programme_overview(programme, today)

    next_session, session_items = sessions_portal.next_session_and_pending_items(participant, now)
    rsvp_form = None
    if next_session is not None:
        registration = next_session.my_registration
        rsvp_form = RsvpForm(initial={"comment": registration.rsvp_comment if registration else ""})

    pending = (
        networks_portal.pending_items(participant) + session_items + evaluation_portal.pending_items(participant, now)
    )
    pending.sort(key=lambda item: (item.due is None, item.due or today, item.label))

    announcements = list(
        Announcement.objects.filter(programme=programme, published_at__lte=now).order_by("-published_at", "-pk")[
            :ANNOUNCEMENTS_ON_HOME
        ]
    )

    my_participations = request_participations(request)  # already loaded by participant_required
    switch_form = None
    if len(my_participations) > 1:
        switch_form = EditionSwitchForm(choices=my_participations, initial={"participant": participant.pk})

    return render(
        request,
        "portal/home.html",
        {
            "participant": participant,
            "programme": programme,
            "network": enrolment.network,
            "current_phase": current_phase,
            "current_phase_progress": current_phase.progress() if current_phase else None,
            "phases": phases,
            "binome_mates": _binome_mates(participant),
            "next_session": next_session,
            "next_session_rsvp_open": next_session is not None and rsvp_is_open(next_session, now),
            "rsvp_form": rsvp_form,
            "pending_items": pending,
            "announcements": announcements,
            "announcements_url": _url_or_none(ANNOUNCEMENTS_URL_NAME) if announcements else None,
            "switch_form": switch_form,
            "today": today,
        },
    )


@participant_required
@require_POST
def switch_edition(request):
    """Make another of the user's participations the current one (kept in the session)."""
    form = EditionSwitchForm(request.POST, choices=request_participations(request))
    if form.is_valid():
        chosen = form.cleaned_data["participant"]
        request.session[SESSION_KEY] = chosen
        label = dict(form.fields["participant"].choices)[chosen]
        messages.success(request, _("Vous travaillez maintenant sur l'édition « %(edition)s ».") % {"edition": label})
    else:
        messages.error(request, _("Choisissez une de vos éditions dans la liste."))
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("portal:home")


def landing(request):
    """Where « / » and a fresh login lead: each person to the space their role opens.

    A participant goes to the portal, a coordinator to the admin, a committee
    member to the committee area, anyone else to their profile; logged out, to
    the login page.
    """
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if current_participant(request) is not None:
        return redirect("portal:home")
    if request.user.is_staff:
        return redirect("admin:index")
    if request.user.committee_seats.exists():
        return redirect("committee:index")
    return redirect("accounts:profile")
