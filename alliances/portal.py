"""The member portal's extension points: the home's cards and « à faire », and where « / » leads.

The core lays the home out and never names an app: each app contributes its part in its own
``<app>/portal.py`` (discovered by :class:`~alliances.registry.Registry`):

* :data:`home_parts`: a contribution's ``home(page)`` returns :class:`HomeParts`: its cards (a
  template included in the home's main or side column, by order), its « à faire » items
  (:class:`PendingItem`, gathered and sorted into the core's « À faire » card) and the template
  context its cards read (every part's context joins the page's, so keys must not clash);
* :data:`landings`: a contribution's ``destination(request)`` names where « / » and a fresh login
  lead this person (a URL name), or None to let the next rule (by ``order``) decide.

The view that shows the home is the participant's: ``networks.portal_views.home`` resolves the
current participation, builds the :class:`HomePage` and renders :func:`home_context`. Every part
costs a fixed number of queries, whatever the size of the edition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from alliances.models import Phase, Programme, Step
from alliances.registry import Registry

MAIN, SIDE = "main", "side"  # the home's two columns
TODO_ORDER = 20  # the « À faire » card, in the main column (the next session comes before it)


@dataclass(frozen=True)
class PendingItem:
    """One thing the participant has to do, as the home lists it."""

    label: str
    url: str
    due: dt.date | None
    kind: str

    @property
    def is_late(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()


@dataclass(frozen=True)
class HomePage:
    """Whose home is being built: the request, the current participation and its edition, the time."""

    request: HttpRequest
    participant: Any
    programme: Programme
    now: dt.datetime
    today: dt.date


@dataclass(frozen=True)
class Card:
    """A section of the home: ``template`` is included with the page's context, in ``column`` by ``order``."""

    template: str
    order: int
    column: str = MAIN


@dataclass
class HomeParts:
    """What one app puts on the home."""

    cards: list[Card] = field(default_factory=list)
    pending: list[PendingItem] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


class HomeContribution(Protocol):
    key: str

    def home(self, page: HomePage) -> HomeParts: ...


class Landing(Protocol):
    key: str
    order: int

    def destination(self, request: HttpRequest) -> str | None: ...


home_parts: Registry[HomeContribution] = Registry("portal")
landings: Registry[Landing] = Registry("portal")


def home_context(page: HomePage) -> dict[str, Any]:
    """The home's template context: every part's context, its cards by column and the sorted « à faire »."""
    context: dict[str, Any] = {}
    cards = [Card("portal/_home_todo.html", TODO_ORDER, MAIN)]
    pending: list[PendingItem] = []
    for contribution in home_parts.all():
        parts = contribution.home(page)
        context.update(parts.context)
        cards.extend(parts.cards)
        pending.extend(parts.pending)
    pending.sort(key=lambda item: (item.due is None, item.due or page.today, item.label))
    cards.sort(key=lambda card: (card.order, card.template))
    context.update(
        pending_items=pending,
        main_cards=[card for card in cards if card.column == MAIN],
        side_cards=[card for card in cards if card.column == SIDE],
        today=page.today,
    )
    return context


def landing(request: HttpRequest) -> HttpResponse:
    """Where « / » and a fresh login lead: each person to the space their role opens.

    Logged out, to the login page; otherwise the first :data:`landings` rule that names a
    destination (a participant: the portal; a coordinator: the admin; a committee member: the
    committee area); anyone else to their profile.
    """
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    for rule in landings.all():
        destination = rule.destination(request)
        if destination:
            return redirect(destination)
    return redirect("accounts:profile")


# --- The core's own parts -----------------------------------------------------------------


def programme_overview(programme: Programme, today: dt.date) -> tuple[Phase | None, list[tuple[Phase, int]]]:
    """The current phase and every phase with its derived progress: one query (the phases, their steps counted)."""
    # Phase.progress reads these counts instead of the steps themselves.
    phases = list(
        Phase.objects.filter(programme=programme)
        .annotate(step_total=Count("steps"), step_done=Count("steps", filter=Q(steps__status=Step.Status.DONE)))
        .order_by("number")
    )
    current = programme.current_phase(today, phases=phases)
    return current, [(phase, phase.progress()) for phase in phases]


@home_parts.register
class ProgrammeCard:
    """« Mon parcours »: the edition's dates, its current phase and every phase's progress."""

    key = "programme"

    def home(self, page: HomePage) -> HomeParts:
        current_phase, phases = programme_overview(page.programme, page.today)
        return HomeParts(
            cards=[Card("portal/_home_programme.html", 10, SIDE)],
            context={
                "current_phase": current_phase,
                "current_phase_progress": current_phase.progress() if current_phase else None,
                "phases": phases,
            },
        )


@landings.register
class StaffLanding:
    """Coordinators (staff) without a participation run the programme from the admin."""

    key = "staff"
    order = 20

    def destination(self, request: HttpRequest) -> str | None:
        return "admin:index" if request.user.is_staff else None
