"""Transfer lineage: which cell went from which task to which, and what came of it.

One lane per target task, generations left to right.  Each accepted transfer is a node in
its target's lane, joined by a line to the lane of the task it came from; the node's colour is
the source task's, its size its rank on the target (bigger: better), its ring the search's
verdict (a star: labelled +1, a child reached the top of the target's next population; a crossed
circle: -1, its children did not; a plain dot: no children).  The small grey dots right of a node are its
children on the target (sized by their rank), and faint dots the candidates the ranking turned
down (tick *rejected candidates*).  Hover for phi, scores and ranks; **click a node or a child**
to draw that cell in the cell view below; the two buttons jump to a transfer that helped and
one that did not.  The data is :func:`ktnas_core.runs.lineage.read_lineage` of the run.

>>> import tempfile
>>> from pathlib import Path
>>> from ktnas_core.search import TableEvaluator, make_strategy, run_search
>>> d = Path(tempfile.mkdtemp()) / "ktnas-3"
>>> _ = run_search(make_strategy("ktnas", "nb201", ["cifar10", "cifar100"]), TableEvaluator("nb201"), budget=60,
...                seed=3, run_dir=d)
>>> view = LineageView()
>>> view.show_run(d)
>>> n = sum(len(tr.x) for tr in view.figure.data[view._node0:view._node0 + MAX_TASKS])
>>> n == len(view.lineage.accepted) > 0
True
>>> view.pick(view.lineage.accepted[0])
>>> str(view.cell_view.arch) == view.lineage.accepted[0].arch
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from pathlib import Path

import ipywidgets as w

from ktnas_core.errors import KtnasError, ParameterError
from ktnas_core.runs.lineage import Transfer, read_lineage

from .cell_view import CellView
from .compare_figure import PALETTE
from .plotly_figure import FigureWidget
from .style import COLORS, FONT, SyncedBox

__all__ = ["LineageView", "MAX_TASKS"]

MAX_TASKS = 7  # lanes and source colours: every task of TransNAS-Bench-101 micro
#: marker of each outcome: (symbol, outline colour, outline width)
RING = {"helped": ("star", "#14632f", 2.0), "did not help": ("circle-x", "#1f2a44", 2.0),
        "no children": ("circle", "#ffffff", 1.0)}
NOTE = (
    "Each lane is a <b>target</b> task; each dot a cell transferred into it in that generation, joined to the lane "
    "of the task it came from and coloured by that task. <b>Size</b>: the cell's rank on the target (bigger is "
    "better). <b>Shape</b>: the search's verdict, ★ <b>star</b> = helped (a child reached the top of the target's "
    "next population), ⊗ <b>crossed circle</b> = did not help, plain dot: it had no children. Small grey dots: its children on the target. <b>Click</b> a dot to draw "
    "the cell. φ is the transfer rank the classifier gave it.")


def _size(rank: int | None, n: int, big: float = 26.0, small: float = 7.0) -> float:
    """Marker size of a rank among ``n`` cells (log scale: rank 1 biggest)."""
    if rank is None:
        return (big + small) / 2
    return small + (big - small) * (1 - math.log(max(rank, 1)) / math.log(max(n, 2)))


class LineageView(SyncedBox):
    """The lineage of one run's transfers, with a cell view that draws the cell clicked.

    Attributes
    ----------
    lineage : Lineage or None
        What is drawn (None before :meth:`show_run`).
    figure : plotly.graph_objects.FigureWidget
    cell_view : widgets.cell_view.CellView
    run_choice : ipywidgets.Dropdown
        The run shown, among those :meth:`set_runs` offers.
    """

    def __init__(self, benchmark: str = "nb201", **kwargs):
        self.lineage, self._picked, self._callbacks, self._n_cells = None, None, [], 1
        self._nodes: list[list[Transfer]] = [[] for _ in range(MAX_TASKS)]
        self._kids: list = []
        self.run_choice = w.Dropdown(description="Run", options=[], style={"description_width": "40px"},
                                     layout=w.Layout(width="460px"))
        self.refresh_button = w.Button(description="refresh", icon="refresh", tooltip="read the run's log again")
        self.rejected = w.Checkbox(False, description="rejected candidates", indent=False)
        self.helped_button = w.Button(description="a transfer that helped", icon="thumbs-up", button_style="success",
                                      layout=w.Layout(width="220px"))
        self.failed_button = w.Button(description="one that did not", icon="thumbs-down", button_style="danger",
                                      layout=w.Layout(width="200px"))
        self.summary, self.detail, self.message = w.HTML(), w.HTML(), w.HTML()
        self.cell_view = CellView(benchmark)
        self.figure = self._make_figure()
        self.run_choice.observe(lambda c: c["new"] and self._safe(lambda: self.show_run(c["new"])), names="value")
        self.refresh_button.on_click(lambda _: self.run_choice.value and self._safe(
            lambda: self.show_run(self.run_choice.value)))
        self.rejected.observe(lambda _: self._safe(self._draw), names="value")
        self.helped_button.on_click(lambda _: self._safe(lambda: self.pick(self.lineage and self.lineage.helped())))
        self.failed_button.on_click(lambda _: self._safe(lambda: self.pick(self.lineage and self.lineage.did_not_help())))
        row = w.Layout(flex_flow="row wrap", grid_gap="6px 16px", align_items="center")
        note = w.HTML(f"<div style='color:{COLORS['muted']};font-size:13px;line-height:1.5;max-width:1250px'>{NOTE}"
                      "</div>")
        kwargs.setdefault("layout", w.Layout(padding="8px 4px", grid_gap="6px"))
        super().__init__([note, w.HBox([self.run_choice, self.refresh_button, self.rejected], layout=row),
                          w.HBox([self.helped_button, self.failed_button, self.summary], layout=row), self.message,
                          self.figure, self.detail, self.cell_view], **kwargs)
        self.add_class("ktnas-lineage")

    # -- the figure, made once ------------------------------------------------------------
    def _make_figure(self) -> FigureWidget:
        fig = FigureWidget()
        fig.update_layout(template="plotly_white", font=FONT, height=460, width=1320,
                          margin=dict(l=130, r=20, t=60, b=50), hovermode="closest", clickmode="event",
                          title=dict(text="Transfer lineage: choose a run", font=dict(size=15), x=0.01, xanchor="left"),
                          xaxis=dict(title_text="generation", zeroline=False, dtick=1),
                          yaxis=dict(zeroline=False, showgrid=False, autorange="reversed"),
                          legend=dict(orientation="h", x=0, y=-0.16, xanchor="left"))
        fig.add_scatter(x=[], y=[], mode="markers", marker=dict(size=5, color="#b8bec9", opacity=0.5),
                        name="rejected candidates", hovertemplate="%{text}<extra>rejected</extra>", visible=False)
        fig.add_scatter(x=[], y=[], mode="lines", line=dict(color="#9aa3b2", width=1), hoverinfo="skip",
                        showlegend=False)  # node -> its children
        self._edge0 = len(fig.data)
        for _ in range(MAX_TASKS):  # source lane -> node, one trace per source task
            fig.add_scatter(x=[], y=[], mode="lines", line=dict(width=1.4), opacity=0.45, hoverinfo="skip",
                            showlegend=False, visible=False)
        fig.add_scatter(x=[], y=[], mode="markers", marker=dict(color="#6b7385", line=dict(color="white", width=0.5)),
                        name="children on the target", hovertemplate="%{text}<extra></extra>")
        self._node0 = len(fig.data)
        for _ in range(MAX_TASKS):  # the transfers, one trace per source task
            fig.add_scatter(x=[], y=[], mode="markers", visible=False, hovertemplate="%{text}<extra></extra>")
        self._legend0 = len(fig.data)
        for _ in range(MAX_TASKS):  # legend of the source colours (a node trace's legend shows its first shape)
            fig.add_scatter(x=[None], y=[None], mode="markers", marker=dict(size=12, symbol="circle"), visible=False)
        fig.add_scatter(x=[], y=[], mode="markers", hoverinfo="skip", showlegend=False,  # the picked transfer
                        marker=dict(symbol="circle-open", size=44, color=COLORS["ink"], line=dict(width=2.5)))
        for outcome in ("helped", "did not help"):  # legend of the shapes
            symbol, color, width = RING[outcome]
            fig.add_scatter(x=[None], y=[None], mode="markers", name=outcome, marker=dict(
                size=14, color="#c9ced8", symbol=symbol, line=dict(color=color, width=width)))
        for k in range(MAX_TASKS):
            fig.data[self._node0 + k].on_click(lambda tr, pts, _, k=k: pts.point_inds and self.pick(
                self._nodes[k][pts.point_inds[0]]))
        fig.data[self._node0 - 1].on_click(lambda tr, pts, _: pts.point_inds and self._pick_child(pts.point_inds[0]))
        return fig

    # -- public API -----------------------------------------------------------------------
    def set_runs(self, runs: list[tuple[str, str]], value: str | None = None) -> None:
        """Offer ``runs`` (``(label, run folder)`` pairs) and show ``value`` (default: keep, else the last)."""
        current = value or self.run_choice.value
        self.run_choice.options = runs
        paths = [p for _, p in runs]
        self.run_choice.value = current if current in paths else (paths[-1] if paths else None)

    def show_run(self, run_dir) -> None:
        """Read and draw the lineage of the run in ``run_dir`` (a run going now: so far)."""
        lin = read_lineage(run_dir)
        if lin.benchmark is not None and self.cell_view.benchmark.name != lin.benchmark.name:
            self.cell_view.set_benchmark(lin.benchmark.name)
        if len(lin.tasks) > MAX_TASKS:
            raise ParameterError(f"{len(lin.tasks)} tasks are more than the lineage draws ({MAX_TASKS})")
        self.lineage, self._picked, self._name = lin, None, Path(run_dir).name
        self._n_cells = len(lin.benchmark) if lin.benchmark is not None else 1
        self._draw()
        self.detail.value, self.message.value = "", ""

    def pick(self, transfer: Transfer | None) -> None:
        """Draw ``transfer``'s cell in the cell view and describe it (None: say there is none)."""
        if transfer is None:
            self.message.value = (f"<div style='color:{COLORS['muted']};font-size:13px'>This run has no such transfer "
                                  "yet: the search labels a transfer only once it had children. Try another seed.</div>")
            return
        self._picked = transfer
        if self.lineage.benchmark is not None:
            self.cell_view.show(transfer.arch)
        self.detail.value = self._describe(transfer)
        self.message.value = ""
        self._mark()
        for cb in list(self._callbacks):
            cb(transfer)

    def on_pick(self, callback: Callable[[Transfer], None]) -> None:
        """Call ``callback(transfer)`` whenever a transfer is picked (clicked, or by a button)."""
        if not callable(callback):
            raise ParameterError(f"callback must be callable; got {type(callback).__name__}")
        self._callbacks.append(callback)

    # -- drawing ----------------------------------------------------------------------------
    def _lanes(self) -> dict:
        return {t: i for i, t in enumerate(self.lineage.tasks)}

    def _draw(self) -> None:
        lin, fig = self.lineage, self.figure
        if lin is None:
            return
        lane, n = self._lanes(), self._n_cells
        offsets: dict = {}
        self._nodes, self._kids = [[] for _ in range(MAX_TASKS)], []
        node_xy, edges = {}, [([], []) for _ in range(MAX_TASKS)]
        kid_x, kid_y, kid_s, kid_t, link_x, link_y = [], [], [], [], [], []
        for t in lin.accepted:
            k = lane[t.source]
            j = offsets.setdefault((t.generation, t.target), [0])
            y = lane[t.target] + (-0.3 + 0.15 * (j[0] % 5))
            j[0] += 1
            node_xy[id(t)] = (t.generation, y)
            self._nodes[k].append(t)
            edges[k][0].extend([t.generation - 0.45, t.generation, None])
            edges[k][1].extend([lane[t.source], y, None])
            for c_i, c in enumerate(t.children):
                cx = t.generation + 0.28 + 0.06 * c_i
                kid_x.append(cx), kid_y.append(y), kid_s.append(_size(c.rank, n, 14, 4))
                kid_t.append(self._child_text(t, c))
                link_x += [t.generation, cx, None]
                link_y += [y, y, None]
                self._kids.append((t, c))
        rejected = [t for t in lin.transfers if not t.accepted]
        with fig.batch_update():
            fig.data[0].update(x=[t.generation + 0.12 for t in rejected],
                               y=[lane[t.target] + 0.38 for t in rejected], visible=self.rejected.value,
                               text=[self._text(t) for t in rejected])
            fig.data[1].update(x=link_x, y=link_y)
            fig.data[self._node0 - 1].update(x=kid_x, y=kid_y, marker_size=kid_s, text=kid_t)
            for k in range(MAX_TASKS):
                edge, node, nodes = fig.data[self._edge0 + k], fig.data[self._node0 + k], self._nodes[k]
                if k >= len(lin.tasks):
                    edge.update(x=[], y=[], visible=False), node.update(x=[], y=[], visible=False)
                    fig.data[self._legend0 + k].visible = False
                    continue
                color, task = PALETTE[k % len(PALETTE)], lin.tasks[k]
                edge.update(x=edges[k][0], y=edges[k][1], line_color=color, visible=True)
                rings = [RING[t.outcome] for t in nodes]
                fig.data[self._legend0 + k].update(visible=True, name=f"from {task}", marker_color=color)
                node.update(x=[node_xy[id(t)][0] for t in nodes], y=[node_xy[id(t)][1] for t in nodes],
                            visible=True, name=f"from {task}", showlegend=False, text=[self._text(t) for t in nodes],
                            marker=dict(color=color, size=[_size(t.rank, n) * (1.3 if r[0] == "star" else 1)
                                                           for t, r in zip(nodes, rings)], symbol=[r[0] for r in rings],
                                        line=dict(color=[r[1] for r in rings], width=[r[2] for r in rings])))
            fig.layout.yaxis.update(tickvals=list(range(len(lin.tasks))), ticktext=[f"→ {t}" for t in lin.tasks],
                                    range=[len(lin.tasks) - 0.45, -0.55])
            first = min((t.generation for t in lin.transfers), default=0)
            fig.layout.xaxis.range = [first - 0.7, max(lin.generations - 1, first) + 0.6]
            gens = f"generations {first}–{lin.generations - 1}" if lin.transfers else "no generation yet"
            fig.layout.title.text = (f"Transfer lineage of {html.escape(self._name)}: {len(lin.accepted)} cells "
                                     f"transferred in {gens}")
            self._xy = node_xy
            self._mark()
        counts = {o: sum(t.outcome == o for t in lin.transfers) for o in RING}
        self.summary.value = (f"<span style='font-size:13px;color:{COLORS['muted']}'>{counts['helped']} helped · "
                              f"{counts['did not help']} did not · {counts['no children']} had no children · "
                              f"{len(rejected)} candidates turned down</span>")

    def _mark(self) -> None:
        """Circle the picked transfer (or nothing)."""
        xy = getattr(self, "_xy", {}).get(id(self._picked))
        self.figure.data[self._legend0 + MAX_TASKS].update(x=[xy[0]] if xy else [], y=[xy[1]] if xy else [])

    def _rank(self, rank: int | None) -> str:
        return "" if rank is None else f", rank {rank:,} of {self._n_cells:,}"

    def _text(self, t: Transfer) -> str:
        score = "not evaluated" if t.score is None else f"{t.score:.2f}"
        fill = " (random fill among equal φ)" if t.random_fill else ""
        return (f"generation {t.generation}: {html.escape(t.source)} → {html.escape(t.target)}<br>φ = {t.phi}{fill}, "
                f"{t.outcome}<br>on {html.escape(t.target)}: {score}{self._rank(t.rank)}<br>{len(t.children)} "
                f"child{'ren' * (len(t.children) != 1)}<br><span style='font-size:10px'>{html.escape(t.arch)}</span>")

    def _child_text(self, t: Transfer, c) -> str:
        return (f"child on {html.escape(t.target)} of a cell from {html.escape(t.source)} (generation {t.generation})"
                f"<br>score {c.score:.2f}{self._rank(c.rank)}<br><span style='font-size:10px'>{html.escape(c.arch)}"
                "</span>")

    def _pick_child(self, i: int) -> None:
        t, c = self._kids[i]
        if self.lineage.benchmark is not None:
            self.cell_view.show(c.arch)
        self.detail.value = self._describe(t, c)

    def _describe(self, t: Transfer, child=None) -> str:
        color = {"helped": "#1a9850", "did not help": "#d73027"}.get(t.outcome, COLORS["muted"])
        kids = "".join(f"<li><code>{html.escape(c.arch)}</code>: {c.score:.2f}{self._rank(c.rank)}</li>"
                       for c in sorted(t.children, key=lambda c: -c.score)) or "<li>none</li>"
        head = (f"<b>Child</b> <code>{html.escape(child.arch)}</code> ({child.score:.2f}{self._rank(child.rank)}) of:<br>"
                if child is not None else "")
        score = "not evaluated" if t.score is None else f"{t.score:.2f}"
        return (f"<div style='font-size:13px;line-height:1.55;max-width:1250px;padding:4px 8px;border-left:3px solid {color}'>{head}<b>Generation {t.generation}</b>: "
                f"<code>{html.escape(t.arch)}</code> went from <b>{html.escape(t.source)}</b> to "
                f"<b>{html.escape(t.target)}</b> with transfer rank φ = {t.phi}"
                f"{' (a random pick among equal φ)' if t.random_fill else ''}.<br>On the target: {score}"
                f"{self._rank(t.rank)}.<br>Verdict: <b style='color:{color}'>{t.outcome}</b>"
                f"{' (label ' + format(t.label, '+d') + ')' if t.label is not None else ''}.<br>Its children on the "
                f"target (one edit from it):<ul style='margin:2px 0'>{kids}</ul></div>")

    def _safe(self, fn):
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - a callback must not raise into the kernel
            text = str(e) if isinstance(e, KtnasError) else f"{type(e).__name__}: {e}"
            self.message.value = f"<div style='color:{COLORS['topk']};font-size:13px'>{html.escape(text)}</div>"
        return None
