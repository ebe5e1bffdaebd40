"""Views of the accounts: login by email, logout, password change and reset, invitations, profile.

Part of the core's top layer (like the URLs): the profile page shows the
participant's part of the profile, which belongs to the networks app.

Login, logout and passwords are Django's own views, with French templates and
the namespaced URL names of ``alliances/account_urls.py``. Failed logins are
throttled by django-axes (see settings, "Users").
"""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from alliances.forms import EmailAuthenticationForm, ProfileForm
from alliances.invitations import invitation_accept, invitation_token_generator
from networks.access import current_participant, participations
from networks.forms_profile import ParticipantProfileForm


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link or an image cannot log anyone out."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("Vous êtes déconnecté(e)."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Sends the reset link to an active account with a usable password, and says the same whatever the address.

    Invited people who have not chosen a password yet get no reset email: their
    invitation (or a new one, from the coordination team) is the way in.
    """

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


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

    def get_user(self, uidb64):
        # A deactivated account's invitation is no longer valid: it could not log in.
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
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

    def get_success_url(self):
        # Participants land on the portal home; a committee member (no participation) on their profile.
        if participations(self.user).exists():
            return reverse("portal:home")
        return reverse("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """Any logged-in person edits their names, phone and notifications; a participant also their participation."""
    participant = current_participant(request)
    request.participant = participant  # the portal's navigation shows when there is one
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, instance=request.user)
    participant_form = ParticipantProfileForm(data, instance=participant) if participant is not None else None
    forms_ = [form] + ([participant_form] if participant_form is not None else [])
    if request.method == "POST" and all(f.is_valid() for f in forms_):
        with transaction.atomic():
            for f in forms_:
                f.save()
        messages.success(request, _("Profil enregistré."))
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "participant_form": participant_form, "participant": participant},
    )
