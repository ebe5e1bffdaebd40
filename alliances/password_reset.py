"""The password reset: who gets a link, and the email that carries it.

The request page (:class:`alliances.accounts.PasswordResetView`) never looks the address
up: it counts the request (:func:`alliances.throttling.password_reset_allowed`), queues
:func:`alliances.tasks.send_password_reset` once the request's transaction commits, and
answers the same page whatever the address. The worker then calls
:func:`password_reset_send`, so neither the answer nor its timing tells whether an
account has the address.

Who gets a link: an active account whose normalised address matches and whose password
is usable. Invited people who have not chosen a password yet get none: their invitation
(or a new one, from the coordination team) is the way in — as in Django's own
``PasswordResetForm.get_users``.

The token is Django's ``default_token_generator`` (``PASSWORD_RESET_TIMEOUT``), made when
the email is built: it is valid until the password changes or a login happens.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from alliances.models import User, normalise_email


def password_reset_recipients(email):
    """The accounts that may receive a reset link for ``email`` (zero or one: addresses are unique)."""
    return User.objects.filter(email=normalise_email(email), is_active=True).exclude(
        password__startswith=UNUSABLE_PASSWORD_PREFIX
    )


def password_reset_message(*, user, base_url, connection=None):
    """The reset email for ``user`` (subject, text and HTML), with a fresh link under ``base_url``."""
    parts = urlsplit(base_url)
    context = {
        "email": user.email,
        "user": user,
        "domain": parts.netloc,
        "site_name": parts.netloc,
        "protocol": parts.scheme or "https",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    subject = " ".join(render_to_string("registration/password_reset_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("registration/password_reset_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        connection=connection,
    )
    message.attach_alternative(render_to_string("registration/password_reset_email.html", context), "text/html")
    return message


def password_reset_send(*, email, base_url, language=None):
    """Email a reset link to the account of ``email``, if there is one that may have it.

    Returns the number of emails sent (0 or 1). SMTP errors propagate: the task decides
    whether to retry.
    """
    sent = 0
    with translation.override(language or settings.LANGUAGE_CODE):
        for user in password_reset_recipients(email):
            password_reset_message(user=user, base_url=base_url).send()
            sent += 1
    return sent
