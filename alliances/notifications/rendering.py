"""The emails: templates rendered once per group of notifications (see :class:`EmailRenderer`)."""

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

#: Fallback for absolute links when neither SITE_URL nor CSRF_TRUSTED_ORIGINS names the site.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"


# --- Emails ----------------------------------------------------------------------------------


def site_url():
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


def absolute_url(name, *args, fallback="/"):
    """Absolute URL of a named route, or of ``fallback`` while that route does not exist yet."""
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        path = fallback
    return f"{site_url()}{path}"


def _message_id(pk):
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "alliances.localhost"
    return f"<notification.{pk}@{domain}>"


class EmailRenderer:
    """The emails of one group of notifications (one template, one context, one edition).

    Templates ``emails/<template>_subject.txt``, ``_body.txt`` and ``_body.html`` get
    ``context`` plus ``programme``, ``introduction`` (the edition's email introduction,
    which coordinators edit), ``site_url``, ``profile_url`` (where people choose which
    emails they get) and ``first_name`` (also as ``recipient.first_name``): the only
    thing that varies from one recipient to the next. So each template is rendered
    once per group — with a placeholder where the first name goes, and once more
    without a first name (« Bonjour, ») — and each message puts its recipient's first
    name in: the 2,000 reminders of a session cost two renderings, not 2,000. Each
    message is then a plain :class:`~django.core.mail.EmailMultiAlternatives`, which
    Django encodes and sends as any other.
    ``attachments`` are ``(filename, content, mimetype)`` triples, shared by the group.
    """

    # Private-use characters: they cannot occur in real text, and escaping leaves them as they are.
    TEXT_NAME = "\ue000first_name\ue001"
    HTML_NAME = "\ue000first_name_html\ue001"

    def __init__(self, template, context, *, programme=None, attachments=()):
        self.template = template
        self.attachments = list(attachments)
        profile_url = absolute_url("accounts:profile")
        self.context = {
            "programme": programme,
            "introduction": programme.email_introduction.strip() if programme else "",
            "site_url": site_url(),
            "profile_url": profile_url,
            **context,
        }
        self.headers = {"Auto-Submitted": "auto-generated", "List-Unsubscribe": f"<{profile_url}>"}
        self._variants = {}

    def _render(self, template_name, first_name):
        context = {**self.context, "first_name": first_name, "recipient": {"first_name": first_name}}
        return render_to_string(f"emails/{self.template}_{template_name}", context)

    def _variant(self, named):
        """``(subject, text, html)`` of the group, with the first name's placeholders or without a name."""
        if named not in self._variants:
            subject = " ".join(self._render("subject.txt", self.TEXT_NAME if named else "").split())
            text = self._render("body.txt", self.TEXT_NAME if named else "")
            html = self._render("body.html", self.HTML_NAME if named else "")
            self._variants[named] = (subject, text, html)
        return self._variants[named]

    def email(self, notification):
        """The message of one notification of the group, to its recipient."""
        first_name = " ".join(notification.recipient.first_name.split())
        subject, text, html = self._variant(bool(first_name))
        message = EmailMultiAlternatives(
            subject=subject.replace(self.TEXT_NAME, first_name),
            body=text.replace(self.TEXT_NAME, first_name),
            to=[notification.recipient.email],
            headers={
                **self.headers,
                "Message-ID": _message_id(notification.pk),
                "X-Alliances-Notification": str(notification.pk),
            },
        )
        message.attach_alternative(html.replace(self.HTML_NAME, escape(first_name)), "text/html")
        for filename, content, mimetype in self.attachments:
            message.attach(filename, content, mimetype)
        return message


def build_email(template, context, *, notification, attachments=()):
    """One message from templates (see :class:`EmailRenderer`, which a source building many
    messages of the same group should use instead: it renders them once)."""
    renderer = EmailRenderer(template, context, programme=notification.programme, attachments=attachments)
    return renderer.email(notification)
