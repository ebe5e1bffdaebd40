"""Views of the accounts: login by email, logout, password change and reset, invitations, profile.

The profile page and the end of an invitation take each app's part through an extension point,
:data:`account_parts` (``<app>/accounts.py``): a contribution's ``profile(request, data)`` returns
the :class:`ProfilePart` it adds to the page (its forms, saved with the person's own in one
transaction, and the context it sets), and ``after_invitation(user)`` where a newly activated
account lands (a URL name, or None). networks adds the participation (job title, directory).

Login, logout and passwords are Django's own views, with French templates and
the namespaced URL names of ``alliances/account_urls.py``. Failed logins are
throttled by django-axes (see settings, "Users").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.db import transaction
from django.forms import BaseModelForm
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from alliances.access import AuthenticatedHttpRequest
from alliances.forms import EmailAuthenticationForm, ProfileForm
from alliances.invitations import invitation_accept, invitation_token_generator
from alliances.models import User, normalise_email
from alliances.registry import Registry
from alliances.tasks import send_password_reset
from alliances.throttling import client_ip, password_reset_allowed

logger = logging.getLogger(__name__)


@dataclass
class ProfilePart:
    """What one app adds to the profile page: forms (shown after the person's own, saved with it) and template context."""

    forms: list[BaseModelForm[Any]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


class AccountContribution(Protocol):
    key: str

    def profile(self, request: HttpRequest, data: QueryDict | None) -> ProfilePart: ...

    def after_invitation(self, user: User) -> str | None: ...


account_parts: Registry[AccountContribution] = Registry("accounts")


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link or an image cannot log anyone out."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Vous êtes déconnecté(e)."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Queues the reset link and says the same whatever the address (alliances/password_reset.py).

    The page never looks the address up: known or unknown, it counts the request against
    the throttle, queues the task on commit and redirects to the same page, in the same
    time. Beyond the throttle (per address and per client address) it says so, whatever
    the address too. Who gets a link is the task's business: an active account with a
    usable password (invited people who have not chosen one use their invitation).
    """

    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = normalise_email(form.cleaned_data["email"])
        try:
            allowed = password_reset_allowed(email=email, client_ip=client_ip(self.request))
            if allowed:
                send_password_reset.delay_on_commit(
                    email, self.request.build_absolute_uri("/"), translation.get_language()
                )
        except (OSError, KombuOperationalError, RedisError):
            # The cache or the broker is gone for a while: nothing was queued, and the person is told so.
            logger.exception("Password reset request not queued")
            form.add_error(
                None,
                _("L'envoi des e-mails est momentanément indisponible. Réessayez dans quelques minutes."),
            )
            return self.render_to_response(self.get_context_data(form=form), status=503)
        if not allowed:
            form.add_error(
                None,
                _(
                    "Trop de demandes de nouveau mot de passe pour cette adresse ou depuis votre connexion. "
                    "Réessayez dans une heure ; un lien déjà reçu reste valable."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return redirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The link of an invitation: choose a password, then enter the portal.

    Django's password-reset confirmation flow, with the invitation token: the
    token moves from the URL to the session at once (so it never leaks through a
    Referer header), then a valid link shows Django's ``SetPasswordForm`` (the
    password validators apply). An expired, used or wrong link shows a page that
    says so and whom to ask, without a form (``validlink`` is false).
    """

    template_name = "accounts/invitation_accept.html"
    token_generator = invitation_token_generator
    reset_url_token = "choisir-mot-de-passe"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    title = gettext_lazy("Activer votre compte")

    def get_user(self, uidb64: str) -> User | None:
        # A deactivated account's invitation is no longer valid: it could not log in.
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        user = invitation_accept(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        if AxesProxyHandler.is_locked(self.request, credentials={"username": user.email}):
            # A locked account stays locked whatever the page: the password is chosen, the login waits.
            messages.warning(
                self.request,
                _(
                    "Votre mot de passe est enregistré. Après trop de tentatives de connexion, "
                    "ce compte est bloqué pour 15 minutes depuis cette adresse : connectez-vous ensuite."
                ),
            )
            return redirect("accounts:login")
        auth_login(self.request, user, self.post_reset_login_backend)
        messages.success(self.request, _("Bienvenue ! Votre compte est activé."))
        return redirect(self.get_success_url())

    def get_success_url(self) -> str:
        # The first app that claims the new account (networks: a participant → the portal home), else the profile.
        for contribution in account_parts.all():
            destination = contribution.after_invitation(self.user)
            if destination:
                return reverse(destination)
        return reverse("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Any logged-in person edits their names, phone and notifications; each app adds its part (a participation)."""
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, instance=request.user)
    context: dict[str, Any] = {"form": form}
    section_forms: list[BaseModelForm[Any]] = []
    for contribution in account_parts.all():
        part = contribution.profile(request, data)
        section_forms.extend(part.forms)
        context.update(part.context)
    forms_ = [form, *section_forms]
    if request.method == "POST" and all(f.is_valid() for f in forms_):
        with transaction.atomic():
            for f in forms_:
                f.save()
        messages.success(request, _("Profil enregistré."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {**context, "section_forms": section_forms})
