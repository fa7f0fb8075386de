"""The Kendall-tau heatmap of the disorder tab, drawn as SVG: one square per (source, target) pair of
tasks, its tau printed inside, the chosen pair outlined; a click on a square picks that pair.

>>> from ktnas_core import disorder
>>> import numpy as np
>>> m = disorder.disorder_matrix({"a": np.arange(5.0), "b": np.arange(5.0)[::-1], "c": np.r_[1.0, 0, 2, 3, 4]})
>>> svg = heatmap_svg(m, ("a", "c"), "valid")
>>> svg.count("data-pick="), 'data-pick="0,2"' in svg, "Kendall τ = 0.800" in svg
(9, True, True)
"""

from __future__ import annotations

import numpy as np
import plotly.colors

from ktnas_core import disorder

from .style import COLORS, FONT
from .svg_figure import attr, svg_document, text

__all__ = ["HEATMAP_SIZE", "heatmap_svg", "pair_of"]

HEATMAP_SIZE = (460, 580)  # width, height in px
MARGIN = dict(l=110, r=10, t=80, b=100)
COLORBAR_PX = 95  # the colour bar, its labels and the gap before it
GAP = 2  # px between squares


def pair_of(pick: str, tasks) -> tuple[str, str]:
    """The (source, target) a square's ``data-pick`` value (``"row,column"``) names.

    >>> pair_of("2,0", ["cifar10", "cifar100", "ImageNet16-120"])
    ('ImageNet16-120', 'cifar10')
    """
    i, j = (int(v) for v in pick.split(","))
    return tasks[i], tasks[j]


def heatmap_svg(m: disorder.DisorderMatrix, pair: tuple[str, str], split: str) -> str:
    """The heatmap of matrix ``m`` (rows: sources, columns: targets), pair ``pair`` outlined."""
    tasks, n = list(m.tasks), len(m.tasks)
    width, height = HEATMAP_SIZE
    room = min(width - MARGIN["l"] - MARGIN["r"] - COLORBAR_PX, height - MARGIN["t"] - MARGIN["b"])
    cell, x0, y0 = room / n, MARGIN["l"], MARGIN["t"] + (height - MARGIN["t"] - MARGIN["b"] - room) / 2
    labels = [[_tau_text(v, short=n > 4) for v in row] for row in m.values]
    size = _cell_font_size(n, max(len(s) for row in labels for s in row))
    colors = plotly.colors.sample_colorscale(COLORS["scale"], list(((np.asarray(m.values).ravel() + 1) / 2).clip(0, 1)))
    parts = [text(width * 0.02, 28, f"Kendall τ between tasks ({split} metric); click a cell", 15)]
    for i, source in enumerate(tasks):
        for j, target in enumerate(tasks):
            v, x, y = float(m.values[i][j]), x0 + j * cell, y0 + i * cell
            tip = f"source {source}\ntarget {target}\nKendall τ = {v:.3f}"
            parts.append(f'<g data-pick="{i},{j}" data-tip="{attr(tip)}">'
                         f'<rect x="{x + GAP / 2:.1f}" y="{y + GAP / 2:.1f}" width="{cell - GAP:.1f}" '
                         f'height="{cell - GAP:.1f}" fill="{colors[i * n + j]}"/>'
                         + text(x + cell / 2, y + cell / 2 + size * 0.36, labels[i][j], size, "middle",
                                color="#fff" if abs(v) > 0.5 else COLORS["ink"], extra='class="tau"') + "</g>")
    for i, source in enumerate(tasks):
        parts.append(text(x0 - 6, y0 + (i + 0.5) * cell + 4, source, 12, "end"))
    for j, target in enumerate(tasks):
        x, y = x0 + (j + 0.5) * cell, y0 + room + 14
        parts.append(text(x, y, target, 12, "end", extra=f'transform="rotate(-35 {x:.1f} {y:.1f})"'))
    parts.append(text(x0 - 6, y0 - 10, "source task ↓", 13, "end"))  # above the row names, which can be long
    parts.append(text(x0 + room / 2, height - 14, "target task →", 13, "middle"))
    if pair[0] in tasks and pair[1] in tasks:
        i, j = tasks.index(pair[0]), tasks.index(pair[1])
        parts.append(f'<rect class="picked" x="{x0 + j * cell:.1f}" y="{y0 + i * cell:.1f}" width="{cell:.1f}" '
                     f'height="{cell:.1f}" fill="none" stroke="{COLORS["topk"]}" stroke-width="4"/>')
    parts.append(_colorbar(x0 + room + 22, y0 + room * 0.1, room * 0.8))
    return svg_document(width, height, parts)


def _colorbar(x: float, y: float, h: float) -> str:
    stops = "".join(f'<stop offset="{1 - p:.3f}" stop-color="{c}"/>'
                    for p, c in reversed(plotly.colors.get_colorscale(COLORS["scale"])))
    out = [f'<defs><linearGradient id="tau-scale" x1="0" y1="0" x2="0" y2="1">{stops}</linearGradient></defs>',
           f'<rect x="{x}" y="{y:.1f}" width="12" height="{h:.1f}" fill="url(#tau-scale)" stroke="{COLORS["grid"]}"/>',
           text(x + 6, y - 8, "τ", 13, "middle")]
    for v in (-1, -0.5, 0, 0.5, 1):
        ty = y + h * (1 - (v + 1) / 2)
        out.append(f'<line x1="{x + 12}" x2="{x + 15}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{FONT["color"]}"/>')
        out.append(text(x + 18, ty + 4, f"{v:g}".replace("-", "−"), 11))
    return "".join(out)


def _tau_text(v: float, short: bool) -> str:
    """A tau for a heatmap cell; ``short`` drops the leading zero (as tables of correlations do).

    >>> _tau_text(0.853, False), _tau_text(0.853, True), _tau_text(-0.12, True), _tau_text(1.0, True)
    ('0.85', '.85', '−.12', '1.00')
    """
    shown = f"{v:.2f}"
    return shown.replace("0.", ".", 1).replace("-", "−") if short and abs(v) < 1 else shown


def _cell_font_size(n: int, chars: int) -> int:
    """Font size (px) at which ``chars`` characters fit across one of the ``n`` x ``n`` heatmap's cells.

    >>> _cell_font_size(3, 4), _cell_font_size(7, 4)
    (16, 11)
    """
    width = HEATMAP_SIZE[0] - MARGIN["l"] - MARGIN["r"] - COLORBAR_PX
    cell = width / n - GAP - 4  # less the gap between cells and a little air
    return int(max(8, min(16, cell / (0.62 * chars))))  # a digit of the app's font is about 0.6 em wide
