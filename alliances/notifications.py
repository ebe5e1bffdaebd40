"""Notifications: one record per (kind, object, recipient), claimed once, sent in batches.

This is the mechanism every app's reminders and announcements use. It belongs to
the core's bottom and imports no app: each app describes its own notifications
in a ``<app>/reminders.py`` module that subclasses :class:`Source` and registers
it with :func:`register`. Those modules are found the way the admin finds
``admin.py`` modules (:func:`django.utils.module_loading.autodiscover_modules`),
so the core never names an app.

A source answers two questions:

* ``find_due(now=...)``: which notifications are due now? It returns unsaved
  :class:`~alliances.models.Notification` rows (:func:`due` builds one). The
  periodic job inserts them with ``ON CONFLICT DO NOTHING``: a row that already
  exists (sent, pending, failed...) is left alone, so finding the same reminder
  on every run is harmless.
* ``build(notifications, now=...)``: the email of each notification, or
  :data:`CANCEL` when it is no longer wanted (the person declined, switched the
  reminders off, the session has started...), or :class:`Defer` when it is not
  due yet after all (the session was moved later). It is called at send time,
  with every pending notification of the source in the batch, so a source
  fetches what it needs once per batch (one query per model, not per message).

Exactly once
------------
The database, not the broker, is the source of truth.

1. *Recording.* The unique constraint on (kind, content type, object id,
   recipient) means there is at most one row, hence at most one message, per
   reminder — whichever job, worker or retry finds it, however many times.
2. *Claiming.* Right before its SMTP transfer, a message is claimed with a
   conditional UPDATE (``status = pending → sending`` with a fresh claim token,
   :func:`_claim`); the sender proceeds only if that UPDATE changed one row.
   The database serialises concurrent UPDATEs of a row (PostgreSQL re-checks the
   WHERE clause once the first transaction commits; SQLite has one writer), so
   of two workers holding the same ids — the same chunk delivered twice, a retry
   racing the periodic job — exactly one sends each message.
3. *Recording the send.* Right after the message's own transfer (one message
   at a time over the batch's open connection), the row is marked sent, on the
   condition that it still carries our claim token — in the same UPDATE that
   claims the next message, so one statement and one commit per message, and
   always before the next transfer starts. Should the database be unreachable
   then (restarted, failed over, connection cut), that record is retried on a
   fresh connection for up to :func:`record_retry_budget` seconds (120 s, a fifth
   of the lease: the claim is still ours), and a claim the failed statement may
   have committed for the next message is given back; then the batch ends and
   its task retries the rest (:data:`DATABASE_BACKOFF`).
4. *Recovering.* A claim is a lease of :func:`claim_timeout` seconds (10 minutes
   by default, setting ``NOTIFICATIONS_CLAIM_TIMEOUT``). A worker that crashes
   (SIGKILL, machine lost) between claiming and recording leaves a row in
   « sending »; the periodic job puts such stale claims back to « pending »
   (:func:`release_stale_claims`) and sends them again. The lease is longer than
   Celery's hard time limit (6 minutes) and than the SMTP timeout, so a live
   worker never loses a claim it is still using. Rows of a killed batch that
   were not claimed yet are still « pending »: the next run simply sends them.

THE DUPLICATE WINDOW. SMTP has no two-phase commit: between the server taking
a message and the database recording it there is always a moment, and no
protocol closes it. These are the only cases that can still send a message
twice, each at most one message per worker process sending at that moment:

a. the worker dies (SIGKILL, machine lost, Celery's hard time limit) after the
   server answered 250 to DATA and before step 3's record commits: the row is
   left « sending », its lease expires and it is sent again;
b. the SMTP connection breaks after the message's data went out but before the
   server's 250 came back (a hang-up or a timeout at that very point): the
   server may have taken it, the batch cannot know, and retries it;
c. the database stays unreachable for longer than :func:`record_retry_budget`
   (120 s) right after a transfer: as in (a). An outage shorter than that
   duplicates nothing;
d. a worker frozen (a paused VM, SIGSTOP) between claim and record for longer
   than the lease: its claim is released and another worker sends the message
   too; equally, a ``NOTIFICATIONS_CLAIM_TIMEOUT`` set shorter than a transfer.

Outside the protocol, restoring a database backup older than some sends makes
them due again, and « Renvoyer » in the admin sends again on purpose. Each
message carries a stable ``Message-ID`` (``<notification.<id>@…>``), which lets
mail clients and servers that deduplicate on it drop a second copy.

Failures
--------
* The database unreachable: the Celery tasks (the batch and the periodic job)
  retry after :data:`DATABASE_BACKOFF` (5, 10, 20, then every 30 s, about 14
  minutes in all), so that what an outage stranded goes out within 30 s of the
  database's return; past that, the periodic job finds the rows, still pending.
* Permanent (a 5xx answer, e.g. 550 unknown recipient): the row becomes
  « échec » with the server's answer in ``last_error``; coordinators see it in
  the admin's email log and can resend it (action « Renvoyer »).
* Transient for one message (a 4xx answer, e.g. 451 greylisting): the row goes
  back to « pending » with ``attempts + 1`` and ``due_at`` pushed back along
  :data:`RETRY_BACKOFF`; after :data:`MAX_ATTEMPTS` attempts it becomes
  « échec ».
* Transient for the connection (server unreachable, refusing the session with
  421 at its greeting or EHLO, hanging up, timing out, or answering 421 at any
  point): the batch stops; its remaining messages, and the one being
  transferred, go back to « pending » with ``due_at`` pushed back along
  :data:`CONNECTION_BACKOFF` (15 s, 30 s, 45 s… 5 min), without counting an
  attempt: the server is at fault, not the message. The session is opened up to
  EHLO before any message is claimed, so a server that refuses sessions never
  charges the first message of a batch. The message that was being
  transferred goes last in the retry, so that one which makes the server hang up
  every time cannot hold back the others. The Celery task retries them after
  that backoff and, should that retry be lost, the periodic job finds them
  anyway once they are due again.

Delivery
--------
A batch (:func:`send_batch`) opens one SMTP connection and sends its messages
one after the other over it, recording each right after its own transfer.
The periodic job (:func:`run`) finds what is due and hands the ids out in
chunks of :func:`batch_size` (200 by default, setting
``NOTIFICATIONS_BATCH_SIZE``), one Celery task per chunk, so several workers on
several machines share a large run.

The messages of one group (one kind, one object: the 2,000 reminders of a
session) are rendered and MIME-encoded once, then each gets its recipient's
name, address and ids put in (:class:`EmailRenderer`); what a message costs
beyond its SMTP transfer is then essentially its one database statement.
``bench/reminders.py`` measures it against plain smtplib.
"""

import datetime as dt
import functools
import logging
import re
import smtplib
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import parseaddr

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.module_loading import autodiscover_modules

from alliances.models import Notification

logger = logging.getLogger(__name__)

Status = Notification.Status

#: Delays (seconds) before the next attempt after a transient failure of one message (a 4xx answer to its
#: own commands, e.g. 451 greylisting): 1 min, 5 min, 15 min, 30 min; each counts an attempt.
#: Every delay here is far below the broker's visibility timeout (1 hour), as Celery countdowns must be.
RETRY_BACKOFF = (60, 300, 900, 1800)
#: Delays before retrying a batch after a connection-level failure (server unreachable, hanging up, 421):
#: the server is at fault, not a message, so no attempt is counted, and the first retries come soon. A 60 s
#: outage then delays delivery by at most 90 s (retries 15, 45 and 90 s after the failure), instead of the
#: 6 minutes that RETRY_BACKOFF's 60 then 300 s gave; a long outage is probed every 5 minutes.
CONNECTION_BACKOFF = (15, 30, 45, 60, 120, 300)
#: Retries in a row after connection-level failures (about 10 minutes in all) before the batch task lets
#: the periodic job (every 15 minutes) find the rows, which are still pending.
CONNECTION_RETRIES = len(CONNECTION_BACKOFF)
#: A message that failed transiently this many times (or whose worker crashed this many times) fails for good.
MAX_ATTEMPTS = 5
DEFAULT_CLAIM_TIMEOUT = 600
#: A database that is unreachable or dropped the connection (not a wrong query): worth retrying.
DATABASE_ERRORS = (OperationalError, InterfaceError)
#: Delays (seconds) before the batch task, or the periodic job, runs again after a database error:
#: 5, 10, 20, then every 30 s, so that what an outage stranded goes out within 30 s of the return.
DATABASE_BACKOFF = (5, 10, 20, 30)
#: Retries after database errors (about 14 minutes), after which the next periodic run finds the rows.
DATABASE_RETRIES = 30
#: How long at most (seconds) a batch keeps retrying, while the database is unreachable, to record
#: the « sent » of a message already transferred (:func:`record_retry_budget`).
RECORD_RETRY_SECONDS = 120
DEFAULT_BATCH_SIZE = 200
DEFAULT_SMTP_TIMEOUT = 30
#: Reminders « J-n » leave at this local time, n days before the event's day.
REMINDER_TIME = dt.time(8, 0)
#: Fallback for absolute links when neither SITE_URL nor CSRF_TRUSTED_ORIGINS names the site.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"

STALE_CLAIM_ERROR = "Prise en charge expirée : l'envoi a été interrompu (arrêt du worker), nouvel essai."


def claim_timeout():
    """Seconds after which a claim left in « sending » is considered abandoned by a crashed worker."""
    return int(getattr(settings, "NOTIFICATIONS_CLAIM_TIMEOUT", DEFAULT_CLAIM_TIMEOUT))


def record_retry_budget():
    """Seconds a batch retries recording a transferred message while the database is unreachable.

    ``RECORD_RETRY_SECONDS`` (120 s: an outage shorter than that duplicates nothing), never more
    than a fifth of the claim lease: the claim is still ours when the record finally goes in, and
    the batch ends well within Celery's soft time limit (5 minutes).
    """
    return min(RECORD_RETRY_SECONDS, claim_timeout() / 5)


def database_backoff(retry):
    """Seconds to wait before retry number ``retry`` (≥ 1) after database errors in a row."""
    return DATABASE_BACKOFF[min(max(retry, 1), len(DATABASE_BACKOFF)) - 1]


def drop_database_connection():
    """Close the connection after a database error, so that the next query opens a fresh one.

    Not inside a caller's transaction (``atomic``): closing it would break that transaction,
    and a query inside it cannot succeed anyway until it is rolled back.
    """
    if db_connection.in_atomic_block:
        return
    try:
        db_connection.close()
    except DatabaseError:  # closing a broken connection must not hide the error being handled
        logger.debug("Error while closing a broken database connection", exc_info=True)


def batch_size():
    """How many notifications one task (one SMTP connection) sends."""
    return max(1, int(getattr(settings, "NOTIFICATIONS_BATCH_SIZE", DEFAULT_BATCH_SIZE)))


def backoff(attempt):
    """Seconds to wait before attempt number ``attempt + 1`` (``attempt`` ≥ 1)."""
    return RETRY_BACKOFF[min(max(attempt, 1), len(RETRY_BACKOFF)) - 1]


def connection_backoff(retry):
    """Seconds to wait before retry number ``retry`` (≥ 1) after connection-level failures in a row."""
    return CONNECTION_BACKOFF[min(max(retry, 1), len(CONNECTION_BACKOFF)) - 1]


# --- Sources: what each app sends ------------------------------------------------------------


class Defer:
    """A notification that is not due yet after all: it stays pending until ``until``."""

    __slots__ = ("until",)

    def __init__(self, until):
        self.until = until

    def __repr__(self):
        return f"Defer({self.until!r})"


#: What ``Source.build`` returns for a notification that is no longer wanted.
CANCEL = None


class Source:
    """One family of notifications (``kind`` is the part of ``Notification.kind`` before any ``:``).

    Subclass it in ``<app>/reminders.py``, decorate the class with :func:`register`
    and implement :meth:`find_due` and :meth:`build`.
    """

    kind = ""

    def find_due(self, *, now):
        """Unsaved notifications due at ``now`` (:func:`due` builds one); existing ones are skipped."""
        raise NotImplementedError

    def build(self, notifications, *, now):
        """``{notification.pk: EmailMultiAlternatives | CANCEL | Defer(...)}`` for pending notifications.

        ``notifications`` come with ``recipient`` and ``programme`` loaded. A
        notification missing from the result is cancelled.
        """
        raise NotImplementedError


_registry = {}
_discovered = False


def register(source_class):
    """Class decorator: make a :class:`Source` known to the periodic job."""
    source = source_class()
    if not source.kind or ":" in source.kind:
        raise ValueError(f"{source_class.__name__}.kind must be a non-empty name without ':'.")
    _registry[source.kind] = source
    return source_class


def sources():
    """Every registered source, after importing each installed app's ``reminders`` module once."""
    global _discovered
    if not _discovered:
        autodiscover_modules("reminders")
        _discovered = True
    return list(_registry.values())


def source_for(kind):
    sources()
    return _registry.get(kind.split(":", 1)[0])


def due(obj, *, kind, recipient_id, programme_id=None, due_at):
    """An unsaved notification of ``kind`` about ``obj`` for one recipient."""
    return Notification(
        kind=kind,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        recipient_id=recipient_id,
        programme_id=programme_id,
        due_at=due_at,
    )


def group_by_object(notifications):
    """``{(kind, object_id): [notifications]}``: a source builds what one object needs once per group."""
    groups = defaultdict(list)
    for notification in notifications:
        groups[(notification.kind, notification.object_id)].append(notification)
    return groups


def offset_of(kind):
    """The number of days in a kind such as ``session_reminder:7``."""
    return int(kind.rsplit(":", 1)[1])


# --- Reminders « J-n » ---------------------------------------------------------------------


def reminder_due_at(day, days_before):
    """When the reminder « J-``days_before`` » of an event on ``day`` leaves: that morning, local time."""
    moment = dt.datetime.combine(day - dt.timedelta(days=days_before), REMINDER_TIME)
    return timezone.make_aware(moment, timezone.get_default_timezone())


def current_offset(day, offsets, *, now, deadline):
    """The reminder that should go out at ``now``: the smallest offset whose time has come, else None.

    None too once ``deadline`` (the event's start) has passed. Only the latest
    due reminder is sent: an event created 3 days ahead gets its « J-7 » message
    now and its « J-1 » the day before, never two messages at once.
    """
    if day is None or deadline is None or now >= deadline:
        return None
    passed = [days for days in offsets if reminder_due_at(day, days) <= now]
    return min(passed) if passed else None


def reminder_outcome(kind, day, offsets, *, now, deadline):
    """At send time: ``True`` to send the reminder ``kind`` (``…:n``), else CANCEL or Defer.

    Cancelled when the event has started, when the offset was removed from the
    edition's settings, or when a later reminder superseded it; deferred when
    the event was moved later and this reminder is not due yet.
    """
    days = offset_of(kind)
    if day is None or deadline is None or now >= deadline or days not in offsets:
        return CANCEL
    current = current_offset(day, offsets, now=now, deadline=deadline)
    if current == days:
        return True
    if current is None or current > days:
        return Defer(reminder_due_at(day, days))
    return CANCEL


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


# An address that email headers carry as it is (no quoting, no encoding): the encoded form can take it.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


class _Encoded:
    """What Django's email backends read from ``EmailMessage.message()``, already encoded."""

    def __init__(self, data):
        self.data = data  # CRLF line endings, as SMTP wants them

    def as_bytes(self, unixfrom=False, linesep="\n"):
        return self.data if linesep == "\r\n" else self.data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom=False, linesep="\n"):
        return self.as_bytes(linesep=linesep).decode("utf-8", "surrogateescape")

    def get_charset(self):
        return None


class PersonalisedEmail(EmailMultiAlternatives):
    """A message whose MIME encoding was done once for its whole group (see :class:`EmailRenderer`).

    Its subject, bodies, headers and attachments are those of any Django message
    (locmem, file and console backends, tests); ``message()`` returns the group's
    encoded bytes with this recipient put in, instead of encoding it all again.
    """

    encoded = None

    def message(self):
        if self.encoded is None:
            return super().message()
        return _Encoded(self.encoded)


class _Variant:
    """One rendering of a group's templates (with or without a first name) and its encoded form."""

    def __init__(self, subject, text, html, encoded):
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
    """

    # Private-use characters: they cannot occur in real text, and escaping leaves them as they are.
    TEXT_NAME = "\ue000first_name\ue001"
    HTML_NAME = "\ue000first_name_html\ue001"
    _NAME_MAX_LINE = 800  # room for a first name before a line reaches SMTP's 998 octets

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
        tag = uuid.uuid4().hex
        self._to = f"to-{tag}@placeholder.invalid"
        self._message_id = f"<id-{tag}@placeholder.invalid>"
        self._notification_id = f"nid-{tag}"
        self._variants = {}

    def _render(self, template_name, first_name):
        context = {**self.context, "first_name": first_name, "recipient": {"first_name": first_name}}
        return render_to_string(f"emails/{self.template}_{template_name}", context)

    def _variant(self, named):
        if named not in self._variants:
            subject = " ".join(self._render("subject.txt", self.TEXT_NAME if named else "").split())
            text = self._render("body.txt", self.TEXT_NAME if named else "")
            html = self._render("body.html", self.HTML_NAME if named else "")
            self._variants[named] = _Variant(subject, text, html, self._encode(subject, text, html))
        return self._variants[named]

    def _encode(self, subject, text, html):
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
        if any(encoded.count(marker) != count for marker, count in expected.items()):
            return None  # a part was quoted-printable encoded, a header folded…: encode each message
        for marker in (self.TEXT_NAME.encode(), self.HTML_NAME.encode()):
            for line in encoded.split(b"\r\n"):
                if marker in line and len(line) > self._NAME_MAX_LINE:
                    return None
        return encoded

    def _message(self, subject, text, html, *, to, message_id, pk):
        message = PersonalisedEmail(
            subject=subject,
            body=text,
            to=[to],
            headers={**self.headers, "Message-ID": message_id, "X-Alliances-Notification": str(pk)},
        )
        message.attach_alternative(html, "text/html")
        for filename, content, mimetype in self.attachments:
            message.attach(filename, content, mimetype)
        return message

    def email(self, notification):
        """The message of one notification of the group, to its recipient."""
        first_name = " ".join(notification.recipient.first_name.split())
        address = notification.recipient.email
        variant = self._variant(bool(first_name))
        message_id = _message_id(notification.pk)
        message = self._message(
            variant.subject,
            variant.text.replace(self.TEXT_NAME, first_name),
            variant.html.replace(self.HTML_NAME, escape(first_name)),
            to=address,
            message_id=message_id,
            pk=notification.pk,
        )
        if variant.encoded is not None and _PLAIN_ADDRESS.fullmatch(address) and len(first_name) <= 150:
            message.encoded = (
                variant.encoded.replace(self._to.encode(), address.encode())
                .replace(self._message_id.encode(), message_id.encode())
                .replace(self._notification_id.encode(), str(notification.pk).encode())
                .replace(self.TEXT_NAME.encode(), first_name.encode())
                .replace(self.HTML_NAME.encode(), escape(first_name).encode())
            )
        return message


def build_email(template, context, *, notification, attachments=()):
    """One message from templates (see :class:`EmailRenderer`, which a source building many
    messages of the same group should use instead: it renders them once)."""
    renderer = EmailRenderer(template, context, programme=notification.programme, attachments=attachments)
    return renderer.email(notification)


# --- Finding what is due ---------------------------------------------------------------------


def _existing_keys(candidates):
    """(kind, content type, object, recipient) of the candidates that already have a row."""
    if not candidates:
        return set()
    kinds = {c.kind for c in candidates}
    objects = {c.object_id for c in candidates}
    rows = Notification.objects.filter(kind__in=kinds, object_id__in=objects).values_list(
        "kind", "content_type_id", "object_id", "recipient_id"
    )
    return set(rows)


def _key(notification):
    return (notification.kind, notification.content_type_id, notification.object_id, notification.recipient_id)


def find_candidates(*, now):
    """``(candidates, errors)``: what every source finds due; a failing source does not stop the others."""
    candidates, errors = [], []
    for source in sources():
        try:
            candidates.extend(source.find_due(now=now))
        except DatabaseError:
            raise
        except Exception as exc:  # a bug in one app's reminders must not stop the others' reminders
            logger.exception("Notification source %r failed to find due notifications", source.kind)
            errors.append(f"{source.kind}: {exc!r}")
    return candidates, errors


def create_due(*, now, candidates=None):
    """Record every due notification not recorded yet; returns how many rows were added.

    Idempotent and safe concurrently: ``INSERT … ON CONFLICT DO NOTHING`` under
    the unique constraint (the count of added rows is approximate when two runs race).
    """
    if candidates is None:
        candidates, _errors = find_candidates(now=now)
    existing = _existing_keys(candidates)
    new = [c for c in candidates if _key(c) not in existing]
    Notification.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new)


def release_stale_claims(*, now):
    """Put claims abandoned by a crashed worker back to « pending » (see THE DUPLICATE WINDOW above).

    A row whose worker crashed ``MAX_ATTEMPTS`` times fails for good instead.
    Returns how many rows were released.
    """
    cutoff = now - dt.timedelta(seconds=claim_timeout())
    stale = Notification.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
    stale.filter(attempts__gte=MAX_ATTEMPTS - 1).update(
        status=Status.FAILED,
        claim_token=None,
        attempts=F("attempts") + 1,
        last_error=STALE_CLAIM_ERROR + " Abandonné après plusieurs tentatives.",
    )
    return stale.update(
        status=Status.PENDING,
        claim_token=None,
        claimed_at=None,
        attempts=F("attempts") + 1,
        last_error=STALE_CLAIM_ERROR,
    )


def due_ids(*, now):
    """Ids of the pending notifications due at ``now``, oldest first."""
    return list(
        Notification.objects.filter(status=Status.PENDING, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )


def chunked(ids, size):
    ids = list(ids)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


@dataclass
class RunReport:
    created: int = 0
    released: int = 0
    due: int = 0
    batches: int = 0
    errors: list = field(default_factory=list)

    def as_dict(self):
        return {
            "created": self.created,
            "released": self.released,
            "due": self.due,
            "batches": self.batches,
            "errors": self.errors,
        }


def run(*, dispatch, now=None):
    """The periodic job: record what is due, recover stale claims, hand the due ids out in chunks.

    ``dispatch(ids)`` sends one chunk: the Celery task queues ``send_notifications``
    (after commit) so that workers share the chunks; ``send_reminders`` may call
    :func:`send_batch` in-process. Safe to run twice, or on two machines at once.
    """
    now = now or timezone.now()
    report = RunReport()
    candidates, report.errors = find_candidates(now=now)
    with transaction.atomic():
        report.created = create_due(now=now, candidates=candidates)
        report.released = release_stale_claims(now=now)
    ids = due_ids(now=now)
    report.due = len(ids)
    for chunk in chunked(ids, batch_size()):
        dispatch(chunk)
        report.batches += 1
    return report


@dataclass
class Planned:
    """What a dry run reports: one notification that would be sent."""

    kind: str
    recipient: object
    obj: object
    due_at: dt.datetime
    recorded: bool


def plan(*, now=None):
    """What :func:`run` would send at ``now``, without writing anything (``send_reminders --dry-run``).

    Returns ``(planned, released, errors)``: the notifications that would be sent (new
    ones and recorded pending ones), how many stale claims would be released, and
    the sources that failed.
    """
    now = now or timezone.now()
    candidates, errors = find_candidates(now=now)
    existing = _existing_keys(candidates)
    new = [c for c in candidates if _key(c) not in existing]
    pending = list(Notification.objects.filter(status=Status.PENDING, due_at__lte=now).order_by("due_at", "pk"))
    stale = Notification.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - dt.timedelta(seconds=claim_timeout())
    )
    pending += list(stale)
    everything = new + pending
    objects = _load_objects(everything)
    users = _load_users({n.recipient_id for n in everything})
    planned = [
        Planned(
            kind=n.kind,
            recipient=users.get(n.recipient_id),
            obj=objects.get((n.content_type_id, n.object_id)),
            due_at=n.due_at,
            recorded=n.pk is not None,
        )
        for n in everything
    ]
    return planned, stale.count(), errors


def _load_objects(notifications):
    by_type = defaultdict(set)
    for n in notifications:
        by_type[n.content_type_id].add(n.object_id)
    found = {}
    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        for pk, obj in model._default_manager.in_bulk(ids).items():
            found[(content_type_id, pk)] = obj
    return found


def _load_users(ids):
    from django.contrib.auth import get_user_model

    return get_user_model()._default_manager.in_bulk(ids)


# --- Sending ---------------------------------------------------------------------------------

PERMANENT, TRANSIENT, CONNECTION = "permanent", "transient", "connection"


def classify(exc):
    """How an exception raised while sending one message is handled: PERMANENT, TRANSIENT or CONNECTION.

    * 5xx answers are permanent for this message (550 unknown recipient, 552, 554);
    * 4xx answers are transient for this message (451, 452 greylisting, mailbox busy),
      except 421, the server closing the connection;
    * a lost or refused connection, a timeout, a TLS error: the whole batch waits.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        if codes and all(400 <= code < 500 for code in codes):
            return CONNECTION if 421 in codes else TRANSIENT
        return PERMANENT
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected | smtplib.SMTPAuthenticationError):
        return CONNECTION
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code == 421:
            return CONNECTION
        return TRANSIENT if 400 <= exc.smtp_code < 500 else PERMANENT
    if isinstance(exc, OSError | smtplib.SMTPException):  # sockets, timeouts, TLS
        return CONNECTION
    return PERMANENT  # the message itself cannot be sent (e.g. it cannot be encoded)


def describe_error(exc):
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = []
        for address, (code, message) in exc.recipients.items():
            text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
            parts.append(f"{address} : {code} {text}")
        return "Destinataire refusé — " + " ; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"Réponse du serveur SMTP : {exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"[:2000]


@dataclass
class BatchReport:
    sent: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    cancelled: list = field(default_factory=list)
    deferred: list = field(default_factory=list)
    retry_ids: list = field(default_factory=list)
    retry_in: int | None = None
    #: The SMTP connection failed (its retry follows CONNECTION_BACKOFF, not a message's attempts).
    connection_failed: bool = False
    skipped: int = 0
    connections: int = 0

    def as_dict(self):
        return {
            "sent": len(self.sent),
            "failed": len(self.failed),
            "cancelled": len(self.cancelled),
            "deferred": len(self.deferred),
            "retry": len(self.retry_ids),
            "retry_in": self.retry_in,
            "connection_failed": self.connection_failed,
            "skipped": self.skipped,
        }


class _BuildFailure:
    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


def _build(notifications, *, now):
    by_source = defaultdict(list)
    outcomes = {}
    for notification in notifications:
        source = source_for(notification.kind)
        if source is None:
            outcomes[notification.pk] = _BuildFailure(f"Type de notification inconnu : {notification.kind}")
        else:
            by_source[source].append(notification)
    for source, items in by_source.items():
        try:
            built = source.build(items, now=now)
        except DatabaseError:
            raise
        except Exception as exc:  # a template or code error: visible in the email log, resendable once fixed
            logger.exception("Notification source %r failed to build its emails", source.kind)
            built = {n.pk: _BuildFailure(f"Impossible de préparer le message : {exc!r}"[:2000]) for n in items}
        for notification in items:
            outcomes[notification.pk] = built.get(notification.pk, CANCEL)
    return outcomes


def _claim(pk, token, now):
    """The claim: proceed only if this UPDATE changed the row (nobody else has it, or sent it).

    ``now`` is the moment of the claim (its lease starts then), not the batch's start.
    """
    return (
        Notification.objects.filter(pk=pk, status=Status.PENDING).update(
            status=Status.SENDING, claim_token=token, claimed_at=now
        )
        == 1
    )


def _mark_sent(pk, token):
    Notification.objects.filter(pk=pk, claim_token=token).update(
        status=Status.SENT, sent_at=timezone.now(), claim_token=None, last_error=""
    )


def _mark_sent_and_claim(sent, pk, token, now):
    """Record ``sent`` (notification, token) as sent and claim ``pk``: one statement, one commit.

    Plain SQL: the ORM spends more time composing this conditional UPDATE than the
    database spends running it, and it runs once per message.
    """
    sent_notification, sent_token = sent
    meta = Notification._meta
    quote = db_connection.ops.quote_name
    uuid_cast = "::uuid" if db_connection.vendor == "postgresql" else ""
    columns = {name: quote(meta.get_field(name).column) for name in ("status", "sent_at", "claim_token", "claimed_at")}
    last_error, pk_column = quote(meta.get_field("last_error").column), quote(meta.pk.column)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "
        f"{columns['status']} = CASE WHEN {pk_column} = %s THEN %s ELSE %s END, "
        f"{columns['sent_at']} = CASE WHEN {pk_column} = %s THEN %s ELSE {columns['sent_at']} END, "
        f"{columns['claim_token']} = CASE WHEN {pk_column} = %s THEN NULL ELSE %s{uuid_cast} END, "
        f"{columns['claimed_at']} = CASE WHEN {pk_column} = %s THEN {columns['claimed_at']} ELSE %s END, "
        f"{last_error} = CASE WHEN {pk_column} = %s THEN '' ELSE {last_error} END "
        f"WHERE ({pk_column} = %s AND {columns['claim_token']} = %s{uuid_cast}) "
        f"OR ({pk_column} = %s AND {columns['status']} = %s)"
    )
    token_field, date_field = meta.get_field("claim_token"), meta.get_field("sent_at")
    done = sent_notification.pk
    params = [
        *(done, Status.SENT.value, Status.SENDING.value),
        *(done, date_field.get_db_prep_value(timezone.now(), db_connection)),
        *(done, token_field.get_db_prep_value(token, db_connection)),
        *(done, date_field.get_db_prep_value(now, db_connection)),
        done,
        *(done, token_field.get_db_prep_value(sent_token, db_connection)),
        *(pk, Status.PENDING.value),
    ]
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed = cursor.rowcount
    if changed == 2:
        return True
    # Rare: the claim failed (another worker has this one), or the record did (our claim had expired).
    return changed == 1 and Notification.objects.filter(pk=pk, claim_token=token).exists()


def _release_claim(pk, token):
    """Give back a claim whose message was not transferred: pending again, no attempt counted."""
    Notification.objects.filter(pk=pk, claim_token=token).update(
        status=Status.PENDING, claim_token=None, claimed_at=None
    )


def _mark_failed(pk, token, error):
    Notification.objects.filter(pk=pk, claim_token=token).update(
        status=Status.FAILED, claim_token=None, attempts=F("attempts") + 1, last_error=error
    )


def _release_for_retry(notification, token, error, now):
    """A transient failure of this message: pending again later, or failed after MAX_ATTEMPTS."""
    attempts = notification.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _mark_failed(notification.pk, token, f"{error} (abandon après {attempts} tentatives)")
        return None
    retry_at = now + dt.timedelta(seconds=backoff(attempts))
    Notification.objects.filter(pk=notification.pk, claim_token=token).update(
        status=Status.PENDING,
        claim_token=None,
        claimed_at=None,
        attempts=attempts,
        due_at=retry_at,
        last_error=error,
    )
    return retry_at


def _settle_unsendable(notification, outcome, report):
    """Cancel, defer or fail a notification that will not be sent now (if it is still pending).

    Returns the status it got (« cancelled », « deferred », « failed »), or None when
    another worker had already dealt with it.
    """
    pending = Notification.objects.filter(pk=notification.pk, status=Status.PENDING)
    if isinstance(outcome, Defer):
        changed, status, bucket = pending.update(due_at=outcome.until), "deferred", report.deferred
    elif isinstance(outcome, _BuildFailure):
        changed = pending.update(status=Status.FAILED, attempts=F("attempts") + 1, last_error=outcome.error)
        status, bucket = "failed", report.failed
    else:
        changed, status, bucket = pending.update(status=Status.CANCELLED), "cancelled", report.cancelled
    if not changed:
        return None
    bucket.append(notification)
    return status


def send_batch(ids, *, now=None, connection_retries=0, connection=None, on_result=None):
    """Send the pending, due notifications among ``ids``, in that order, over one SMTP connection.

    Each message is claimed right before its transfer and recorded right after
    it (see the module docstring for why this is exactly once but for one
    window). ``on_result(notification, status, error)`` is called after each
    outcome (``send_reminders`` prints them). Returns a :class:`BatchReport`;
    its ``retry_ids`` went back to « pending » after a transient failure and are
    due again in ``retry_in`` seconds. ``connection_retries`` says how many
    connection-level failures in a row preceded this batch (the Celery task's
    retries): it picks the step of :data:`CONNECTION_BACKOFF`.
    """
    now = now or timezone.now()
    report = BatchReport()
    order = {pk: position for position, pk in enumerate(dict.fromkeys(ids))}
    notifications = sorted(
        Notification.objects.filter(pk__in=list(order), status=Status.PENDING, due_at__lte=now).select_related(
            "recipient", "programme"
        ),
        key=lambda notification: order[notification.pk],
    )
    report.skipped = len(order) - len(notifications)
    if not notifications:
        return report
    with translation.override(settings.LANGUAGE_CODE):
        outcomes = _build(notifications, now=now)

    def tell(notification, status, error=""):
        if on_result is not None:
            on_result(notification, status, error)

    to_send = []
    for notification in notifications:
        outcome = outcomes.get(notification.pk)
        if isinstance(outcome, EmailMessage):
            to_send.append((notification, outcome))
        else:
            status = _settle_unsendable(notification, outcome, report)
            if status is None:
                report.skipped += 1
            else:
                tell(notification, status, getattr(outcome, "error", ""))
    if not to_send:
        return report

    if connection is None:
        connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_SMTP_TIMEOUT)
    try:
        _open_session(connection)
    except Exception as exc:
        _postpone(to_send, exc, now, connection_retries, report, tell)
        return report
    report.connections += 1
    # Sent, but its « sent » record not written yet: written by the same UPDATE as the next claim,
    # so that each message costs one statement and one commit (the database's round trips and disk
    # flushes cost more than the SMTP transfer itself), and always before the next transfer starts:
    # the duplicate window stays one message.
    unrecorded = None
    # (pk, token) of the claim being made or held, its message not transferred: given back if the
    # database fails before the claim is settled (the claim's commit may have gone through).
    held = None

    def record_then_claim(notification=None, token=None):
        nonlocal unrecorded, held
        held = (notification.pk, token) if notification is not None else None
        if unrecorded is None:
            claimed = notification is not None and _claim(notification.pk, token, timezone.now())
        elif notification is None:
            _mark_sent(unrecorded[0].pk, unrecorded[1])
            claimed = False
        else:
            claimed = _mark_sent_and_claim(unrecorded, notification.pk, token, timezone.now())
        if unrecorded is not None:
            report.sent.append(unrecorded[0])
            tell(unrecorded[0], "sent")
            unrecorded = None
        if not claimed:
            held = None
        return claimed

    def close_smtp():
        try:
            connection.close()
        except Exception:  # closing a dead connection must not hide what happened
            logger.debug("Error while closing the SMTP connection", exc_info=True)

    try:
        for index, (notification, message) in enumerate(to_send):
            token = uuid.uuid4()
            if not record_then_claim(notification, token):
                report.skipped += 1  # another worker has it, or has sent it
                continue
            try:
                _transfer(connection, message)
            except Exception as exc:
                kind = classify(exc)
                error = describe_error(exc)
                if kind == CONNECTION:
                    # The server's fault, not this message's: no attempt counted. It goes last in the
                    # retry, so that a message which makes the server hang up every time (a timeout on
                    # a large attachment…) cannot hold back the rest of its batch.
                    logger.warning("SMTP connection lost (%s): the rest of the batch waits", error)
                    _release_claim(notification.pk, token)
                    held = None
                    postponed = [*to_send[index + 1 :], (notification, message)]
                    _postpone(postponed, exc, now, connection_retries, report, tell)
                    break
                if kind == PERMANENT:
                    _mark_failed(notification.pk, token, error)
                    held = None
                    report.failed.append(notification)
                    tell(notification, "failed", error)
                    continue
                retry_at = _release_for_retry(notification, token, error, now)
                held = None
                if retry_at is None:
                    report.failed.append(notification)
                    tell(notification, "failed", error)
                else:
                    _note_retry(report, notification, retry_at, now)
                    tell(notification, "retry", error)
                continue
            # THE DUPLICATE WINDOW: a crash from here until the next claim's commit (which also
            # records this message as sent), or a database away for longer than the record's
            # retries, leaves this row « sending »: it is sent again once its claim expires.
            # No other message is transferred in between.
            unrecorded, held = (notification, token), None
        record_then_claim()
    except DATABASE_ERRORS:
        # The database went away mid-batch. The rest of the batch waits for the task's retry, but
        # what the database must know is written first, retrying while it is unreachable: the
        # « sent » of the message already transferred (else it would be sent again once its claim
        # expires), and the claim of one not transferred given back (else it would wait for that).
        close_smtp()
        if _settle_after_database_error(unrecorded, held) and unrecorded is not None:
            report.sent.append(unrecorded[0])
            tell(unrecorded[0], "sent")
        unrecorded = None
        raise
    finally:
        if unrecorded is not None:  # leaving on another error: record what was sent, if the database allows
            try:
                record_then_claim()
            except Exception:
                logger.exception("Could not record a sent notification: it will be sent again")
        close_smtp()
    return report


def _settle_after_database_error(unrecorded, held):
    """After a database error mid-batch, record ``unrecorded`` as sent and give ``held`` back.

    ``unrecorded`` is ``(notification, token)`` of a message transferred but not recorded,
    ``held`` is ``(pk, token)`` of a claim perhaps made (its commit may have gone through before
    the connection broke) for a message not transferred. Both writes are conditional on our
    token, so repeating them is harmless. They are retried, on a fresh connection each time,
    for at most :func:`record_retry_budget` seconds (2 s at most between two tries, so they go in
    within 2 s of the database's return): an outage shorter than that duplicates nothing.
    Returns whether they went in; if not, the message will be sent again once its claim expires.
    """
    if unrecorded is None and held is None:
        return True
    deadline = time.monotonic() + record_retry_budget()
    pause = 0.25
    while True:
        drop_database_connection()
        try:
            if unrecorded is not None:
                _mark_sent(unrecorded[0].pk, unrecorded[1])
            if held is not None:
                _release_claim(*held)
            return True
        except DATABASE_ERRORS:
            if db_connection.in_atomic_block or time.monotonic() + pause > deadline:
                if unrecorded is not None:
                    logger.exception(
                        "Could not record notification %s as sent: it is sent again once its claim expires",
                        unrecorded[0].pk,
                    )
                else:
                    logger.exception("Could not give back claim of notification %s: it waits for its lease", held[0])
                return False
            time.sleep(pause)
            pause = min(pause * 2, 2)


def _open_session(connection):
    """Open the SMTP connection and its session up to EHLO, before any message is claimed.

    Django's backend connects but leaves EHLO to the first message's transfer (unless TLS
    or a login needs it first): a server refusing sessions with 421 to EHLO would then be
    charged to the first message of every batch. Here it is a connection failure.
    """
    connection.open()
    smtp = getattr(connection, "connection", None)
    if isinstance(connection, SMTPEmailBackend) and smtp is not None:
        smtp.ehlo_or_helo_if_needed()


def _transfer(connection, message):
    """Send one message over the batch's open connection; raises what smtplib raises.

    A message encoded once for its group goes straight to the open SMTP session, as
    the bytes it already is (Django's backend would parse and re-encode its addresses
    on every message); any other message, or another backend, goes through Django.
    """
    smtp = getattr(connection, "connection", None)
    if isinstance(connection, SMTPEmailBackend) and smtp is not None and getattr(message, "encoded", None):
        smtp.sendmail(_envelope_sender(message.from_email, message.encoding), message.to, message.encoded)
    else:
        connection.send_messages([message])


@functools.lru_cache(maxsize=16)
def _envelope_sender(from_email, encoding):
    return sanitize_address(from_email, encoding or settings.DEFAULT_CHARSET)


def _note_retry(report, notification, retry_at, now):
    report.retry_ids.append(notification.pk)
    delay = max(1, int((retry_at - now).total_seconds()))
    report.retry_in = delay if report.retry_in is None else min(report.retry_in, delay)


def _postpone(pairs, exc, now, connection_retries, report, tell):
    """The connection is unusable: these messages wait, without an attempt counted against them."""
    report.connection_failed = True
    retry_at = now + dt.timedelta(seconds=connection_backoff(connection_retries + 1))
    error = describe_error(exc)
    ids = [notification.pk for notification, _message in pairs]
    Notification.objects.filter(pk__in=ids, status=Status.PENDING).update(due_at=retry_at, last_error=error)
    for notification, _message in pairs:
        _note_retry(report, notification, retry_at, now)
        tell(notification, "retry", error)


# --- Resending (admin) -----------------------------------------------------------------------

RESENDABLE = (Status.FAILED, Status.SENT, Status.CANCELLED)


def notifications_resend(*, queryset, now=None):
    """Make these notifications pending again, due now, with a fresh count of attempts; returns their ids.

    Used by the email log's « Renvoyer » action. Only finished notifications
    (failed, sent or cancelled) are resent: a pending or in-flight one is
    already on its way. The recipient's preferences are checked again at send time.
    """
    now = now or timezone.now()
    ids = list(queryset.filter(status__in=RESENDABLE).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids, status__in=RESENDABLE).update(
        status=Status.PENDING, due_at=now, attempts=0, sent_at=None, claim_token=None, claimed_at=None
    )
    return ids
