"""The search dashboard's figure: regret of the best cell so far, against evaluations and against
simulated GPU-hours, one step line per task of the shown run, earlier runs faint beside them.

Drawn as SVG by the kernel (:mod:`widgets.line_chart`): a running search redraws it a few times a
second, and a best-so-far curve has a corner only where it improved, so each redraw is a few KB.

>>> fig = dashboard_figure()
>>> fig.title
'Regret of the best so far: press Start to run a search'
>>> draw_dashboard(fig, {"cifar10": ("#0072b2", [1, 2, 3], [0.1, 0.2, 0.3], [0.4, 0.1, 0.1])},
...                [("rea seed 0: cifar10", [1, 2], [0.1, 0.2], [0.5, 0.3])], label="ktnas seed 1",
...                training=False, title="Regret of the best so far: ktnas seed 1")
>>> [(line.name, line.tip) for line in fig.panels[0].lines]
[('earlier runs', 'rea seed 0: cifar10'), ('cifar10', 'cifar10 (ktnas seed 1)')]
>>> fig.panels[1].x_title
'GPU-hours per task (simulated)'
"""

from __future__ import annotations

from .line_chart import Line, LineChart, Panel

__all__ = ["EARLIER_COLOR", "MAX_EARLIER", "MAX_TASKS", "dashboard_figure", "draw_dashboard", "y_axis"]

MAX_TASKS = 7  # every task of TransNAS-Bench-101 micro
#: earlier runs' curves kept for comparison (older ones are dropped: a long session stays light and legible)
MAX_EARLIER = 24
EARLIER_COLOR = "#9aa3b2"
HINT_TITLE = "Regret of the best so far: press Start to run a search"


def dashboard_figure() -> LineChart:
    """The figure before any run: empty panels and a hint."""
    fig = LineChart(width=1100, height=430, share_y=True, reference=(0.0, "optimum"), png_name="regret")
    draw_dashboard(fig, {}, [], label="", training=False, title=HINT_TITLE)
    return fig


def y_axis(training: bool) -> tuple[str, str]:
    """The y axis's title and what a tooltip calls its values: regret against the table's optimum,
    or a training run's validation error (the runs table's chart uses it too).

    >>> y_axis(True)
    ('validation error, %: 100 − best accuracy so far', 'error')
    """
    return (("validation error, %: 100 − best accuracy so far", "error") if training
            else ("regret: optimum − best so far", "regret"))


def draw_dashboard(fig: LineChart, curves: dict, earlier: list, *, label: str, training: bool, title: str) -> None:
    """Draw the shown run, ``curves`` (task -> ``(colour, evaluations, GPU-hours, regret)``), over the
    earlier runs' curves, ``(name, evaluations, GPU-hours, regret)``; drops all but the latest
    :data:`MAX_EARLIER` of ``earlier`` first, in place."""
    del earlier[:-MAX_EARLIER]
    kind = "measured" if training else "simulated"
    panels = []
    for col, (name, x_title, unit) in enumerate((("against evaluations", "evaluations per task", "evaluations"),
                                                 (f"against {kind} GPU-hours", f"GPU-hours per task ({kind})",
                                                  "GPU-hours"))):
        lines = [Line("earlier runs", x, y, EARLIER_COLOR, step=True, width=1.2, opacity=0.75, tip=run,
                      legend=col == 0 and k == 0)
                 for k, (run, *xs, y) in enumerate(earlier) for x in (xs[col],)]
        lines += [Line(task, xs[col], y, color, step=True, markers=True, tip=f"{task} ({label})", legend=col == 0)
                  for task, (color, *xs, y) in curves.items()]
        panels.append(Panel(name, tuple(lines), x_title, x_unit=unit))
    axis_title, y_name = y_axis(training)
    fig.draw(panels, title, axis_title, y_name=y_name,
             hint="" if curves else "press Start: each task's curve is drawn here as the search runs")
