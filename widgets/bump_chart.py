"""A bump chart: where the source task's best cells land on the target task.

Each line joins one of the source's best cells from its rank on the source (left) to its rank
on the target (right), on a log axis with rank 1 at the top; lines that stay inside the
target's top-k are drawn in the highlight colour, those that fall out in grey.  Used by
:class:`widgets.DisorderView`.

>>> import numpy as np
>>> fig = bump_figure()
>>> draw_bump(fig, np.array([1, 2, 3]), np.array([2, 40, 1]), np.array([0, 1, 2]), ["a", "b", "c"], 2,
...           "cifar10", "ImageNet16-120")
>>> fig.data[0].name, fig.data[1].name
('stay in the top 2 (2)', 'fall out (1)')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .style import COLORS, FigureWidget, FONT

__all__ = ["bump_figure", "draw_bump", "BUMP_MAX"]

#: at most this many of the source's best cells are drawn (more would be a blur)
BUMP_MAX = 30
SIZE = (300, 580)


def bump_figure() -> FigureWidget:
    """The empty figure: trace 0 cells that stay in the top-k, trace 1 those that fall out."""
    hover = "%{text}<extra></extra>"
    traces = [go.Scatter(mode="lines+markers", hovertemplate=hover, line=dict(width=2, color=COLORS["topk"]),
                         marker=dict(size=7, color=COLORS["topk"])),
              go.Scatter(mode="lines+markers", hovertemplate=hover, line=dict(width=1.2, color="#9aa3b2"),
                         marker=dict(size=6, color="#9aa3b2"))]
    return FigureWidget(data=traces, layout=go.Layout(
        width=SIZE[0], height=SIZE[1], template="plotly_white", font=FONT,
        title=dict(font=dict(size=15), x=0.02, xanchor="left"), margin=dict(l=70, r=55, t=80, b=80),
        xaxis=dict(tickvals=[0, 1], ticktext=["", ""], range=[-0.2, 1.2], showgrid=False, zeroline=False),
        yaxis=dict(type="log", autorange="reversed", title=dict(text="rank (1 = best, log scale)"),
                   tickformat=","),
        legend=dict(orientation="h", x=0, y=-0.1, xanchor="left", yanchor="top")))


def _segments(xs_ranks: np.ndarray, ys_ranks: np.ndarray, cells: Sequence[str], source: str, target: str):
    x, y, text = [], [], []
    for a, b, c in zip(xs_ranks, ys_ranks, cells):
        label = f"{c}<br>rank {int(a):,} on {source} &rarr; {int(b):,} on {target}"
        x += [0, 1, None]
        y += [int(a), int(b), None]
        text += [label, label, None]
    return x, y, text


def draw_bump(fig: go.FigureWidget, source_ranks: np.ndarray, target_ranks: np.ndarray, top: np.ndarray,
              cells: Sequence[str], k: int, source: str, target: str) -> None:
    """Redraw ``fig`` for the source's best cells ``top`` (indices, best first; at most
    :data:`BUMP_MAX` are drawn) given both tasks' ranks and the top-k size ``k``."""
    top = np.asarray(top)[:BUMP_MAX]
    stay = target_ranks[top] <= k
    with fig.batch_update():
        for trace, mask, what in ((fig.data[0], stay, f"stay in the top {k:,}"), (fig.data[1], ~stay, "fall out")):
            x, y, text = _segments(source_ranks[top[mask]], target_ranks[top[mask]],
                                   [cells[i] for i in top[mask]], source, target)
            trace.update(x=x, y=y, text=text, name=f"{what} ({int(mask.sum())})")
        fig.layout.xaxis.ticktext = [f"<b>{source}</b>", f"<b>{target}</b>"]
        fig.layout.title.text = f"Where {source}'s best {len(top)} cells land"
