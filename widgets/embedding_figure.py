"""The embedding map's figure and its colours: every cell a dot, coloured by a task's score or rank or
by the disorder between two tasks.

>>> from ktnas_core import benchmarks
>>> fig = map_figure()
>>> fig.equal_aspect, fig.xaxis["ticklabels"], (fig.width, fig.height)
(True, False, (760, 640))
>>> colors, hover = color_spec(benchmarks.load("tnb101_micro"), "disorder", "class_object", "room_layout")
>>> colors["values"].shape, colors["cmin"] == -colors["cmax"], "rank on room_layout" in hover
((4096,), True, True)
"""

from __future__ import annotations

import numpy as np

from .point_cloud import PointCloud
from .style import COLORS

__all__ = ["COLOR_MODES", "SIZE", "color_spec", "map_figure"]

COLOR_MODES = (("score on task A", "score"), ("rank on task A", "rank"), ("disorder: rank A − rank B", "disorder"))
SIZE = (760, 640)  # the map's width and height, px


def color_spec(b, mode: str, a: str, other: str) -> tuple[dict, str]:
    """``(colours, hover)`` of the cells of benchmark ``b`` coloured by ``mode`` (see
    :data:`COLOR_MODES`) on task ``a`` (``other``: task B of the disorder): the keyword arguments of
    :meth:`PointCloud.set_colors` and the tooltip template.

    A dot's tooltip gives its cell's index (points are in index order) and the value its colour
    shows; the colours go to the page as 4-byte numbers, the cells' strings not at all (the map's
    own line names the cell under the pointer: :meth:`EmbeddingMap.show_cell`)."""
    metric = b.metric(a)
    unit = f" ({metric.unit})" if metric.unit else ""
    if mode == "score":
        colors = dict(values=np.asarray(b.scores(a), dtype=np.float32), colorscale="Viridis",
                      reverse=not metric.higher_is_better, title=f"{a}\n{metric.name}{unit}")
        shown = f"{a}: {metric.name} {{c}}"
    elif mode == "rank":
        colors = dict(values=b.ranks(a).astype(np.float32), colorscale="Viridis", reverse=True, cmin=1, cmax=len(b),
                      title=f"rank on\n{a}\n(1 = best)")
        shown = f"rank on {a} {{c}}"
    else:
        diff = b.ranks(a).astype(np.int32) - b.ranks(other).astype(np.int32)
        lim = max(1, int(np.abs(diff).max()))
        colors = dict(values=diff.astype(np.float32), colorscale=COLORS["scale"], cmin=-lim, cmax=lim,
                      title=f"rank A − rank B\nred: better on {a}\nblue: better on {other}")
        shown = f"rank on {a} − rank on {other}: {{c}}"
    return colors, f"cell {{index}}\n{shown}"


def map_figure() -> PointCloud:
    """The empty map; :meth:`EmbeddingMap.highlight` and the selected cell are layers on top."""
    return PointCloud(width=SIZE[0], height=SIZE[1], equal_aspect=True, point_size=4, point_opacity=0.75,
                      margin=dict(l=40, r=20, t=70, b=40),
                      xaxis=dict(title="", type="linear", range=None, ticklabels=False),
                      yaxis=dict(title="", type="linear", range=None, ticklabels=False))
