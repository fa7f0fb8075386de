"""DisorderView without a browser: figure data, stats text, switching, callbacks."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from ktnas_core import benchmarks, disorder
from ktnas_core.errors import InvalidArchitectureError, UnknownTaskError
from widgets import DisorderView, build_app
from widgets.style import POINT_HINT


def oriented(b, task, split="valid"):
    name = b.default_metric(task) if split == "valid" else b.test_metric(task)
    metric = next(m for m in b.metrics(task) if m.name == name)
    s = np.asarray(b.scores(task, name), dtype=float)
    return s if metric.direction == "max" else -s


@pytest.fixture(scope="module")
def nb201():
    return benchmarks.load("nb201")


@pytest.fixture
def view():
    v = DisorderView("nb201")
    v.select("cifar10", "ImageNet16-120")
    return v


def test_scatter_holds_the_ranks_of_every_cell(view, nb201):
    x, y = view.scatter.data[0].x, view.scatter.data[0].y
    assert len(x) == len(y) == 15_625
    np.testing.assert_array_equal(x, nb201.ranks("cifar10", "valid_accuracy"))
    np.testing.assert_array_equal(y, nb201.ranks("ImageNet16-120", "valid_accuracy"))
    assert isinstance(view.scatter.data[0], go.Scattergl)
    assert "cifar10" in view.scatter.layout.xaxis.title.text
    assert "ImageNet16-120" in view.scatter.layout.yaxis.title.text


def test_topk_trace_is_the_source_top_k(view, nb201):
    k = round(0.01 * 15_625)
    top = np.argsort(-nb201.scores("cifar10", "valid_accuracy"), kind="stable")[:k]
    assert view.k == k
    np.testing.assert_array_equal(view.scatter.data[1].x, nb201.ranks("cifar10")[top])
    view.topk_slider.value = 5.0
    assert len(view.scatter.data[1].x) == view.k == round(0.05 * 15_625)


def test_pointing_at_a_cell_names_it_with_its_ranks_on_the_pair(view, nb201):
    from plotly.callbacks import InputDeviceState, Points

    assert view.scatter.data[0].text is None  # the page is not sent 15,625 cell strings
    assert "%{pointNumber" in view.scatter.data[0].hovertemplate  # the hover label names the cell by index
    view.scatter.data[0]._dispatch_on_hover(Points([1234], [0]), InputDeviceState())
    arch = str(nb201.space.from_index(1234))
    ranks = [nb201.ranks(t, "valid_accuracy")[1234] for t in ("cifar10", "ImageNet16-120")]
    assert "cell 1,234" in view.pointed.value and arch in view.pointed.value
    assert f"rank {ranks[0]:,} on cifar10, {ranks[1]:,} on ImageNet16-120" in view.pointed.value
    best = int(np.argsort(-nb201.scores("cifar10", "valid_accuracy"), kind="stable")[0])
    view.scatter.data[1]._dispatch_on_hover(Points([0], [1]), InputDeviceState())  # the top-k trace's first point
    assert f"cell {best:,} " in view.pointed.value and "rank 1 on cifar10" in view.pointed.value
    view.select("cifar100", "cifar10")  # the same cell, its ranks on the new pair
    assert f"cell {best:,} " in view.pointed.value and " on cifar100, " in view.pointed.value
    with pytest.raises(InvalidArchitectureError, match="index 15625 is out of range; nb201 indices are 0..15624"):
        view.show_cell(15_625)
    view.set_benchmark("tnb101_micro")
    assert view.pointed.value == POINT_HINT


def test_heatmap_is_the_kendall_matrix(view, nb201):
    m = disorder.disorder_matrix({t: oriented(nb201, t) for t in nb201.tasks}, "kendall")
    np.testing.assert_allclose(np.asarray(view.heatmap.data[0].z, dtype=float), m.values)
    assert list(view.heatmap.data[0].x) == list(nb201.tasks)
    assert np.asarray(view.heatmap.data[0].text).shape == (3, 3)


def test_stats_show_tau_rho_and_overlap(view, nb201):
    a, b = oriented(nb201, "cifar10"), oriented(nb201, "ImageNet16-120")
    tau, rho = disorder.kendall_tau(a, b), disorder.spearman_rho(a, b)
    overlap = disorder.topk_overlap(a, b, 0.01)
    assert f"{tau:.3f}" in view.stats.value
    assert f"{rho:.3f}" in view.stats.value
    assert f"{overlap:.1%}" in view.stats.value


def test_same_task_is_allowed_and_named(view):
    view.select("cifar100", "cifar100")
    assert "same task" in view.stats.value
    np.testing.assert_array_equal(view.scatter.data[0].x, view.scatter.data[0].y)


def test_test_split_ranks_the_test_metric(view, nb201):
    view.split_toggle.value = "test"
    np.testing.assert_array_equal(view.scatter.data[0].y, nb201.ranks("ImageNet16-120", "test_accuracy"))
    m = disorder.disorder_matrix({t: oriented(nb201, t, "test") for t in nb201.tasks}, "kendall")
    np.testing.assert_allclose(np.asarray(view.heatmap.data[0].z, dtype=float), m.values)


def test_switching_benchmark_updates_everything(view):
    scatter, heatmap = view.scatter, view.heatmap
    view.benchmark_dropdown.value = "tnb101_micro"
    tnb = benchmarks.load("tnb101_micro")
    assert len(view.scatter.data[0].x) == len(view.scatter.data[0].y) == 4_096
    assert view.source_dropdown.options == view.target_dropdown.options == tnb.tasks
    assert len(tnb.tasks) == 7
    assert np.asarray(view.heatmap.data[0].z).shape == (7, 7)
    assert view.scatter is scatter and view.heatmap is heatmap
    assert view.scatter.data[0] is scatter.data[0]


def test_figures_are_updated_not_recreated(view):
    scatter, heatmap = view.scatter, view.heatmap
    traces = (scatter.data[0], scatter.data[1], heatmap.data[0])
    view.select("cifar100", "cifar10")
    view.split_toggle.value = "test"
    view.topk_slider.value = 2.5
    view.set_benchmark("tnb101_micro")
    view.set_benchmark("nb201")
    assert view.scatter is scatter and view.heatmap is heatmap
    assert (scatter.data[0], scatter.data[1], heatmap.data[0]) == traces
    figures = next(c for c in view.children if scatter in getattr(c, "children", ()))
    assert heatmap in figures.children


def test_on_select_fires_once_per_pair_change(view):
    calls = []
    view.on_select(lambda s, t: calls.append((s, t)))
    view.select("cifar100", "cifar10")
    view.target_dropdown.value = "ImageNet16-120"
    view.topk_slider.value = 2.0  # same pair: no call
    view.swap_button.click()
    assert calls == [("cifar100", "cifar10"), ("cifar100", "ImageNet16-120"), ("ImageNet16-120", "cifar100")]


def test_heatmap_click_selects_the_pair(view):
    calls = []
    view.on_select(lambda s, t: calls.append((s, t)))
    # the message plotly.js sends for a click on row cifar100, column cifar10 of trace 0
    view.heatmap._js2py_pointsCallback = {
        "event_type": "plotly_click",
        "points": {"trace_indexes": [0], "point_indexes": [[1, 0]], "xs": ["cifar10"], "ys": ["cifar100"]},
    }
    assert view.pair == ("cifar100", "cifar10") and calls == [("cifar100", "cifar10")]


def test_select_refuses_an_unknown_task(view):
    with pytest.raises(UnknownTaskError, match=r"task 'cifar1000' is not in nb201; choose one of"):
        view.select("cifar1000", "cifar10")


def test_matrices_are_cached_per_benchmark_and_split(view):
    first = view.matrix("kendall")
    view.split_toggle.value = "test"
    view.split_toggle.value = "valid"
    assert view.matrix("kendall") is first


def test_log_scale_switches_both_axes(view):
    view.log_axes.value = True
    assert view.scatter.layout.xaxis.type == view.scatter.layout.yaxis.type == "log"
    view.log_axes.value = False
    assert view.scatter.layout.xaxis.type == "linear"


def test_displaying_the_app_carries_edits_made_before_display():
    # A browser that connects later (Voilà) reads the synced state, not the edit messages.
    app = build_app()
    view = app.children[1].children[0]
    view.select("cifar100", "cifar10")
    app._repr_mimebundle_()
    np.testing.assert_array_equal(view.scatter._widget_data[0]["x"], view.scatter.data[0].x)
    assert view.heatmap._widget_layout["shapes"][0]["y0"] == 0.5


@pytest.mark.parametrize("name, source, target", [("nb201", "cifar10", "ImageNet16-120"),
                                                  ("tnb101_micro", "class_scene", "room_layout")])
def test_bump_chart_follows_the_sources_best_cells(name, source, target):
    from widgets.bump_chart import BUMP_MAX

    b = benchmarks.load(name)
    v = DisorderView(name)
    v.select(source, target)
    top = np.argsort(-oriented(b, source), kind="stable")[:v.k][:BUMP_MAX]
    target_ranks = b.ranks(target)
    stay = int((target_ranks[top] <= v.k).sum())
    stays, falls = v.bump.data
    assert len(stays.x) == 3 * stay and len(falls.x) == 3 * (len(top) - stay)
    assert stays.name.endswith(f"({stay})") and falls.name.endswith(f"({len(top) - stay})")
    drawn = sorted(y for y in list(stays.y[1::3]) + list(falls.y[1::3]))
    assert drawn == sorted(int(r) for r in target_ranks[top])  # right-hand ends: ranks on the target
    assert all(y <= v.k for y in stays.y[1::3]) and all(y > v.k for y in falls.y[1::3])
    assert list(v.bump.layout.xaxis.ticktext) == [f"<b>{source}</b>", f"<b>{target}</b>"]
    before = len(stays.x)
    v.topk_slider.value = 5.0  # a larger k: as many or more of the drawn cells stay
    assert len(v.bump.data[0].x) >= before and v.bump.data[0].name != f"stay in the top {v.k:,} ({stay})"
