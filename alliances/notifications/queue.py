"""The email log as a queue: each message claimed (a lease), recorded, released or resent — the
exactly-once protocol of the package docstring, one conditional UPDATE at a time."""

import datetime as dt
import uuid

from django.conf import settings
from django.db import connection as db_connection
from django.db.models import F, QuerySet
from django.utils import timezone

from alliances.models import Notification
from alliances.notifications.errors import backoff

Status = Notification.Status

#: A message that failed transiently this many times (or whose worker crashed this many times) fails for good.
MAX_ATTEMPTS = 5
DEFAULT_CLAIM_TIMEOUT = 600


#: How long at most (seconds) a batch keeps retrying, while the database is unreachable, to record
#: the « sent » of a message already transferred (:func:`record_retry_budget`).
RECORD_RETRY_SECONDS = 120


STALE_CLAIM_ERROR = "Prise en charge expirée : l'envoi a été interrompu (arrêt du worker), nouvel essai."


def claim_timeout() -> int:
    """Seconds after which a claim left in « sending » is considered abandoned by a crashed worker."""
    return int(getattr(settings, "NOTIFICATIONS_CLAIM_TIMEOUT", DEFAULT_CLAIM_TIMEOUT))


def record_retry_budget() -> float:
    """Seconds a batch retries recording a transferred message while the database is unreachable.

    ``RECORD_RETRY_SECONDS`` (120 s: an outage shorter than that duplicates nothing), never more
    than a fifth of the claim lease: the claim is still ours when the record finally goes in, and
    the batch ends well within Celery's soft time limit (5 minutes).
    """
    return min(RECORD_RETRY_SECONDS, claim_timeout() / 5)


def release_stale_claims(*, now: dt.datetime) -> int:
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


def due_ids(*, now: dt.datetime) -> list[int]:
    """Ids of the pending notifications due at ``now``, oldest first."""
    return list(
        Notification.objects.filter(status=Status.PENDING, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )


def _claim(pk: int, token: uuid.UUID, now: dt.datetime) -> bool:
    """The claim: proceed only if this UPDATE changed the row (nobody else has it, or sent it).

    ``now`` is the moment of the claim (its lease starts then), not the batch's start.
    """
    return (
        Notification.objects.filter(pk=pk, status=Status.PENDING).update(
            status=Status.SENDING, claim_token=token, claimed_at=now
        )
        == 1
    )


def _mark_sent(pk: int, token: uuid.UUID) -> None:
    Notification.objects.filter(pk=pk, claim_token=token).update(
        status=Status.SENT, sent_at=timezone.now(), claim_token=None, last_error=""
    )


def _mark_sent_and_claim(sent: tuple[Notification, uuid.UUID], pk: int, token: uuid.UUID, now: dt.datetime) -> bool:
    """Record ``sent`` (notification, token) as sent and claim ``pk``: one statement, one commit.

    Plain SQL: the ORM spends more time composing this conditional UPDATE than the
    database spends running it, and it runs once per message.
    """
    sent_notification, sent_token = sent
    meta = Notification._meta
    quote = db_connection.ops.quote_name
    uuid_cast = "::uuid" if db_connection.vendor == "postgresql" else ""
    # Each field named as a literal, so that the type checker knows it is a concrete column.
    columns = {
        "status": quote(meta.get_field("status").column),
        "sent_at": quote(meta.get_field("sent_at").column),
        "claim_token": quote(meta.get_field("claim_token").column),
        "claimed_at": quote(meta.get_field("claimed_at").column),
    }
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


def _release_claim(pk: int, token: uuid.UUID) -> None:
    """Give back a claim whose message was not transferred: pending again, no attempt counted."""
    Notification.objects.filter(pk=pk, claim_token=token).update(
        status=Status.PENDING, claim_token=None, claimed_at=None
    )


def _mark_failed(pk: int, token: uuid.UUID, error: str) -> None:
    Notification.objects.filter(pk=pk, claim_token=token).update(
        status=Status.FAILED, claim_token=None, attempts=F("attempts") + 1, last_error=error
    )


def _release_for_retry(
    notification: Notification, token: uuid.UUID, error: str, now: dt.datetime
) -> dt.datetime | None:
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


# --- Resending (admin) -----------------------------------------------------------------------

RESENDABLE = (Status.FAILED, Status.SENT, Status.CANCELLED)


def notifications_resend(*, queryset: QuerySet[Notification], now: dt.datetime | None = None) -> list[int]:
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
