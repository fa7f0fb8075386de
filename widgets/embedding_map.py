"""The embedding map: every cell of a space, placed by a 2-D UMAP or PCA of its embedding, coloured by a
task's score or rank or by the disorder between two tasks.  The shipped default map loads at once; other
settings compute in a cancellable background process while the map stays usable.

>>> from widgets.embedding_map import EmbeddingMap
>>> view = EmbeddingMap("tnb101_micro")
>>> len(view.figure), view.shown["method"], view.shown["embedding"]
(4096, 'umap', 'node2vec')
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import Callable

import ipywidgets as w
import numpy as np

from ktnas_core import benchmarks, projection
from ktnas_core.errors import ParameterError

from .embedding_figure import COLOR_MODES, color_spec, map_figure
from .style import (BENCHMARK_CHOICES, cell_strings, COLORS, POINT_HINT, pointed_cell, register_callback, SyncedBox,
                    silenced)

__all__ = ["EmbeddingMap", "EMBEDDING_CHOICES", "COLOR_MODES"]

EMBEDDING_CHOICES = (("node2vec", "node2vec"), ("arch2vec", "arch2vec"), ("one-hot", "onehot"), ("path", "path"))
METHOD_CHOICES = (("UMAP", "umap"), ("PCA", "pca"))
POLL_S, LISTED = 0.5, 25

NOTE = ("Each dot is one cell, placed so that cells with similar embeddings sit close together (UMAP keeps "
        "neighbourhoods, PCA the two main directions of variance; axes have no units). Colour by <b>disorder</b> to "
        "see regions that rank well on one task and badly on another. Click a dot to select a cell; use the lasso or "
        "box tool of the toolbar to list a group.")


class EmbeddingMap(SyncedBox):
    """A 2-D map of the embeddings of every cell of one benchmark.

    Parameters
    ----------
    benchmark : {"nb201", "tnb101_micro"}
    embedding : {"node2vec", "arch2vec", "onehot", "path"}
    method : {"umap", "pca"}

    Attributes
    ----------
    figure : widgets.point_cloud.PointCloud
        Every cell, in index order; layer ``"highlight"`` (:meth:`highlight`) and layer
        ``"selected cell"`` on top.
    selected : int or None
        Index of the last clicked (or :meth:`select`-ed) cell.
    selection : list of int
        Indices of the cells of the last lasso/box selection.
    job : ProjectionJob or None
        The background computation in progress.
    status : ipywidgets.HTML
        What the map shows, or what is being computed.
    pointed : ipywidgets.HTML
        The cell under the pointer (:meth:`show_cell`).
    """

    def __init__(self, benchmark: str = "nb201", embedding: str = "node2vec", method: str = "umap", **kwargs):
        self._bench = benchmarks.load(benchmark)
        self._select_callbacks: list[Callable] = []
        self._selection_callbacks: list[Callable] = []
        self.selected, self.selection = None, []  # the clicked cell; the lasso/box-selected cells
        self.job: projection.ProjectionJob | None = None
        self.shown: dict = {}  #: keyword arguments of project() that gave the map shown
        self.coordinates = np.zeros((0, 2), dtype=np.float32)  #: the map shown, (n, 2)
        self._highlight, self._highlight_name = np.zeros(0, dtype=np.intp), "highlight"
        self._busy, self._poll_handle = False, None
        self._make_controls(embedding, method)
        self.status = w.HTML(layout=w.Layout(margin="2px 0"))
        self.pointed, self._pointed = w.HTML(POINT_HINT, layout=w.Layout(margin="0", min_height="22px")), None
        self.selection_summary = w.HTML("<i>no cells selected</i>", layout=w.Layout(width="340px"))
        self.selection_list = w.Select(options=[], rows=18, layout=w.Layout(width="340px"))
        self.figure = map_figure()
        self.figure.on_click(self.select)
        self.figure.on_hover(self.show_cell)
        self.figure.on_selection(self._set_selection)
        self.selection_list.observe(lambda c: c["new"] is None or self._busy or self.select(c["new"]), names="value")
        self.method_toggle.observe(lambda c: [setattr(x, "disabled", c["new"] == "pca") for x in self._umap_controls],
                                   names="value")
        for control in (self.embedding_dropdown, self.method_toggle):
            control.observe(lambda _: self._busy or self._show(), names="value")
        for control in (self.color_dropdown, self.task_a, self.task_b):
            control.observe(lambda _: self._busy or self._draw_colors(), names="value")
        self.benchmark_dropdown.observe(self._on_benchmark, names="value")
        self.recompute_button.on_click(lambda _: self.recompute())
        self.cancel_button.on_click(lambda _: self.cancel())

        row = w.Layout(flex_flow="row wrap", grid_gap="6px 18px", align_items="center")
        controls = w.VBox([
            w.HBox([self.benchmark_dropdown, self.embedding_dropdown, self.method_toggle], layout=row),
            w.HBox([self.color_dropdown, self.task_a, self.task_b], layout=row),
            w.HBox([self.n_neighbors, self.min_dist, self.metric, self.seed, self.recompute_button,
                    self.cancel_button], layout=row),
        ], layout=w.Layout(grid_gap="6px"))
        side = w.VBox([self.selection_summary, self.selection_list], layout=w.Layout(margin="60px 0 0 0"))
        note = w.HTML(f"<div style='color:{COLORS['muted']};font-size:13px;line-height:1.5;max-width:1150px'>"
                      f"{NOTE}</div>")
        kwargs.setdefault("layout", w.Layout(padding="8px 4px", grid_gap="6px"))
        super().__init__([controls, self.status, self.pointed, w.HBox([self.figure, side], layout=row), note],
                         **kwargs)
        self._show()

    def _make_controls(self, embedding: str, method: str) -> None:
        tasks, d = self._bench.tasks, projection.DEFAULTS
        projection.projection_key(self._bench.name, embedding, method)  # ParameterError naming the choices

        def dropdown(width: str, **kw) -> w.Dropdown:
            return w.Dropdown(layout=w.Layout(width=width), style={"description_width": "78px"}, **kw)

        self.benchmark_dropdown = dropdown("360px", options=BENCHMARK_CHOICES, value=self._bench.name,
                                           description="Benchmark")
        self.embedding_dropdown = dropdown("240px", options=EMBEDDING_CHOICES, value=embedding, description="Embedding")
        self.method_toggle = w.ToggleButtons(options=METHOD_CHOICES, value=method, style={"button_width": "70px"},
                                             tooltips=["UMAP: keeps neighbourhoods", "PCA: two main directions"])
        self.color_dropdown = dropdown("300px", options=COLOR_MODES, value="rank", description="Colour")
        self.task_a = dropdown("250px", options=tasks, value=tasks[0], description="Task A")
        self.task_b = dropdown("250px", options=tasks, value=tasks[-1], description="Task B", disabled=True)
        small = dict(style={"description_width": "initial"}, layout=w.Layout(width="150px"), disabled=method == "pca")
        self.n_neighbors = w.BoundedIntText(value=d["n_neighbors"], min=2, max=200, description="n_neighbors", **small)
        self.min_dist = w.BoundedFloatText(value=d["min_dist"], min=0, max=1, step=0.05, description="min_dist",
                                           **small)
        self.metric = w.Dropdown(options=projection.METRICS, value=d["metric"], description="metric", **small)
        self.seed = w.BoundedIntText(value=d["random_state"], min=0, max=2**31 - 1, description="seed", **small)
        self.recompute_button = w.Button(description="Recompute", icon="refresh", button_style="primary",
                                         tooltip="compute the map with these settings in the background")
        self.cancel_button = w.Button(description="Cancel", icon="stop", disabled=True,
                                      tooltip="stop the background computation")
        self._umap_controls = (self.n_neighbors, self.min_dist, self.metric, self.seed)

    # -- public API ------------------------------------------------------------------
    @property
    def benchmark(self) -> benchmarks.Benchmark:
        """The benchmark shown now."""
        return self._bench

    @property
    def parameters(self) -> dict:
        """The projection the controls ask for, as keyword arguments of :func:`ktnas_core.projection.project`."""
        return {"space": self._bench.name, "embedding": self.embedding_dropdown.value,
                "method": self.method_toggle.value, "n_neighbors": int(self.n_neighbors.value),
                "min_dist": float(self.min_dist.value), "metric": self.metric.value,
                "random_state": int(self.seed.value)}

    def on_select(self, callback: Callable[[int], None], remove: bool = False) -> None:
        """Call ``callback(index)`` when a cell is clicked (or stop, with ``remove``)."""
        register_callback(self._select_callbacks, callback, remove)

    def on_selection(self, callback: Callable[[list[int]], None], remove: bool = False) -> None:
        """Call ``callback(indices)`` after each lasso/box selection (``[]`` when cleared)."""
        register_callback(self._selection_callbacks, callback, remove)

    def select(self, index: int) -> None:
        """Select cell ``index`` (as a click on it does): mark it and call the :meth:`on_select` callbacks."""
        self.selected = int(self._check_indices([index])[0])
        self._draw_marks()
        for callback in list(self._select_callbacks):
            callback(self.selected)

    def show_cell(self, index: int) -> None:
        """Name cell ``index`` in :attr:`pointed` with its score and rank on task A (and its rank on
        task B when the map shows their disorder): what pointing at its dot does."""
        b, a, other, e = self._bench, self.task_a.value, self.task_b.value, html.escape
        metric, index = b.metric(a), b.space.check_index(index)  # InvalidArchitectureError naming the range
        body = (f"{e(a)} {e(metric.name)} {b.scores(a)[index]:.4g}, rank {int(b.ranks(a)[index]):,}"
                + (f"; {e(other)} rank {int(b.ranks(other)[index]):,}" if self.color_dropdown.value == "disorder"
                   else ""))
        self.pointed.value, self._pointed = pointed_cell(b, index, body), index

    def set_benchmark(self, name: str) -> None:
        """Switch to benchmark ``name`` (``"nb201"`` or ``"tnb101_micro"``)."""
        benchmarks.load(name)  # raises UnknownBenchmarkError naming the choices
        self.benchmark_dropdown.value = name

    def set_color(self, mode: str, task_a: str | None = None, task_b: str | None = None) -> None:
        """Colour by ``"score"`` or ``"rank"`` on ``task_a``, or by ``"disorder"`` (rank A − rank B)."""
        modes = [m for _, m in COLOR_MODES]
        if mode not in modes:
            raise ParameterError(f"colour mode {mode!r} is unknown; choose one of {modes}")
        a = self._bench.check_task(task_a) if task_a is not None else self.task_a.value
        b = self._bench.check_task(task_b) if task_b is not None else self.task_b.value
        with self._batch():
            self.color_dropdown.value, self.task_a.value, self.task_b.value = mode, a, b
        self._draw_colors()

    def highlight(self, indices, name: str = "highlight") -> None:
        """Draw the cells ``indices`` on top of the map as trace 1, named ``name`` in the legend."""
        self._highlight, self._highlight_name = self._check_indices(indices), str(name)
        self._draw_marks()

    def clear_highlight(self) -> None:
        """Remove the highlight trace's points."""
        self.highlight([], self._highlight_name)

    def recompute(self, **overrides) -> projection.ProjectionJob:
        """Compute the map with the controls' settings (changed by ``overrides``: embedding, method,
        n_neighbors, min_dist, metric, random_state) in a background process; returns the job.

        The map updates when :meth:`poll` finds it done (polled from the kernel's event loop).
        """
        allowed = ("embedding", "method", *projection.DEFAULTS)
        unknown = sorted(set(overrides) - set(allowed))
        if unknown:
            raise ParameterError(f"cannot override {unknown}; choose among {list(allowed)}")
        params = {**self.parameters, **overrides}
        job = projection.ProjectionJob(**params)  # validates every value before the controls change
        with self._batch():
            self.embedding_dropdown.value, self.method_toggle.value = params["embedding"], params["method"]
            self.n_neighbors.value, self.min_dist.value = params["n_neighbors"], params["min_dist"]
            self.metric.value, self.seed.value = params["metric"], params["random_state"]
        self._start(job)
        return job

    def cancel(self) -> bool:
        """Stop the background computation (the map keeps what it shows); False if none was running."""
        job = self.job
        if job is None or not job.cancel():
            self.poll()  # a job that has just finished is applied
            return False
        self.job, self.cancel_button.disabled = None, True
        self._status(f"Cancelled the {_describe(job.params)}; showing the {_describe(self.shown)}.")
        return True

    def poll(self) -> str:
        """Check the background job; apply its map when done.  Returns its state (``"idle"`` without one)."""
        job = self.job
        if job is None:
            return "idle"
        state = job.state
        if state == "running":
            self._status(f"Computing the {_describe(job.params)} in the background… {job.elapsed:.0f} s; "
                         f"showing the {_describe(self.shown)} meanwhile (<i>Cancel</i> stops it).")
            self._schedule()
            return state
        self.job, self.cancel_button.disabled = None, True
        if state == "done" and job.space == self._bench.name:
            self._set_map(job.result(), job.params, f"computed in {job.elapsed:.1f} s")
        elif state == "failed":
            self._status(f"<b>Failed</b>: {html.escape(str(job.error))}", COLORS["topk"])
        return state

    def close(self) -> None:
        """Close the view and stop its background job."""
        self.cancel()
        super().close()

    def _batch(self):
        """Silence the control observers while several controls change together."""
        return silenced(self)

    def _on_benchmark(self, change) -> None:
        self._bench = benchmarks.load(change["new"])
        tasks = self._bench.tasks
        with self._batch():
            for dd, value in ((self.task_a, tasks[0]), (self.task_b, tasks[-1])):
                dd.options, dd.value = tasks, value
        self.selected, self._highlight = None, np.zeros(0, dtype=np.intp)
        self.pointed.value, self._pointed = POINT_HINT, None
        self._set_selection([])
        self._show()

    def _show(self) -> None:
        """Show the projection the controls ask for: stored or PCA now, else PCA while UMAP computes."""
        self.cancel()
        params = self.parameters
        if projection.is_cached(**params):
            self._set_map(projection.project(**params), params, _source(params))
        elif params["method"] == "pca":
            self._set_map(projection.project(**params), params, "computed now")
        else:
            pca = {**params, "method": "pca"}
            self._set_map(projection.project(**pca), pca, "shown while the UMAP computes")
            self._start(projection.ProjectionJob(**params))

    def _start(self, job: projection.ProjectionJob) -> None:
        self.job is None or self.job.cancel()
        self.job = job.start()
        self.cancel_button.disabled = False
        self.poll()

    def _schedule(self) -> None:
        """Poll again in POLL_S seconds from the kernel's event loop (none in a script or test: call poll())."""
        def again() -> None:
            self._poll_handle = None
            self.poll()

        with contextlib.suppress(RuntimeError):
            if self._poll_handle is None:
                self._poll_handle = asyncio.get_running_loop().call_later(POLL_S, again)

    def _set_map(self, xy: np.ndarray, params: dict, source: str) -> None:
        self.coordinates, self.shown = xy, dict(params)
        fig, label = self.figure, "UMAP" if params["method"] == "umap" else "PC"
        embedding = dict((v, k) for k, v in EMBEDDING_CHOICES)[params["embedding"]]
        with fig.hold_sync():  # 4-byte numbers (the float16-stored map exactly): binary, not JSON text
            fig.set_points(xy[:, 0], xy[:, 1])
            fig.set_axes(dict(title=f"{label} 1", ticklabels=False), dict(title=f"{label} 2", ticklabels=False))
            fig.title = (f"{params['method'].upper()} of the {embedding} embedding, all {len(xy):,} cells "
                         f"({self._bench.title})")
            self._draw_colors()
            self._draw_marks()
        self._status(f"Showing the {_describe(params)} ({source}).")

    def _draw_colors(self) -> None:
        mode = self.color_dropdown.value
        self.task_b.disabled = mode != "disorder"
        colors, hover = color_spec(self._bench, mode, self.task_a.value, self.task_b.value)
        with self.figure.hold_sync():
            self.figure.set_colors(**colors)
            self.figure.hover = hover
        if self._pointed is not None:  # its numbers under the new colouring's tasks
            self.show_cell(self._pointed)

    def _draw_marks(self) -> None:
        """Redraw the highlight and the selected cell (layers of the figure)."""
        chosen = [] if self.selected is None else [self.selected]
        with self.figure.hold_sync():
            self.figure.set_layer("highlight", self._highlight, color=COLORS["topk"],
                                  label=f"{self._highlight_name} ({self._highlight.size:,})")
            self.figure.set_layer("selected cell", chosen, color=COLORS["accent"], size=16, symbol="star",
                                  line_color=COLORS["ink"], line_width=1.2)

    def _set_selection(self, indices: list[int]) -> None:
        self.selection = [int(i) for i in indices]
        b, a, sel = self._bench, self.task_a.value, np.asarray(self.selection, dtype=np.intp)
        best = sel[np.argsort(b.ranks(a)[sel], kind="stable")][:LISTED]
        cells, scores = cell_strings(b.name), b.scores(a)
        self.selection_summary.value = (f"<b>{len(sel):,} cells selected</b>; the best {len(best)} on {html.escape(a)} "
                                        f"({b.metric(a).name}), click one to select it:" if sel.size else
                                        "<i>no cells selected</i>")
        with self._batch():
            self.selection_list.options = [(f"{cells[i]}  {scores[i]:.4g}", int(i)) for i in best]
            self.selection_list.value = None
        for callback in list(self._selection_callbacks):
            callback(list(self.selection))

    def _check_indices(self, indices) -> np.ndarray:
        arr, n = np.asarray(indices), len(self._bench)
        if arr.size and (arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer)):
            raise ParameterError(f"indices must be a 1-D sequence of integers; got {indices!r:.80}")
        bad = arr[(arr < 0) | (arr >= n)]
        if bad.size:
            raise ParameterError(f"cell index {int(bad[0])} is outside [0, {n}) of {self._bench.name}")
        return arr.astype(np.intp).reshape(-1)

    def _status(self, text: str, color: str = COLORS["cells"]) -> None:
        self.status.value = (f"<div style='font-size:14px;color:{COLORS['ink']};background:#f3f5f9;border-left:4px "
                             f"solid {color};padding:6px 12px;border-radius:4px'>{text}</div>")


def _describe(params: dict) -> str:
    what = f"{params['method'].upper()} of {params['embedding']} on {params['space']}"
    if params["method"] == "umap":
        what += (f" (n_neighbors={params['n_neighbors']}, min_dist={params['min_dist']:g}, "
                 f"metric={params['metric']}, seed={params['random_state']})")
    return what


def _source(params: dict) -> str:
    shipped = (params["method"] == "umap" and (params["space"], params["embedding"]) in projection.SHIPPED
               and all(params[k] == v for k, v in projection.DEFAULTS.items()))
    return "shipped with ktnas" if shipped else "from the cache"
