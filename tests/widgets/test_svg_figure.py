"""SvgFigure and the two SVG figures of the disorder tab, without a browser (the page's side is driven
in Chromium by tests/e2e/test_app_browser.py: a click on a heatmap square, the numbers fitting)."""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from ktnas_core import benchmarks, disorder
from widgets.bump_chart import bump_lines, bump_svg
from widgets.svg_figure import BROWSER_CODE, SvgFigure, svg_document, text
from widgets.tau_heatmap import heatmap_svg

ROOT = Path(__file__).resolve().parents[2]


def test_picks_are_read_from_the_drawing_and_reach_the_callbacks():
    fig = SvgFigure()
    fig.svg = svg_document(100, 40, ['<rect data-pick="x&amp;y"/>', '<rect data-pick="z"/>'])
    assert fig.picks == ("x&y", "z")
    seen = []
    fig.on_pick(seen.append)
    for message in ({"event": "pick", "value": "x&y"}, {"event": "pick", "value": "w"}, {"event": "hover"}, "pick"):
        fig.receive(message)
    fig.on_pick(seen.append, remove=True)
    fig.receive({"event": "pick", "value": "z"})
    assert seen == ["x&y"]
    with pytest.raises(TypeError, match="callback must be callable; got int"):
        fig.on_pick(3)


def test_text_is_escaped():
    assert ">a &lt;b&gt; &amp; c</text>" in text(0, 0, "a <b> & c")


@pytest.mark.parametrize("name", ["nb201", "tnb101_micro"])
def test_the_figures_are_well_formed_svg(name):
    b = benchmarks.load(name)
    scores = {t: np.asarray(b.scores(t), dtype=float) * (1 if b.metric(t).higher_is_better else -1)
              for t in b.tasks}
    m = disorder.disorder_matrix(scores, "kendall")
    source, target = b.tasks[0], b.tasks[-1]
    top = np.argsort(-scores[source], kind="stable")[:40]
    lines = bump_lines(b.ranks(source), b.ranks(target), top, 40)
    cells = [str(b.space.from_index(i)) for i in range(len(b))]
    for svg in (heatmap_svg(m, (source, target), "valid"), bump_svg(lines, cells, 40, source, target)):
        root = ET.fromstring(svg)  # parses: every text escaped, every element closed
        assert root.tag.endswith("svg") and root.get("width")


def test_the_browser_code_ships_with_the_package():
    assert "export default" in BROWSER_CODE.read_text()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert BROWSER_CODE.relative_to(ROOT / "widgets").match(data["widgets"][0])
