"""The cockpit of an edition: one page that answers the coordinator's questions of the day.

The page (``/coordination/editions/<slug>/``, :mod:`alliances.cockpit_views`) is made
of panels. The core defines the registry and its own two panels (the phase and its
steps; e-mails failed or waiting); each app contributes the panels of its own subject
in a ``<app>/cockpit.py`` module that subclasses :class:`Panel` and decorates the
class with :func:`register`. The modules are found the way the notifications find
``reminders.py`` (:func:`django.utils.module_loading.autodiscover_modules`), so the
core never names an app.

A panel costs a fixed number of queries whatever the size of the edition or the
number of editions: it fetches what it shows for the whole edition at once (one
query per model, aggregates in the database), never per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances.access import CoordinatorHttpRequest
from alliances.models import Notification, Phase, Programme, Step
from alliances.registry import Registry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: What a panel's :meth:`Panel.get_data` returns and its :meth:`Panel.alerts` and template read.
D = TypeVar("D")


class Panel(Generic[D]):
    """One section of the cockpit.

    ``key``: unique, the section's HTML id; ``order``: panels are shown by increasing
    order; ``template``: rendered with the cockpit's context plus ``panel`` (this
    object) and ``data`` (what :meth:`get_data` returned).
    """

    key: str = ""
    title: StrOrPromise = ""
    template: str = ""
    order: int = 100

    def get_data(
        self, programme: Programme, *, request: CoordinatorHttpRequest, today: dt.date, now: dt.datetime
    ) -> D | None:
        """What the template shows, or ``None`` to leave the panel out (nothing to say); ``request`` is a coordinator's."""
        raise NotImplementedError

    def alerts(self, data: D) -> list[Alert]:
        """What needs doing, from ``data`` (no query): :class:`Alert` items for the top of the page."""
        return []


@dataclass
class Alert:
    """One line of the cockpit's « À traiter » summary, linking to the panel that explains it."""

    text: str
    anchor: str
    level: str = "warning"  # a Bootstrap colour: warning, danger, info


registry: Registry[Panel[Any]] = Registry("cockpit")

P = TypeVar("P", bound="Panel[Any]")


def register(panel_class: type[P]) -> type[P]:
    """Class decorator: add a :class:`Panel` to every edition's cockpit."""
    if not panel_class.key or not panel_class.template:
        raise ValueError(f"{panel_class.__name__} needs a key and a template.")
    return registry.register(panel_class)


def panels() -> list[Panel[Any]]:
    """Every registered panel by order, after importing each installed app's ``cockpit`` module once."""
    return registry.all()


@dataclass
class RenderedPanel:
    panel: Panel[Any]
    data: object

    @property
    def key(self) -> str:
        return self.panel.key

    @property
    def title(self) -> StrOrPromise:
        return self.panel.title

    @property
    def template(self) -> str:
        return self.panel.template


def build(
    programme: Programme, *, request: CoordinatorHttpRequest, today: dt.date, now: dt.datetime
) -> tuple[list[RenderedPanel], list[Alert]]:
    """``(panels, alerts)``: the panels of ``programme``'s cockpit that have something to show, in
    order, and what they say needs doing (danger first)."""
    rendered: list[RenderedPanel] = []
    alerts: list[Alert] = []
    for panel in panels():
        data = panel.get_data(programme, request=request, today=today, now=now)
        if data is not None:
            rendered.append(RenderedPanel(panel, data))
            alerts.extend(panel.alerts(data))
    alerts.sort(key=lambda alert: alert.level != "danger")
    return rendered, alerts


# --- The core's own panels ------------------------------------------------------------------


class PhasesData(TypedDict):
    current: Phase | None
    phases: list[Phase]
    late_steps: list[Step]


@register
class PhasePanel(Panel[PhasesData]):
    """The current phase and every phase's steps, late steps first: two queries."""

    key = "phases"
    title = _("Phases et étapes")
    template = "cockpit/_phases.html"
    order = 10

    def get_data(self, programme: Programme, *, request: HttpRequest, today: dt.date, now: dt.datetime) -> PhasesData:
        phases = list(
            Phase.objects.filter(programme=programme)
            .order_by("number")
            .prefetch_related(Prefetch("steps", queryset=Step.objects.order_by("letter")))
        )
        current = programme.current_phase(today, phases=phases)
        late: list[Step] = []
        for phase in phases:
            for step in phase.steps.all():
                step.phase = phase  # already loaded: no query per step
                step.is_late_today = step.is_late_on(today)
                if step.is_late_today:
                    late.append(step)
        late.sort(key=lambda step: (step.due_on, step.phase.number, step.letter))
        return {"current": current, "phases": phases, "late_steps": late}

    def alerts(self, data: PhasesData) -> list[Alert]:
        late = len(data["late_steps"])
        if not late:
            return []
        return [
            Alert(ngettext("%(count)d étape en retard", "%(count)d étapes en retard", late) % {"count": late}, self.key)
        ]


class EmailCounts(TypedDict):
    failed: int
    waiting: int  # pending or being sent
    sent_week: int  # in the last seven days
    failed_url: str  # the e-mail log, filtered
    waiting_url: str
    log_url: str


@register
class EmailPanel(Panel[EmailCounts]):
    """E-mails of the edition that failed or are waiting, linked to the filtered e-mail log: one query."""

    key = "emails"
    title = _("E-mails")
    template = "cockpit/_emails.html"
    order = 90

    def get_data(self, programme: Programme, *, request: HttpRequest, today: dt.date, now: dt.datetime) -> EmailCounts:
        counts = Notification.objects.filter(programme=programme).aggregate(
            failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
            waiting=Count("pk", filter=Q(status__in=[Notification.Status.PENDING, Notification.Status.SENDING])),
            sent_week=Count("pk", filter=Q(status=Notification.Status.SENT, sent_at__gte=now - dt.timedelta(days=7))),
        )
        log = f"{reverse('admin:alliances_notification_changelist')}?programme__id__exact={programme.pk}"
        return {
            "failed": counts["failed"],
            "waiting": counts["waiting"],
            "sent_week": counts["sent_week"],
            "failed_url": f"{log}&status__exact={Notification.Status.FAILED}",
            "waiting_url": f"{log}&status__exact={Notification.Status.PENDING}",
            "log_url": log,
        }

    def alerts(self, data: EmailCounts) -> list[Alert]:
        failed = data["failed"]
        if not failed:
            return []
        text = ngettext("%(count)d e-mail en échec", "%(count)d e-mails en échec", failed) % {"count": failed}
        return [Alert(text, self.key, "danger")]
