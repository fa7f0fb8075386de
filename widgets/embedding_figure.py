"""The embedding map's figure and its colours: every cell a dot, coloured by a task's score or rank or
by the disorder between two tasks.

>>> from ktnas_core import benchmarks
>>> fig = map_figure()
>>> [t.name for t in fig.data]
['all cells', 'highlight', 'selected cell']
>>> marker, customdata, hover = color_marker(benchmarks.load("tnb101_micro"), "disorder", "class_object",
...                                          "room_layout")
>>> customdata.shape, marker["cmin"] == -marker["cmax"], "room_layout: rank" in hover
((4096, 3), True, True)
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import COLORS, FONT, FigureWidget

__all__ = ["COLOR_MODES", "SIZE", "color_marker", "map_figure"]

COLOR_MODES = (("score on task A", "score"), ("rank on task A", "rank"), ("disorder: rank A − rank B", "disorder"))
SIZE = (760, 640)  # the map's width and height, px


def color_marker(b, mode: str, a: str, other: str) -> tuple[dict, np.ndarray, str]:
    """``(marker, customdata, hovertemplate)`` of the cells of benchmark ``b`` coloured by ``mode`` (see
    :data:`COLOR_MODES`) on task ``a`` (``other``: task B of the disorder)."""
    metric, score, rank_a, rank_b = b.metric(a), b.scores(a), b.ranks(a), b.ranks(other)
    unit = f" ({metric.unit})" if metric.unit else ""
    hover = f"%{{text}}<br>{a}: {metric.name} %{{customdata[0]:.4g}}, rank %{{customdata[1]:,}}"
    if mode == "score":
        marker = dict(color=score, colorscale="Viridis", reversescale=not metric.higher_is_better, cmin=None,
                      cmax=None, colorbar_title_text=f"{a}<br>{metric.name}{unit}")
    elif mode == "rank":
        marker = dict(color=rank_a, colorscale="Viridis", reversescale=True, cmin=1, cmax=len(b),
                      colorbar_title_text=f"rank on<br>{a}<br>(1 = best)")
    else:
        diff = rank_a.astype(np.int64) - rank_b.astype(np.int64)
        lim = max(1, int(np.abs(diff).max()))
        marker = dict(color=diff, colorscale=COLORS["scale"], reversescale=False, cmin=-lim, cmax=lim,
                      colorbar_title_text=f"rank A − rank B<br>red: better on {a}<br>blue: better on {other}")
        hover += f"<br>{other}: rank %{{customdata[2]:,}}"
    return marker, np.column_stack([score, rank_a, rank_b]), hover + "<extra></extra>"


def map_figure() -> FigureWidget:
    """The empty map: trace 0 every cell, trace 1 the highlight, trace 2 the selected cell."""
    axis = dict(title=dict(text=""), zeroline=False, showticklabels=False, showgrid=True, gridcolor=COLORS["grid"])
    return FigureWidget(
        data=[
            go.Scattergl(mode="markers", name="all cells", showlegend=False,
                         marker=dict(size=4, opacity=0.75, colorbar=dict(thickness=14, len=0.75))),
            go.Scattergl(mode="markers", name="highlight", showlegend=False, hovertemplate="%{text}<extra></extra>",
                         marker=dict(size=8, color=COLORS["topk"], opacity=0.95, line=dict(width=0.8, color="white"))),
            go.Scattergl(mode="markers", name="selected cell", showlegend=False,
                         hovertemplate="%{text}<extra>selected</extra>",
                         marker=dict(size=16, symbol="star", color=COLORS["accent"],
                                     line=dict(width=1.2, color=COLORS["ink"]))),
        ],
        layout=go.Layout(
            width=SIZE[0], height=SIZE[1], template="plotly_white", font=FONT, dragmode="zoom", hovermode="closest",
            title=dict(font=dict(size=15), x=0.02, xanchor="left"), margin=dict(l=40, r=20, t=70, b=40),
            xaxis=axis, yaxis=dict(axis, scaleanchor="x", scaleratio=1),
            legend=dict(orientation="h", x=0, y=1.0, xanchor="left", yanchor="bottom"),
        ),
    )
