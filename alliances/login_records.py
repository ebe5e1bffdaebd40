"""Login records: django-axes' successful logins, failed attempts and failures (RGPD).

Each row holds the address typed in the login form, the client's IP address and
browser (user agent): personal data, kept for ``LOGIN_RECORDS_RETENTION_DAYS``
days for throttling and security investigations, then purged by the nightly
task ``alliances.purge_login_records``. The export (« télécharger mes données »)
shows a person their rows, and the anonymisation deletes them.

Axes stores the username as it was typed (any case, surrounding spaces), so a
person's rows are those whose username, trimmed and case-folded, is their
address: a narrowing database filter first, the exact comparison in Python.
"""

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone

#: Every axes table that names a person, as (kind code, model).
LOGIN_RECORD_MODELS = (
    ("login", AccessLog),
    ("failed_attempt", AccessAttempt),
    ("failure", AccessFailureLog),
)


def _same_address(username, email):
    return (username or "").strip().casefold() == email.strip().casefold()


def login_records_of(email):
    """``{kind: [row, …]}``: the rows of each axes table whose username is ``email`` (any case, trimmed)."""
    if not email:
        return {kind: [] for kind, _model in LOGIN_RECORD_MODELS}
    return {
        kind: [
            row
            for row in model.objects.filter(username__icontains=email.strip()).order_by("attempt_time", "pk")
            if _same_address(row.username, email)
        ]
        for kind, model in LOGIN_RECORD_MODELS
    }


def login_records_delete(email):
    """Delete every login record of ``email``; returns the number of rows deleted per kind."""
    deleted = {}
    for kind, rows in login_records_of(email).items():
        model = dict(LOGIN_RECORD_MODELS)[kind]
        # AccessAttemptExpiration rows go with their attempt (on_delete=CASCADE).
        deleted[kind] = model.objects.filter(pk__in=[row.pk for row in rows]).delete()[1].get(model._meta.label, 0)
    return deleted


def login_records_purge(*, now=None, days=None):
    """Delete the login records older than the retention period; returns the number of rows deleted per kind.

    A record's age is that of its last attempt (axes moves ``attempt_time`` of an
    attempt forward at each new failure), so a throttling counter still in use is
    never purged: the lockout lasts minutes, the retention days.
    """
    days = settings.LOGIN_RECORDS_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return {
        kind: model.objects.filter(attempt_time__lt=cutoff).delete()[1].get(model._meta.label, 0)
        for kind, model in LOGIN_RECORD_MODELS
    }
