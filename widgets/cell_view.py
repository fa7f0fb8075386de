"""The cell viewer: one NAS-Bench-201 / TransNAS-Bench-101 micro cell, drawn and scored.

Drawn as the 4-node DAG of the NAS-Bench-201 paper: feature maps 0 (input) to 3 (output)
left to right, each of the six edges an arrow coloured (``OP_COLORS``) and labelled with its
operation, ``none`` edges faint and dashed.  We prefer it to the operation-as-node graph of
:func:`ktnas_core.graphs.to_graph` because its six arrows are the six positions of the cell
string, so a one-edge change is one arrow changing colour (what compare mode highlights), and
it is the picture the papers print.  Edges i -> i+1 are straight, 0->2 and 0->3 arch above and
1->3 below, so no two edges cross.

Layout: one FigureWidget, made once, with two panels (axes x/y: cell A, x2/y2: cell B); per
panel 6 highlight halos, 6 edge traces and 1 node trace, then one legend-only trace per
operation; labels, arrowheads and headings are annotations.  Single mode hides panel B;
compare mode shows both, halos behind the differing edges.  The info panel beside it gives
score (validation and test metric, natural units) and rank on every task, or both cells' ranks.

Export: :meth:`CellView.to_svg` writes a standalone SVG from the same coordinates (no kaleido);
the "Download SVG" link carries it as a data URL.  PNG: the camera button of plotly's modebar,
kept always visible by the FigureWidget's config (``displayModeBar=True``,
``toImageButtonOptions``: png, scale 2, file ``cell``).

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
import plotly.graph_objects as go

from ktnas_core import benchmarks
from ktnas_core.errors import KtnasError, ParameterError
from ktnas_core.spaces import get_space
from ktnas_core.spaces.cell import EDGES

from .style import BENCHMARK_CHOICES, COLORS, FONT, OP_COLORS, FigureWidget, SyncedBox

__all__ = ["CellView"]

BOW = {(0, 2): 0.62, (0, 3): 1.1, (1, 3): -0.62}  # apex height of the arched edges
NODE_X, XR, YR = (0.0, 1.5, 3.0, 4.5), (-0.4, 4.9), (-0.85, 1.55)  # nodes 0..3 at (NODE_X[n], 0); axis ranges
NODE_R, NODE_PX, SVG_SCALE = 0.15, 34, 110  # node radius (data units), marker size (px), SVG px per data unit
N_LEGEND = max(len(get_space(name).ops) for name in ("nb201", "tnb101_micro"))
PER_PANEL, ANN_PER_PANEL = 13, 15  # traces: 6 halos, 6 edges, nodes; annotations: 6 labels, 6 arrows, heading, in, out
HALO = dict(color=COLORS["topk"], width=16)
ERROR = "<div style='color:#b00020;font-size:13px;padding:4px 8px;background:#fdecee'>&#9888; {}</div>"


def _geometry(e: int) -> dict[str, Any]:
    """Edge ``e`` as a quadratic Bezier from node i to node j: samples, control, label, arrow tip and tail."""
    (i, j), t = (NODE_X[n] for n in EDGES[e]), np.linspace(0, 1, 401)
    ctl = ((i + j) / 2, 2 * BOW.get(EDGES[e], 0.0))
    x, y = (1 - t) ** 2 * i + 2 * (1 - t) * t * ctl[0] + t ** 2 * j, 2 * (1 - t) * t * ctl[1]
    tip, tail = (np.argmin(abs(np.hypot(x - j, y) - NODE_R - gap)) for gap in (0.03, 0.25))
    return dict(x=x[::16].tolist() + [j], y=y[::16].tolist() + [0.0], control=ctl, label=(x[200], y[200]),
                tip=(x[tip], y[tip]), tail=(x[tail], y[tail]))


GEOMETRY = tuple(_geometry(e) for e in range(len(EDGES)))


def _fmt(value: float, unit: str) -> str:
    return f"{value:.2f} {unit}" if unit.endswith("%") else f"{value:.4f} {unit}"


def _line(op: str, svg: bool = False) -> dict:
    """Line style of an edge carrying ``op``: plotly's ``line`` dict, or SVG stroke attributes."""
    none, color = op == "none", OP_COLORS[op]
    if svg:
        return dict(stroke=color, stroke_width=1.8 if none else 3.4, **({"stroke_dasharray": "6 4"} if none else {}))
    return dict(color=color, width=1.8 if none else 3.4, dash="dash" if none else "solid")


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
    fig : plotly.graph_objects.FigureWidget
        The drawing (traces and annotations: see the module doc); created once, updated in place.
    info, message, download : ipywidgets.HTML
        Score and rank on every task (a ``<tr data-task=...>`` row each); why the last entry
        in a control was refused (empty once a cell is shown); the "Download SVG" link.

    Examples
    --------
    >>> from widgets.cell_view import CellView
    >>> view = CellView("tnb101_micro", arch="64-41414-3_03_122")
    >>> [view.fig.layout.annotations[k].text for k in range(3)]
    ['conv3x3', 'none', 'conv3x3']
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
        self.fig = _figure()
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
        return _svg(self._title(), self._panels(), self._bench.space.ops)

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
        compare, fig, ops = self._b is not None, self.fig, self._bench.space.ops
        with fig.batch_update():
            for p, (name, arch, diff) in enumerate(self._panels() + [("", None, ())] * (not compare)):
                self._draw_panel(p, name, arch, diff)
            for k, trace in enumerate(fig.data[2 * PER_PANEL:]):  # the legend
                trace.update(visible=k < len(ops), name=ops[k % len(ops)], line=_line(ops[k % len(ops)]))
            fig.layout.xaxis.domain = [0, 0.49] if compare else [0, 1]
            fig.layout.update(width=1240 if compare else 700, title_text=self._title())
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

    def _draw_panel(self, p: int, name: str, arch, diff: tuple[int, ...]) -> None:
        traces, base = self.fig.data[p * PER_PANEL:(p + 1) * PER_PANEL], p * ANN_PER_PANEL
        anns = self.fig.layout.annotations
        # set each property once per batch: plotly drops a second write that restores the pre-batch value
        for k, item in enumerate((*traces, *anns[base:base + ANN_PER_PANEL])):
            item.visible = arch is not None and (k >= 6 or k in diff)  # the first 6 are the halos
        if arch is None:
            return
        for e, op in enumerate(arch.op_names):
            faint = op == "none"
            traces[6 + e].update(line=_line(op), hovertext="edge {}→{}: ".format(*EDGES[e]) + op,
                                 opacity=0.8 if faint else 1)
            anns[base + e].update(text=op, bordercolor=OP_COLORS[op], borderwidth=3 if e in diff else 1.5,
                                  opacity=0.75 if faint else 1)
            anns[base + 6 + e].update(arrowcolor=OP_COLORS[op], opacity=0.6 if faint else 1)
        rows = [f"{t}: rank {r:,} ({_fmt(v, u)}), test rank {tr:,} ({_fmt(tv, u)})"
                for t, v, u, r, tv, tr in self._scores(arch)]
        traces[12].hovertext = [f"<b>#{self._bench.index(arch):,}</b> {arch}<br>" + "<br>".join(rows)] * 4
        anns[base + 12].text = f"<span style='font-size:11px'><b>{name}</b><br>{arch}</span>"

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


def _figure() -> FigureWidget:
    data, anns, muted = [], [], dict(size=11, color=COLORS["muted"])
    for xa, ya in (("x", "y"), ("x2", "y2")):
        on, ref = dict(xaxis=xa, yaxis=ya, showlegend=False), dict(xref=xa, yref=ya, showarrow=False)
        data += [go.Scatter(x=g["x"], y=g["y"], mode="lines", line=HALO, opacity=0.3, hoverinfo="skip", visible=False,
                            **on) for g in GEOMETRY]
        data += [go.Scatter(x=g["x"], y=g["y"], mode="lines", hoverinfo="text", **on) for g in GEOMETRY]
        data.append(go.Scatter(x=NODE_X, y=[0] * 4, mode="markers+text", text=list("0123"), **on,
                               textfont=dict(color="white", size=14), marker=dict(size=NODE_PX, color=COLORS["ink"]),
                               hovertemplate="%{hovertext}<extra></extra>"))
        anns += [dict(x=g["label"][0], y=g["label"][1], bgcolor="white", borderpad=2, font=dict(size=11), **ref)
                 for g in GEOMETRY]
        anns += [dict(ref, x=g["tip"][0], y=g["tip"][1], ax=g["tail"][0], ay=g["tail"][1], axref=xa, ayref=ya, text="",
                      showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=2.2) for g in GEOMETRY]
        anns += [dict(x=x, y=y, yanchor="top", text=t, font=muted, **ref)
                 for x, y, t in ((NODE_X[3] / 2, YR[1], ""), (0, -0.2, "input"), (NODE_X[3], -0.2, "output"))]
    data += [go.Scatter(x=[None], y=[None], mode="lines", hoverinfo="skip") for _ in range(N_LEGEND)]
    ax = dict(visible=False, fixedrange=True)
    fig = FigureWidget(data=data, layout=go.Layout(
        width=760, height=430, template="plotly_white", font=FONT, plot_bgcolor="rgba(0,0,0,0)", annotations=anns,
        title=dict(font=dict(size=15), x=0.02, xanchor="left"), margin=dict(l=20, r=20, t=60, b=40),
        # constrain="domain": the equal-scale constraint shrinks a panel, never widens its range (a
        # widened range is kept by the browser, and drew cell B small after the panel was hidden)
        xaxis=dict(ax, domain=[0, 1], range=XR, constrain="domain"),
        xaxis2=dict(ax, domain=[0.51, 1], range=XR, constrain="domain"),
        yaxis=dict(ax, range=YR, scaleanchor="x", constrain="domain"),
        yaxis2=dict(ax, range=YR, scaleanchor="x2", constrain="domain"),
        legend=dict(orientation="h", x=0, xanchor="left", y=0, yanchor="top", title_text="operation: ",
                    font=dict(size=11)),
        hoverlabel=dict(align="left"), modebar=dict(orientation="h", bgcolor="rgba(255,255,255,0.7)")))
    fig._config = dict(displayModeBar=True, displaylogo=False, toImageButtonOptions=dict(
        format="png", filename="cell", scale=2))  # plotly's only hook for a FigureWidget's config
    return fig


def _el(tag: str, body: str = "", **attrs) -> str:
    """One SVG element; attribute names take ``-`` for ``_``, floats are rounded."""
    a = " ".join(f"{k.rstrip('_').replace('_', '-')}='{f'{v:.1f}' if isinstance(v, float) else v}'"
                 for k, v in attrs.items())
    return f"<{tag} {a}>{html.escape(body)}</{tag}>" if body else f"<{tag} {a}/>"


def _svg(title: str, panels: list, ops: tuple[str, ...]) -> str:
    """A standalone SVG of ``panels`` ((name, arch, differing edges) each), from :data:`GEOMETRY`."""
    s, ink, top, gap = SVG_SCALE, COLORS["ink"], 44, 24
    pw, ph = (XR[1] - XR[0]) * s, (YR[1] - YR[0]) * s
    width, height = len(panels) * pw + (len(panels) - 1) * gap + 32, top + ph + 44
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' "
           f"viewBox='0 0 {width:.0f} {height:.0f}' fill='{ink}' font-family=\"{html.escape(FONT['family'])}\">",
           _el("rect", width="100%", height="100%", fill="white"), _el("text", title, x=16, y=26, font_size=15)]
    for p, (name, arch, diff) in enumerate(panels):
        pt = lambda x, y, ox=16 + p * (pw + gap): (ox + (x - XR[0]) * s, top + (YR[1] - y) * s)  # noqa: E731
        hx, hy = pt(NODE_X[3] / 2, YR[1])
        out += [_el("text", text, x=hx, y=hy + 12 + 14 * k, font_size=11, text_anchor="middle")
                for k, text in enumerate((name, str(arch)))]
        for k, op in enumerate(arch.op_names):
            g, ln = GEOMETRY[k], _line(op)
            (x0, y0), (cx, cy), (x1, y1) = pt(NODE_X[EDGES[k][0]], 0), pt(*g["control"]), pt(NODE_X[EDGES[k][1]], 0)
            d = f"M{x0:.1f},{y0:.1f} Q{cx:.1f},{cy:.1f} {x1:.1f},{y1:.1f}"
            out += [_el("path", d=d, fill="none", stroke=HALO["color"], stroke_width=HALO["width"], stroke_opacity=0.3,
                        stroke_linecap="round", class_="halo")] * (k in diff)
            tip, tail = complex(*pt(*g["tip"])), complex(*pt(*g["tail"]))
            u = (tip - tail) / abs(tip - tail)  # unit vector along the arrow; 1j * u is across it
            (lx, ly), lw = pt(*g["label"]), 6.4 * len(op) + 8
            out += [_el("path", d=d, fill="none", **_line(op, svg=True)),
                    _el("polygon", fill=ln["color"], points=" ".join(
                        f"{z.real:.1f},{z.imag:.1f}" for z in (tip, tip - 11 * u + 5j * u, tip - 11 * u - 5j * u))),
                    _el("rect", x=lx - lw / 2, y=ly - 9, width=lw, height=18, rx=2, fill="white", stroke=ln["color"],
                        stroke_width=3 if k in diff else 1.5),
                    _el("text", op, x=lx, y=ly + 4, font_size=11, text_anchor="middle")]
        for n, caption in enumerate(("input", "", "", "output")):
            (nx, ny), (_, cy) = pt(NODE_X[n], 0), pt(NODE_X[n], -0.2)
            out += [_el("circle", cx=nx, cy=ny, r=NODE_R * s, fill=ink),
                    _el("text", str(n), x=nx, y=ny + 5, font_size=14, text_anchor="middle", fill="white"),
                    _el("text", caption, x=nx, y=cy + 12, font_size=11, text_anchor="middle", fill=COLORS["muted"])]
    x, y = 16.0, height - 18
    for op in ops:
        out += [_el("line", x1=x, y1=y, x2=x + 28, y2=y, **_line(op, svg=True)),
                _el("text", op, x=x + 34, y=y + 4, font_size=12)]
        x += 48 + 7 * len(op)
    return "\n".join(out + ["</svg>"])
