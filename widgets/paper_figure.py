"""The Paper tab's chart: one panel per task, per strategy a line inside its bootstrap band.

Table II (NAS-Bench-201) shows the share of runs that have found each task's optimum against
evaluations (log axis), Table III (TransNAS-Bench-101 micro) the mean best-so-far; both come from
:mod:`ktnas_core.experiments.paper_results`.  Every trace is made once (:data:`MAX_STRATEGIES` x
:data:`N_PANELS` slots of three: the band's lower edge, its upper edge filled down to it, the line)
and only restyled.

>>> from ktnas_core.experiments.paper_results import load_result
>>> fig = paper_figure()
>>> len(fig.data) == 3 * MAX_STRATEGIES * N_PANELS
True
>>> result = load_result("nb201")
>>> result = {**result, "strategies": ["ktnas"], "runs": [r for r in result["runs"] if r["strategy"] == "ktnas"]}
>>> draw_curves(fig, result, paper_curves(result))
>>> fig.data[2].name, fig.data[1].fill, fig.layout.xaxis.type, fig.data[9].visible
('ktnas', 'tonexty', 'log', False)
"""

from __future__ import annotations

import html

from plotly.subplots import make_subplots

from ktnas_core.experiments.catalog import EXPERIMENTS, experiment
from ktnas_core.experiments.paper_results import best_curves, found_curves

from .compare_figure import PALETTE
from .style import FONT, FigureWidget, rgba

__all__ = ["MAX_STRATEGIES", "N_PANELS", "draw_curves", "paper_curves", "paper_figure"]

#: chart slots: strategies (every one of an experiment) and panels (one per task)
MAX_STRATEGIES, N_PANELS = max(len(e.strategies) for e in EXPERIMENTS.values()), 3


def paper_curves(result: dict) -> dict:
    """``(strategy, task) -> curve`` of ``result``: share of runs at the optimum (Table II) or mean best so far."""
    exp = experiment(result["experiment"])
    curve = found_curves if exp.stop_on_optimum else best_curves
    return {(s, t): curve(result, s, t) for s in result["strategies"] for t in exp.tasks}


def paper_figure() -> FigureWidget:
    """The empty chart: :data:`N_PANELS` panels, :data:`MAX_STRATEGIES` x 3 hidden slots of three traces
    (the band's lower edge, its upper edge filled down to it, the line)."""
    fig = FigureWidget(make_subplots(rows=1, cols=N_PANELS, subplot_titles=[" "] * N_PANELS,
                                     horizontal_spacing=0.06))
    for _ in range(MAX_STRATEGIES):
        for j in range(N_PANELS):
            fig.add_scatter(x=[], y=[], mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip",
                            visible=False, row=1, col=j + 1)
            fig.add_scatter(x=[], y=[], mode="lines", line=dict(width=0), fill="tonexty", showlegend=False,
                            hoverinfo="skip", visible=False, row=1, col=j + 1)
            fig.add_scatter(x=[], y=[], mode="lines", visible=False, row=1, col=j + 1)
    fig.update_layout(template="plotly_white", font=FONT, height=430, width=1240,
                      margin=dict(l=60, r=20, t=80, b=50), title=dict(text=" ", font=dict(size=15), x=0.01,
                                                                     xanchor="left"),
                      legend=dict(orientation="h", y=-0.22, x=0.0))
    return fig


def draw_curves(fig: FigureWidget, result: dict, curves: dict) -> None:
    """One panel per task: per strategy its line and band, in the slots made once (only restyled, as the
    app's other figures: plotly's browser view can lose traces added together with other edits)."""
    exp = experiment(result["experiment"])
    ecdf, tasks = exp.stop_on_optimum, list(exp.tasks)
    title = ("Share of runs that have evaluated each task's best cell (band: 95% bootstrap interval over runs)"
             if ecdf else "Best-so-far validation metric, mean over runs (band: 95% bootstrap interval of the mean)")
    with fig.batch_update():
        for k in range(MAX_STRATEGIES):
            s = result["strategies"][k] if k < len(result["strategies"]) else None
            color = PALETTE[k % len(PALETTE)]
            for j in range(N_PANELS):
                low, high, line = fig.data[3 * (k * N_PANELS + j):3 * (k * N_PANELS + j) + 3]
                if s is None or j >= len(tasks):
                    for tr in (low, high, line):
                        tr.update(x=[], y=[], visible=False)
                    continue
                c, t = curves[(s, tasks[j])], tasks[j]
                low.update(x=c["x"], y=c["low"], visible=True, legendgroup=s)
                high.update(x=c["x"], y=c["high"], visible=True, legendgroup=s, fillcolor=rgba(color, 0.16))
                line.update(x=c["x"], y=c["y"], visible=True, name=s, legendgroup=s, showlegend=j == 0,
                            line=dict(color=color, width=2.2, shape="hv" if ecdf else "linear"),
                            hovertemplate=f"{html.escape(s)} · {html.escape(t)}<br>%{{x}} evaluations: "
                                          f"%{{y:.{3 if ecdf else 2}f}}<extra></extra>")
        for j, t in enumerate(tasks):
            fig.layout.annotations[j].text = t + (" (L2 loss × 100, lower is better)" if t == "room_layout" else "")
        fig.update_xaxes(type="log" if ecdf else "linear", autorange=True,
                         title_text="evaluations on the task" + (" (log)" if ecdf else ""))
        fig.update_yaxes(range=[0, 1.02] if ecdf else None, autorange=not ecdf)
        fig.layout.yaxis.title.text = "share of runs that found the optimum" if ecdf else "best so far (mean of runs)"
        fig.layout.title.text = f"{title}, {result['seeds']} seeds"
