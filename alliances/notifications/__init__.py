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

Layout
------
:mod:`~alliances.notifications.registry` (sources), :mod:`~alliances.notifications.scheduling`
(what is due, the periodic job), :mod:`~alliances.notifications.rendering` (the emails),
:mod:`~alliances.notifications.queue` (claims, records, resends),
:mod:`~alliances.notifications.delivery` (a batch over one SMTP connection),
:mod:`~alliances.notifications.transport` (that connection's session and transfers) and
:mod:`~alliances.notifications.errors` (failures and backoffs). Their public names are
re-exported here: ``from alliances.notifications import X`` is the way in.
"""

from alliances.notifications.delivery import DEFAULT_SMTP_TIMEOUT, BatchReport, send_batch
from alliances.notifications.errors import (
    CONNECTION,
    CONNECTION_BACKOFF,
    CONNECTION_RETRIES,
    DATABASE_BACKOFF,
    DATABASE_ERRORS,
    DATABASE_RETRIES,
    PERMANENT,
    RETRY_BACKOFF,
    TRANSIENT,
    backoff,
    classify,
    connection_backoff,
    database_backoff,
    describe_error,
    drop_database_connection,
)
from alliances.notifications.queue import (
    DEFAULT_CLAIM_TIMEOUT,
    MAX_ATTEMPTS,
    RECORD_RETRY_SECONDS,
    RESENDABLE,
    STALE_CLAIM_ERROR,
    claim_timeout,
    due_ids,
    notifications_resend,
    record_retry_budget,
    release_stale_claims,
)
from alliances.notifications.registry import (
    CANCEL,
    Defer,
    Outcome,
    Source,
    due,
    group_by_object,
    offset_of,
    register,
    reminders,
    source_for,
    sources,
)
from alliances.notifications.rendering import (
    DEFAULT_SITE_URL,
    EmailRenderer,
    PersonalisedEmail,
    absolute_url,
    build_email,
    site_url,
)
from alliances.notifications.scheduling import (
    DEFAULT_BATCH_SIZE,
    REMINDER_TIME,
    Planned,
    RunReport,
    batch_size,
    chunked,
    create_due,
    current_offset,
    find_candidates,
    plan,
    reminder_due_at,
    reminder_outcome,
    run,
)

__all__ = [
    "BatchReport",
    "CANCEL",
    "CONNECTION",
    "CONNECTION_BACKOFF",
    "CONNECTION_RETRIES",
    "DATABASE_BACKOFF",
    "DATABASE_ERRORS",
    "DATABASE_RETRIES",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CLAIM_TIMEOUT",
    "DEFAULT_SITE_URL",
    "DEFAULT_SMTP_TIMEOUT",
    "Defer",
    "EmailRenderer",
    "MAX_ATTEMPTS",
    "Outcome",
    "PERMANENT",
    "PersonalisedEmail",
    "Planned",
    "RECORD_RETRY_SECONDS",
    "REMINDER_TIME",
    "RESENDABLE",
    "RETRY_BACKOFF",
    "RunReport",
    "STALE_CLAIM_ERROR",
    "Source",
    "TRANSIENT",
    "absolute_url",
    "backoff",
    "batch_size",
    "build_email",
    "chunked",
    "claim_timeout",
    "classify",
    "connection_backoff",
    "create_due",
    "current_offset",
    "database_backoff",
    "describe_error",
    "drop_database_connection",
    "due",
    "due_ids",
    "find_candidates",
    "group_by_object",
    "notifications_resend",
    "offset_of",
    "plan",
    "record_retry_budget",
    "register",
    "reminders",
    "release_stale_claims",
    "reminder_due_at",
    "reminder_outcome",
    "run",
    "send_batch",
    "site_url",
    "source_for",
    "sources",
]
