"""The batch's SMTP session: opened up to EHLO first, then each message transferred over it."""

import functools

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.core.mail.message import sanitize_address


def _open_session(connection: BaseEmailBackend) -> None:
    """Open the SMTP connection and its session up to EHLO, before any message is claimed.

    Django's backend connects but leaves EHLO to the first message's transfer (unless TLS
    or a login needs it first): a server refusing sessions with 421 to EHLO would then be
    charged to the first message of every batch. Here it is a connection failure.
    """
    connection.open()
    smtp = getattr(connection, "connection", None)
    if isinstance(connection, SMTPEmailBackend) and smtp is not None:
        smtp.ehlo_or_helo_if_needed()


def _transfer(connection: BaseEmailBackend, message: EmailMessage) -> None:
    """Send one message over the batch's open connection; raises what smtplib raises.

    A message encoded once for its group goes straight to the open SMTP session, as
    the bytes it already is (Django's backend would parse and re-encode its addresses
    on every message); any other message, or another backend, goes through Django.
    """
    smtp = getattr(connection, "connection", None)
    if isinstance(connection, SMTPEmailBackend) and smtp is not None and (encoded := getattr(message, "encoded", None)):
        smtp.sendmail(_envelope_sender(message.from_email, message.encoding), message.to, encoded)
    else:
        connection.send_messages([message])


@functools.lru_cache(maxsize=16)
def _envelope_sender(from_email: str, encoding: str | None) -> str:
    return sanitize_address(from_email, encoding or settings.DEFAULT_CHARSET)
