"""HTML → PDF for the document pipeline (alliances.documents): WeasyPrint, the print stylesheet, no network.

WeasyPrint never touches the network: the ``LocalOnlyURLFetcher`` refuses every URL that is not a
``data:`` URI or a file inside the project's static folders. WeasyPrint is imported lazily: it
loads Pango, which the web process rarely needs. ``alliances.documents`` re-exports these names.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from alliances.models import Programme

PRINT_STYLESHEET = "css/print.css"


@dataclass(frozen=True)
class RenderedDocument:
    html: str
    pdf: bytes
    pages: int


def _static_roots() -> list[Path]:
    roots = [Path(path).resolve() for path in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def _weasyprint() -> Any:  # the weasyprint module, which ships no types
    import weasyprint  # imported lazily: it loads Pango, which the web process rarely needs

    return weasyprint


@functools.cache
def _local_only_fetcher_class() -> type[Any]:  # WeasyPrint ships no types: its URLFetcher is Any
    from weasyprint.urls import URLFetcher

    class LocalOnlyURLFetcher(URLFetcher):
        """Fetch ``data:`` URIs and files of the static folders; refuse everything else (no network)."""

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(root) for root in _static_roots()) and path.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"URL refused by the document renderer (only local static files): {url}")

    return LocalOnlyURLFetcher


def local_url_fetcher() -> Any:
    return _local_only_fetcher_class()()


def print_stylesheet_path() -> Path:
    found = finders.find(PRINT_STYLESHEET)
    if found:
        return Path(found)
    return Path(settings.STATIC_ROOT) / PRINT_STYLESHEET


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """HTML → (PDF bytes, number of pages), with the print stylesheet and no network access."""
    weasyprint = _weasyprint()
    fetcher = local_url_fetcher()
    static_base = _static_roots()[0] if _static_roots() else Path(settings.BASE_DIR)
    stylesheet = weasyprint.CSS(filename=str(print_stylesheet_path()), url_fetcher=fetcher)
    document = weasyprint.HTML(string=html, base_url=static_base.as_uri() + "/", url_fetcher=fetcher).render(
        stylesheets=[stylesheet]
    )
    return document.write_pdf(), len(document.pages)


def render_html(template_name: str, context: dict[str, Any], *, programme: Programme | None = None) -> str:
    """The document's HTML: the template with the header data every document shows."""
    full_context = {"programme": programme, "generated_at": timezone.localtime(), **context}
    return render_to_string(template_name, full_context)


def render_document(
    template_name: str, context: dict[str, Any], *, programme: Programme | None = None
) -> RenderedDocument:
    html = render_html(template_name, context, programme=programme)
    pdf, pages = html_to_pdf(html)
    return RenderedDocument(html=html, pdf=pdf, pages=pages)


def safe_media_path(path: str) -> str:
    """The normalised media path (``resources/../reports/x`` → ``reports/x``), for the DEBUG media view."""
    return posixpath.normpath(unquote(path)).lstrip("/")
