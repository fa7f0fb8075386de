"""The Paper tab's chart: one panel per task, per strategy a line inside its bootstrap band.

Table II (NAS-Bench-201) shows the share of runs that have found each task's optimum against
evaluations (log axis), Table III (TransNAS-Bench-101 micro) the mean best-so-far; both come from
:mod:`ktnas_core.experiments.paper_results`.  Drawn as SVG by the kernel (:mod:`widgets.line_chart`).

>>> from ktnas_core.experiments.paper_results import load_result
>>> fig = paper_figure()
>>> result = load_result("nb201")
>>> result = {**result, "strategies": ["ktnas"], "runs": [r for r in result["runs"] if r["strategy"] == "ktnas"]}
>>> draw_curves(fig, result, paper_curves(result))
>>> [p.title for p in fig.panels], fig.panels[0].x_log, fig.series[0].name
(['cifar10', 'cifar100', 'ImageNet16-120'], True, 'ktnas')
"""

from __future__ import annotations

from ktnas_core.experiments.catalog import experiment
from ktnas_core.experiments.paper_results import best_curves, found_curves

from .compare_figure import PALETTE
from .line_chart import Line, LineChart, Panel

__all__ = ["draw_curves", "paper_curves", "paper_figure"]


def paper_curves(result: dict) -> dict:
    """``(strategy, task) -> curve`` of ``result``: share of runs at the optimum (Table II) or mean best so far."""
    exp = experiment(result["experiment"])
    curve = found_curves if exp.stop_on_optimum else best_curves
    return {(s, t): curve(result, s, t) for s in result["strategies"] for t in exp.tasks}


def paper_figure() -> LineChart:
    """The empty chart (a panel per task once :func:`draw_curves` is called); a PNG button saves it."""
    return LineChart(width=1240, height=430, share_y=False, png_name="paper-curves")


def draw_curves(fig: LineChart, result: dict, curves: dict) -> None:
    """One panel per task of ``result``'s experiment: per strategy its line and band."""
    exp = experiment(result["experiment"])
    ecdf, tasks = exp.stop_on_optimum, list(exp.tasks)
    title = ("Share of runs that have evaluated each task's best cell (band: 95% bootstrap interval over runs)"
             if ecdf else "Best-so-far validation metric, mean over runs (band: 95% bootstrap interval of the mean)")
    panels = []
    for t in tasks:
        lines = tuple(Line(s, c["x"], c["y"], PALETTE[k % len(PALETTE)], low=c["low"], high=c["high"], step=ecdf,
                           width=2.2, tip=f"{s} · {t}")
                      for k, s in enumerate(result["strategies"]) for c in (curves[(s, t)],))
        panels.append(Panel(t + (" (L2 loss × 100, lower is better)" if t == "room_layout" else ""), lines,
                            "evaluations on the task" + (" (log)" if ecdf else ""), x_log=ecdf, x_unit="evaluations",
                            x_from_zero=False))  # TNB101's curves start after the first population
    fig.draw(panels, f"{title}, {result['seeds']} seeds",
             "share of runs that found the optimum" if ecdf else "best so far (mean of runs)",
             y_range=(0.0, 1.02) if ecdf else None, y_from_zero=ecdf, y_digits=3 if ecdf else 2,
             y_name="share" if ecdf else "mean")
