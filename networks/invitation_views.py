"""Coordinator pages of the invitations: invite one person in one step, send an invitation again.

Mounted at /coordination/editions/ beside the cockpit (``networks/invitation_urls.py``).
Coordinators of the edition and superusers: logged out → login, a user who coordinates no
edition → 403, an edition (or a participant of an edition) the user does not coordinate → 404.
"""

import datetime as dt
import logging
import smtplib

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliances.access import coordinator_required
from alliances.invitations import user_invite
from networks import services
from networks.forms import OneStepInvitationForm
from networks.models import Participant

logger = logging.getLogger(__name__)

# A second « Renvoyer » within this delay (a double click, two coordinators) sends nothing more.
RESEND_GRACE = dt.timedelta(minutes=2)


def _cockpit_invitations(programme):
    return reverse("cockpit:edition", kwargs={"slug": programme.slug}) + "#invitations"


def _add_service_errors(form, error):
    """A service's ValidationError on the form: on the field it names when the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        field = {"user": "email"}.get(field, field)
        form.add_error(field if field in form.fields else None, errors)


@coordinator_required
def invite(request, slug):
    """The one-step invitation: the account (created or reused), the participation and the e-mail."""
    programme = get_object_or_404(request.coordinated_programmes, slug=slug)
    initial = {}
    enrolment = request.GET.get("enrolment", "")
    if request.method != "POST" and enrolment.isascii() and enrolment.isdigit():
        initial["enrolment"] = enrolment  # selected only if among the edition's choices: no query
    form = OneStepInvitationForm(request.POST or None, programme=programme, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.participant_invite(
                programme=programme,
                enrolment=data["enrolment"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                job_title=data["job_title"],
                binome=data["binome"],
                invited_by=request.user,
                request=request,
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        except IntegrityError:
            # A writer that does not lock the edition (the admin) added this person or filled the
            # binôme between our checks and our insert: nothing was saved nor sent.
            logger.warning("One-step invitation into %s refused by a concurrent write.", programme.pk, exc_info=True)
            form.add_error(
                None,
                _(
                    "Cette personne ou ce binôme vient d'être modifié par une autre opération : rien n'a été "
                    "enregistré ni envoyé. Vérifiez la liste des participants, puis réessayez."
                ),
            )
        else:
            user = invitation.participant.user
            person = {"person": user.get_full_name() or user.email, "email": user.email}
            # « Inviter une autre personne », of the same network: the binôme's other half, often.
            again = reverse("invitations:invite", kwargs={"slug": programme.slug})
            again = f"{again}?enrolment={invitation.participant.enrolment_id}"
            # None: an outer transaction is still open (never in a request: ATOMIC_REQUESTS is off).
            if invitation.sent is not False:
                text = _("Invitation envoyée à %(person)s (%(email)s).") % person
                messages.success(
                    request, format_html('{} <a href="{}">{}</a>', text, again, _("Inviter une autre personne"))
                )
            else:
                text = (
                    _(
                        "%(person)s (%(email)s) a été ajouté(e) à l'édition, mais l'e-mail d'invitation n'a pas pu "
                        "partir : renvoyez-le depuis la liste des invitations ci-dessous."
                    )
                    % person
                )
                messages.warning(request, text)
            return redirect(_cockpit_invitations(programme))
    return render(
        request,
        "networks/coordination/invite.html",
        {
            "programme": programme,
            "form": form,
            "cockpit_url": _cockpit_invitations(programme),
        },
    )


@require_POST
@coordinator_required
def resend(request, slug, participant_pk):
    """« Renvoyer l'invitation »: a fresh link (the older ones stop working), unless already accepted."""
    programme = get_object_or_404(request.coordinated_programmes, slug=slug)
    participant = get_object_or_404(Participant.objects.select_related("user"), pk=participant_pk, programme=programme)
    back = redirect(_cockpit_invitations(programme))
    with transaction.atomic():
        # The account's row locked: a double click or two coordinators send one e-mail, the other is told.
        user = get_user_model().objects.select_for_update().get(pk=participant.user_id)
        person = {"person": user.get_full_name() or user.email, "email": user.email}
        if user.invitation_accepted_at is not None:
            person["date"] = formats.date_format(timezone.localtime(user.invitation_accepted_at), "j F Y")
            messages.info(
                request, _("%(person)s a déjà accepté son invitation le %(date)s : rien n'a été envoyé.") % person
            )
            return back
        if not user.is_active:
            messages.error(
                request,
                _("Le compte de %(person)s est désactivé : réactivez-le avant de renvoyer l'invitation.") % person,
            )
            return back
        if user.invited_at is not None and timezone.now() - user.invited_at < RESEND_GRACE:
            person["time"] = formats.time_format(timezone.localtime(user.invited_at), "H:i")
            messages.info(
                request,
                _("Une invitation vient d'être envoyée à %(person)s (%(time)s) : rien de plus n'a été envoyé.")
                % person,
            )
            return back
        try:
            user_invite(user=user, invited_by=request.user, request=request, programme=programme)
        except (smtplib.SMTPException, OSError):
            logger.exception("Invitation of participant %s failed.", participant.pk)
            transaction.set_rollback(True)
            messages.error(request, _("L'invitation de %(person)s n'a pas pu partir : réessayez plus tard.") % person)
            return back
    messages.success(request, _("Invitation renvoyée à %(person)s (%(email)s).") % person)
    return back
