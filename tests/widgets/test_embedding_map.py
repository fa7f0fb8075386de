"""EmbeddingMap without a browser: all cells drawn, colour modes, clicks, selections,
highlight, and background recomputation driven through poll() (no UMAP is run here)."""

from __future__ import annotations

import time

import numpy as np
import plotly.colors
import pytest

from ktnas_core import benchmarks, projection
from ktnas_core.errors import InvalidArchitectureError, ParameterError, UnknownTaskError
from widgets.embedding_map import EmbeddingMap
from widgets.point_cloud import PointCloud
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


def click(fig, index):
    """The message the page sends for a click on cell ``index``'s dot (of any layer)."""
    fig.receive({"event": "click", "index": index})


def lasso(fig, indices):
    """The message the page sends after a lasso or box selection of ``indices``."""
    fig.receive({"event": "select"}, [np.asarray(indices, dtype=np.int32).tobytes()])


def wait(view, timeout=120.0):
    deadline = time.monotonic() + timeout
    while (state := view.poll()) == "running":
        assert time.monotonic() < deadline, "the background job did not finish"
        time.sleep(0.1)
    return state


def test_the_shipped_default_map_holds_every_cell(view, nb201):
    fig = view.figure
    assert isinstance(view, SyncedBox) and isinstance(fig, PointCloud)
    assert len(fig.x) == len(fig.y) == 15_625 and "text" not in fig.trait_names()  # no cell strings to the page
    xy = projection.load_default("nb201", "node2vec")
    np.testing.assert_array_equal(fig.x, xy[:, 0])  # float16 -> float32 loses nothing
    np.testing.assert_array_equal(fig.y, xy[:, 1])
    assert fig.x.dtype == np.float32 and fig.equal_aspect
    assert view.shown == {"space": "nb201", "embedding": "node2vec", "method": "umap", **projection.DEFAULTS}
    assert view.job is None and "shipped with ktnas" in view.status.value
    assert "15,625 cells" in view.figure.title and "UMAP" in view.figure.title


def test_switching_benchmark_and_embedding_updates_in_place(view):
    fig = view.figure
    view.set_benchmark("tnb101_micro")
    assert len(view.figure.x) == view.figure.colors.size == 4_096 and view.figure is fig
    assert view.task_a.options == benchmarks.load("tnb101_micro").tasks
    view.embedding_dropdown.value = "arch2vec"
    np.testing.assert_array_equal(fig.x, projection.load_default("tnb101_micro", "arch2vec")[:, 0])
    assert view.job is None and view.figure is fig


def test_rank_score_and_disorder_colours(view, nb201):
    fig = view.figure
    np.testing.assert_array_equal(fig.colors, nb201.ranks("cifar10"))  # default: rank on the first task
    viridis = [[float(p), c] for p, c in plotly.colors.get_colorscale("Viridis")]
    assert fig.colorscale[0] == [0.0, viridis[-1][1]]  # reversed: rank 1 (best) in Viridis' brightest
    assert fig.cmin == 1 and fig.cmax == 15_625
    view.set_color("score", "cifar100")
    np.testing.assert_allclose(fig.colors, nb201.scores("cifar100"), rtol=1e-6)
    assert fig.colorscale == viridis and fig.cmax == pytest.approx(nb201.scores("cifar100").max())
    assert "cifar100" in fig.colorbar_title and view.task_b.disabled
    view.set_color("disorder", "cifar10", "ImageNet16-120")
    diff = nb201.ranks("cifar10").astype(int) - nb201.ranks("ImageNet16-120").astype(int)
    np.testing.assert_array_equal(fig.colors, diff)
    assert fig.cmin == -fig.cmax == -np.abs(diff).max()
    assert fig.colorscale == [[float(p), c] for p, c in plotly.colors.get_colorscale("RdBu")]  # diverging
    assert not view.task_b.disabled
    view.task_b.value = "cifar100"  # the dropdowns redraw too
    np.testing.assert_array_equal(fig.colors, nb201.ranks("cifar10").astype(int) - nb201.ranks("cifar100"))


def test_hover_names_the_cell_and_the_colour_and_pointing_names_its_scores(view, nb201):
    view.set_color("rank", "cifar100")
    fig = view.figure
    assert fig.hover == "cell {index}\nrank on cifar100 {c}"  # the page fills in the index and the colour's value
    assert view.pointed.value == POINT_HINT
    fig.receive({"event": "hover", "index": 4321})
    arch, score, rank = str(nb201.space.from_index(4321)), nb201.scores("cifar100")[4321], nb201.ranks("cifar100")[4321]
    assert f"cell 4,321 <code>{arch}</code>: cifar100 valid_accuracy {score:.4g}, rank {rank:,}" in view.pointed.value
    view.set_color("disorder", "cifar10", "ImageNet16-120")  # the same cell, under the new colouring's tasks
    assert "rank on cifar10 − rank on ImageNet16-120: {c}" in fig.hover
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
    click(view.figure, 1234)
    assert view.selected == 1234 and calls == [1234]
    star = view.figure.layer("selected cell")
    assert star["indices"] == [1234] and star["symbol"] == "star"
    view.on_select(calls.append, remove=True)
    click(view.figure, 5)
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
    lasso(view.figure, [])  # a double-click clears the selection
    assert view.selection == [] and seen[-1] == [] and view.selection_list.options == ()


def test_highlight_draws_a_trace_on_top(view):
    population = [3, 14, 159, 2653]
    view.highlight(population, name="population")
    top = view.figure.layer("highlight")
    assert top["indices"] == population and top["label"] == "population (4)" and top["legend"]
    calls = []
    view.on_select(calls.append)
    click(view.figure, 159)  # a highlighted dot names its cell
    assert calls == [159]
    view.clear_highlight()
    assert view.figure.layer("highlight")["indices"] == []  # the page leaves an empty layer out of the legend
    with pytest.raises(ParameterError, match=r"cell index 15625 is outside \[0, 15625\) of nb201"):
        view.highlight([1, 15_625])
    with pytest.raises(ParameterError, match="indices must be a 1-D sequence of integers"):
        view.highlight([0.5])


def test_recompute_pca_through_poll(view, cache):
    fig = view.figure
    job = view.recompute(embedding="path", method="pca")
    assert view.job is job and job.state == "running" and not view.cancel_button.disabled
    assert "Computing the PCA of path" in view.status.value
    assert wait(view) == "done"
    expected = projection.project("nb201", "path", method="pca")
    np.testing.assert_array_equal(fig.x, expected[:, 0])
    assert view.shown["method"] == "pca" and view.method_toggle.value == "pca" and view.n_neighbors.disabled
    assert "PC 1" == view.figure.xaxis["title"] and "computed in" in view.status.value
    assert view.job is None and view.cancel_button.disabled and view.poll() == "idle"
    assert any(cache.iterdir())


def test_cancel_keeps_the_current_map(view):
    before = np.array(view.figure.x)
    job = view.recompute(n_neighbors=31)  # UMAP of node2vec with other settings: not stored
    assert job.state == "running" and view.n_neighbors.value == 31
    assert view.cancel() is True
    assert job.state == "cancelled" and view.job is None and "Cancelled" in view.status.value
    np.testing.assert_array_equal(view.figure.x, before)
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
    fig = view.figure
    view.set_color("disorder", "cifar10", "cifar100")
    view.highlight([1, 2])
    view.set_benchmark("tnb101_micro")
    assert view.figure is fig and [layer["name"] for layer in fig.layers] == ["highlight", "selected cell"]
    assert fig.layer("highlight")["indices"] == [] and len(fig) == 4_096  # the highlight was of NB201's cells
    state = fig.get_state()  # what a page that connects now is sent
    assert state["_x"] == fig.x.tobytes() and state["_c"] == fig.colors.tobytes()
