"""The cell viewer: one NAS-Bench-201 / TransNAS-Bench-101 micro cell, drawn and scored.

The cell is drawn as the 4-node DAG of the NAS-Bench-201 paper (:mod:`widgets.cell_drawing`), as SVG
written by the kernel: one panel, or in compare mode two at one scale, halos behind the differing
edges; pointing at an edge names it, at a node gives the cell's ranks.  The info panel beside it
gives score (validation and test metric, natural units) and rank on every task, or both cells'
ranks.  The "Download SVG" link carries :meth:`CellView.to_svg` as a data URL; the figure's PNG
button saves it as an image.

>>> from widgets.cell_view import CellView
>>> view = CellView("nb201")
>>> view.arch.ops  # the optimum of cifar10
(3, 3, 3, 1, 3, 2)
>>> view.compare(6111, "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")
>>> view.differing_edges, view.edit_distance
((2,), 1)
>>> view.to_svg().startswith("<svg xmlns='http://www.w3.org/2000/svg'")
True
"""

from __future__ import annotations

import base64
import html
import itertools
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import numpy as np

from ktnas_core import benchmarks
from ktnas_core.errors import KtnasError, ParameterError
from ktnas_core.spaces.cell import EDGES

from .cell_drawing import cell_svg
from .style import BENCHMARK_CHOICES, COLORS, SyncedBox
from .svg_figure import SvgFigure

__all__ = ["CellView"]

ERROR = "<div style='color:#b00020;font-size:13px;padding:4px 8px;background:#fdecee'>&#9888; {}</div>"


def _fmt(value: float, unit: str) -> str:
    return f"{value:.2f} {unit}" if unit.endswith("%") else f"{value:.4f} {unit}"


class CellView(SyncedBox):
    """Draw one cell, score it on every task, compare it with another, export it.

    Parameters
    ----------
    benchmark : {"nb201", "tnb101_micro"}
        The benchmark shown first; the dropdown switches it.
    arch : architecture, str or int, optional
        The cell shown first (default: the optimum of the benchmark's first task).

    Attributes
    ----------
    fig : widgets.svg_figure.SvgFigure
        The drawing (:func:`widgets.cell_drawing.cell_svg`, with tooltips); created once, updated in place.
    info, message, download : ipywidgets.HTML
        Score and rank on every task (a ``<tr data-task=...>`` row each); why the last entry
        in a control was refused (empty once a cell is shown); the "Download SVG" link.

    Examples
    --------
    >>> from widgets.cell_view import CellView
    >>> view = CellView("tnb101_micro", arch="64-41414-3_03_122")
    >>> view.fig.svg.count("data-op='conv3x3'"), view.fig.svg.count("data-op='none'")
    (2, 1)
    >>> view.show(4096)
    Traceback (most recent call last):
    ...
    ktnas_core.errors.InvalidArchitectureError: index 4096 is out of range; tnb101_micro indices are 0..4095
    """

    def __init__(self, benchmark: str = "nb201", arch: Any = None, **kwargs):
        self._bench = benchmarks.load(benchmark)  # raises UnknownBenchmarkError naming the choices
        self._a = self._bench.optimum(self._bench.tasks[0]).arch if arch is None else self._parse(arch)
        self._b, self._busy, self._last, self._callbacks = None, False, None, []
        seeds = itertools.count(1)  # the n-th "random cell" click uses seed n: the same cells every run
        label, row = {"description_width": "80px"}, dict(flex_flow="row wrap", grid_gap="6px 16px")
        self.benchmark_dropdown = w.Dropdown(options=BENCHMARK_CHOICES, value=self._bench.name,
                                             description="Benchmark", layout=w.Layout(width="380px"), style=label)
        self.cell_text = w.Text(description="Cell", continuous_update=False, style=label,
                                placeholder="cell string or index", layout=w.Layout(width="560px"))
        self.random_button = w.Button(description="random cell", icon="random", layout=w.Layout(width="130px"))
        self.compare_checkbox = w.Checkbox(description="compare with", indent=False, layout=w.Layout(width="120px"))
        self.other_text = w.Text(continuous_update=False, disabled=True, layout=w.Layout(width="560px"),
                                 placeholder="second cell: string or index (default: a one-edge neighbour)")
        self.download, self.message, self.info = w.HTML(), w.HTML(), w.HTML(layout=w.Layout(margin="40px 0 0 8px"))
        self.fig = SvgFigure(png_name="cell")
        self.benchmark_dropdown.observe(lambda c: self._guard(self._switch, c["new"]), names="value")
        self.cell_text.observe(lambda c: self._guard(self.show, c["new"]), names="value")
        self.other_text.observe(lambda c: self._guard(self.compare, self._a, c["new"] or None), names="value")
        toggle = lambda on: self.compare(self._a, self.other_text.value or None) if on else self.stop_compare()  # noqa
        self.compare_checkbox.observe(lambda c: self._guard(toggle, c["new"]), names="value")
        self.random_button.on_click(lambda _: self.show(self._bench.space.sample(np.random.default_rng(next(seeds)))))
        controls = w.VBox([w.HBox([self.benchmark_dropdown, self.cell_text, self.random_button], layout=row),
                           w.HBox([self.compare_checkbox, self.other_text, self.download], layout=row)])
        body = w.HBox([self.fig, self.info], layout=w.Layout(flex_flow="row wrap", grid_gap="8px"))
        kwargs.setdefault("layout", w.Layout(padding="8px 4px", grid_gap="6px"))
        super().__init__([controls, self.message, body], **kwargs)
        self._redraw()

    # -- public API ------------------------------------------------------------------
    @property
    def benchmark(self) -> benchmarks.Benchmark:
        """The benchmark shown now."""
        return self._bench

    @property
    def arch(self):
        """The architecture shown (cell A in compare mode)."""
        return self._a

    @property
    def other(self):
        """The second cell in compare mode, else ``None``."""
        return self._b

    @property
    def differing_edges(self) -> tuple[int, ...]:
        """Positions (string order, see ``EDGES``) of the edges where the compared cells differ."""
        return () if self._b is None else tuple(e for e, (x, y) in enumerate(zip(self._a.ops, self._b.ops)) if x != y)

    @property
    def edit_distance(self) -> int | None:
        """Number of differing edges in compare mode, else ``None``."""
        return None if self._b is None else len(self.differing_edges)

    def show(self, arch: Any) -> None:
        """Show ``arch`` (an architecture, its string or its index) as the cell (cell A when comparing).

        Raises
        ------
        InvalidArchitectureError
            If ``arch`` is not a cell of the current benchmark's space.
        """
        self._a = self._parse(arch)
        self._redraw()

    def compare(self, a: Any, b: Any = None) -> None:
        """Show ``a`` and ``b`` side by side, differing edges highlighted (``b`` default: the
        one-edge neighbour of ``a`` whose rank moves most differently across tasks)."""
        a = self._parse(a)
        self._a, self._b = a, self._neighbour(a) if b is None else self._parse(b)
        self._redraw()

    def stop_compare(self) -> None:
        """Leave compare mode: show cell A alone."""
        self._b = None
        self._redraw()

    def set_benchmark(self, name: str) -> None:
        """Switch to benchmark ``name`` and show the optimum of its first task."""
        benchmarks.load(name)  # raises UnknownBenchmarkError before the dropdown sees the name
        self.benchmark_dropdown.value = name

    def on_select(self, callback: Callable[[Any], None], remove: bool = False) -> None:
        """Call ``callback(arch)`` whenever the shown architecture changes (or stop, with ``remove``)."""
        if not callable(callback):
            raise ParameterError(f"callback must be callable; got {type(callback).__name__}")
        self._callbacks.remove(callback) if remove else self._callbacks.append(callback)

    def to_svg(self) -> str:
        """The current drawing as a standalone SVG document (written here, not by kaleido)."""
        return cell_svg(self._title(), self._panels(), self._bench.space.ops)

    def _tip(self, arch) -> str:
        """What pointing at a cell's nodes says: its index, string and ranks on every task."""
        return f"#{self._bench.index(arch):,} {arch}\n" + "\n".join(
            f"{t}: rank {r:,} ({_fmt(v, u)}), test rank {tr:,} ({_fmt(tv, u)})"
            for t, v, u, r, tv, tr in self._scores(arch))

    # -- events ----------------------------------------------------------------------
    def _guard(self, action: Callable, *args) -> None:
        """Run a control's action; show a refused input in :attr:`message` instead of raising."""
        if not self._busy:
            try:
                action(*args)
            except KtnasError as err:
                self.message.value = ERROR.format(html.escape(str(err)))

    def _switch(self, name: str) -> None:
        self._bench = benchmarks.load(name)
        self._a = self._bench.optimum(self._bench.tasks[0]).arch
        self._b = None if self._b is None else self._neighbour(self._a)
        self._redraw()

    def _parse(self, arch: Any):
        if isinstance(arch, str):
            text = arch.strip()
            if not text:
                raise ParameterError(f"empty cell; paste a {self._bench.name} cell string such as "
                                     f"'{self._bench.space.from_index(0)}' or an index 0..{len(self._bench) - 1}")
            arch = int(text) if text.removeprefix("-").isdecimal() else text
        return self._bench.space.coerce(arch)

    def _neighbour(self, a):
        """The one-edge neighbour of ``a`` whose log-rank change differs most between tasks."""
        b, near = self._bench, self._bench.space.neighbours(a)
        change = np.array([np.log(b.ranks(t)[[b.index(n) for n in near]] / b.rank(a, t)) for t in b.tasks])
        return near[int(np.argmax(change.max(0) - change.min(0)))]

    # -- drawing ---------------------------------------------------------------------
    def _panels(self) -> list[tuple[str, Any, tuple[int, ...]]]:
        diff, i = self.differing_edges, self._bench.index  # (heading, cell, differing edges) of each panel shown
        pair = self._b is not None and [(f"{n} · #{i(c):,}", c, diff) for n, c in (("A", self._a), ("B", self._b))]
        return pair or [(f"#{i(self._a):,}", self._a, ())]

    def _title(self) -> str:
        b, a, t = self._bench, self._a, self._bench.tasks[0]
        if self._b is None:
            return f"{b.title} cell #{b.index(a):,} (rank {b.rank(a, t):,} of {len(b):,} on {t})"
        diff = ", ".join("{}→{}".format(*EDGES[e]) for e in self.differing_edges) or "none"
        return f"Cell A vs cell B: edit distance {self.edit_distance} (differing edges: {diff})"

    def _redraw(self) -> None:
        panels, title = self._panels(), self._title()
        self.fig.title = title
        self.fig.svg = cell_svg(title, panels, self._bench.space.ops, tips=[self._tip(arch) for _, arch, _ in panels])
        compare = self._b is not None
        self._busy = True  # the controls follow the view without calling back
        self.cell_text.value, self.compare_checkbox.value = str(self._a), compare
        self.other_text.value, self.other_text.disabled = str(self._b or ""), not compare
        self.benchmark_dropdown.value, self._busy = self._bench.name, False
        self.message.value, self.info.value = "", self._info_html()
        svg = base64.b64encode(self.to_svg().encode()).decode()
        self.download.value = (f"<a download='cell.svg' href='data:image/svg+xml;base64,{svg}' "
                               f"style='color:{COLORS['cells']}'>&#8681; Download SVG</a>")
        if (self._bench.name, self._a) != self._last:
            self._last = (self._bench.name, self._a)
            for callback in list(self._callbacks):
                callback(self._a)

    def _scores(self, arch) -> list[tuple[str, float, str, int, float, int]]:
        """Per task: (task, validation value, unit, validation rank, test value, test rank)."""
        b = self._bench
        return [(t, b.query(arch, t), b.metric(t).unit, b.rank(arch, t), b.query(arch, t, b.test_metric(t)),
                 b.rank(arch, t, b.test_metric(t))) for t in b.tasks]

    def _info_html(self) -> str:
        b, e, cell = self._bench, html.escape, "padding:3px 8px;text-align:right"
        if self._b is None:
            head = ("task", "validation", "rank", "test", "test rank")
            rows = [(t, _fmt(v, u), f"{r:,}", _fmt(tv, u), f"{tr:,}") for t, v, u, r, tv, tr in self._scores(self._a)]
            intro = f"<b>Cell #{b.index(self._a):,}</b> on {e(b.title)}"
        else:
            head = ("task", "rank A", "rank B", "test rank A", "test rank B")
            rows = [(sa[0], f"{sa[3]:,}", f"{sb[3]:,}", f"{sa[5]:,}", f"{sb[5]:,}")
                    for sa, sb in zip(self._scores(self._a), self._scores(self._b))]
            intro = (f"<b>A #{b.index(self._a):,}</b> vs <b>B #{b.index(self._b):,}</b>: edit distance "
                     f"<b>{self.edit_distance}</b>")
        th = "".join(f"<th style='{cell};border-bottom:1px solid {COLORS['grid']}'>{h}</th>" for h in head)
        body = "".join(f"<tr data-task='{e(r[0])}'><td style='padding:3px 8px'>{e(r[0])}</td>"
                       + "".join(f"<td style='{cell}'>{e(x)}</td>" for x in r[1:]) + "</tr>" for r in rows)
        return (f"<div style='font-size:13px;color:{COLORS['ink']}'><div style='margin-bottom:6px'>{intro}</div>"
                f"<table style='border-collapse:collapse'><tr>{th}</tr>{body}</table>"
                f"<div style='color:{COLORS['muted']};font-size:12px;margin-top:6px'>ranks among {len(b):,} cells, "
                f"1 = best; validation is the metric a search sees</div></div>")


