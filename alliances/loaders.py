"""The pilot, demo and scale data sets: each app loads its own part, in a declared order.

Three extension points, one per data set, each a :class:`LoaderRegistry` discovered in a module
of that name in every app, beside the data it loads:

- :data:`pilot_loaders` (``<app>/pilot.py``): the 2018 pilot as the note describes it
  (``manage.py load_pilot_programme``);
- :data:`demo_loaders` (``<app>/demo.py``): fictional data on top of the pilot, a current edition
  and demo accounts (``manage.py load_demo``);
- :data:`scale_builders` (``<app>/scale.py``): complete generated editions, in bulk
  (``manage.py generate_scale_data``).

A loader has a ``key`` (its app's name), an ``order`` (a number: loaders run by order, then key)
and ``after``, the keys of the loaders whose data it reads. ``after`` is checked when the loaders
are listed: a prerequisite that no installed app registers, or one that would run later, is an
:class:`~django.core.exceptions.ImproperlyConfigured` error, raised before anything is written.
The commands run the loaders in that order, each inside a transaction, passing them a *run*
object: what the core knows (the programme, the accounts…) as attributes, and ``shared``, where a
loader leaves what the later ones read (networks leaves its participants for sessions…), keyed
by names its docstring gives.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from alliances.registry import Registry

if TYPE_CHECKING:
    from alliances.models import Programme, Theme, User

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

BATCH_SIZE = 500


class LoaderRegistry(Registry[T]):
    """A registry whose contributions declare their prerequisites (``after``), checked on listing."""

    def ordered(self) -> list[T]:
        """Every loader by ``order`` then ``key``, once each one's prerequisites are known to come first."""
        items = self.all()
        position = {getattr(item, "key", ""): n for n, item in enumerate(items)}
        for n, item in enumerate(items):
            key = getattr(item, "key", "")
            for prerequisite in getattr(item, "after", ()):
                if prerequisite not in position:
                    raise ImproperlyConfigured(
                        f"The {self.module_name} loader {key!r} runs after {prerequisite!r}, "
                        f"which no installed app registers in its {self.module_name}.py."
                    )
                if position[prerequisite] > n:
                    raise ImproperlyConfigured(
                        f"The {self.module_name} loader {key!r} (order {getattr(item, 'order', 0)}) runs after "
                        f"{prerequisite!r} (order {getattr(items[position[prerequisite]], 'order', 0)}): "
                        "give it a higher order."
                    )
        return items


class Loader:
    """What every loader declares: its key, its order, the loaders it runs after."""

    key: str = ""
    order: int = 0
    after: tuple[str, ...] = ()


# --- The pilot -------------------------------------------------------------------------------


@dataclass
class PilotRun:
    """One ``load_pilot_programme`` run: the pilot edition (the core loads it first), and ``shared``."""

    programme: Programme | None = None
    shared: dict[str, Any] = field(default_factory=dict)


class PilotLoader(Loader):
    """An app's part of the 2018 pilot."""

    def load(self, run: PilotRun) -> None:
        """Create or update this app's part of ``run.programme`` (idempotent)."""

    def summary(self, programme: Programme) -> list[str]:
        """Lines of the command's summary about this app's part, in French."""
        return []

    def figures(self, programme: Programme) -> list[tuple[int, str]]:
        """(position, count) of the summary's last line, e.g. ``(20, "6 compétences")``."""
        return []


pilot_loaders: LoaderRegistry[PilotLoader] = LoaderRegistry("pilot")


# --- The demo --------------------------------------------------------------------------------


@dataclass
class DemoRun:
    """One ``load_demo`` run, on top of the pilot: the shared password, the core's accounts, the current edition."""

    pilot: Programme
    password: str
    password_hash: str
    coordinator: User | None = None
    current: Programme | None = None
    anchor: dt.date | None = None
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def credentials(self) -> dict[str, str]:
        """The keyword arguments of :func:`alliances.pilot.upsert_user` for a demo account."""
        return {"password": self.password, "password_hash": self.password_hash}


class DemoLoader(Loader):
    """An app's demo data: its part of the pilot's fictional data, then of the current edition."""

    def load(self, run: DemoRun) -> None:
        """This app's fictional data on ``run.pilot`` (idempotent)."""

    def load_current(self, run: DemoRun) -> None:
        """This app's part of the current edition ``run.current``, dated from ``run.anchor`` (idempotent)."""

    def accounts(self, run: DemoRun) -> list[tuple[str, str]]:
        """(role, email) of the demo logins this app prints."""
        return []

    def summary(self, programme: Programme) -> list[str]:
        """Lines about this app's demo data of the pilot, in French."""
        return []

    def current_summary(self, current: Programme) -> list[str]:
        """Lines about this app's part of the current edition, in French."""
        return []

    def viewers(self, current: Programme) -> list[str]:
        """Who sees the current edition through this app (logins and how), in French."""
        return []


demo_loaders: LoaderRegistry[DemoLoader] = LoaderRegistry("demo")


# --- The scale data ------------------------------------------------------------------------


@dataclass
class ScaleRun:
    """One ``generate_scale_data`` run: the seed, the accounts' one password hash, what every edition shares."""

    seed: int
    password_hash: str
    shared: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScaleEdition:
    """One generated edition being built: the core's objects, the rows created per model, ``shared``."""

    run: ScaleRun
    index: int
    slug: str
    programme: Programme | None = None
    coordinator: User | None = None
    themes: list[Theme] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    shared: dict[str, Any] = field(default_factory=dict)

    def rng(self, key: str) -> random.Random:
        """A builder's own random generator: its data depend on the seed, the edition and its key only."""
        return random.Random(f"{self.run.seed}-{self.index}-{key}")

    def add(self, model: type[M], objects: Sequence[M]) -> list[M]:
        """Insert ``objects`` in batches (no signal, no history) and count them; return them, with their pks."""
        created = model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        self.counts[model._meta.label] += len(created)
        return created

    @property
    def email(self) -> Callable[[str], str]:
        """``email("p001")``: a generated address of this edition."""
        return f"{self.slug}-{{}}@{SCALE_EMAIL_DOMAIN}".format


class ScaleBuilder(Loader):
    """An app's part of a generated edition."""

    def prepare(self, run: ScaleRun) -> None:
        """Once per run, before the first edition: what every edition shares (in ``run.shared``)."""

    def build(self, edition: ScaleEdition) -> None:
        """Insert this app's part of ``edition``, in bulk (a constant number of queries)."""


SCALE_EMAIL_DOMAIN = "scale.example.org"
SCALE_SLUG_PREFIX = "scale"


def scale_slug(seed: int, index: int) -> str:
    """The slug of the ``index``-th generated edition of ``seed``."""
    return f"{SCALE_SLUG_PREFIX}-{seed}-{index}"


scale_builders: LoaderRegistry[ScaleBuilder] = LoaderRegistry("scale")


def figures_line(figures: list[tuple[int, str]]) -> str:
    """The counts contributed by every loader, by position, as one summary line."""
    return "  " + ", ".join(text for _position, text in sorted(figures, key=lambda figure: figure[0])) + "."
