"""The inline SVG charts: well-formed, escaped, proportional, French numbers."""

import xml.etree.ElementTree as ET

import pytest

from alliances import charts

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg):
    return ET.fromstring(str(svg))


def texts(svg):
    return [t.text for t in parse(svg).iter("{http://www.w3.org/2000/svg}text")]


def rects(svg, css_class=None):
    found = parse(svg).iter("{http://www.w3.org/2000/svg}rect")
    return [r for r in found if css_class is None or r.get("class") == css_class]


def test_bar_chart_is_valid_svg_with_proportional_bars():
    svg = charts.bar_chart([("S1", 80), ("S2", 40), ("S3", None)], title="Présence", max_value=100, unit="%")
    root = parse(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 640 220"
    assert root.get("role") == "img" and root.get("aria-label") == "Présence"
    bars = rects(svg)
    assert len(bars) == 2  # no bar for the missing value
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == pytest.approx(2 * heights[1])
    labels = texts(svg)
    assert "80\u00a0%" in labels and "40\u00a0%" in labels and "—" in labels


def test_bar_chart_target_line():
    svg = charts.bar_chart([("accord", 9)], title="t", target=12, target_label="objectif : 12")
    assert parse(svg).find("svg:line[@class='target']", NS) is not None
    assert "objectif : 12" in texts(svg)


def test_labels_are_escaped():
    svg = charts.horizontal_bar_chart([('<script>alert("x")</script>', 3)], title='a "title" & <b>')
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    assert parse(svg).get("aria-label") == 'a "title" & <b>'
    assert texts(svg)[0].startswith("<script>")  # shown as text, not markup


def test_horizontal_bars_with_a_benchmark_line_at_its_value():
    svg = charts.horizontal_bar_chart(
        [("A", 4), ("B", 1)], title="Types", benchmark=2.5, benchmark_label="moyenne nationale : 2,5", max_value=5
    )
    bars = rects(svg, "bar")
    assert float(bars[0].get("width")) == pytest.approx(4 * float(bars[1].get("width")))
    line = parse(svg).find("svg:line[@class='benchmark']", NS)
    track = rects(svg)[0]
    x0, width = float(track.get("x")), float(track.get("width"))
    assert float(line.get("x1")) == pytest.approx(x0 + width * 2.5 / 5, abs=0.1)
    assert "moyenne nationale : 2,5" in texts(svg)


def test_row_benchmarks_and_legend():
    svg = charts.horizontal_bar_chart(
        [charts.Bar("mécénat", 100, 67), charts.Bar("innovation sociétale", 0, 25)],
        title="Formes",
        max_value=100,
        unit="%",
        row_benchmark_label="repère national PHARE 2015",
    )
    marks = parse(svg).findall("svg:line[@class='row-benchmark']", NS)
    assert len(marks) == 2
    assert "repère national PHARE 2015" in texts(svg)
    assert "100\u00a0%" in texts(svg) and "0\u00a0%" in texts(svg)


def test_long_labels_are_shortened():
    svg = charts.horizontal_bar_chart([("x" * 200, 1)], title="t", label_width=100)
    assert texts(svg)[0].endswith("…") and len(texts(svg)[0]) < 30


def test_progress_bar_share_and_bounds():
    half = charts.progress_bar(50, title="Avancement")
    track, filled = rects(half)
    assert float(filled.get("width")) == pytest.approx(float(track.get("width")) / 2)
    assert "50\u00a0%" in texts(half)
    assert len(rects(charts.progress_bar(0, title="t"))) == 1
    over = charts.progress_bar(150, title="t")
    assert float(rects(over)[1].get("width")) == pytest.approx(float(rects(over)[0].get("width")))
    assert "—" in texts(charts.progress_bar(None, title="t"))
    assert "3\u00a0%" in texts(charts.progress_bar(1, maximum=30, title="t"))


def test_empty_charts_still_draw():
    assert parse(charts.bar_chart([], title="vide")) is not None
    assert "—" in texts(charts.horizontal_bar_chart([], title="vide"))


def test_numbers_are_french():
    assert charts.format_number(2.5) == "2,5"
    assert charts.format_number(2.0) == "2"
    assert charts.format_number(66.666, 1, "%") == "66,7\u00a0%"
    assert charts.format_number(None) == "—"
