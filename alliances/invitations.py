"""Invitations: the email that lets a new person choose their password and enter the portal.

A coordinator invites people (participants, committee members) from the admin;
the CSV import of participants invites the people it adds. The email carries a
link ``/compte/invitation/<uidb64>/<token>/`` to the set-password page
(:class:`alliances.accounts.InvitationAcceptView`).

The token is a :class:`~django.contrib.auth.tokens.PasswordResetTokenGenerator`
with its own salt (a password-reset token is not an invitation token, and the
other way round) and its own validity, :data:`INVITATION_VALIDITY` (7 days,
whatever ``PASSWORD_RESET_TIMEOUT`` says). It is single-use: its hash covers the
password hash and ``last_login``, which both change when the invitation is
accepted; it also covers ``invited_at``, so inviting someone again supersedes the
links sent before.

Absolute links: the email needs the site's address. ``user_invite`` takes it from
the ``request`` when given (an admin action, the admin CSV import), else from
``base_url`` (e.g. ``"https://alliances.example.org"``), else falls back to
:data:`DEFAULT_BASE_URL` — the embedded default's ``http://127.0.0.1:8000``.
Callers that run outside a request (a task, a command) should pass ``base_url``.

This module is part of the core's bottom: it imports no app.
"""

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

INVITATION_VALIDITY = dt.timedelta(days=7)
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens of invitation links: 7 days, single use, superseded by a newer invitation."""

    key_salt = "alliances.invitations.InvitationTokenGenerator"
    validity = INVITATION_VALIDITY

    def _make_hash_value(self, user, timestamp):
        # Django's value covers pk, password hash, last_login, timestamp and email:
        # accepting (which sets the password and logs in) invalidates the token.
        invited_at = "" if user.invited_at is None else int(user.invited_at.timestamp())
        return f"{super()._make_hash_value(user, timestamp)}{invited_at}"

    def check_token(self, user, token):
        """Like Django's check, but against this generator's own validity."""
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - timestamp
        return age <= self.validity.total_seconds()


invitation_token_generator = InvitationTokenGenerator()


def invitation_path(user):
    """The site-relative link of a fresh invitation token for ``user``."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token_generator.make_token(user)
    return reverse("accounts:invitation_accept", kwargs={"uidb64": uidb64, "token": token})


def _absolute(path, *, request=None, base_url=None):
    if request is not None:
        return request.build_absolute_uri(path)
    return f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}{path}"


def user_invite(*, user, invited_by=None, request=None, base_url=None, programme=None, connection=None):
    """Record the invitation on ``user`` and email them the link to choose their password.

    ``programme`` (optional) names the edition in the email; ``connection`` lets a
    caller inviting many people reuse one SMTP connection. Returns the link sent.
    Raises ``ValueError`` for an inactive account: it could not log in anyway.
    """
    if not user.is_active:
        raise ValueError("Inactive users cannot be invited.")
    # Second precision: the token hashes it, and some databases drop microseconds.
    user.invited_at = timezone.now().replace(microsecond=0)
    user.full_clean(exclude=["password"])
    user.save(update_fields=["invited_at"])

    url = _absolute(invitation_path(user), request=request, base_url=base_url)
    context = {
        "user": user,
        "invited_by": invited_by,
        "programme": programme,
        "accept_url": url,
        "validity_days": INVITATION_VALIDITY.days,
        "login_url": _absolute(reverse("accounts:login"), request=request, base_url=base_url),
    }
    subject = " ".join(render_to_string("emails/invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        reply_to=[invited_by.email] if invited_by is not None and invited_by.email else None,
        connection=connection,
    )
    message.attach_alternative(render_to_string("emails/invitation_body.html", context), "text/html")
    message.send()
    return url


def invitation_accept(*, user, password):
    """Set the password the invited person chose and mark the invitation accepted.

    The caller validated ``password`` (Django's SetPasswordForm runs the
    password validators). Changing the password invalidates the token.
    """
    if not user.is_active:
        raise ValidationError(_("Ce compte est désactivé."))
    user.set_password(password)
    user.invitation_accepted_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["password", "invitation_accepted_at"])
    return user


@dataclass
class InvitationBatch:
    sent: int = 0
    inactive: int = 0
    failed: int = 0

    def messages(self):
        """What to tell the coordinator: ``(level, text)`` pairs for ``messages.add_message``."""
        found = []
        if self.sent:
            found.append(
                (
                    messages.SUCCESS,
                    ngettext("%(count)d invitation envoyée.", "%(count)d invitations envoyées.", self.sent)
                    % {"count": self.sent},
                )
            )
        if self.inactive:
            found.append(
                (
                    messages.WARNING,
                    ngettext(
                        "%(count)d compte désactivé n'a pas été invité.",
                        "%(count)d comptes désactivés n'ont pas été invités.",
                        self.inactive,
                    )
                    % {"count": self.inactive},
                )
            )
        if self.failed:
            found.append(
                (
                    messages.ERROR,
                    ngettext(
                        "%(count)d invitation n'a pas pu être envoyée : réessayez plus tard.",
                        "%(count)d invitations n'ont pas pu être envoyées : réessayez plus tard.",
                        self.failed,
                    )
                    % {"count": self.failed},
                )
            )
        return found

    def report(self, modeladmin, request, *, skipped=()):
        """Tell the coordinator, after an admin action: what was sent, what was skipped and why.

        ``skipped`` holds the caller's own ``(count, message)`` pairs, each message with ``%(count)d``.
        """
        for level, text in self.messages():
            modeladmin.message_user(request, text, level)
        skipped = [(count, message) for count, message in skipped if count]
        for count, message in skipped:
            modeladmin.message_user(request, message % {"count": count}, messages.WARNING)
        if not self.messages() and not skipped:
            modeladmin.message_user(request, _("Aucune invitation envoyée."), messages.WARNING)


def users_invite(*, invitations, invited_by=None, request=None, base_url=None):
    """Invite many people through one mail connection: ``invitations`` yields ``(user, programme)`` pairs.

    Each person is invited once even if listed several times; inactive accounts
    are skipped; a failed email is logged and counted, and does not stop the others.
    """
    batch, seen = InvitationBatch(), set()
    if request is not None:
        base_url, request = request.build_absolute_uri("/"), None  # once, outside the per-person guard
    connection = get_connection()
    for user, programme in invitations:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        if not user.is_active:
            batch.inactive += 1
            continue
        try:
            user_invite(
                user=user,
                invited_by=invited_by,
                request=request,
                base_url=base_url,
                programme=programme,
                connection=connection,
            )
        except (smtplib.SMTPException, OSError):  # one person's mail failure must not stop the batch
            logger.exception("Invitation to user %s failed.", user.pk)
            batch.failed += 1
        else:
            batch.sent += 1
    return batch
