"""EmbeddingMap without a browser: all cells drawn, colour modes, clicks, selections,
highlight, and background recomputation driven through poll() (no UMAP is run here)."""

from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
import pytest

from ktnas_core import benchmarks, projection
from ktnas_core.errors import InvalidArchitectureError, ParameterError, UnknownTaskError
from widgets.embedding_map import EmbeddingMap
from widgets.style import POINT_HINT, SyncedBox


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KTNAS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def nb201():
    return benchmarks.load("nb201")


@pytest.fixture
def view():
    v = EmbeddingMap("nb201")
    yield v
    v.cancel()


def click(fig, trace, index):
    """The message plotly.js sends for a click on point ``index`` of ``trace``."""
    fig._js2py_pointsCallback = {"event_type": "plotly_click", "points": {
        "trace_indexes": [trace], "point_indexes": [index], "xs": [0.0], "ys": [0.0]}}


def lasso(fig, indices):
    """The message plotly.js sends after a lasso selection of ``indices`` of trace 0."""
    fig._js2py_pointsCallback = {"event_type": "plotly_selected", "points": {
        "trace_indexes": [0] * len(indices), "point_indexes": list(indices),
        "xs": [0.0] * len(indices), "ys": [0.0] * len(indices)},
        "selector": {"type": "lasso", "selector_state": {"xs": [0, 1, 1], "ys": [0, 0, 1]}}}


def wait(view, timeout=120.0):
    deadline = time.monotonic() + timeout
    while (state := view.poll()) == "running":
        assert time.monotonic() < deadline, "the background job did not finish"
        time.sleep(0.1)
    return state


def test_the_shipped_default_map_holds_every_cell(view, nb201):
    trace = view.figure.data[0]
    assert isinstance(view, SyncedBox) and isinstance(trace, go.Scattergl)
    assert len(trace.x) == len(trace.y) == 15_625 and trace.text is None  # no cell strings to the page
    xy = projection.load_default("nb201", "node2vec")
    np.testing.assert_array_equal(trace.x, xy[:, 0])  # float16 -> float32 loses nothing
    np.testing.assert_array_equal(trace.y, xy[:, 1])
    assert np.asarray(trace.x).dtype == np.float32
    assert view.shown == {"space": "nb201", "embedding": "node2vec", "method": "umap", **projection.DEFAULTS}
    assert view.job is None and "shipped with ktnas" in view.status.value
    assert "15,625 cells" in view.figure.layout.title.text and "UMAP" in view.figure.layout.title.text


def test_switching_benchmark_and_embedding_updates_in_place(view):
    trace = view.figure.data[0]
    view.set_benchmark("tnb101_micro")
    assert len(view.figure.data[0].x) == 4_096 and view.figure.data[0] is trace
    assert view.task_a.options == benchmarks.load("tnb101_micro").tasks
    view.embedding_dropdown.value = "arch2vec"
    np.testing.assert_array_equal(trace.x, projection.load_default("tnb101_micro", "arch2vec")[:, 0])
    assert view.job is None and view.figure.data[0] is trace


def test_rank_score_and_disorder_colours(view, nb201):
    marker = view.figure.data[0].marker
    np.testing.assert_array_equal(marker.color, nb201.ranks("cifar10"))  # default: rank on the first task
    assert marker.reversescale is True and marker.cmin == 1 and marker.cmax == 15_625
    view.set_color("score", "cifar100")
    np.testing.assert_allclose(marker.color, nb201.scores("cifar100"))
    assert "cifar100" in marker.colorbar.title.text and view.task_b.disabled
    view.set_color("disorder", "cifar10", "ImageNet16-120")
    diff = nb201.ranks("cifar10").astype(int) - nb201.ranks("ImageNet16-120").astype(int)
    np.testing.assert_array_equal(marker.color, diff)
    assert marker.cmin == -marker.cmax == -np.abs(diff).max()
    assert marker.colorscale == go.scattergl.Marker(colorscale="RdBu").colorscale  # diverging
    assert not view.task_b.disabled
    view.task_b.value = "cifar100"  # the dropdowns redraw too
    np.testing.assert_array_equal(marker.color, nb201.ranks("cifar10").astype(int) - nb201.ranks("cifar100"))


def test_hover_names_the_cell_and_the_colour_and_pointing_names_its_scores(view, nb201):
    from plotly.callbacks import InputDeviceState, Points

    view.set_color("rank", "cifar100")
    trace = view.figure.data[0]
    assert trace.customdata is None and trace.text is None
    assert "cell %{pointNumber:,}" in trace.hovertemplate and "rank on cifar100 %{marker.color:,}" in trace.hovertemplate
    assert view.pointed.value == POINT_HINT
    trace._dispatch_on_hover(Points([4321], [0]), InputDeviceState())
    arch, score, rank = str(nb201.space.from_index(4321)), nb201.scores("cifar100")[4321], nb201.ranks("cifar100")[4321]
    assert f"cell 4,321 <code>{arch}</code>: cifar100 valid_accuracy {score:.4g}, rank {rank:,}" in view.pointed.value
    view.set_color("disorder", "cifar10", "ImageNet16-120")  # the same cell, under the new colouring's tasks
    assert "rank on cifar10 − rank on ImageNet16-120: %{marker.color:,}" in trace.hovertemplate
    assert f"; ImageNet16-120 rank {nb201.ranks('ImageNet16-120')[4321]:,}" in view.pointed.value
    with pytest.raises(InvalidArchitectureError, match="index 15625 is out of range; nb201 indices are 0..15624"):
        view.show_cell(15_625)


def test_set_color_refuses_unknown_modes_and_tasks(view):
    with pytest.raises(ParameterError, match=r"colour mode 'entropy' is unknown; choose one of \['score'"):
        view.set_color("entropy")
    with pytest.raises(UnknownTaskError, match=r"task 'jigsaw' is not in nb201"):
        view.set_color("rank", "jigsaw")


def test_click_selects_the_cell_and_calls_back(view):
    calls = []
    view.on_select(calls.append)
    click(view.figure, 0, 1234)
    assert view.selected == 1234 and calls == [1234]
    star = view.figure.data[2]
    assert list(star.x) == [view.coordinates[1234, 0]] and list(star.y) == [view.coordinates[1234, 1]]
    view.on_select(calls.append, remove=True)
    click(view.figure, 0, 5)
    assert view.selected == 5 and calls == [1234]
    with pytest.raises(TypeError, match="callback must be callable"):
        view.on_select("not a function")


def test_lasso_selection_lists_the_best_cells(view, nb201):
    seen = []
    view.on_selection(seen.append)
    picked = [10, 20, 30, 40, 15_000]
    lasso(view.figure, picked)
    assert view.selection == picked and seen == [picked]
    assert "5 cells selected" in view.selection_summary.value
    ranks, scores = nb201.ranks("cifar10"), nb201.scores("cifar10")
    best = min(picked, key=lambda i: ranks[i])
    label, value = view.selection_list.options[0]
    assert value == best and str(nb201.space.from_index(best)) in label and f"{scores[best]:.4g}" in label
    view.selection_list.value = picked[-1]  # picking a listed cell selects it
    assert view.selected == picked[-1]
    view.figure._js2py_pointsCallback = {"event_type": "plotly_deselect", "points": {
        "trace_indexes": [], "point_indexes": [], "xs": [], "ys": []}}
    assert view.selection == [] and seen[-1] == [] and view.selection_list.options == ()


def test_highlight_draws_a_trace_on_top(view):
    population = [3, 14, 159, 2653]
    view.highlight(population, name="population")
    top = view.figure.data[1]
    np.testing.assert_array_equal(top.x, view.coordinates[population, 0])
    assert top.name == "population (4)" and top.showlegend
    calls = []
    view.on_select(calls.append)
    click(view.figure, 1, 2)  # the third highlighted point is cell 159
    assert calls == [159]
    view.clear_highlight()
    assert len(top.x) == 0 and not top.showlegend
    with pytest.raises(ParameterError, match=r"cell index 15625 is outside \[0, 15625\) of nb201"):
        view.highlight([1, 15_625])
    with pytest.raises(ParameterError, match="indices must be a 1-D sequence of integers"):
        view.highlight([0.5])


def test_recompute_pca_through_poll(view, cache):
    trace = view.figure.data[0]
    job = view.recompute(embedding="path", method="pca")
    assert view.job is job and job.state == "running" and not view.cancel_button.disabled
    assert "Computing the PCA of path" in view.status.value
    assert wait(view) == "done"
    expected = projection.project("nb201", "path", method="pca")
    np.testing.assert_array_equal(trace.x, expected[:, 0])
    assert view.shown["method"] == "pca" and view.method_toggle.value == "pca" and view.n_neighbors.disabled
    assert "PC 1" == view.figure.layout.xaxis.title.text and "computed in" in view.status.value
    assert view.job is None and view.cancel_button.disabled and view.poll() == "idle"
    assert any(cache.iterdir())


def test_cancel_keeps_the_current_map(view):
    before = np.array(view.figure.data[0].x)
    job = view.recompute(n_neighbors=31)  # UMAP of node2vec with other settings: not stored
    assert job.state == "running" and view.n_neighbors.value == 31
    assert view.cancel() is True
    assert job.state == "cancelled" and view.job is None and "Cancelled" in view.status.value
    np.testing.assert_array_equal(view.figure.data[0].x, before)
    assert view.cancel() is False


def test_an_unstored_umap_shows_pca_meanwhile(view):
    view.embedding_dropdown.value = "onehot"
    assert view.shown["method"] == "pca" and view.method_toggle.value == "umap"
    assert view.job is not None and view.job.params["method"] == "umap"
    assert view.poll() == "running" and "meanwhile" in view.status.value
    view.cancel()


def test_recompute_refuses_bad_settings_without_touching_the_controls(view):
    with pytest.raises(ParameterError, match=r"cannot override \['space'\]; choose among"):
        view.recompute(space="tnb101_micro")
    with pytest.raises(ParameterError, match=r"n_neighbors must be an integer in \[2, 200\]; got 1"):
        view.recompute(n_neighbors=1)
    assert view.n_neighbors.value == 15 and view.job is None


def test_figure_is_updated_not_recreated_and_synced_on_display(view):
    fig, traces = view.figure, tuple(view.figure.data)
    view.set_color("disorder", "cifar10", "cifar100")
    view.highlight([1, 2])
    view.set_benchmark("tnb101_micro")
    assert view.figure is fig and tuple(fig.data) == traces and len(fig.data) == 3
    view._repr_mimebundle_()
    np.testing.assert_array_equal(fig._widget_data[0]["x"], fig.data[0].x)
