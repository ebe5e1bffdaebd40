"""The member portal's home and edition switcher (mounted at /portail/, URL names ``portal:*``).

The home is the current participation's: networks resolves it (``participant_required``) and
owns the edition switcher; every card and « à faire » item comes from the apps' ``portal.py``
through the core's registry (:func:`alliances.portal.home_context`).
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from alliances.portal import HomePage, home_context
from networks.access import SESSION_KEY, participant_required, request_participations


class EditionSwitchForm(forms.Form):
    participant = forms.TypedChoiceField(label=gettext_lazy("Édition"), coerce=int)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].choices = [
            (p.pk, f"{p.enrolment.programme.name} — {p.enrolment.network.name}") for p in choices
        ]


@participant_required
def home(request):
    participant = request.participant
    programme = participant.enrolment.programme
    now = timezone.now()
    page = HomePage(request=request, participant=participant, programme=programme, now=now, today=timezone.localdate())
    my_participations = request_participations(request)  # already loaded by participant_required
    switch_form = None
    if len(my_participations) > 1:
        switch_form = EditionSwitchForm(choices=my_participations, initial={"participant": participant.pk})
    context = {
        **home_context(page),
        "participant": participant,
        "programme": programme,
        "network": participant.enrolment.network,
        "switch_form": switch_form,
    }
    return render(request, "portal/home.html", context)


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
