"""The embedding map's figure and its colours: every cell a dot, coloured by a task's score or rank or
by the disorder between two tasks.

>>> from ktnas_core import benchmarks
>>> fig = map_figure()
>>> [t.name for t in fig.data]
['all cells', 'highlight', 'selected cell']
>>> marker, hover = color_marker(benchmarks.load("tnb101_micro"), "disorder", "class_object", "room_layout")
>>> marker["color"].shape, marker["cmin"] == -marker["cmax"], "rank on room_layout" in hover
((4096,), True, True)
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import COLORS, FONT, FigureWidget

__all__ = ["COLOR_MODES", "SIZE", "color_marker", "map_figure"]

COLOR_MODES = (("score on task A", "score"), ("rank on task A", "rank"), ("disorder: rank A − rank B", "disorder"))
SIZE = (760, 640)  # the map's width and height, px


def color_marker(b, mode: str, a: str, other: str) -> tuple[dict, str]:
    """``(marker, hovertemplate)`` of the cells of benchmark ``b`` coloured by ``mode`` (see
    :data:`COLOR_MODES`) on task ``a`` (``other``: task B of the disorder).

    A dot's hover label gives its cell's index (points are in index order) and the value its colour
    shows; the colours go to the page as 4-byte numbers, the cells' strings not at all (the map's
    own line names the cell under the pointer: :meth:`EmbeddingMap.show_cell`)."""
    metric = b.metric(a)
    unit = f" ({metric.unit})" if metric.unit else ""
    if mode == "score":
        marker = dict(color=np.asarray(b.scores(a), dtype=np.float32), colorscale="Viridis",
                      reversescale=not metric.higher_is_better, cmin=None, cmax=None,
                      colorbar_title_text=f"{a}<br>{metric.name}{unit}")
        shown = f"{a}: {metric.name} %{{marker.color:.4g}}"
    elif mode == "rank":
        marker = dict(color=b.ranks(a).astype(np.int32), colorscale="Viridis", reversescale=True, cmin=1, cmax=len(b),
                      colorbar_title_text=f"rank on<br>{a}<br>(1 = best)")
        shown = f"rank on {a} %{{marker.color:,}}"
    else:
        diff = b.ranks(a).astype(np.int32) - b.ranks(other).astype(np.int32)
        lim = max(1, int(np.abs(diff).max()))
        marker = dict(color=diff, colorscale=COLORS["scale"], reversescale=False, cmin=-lim, cmax=lim,
                      colorbar_title_text=f"rank A − rank B<br>red: better on {a}<br>blue: better on {other}")
        shown = f"rank on {a} − rank on {other}: %{{marker.color:,}}"
    return marker, f"cell %{{pointNumber:,}}<br>{shown}<extra></extra>"


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
