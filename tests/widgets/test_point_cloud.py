"""PointCloud without a browser: what it sends the page, what it accepts from it, and clear errors.

The drawing itself (hover, click, box and lasso selection, zoom) is driven in Chromium by
tests/e2e/test_app_browser.py."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import plotly.colors
import pytest

from ktnas_core import benchmarks
from ktnas_core.errors import ParameterError
from widgets.point_cloud import BROWSER_CODE, PointCloud
from widgets.style import COMMON_JS
from widgets.svg_figure import BROWSER_CODE as SVG_CODE, SvgFigure

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cloud():
    b = benchmarks.load("tnb101_micro")  # real ranks: 4,096 cells on two tasks
    c = PointCloud()
    c.set_points(b.ranks("class_object"), b.ranks("room_layout"))
    return c


def test_points_go_to_the_page_as_4_byte_binary_arrays(cloud):
    b = benchmarks.load("tnb101_micro")
    state = cloud.get_state()
    assert isinstance(state["_x"], bytes) and len(state["_x"]) == 4 * 4_096  # not JSON text
    np.testing.assert_array_equal(np.frombuffer(state["_y"], np.float32), b.ranks("room_layout"))
    assert len(cloud) == 4_096 and cloud.colors.size == 0


def test_points_must_pair_up(cloud):
    with pytest.raises(ParameterError, match="x and y must have the same length; got 3 and 2"):
        cloud.set_points([1, 2, 3], [1, 2])
    assert len(cloud) == 4_096  # nothing changed


def test_colours_default_to_the_values_range_and_reverse_flips_the_scale(cloud):
    b = benchmarks.load("tnb101_micro")
    scores = b.scores("class_object")
    cloud.set_colors(scores, "Viridis", title="class_object\naccuracy")
    assert cloud.cmin == pytest.approx(scores.min()) and cloud.cmax == pytest.approx(scores.max())
    viridis = plotly.colors.get_colorscale("Viridis")
    assert cloud.colorscale[0] == [0.0, viridis[0][1]] and cloud.colorbar_title == "class_object\naccuracy"
    cloud.set_colors(b.ranks("class_object"), "Viridis", cmin=1, cmax=4_096, reverse=True)
    assert cloud.colorscale[0] == [0.0, viridis[-1][1]] and cloud.colorscale[-1] == [1.0, viridis[0][1]]
    assert (cloud.cmin, cloud.cmax) == (1.0, 4_096.0)
    cloud.set_colors(np.full(4_096, 7.0))  # one value: a range the page can divide by
    assert cloud.cmax > cloud.cmin == 7.0


def test_colours_must_be_one_per_point(cloud):
    with pytest.raises(ParameterError, match="3 colour values for 4096 points; give one per point"):
        cloud.set_colors([1, 2, 3])


def test_a_new_set_of_points_of_another_size_drops_colours_and_layers(cloud):
    cloud.set_colors(np.arange(4_096))
    cloud.set_layer("top", [0, 1])
    cloud.set_points(np.arange(4_096), np.arange(4_096))  # the same cells elsewhere: both kept
    assert cloud.colors.size == 4_096 and cloud.layer("top")["indices"] == [0, 1]
    cloud.set_points([0, 1, 2], [2, 1, 0])
    assert cloud.colors.size == 0 and cloud.layers == []


def test_layers_are_replaced_by_name_in_place(cloud):
    cloud.set_layer("highlight", [5, 6], color="#e4572e", label="population (2)")
    cloud.set_layer("selected cell", [9], color="#2a9d8f", symbol="star", size=16)
    cloud.set_layer("highlight", [7], color="#e4572e", label="population (1)")
    assert [layer["name"] for layer in cloud.layers] == ["highlight", "selected cell"]  # drawing order kept
    assert cloud.layer("highlight")["indices"] == [7] and cloud.layer("highlight")["label"] == "population (1)"
    with pytest.raises(KeyError, match=r"no layer 'top'; the layers are \['highlight', 'selected cell'\]"):
        cloud.layer("top")


def test_layers_refuse_points_that_are_not_there_and_unknown_symbols(cloud):
    with pytest.raises(ParameterError, match=r"point index 4096 is outside \[0, 4096\)"):
        cloud.set_layer("top", [0, 4_096])
    with pytest.raises(ParameterError, match=r"symbol 'hexagon' is unknown; choose one of \['circle', 'star'\]"):
        cloud.set_layer("top", [0], symbol="hexagon")
    assert cloud.layers == []


def test_axes_are_checked(cloud):
    cloud.set_axes(dict(title="rank on <b>class_object</b>", type="log", range=[0, 3.7]), None)
    assert cloud.xaxis == {"title": "rank on <b>class_object</b>", "type": "log", "range": [0.0, 3.7],
                           "ticklabels": True}
    with pytest.raises(ParameterError, match="axis type 'polar' is unknown; choose 'linear' or 'log'"):
        cloud.set_axes(dict(type="polar"))
    with pytest.raises(ParameterError, match=r"axis range \[5.0, 1.0\] must be two increasing numbers"):
        cloud.set_axes(y=dict(range=[5, 1]))
    with pytest.raises(ParameterError, match=r"drag mode 'rotate' is unknown; choose one of \['zoom', 'pan'"):
        cloud.drag_mode = "rotate"


def test_page_events_reach_the_callbacks(cloud):
    hovered, clicked, selected = [], [], []
    cloud.on_hover(hovered.append)
    cloud.on_click(clicked.append)
    cloud.on_selection(selected.append)
    cloud.receive({"event": "hover", "index": 12})
    cloud.receive({"event": "click", "index": 4_095})
    cloud.receive({"event": "select"}, [np.array([3, 1, 4], dtype=np.int32).tobytes()])
    cloud.receive({"event": "select"}, [b""])  # cleared by a double-click
    assert hovered == [12] and clicked == [4_095] and selected == [[3, 1, 4], []]
    cloud.on_click(clicked.append, remove=True)
    cloud.receive({"event": "click", "index": 1})
    assert clicked == [4_095]
    with pytest.raises(TypeError, match="callback must be callable; got str"):
        cloud.on_hover("print")


def test_messages_that_name_no_point_are_ignored(cloud):
    seen = []
    for register in (cloud.on_hover, cloud.on_click, cloud.on_selection):
        register(seen.append)
    for message in ({"event": "click", "index": 4_096}, {"event": "hover", "index": -1},
                    {"event": "click", "index": "3"}, {"event": "drag"}, {}, ["click"]):
        cloud.receive(message)
    cloud.receive({"event": "select"}, [np.array([4_096, 2], dtype=np.int32).tobytes()])  # an old page's index
    assert seen == [[2]]


def test_the_browser_code_ships_with_the_package():
    assert "export default" in BROWSER_CODE.read_text() and "ktnasCloud" in str(PointCloud()._esm)
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for code in (BROWSER_CODE, COMMON_JS):
        assert code.relative_to(ROOT / "widgets").match(data["widgets"][0])


def test_the_shared_browser_helpers_are_written_once():
    """The tooltip and download helpers live in one file and come first in both figures' modules."""
    for esm, own in ((PointCloud()._esm, BROWSER_CODE), (SvgFigure()._esm, SVG_CODE)):
        assert esm.startswith(COMMON_JS.read_text()) and esm.endswith(own.read_text())
        assert esm.count("function showTip(") == esm.count("function download(") == 1
        assert "showTip(tip" in own.read_text() and "download(blob" in own.read_text()
