"""The runs table's figure: regret of the best cell so far on one task, one coloured series per
ticked run, or per strategy over several seeds a median line inside its interquartile band.

Drawn as SVG by the kernel (:mod:`widgets.line_chart`); each series has a legend entry and its
corners show their values when pointed at.

>>> fig = compare_figure()
>>> draw_series(fig, [Series("rea · 3 seeds", [1, 2], [2.0, 1.0], [1.5, 0.5], [2.5, 1.5], 3)], "cifar10")
>>> line = fig.series[0]
>>> line.name, line.low, fig.title
('rea · 3 seeds (median, IQR)', [1.5, 0.5], 'Regret of the best so far on cifar10')
"""

from __future__ import annotations

import dataclasses

from .dashboard_figure import y_axis
from .line_chart import Line, LineChart, Panel

__all__ = ["MAX_SERIES", "PALETTE", "Series", "compare_figure", "draw_series"]

MAX_SERIES = 12
#: one colour per series, distinct on white and for the common colour-vision deficiencies first
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#1f2a44", "#8e6bbf", "#b8860b",
           "#3b8ea5", "#d45087", "#7f7f7f")
EMPTY_TITLE = "Tick runs in the table to compare them"


@dataclasses.dataclass(frozen=True)
class Series:
    """One series: a run (``n == 1``: no band) or the median of ``n`` seeds with its IQR."""

    name: str
    x: list
    y: list
    lower: list | None = None
    upper: list | None = None
    n: int = 1


def compare_figure() -> LineChart:
    """The empty figure, a hint in its title."""
    fig = LineChart(width=1100, height=430, reference=(0.0, "optimum"), png_name="compare")
    draw_series(fig, [], "", EMPTY_TITLE)
    return fig


def draw_series(fig: LineChart, series: list, task: str, title: str | None = None, training: bool = False) -> None:
    """Show the first :data:`MAX_SERIES` of ``series`` on ``task`` (``training``: validation error
    of training runs, else regret on a table)."""
    lines = []
    for k, s in enumerate(series[:MAX_SERIES]):
        band = s.n > 1 and s.lower is not None
        lines.append(Line(f"{s.name} (median, IQR)" if band else s.name, s.x, s.y, PALETTE[k % len(PALETTE)],
                          low=s.lower if band else None, high=s.upper if band else None, step=True))
    axis_title, y_name = y_axis(training)
    fig.draw([Panel("", tuple(lines), "evaluations on the task", x_unit="evaluations")],
             title or f"Regret of the best so far on {task}", axis_title, y_name=y_name,
             hint="" if lines else "tick runs in the table above: each becomes a line here")
