"""Sources: what each app sends, registered from its ``reminders.py`` (see the package docstring)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import models

from alliances.models import Notification
from alliances.registry import Registry

# --- Sources: what each app sends ------------------------------------------------------------


class Defer:
    """A notification that is not due yet after all: it stays pending until ``until``."""

    __slots__ = ("until",)

    def __init__(self, until: dt.datetime) -> None:
        self.until = until

    def __repr__(self) -> str:
        return f"Defer({self.until!r})"


#: What ``Source.build`` returns for a notification that is no longer wanted.
CANCEL = None

#: What ``Source.build`` gives for one notification: its email, CANCEL or Defer.
Outcome = EmailMessage | Defer | None


class Source:
    """One family of notifications (``kind`` is the part of ``Notification.kind`` before any ``:``).

    Subclass it in ``<app>/reminders.py``, decorate the class with :func:`register`
    and implement :meth:`find_due` and :meth:`build`.
    """

    kind = ""
    #: The ``User`` boolean field that turns this kind of mail off (``notify_session_reminders``…), which
    #: its one-click unsubscribe link sets to False; "" for mail no one can turn off (relances, invitations).
    preference = ""

    @property
    def key(self) -> str:
        """The registry's key: the kind."""
        return self.kind

    def find_due(self, *, now: dt.datetime) -> Iterable[Notification]:
        """Unsaved notifications due at ``now`` (:func:`due` builds one); existing ones are skipped."""
        raise NotImplementedError

    def build(self, notifications: list[Notification], *, now: dt.datetime) -> Mapping[int, Outcome]:
        """``{notification.pk: EmailMultiAlternatives | CANCEL | Defer(...)}`` for pending notifications.

        ``notifications`` come with ``recipient`` and ``programme`` loaded. A
        notification missing from the result is cancelled.
        """
        raise NotImplementedError


#: The sources, discovered in each installed app's ``reminders`` module (:class:`alliances.registry.Registry`).
reminders: Registry[Source] = Registry("reminders")


def register(source_class: type[Source]) -> type[Source]:
    """Class decorator: make a :class:`Source` known to the periodic job."""
    source = source_class()
    if not source.kind or ":" in source.kind:
        raise ValueError(f"{source_class.__name__}.kind must be a non-empty name without ':'.")
    reminders.register(source)
    return source_class


def sources() -> list[Source]:
    """Every registered source, after importing each installed app's ``reminders`` module once."""
    return reminders.all()


def source_for(kind: str) -> Source | None:
    """The source of a ``Notification.kind`` such as ``session_reminder:7``, or None."""
    return reminders.get(kind.split(":", 1)[0])


def due(
    obj: models.Model, *, kind: str, recipient_id: int, programme_id: int | None = None, due_at: dt.datetime
) -> Notification:
    """An unsaved notification of ``kind`` about ``obj`` for one recipient."""
    return Notification(
        kind=kind,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        recipient_id=recipient_id,
        programme_id=programme_id,
        due_at=due_at,
    )


def group_by_object(notifications: Iterable[Notification]) -> dict[tuple[str, int], list[Notification]]:
    """``{(kind, object_id): [notifications]}``: a source builds what one object needs once per group."""
    groups: dict[tuple[str, int], list[Notification]] = defaultdict(list)
    for notification in notifications:
        groups[(notification.kind, notification.object_id)].append(notification)
    return groups


def offset_of(kind: str) -> int:
    """The number of days in a kind such as ``session_reminder:7``."""
    return int(kind.rsplit(":", 1)[1])
