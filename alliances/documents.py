"""The document pipeline: a registry of document kinds, HTML → PDF with WeasyPrint, and the Report services.

The core imports no app (DESIGN §2): each app registers the documents it knows how to build
from its ``AppConfig.ready()`` with :func:`register`, giving

* a kind code (stored in ``Report.kind``) and a French label;
* ``build_context(programme, parameters, report=None)``, which gathers the data (in a bounded
  number of queries) and returns the template context (``report`` is the Report being rendered,
  None for a web page);
* the template name (under ``templates/documents/``, extending ``documents/base_print.html``);
* who may read it: its edition's coordinators always; beyond them, whoever its ``readers(user,
  report)`` rule accepts (None: coordinators only — attendance sheets, certificates: personal
  data). The committee documents declare governance's rule (``governance.documents``), so the core
  asks who sits on a committee without knowing what a committee is. ``committee_visible`` kinds
  are listed in the committee area; one that belongs to one committee (a meeting pack) names, in
  ``committee_parameter``, the parameter that stores that committee's code: only that committee's
  members read it (:func:`committee_may_read`, :func:`committee_documents`);
* the parameters it needs (a session, a participant, a committee…), each with its own cleaning.

One rendering path serves the Celery task, the admin, the coordinator pages and the
``render_report`` command: :func:`report_request` records a :class:`~alliances.models.Report`
and queues :func:`report_render` after the transaction commits; :func:`report_render` claims
the report (PENDING → RUNNING, one worker only), builds the PDF, stores it under an unguessable
name and marks it READY, or FAILED with the error message. Rendering a READY report again does
nothing unless forced, so a duplicated or retried task is harmless.

A worker can die mid-render (killed, out of memory, the machine lost). Three things make sure no
report stays « en cours » for ever:

* the claim records the Celery task id: the broker redelivers the unacknowledged message
  (``acks_late``) with the same id, and that redelivery takes its own claim over at once — at
  most ``MAX_RENDER_ATTEMPTS`` times, then the report is FAILED (a document that kills its
  worker every time must not loop). A *different* task still backs off while the claim is young;
* the watchdog :func:`report_recover_stale` (periodic task ``alliances.recover_reports``) marks a
  report RUNNING past the hard time limit FAILED with a French message and queues it again, once;
* :func:`report_render_again` (« Produire à nouveau ») releases any claim and renders again,
  whatever the state.

The HTML → PDF step (WeasyPrint, which never touches the network) is :mod:`alliances.document_rendering`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import override

from alliances.document_rendering import (  # noqa: F401 - the rendering helpers, re-exported for their importers
    PRINT_STYLESHEET,
    RenderedDocument,
    html_to_pdf,
    local_url_fetcher,
    print_stylesheet_path,
    render_document,
    render_html,
    safe_media_path,
)
from alliances.models import Programme, Report, User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# How many times the deliveries of one task may claim the same report: a redelivery (same task id) takes
# its dead predecessor's claim over, but a document that kills its worker each time must end « échec ».
MAX_RENDER_ATTEMPTS = 3
# The database unreachable or its connection lost: retried by the worker's task, not a document failure.
DATABASE_ERRORS = (OperationalError, InterfaceError)
# Keys of Report.parameters written by the pipeline itself, never by a kind's parameters.
RESERVED_PARAMETERS = frozenset({"title", "snapshot"})


class DocumentError(Exception):
    """An expected failure, with a message for the coordinator (« la session n'existe plus »)."""


# --- Registry -----------------------------------------------------------------------------


class BuildContext(Protocol):
    """A kind's builder: the template context of one document (``report``: the Report rendered, None for a page)."""

    def __call__(
        self, programme: Programme, parameters: dict[str, Any], /, *, report: Report | None = None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class DocumentParameter:
    """A parameter a kind needs (a session, a participant…), as the admin form and the command ask it.

    ``clean(programme, raw)`` turns the raw value (a session number, an e-mail address, a committee
    kind: what a person types) into the value stored in ``Report.parameters`` and raises
    ``ValidationError`` with a French message when it does not fit the programme.
    ``describe(programme, value)`` names it in the document's title. ``choices(programme)`` lists
    the values a form offers (``None``: a text field).
    """

    name: str
    label: StrOrPromise
    clean: Callable[[Programme, Any], Any]
    describe: Callable[[Programme, Any], str] | None = None
    choices: Callable[[Programme], list[tuple[str, str]]] | None = None
    required: bool = True
    help_text: StrOrPromise = ""


@dataclass(frozen=True)
class DocumentKind:
    code: str
    label: StrOrPromise
    template_name: str
    build_context: BuildContext
    committee_visible: bool
    parameters: tuple[DocumentParameter, ...] = ()
    #: context → a small JSON-able dict of key figures kept in Report.parameters["snapshot"].
    snapshot: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None
    #: called with the Report once READY (after commit): e.g. e-mail the file. Errors are logged, not raised.
    on_ready: Callable[[Report], None] | None = None
    #: checks the cleaned parameters together (a meeting of the chosen committee…); raises ValidationError.
    check: Callable[[Programme, dict[str, Any]], None] | None = None
    description: StrOrPromise = ""
    #: A committee-visible kind that belongs to one committee: the name of its parameter whose stored value is
    #: that committee's code in the edition (a committee's kind is unique per edition). Only the members of that
    #: committee read it (coordinators aside). None: an edition-wide document, read by every committee member.
    committee_parameter: str | None = None
    #: Who reads its reports besides the edition's coordinators: (user, report) → bool, at most one query.
    #: None: the coordinators only. A committee-visible kind needs one (its readers are the committees').
    readers: Callable[[User, Report], bool] | None = None


_kinds: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> DocumentKind:
    """Add a document kind (idempotent for the same code: the last registration wins)."""
    clash = RESERVED_PARAMETERS.intersection(p.name for p in kind.parameters)
    if clash:
        raise ValueError(f"Parameter names {sorted(clash)} are reserved by the document pipeline.")
    if kind.committee_parameter is not None and (
        not kind.committee_visible or kind.committee_parameter not in {p.name for p in kind.parameters}
    ):
        raise ValueError(
            f"Kind {kind.code!r}: committee_parameter must name one of its parameters, and the kind be committee-visible."
        )
    if kind.committee_visible and kind.readers is None:
        raise ValueError(f"Kind {kind.code!r}: a committee-visible kind declares its readers.")
    _kinds[kind.code] = kind
    return kind


def kinds() -> list[DocumentKind]:
    return sorted(_kinds.values(), key=lambda kind: str(kind.label))


def get_kind(code: str) -> DocumentKind:
    try:
        return _kinds[code]
    except KeyError:
        raise DocumentError(_("Type de document inconnu : « %(kind)s ».") % {"kind": code}) from None


def kind_choices() -> list[tuple[str, StrOrPromise]]:
    return [(kind.code, kind.label) for kind in kinds()]


def committee_visible_codes() -> list[str]:
    return sorted(code for code, kind in _kinds.items() if kind.committee_visible)


def may_read_beyond_coordinators(user: User, report: Report) -> bool:
    """Whether the kind's ``readers`` rule lets ``user`` read ``report`` (coordinators are the caller's question)."""
    kind = _kinds.get(report.kind)
    return kind is not None and kind.readers is not None and kind.readers(user, report)


def kind_label(code: str) -> str:
    kind = _kinds.get(code)
    return str(kind.label) if kind else code


# --- Selectors ----------------------------------------------------------------------------


def _committee_readable(committees: Iterable[str]) -> Q:
    """Reports a member of ``committees`` (their codes, in one edition) may read: edition-wide ones, and their own."""
    codes = sorted({str(code) for code in committees})
    readable = Q(
        kind__in=[code for code, kind in _kinds.items() if kind.committee_visible and not kind.committee_parameter]
    )
    for code, kind in _kinds.items():
        if kind.committee_visible and kind.committee_parameter and codes:
            readable |= Q(kind=code, **{f"parameters__{kind.committee_parameter}__in": codes})
    return readable


def committee_may_read(report: Report, committees: Iterable[str]) -> bool:
    """Whether a member of ``committees`` (their codes in the report's edition) may read ``report``.

    The same rule as :func:`committee_documents`, for one report already fetched (no query).
    """
    kind = _kinds.get(report.kind)
    if kind is None or not kind.committee_visible:
        return False
    if kind.committee_parameter is None:
        return True
    return str(report.parameters.get(kind.committee_parameter)) in {str(code) for code in committees}


def committee_documents(programme: Programme | int, *, committees: Iterable[str]) -> QuerySet[Report]:
    """The READY documents of a programme that the members of ``committees`` may download, newest first.

    ``committees``: the codes of the committees (in that edition) the reader sits on, or whose page is
    shown: the edition-wide documents, plus those that belong to one of them. For the committee area:
    ``{% url 'documents:download' report.pk %}`` for each of them; the title is ``report.parameters.title``.
    """
    return Report.objects.filter(
        _committee_readable(committees), programme=programme, status=Report.Status.READY
    ).order_by("-created_at", "-pk")


def awaited(*, now: dt.datetime | None = None) -> Q:
    """Reports PENDING or RUNNING for less time than a render may take: pages showing them reload themselves.

    Past that bound the worker is presumably gone: the page stops reloading and says so (the watchdog
    marks it « échec » and queues it again; a coordinator may produce it again at once).
    """
    cutoff = (now or timezone.now()) - stale_after()
    return (
        Q(status=Report.Status.RUNNING, started_at__gte=cutoff)
        | Q(status=Report.Status.PENDING, created_at__gte=cutoff)
        | Q(status=Report.Status.PENDING, requeued_at__gte=cutoff)
        # Marked « échec » by the watchdog, which queued it again at that instant: its retry is coming.
        | Q(status=Report.Status.FAILED, requeued_at__gte=cutoff, finished_at=F("requeued_at"))
    )


def report_awaited(report: Report, *, now: dt.datetime | None = None) -> bool:
    """:func:`awaited` for one report already fetched (no query)."""
    cutoff = (now or timezone.now()) - stale_after()
    if report.status == Report.Status.RUNNING:
        return report.started_at is not None and report.started_at >= cutoff
    if report.status == Report.Status.PENDING:
        return max(report.created_at, report.requeued_at or report.created_at) >= cutoff
    if report.status == Report.Status.FAILED:
        # The watchdog's first « échec » (finished and requeued at the same instant): its retry is coming.
        return report.requeued_at is not None and report.finished_at == report.requeued_at >= cutoff
    return False


def report_title(report: Report) -> str:
    return report.parameters.get("title") or kind_label(report.kind)


def report_filename(report: Report) -> str:
    """A safe attachment name: « tableau-de-bord-alliances-innovantes-2018-2018-09-13.pdf »."""
    stamp = timezone.localtime(report.finished_at or report.created_at or timezone.now())
    base = slugify(f"{report_title(report)} {stamp:%Y-%m-%d}")[:120].strip("-") or "document"
    return f"{base}.pdf"


# --- Parameters ---------------------------------------------------------------------------


def clean_parameters(kind: DocumentKind, programme: Programme, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the raw parameters of ``kind`` for ``programme``; return what Report.parameters stores.

    Raises ``ValidationError`` keyed by parameter name. The title (kind, programme, parameters)
    is stored along, so lists show it without a query per row.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, ValidationError] = {}
    described: list[str] = []
    for parameter in kind.parameters:
        value = raw.get(parameter.name)
        if value in (None, ""):
            if parameter.required:
                errors[parameter.name] = ValidationError(
                    _("Ce document demande : %(label)s.") % {"label": parameter.label}, code="required"
                )
            continue
        try:
            cleaned[parameter.name] = parameter.clean(programme, value)
        except ValidationError as error:
            errors[parameter.name] = error
            continue
        if parameter.describe:
            described.append(parameter.describe(programme, cleaned[parameter.name]))
    if errors:
        raise ValidationError(errors)
    if kind.check is not None:
        kind.check(programme, cleaned)
    for key, value in raw.items():
        # Markers set by the code (e.g. the meeting of an automatic pack), not asked in forms.
        if key not in cleaned and key not in RESERVED_PARAMETERS and key not in {p.name for p in kind.parameters}:
            cleaned[key] = value
    cleaned["title"] = " — ".join([str(kind.label), programme.name, *described])
    return cleaned


# --- Services -----------------------------------------------------------------------------


def report_request(
    *,
    kind: str,
    programme: Programme,
    parameters: Mapping[str, Any] | None = None,
    requested_by: User | None = None,
    enqueue: bool = True,
) -> Report:
    """Record a document to render and queue its rendering once the transaction commits.

    ``parameters`` are the raw values (a session number, an e-mail address…); they are
    validated by the kind (``ValidationError`` keyed by parameter name). With ``enqueue=False``
    the caller renders it itself (the ``render_report`` command).
    """
    document_kind = get_kind(kind)
    cleaned = clean_parameters(document_kind, programme, parameters or {})
    report = Report(kind=kind, programme=programme, parameters=cleaned, requested_by=requested_by)
    report.full_clean()
    report.save()
    if enqueue:
        _queue_renders([report.pk])
    return report


def stale_after() -> dt.timedelta:
    """A render still going after the hard task time limit (+ a minute) lost its worker: the limit kills it."""
    return dt.timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 360) + 60)


def report_claim(report_id: int, *, force: bool = False, task_id: str = "") -> dt.datetime | None:
    """Move the report to RUNNING if it is ours to render; return the claim time, or None.

    A sort of optimistic lock: a conditional UPDATE that only one caller can win. Claimable:
    PENDING, FAILED (a retry), RUNNING for longer than the task time limit (its worker died),
    RUNNING under our own ``task_id`` (we are the redelivery of a task whose worker died: a
    message is redelivered only once its worker is gone) fewer than ``MAX_RENDER_ATTEMPTS`` times,
    and READY only when ``force`` is given.
    """
    now = timezone.now()
    claimable = Q(status__in=[Report.Status.PENDING, Report.Status.FAILED]) | Q(
        status=Report.Status.RUNNING, started_at__lt=now - stale_after()
    )
    if task_id:
        claimable |= Q(status=Report.Status.RUNNING, task_id=task_id, attempts__lt=MAX_RENDER_ATTEMPTS)
    if force:
        claimable |= Q(status=Report.Status.READY)
    won = Report.objects.filter(claimable, pk=report_id).update(
        status=Report.Status.RUNNING,
        started_at=now,
        finished_at=None,
        error="",
        task_id=task_id or "",
        attempts=F("attempts") + 1,
    )
    return now if won else None


def report_render(
    report_id: int, *, force: bool = False, task_id: str = "", raise_database_errors: bool = False
) -> Report | None:
    """Render a report to PDF and store it; idempotent (a READY report is left alone unless ``force``).

    ``task_id``: the Celery task's id, so that its redelivery recognises its own claim.
    ``raise_database_errors``: a worker's task retries them; in-process (the embedded default)
    they are recorded as a failure like any other, for the coordinator to see. Returns the
    report as it ends (READY, FAILED, or untouched when another worker holds it or it was already
    done), or None when it no longer exists.
    """
    claimed_at = report_claim(report_id, force=force, task_id=task_id)
    report = Report.objects.select_related("programme").filter(pk=report_id).first()
    if report is None:
        return None
    if claimed_at is None:
        if task_id and report.status == Report.Status.RUNNING and report.task_id == task_id:
            _give_up_after_attempts(report, task_id)
        return report
    previous_file = report.file.name if report.file else ""
    try:
        kind = get_kind(report.kind)
        # Documents are in French whatever the language of whoever asked (DESIGN: French first).
        with override(settings.LANGUAGE_CODE):
            context = kind.build_context(report.programme, report.parameters, report=report)
            rendered = render_document(kind.template_name, context, programme=report.programme)
        parameters = dict(report.parameters)
        if kind.snapshot is not None:
            parameters["snapshot"] = kind.snapshot(context)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the report, for the coordinator to see
        if raise_database_errors and isinstance(exc, DATABASE_ERRORS):
            # The database went away mid-render: not the document's fault. The worker's task retries
            # with the same task id and takes this claim over, instead of showing « échec ».
            raise
        logger.exception("Rendering report %s (%s) failed", report_id, report.kind)
        Report.objects.filter(pk=report_id, started_at=claimed_at).update(
            status=Report.Status.FAILED, error=failure_message(exc)[:2000], finished_at=timezone.now()
        )
        report.refresh_from_db()
        return report

    storage = report.file.storage
    stored_name = storage.save(report.file.field.generate_filename(report, "document.pdf"), ContentFile(rendered.pdf))
    finished = Report.objects.filter(pk=report_id, status=Report.Status.RUNNING, started_at=claimed_at).update(
        status=Report.Status.READY,
        file=stored_name,
        pages=rendered.pages,
        parameters=parameters,
        finished_at=timezone.now(),
        error="",
    )
    if not finished:
        # Someone else took the report over meanwhile (it was stale, or forced): keep their result.
        storage.delete(stored_name)
        report.refresh_from_db()
        return report
    if previous_file and previous_file != stored_name:
        storage.delete(previous_file)
    report.refresh_from_db()
    if kind.on_ready is not None:
        transaction.on_commit(lambda: _run_on_ready(kind, report_id))
    return report


def _give_up_after_attempts(report: Report, task_id: str) -> None:
    """Our own claim, refused: every delivery of this task died while rendering. End it « échec », with why."""
    message = _(
        "La production a été interrompue %(count)s fois : le processus qui produisait ce document s'est arrêté "
        "en cours de route (mémoire insuffisante ou serveur redémarré). Relancez-le avec « Produire à nouveau » ; "
        "si cela se reproduit, prévenez l'équipe technique."
    ) % {"count": report.attempts}
    Report.objects.filter(
        pk=report.pk, status=Report.Status.RUNNING, task_id=task_id, attempts__gte=MAX_RENDER_ATTEMPTS
    ).update(status=Report.Status.FAILED, error=message, finished_at=timezone.now())
    report.refresh_from_db()


def report_recover_stale(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The watchdog (periodic task ``alliances.recover_reports``): no report waits for ever.

    * RUNNING for longer than :func:`stale_after`: its worker died without a word (the hard time
      limit killed it, or the machine was lost) and no redelivery came. It is marked FAILED with a
      French message, and queued again the first time (``requeued_at``); if that render dies too, it
      stays FAILED — for a person to look at — and is not queued again.
    * PENDING for as long, never started: its message was lost (the broker was down at commit).
      Queued again, once; a second message for a report already rendered does nothing.

    Each step is a conditional UPDATE on what was read (the claim's optimistic lock), so two
    watchdogs at once, or a worker finishing meanwhile, never make it queued twice. Returns counts.
    """
    now = now or timezone.now()
    cutoff = now - stale_after()
    minutes = max(1, round(stale_after().total_seconds() / 60))
    failed = 0
    requeue: list[int] = []
    running = Report.objects.filter(status=Report.Status.RUNNING, started_at__lt=cutoff)
    for pk, started_at, requeued_at in running.values_list("pk", "started_at", "requeued_at"):
        first = requeued_at is None
        if first:
            message = _(
                "Le processus qui produisait ce document s'est arrêté en cours de route (aucun résultat après "
                "%(minutes)s minutes). Une nouvelle tentative a été lancée automatiquement."
            )
        else:
            message = _(
                "Le processus qui produisait ce document s'est de nouveau arrêté en cours de route (aucun résultat "
                "après %(minutes)s minutes), après une nouvelle tentative automatique. Relancez-le avec « Produire à "
                "nouveau » ; si cela se reproduit, prévenez l'équipe technique."
            )
        won = (
            Report.objects.filter(pk=pk, status=Report.Status.RUNNING, started_at=started_at)
            .filter(Q(requeued_at__isnull=True) if first else Q(requeued_at=requeued_at))
            .update(
                status=Report.Status.FAILED,
                error=message % {"minutes": minutes},
                finished_at=now,
                requeued_at=now if first else requeued_at,
            )
        )
        failed += won
        if won and first:
            requeue.append(pk)
    never_started = Report.objects.filter(status=Report.Status.PENDING, created_at__lt=cutoff, requeued_at__isnull=True)
    for pk in never_started.values_list("pk", flat=True):
        if Report.objects.filter(pk=pk, status=Report.Status.PENDING, requeued_at__isnull=True).update(requeued_at=now):
            requeue.append(pk)
    _queue_renders(requeue)
    return {"failed": failed, "requeued": len(requeue)}


def report_render_again(report_ids: Iterable[int]) -> int:
    """« Produire à nouveau »: render these reports again with today's data, whatever their state; their count.

    A READY report keeps its file (still downloadable) until the new one replaces it: the task is
    forced. Every other one — FAILED, PENDING, RUNNING, stuck or not — goes back to PENDING with its
    claim released, so the queued task claims it at once; a worker still rendering the old request
    finds its claim gone and throws its result away. The attempts and the watchdog's one automatic
    retry start again, as for a new request.
    """
    with transaction.atomic():
        ids = list(Report.objects.filter(pk__in=list(report_ids)).order_by("pk").values_list("pk", flat=True))
        Report.objects.filter(pk__in=ids).exclude(status=Report.Status.READY).update(
            status=Report.Status.PENDING, started_at=None, finished_at=None, error="", task_id=""
        )
        Report.objects.filter(pk__in=ids).update(attempts=0, requeued_at=None)
        _queue_renders(ids, force=True)
    return len(ids)


def _queue_renders(ids: Iterable[int], *, force: bool = False) -> None:
    """Queue one render per report once the surrounding transaction (if any) commits."""
    from alliances.document_tasks import render_report  # the task module imports this one

    for report_id in ids:
        transaction.on_commit(partial(render_report.delay, report_id, force=force))


def failure_message(exc: Exception) -> str:
    """What the coordinator reads under « échec »: our French messages as they are, others with their type."""
    if isinstance(exc, SoftTimeLimitExceeded):
        return _("Délai dépassé : le document a mis plus de %(seconds)s secondes à se produire.") % {
            "seconds": getattr(settings, "CELERY_TASK_SOFT_TIME_LIMIT", 300)
        }
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, DocumentError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _run_on_ready(kind: DocumentKind, report_id: int) -> None:
    report = Report.objects.select_related("programme").filter(pk=report_id, status=Report.Status.READY).first()
    if report is None or kind.on_ready is None:
        return
    try:
        kind.on_ready(report)
    except Exception:  # noqa: BLE001 - the document stays ready; the failed follow-up is logged
        logger.exception("After-render step of report %s (%s) failed", report_id, report.kind)


def report_delete_file(report: Report) -> None:
    """Delete the stored PDF of a report (before deleting the report itself)."""
    if report.file:
        report.file.storage.delete(report.file.name)
