"""Charts as inline SVG, drawn by our own code: the same markup in the PDF (WeasyPrint) and on the web page.

No JavaScript, no network, no charting library: each helper returns a small ``<svg>`` string
(marked safe; every label is escaped here) with a ``viewBox``, so the stylesheet decides its
width and the drawing scales. Numbers are written the French way through Django's number
formatting (« 2,5 »).

* :func:`bar_chart` — vertical bars, one per category (sessions, statuses…);
* :func:`horizontal_bar_chart` — one row per item, with an optional benchmark line for all rows
  (« moyenne nationale : 2,5 ») or a benchmark mark per row (the PHARE 2015 share of each form);
* :func:`progress_bar` — a single share of a whole (phase progress, roadmap actions done).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
INK = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
BAR = "#1f5f99"
BAR_ALT = "#7aa6d1"
BENCHMARK = "#c0392b"
TRACK = "#e9ecef"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, and optionally its own benchmark (same unit as the value)."""

    label: str
    value: float | None
    benchmark: float | None = None


def _bars(items: Iterable) -> list[Bar]:
    bars = []
    for item in items:
        if isinstance(item, Bar):
            bars.append(item)
        else:
            bars.append(Bar(*item))
    return bars


def format_number(value, decimals=1, unit=""):
    """« 2,5 », « 67 % », « 12 »: whole numbers without decimals, others with ``decimals``."""
    if value is None:
        return "—"
    places = 0 if float(value).is_integer() else decimals
    text = number_format(round(float(value), places), places)
    if unit == "%":
        return f"{text}\u00a0%"
    return f"{text}{unit}"


def _text(x, y, content, *, size=11, anchor="start", fill=INK, weight="normal", extra=""):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}" font-weight="{weight}"{extra}>{escape(content)}</text>'
    )


def _truncate(label, limit):
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _svg(width, height, title, body, css_class):
    return mark_safe(  # noqa: S308 - every text node and attribute above is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart img-fluid {escape(css_class)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _scale_max(values: Sequence[float], floor: float | None) -> float:
    candidates = [v for v in values if v is not None]
    top = max(candidates, default=0)
    if floor is not None:
        top = max(top, floor)
    return top if top > 0 else 1


def bar_chart(
    items: Iterable,
    *,
    title: str,
    max_value: float | None = None,
    unit: str = "",
    target: float | None = None,
    target_label: str = "",
    width: int = 640,
    height: int = 220,
    decimals: int = 1,
) -> SafeString:
    """Vertical bars, one per item (``(label, value)`` or :class:`Bar`); a missing value draws no bar.

    ``target`` draws a horizontal dashed line across the chart (an objective), labelled ``target_label``.
    """
    bars = _bars(items)
    top_margin, bottom_margin, left, right = 22, 34, 8, 8
    plot_height = height - top_margin - bottom_margin
    scale = _scale_max([b.value for b in bars] + [target], max_value)
    body = [
        f'<line x1="{left}" y1="{height - bottom_margin}" x2="{width - right}" '
        f'y2="{height - bottom_margin}" stroke="{GRID}" stroke-width="1"/>'
    ]
    if not bars:
        body.append(_text(width / 2, height / 2, "—", anchor="middle", fill=MUTED))
        return _svg(width, height, title, body, "chart-bars")
    slot = (width - left - right) / len(bars)
    bar_width = min(slot * 0.6, 90)
    label_limit = max(6, int(slot / 6.5))
    for index, bar in enumerate(bars):
        centre = left + slot * index + slot / 2
        body.append(_text(centre, height - bottom_margin + 15, _truncate(bar.label, label_limit), anchor="middle"))
        if bar.value is None:
            body.append(_text(centre, height - bottom_margin - 6, "—", anchor="middle", fill=MUTED))
            continue
        bar_height = plot_height * max(float(bar.value), 0) / scale
        y = height - bottom_margin - bar_height
        body.append(
            f'<rect x="{centre - bar_width / 2:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
            f'height="{bar_height:.1f}" fill="{BAR}"/>'
        )
        body.append(
            _text(centre, y - 5, format_number(bar.value, decimals, unit), anchor="middle", weight="bold", size=11)
        )
    if target is not None:
        y = height - bottom_margin - plot_height * float(target) / scale
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{BENCHMARK}" '
            f'stroke-width="1.5" stroke-dasharray="6 4" class="target"/>'
        )
        if target_label:
            body.append(_text(width - right, y - 4, target_label, anchor="end", fill=BENCHMARK, size=10))
    return _svg(width, height, title, body, "chart-bars")


def horizontal_bar_chart(
    items: Iterable,
    *,
    title: str,
    max_value: float | None = None,
    unit: str = "",
    benchmark: float | None = None,
    benchmark_label: str = "",
    row_benchmark_label: str = "",
    width: int = 640,
    row_height: int = 22,
    label_width: int = 230,
    decimals: int = 1,
) -> SafeString:
    """One row per item: label, bar, value.

    ``benchmark`` draws one vertical dashed line for all rows (« moyenne nationale : 2,5 »);
    an item's own ``benchmark`` (a :class:`Bar` or a 3-tuple) draws a mark on its row, and the
    legend names it ``row_benchmark_label``.
    """
    bars = _bars(items)
    has_row_benchmarks = any(b.benchmark is not None for b in bars)
    top = 20 if (benchmark is not None and benchmark_label) else 6
    legend = 20 if (has_row_benchmarks and row_benchmark_label) else 0
    height = top + max(len(bars), 1) * row_height + 8 + legend
    value_width = 60
    plot_left = label_width + 6
    plot_width = width - plot_left - value_width
    scale = _scale_max([b.value for b in bars] + [b.benchmark for b in bars] + [benchmark], max_value)
    label_limit = max(8, int(label_width / 6.6))
    body = []
    if not bars:
        body.append(_text(width / 2, top + row_height / 2 + 4, "—", anchor="middle", fill=MUTED))
    for index, bar in enumerate(bars):
        y = top + index * row_height
        middle = y + row_height / 2
        body.append(_text(label_width, middle + 4, _truncate(bar.label, label_limit), anchor="end"))
        body.append(
            f'<rect x="{plot_left}" y="{y + 4:.1f}" width="{plot_width:.1f}" height="{row_height - 8:.1f}" '
            f'fill="{TRACK}"/>'
        )
        if bar.value is not None:
            length = plot_width * max(float(bar.value), 0) / scale
            body.append(
                f'<rect x="{plot_left}" y="{y + 4:.1f}" width="{length:.1f}" height="{row_height - 8:.1f}" '
                f'fill="{BAR}" class="bar"/>'
            )
        body.append(
            _text(plot_left + plot_width + 6, middle + 4, format_number(bar.value, decimals, unit), weight="bold")
        )
        if bar.benchmark is not None:
            x = plot_left + plot_width * float(bar.benchmark) / scale
            body.append(
                f'<line x1="{x:.1f}" y1="{y + 1:.1f}" x2="{x:.1f}" y2="{y + row_height - 1:.1f}" '
                f'stroke="{BENCHMARK}" stroke-width="3" class="row-benchmark"/>'
            )
    if benchmark is not None:
        x = plot_left + plot_width * float(benchmark) / scale
        bottom = top + max(len(bars), 1) * row_height
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{BENCHMARK}" '
            f'stroke-width="1.5" stroke-dasharray="5 3" class="benchmark"/>'
        )
        if benchmark_label:
            anchor = "end" if x > plot_left + plot_width * 0.6 else "start"
            body.append(
                _text(
                    x + (-4 if anchor == "end" else 4), top - 6, benchmark_label, anchor=anchor, fill=BENCHMARK, size=10
                )
            )
    if legend:
        y = height - 8
        body.append(
            f'<line x1="{plot_left}" y1="{y - 9}" x2="{plot_left}" y2="{y + 1}" stroke="{BENCHMARK}" stroke-width="3"/>'
        )
        body.append(_text(plot_left + 8, y, row_benchmark_label, fill=BENCHMARK, size=10))
    return _svg(width, height, title, body, "chart-hbars")


def progress_bar(
    value: float | None,
    *,
    title: str,
    maximum: float = 100,
    label: str = "",
    width: int = 640,
    height: int = 18,
) -> SafeString:
    """A track filled to ``value / maximum``, with the share written at its end (« 40 % »)."""
    share = None if value is None or not maximum else max(0.0, min(float(value) / float(maximum), 1.0))
    value_width = 56
    label_width = 0
    body = []
    if label:
        label_width = 230
        body.append(_text(label_width, height / 2 + 4, _truncate(label, 35), anchor="end"))
    track_left = label_width + (6 if label else 0)
    track_width = width - track_left - value_width
    body.append(f'<rect x="{track_left}" y="3" width="{track_width:.1f}" height="{height - 6}" rx="3" fill="{TRACK}"/>')
    if share is not None and share > 0:
        body.append(
            f'<rect x="{track_left}" y="3" width="{track_width * share:.1f}" height="{height - 6}" rx="3" '
            f'fill="{BAR}" class="progress"/>'
        )
    shown = "—" if share is None else format_number(share * 100, 0, "%")
    body.append(_text(track_left + track_width + 6, height / 2 + 4, shown, weight="bold"))
    return _svg(width, height, title, body, "chart-progress")
