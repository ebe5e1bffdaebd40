"""Relances: one message to each person who has not answered yet (a session, a questionnaire).

A relance is an object of its own (:class:`~alliances.models.Relance`): a coordinator
previews it from the cockpit (``cockpit:relance``, the recipients and the e-mail), may
edit its subject and text, and sends it; :func:`relance_send` then records the relance
and one :class:`~alliances.models.Notification` of kind :data:`KIND` per recipient,
about the relance, in one transaction, and queues them once it commits. The
notifications' unique constraint makes it once per person per relance, and the form's
``request_token`` (unique on the relance) makes a double-submitted form one relance:
the second POST finds the first. A second relance of the same target on the same day
needs an explicit confirmation. The e-mails are built at send time by the core's
source (``alliances/reminders.py``), from the stored subject and text.

The core names no app: each app declares the targets of its own subject in a
``<app>/relances.py`` module (found like the ``reminders`` modules) by subclassing
:class:`Target` and decorating it with :func:`register`::

    @relances.register
    class SessionTarget(relances.Target):
        key = "session"
        model = Session
        def recipients(self, obj: M) -> QuerySet[User]: ...   # a queryset of users, with ``network_name``
        ...

The cockpit's panels call :func:`latest_for` and include ``cockpit/_relance.html``
(its contract is at the top of the template).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import notifications
from alliances.models import Notification, Programme, Relance, User
from alliances.registry import Registry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: ``Notification.kind`` of a relance's messages (one per recipient, about the relance).
KIND = "relance"
#: How the cockpit writes the time of a relance: « 10 h 05 ».
TIME_FORMAT = r"G \h i"

#: The model of a target's objects.
M = TypeVar("M", bound=Model)


class Target(Generic[M]):
    """What can be relancé: a kind of object whose expected people may not have answered yet.

    ``key``: in the URL (``/relances/<key>/<pk>/``) and stored on each relance; ``model``:
    the objects' model (each has a ``programme``); ``anchor``: the id of the cockpit's
    panel that shows them (where the coordinator goes back to).
    """

    key: str = ""
    model: type[M]  # required: register() refuses a target without one
    anchor: str = ""
    closed_message: StrOrPromise = _("Cette relance n'est plus possible.")

    def queryset(self, programme: Programme) -> QuerySet[M]:
        """The objects of ``programme`` that may be named in the URL (another edition's: 404)."""
        return self.model._default_manager.filter(programme=programme)

    def recipients(self, obj: M) -> QuerySet[User]:
        """Who has not answered ``obj`` yet: a queryset of users, each annotated with ``network_name``."""
        raise NotImplementedError

    def is_open(self, obj: M, *, now: dt.datetime) -> bool:
        """Whether answering is still possible (a past session, a closed questionnaire: no relance)."""
        raise NotImplementedError

    def default_subject(self, obj: M) -> str:
        raise NotImplementedError

    def default_body(self, obj: M) -> str:
        """The text the preview proposes (the e-mail adds the greeting, the link and the signature)."""
        raise NotImplementedError

    def portal_url(self, obj: M) -> str:
        """The path of the portal page where the recipients answer."""
        raise NotImplementedError

    def link_label(self, obj: M) -> StrOrPromise:
        """The text of the e-mail's link (« Répondre »)."""
        return _("Répondre")

    def lock(self, obj: M) -> None:
        """Serialise the relances of one object (the same-day check, the token check).

        ``FOR NO KEY UPDATE`` on PostgreSQL: the answers being written meanwhile (their foreign
        key takes ``FOR KEY SHARE``) are not held up. SQLite has one writer anyway.
        """
        list(self.model._default_manager.filter(pk=obj.pk).select_for_update(no_key=True).values_list("pk"))


registry: Registry[Target[Any]] = Registry("relances")

T = TypeVar("T", bound="Target[Any]")


def register(target_class: type[T]) -> type[T]:
    """Class decorator: make a :class:`Target` known to the cockpit and to the e-mails."""
    if not target_class.key or getattr(target_class, "model", None) is None:
        raise ValueError(f"{target_class.__name__} needs a key and a model.")
    return registry.register(target_class)


def targets() -> dict[str, Target[Any]]:
    """``{key: target}``, after importing each installed app's ``relances`` module once."""
    return {target.key: target for target in registry.all()}


def target_for(key: str) -> Target[Any] | None:
    return registry.get(key)


def target_of(obj: Model) -> Target[Any] | None:
    """The target whose model ``obj`` is an instance of, or None."""
    for target in targets().values():
        if isinstance(obj, target.model):
            return target
    return None


# --- Reading --------------------------------------------------------------------------------


def _of_model(model: type[Model]) -> QuerySet[Relance]:
    """Relances of objects of ``model``, by a join on the content type (no lookup, hence no query, of the type)."""
    meta = (model._meta.concrete_model or model)._meta
    return Relance.objects.filter(content_type__app_label=meta.app_label, content_type__model=meta.model_name)


def latest_for(objects: Iterable[Model]) -> dict[Any, Relance]:
    """``{obj.pk: latest relance}`` for objects of one model, in one query (none for no objects)."""
    objects = list(objects)
    if not objects:
        return {}
    of_model = _of_model(type(objects[0]))
    latest = of_model.filter(object_id=OuterRef("object_id")).order_by("-created_at", "-pk").values("pk")[:1]
    rows = of_model.filter(object_id__in={obj.pk for obj in objects}, pk=Subquery(latest))
    return {relance.object_id: relance for relance in rows}


def start_of_day(now: dt.datetime) -> dt.datetime:
    """Midnight (local time) of ``now``'s day."""
    day = timezone.localdate(now)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def sent_today(obj: Model, *, now: dt.datetime | None = None) -> Relance | None:
    """The latest relance of ``obj`` sent on ``now``'s day (local time), or None: one query."""
    now = now or timezone.now()
    return (
        _of_model(type(obj))
        # No upper bound: a concurrent request's relance, committed after this request's ``now``, counts too.
        .filter(object_id=obj.pk, created_at__gte=start_of_day(now))
        .order_by("-created_at", "-pk")
        .first()
    )


def when(relance: Relance) -> tuple[str, str]:
    """``(day, time)`` of a relance in local time, as the pages write them: (« 3 décembre 2026 », « 10 h 05 »)."""
    moment = timezone.localtime(relance.created_at)
    return date_format(moment, "j F Y"), time_format(moment, TIME_FORMAT)


def already_sent_message(relance: Relance) -> str:
    """What a second POST of the same form is told."""
    day, time = when(relance)
    return ngettext(
        "Cette relance a déjà été envoyée le %(day)s à %(time)s à %(count)d personne.",
        "Cette relance a déjà été envoyée le %(day)s à %(time)s à %(count)d personnes.",
        relance.recipient_count,
    ) % {"day": day, "time": time, "count": relance.recipient_count}


def sent_today_message(relance: Relance) -> str:
    """« Déjà relancé aujourd'hui à 10 h 05 (12 personnes) »."""
    _day, time = when(relance)
    return ngettext(
        "Déjà relancé aujourd'hui à %(time)s (%(count)d personne).",
        "Déjà relancé aujourd'hui à %(time)s (%(count)d personnes).",
        relance.recipient_count,
    ) % {"time": time, "count": relance.recipient_count}


# --- Sending --------------------------------------------------------------------------------

CONFIRMATION_NEEDED = "confirmation_needed"
NOBODY = "nobody"
CLOSED = "closed"


def relance_send(
    *,
    target: Target[Any],
    obj: Model,
    subject: str,
    body: str,
    request_token: uuid.UUID | str,
    created_by: User | None,
    confirmed: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Relance, bool]:
    """Record a relance of ``obj`` and a notification per person who has not answered; returns ``(relance, created)``.

    ``created`` is False when a relance with this ``request_token`` exists already (the same
    form posted twice): that one is returned and nothing more is sent. Raises
    :class:`~django.core.exceptions.ValidationError` (French message) with code
    :data:`CLOSED` when the target no longer takes answers, :data:`NOBODY` when everyone has
    answered, :data:`CONFIRMATION_NEEDED` when ``obj`` was already relancé today and
    ``confirmed`` is false. The recipients are read here, at send time: someone who answered
    since the preview gets nothing. The messages are queued once the transaction commits.
    """
    now = now or timezone.now()
    request_token = uuid.UUID(str(request_token))
    with transaction.atomic():
        target.lock(obj)
        # After the lock: a concurrent POST of the same form has committed its relance by now.
        existing = Relance.objects.filter(request_token=request_token).first()
        if existing is not None:
            return existing, False
        if not target.is_open(obj, now=now):
            raise ValidationError(target.closed_message, code=CLOSED)
        earlier = sent_today(obj, now=now)
        if earlier is not None and not confirmed:
            raise ValidationError(
                _("%(already)s Cochez la case pour relancer à nouveau."),
                code=CONFIRMATION_NEEDED,
                params={"already": sent_today_message(earlier)},
            )
        user_ids = sorted(set(target.recipients(obj).order_by().values_list("pk", flat=True)))
        if not user_ids:
            raise ValidationError(_("Tout le monde a répondu : personne à relancer."), code=NOBODY)
        relance = Relance(
            programme_id=obj.programme_id,  # type: ignore[attr-defined]  # a target's objects have a programme
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
            target=target.key,
            subject=subject,
            body=body,
            created_by=created_by,
            created_at=now,
            recipient_count=len(user_ids),
            request_token=request_token,
        )
        relance.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                relance.save()
        except IntegrityError:
            # The same token, committed by a request the lock did not hold (a database without row locks).
            existing = Relance.objects.filter(request_token=request_token).first()
            if existing is None:
                raise
            return existing, False
        rows = [
            notifications.due(relance, kind=KIND, recipient_id=user_id, programme_id=relance.programme_id, due_at=now)
            for user_id in user_ids
        ]
        # Like the periodic job: a row that exists already is left alone (once per person per relance).
        Notification.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        ids = list(
            Notification.objects.filter(
                kind=KIND, content_type=rows[0].content_type, object_id=relance.pk, status=Notification.Status.PENDING
            ).values_list("pk", flat=True)
        )
        from alliances.tasks import dispatch_to_workers  # the tasks import the whole core: not at import time

        for chunk in notifications.chunked(ids, notifications.batch_size()):
            dispatch_to_workers(chunk)  # queued once this transaction commits
    return relance, True
