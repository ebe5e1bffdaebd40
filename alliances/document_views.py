"""Documents on the web: download, status, produce again, launch (the dashboard page is evaluation's).

Who may do what:

* the coordinators of an edition (superusers: every edition) download, follow and launch all its
  documents;
* beyond them, whoever the document's kind lets read it (its ``readers`` rule,
  :func:`alliances.documents.may_read_beyond_coordinators`): the committee documents declare
  governance's rule — the edition-wide ones (dashboard, evaluation report) for every committee
  member of the edition, a meeting pack for its committee's members —; attendance sheets and
  certificates declare none;
* logged out → login page; anyone else → 404 for a document (no leak: by id as by file URL,
  since files are only served here), 403 for the launch page when the person coordinates
  nothing.

Stored files are never served through ``MEDIA_URL``: production serves no media at all, and
the DEBUG media route of ``alliances/urls.py`` (:func:`debug_media`) refuses ``reports/``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.static import serve

from alliances.access import AuthenticatedHttpRequest
from alliances.document_rendering import safe_media_path
from alliances.documents import (
    DocumentError,
    get_kind,
    may_read_beyond_coordinators,
    report_awaited,
    report_filename,
    report_render_again,
    report_request,
    report_title,
)
from alliances.models import Programme, Report, User

# While a document is being rendered, its status page reloads itself every few seconds.
STATUS_REFRESH_SECONDS = 3


class DocumentAccess:
    """What one user may reach of the documents; the editions they coordinate cost one query, cached."""

    def __init__(self, user: User) -> None:
        self.user = user
        self._coordinated: frozenset[int] | None = None

    @property
    def is_superuser(self) -> bool:
        return self.user.is_active and self.user.is_superuser

    def coordinated_ids(self) -> frozenset[int]:
        """The editions the user coordinates (superusers aside: they reach every edition)."""
        if self._coordinated is None:
            self._coordinated = (
                frozenset(self.user.coordinated_programmes().order_by().values_list("pk", flat=True))
                if self.user.is_active and not self.is_superuser
                else frozenset()
            )
        return self._coordinated

    def coordinates(self, programme_id: int) -> bool:
        return self.is_superuser or programme_id in self.coordinated_ids()

    def coordinates_any(self) -> bool:
        return self.is_superuser or bool(self.coordinated_ids())

    def may_read(self, report: Report) -> bool:
        """Its edition's coordinators, or whoever its kind's ``readers`` rule accepts (one more query)."""
        return self.coordinates(report.programme_id) or may_read_beyond_coordinators(self.user, report)


class DocumentsHttpRequest(AuthenticatedHttpRequest):
    """For type annotations only: the request of a view behind :func:`documents_login_required`."""

    document_access: DocumentAccess


View = Callable[..., HttpResponseBase]


def documents_login_required(view: View) -> View:
    """Logged out → the login page; otherwise ``request.document_access`` is the user's :class:`DocumentAccess`."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # From here on the request is a logged-in one: the attribute the views read is set on it.
        documents_request = cast(DocumentsHttpRequest, request)
        documents_request.document_access = DocumentAccess(request.user)
        return view(documents_request, *args, **kwargs)

    return wrapper


def _readable_report(request: DocumentsHttpRequest, pk: int, **filters: Any) -> Report:
    report = Report.objects.filter(pk=pk, **filters).select_related("programme").first()
    if report is None or not request.document_access.may_read(report):
        raise Http404
    return report


# --- Download and status ------------------------------------------------------------------


@documents_login_required
def download(request: DocumentsHttpRequest, pk: int) -> FileResponse:
    """The PDF as an attachment with a readable, safe name; 404 for anyone who may not read it."""
    report = _readable_report(request, pk, status=Report.Status.READY)
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("Ce document n'est plus disponible : relancez sa production.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=report_filename(report), content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _status_data(report: Report, awaited: bool) -> dict[str, Any]:
    return {
        "id": report.pk,
        "kind": report.kind,
        "title": report_title(report),
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "error": report.error,
        "pages": report.pages,
        "download_url": reverse("documents:download", args=[report.pk])
        if report.status == Report.Status.READY
        else None,
        # Seconds before asking again; None on a final state, and once the wait has outlived any render.
        "refresh_seconds": STATUS_REFRESH_SECONDS if awaited else None,
    }


@documents_login_required
def status(request: DocumentsHttpRequest, pk: int) -> HttpResponse:
    """Where a document stands: a small page that reloads itself while pending, or JSON (``?format=json``).

    It reloads only while a result may still come: not on a final state, and not once the document has
    waited longer than a render may take (its worker is presumably gone: the page says so instead).
    """
    report = _readable_report(request, pk)
    awaited = report_awaited(report)
    data = _status_data(report, awaited)
    if request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(data)
    pending = report.status in (Report.Status.PENDING, Report.Status.RUNNING)
    response = render(
        request,
        "documents/status.html",
        {
            "report": report,
            "data": data,
            "pending": pending,
            "overdue": pending and not awaited,
            "refresh_seconds": STATUS_REFRESH_SECONDS,
            "may_launch": request.document_access.coordinates(report.programme_id),
        },
    )
    if awaited:
        # The browser reloads the page by itself (the Refresh header: no script needed).
        response["Refresh"] = str(STATUS_REFRESH_SECONDS)
    return response


@require_POST
@documents_login_required
def render_again(request: DocumentsHttpRequest, pk: int) -> HttpResponse:
    """« Produire à nouveau » from the status page: the edition's coordinators, whatever the document's state."""
    report = _readable_report(request, pk)
    if not request.document_access.coordinates(report.programme_id):
        raise PermissionDenied  # a committee member reads it, but does not launch documents
    report_render_again([report.pk])
    return _to_status(
        request,
        report,
        ready=_("« %(title)s » a été produit à nouveau : vous pouvez le télécharger."),
        waiting=_("« %(title)s » est relancé : cette page se met à jour toute seule."),
    )


def _to_status(request: HttpRequest, report: Report, *, ready: str, waiting: str) -> HttpResponse:
    """Back to the document's status page, saying where it stands (``ready`` / ``waiting``: « %(title)s » messages)."""
    report.refresh_from_db(fields=["status"])  # rendered already when tasks run in-process
    if report.status != Report.Status.FAILED:  # a failure: the status page says why
        message = ready if report.status == Report.Status.READY else waiting
        messages.success(request, message % {"title": report_title(report)})
    return redirect("documents:status", pk=report.pk)


# --- Launch (coordinators) -------------------------------------------------------------------


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@require_POST
@documents_login_required
def launch(request: DocumentsHttpRequest) -> HttpResponse:
    """A coordinator asks for a document (kind, edition and the kind's parameters, from a form)."""
    access = request.document_access
    if not access.coordinates_any():
        raise PermissionDenied
    programme = Programme.objects.filter(pk=request.POST.get("programme") or 0).first()
    if programme is None or not access.coordinates(programme.pk):
        raise Http404
    fallback = reverse("documents:dashboard", args=[programme.slug])
    try:
        kind = get_kind(request.POST.get("kind", ""))
        raw = {p.name: request.POST.get(p.name, "") for p in kind.parameters}
        report = report_request(kind=kind.code, programme=programme, parameters=raw, requested_by=request.user)
    except DocumentError as error:
        messages.error(request, str(error))
        return _back(request, fallback)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request, fallback)
    return _to_status(
        request,
        report,
        ready=_("« %(title)s » est prêt : vous pouvez le télécharger."),
        waiting=_("« %(title)s » est en cours de production : cette page se met à jour toute seule."),
    )


# --- DEBUG media ---------------------------------------------------------------------------


def debug_media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Media files in DEBUG only (uploads such as resources), never the generated documents.

    The path is normalised first, so « resources/../reports/… » is refused too.
    """
    normalised = safe_media_path(path)
    if normalised == "reports" or normalised.startswith("reports/"):
        raise Http404
    return serve(request, normalised, document_root=str(settings.MEDIA_ROOT))
