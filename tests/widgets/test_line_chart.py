"""The app's SVG line charts: what a curve is drawn with, axes, bands, legend, tooltips, ids."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from widgets.line_chart import MAX_TIPS, Line, LineChart, Panel, chart_svg

NS = "{http://www.w3.org/2000/svg}"


def svg(panels, **options):
    options = {"width": 600, "height": 320, **options}
    return chart_svg("title", panels, "y", **options)


def tree(text):
    return ET.fromstring(text)  # valid XML, every text and attribute escaped


def path_points(d):
    """The (x, y) pixel points a path's M/L/H/V commands visit."""
    points, x, y = [], 0.0, 0.0
    for cmd, args in re.findall(r"([MLHVZ])([^MLHVZ]*)", d):
        nums = [float(v) for v in args.split()]
        if cmd in "ML":
            x, y = nums
        elif cmd == "H":
            x = nums[0]
        elif cmd == "V":
            y = nums[0]
        else:
            continue
        points.append((x, y))
    return points


def the_line(root, name):
    path, = [p for p in root.iter(NS + "path") if p.get("class") == "line" and p.get("data-series") == name]
    return path


def test_a_step_line_has_a_corner_per_improvement_only():
    x = list(range(1, 1001))
    y = [5.0] * 300 + [2.0] * 400 + [0.0] * 300  # two improvements in 1,000 evaluations
    root = tree(svg([Panel("", (Line("rea", x, y, "#000", step=True),))]))
    pts = path_points(the_line(root, "rea").get("d"))
    assert len(pts) == 7  # start, then per improvement a horizontal and a vertical move, and the last point
    assert pts[1][1] == pts[0][1] and pts[2][0] == pts[1][0]  # a staircase: across, then down
    ys = sorted({p[1] for p in pts})
    assert len(ys) == 3  # three levels: 5, 2 and 0
    tips = [c.get("data-tip") for c in root.iter(NS + "circle") if c.get("data-tip")]
    assert len(tips) == 4 and tips[-1].endswith("1,000: 0.0000")


def test_a_smooth_line_keeps_about_a_vertex_per_two_pixels_and_its_ends():
    n = 20_000
    x, y = list(range(n)), [i / n for i in range(n)]
    root = tree(svg([Panel("", (Line("mean", x, y, "#000"),))]))
    pts = path_points(the_line(root, "mean").get("d"))
    assert 150 < len(pts) < 400  # a 510 px wide panel
    frame = next(r for r in root.iter(NS + "rect") if r.get("fill") == "none")
    assert pts[0][0] == pytest.approx(float(frame.get("x")), abs=0.1)
    assert pts[-1][0] == pytest.approx(float(frame.get("x")) + float(frame.get("width")), abs=0.1)
    tips = [c for c in root.iter(NS + "circle") if c.get("data-tip")]
    assert len(tips) <= MAX_TIPS


def test_bands_legend_and_reference():
    lines = (Line("a", [1, 2, 3], [3.0, 2.0, 1.0], "#111111", low=[2.0, 1.0, 0.5], high=[4.0, 3.0, 1.5], step=True),
             Line("b", [1, 2, 3], [2.0, 2.0, 2.0], "#222222"), Line("b", [1, 2], [1.0, 1.0], "#222222"))
    text = svg([Panel("", lines)], reference=(0.0, "optimum"))
    root = tree(text)
    band, = [p for p in root.iter(NS + "path") if p.get("class") == "band"]
    pts = path_points(band.get("d"))
    assert len({round(p[1], 1) for p in pts}) == 6  # the three highs and the three lows
    legend = [g for g in root.iter(NS + "g") if g.get("class") == "legend"]
    assert ["".join(g.itertext()) for g in legend] == ["a", "b"]  # one entry per name
    ref, = [e for e in root.iter(NS + "line") if e.get("class") == "reference"]
    assert ref.get("stroke-dasharray") and "optimum" in text


def test_axes_from_zero_log_and_fitted():
    root = tree(svg([Panel("", (Line("a", [10, 100, 1000], [0.2, 0.5, 1.0], "#000"),), x_log=True)],
                    y_range=(0.0, 1.02)))
    labels = [t.text for t in root.iter(NS + "text")]
    assert {"10", "100", "1,000"} <= set(labels) and "1.0" in labels and "0.0" in labels
    fitted = [t.text for t in tree(svg([Panel("", (Line("a", [1, 2], [44.6, 45.7], "#000"),))],
                                       y_from_zero=False)).iter(NS + "text") if t.get("text-anchor") == "end"]
    assert "0" not in fitted and "0.0" not in fitted and any(v and v.startswith("45") for v in fitted)
    late = Line("a", [10, 30, 50], [1.0, 2.0, 3.0], "#000000")
    x_labels = [[t.text for t in tree(svg([Panel("", (late,), x_from_zero=start)])).iter(NS + "text")
                 if t.get("text-anchor") == "middle" and t.get("font-size") == "11"] for start in (True, False)]
    assert x_labels[0][0] == "0" and x_labels[1][0] == "10"  # from 0, or from the first x


def test_shared_or_own_y_axes():
    panels = [Panel("p", (Line("a", [1, 2], [1.0, 2.0], "#000"),)), Panel("q", (Line("a", [1, 2], [10.0, 20.0], "#000"),))]
    shared = [t for t in tree(svg(panels)).iter(NS + "text") if t.get("text-anchor") == "end"]
    own = [t for t in tree(svg(panels, share_y=False)).iter(NS + "text") if t.get("text-anchor") == "end"]
    assert len(own) > len(shared)  # each panel its own numbers
    assert max(float(t.text.replace(",", "")) for t in shared) >= 20


def test_empty_chart_shows_its_hint_and_odd_values_are_skipped():
    root = tree(svg([Panel("", ())], hint="press Start"))
    assert any(t.text == "press Start" for t in root.iter(NS + "text"))
    odd = Line("odd", [1, 2, None, 4], [1.0, float("nan"), 2.0, float("inf")], "#000")
    root = tree(svg([Panel("", (odd,))]))
    assert len(path_points(the_line(root, "odd").get("d"))) == 1


def test_names_are_escaped():
    text = svg([Panel("<b>", (Line('a "b" & <c>', [1, 2], [1.0, 0.0], "#000"),))])
    root = tree(text)
    assert the_line(root, 'a "b" & <c>') is not None and "<b>" not in text


def test_each_chart_has_its_own_clip_ids_and_keeps_what_it_drew():
    one, two = LineChart(width=400, height=300), LineChart(width=400, height=300)
    panel = Panel("", (Line("a", [1, 2], [1.0, 0.0], "#000"),))
    for chart in (one, two):
        chart.draw([panel], "t", "y")
    ids = [set(re.findall(r'id="([^"]+)"', chart.svg)) for chart in (one, two)]
    assert ids[0] and not ids[0] & ids[1]  # two charts in one page: no clip path is shared
    assert one.panels == (panel,) and one.series == [panel.lines[0]] and one.title == "t"
