"""« Dupliquer l'édition »: a new edition built from an existing one, its dates shifted.

The core copies the edition itself and its own objects (phases, steps, themes) and leaves the
rest to the apps: each app copies its own objects in its ``<app>/duplication.py``, a
:class:`DuplicationContribution` registered in :data:`duplications` (the core imports no app).
Contributions run in their declared ``order`` inside one transaction and share a
:class:`DuplicationContext`: the new edition, the day offset, and the copies made so far
(``context.copied(Session)`` is {source session id: copy}), so a later app relinks to what an
earlier one copied.

What the core copies (the *structure* of an edition, every date moved by the same number of days):

- the edition: description, sponsors, dates, target number of networks, reminder settings and
  e-mail introduction — and its **coordinators** (the programme team, not participants: the new
  edition is run by the same people until a superuser changes it), joined by the programme
  manager who duplicates it;
- phases and their steps: each step back to « à venir », done date cleared, due date shifted;
- themes.

What each app copies, and leaves out, is said in its own module (sessions, resource library,
questionnaires, committees…); an app with nothing to copy says so in a contribution that copies
nothing (networks: every row of it belongs to one cohort). Nothing personal or produced by the
edition is copied (documents and notifications here; enrolments, answers, minutes… in the apps).

Nothing of the copy is live at once: no participant, no published questionnaire, no open vote, no
announcement, no linked account — so no reminder, digest or invitation can go out because of a
duplication, whatever its offset (a date shifted into the past included).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances.models import Phase, Programme, Step, Theme, User, programme_creator_coordinates
from alliances.registry import Registry

logger = logging.getLogger(__name__)

DEFAULT_OFFSET_DAYS = 365
MAX_OFFSET_DAYS = 3650

# Fields of the programme copied as they are (dates are shifted, coordinators copied apart).
PROGRAMME_FIELDS = (
    "description",
    "sponsors",
    "target_networks",
    "session_reminder_days",
    "meeting_reminder_days",
    "email_introduction",
)

M = TypeVar("M", bound=models.Model)


@overload
def shift_date(value: dt.date, days: int) -> dt.date: ...
@overload
def shift_date(value: None, days: int) -> None: ...
def shift_date(value: dt.date | None, days: int) -> dt.date | None:
    return None if value is None else value + dt.timedelta(days=days)


@overload
def shift_datetime(value: dt.datetime, days: int) -> dt.datetime: ...
@overload
def shift_datetime(value: None, days: int) -> None: ...
def shift_datetime(value: dt.datetime | None, days: int) -> dt.datetime | None:
    """The same wall-clock time ``days`` later in the project's time zone (09:30 stays 09:30 across DST)."""
    if value is None:
        return None
    zone = timezone.get_default_timezone()
    local = timezone.localtime(value, zone).replace(tzinfo=None)
    return timezone.make_aware(local + dt.timedelta(days=days), zone)


def clean_copies(objects: Iterable[models.Model], exclude: Sequence[str] = ()) -> None:
    """Validate copies of valid rows without a query per row: relations are the copied
    objects themselves, uniqueness and constraints are the database's to hold."""
    for obj in objects:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


# --- The extension point -------------------------------------------------------------------------


@dataclass
class DuplicationContext:
    """What the contributions of one duplication share."""

    source: Programme
    programme: Programme
    days: int
    duplicated_by: User
    copies: dict[type[models.Model], dict[int, Any]] = field(default_factory=dict)

    @overload
    def shift_date(self, value: dt.date) -> dt.date: ...
    @overload
    def shift_date(self, value: None) -> None: ...
    def shift_date(self, value: dt.date | None) -> dt.date | None:
        return None if value is None else shift_date(value, self.days)

    @overload
    def shift_datetime(self, value: dt.datetime) -> dt.datetime: ...
    @overload
    def shift_datetime(self, value: None) -> None: ...
    def shift_datetime(self, value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else shift_datetime(value, self.days)

    def record(self, model: type[M], originals: Sequence[M], copies: Sequence[M]) -> dict[int, M]:
        """Note that ``copies`` (saved, in the same order) are the copies of ``originals``; return the map."""
        mapping = {original.pk: copy for original, copy in zip(originals, copies, strict=True)}
        self.copies.setdefault(model, {}).update(mapping)
        return mapping

    def copied(self, model: type[M]) -> dict[int, M]:
        """{source id: copy} of what an earlier contribution copied of ``model`` (empty if none did)."""
        return self.copies.get(model, {})

    def copy_of(self, model: type[M], source_id: int | None) -> M | None:
        """The copy of ``model``'s row ``source_id``: a nullable link, relinked (None: no link, or not copied)."""
        return None if source_id is None else self.copied(model).get(source_id)


class DuplicationContribution:
    """One app's part of « dupliquer l'édition ».

    ``copy`` copies the app's objects of ``context.source`` into ``context.programme`` (a fixed
    number of queries, whatever the size of the edition: ``bulk_create``) and records what later
    contributions relink to; ``summary`` counts what it will copy, for the confirmation page;
    ``copied_note`` says what becomes of the copies, ``left_out`` names what is not copied.
    """

    key: str = ""
    order: int = 100
    copied_note: str | Promise = ""
    left_out: Sequence[str | Promise] = ()

    def summary(self, source: Programme) -> list[tuple[str, int]]:
        return []

    def copy(self, context: DuplicationContext) -> None:
        raise NotImplementedError


duplications: Registry[DuplicationContribution] = Registry("duplication")


# --- The service -----------------------------------------------------------------------------------


def slug_taken_message(*, slug: str, name: str | None) -> str:
    """Why ``slug`` cannot be used; a second sending of the same form is told the edition exists."""
    existing = Programme.objects.filter(slug=slug).only("name").first()
    if existing is not None and existing.name == name:
        return _(
            "L'édition « %(name)s » existe déjà avec l'identifiant « %(slug)s » : elle vient sans doute d'être "
            "créée par un premier envoi de ce formulaire. Aucune autre édition n'a été créée."
        ) % {"name": name, "slug": slug}
    return _("Une édition porte déjà cet identifiant : choisissez-en un autre.")


def _validate_request(*, source: Programme, offset_days: int, duplicated_by: User | None) -> None:
    if duplicated_by is None or not duplicated_by.is_programme_manager:
        # Creating an edition is for programme managers and superusers (ProgrammeAdmin.has_add_permission).
        raise PermissionDenied(
            _("Seuls les responsables de programme et les super-administrateurs peuvent créer une édition.")
        )
    if source.pk is None:
        raise ValidationError(_("L'édition à dupliquer n'existe pas."))
    if not isinstance(offset_days, int) or abs(offset_days) > MAX_OFFSET_DAYS:
        message = _("Le décalage doit être un nombre entier de jours entre -%(max)d et %(max)d.")
        raise ValidationError({"offset_days": message % {"max": MAX_OFFSET_DAYS}})


def _create_edition(*, source: Programme, name: str, slug: str, days: int) -> Programme:
    programme = Programme(
        name=name,
        slug=slug,
        starts_on=shift_date(source.starts_on, days),
        ends_on=shift_date(source.ends_on, days),
        **{field: getattr(source, field) for field in PROGRAMME_FIELDS},
    )
    programme.full_clean()
    try:
        # full_clean() read the slug as free, but a concurrent duplication may take it before this
        # insert: the unique index makes it wait for that one's commit, then refuses it.
        with transaction.atomic():
            programme.save()
    except IntegrityError:
        if not Programme.objects.filter(slug=slug).exists():
            raise
        raise ValidationError({"slug": slug_taken_message(slug=slug, name=name)}) from None
    return programme


@transaction.atomic
def programme_duplicate(*, source: Programme, name: str, slug: str, offset_days: int, duplicated_by: User) -> Programme:
    """Create a new edition from ``source``, every date shifted by ``offset_days``; return it.

    All or nothing (one transaction, every contribution in it). Raises ValidationError for a bad
    name, slug (already used…) or offset, PermissionDenied unless ``duplicated_by`` is a programme
    manager (or a superuser), who becomes one of its coordinators. A fixed number of queries,
    whatever the size of the edition.
    """
    _validate_request(source=source, offset_days=offset_days, duplicated_by=duplicated_by)
    programme = _create_edition(source=source, name=name, slug=slug, days=offset_days)
    programme.coordinators.set(source.coordinators.all())
    programme_creator_coordinates(programme, duplicated_by)

    context = DuplicationContext(source=source, programme=programme, days=offset_days, duplicated_by=duplicated_by)
    for contribution in duplications.all():
        contribution.copy(context)

    logger.info(
        "Edition %s duplicated as %s (offset %+d days) by user %s",
        source.pk,
        programme.pk,
        offset_days,
        duplicated_by.pk,
    )
    return programme


def duplication_summary(source: Programme) -> list[tuple[str, int]]:
    """(label, count) of what the copy will hold, for the confirmation page (a few queries, once)."""
    lines = [line for contribution in duplications.all() for line in contribution.summary(source)]
    lines.append((_("coordinateurs"), source.coordinators.aggregate(n=Count("pk"))["n"]))
    return lines


def duplication_notes() -> list[str]:
    """What becomes of the copies, one paragraph per contribution that says it."""
    return [str(contribution.copied_note) for contribution in duplications.all() if contribution.copied_note]


def duplication_left_out() -> list[str]:
    """What no contribution copies."""
    return [str(item) for contribution in duplications.all() for item in contribution.left_out]


# --- The core's own part ---------------------------------------------------------------------------


@duplications.register
class CoreDuplication(DuplicationContribution):
    """Phases and their steps, themes; the edition's documents and notifications are not copied."""

    key = "alliances"
    order = 0
    copied_note = gettext_lazy(
        "Les étapes repartent « à venir ». Les coordinateurs de l'édition source coordonnent la nouvelle."
    )
    left_out = (gettext_lazy("documents"), gettext_lazy("notifications"))

    def summary(self, source: Programme) -> list[tuple[str, int]]:
        return [
            (_("phases"), Phase.objects.filter(programme=source).count()),
            (_("étapes (remises « à venir »)"), Step.objects.filter(phase__programme=source).count()),
            (_("thématiques"), Theme.objects.filter(programme=source).count()),
        ]

    def copy(self, context: DuplicationContext) -> None:
        self._copy_phases(context)
        self._copy_themes(context)

    def _copy_phases(self, context: DuplicationContext) -> None:
        phases = list(Phase.objects.filter(programme=context.source).prefetch_related("steps").order_by("number"))
        copies = [
            Phase(
                programme=context.programme,
                number=phase.number,
                title=phase.title,
                starts_on=context.shift_date(phase.starts_on),
                ends_on=context.shift_date(phase.ends_on),
            )
            for phase in phases
        ]
        clean_copies(copies, exclude=["programme"])
        copies = Phase.objects.bulk_create(copies)
        context.record(Phase, phases, copies)
        steps = [
            Step(
                phase=copy,
                letter=step.letter,
                title=step.title,
                status=Step.Status.PLANNED,
                due_on=context.shift_date(step.due_on),
                done_on=None,
            )
            for phase, copy in zip(phases, copies, strict=True)
            for step in phase.steps.all()
        ]
        clean_copies(steps, exclude=["phase"])
        Step.objects.bulk_create(steps)

    def _copy_themes(self, context: DuplicationContext) -> None:
        themes = list(Theme.objects.filter(programme=context.source).order_by("order", "pk"))
        copies = [
            Theme(programme=context.programme, order=theme.order, title=theme.title, description=theme.description)
            for theme in themes
        ]
        clean_copies(copies, exclude=["programme"])
        context.record(Theme, themes, Theme.objects.bulk_create(copies))
