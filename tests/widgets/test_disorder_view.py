"""DisorderView without a browser: figure data, stats text, switching, callbacks."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from ktnas_core import benchmarks, disorder
from ktnas_core.errors import InvalidArchitectureError, UnknownTaskError
from widgets import DisorderView, build_app
from widgets.point_cloud import PointCloud
from widgets.style import COLORS, POINT_HINT


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
    x, y = view.scatter.x, view.scatter.y
    assert len(x) == len(y) == 15_625 and x.dtype == np.float32  # 4-byte binary arrays, not JSON text
    np.testing.assert_array_equal(x, nb201.ranks("cifar10", "valid_accuracy"))
    np.testing.assert_array_equal(y, nb201.ranks("ImageNet16-120", "valid_accuracy"))
    assert isinstance(view.scatter, PointCloud) and view.scatter.colors.size == 0  # one colour
    assert "cifar10" in view.scatter.xaxis["title"] and "ImageNet16-120" in view.scatter.yaxis["title"]
    assert view.scatter.lines == [dict(x0=1, y0=1, x1=15_625, y1=15_625, color=COLORS["ink"], dash=True, width=1.2,
                                       opacity=0.9)]  # the diagonal


def test_topk_trace_is_the_source_top_k(view, nb201):
    k = round(0.01 * 15_625)
    top = np.argsort(-nb201.scores("cifar10", "valid_accuracy"), kind="stable")[:k]
    assert view.k == k
    layer = view.scatter.layer("top-k")
    assert layer["indices"] == top.tolist() and layer["label"] == "top 1% on cifar10"
    view.topk_slider.value = 5.0
    assert len(view.scatter.layer("top-k")["indices"]) == view.k == round(0.05 * 15_625)


def test_pointing_at_a_cell_names_it_with_its_ranks_on_the_pair(view, nb201):
    # the page is not sent 15,625 cell strings: its tooltip names the cell by index
    assert "{index}" in view.scatter.hover and "text" not in view.scatter.trait_names()
    view.scatter.receive({"event": "hover", "index": 1234})  # what the page sends when the pointer is on it
    arch = str(nb201.space.from_index(1234))
    ranks = [nb201.ranks(t, "valid_accuracy")[1234] for t in ("cifar10", "ImageNet16-120")]
    assert "cell 1,234" in view.pointed.value and arch in view.pointed.value
    assert f"rank {ranks[0]:,} on cifar10, {ranks[1]:,} on ImageNet16-120" in view.pointed.value
    best = int(np.argsort(-nb201.scores("cifar10", "valid_accuracy"), kind="stable")[0])
    view.scatter.receive({"event": "hover", "index": best})  # a dot of the top-k layer is its cell's index too
    assert f"cell {best:,} " in view.pointed.value and "rank 1 on cifar10" in view.pointed.value
    view.select("cifar100", "cifar10")  # the same cell, its ranks on the new pair
    assert f"cell {best:,} " in view.pointed.value and " on cifar100, " in view.pointed.value
    with pytest.raises(InvalidArchitectureError, match="index 15625 is out of range; nb201 indices are 0..15624"):
        view.show_cell(15_625)
    view.set_benchmark("tnb101_micro")
    assert view.pointed.value == POINT_HINT


def squares(svg: str) -> dict[tuple[int, int], tuple[float, str]]:
    """The heatmap's squares: (row, column) -> (the tau of its tooltip, the number printed in it)."""
    found = re.findall(r'<g data-pick="(\d+),(\d+)" data-tip="[^"]*Kendall τ = (-?[\d.]+)">.*?class="tau">([^<]*)<', svg)
    return {(int(i), int(j)): (float(tau), shown) for i, j, tau, shown in found}


def test_heatmap_is_the_kendall_matrix(view, nb201):
    m = disorder.disorder_matrix({t: oriented(nb201, t) for t in nb201.tasks}, "kendall")
    drawn = squares(view.heatmap.svg)
    assert sorted(drawn) == [(i, j) for i in range(3) for j in range(3)]
    np.testing.assert_allclose([[drawn[i, j][0] for j in range(3)] for i in range(3)], m.values, atol=5e-4)
    assert drawn[0, 2][1] == f"{m.values[0, 2]:.2f}" and drawn[1, 1][1] == "1.00"
    assert all(f">{t}</text>" in view.heatmap.svg for t in nb201.tasks)  # row and column labels
    assert view.heatmap.title == "Kendall τ between tasks (valid metric)"
    outline = re.search(r'class="picked" x="([\d.]+)" y="([\d.]+)"', view.heatmap.svg)  # cifar10 -> ImageNet16-120
    assert outline and float(outline.group(1)) > float(outline.group(2))  # row 0, column 2: right of top-left


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
    np.testing.assert_array_equal(view.scatter.x, view.scatter.y)


def test_test_split_ranks_the_test_metric(view, nb201):
    view.split_toggle.value = "test"
    np.testing.assert_array_equal(view.scatter.y, nb201.ranks("ImageNet16-120", "test_accuracy"))
    m = disorder.disorder_matrix({t: oriented(nb201, t, "test") for t in nb201.tasks}, "kendall")
    drawn = squares(view.heatmap.svg)
    np.testing.assert_allclose([[drawn[i, j][0] for j in range(3)] for i in range(3)], m.values, atol=5e-4)
    assert "(test metric)" in view.heatmap.title


def test_switching_benchmark_updates_everything(view):
    scatter, heatmap = view.scatter, view.heatmap
    view.benchmark_dropdown.value = "tnb101_micro"
    tnb = benchmarks.load("tnb101_micro")
    assert len(view.scatter.x) == len(view.scatter.y) == 4_096
    assert view.source_dropdown.options == view.target_dropdown.options == tnb.tasks
    assert len(tnb.tasks) == 7
    assert len(squares(view.heatmap.svg)) == 49 and len(view.heatmap.picks) == 49
    assert view.scatter is scatter and view.heatmap is heatmap
    assert view.scatter.layer("top-k")["indices"][0] < 4_096


def test_figures_are_updated_not_recreated(view):
    scatter, heatmap = view.scatter, view.heatmap
    view.select("cifar100", "cifar10")
    view.split_toggle.value = "test"
    view.topk_slider.value = 2.5
    view.set_benchmark("tnb101_micro")
    view.set_benchmark("nb201")
    assert view.scatter is scatter and view.heatmap is heatmap
    assert [layer["name"] for layer in scatter.layers] == ["top-k"]
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
    view.heatmap.receive({"event": "pick", "value": "1,0"})  # what a click on row cifar100, column cifar10 sends
    assert view.pair == ("cifar100", "cifar10") and calls == [("cifar100", "cifar10")]
    view.heatmap.receive({"event": "pick", "value": "5,0"})  # no such square (a 7x7 page's): ignored
    assert view.pair == ("cifar100", "cifar10") and len(calls) == 1


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
    assert view.scatter.xaxis["type"] == view.scatter.yaxis["type"] == "log"
    assert view.scatter.xaxis["range"] == [-0.1, pytest.approx(np.log10(1.3 * 15_625))]  # log10 units
    view.log_axes.value = False
    assert view.scatter.xaxis["type"] == "linear" and view.scatter.xaxis["range"] == [-312.5, 15_937.5]


def test_displaying_the_app_carries_edits_made_before_display():
    # A browser that connects later (Voilà) reads the synced state, not the edit messages.
    app = build_app()
    view = app.children[1].children[0]
    view.select("cifar100", "cifar10")
    app._repr_mimebundle_()
    nb201 = benchmarks.load("nb201")
    assert view.scatter.get_state()["_x"] == nb201.ranks("cifar100").astype(np.float32).tobytes()
    assert view.heatmap.get_state()["svg"] == view.heatmap.svg and "Where cifar100&#x27;s" in view.bump.get_state()["svg"]


@pytest.mark.parametrize("name, source, target", [("nb201", "cifar10", "ImageNet16-120"),
                                                  ("tnb101_micro", "class_scene", "room_layout")])
def test_bump_chart_follows_the_sources_best_cells(name, source, target):
    from widgets.bump_chart import BUMP_MAX, bump_title

    b = benchmarks.load(name)
    v = DisorderView(name)
    v.select(source, target)
    top = np.argsort(-oriented(b, source), kind="stable")[:v.k][:BUMP_MAX]
    target_ranks = b.ranks(target)
    stay = int((target_ranks[top] <= v.k).sum())
    assert [line.index for line in v.bump_lines] == top.tolist()
    assert [line.target_rank for line in v.bump_lines] == [int(r) for r in target_ranks[top]]  # right-hand ends
    assert [line.stays for line in v.bump_lines] == [bool(r <= v.k) for r in target_ranks[top]]
    svg = v.bump.svg
    assert svg.count('class="bump stay"') == stay and svg.count('class="bump fall"') == len(top) - stay
    assert f"stay in the top {v.k:,} ({stay})" in svg and f"fall out ({len(top) - stay})" in svg
    best = b.space.from_index(int(top[0]))
    assert f"{best}\nrank 1 on {source} → {int(target_ranks[top[0]]):,} on {target}" in html.unescape(svg)
    assert f">{source}</text>" in svg and f">{target}</text>" in svg and v.bump.title == bump_title(source, len(top))
    v.topk_slider.value = 5.0  # a larger k: as many or more of the drawn cells stay
    assert sum(line.stays for line in v.bump_lines) >= stay
