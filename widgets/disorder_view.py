"""The ranking-disorder explorer: how differently two tasks order the same cells.

One benchmark at a time (NAS-Bench-201 or TransNAS-Bench-101 micro).  A rank-vs-rank
scatter of the whole space shows one (source, target) pair; a Kendall-tau heatmap over
every pair picks the pair on click; a stats line gives Kendall tau, Spearman rho and the
top-k overlap.  Both figures are created once and only updated.

>>> from widgets import DisorderView
>>> view = DisorderView("nb201")
>>> view.select("cifar10", "ImageNet16-120")
>>> view.pair, len(view.scatter)
(('cifar10', 'ImageNet16-120'), 15625)
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w
import numpy as np

from ktnas_core import benchmarks, disorder

from .bump_chart import bump_lines, bump_svg, bump_title
from .point_cloud import PointCloud
from .style import (BENCHMARK_CHOICES, cell_strings as _cell_strings, COLORS, POINT_HINT, pointed_cell,
                    register_callback, silenced)
from .svg_figure import SvgFigure
from .tau_heatmap import heatmap_svg, pair_of

__all__ = ["DisorderView", "BENCHMARK_CHOICES", "COLORS"]

SPLITS = (("validation", "valid"), ("test", "test"))
SCATTER_SIZE = (500, 580)

TEACHING_NOTE = (
    "<b>Ranking disorder</b> is when the same architectures are ordered differently on different tasks, "
    "so the best cell found on one task need not be the best on another. Each dot is one cell: on the dashed "
    "diagonal it ranks the same on both tasks, and the wider the cloud spreads away from it, the weaker the "
    "transfer. Point at the <span style='color:{topk}'><b>orange top-k</b></span>: the top-k overlap is the share "
    "of the source's best cells that stay among the target's best, which is what cross-task search can reuse."
).format(topk=COLORS["topk"])


class DisorderView(w.VBox):
    """Explore ranking disorder between two tasks of one benchmark.

    Parameters
    ----------
    benchmark : {"nb201", "tnb101_micro"}
        The benchmark shown first; the dropdown switches it.

    Attributes
    ----------
    scatter : widgets.point_cloud.PointCloud
        The rank-vs-rank scatter: every cell (in index order) and, as layer ``"top-k"``, the
        source's best cells; created once, updated in place.
    heatmap, bump : widgets.svg_figure.SvgFigure
        The Kendall-tau matrix (:mod:`widgets.tau_heatmap`; a click on a square picks its pair),
        and the bump chart of where the source's best cells land on the target
        (:mod:`widgets.bump_chart`); drawn as SVG by the kernel, so that the tab needs no
        plotting library in the page.
    bump_lines : list of widgets.bump_chart.BumpLine
        What the bump chart draws.
    stats : ipywidgets.HTML
        Kendall tau, Spearman rho and top-k overlap of the chosen pair.
    pointed : ipywidgets.HTML
        The cell under the pointer in the scatter: its cell string and its rank on both tasks
        (the scatter's own tooltip names the cell by index; the page is not sent the
        15,625 cell strings of NAS-Bench-201, 1.3 MB, to open faster).
    """

    def __init__(self, benchmark: str = "nb201", **kwargs):
        self._bench = benchmarks.load(benchmark)  # raises UnknownBenchmarkError naming the choices
        self._matrices: dict[tuple[str, str], dict[str, disorder.DisorderMatrix]] = {}
        self._callbacks: list[Callable[[str, str], None]] = []
        self._busy = False
        self._last_pair: tuple[str, str] | None = None
        self._pointed: int | None = None  # the cell named in self.pointed
        self._make_controls()
        self.stats = w.HTML(layout=w.Layout(margin="6px 0 4px 0"))
        self.pointed = w.HTML(POINT_HINT, layout=w.Layout(margin="0", min_height="22px"))
        self.note = w.HTML(f"<div style='color:{COLORS['muted']};font-size:13px;line-height:1.5;max-width:1150px'>"
                           f"{TEACHING_NOTE}</div>", layout=w.Layout(margin="4px 0 0 0"))
        self.scatter = _scatter_figure()
        self.heatmap, self.bump, self.bump_lines = SvgFigure(), SvgFigure(), []
        self.heatmap.on_pick(lambda pick: self.select(*pair_of(pick, self._bench.tasks)))
        self.scatter.on_hover(self.show_cell)

        for control in (self.source_dropdown, self.target_dropdown, self.split_toggle, self.topk_slider,
                        self.log_axes):
            control.observe(self._on_control, names="value")
        self.benchmark_dropdown.observe(self._on_benchmark, names="value")
        self.swap_button.on_click(lambda _: self.select(self.target, self.source))

        row = dict(flex_flow="row wrap", grid_gap="8px 24px", align_items="center")
        split = w.HBox([w.Label("Split", layout=w.Layout(width="40px")), self.split_toggle])
        controls = w.VBox([
            w.HBox([self.benchmark_dropdown, split, self.log_axes], layout=w.Layout(**row)),
            w.HBox([self.source_dropdown, self.swap_button, self.target_dropdown, self.topk_slider],
                   layout=w.Layout(**row)),
        ], layout=w.Layout(grid_gap="6px"))
        figures = w.HBox([self.scatter, self.heatmap, self.bump],
                         layout=w.Layout(flex_flow="row wrap", grid_gap="12px"))
        kwargs.setdefault("layout", w.Layout(padding="8px 4px", grid_gap="6px"))
        super().__init__([controls, self.stats, self.pointed, figures, self.note], **kwargs)
        self._redraw(full=True)

    def _make_controls(self) -> None:
        tasks, label = self._bench.tasks, {"description_width": "80px"}
        self.benchmark_dropdown = w.Dropdown(options=BENCHMARK_CHOICES, value=self._bench.name,
                                             description="Benchmark", layout=w.Layout(width="360px"), style=label)
        self.source_dropdown = w.Dropdown(options=tasks, value=tasks[0], description="Source task",
                                          layout=w.Layout(width="290px"), style=label)
        self.target_dropdown = w.Dropdown(options=tasks, value=tasks[-1], description="Target task",
                                          layout=w.Layout(width="290px"), style=label)
        self.swap_button = w.Button(description="swap", icon="exchange", tooltip="swap source and target",
                                    layout=w.Layout(width="80px"))
        self.split_toggle = w.ToggleButtons(options=SPLITS, value="valid", style={"button_width": "100px"},
                                            tooltips=["validation metric (what a search sees)", "test metric"])
        self.topk_slider = w.FloatSlider(value=1.0, min=0.1, max=10.0, step=0.1, description="Top-k (%)",
                                         readout_format=".1f", continuous_update=False,
                                         layout=w.Layout(width="360px"), style=label)
        self.log_axes = w.Checkbox(value=False, description="log-scale ranks (zoom on the best cells)",
                                   indent=False, layout=w.Layout(width="auto"))

    # -- public API ------------------------------------------------------------------
    @property
    def benchmark(self) -> benchmarks.Benchmark:
        """The benchmark shown now."""
        return self._bench

    @property
    def source(self) -> str:
        return self.source_dropdown.value

    @property
    def target(self) -> str:
        return self.target_dropdown.value

    @property
    def pair(self) -> tuple[str, str]:
        """The chosen (source, target) pair."""
        return self.source, self.target

    @property
    def split(self) -> str:
        """``"valid"`` or ``"test"``: which metric of each task is ranked."""
        return self.split_toggle.value

    def on_select(self, callback: Callable[[str, str], None], remove: bool = False) -> None:
        """Call ``callback(source, target)`` whenever the chosen pair changes (or stop, with ``remove``)."""
        register_callback(self._callbacks, callback, remove)

    def select(self, source: str, target: str) -> None:
        """Choose the (source, target) pair; both must be tasks of the current benchmark."""
        source, target = self._bench.check_task(source), self._bench.check_task(target)
        with self._batch():
            self.source_dropdown.value, self.target_dropdown.value = source, target
        self._redraw()

    def set_benchmark(self, name: str) -> None:
        """Switch to benchmark ``name`` (``"nb201"`` or ``"tnb101_micro"``)."""
        self.benchmark_dropdown.value = name

    def metric(self, task: str) -> str:
        """Name of the metric ranked for ``task`` under the current split."""
        b = self._bench
        return b.default_metric(task) if self.split == "valid" else b.test_metric(task)

    def matrix(self, statistic: str = "kendall") -> disorder.DisorderMatrix:
        """The ``"kendall"`` or ``"spearman"`` matrix of the current benchmark and split (cached)."""
        key = (self._bench.name, self.split)
        if key not in self._matrices:
            scores = {t: self._oriented(t) for t in self._bench.tasks}
            self._matrices[key] = {s: disorder.disorder_matrix(scores, s) for s in ("kendall", "spearman")}
        return self._matrices[key][statistic]

    @property
    def k(self) -> int:
        """Number of cells in the top-k, from the slider's percentage."""
        return max(1, round(self.topk_slider.value / 100 * len(self._bench)))

    # -- events ----------------------------------------------------------------------
    def _batch(self):
        """Silence the control observers while several controls change together."""
        return silenced(self)

    def _on_control(self, change) -> None:
        if not self._busy:
            self._redraw(full=change["owner"] is self.split_toggle)

    def _on_benchmark(self, change) -> None:
        self._bench = benchmarks.load(change["new"])
        self._pointed, self.pointed.value = None, POINT_HINT
        tasks = self._bench.tasks
        with self._batch():
            for dd, value in ((self.source_dropdown, tasks[0]), (self.target_dropdown, tasks[-1])):
                dd.options = tasks
                dd.value = value
        self._redraw(full=True)

    def show_cell(self, index: int) -> None:
        """Name cell ``index`` and its ranks on the chosen pair in :attr:`pointed` (what hovering a
        point of the scatter does)."""
        b, (source, target), e = self._bench, self.pair, html.escape
        index = b.space.check_index(index)  # InvalidArchitectureError naming the range
        ranks = [int(b.ranks(t, self.metric(t))[index]) for t in (source, target)]
        self.pointed.value = pointed_cell(b, index, f"rank {ranks[0]:,} on {e(source)}, {ranks[1]:,} on {e(target)}")
        self._pointed = index

    # -- drawing ---------------------------------------------------------------------
    def _oriented(self, task: str) -> np.ndarray:
        """Scores of ``task`` under the current split, negated where smaller is better."""
        metric = self._bench.metric(task, self.metric(task))
        s = np.asarray(self._bench.scores(task, metric.name), dtype=np.float64)
        return s if metric.higher_is_better else -s

    def _redraw(self, full: bool = False) -> None:
        """Update figures and stats; ``full`` also redraws what depends only on benchmark and split.

        The scatter's update is sent first (the figure a visitor watches), then the bump chart's,
        the heatmap's and the stats line's."""
        source, target = self.pair
        with self.scatter.hold_sync():
            x, y, top = self._draw_scatter(source, target, full)
        self.bump_lines = lines = bump_lines(x, y, top, self.k)
        self.bump.title = bump_title(source, len(lines))
        self.bump.svg = bump_svg(lines, _cell_strings(self._bench.name), self.k, source, target)
        self.heatmap.title = f"Kendall τ between tasks ({self.split} metric)"
        self.heatmap.svg = heatmap_svg(self.matrix("kendall"), (source, target), self.split)
        self.stats.value = self._stats_html(source, target)
        if self._pointed is not None:  # its ranks on the new pair
            self.show_cell(self._pointed)
        if self.pair != self._last_pair:
            self._last_pair = self.pair
            for callback in list(self._callbacks):
                callback(source, target)

    def _draw_scatter(self, source: str, target: str, full: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Redraw the scatter; returns both tasks' ranks and the source's top-k (best first)."""
        b, n, fig = self._bench, len(self._bench), self.scatter
        x = b.ranks(source, self.metric(source)).astype(np.int32)
        y = b.ranks(target, self.metric(target)).astype(np.int32)
        top = np.argsort(-self._oriented(source), kind="stable")[: self.k]  # as disorder.topk_overlap
        if full:
            fig.lines = [dict(x0=1, y0=1, x1=n, y1=n, color=COLORS["ink"], dash=True, width=1.2, opacity=0.9)]
        fig.set_points(x, y)
        fig.set_layer("top-k", top, color=COLORS["topk"], size=6, line_width=0.5, opacity=0.9,
                      label=f"top {self.topk_slider.value:g}% on {source}")
        log = self.log_axes.value
        axis = dict(type="log" if log else "linear", range=[-0.1, np.log10(1.3 * n)] if log else [-0.02 * n, 1.02 * n])
        fig.set_axes(dict(axis, title=f"rank on <b>{source}</b> ({self.metric(source)}; 1 = best)"),
                     dict(axis, title=f"rank on <b>{target}</b> ({self.metric(target)}; 1 = best)"))
        fig.title = f"Rank vs rank, all {n:,} cells ({b.title})"
        return x, y, top

    def _stats_html(self, source: str, target: str) -> str:
        e = html.escape
        n, k = len(self._bench), self.k
        head = f"<b>{e(source)}</b> &rarr; <b>{e(target)}</b>"
        if source == target:
            body = ("the same task on both axes: every cell sits on the diagonal (&tau; = &rho; = 1). "
                    "Pick a different target to see ranking disorder.")
        else:
            i, j = self._bench.tasks.index(source), self._bench.tasks.index(target)
            tau, rho = self.matrix("kendall").values[i, j], self.matrix("spearman").values[i, j]
            overlap = disorder.topk_overlap(self._oriented(source), self._oriented(target), k)
            body = (f"Kendall &tau; = <b>{tau:.3f}</b> &nbsp;&middot;&nbsp; Spearman &rho; = <b>{rho:.3f}</b> "
                    f"&nbsp;&middot;&nbsp; top-{self.topk_slider.value:g}% overlap = "
                    f"<b style='color:{COLORS['topk']}'>{overlap:.1%}</b> "
                    f"({round(overlap * k):,} of the {k:,} best cells on {e(source)} "
                    f"are also top {k:,} on {e(target)})")
        return (f"<div style='font-size:15px;color:{COLORS['ink']};background:#f3f5f9;border-left:4px solid "
                f"{COLORS['cells']};padding:8px 12px;border-radius:4px'>{head} ({e(self.split)} metric, {n:,} cells): "
                f"{body}</div>")


def _scatter_figure() -> PointCloud:
    return PointCloud(width=SCATTER_SIZE[0], height=SCATTER_SIZE[1], equal_aspect=True, point_size=3,
                      point_opacity=0.35, point_color=COLORS["cells"], point_name="all cells",
                      margin=dict(l=70, r=20, t=80, b=60), hover="cell {index}\nsource rank {x}\ntarget rank {y}")
