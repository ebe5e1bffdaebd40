"""The emails: templates rendered once per group of notifications (see :class:`EmailRenderer`)."""

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import MIMEMixin
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

if TYPE_CHECKING:
    from alliances.models import Notification, Programme

#: What a group's messages attach: ``(filename, content, mimetype)``.
Attachment = tuple[str, bytes | str, str]

#: A value that differs per recipient (a signed link…): computed from the message's notification.
Personal = Callable[["Notification"], str]

#: Fallback for absolute links when neither SITE_URL nor CSRF_TRUSTED_ORIGINS names the site.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"


# --- Emails ----------------------------------------------------------------------------------


def site_url() -> str:
    """The site's address for links in emails (no request in a worker).

    ``SITE_URL`` when the settings define it, else the first trusted origin
    (``CSRF_TRUSTED_ORIGINS``, which a production deployment sets), else the
    embedded default's address.
    """
    configured = getattr(settings, "SITE_URL", "")
    if not configured:
        origins = [o for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", []) if "*" not in o]
        configured = origins[0] if origins else DEFAULT_SITE_URL
    return configured.rstrip("/")


def absolute_url(name: str, *args: object, fallback: str = "/") -> str:
    """Absolute URL of a named route, or of ``fallback`` while that route does not exist yet."""
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        path = fallback
    return f"{site_url()}{path}"


def _message_id(pk: int) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "alliances.localhost"
    return f"<notification.{pk}@{domain}>"


# An address that email headers carry as it is (no quoting, no encoding): the encoded form can take it.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
# A personal value put in the encoded bytes as it is: the same in every part, and in HTML once escaped.
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$()*+,;=%-]{0,500}")


class _Encoded:
    """What Django's email backends read from ``EmailMessage.message()``, already encoded."""

    def __init__(self, data: bytes) -> None:
        self.data = data  # CRLF line endings, as SMTP wants them

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.data if linesep == "\r\n" else self.data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8", "surrogateescape")

    def get_charset(self) -> None:
        return None


class PersonalisedEmail(EmailMultiAlternatives):
    """A message whose MIME encoding was done once for its whole group (see :class:`EmailRenderer`).

    Its subject, bodies, headers and attachments are those of any Django message
    (locmem, file and console backends, tests); ``message()`` returns the group's
    encoded bytes with this recipient put in, instead of encoding it all again.
    """

    encoded: bytes | None = None

    def message(self) -> "MIMEMixin | _Encoded":
        if self.encoded is None:
            mime: MIMEMixin = super().message()  # SafeMIMEText or SafeMIMEMultipart (the stubs say Any)
            return mime
        return _Encoded(self.encoded)


class _Variant:
    """One rendering of a group's templates (with or without a first name) and its encoded form."""

    def __init__(self, subject: str, text: str, html: str, encoded: bytes | None) -> None:
        self.subject, self.text, self.html, self.encoded = subject, text, html, encoded


class EmailRenderer:
    """The emails of one group of notifications (one template, one context, one edition).

    Templates ``emails/<template>_subject.txt``, ``_body.txt`` and ``_body.html`` get
    ``context`` plus ``programme``, ``introduction`` (the edition's email introduction,
    which coordinators edit), ``site_url``, ``profile_url`` (where people choose which
    emails they get) and ``first_name`` (also as ``recipient.first_name``): the only
    thing that varies from one recipient to the next. So each template is rendered
    once per group — with placeholders where the first name goes, and once more
    without a first name (« Bonjour, ») — and the MIME message is encoded once too;
    each message then only gets its recipient's name, address and ids put in. The
    2,000 reminders of a session cost two renderings and two encodings, not 2,000:
    what a batch costs beyond the SMTP transfer is then mostly its records.
    ``attachments`` are ``(filename, content, mimetype)`` triples, shared by the group.

    ``personal`` names the other values that vary per recipient (signed links, say):
    ``{name: function(notification) -> str}``. The templates get a placeholder under
    each name, and so do the headers (``renderer.headers[...] = renderer.placeholder(name)``);
    each message gets the function's value put in (HTML-escaped in the HTML part), the
    same way as the first name. Values should be URL-like (no spaces, no quotes).
    """

    # Private-use characters: they cannot occur in real text, and escaping leaves them as they are.
    TEXT_NAME = "\ue000first_name\ue001"
    HTML_NAME = "\ue000first_name_html\ue001"
    _NAME_MAX_LINE = 800  # room for a first name before a line reaches SMTP's 998 octets

    def __init__(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        programme: "Programme | None" = None,
        attachments: Iterable[Attachment] = (),
        personal: Mapping[str, Personal] | None = None,
    ) -> None:
        self.template = template
        self.attachments = list(attachments)
        self.personal = dict(personal or {})
        self._tag = uuid.uuid4().hex
        profile_url = absolute_url("accounts:profile")
        self.context = {
            "programme": programme,
            "introduction": programme.email_introduction.strip() if programme else "",
            "site_url": site_url(),
            "profile_url": profile_url,
            **context,
            **{name: self.placeholder(name) for name in self.personal},
        }
        self.headers = {"Auto-Submitted": "auto-generated", "List-Unsubscribe": f"<{profile_url}>"}
        tag = self._tag
        self._to = f"to-{tag}@placeholder.invalid"
        self._message_id = f"<id-{tag}@placeholder.invalid>"
        self._notification_id = f"nid-{tag}"
        self._variants: dict[bool, _Variant] = {}

    def placeholder(self, name: str) -> str:
        """What stands for the personal value ``name`` in the group's templates and headers: ASCII,
        so that a header carries it unencoded, and random per group, so that no text holds it."""
        return f"pv-{self._tag}-{name}-pv"

    def _personal_values(self, notification: "Notification") -> dict[str, str]:
        return {self.placeholder(name): value(notification) for name, value in self.personal.items()}

    def _render(self, template_name: str, first_name: str) -> str:
        context = {**self.context, "first_name": first_name, "recipient": {"first_name": first_name}}
        return render_to_string(f"emails/{self.template}_{template_name}", context)

    def _variant(self, named: bool) -> _Variant:
        if named not in self._variants:
            subject = " ".join(self._render("subject.txt", self.TEXT_NAME if named else "").split())
            text = self._render("body.txt", self.TEXT_NAME if named else "")
            html = self._render("body.html", self.HTML_NAME if named else "")
            self._variants[named] = _Variant(subject, text, html, self._encode(subject, text, html))
        return self._variants[named]

    def _encode(self, subject: str, text: str, html: str) -> bytes | None:
        """The group's MIME message with placeholders, or None when they cannot be put in safely."""
        if self.TEXT_NAME in subject:
            return None
        probe = self._message(subject, text, html, to=self._to, message_id=self._message_id, pk=self._notification_id)
        encoded = probe.message().as_bytes(linesep="\r\n")
        expected = {
            self._to.encode(): 1,
            self._message_id.encode(): 1,
            self._notification_id.encode(): 1,
            self.TEXT_NAME.encode(): text.count(self.TEXT_NAME),
            self.HTML_NAME.encode(): html.count(self.HTML_NAME),
        }
        for name in self.personal:
            mark = self.placeholder(name)
            in_headers = sum(str(value).count(mark) for value in self.headers.values())
            expected[mark.encode()] = subject.count(mark) + text.count(mark) + html.count(mark) + in_headers
        if any(encoded.count(marker) != count for marker, count in expected.items()):
            return None  # a part was quoted-printable encoded, a header folded…: encode each message
        markers = [self.TEXT_NAME, self.HTML_NAME, *(self.placeholder(name) for name in self.personal)]
        for marker in (m.encode() for m in markers):
            for line in encoded.split(b"\r\n"):
                if marker in line and len(line) > self._NAME_MAX_LINE:
                    return None
        return encoded

    def _message(
        self,
        subject: str,
        text: str,
        html: str,
        *,
        to: str,
        message_id: str,
        pk: int | str,
        headers: Mapping[str, str] | None = None,
    ) -> PersonalisedEmail:
        message = PersonalisedEmail(
            subject=subject,
            body=text,
            to=[to],
            headers={**(headers or self.headers), "Message-ID": message_id, "X-Alliances-Notification": str(pk)},
        )
        message.attach_alternative(html, "text/html")
        for filename, content, mimetype in self.attachments:
            message.attach(filename, content, mimetype)
        return message

    def email(self, notification: "Notification") -> PersonalisedEmail:
        """The message of one notification of the group, to its recipient."""
        first_name = " ".join(notification.recipient.first_name.split())
        address = notification.recipient.email
        variant = self._variant(bool(first_name))
        message_id = _message_id(notification.pk)
        values = self._personal_values(notification)
        subject, text, html = variant.subject, variant.text.replace(self.TEXT_NAME, first_name), variant.html
        html = html.replace(self.HTML_NAME, escape(first_name))
        headers = dict(self.headers)
        for marker, value in values.items():
            subject, text, html = (
                subject.replace(marker, value),
                text.replace(marker, value),
                html.replace(marker, escape(value)),
            )
            headers = {name: str(header).replace(marker, value) for name, header in headers.items()}
        message = self._message(
            subject, text, html, to=address, message_id=message_id, pk=notification.pk, headers=headers
        )
        plain_values = all(_PLAIN_VALUE.fullmatch(value) for value in values.values())
        if (
            variant.encoded is not None
            and _PLAIN_ADDRESS.fullmatch(address)
            and len(first_name) <= 150
            and plain_values
        ):
            encoded = (
                variant.encoded.replace(self._to.encode(), address.encode())
                .replace(self._message_id.encode(), message_id.encode())
                .replace(self._notification_id.encode(), str(notification.pk).encode())
                .replace(self.TEXT_NAME.encode(), first_name.encode())
                .replace(self.HTML_NAME.encode(), escape(first_name).encode())
            )
            for marker, value in values.items():
                encoded = encoded.replace(marker.encode(), value.encode())
            message.encoded = encoded
        return message


def build_email(
    template: str, context: Mapping[str, Any], *, notification: "Notification", attachments: Iterable[Attachment] = ()
) -> PersonalisedEmail:
    """One message from templates (see :class:`EmailRenderer`, which a source building many
    messages of the same group should use instead: it renders them once)."""
    renderer = EmailRenderer(template, context, programme=notification.programme, attachments=attachments)
    return renderer.email(notification)
