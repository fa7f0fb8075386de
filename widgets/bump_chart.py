"""A bump chart: where the source task's best cells land on the target task, drawn as SVG.

Each line joins one of the source's best cells from its rank on the source (left) to its rank
on the target (right), on a log axis with rank 1 at the top; lines that stay inside the
target's top-k are drawn in the highlight colour, those that fall out in grey.  Pointing at a
line names its cell and both ranks.  Used by :class:`widgets.DisorderView`.

>>> import numpy as np
>>> lines = bump_lines(np.array([1, 2, 3]), np.array([2, 40, 1]), np.array([0, 1, 2]), 2)
>>> [(line.index, line.source_rank, line.target_rank, line.stays) for line in lines]
[(0, 1, 2, True), (1, 2, 40, False), (2, 3, 1, True)]
>>> svg = bump_svg(lines, ["a", "b", "c"], 2, "cifar10", "ImageNet16-120")
>>> "stay in the top 2 (2)" in svg, "fall out (1)" in svg, svg.count('class="bump stay"')
(True, True, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .style import COLORS
from .svg_figure import attr, svg_document, text

__all__ = ["BUMP_MAX", "BumpLine", "bump_lines", "bump_svg", "bump_title"]

#: at most this many of the source's best cells are drawn (more would be a blur)
BUMP_MAX = 30
SIZE = (300, 580)
MARGIN = dict(l=70, r=55, t=80, b=80)
FALL = "#9aa3b2"


class BumpLine(NamedTuple):
    """One of the source's best cells: its index, its ranks on both tasks, and whether it stays
    in the target's top-k."""

    index: int
    source_rank: int
    target_rank: int
    stays: bool


def bump_lines(source_ranks: np.ndarray, target_ranks: np.ndarray, top: np.ndarray, k: int) -> list[BumpLine]:
    """The lines for the source's best cells ``top`` (indices, best first; at most :data:`BUMP_MAX`)
    given both tasks' ranks and the top-k size ``k``."""
    return [BumpLine(int(i), int(source_ranks[i]), int(target_ranks[i]), bool(target_ranks[i] <= k))
            for i in np.asarray(top)[:BUMP_MAX]]


def bump_title(source: str, n: int) -> str:
    """The chart's title as plain text (two lines in the figure: one would not fit 300 px)."""
    return f"Where {source}'s best {n} cells land"


def bump_svg(lines: Sequence[BumpLine], cells: Sequence[str], k: int, source: str, target: str) -> str:
    """The chart of ``lines`` (:func:`bump_lines`); ``cells`` names every cell by index."""
    width, height = SIZE
    top, bottom = MARGIN["t"], height - MARGIN["b"]
    left = MARGIN["l"] + (width - MARGIN["l"] - MARGIN["r"]) / 7
    right = MARGIN["l"] + (width - MARGIN["l"] - MARGIN["r"]) * 6 / 7
    worst = max([1, *(max(line.source_rank, line.target_rank) for line in lines)])
    hi = math.log10(worst * 1.3)

    def y(rank: int) -> float:
        return top + math.log10(max(rank, 1) / 0.8) / (hi + math.log10(1 / 0.8)) * (bottom - top)

    parts = [text(width * 0.02, 26, f"Where {source}'s", 15), text(width * 0.02, 45, f"best {len(lines)} cells land", 15)]
    for tick in _log_ticks(worst * 1.3):
        parts.append(f'<line x1="{MARGIN["l"]}" x2="{width - MARGIN["r"]}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{COLORS["grid"]}"/>')
        parts.append(text(MARGIN["l"] - 6, y(tick) + 4, f"{tick:,}", 12, "end"))
    mid = (top + bottom) / 2
    parts.append(text(18, mid, "rank (1 = best, log scale)", 13, "middle", extra=f'transform="rotate(-90 18 {mid:.1f})"'))
    for x, name in ((left, source), (right, target)):
        parts.append(text(x, bottom + 18, name, 12, "middle", "600"))
    for stays in (False, True):  # the lines that stay on top
        color, wide, r = (COLORS["topk"], 2, 3.5) if stays else (FALL, 1.2, 3)
        for line in (line for line in lines if line.stays == stays):
            tip = f"{cells[line.index]}\nrank {line.source_rank:,} on {source} → {line.target_rank:,} on {target}"
            y0, y1 = y(line.source_rank), y(line.target_rank)
            parts.append(f'<g class="bump {"stay" if stays else "fall"}" data-tip="{attr(tip)}">'
                         f'<line x1="{left:.1f}" y1="{y0:.1f}" x2="{right:.1f}" y2="{y1:.1f}" stroke="{color}" '
                         f'stroke-width="{wide}"/><line x1="{left:.1f}" y1="{y0:.1f}" x2="{right:.1f}" y2="{y1:.1f}" '
                         f'stroke="transparent" stroke-width="8"/>'
                         f'<circle cx="{left:.1f}" cy="{y0:.1f}" r="{r}" fill="{color}"/>'
                         f'<circle cx="{right:.1f}" cy="{y1:.1f}" r="{r}" fill="{color}"/></g>')
    n_stay = sum(line.stays for line in lines)
    for row, (color, label) in enumerate(((COLORS["topk"], f"stay in the top {k:,} ({n_stay})"),
                                          (FALL, f"fall out ({len(lines) - n_stay})"))):
        ly = bottom + 42 + row * 18
        parts.append(f'<line x1="{MARGIN["l"]}" x2="{MARGIN["l"] + 22}" y1="{ly}" y2="{ly}" stroke="{color}" '
                     f'stroke-width="2"/><circle cx="{MARGIN["l"] + 11}" cy="{ly}" r="3" fill="{color}"/>')
        parts.append(text(MARGIN["l"] + 28, ly + 4, label, 12))
    return svg_document(width, height, parts)


def _log_ticks(hi: float) -> list[int]:
    """Ranks 1, 2, 5, 10, 20, 50, … up to ``hi`` (only 1, 10, 100, … past four decades).

    >>> _log_ticks(130), _log_ticks(200_000)[:3]
    ([1, 2, 5, 10, 20, 50, 100], [1, 10, 100])
    """
    steps = (1, 2, 5) if hi < 10_000 else (1,)
    return [m * 10**p for p in range(int(math.log10(hi)) + 1) for m in steps if m * 10**p <= hi]
