"""The small SVG line charts: tick values, valid XML, one line per series, legend, escaping, odd data."""

import math
import xml.etree.ElementTree as ET

import pytest

from ktnas_core.svgplot import PALETTE, Panel, Series, ticks, line_chart, write_svg

NS = "{http://www.w3.org/2000/svg}"


def _chart(panels, **kw):
    kw = {"title": "title", "xlabel": "x", "ylabel": "y", **kw}
    return ET.fromstring(line_chart(panels, **kw))


def _points(polyline):
    return [tuple(float(v) for v in p.split(",")) for p in polyline.get("points").split()]


def _frames(root):
    """The panel frames, as (x0, y0, x1, y1)."""
    return [(float(r.get("x")), float(r.get("y")), float(r.get("x")) + float(r.get("width")),
             float(r.get("y")) + float(r.get("height")))
            for r in root.iter(NS + "rect") if r.get("stroke") == "#999"]


def _texts(root):
    return [el.text for el in root.iter(NS + "text")]


def _y_tick_labels(root):
    return [el for el in root.iter(NS + "text") if el.get("text-anchor") == "end"]


def _is_round(v):
    """At most three significant digits (1, 2, 2.5, 5, 7.5 ... times a power of ten)."""
    return v == 0 or float(f"{v:.3g}") == pytest.approx(v, rel=1e-12)


# --------------------------------------------------------------------------- ticks


@pytest.mark.parametrize("lo, hi, log", [
    (0, 1, False), (44.1, 46, False), (7, 55, False), (-5, 5, False), (0.001, 0.0042, False),
    (0.2, 0.9, False), (1, 50, False), (3900, 4096, False),
    (1, 15625, True), (520, 1950, True), (3, 700, True), (1, 4096, True), (0.5, 1, True), (1, 2, True),
    (1e-3, 1e6, True), (1, 1e20, True),
])
def test_ticks_are_few_round_and_inside(lo, hi, log):
    values = ticks(lo, hi, log)
    assert 3 <= len(values) <= 7
    assert all(b > a for a, b in zip(values, values[1:]))
    eps = (hi - lo) * 1e-9
    assert all(lo - eps <= t <= hi + eps for t in values)
    assert all(_is_round(t) for t in values)
    if not log:  # evenly spaced on a linear axis
        steps = [b - a for a, b in zip(values, values[1:])]
        assert max(steps) == pytest.approx(min(steps))


@pytest.mark.parametrize("lo, hi, log, expected", [
    (0, 1, False, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    (44.1, 46, False, [44.5, 45, 45.5, 46]),
    (7, 55, False, [10, 20, 30, 40, 50]),
    (1, 15625, True, [1, 10, 100, 1000, 10000]),
    (3, 700, True, [3, 10, 30, 100, 300]),
])
def test_ticks_exact(lo, hi, log, expected):
    assert ticks(lo, hi, log) == pytest.approx(expected)


def test_log_ticks_are_powers_of_ten_when_enough():
    values = ticks(1, 15625, True)
    assert all(math.log10(t) == round(math.log10(t)) for t in values)


# --------------------------------------------------------------------------- line_chart


def test_one_polyline_per_series_inside_its_panel():
    panels = [Panel("left", [Series("a", [1, 2, 3], [0.1, 0.5, 0.9]), Series("b", [1, 2, 3], [0.9, 0.5, 0.1])]),
              Panel("right", [Series("a", [1, 5], [0.2, 0.4])])]
    root = _chart(panels)
    assert root.tag == NS + "svg"
    lines = list(root.iter(NS + "polyline"))
    assert [len(_points(p)) for p in lines] == [3, 3, 2]
    frames = _frames(root)
    assert len(frames) == 2
    for line, frame in zip(lines, [frames[0], frames[0], frames[1]]):
        for x, y in _points(line):
            assert math.isfinite(x) and math.isfinite(y)
            assert frame[0] - 1e-6 <= x <= frame[2] + 1e-6 and frame[1] - 1e-6 <= y <= frame[3] + 1e-6
    # x increases to the right, y upwards
    xs, ys = zip(*_points(lines[0]))
    assert xs[0] < xs[1] < xs[2] and ys[0] > ys[1] > ys[2]
    # the x range is shared: x = 1 at the left edge and x = 5 at the right edge of each panel
    assert xs[0] == pytest.approx(frames[0][0])
    assert _points(lines[2])[-1][0] == pytest.approx(frames[1][2])
    # the same label keeps its colour across panels; labels take the palette in order
    assert [p.get("stroke") for p in lines] == [PALETTE[0], PALETTE[1], PALETTE[0]]


def test_legend_entry_per_distinct_label():
    panels = [Panel("p1", [Series("a", [1, 2], [1, 2]), Series("b", [1, 2], [2, 3])]),
              Panel("p2", [Series("b", [1, 2], [1, 2]), Series("c", [1, 2], [3, 1], dash="4 2")])]
    root = _chart(panels)
    texts = _texts(root)
    assert [texts.count(lab) for lab in ("a", "b", "c")] == [1, 1, 1]
    legend = [el for el in root.iter(NS + "line") if el.get("stroke-width") == "2.2"]
    assert [el.get("stroke") for el in legend] == list(PALETTE[:3])
    assert [el.get("stroke-dasharray") for el in legend] == ["", "", "4 2"]


def test_many_labels_wrap_the_legend_and_cycle_the_palette():
    n = len(PALETTE) + 2
    root = _chart([Panel("p", [Series(f"s{k}", [0, 1], [k, k + 1]) for k in range(n)])])
    legend = [el for el in root.iter(NS + "line") if el.get("stroke-width") == "2.2"]
    assert len(legend) == n
    assert legend[len(PALETTE)].get("stroke") == PALETTE[0]
    assert len({el.get("y1") for el in legend}) > 1  # more than one legend row
    height = float(root.get("height"))
    assert all(float(el.get("y1")) < height for el in legend)


def test_text_is_escaped():
    weird = "a<b & c>d"
    root = _chart([Panel(f"panel {weird}", [Series(f"label {weird}", [1, 2], [1, 2])])],
                  title=f"title {weird}", xlabel=f"x {weird}", ylabel=f"y {weird}")
    texts = _texts(root)
    for prefix in ("panel", "label", "title", "x", "y"):
        assert f"{prefix} {weird}" in texts
    raw = line_chart([Panel("p", [])], title="<script>&", xlabel="x", ylabel="y")
    assert "<script>" not in raw and "&lt;script&gt;&amp;" in raw


def test_empty_panels():
    root = _chart([Panel("nothing", [])])
    assert list(root.iter(NS + "polyline")) == []
    assert "nothing" in _texts(root) and len(_frames(root)) == 1
    root = _chart([Panel("empty", []), Panel("full", [Series("a", [1, 2], [3, 4])])])
    assert len(list(root.iter(NS + "polyline"))) == 1 and len(_frames(root)) == 2
    assert line_chart([Panel("empty", [])], title="t", xlabel="x", ylabel="y", log_x=True, log_y=True)


def test_nan_values_are_skipped():
    nan = float("nan")
    root = _chart([Panel("p", [Series("some", [1, 2, 3, 4], [1.0, nan, 3.0, float("inf")]),
                               Series("none", [1, 2], [nan, nan])])])
    lines = list(root.iter(NS + "polyline"))
    assert len(lines) == 1 and len(_points(lines[0])) == 2
    assert all(math.isfinite(v) for p in _points(lines[0]) for v in p)
    assert "nan" not in ET.tostring(root, encoding="unicode").lower()
    assert _texts(root).count("none") == 1  # still in the legend


def test_log_axes_skip_non_positive_values():
    panels = [Panel("p", [Series("a", [0, -1, 1, 10, 100], [5, 5, 1, 10, 100]),
                          Series("b", [1, 10, 100], [-1, 0, 50]),
                          Series("c", [1, 10], [0, -2])])]
    root = _chart(panels, log_x=True, log_y=True)
    lines = list(root.iter(NS + "polyline"))
    assert [len(_points(p)) for p in lines] == [3, 1]
    a = _points(lines[0])
    # equal steps on the log scale are equal distances
    assert a[1][0] - a[0][0] == pytest.approx(a[2][0] - a[1][0], abs=0.15)
    assert a[0][1] - a[1][1] == pytest.approx(a[1][1] - a[2][1], abs=0.15)
    for x, y in a + _points(lines[1]):
        assert math.isfinite(x) and math.isfinite(y)
    # the same data on linear axes keep every point of "a"
    lin = list(_chart(panels).iter(NS + "polyline"))
    assert [len(_points(p)) for p in lin] == [5, 3, 2]


def test_y_range_fixes_the_axis():
    root = _chart([Panel("p", [Series("a", [1, 2, 3], [0.0, 0.5, 1.0])])], y_range=(0.0, 1.0))
    (x0, y0, x1, y1), = _frames(root)
    pts = _points(next(root.iter(NS + "polyline")))
    assert pts[0][1] == pytest.approx(y1) and pts[2][1] == pytest.approx(y0)
    assert pts[1][1] == pytest.approx((y0 + y1) / 2, abs=0.1)
    assert [el.text for el in _y_tick_labels(root)] == ["0", "0.2", "0.4", "0.6", "0.8", "1"]


def test_share_y_false_labels_every_panel():
    panels = [Panel("small", [Series("a", [1, 2], [0.0, 1.0])]),
              Panel("large", [Series("a", [1, 2], [100.0, 200.0])]),
              Panel("empty", [])]
    shared = _chart(panels)
    assert len({el.get("x") for el in _y_tick_labels(shared)}) == 1  # labels on the first panel only
    own = _chart(panels, share_y=False)
    frames = _frames(own)
    labels = _y_tick_labels(own)
    assert len(frames) == 3
    for x0, *_ in frames:
        assert any(float(el.get("x")) == pytest.approx(x0 - 5) for el in labels)
    texts = [el.text for el in labels]
    assert "0.2" in texts and "200" in texts
    # each panel's line fills its own height
    lines = list(own.iter(NS + "polyline"))
    for line, (_, y0, _, y1) in zip(lines, frames):
        ys = [y for _, y in _points(line)]
        assert ys == pytest.approx([y1, y0])
    # while a shared axis squeezes the small values to the bottom
    small = [y for _, y in _points(next(shared.iter(NS + "polyline")))]
    assert small[1] > frames[0][3] - 10


def test_large_and_tiny_numbers_are_short():
    root = _chart([Panel("p", [Series("a", [1, 100000], [1e-5, 3e-5])])])
    x_labels = [el.text for el in root.iter(NS + "text") if el.get("text-anchor") == "middle"
                and el.get("y") == "260"]
    assert x_labels == ["2e4", "4e4", "6e4", "8e4", "1e5"]
    y_labels = [el.text for el in _y_tick_labels(root)]
    assert y_labels[0] == "1e-5" and y_labels[-1] == "3e-5" and "1.5e-5" in y_labels


def test_tick_labels_are_distinct():
    root = _chart([Panel("p", [Series("a", [1, 2], [1e-5, 3e-5])])])
    y_labels = [el.text for el in _y_tick_labels(root)]
    assert len(set(y_labels)) == len(y_labels)


def test_nan_x_is_skipped():
    root = _chart([Panel("p", [Series("a", [1, float("nan"), 3], [1, 2, 3])])])
    assert [len(_points(p)) for p in root.iter(NS + "polyline")] == [2]
    assert all(math.isfinite(v) for p in root.iter(NS + "polyline") for pt in _points(p) for v in pt)


def test_write_svg_creates_parents(tmp_path):
    svg = line_chart([Panel("p", [Series("a", [1, 2], [1, 2])])], title="t", xlabel="x", ylabel="y")
    path = tmp_path / "a" / "b" / "chart.svg"
    assert write_svg(path, svg) == path
    assert path.read_text(encoding="utf-8") == svg
    assert ET.parse(path).getroot().tag == NS + "svg"
    assert write_svg(str(path), "<svg/>") == path  # overwrites, takes a str too
    assert path.read_text(encoding="utf-8") == "<svg/>"


def test_log_axis_refuses_a_range_from_zero():
    from ktnas_core.errors import ParameterError

    with pytest.raises(ParameterError, match=r"y_range=\(0, 1\) cannot start at or below 0 on a log axis"):
        line_chart([Panel("p", [Series("a", [1, 2], [1, 2])])], title="t", xlabel="x", ylabel="y", log_y=True,
                   y_range=(0, 1))
