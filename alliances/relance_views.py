"""The « Relancer » page of the cockpit: the preview of a relance, then its sending.

``/coordination/editions/<slug>/relances/<target>/<pk>/``, for the coordinators of the
edition (and superusers), as the cockpit: logged out → login, a user who coordinates no
edition → 403, an edition the user does not coordinate, an unknown target or an object of
another edition → 404. GET shows who would get the e-mail and the e-mail itself (subject
and text editable); POST sends it (:func:`alliances.relances.relance_send`) and goes back
to the cockpit. The form carries a token made when the preview was shown: posting it
twice sends once, and the second answer says when and to how many it went.
"""

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import relances
from alliances.access import coordinator_required
from alliances.fields import TEXT
from alliances.models import Relance


class RelanceForm(forms.Form):
    subject = forms.CharField(label=_("Objet de l'e-mail"), max_length=Relance._meta.get_field("subject").max_length)
    body = forms.CharField(
        label=_("Texte de l'e-mail"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "L'e-mail commence par « Bonjour » et le prénom de chacun, et se termine par le lien pour répondre."
        ),
    )
    token = forms.UUIDField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(label=_("Relancer quand même une nouvelle fois aujourd'hui"), required=False)

    def clean_subject(self):
        return " ".join(self.cleaned_data["subject"].split())  # one line: it becomes a header

    def clean(self):
        cleaned = super().clean()
        if "token" in self.errors:  # a hidden field: its error would not be seen where it is
            del self.errors["token"]
            self.add_error(None, _("Ce formulaire n'est plus valable : rechargez la page de la relance."))
        return cleaned


@coordinator_required
def relance(request, slug, target, pk):
    programme = get_object_or_404(request.coordinated_programmes, slug=slug)
    kind = relances.target_for(target)
    if kind is None:
        raise Http404
    obj = get_object_or_404(kind.queryset(programme), pk=pk)
    now = timezone.now()
    cockpit_url = reverse("cockpit:edition", args=[programme.slug]) + (f"#{kind.anchor}" if kind.anchor else "")
    if request.method == "POST":
        form = RelanceForm(request.POST)
        if form.is_valid():
            try:
                sent, created = relances.relance_send(
                    target=kind,
                    obj=obj,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    request_token=form.cleaned_data["token"],
                    created_by=request.user,
                    confirmed=form.cleaned_data["confirm"],
                    now=now,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if created:
                    count = sent.recipient_count
                    text = ngettext(
                        "Relance envoyée à %(count)d personne.", "Relance envoyée à %(count)d personnes.", count
                    )
                    messages.success(request, text % {"count": count})
                else:
                    messages.info(request, relances.already_sent_message(sent))
                return redirect(cockpit_url)
    else:
        form = RelanceForm(
            initial={"subject": kind.default_subject(obj), "body": kind.default_body(obj), "token": uuid.uuid4()}
        )
    is_open = kind.is_open(obj, now=now)
    recipients = []
    if is_open:
        recipients = list(
            kind.recipients(obj)
            .order_by("network_name", "last_name", "first_name", "email")
            .only("first_name", "last_name", "email")
        )
    earlier = relances.sent_today(obj, now=now)
    context = {
        "programme": programme,
        "target": kind,
        "obj": obj,
        "form": form,
        "is_open": is_open,
        "recipients": recipients,
        "earlier": earlier,
        "earlier_message": relances.sent_today_message(earlier) if earlier else "",
        "cockpit_url": cockpit_url,
    }
    return render(request, "cockpit/relance.html", context)
