"""The runs table's figure: regret of the best cell so far on one task, one coloured series per
ticked run, or per strategy over several seeds a median line inside its interquartile band.

Every trace is made once (:data:`MAX_SERIES` slots of three: the band's lower edge, its upper
edge filled down to the lower, the line) and only restyled, as the dashboard's figure is.

>>> fig = compare_figure()
>>> len(fig.data) == 3 * MAX_SERIES
True
>>> draw_series(fig, [Series("rea · 3 seeds", [1, 2], [2.0, 1.0], [1.5, 0.5], [2.5, 1.5], 3)], "cifar10")
>>> fig.data[2].name, fig.data[1].fill, fig.data[3].visible
('rea · 3 seeds (median, IQR)', 'tonexty', False)
"""

from __future__ import annotations

import dataclasses
import html

from .style import COLORS, FONT, FigureWidget, rgba

__all__ = ["MAX_SERIES", "PALETTE", "Series", "compare_figure", "draw_series"]

MAX_SERIES = 12
#: one colour per series, distinct on white and for the common colour-vision deficiencies first
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#1f2a44", "#8e6bbf", "#b8860b",
           "#3b8ea5", "#d45087", "#7f7f7f")


@dataclasses.dataclass(frozen=True)
class Series:
    """One series: a run (``n == 1``: no band) or the median of ``n`` seeds with its IQR."""

    name: str
    x: list
    y: list
    lower: list | None = None
    upper: list | None = None
    n: int = 1


def compare_figure() -> FigureWidget:
    """The empty figure: every slot hidden, a hint in the title."""
    fig = FigureWidget()
    fig.update_layout(template="plotly_white", font=FONT, height=430, width=1100,
                      margin=dict(l=60, r=20, t=60, b=50),
                      title=dict(text="Tick runs in the table to compare them", font=dict(size=15), x=0.02,
                                 xanchor="left"),
                      legend=dict(x=1.0, xanchor="right", y=1.0, bgcolor="rgba(255,255,255,0.85)",
                                  bordercolor=COLORS["grid"], borderwidth=1),
                      xaxis=dict(title_text="evaluations on the task", rangemode="tozero"),
                      yaxis=dict(title_text="regret: optimum − best so far", rangemode="tozero"))
    for _ in range(MAX_SERIES):
        fig.add_scatter(x=[], y=[], mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip",
                        visible=False)
        fig.add_scatter(x=[], y=[], mode="lines", line=dict(width=0), fill="tonexty", showlegend=False,
                        hoverinfo="skip", visible=False)
        fig.add_scatter(x=[], y=[], mode="lines", line_shape="hv", line=dict(width=2.5), visible=False)
    fig.add_hline(y=0, line=dict(color=COLORS["ink"], dash="dash", width=1.2), annotation_text="optimum",
                  annotation_position="top left")
    return fig


def draw_series(fig: FigureWidget, series: list, task: str, title: str | None = None) -> None:
    """Show ``series`` (the first :data:`MAX_SERIES`) on ``task`` and hide the other slots."""
    with fig.batch_update():
        for k in range(MAX_SERIES):
            lo, hi, line = fig.data[3 * k:3 * k + 3]
            if k >= len(series):
                for tr in (lo, hi, line):
                    tr.update(x=[], y=[], visible=False)
                continue
            s, color = series[k], PALETTE[k % len(PALETTE)]
            band = s.n > 1 and s.lower is not None
            name = f"{s.name} (median, IQR)" if band else s.name
            line.update(x=s.x, y=s.y, visible=True, name=name, legendgroup=name, line_color=color,
                        hovertemplate=f"{html.escape(name)}<br>%{{x}} evaluations: regret %{{y:.4f}}<extra></extra>")
            lo.update(x=s.x if band else [], y=s.lower if band else [], visible=band, legendgroup=name)
            hi.update(x=s.x if band else [], y=s.upper if band else [], visible=band, legendgroup=name,
                      fillcolor=rgba(color, 0.18))
        fig.layout.title.text = title or f"Regret of the best so far on {html.escape(task)}"
