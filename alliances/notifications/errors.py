"""How a failure is handled: SMTP errors classified, database errors, and the backoffs of each."""

import logging
import smtplib

from django.db import DatabaseError, InterfaceError, OperationalError
from django.db import connection as db_connection

logger = logging.getLogger(__name__)

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


#: A database that is unreachable or dropped the connection (not a wrong query): worth retrying.
DATABASE_ERRORS = (OperationalError, InterfaceError)
#: Delays (seconds) before the batch task, or the periodic job, runs again after a database error:
#: 5, 10, 20, then every 30 s, so that what an outage stranded goes out within 30 s of the return.
DATABASE_BACKOFF = (5, 10, 20, 30)
#: Retries after database errors (about 14 minutes), after which the next periodic run finds the rows.
DATABASE_RETRIES = 30


def database_backoff(retry: int) -> int:
    """Seconds to wait before retry number ``retry`` (≥ 1) after database errors in a row."""
    return DATABASE_BACKOFF[min(max(retry, 1), len(DATABASE_BACKOFF)) - 1]


def drop_database_connection() -> None:
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


def backoff(attempt: int) -> int:
    """Seconds to wait before attempt number ``attempt + 1`` (``attempt`` ≥ 1)."""
    return RETRY_BACKOFF[min(max(attempt, 1), len(RETRY_BACKOFF)) - 1]


def connection_backoff(retry: int) -> int:
    """Seconds to wait before retry number ``retry`` (≥ 1) after connection-level failures in a row."""
    return CONNECTION_BACKOFF[min(max(retry, 1), len(CONNECTION_BACKOFF)) - 1]


PERMANENT, TRANSIENT, CONNECTION = "permanent", "transient", "connection"


def classify(exc: BaseException) -> str:
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


def describe_error(exc: BaseException) -> str:
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
