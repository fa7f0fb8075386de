"""Line charts the kernel draws as SVG: the search's regret curves, the runs table's overlay and the
Paper tab's curves, each a line per series with an optional band, in one or more panels.

A chart is redrawn whole at each change (a running search redraws it every few tenths of a
second), so a curve is written with as few vertices as it has: a best-so-far curve is a step line
whose corners are its improvements, and a long smooth curve keeps about one vertex per two
pixels.  Pointing at a vertex shows its values; the legend says which colour is which series.
No plotting library runs in the page (see :mod:`widgets.svg_figure`).

>>> chart = LineChart(width=500, height=300, reference=(0.0, "optimum"))
>>> line = Line("rea", x=(1, 2, 3, 4), y=(0.5, 0.2, 0.2, 0.0), color="#0072b2", step=True)
>>> chart.draw([Panel("cifar10", (line,), "evaluations")], "Regret of the best so far", "regret")
>>> chart.title, chart.svg.count('class="line"')
('Regret of the best so far', 1)
>>> chart.svg.count("data-tip=")  # three corners (0.2 twice is one), one legend entry
4
>>> [s.name for s in chart.series]
['rea']
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import numpy as np

from ktnas_core.svgplot import ticks

from .style import COLORS, rgba
from .svg_figure import SvgFigure, attr, svg_document, text

__all__ = ["Line", "LineChart", "Panel", "chart_svg", "format_number"]

#: at most this many vertices of a line carry a tooltip (evenly spread over the kept ones)
MAX_TIPS = 120
TITLE_H, PANEL_TITLE_H, X_AXIS_H, LEGEND_ROW_H = 34, 22, 44, 20
LEFT, RIGHT, PANEL_GAP = 66, 24, 44


@dataclasses.dataclass(frozen=True)
class Line:
    """One series: ``y`` against ``x``; ``low``/``high`` (same length) draw a band around it.

    ``step`` draws it as a staircase (each value holds until the next x), the shape of a
    best-so-far curve; ``legend`` gives it an entry in the legend (series of the same name share
    one); ``tip`` heads its tooltips (default: ``name``).
    """

    name: str
    x: Sequence[float]
    y: Sequence[float]
    color: str
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None
    step: bool = False
    width: float = 2.4
    opacity: float = 1.0
    legend: bool = True
    markers: bool = False
    tip: str = ""

    @functools.cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """``x``, ``y`` and the band's ``low`` and ``high`` (where given) as float arrays, None as NaN:
        converted once, however often a chart reads them."""
        return {name: np.asarray(seq, dtype=float) for name in ("x", "y", "low", "high")
                if (seq := getattr(self, name)) is not None}

    @functools.cached_property
    def finite(self) -> np.ndarray:
        """Indices of the points with a finite x and y."""
        x, y = self.arrays["x"], self.arrays["y"]
        n = min(len(x), len(y))
        return np.flatnonzero(np.isfinite(x[:n]) & np.isfinite(y[:n]))


@dataclasses.dataclass(frozen=True)
class Panel:
    """One panel of a chart: its title, lines, x-axis title and scale (``x_log``; a linear one from 0
    unless ``x_from_zero`` is False)."""

    title: str = ""
    lines: tuple[Line, ...] = ()
    x_title: str = ""
    x_log: bool = False
    x_unit: str = ""  # what an x value counts, in tooltips (default: nothing)
    x_from_zero: bool = True  # a linear x axis starts at 0 (False: at the first x)


def format_number(v: float, step: float | None = None) -> str:
    """A tick or tooltip number: thousands separated, as many decimals as ``step`` needs.

    >>> format_number(15625.0), format_number(0.30000000000000004, 0.1), format_number(0.75, 0.25)
    ('15,625', '0.3', '0.75')
    >>> format_number(2.5e-05)
    '2.5e-05'
    """
    if step is not None and step > 0:
        decimals = next((d for d in range(7) if abs(round(step, d) - step) <= step * 1e-6), None)
        return f"{v:,.{decimals}f}" if decimals is not None else f"{v:.2g}"
    if v == 0 or 1e-3 <= abs(v) < 1e15:
        return f"{v:,.0f}" if abs(v) >= 1000 or float(v).is_integer() else f"{v:.4g}"
    return f"{v:.2g}"


class _Axis:
    """A linear or log map from data values (a number or an array) to pixels."""

    def __init__(self, lo: float, hi: float, p0: float, p1: float, log: bool = False):
        self.log, self.p0, self.p1 = log, p0, p1
        self.lo, self.hi = (math.log10(lo), math.log10(hi)) if log else (lo, hi)

    def __call__(self, v):
        v = np.log10(np.maximum(v, 1e-300)) if self.log else v
        return self.p0 + (v - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)


def _x_range(panel: Panel) -> tuple[float, float, list[float]]:
    xs = np.concatenate([line.arrays["x"][line.finite] for line in panel.lines] or [np.zeros(0)])
    if panel.x_log:
        xs = xs[xs > 0] if (xs > 0).any() else np.array([1.0, 10.0])
        lo, hi = 10 ** math.floor(math.log10(xs.min())), max(xs.max(), xs.min() * 10) * 1.25
        return lo, hi, ticks(lo, hi, log=True)
    lo, hi = ((min(0.0, xs.min()) if panel.x_from_zero else xs.min()), xs.max()) if xs.size else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1.0
    return float(lo), float(hi), ticks(lo, hi)


def _y_range(panels: Sequence[Panel], y_range, from_zero: bool = True) -> tuple[float, float, list[float]]:
    if y_range is not None:
        return y_range[0], y_range[1], ticks(*y_range)
    ys = np.concatenate([np.zeros(0)] + [values for p in panels for line in p.lines
                                         for name, values in line.arrays.items() if name != "x"])
    ys = ys[np.isfinite(ys)]
    if from_zero or not ys.size:
        ys = np.append(ys, 0.0)
    lo, hi = float(ys.min()), float(ys.max())
    if hi <= lo:
        lo, hi = (lo, lo + 1.0) if from_zero else (lo - 0.5, hi + 0.5)
    pad = 0.04 * (hi - lo)  # room above the highest curve (and below the lowest, fitted to the data)
    lo, hi = (lo if from_zero else lo - pad), hi + pad
    return lo, hi, ticks(lo, hi)


def _vertices(line: Line, name: str, ax: _Axis, ay: _Axis) -> list[tuple[float, float, int]]:
    """The pixel vertices ``(x, y, index)`` of ``line``'s ``name`` values (``"y"``, ``"low"`` or
    ``"high"``) against its x worth drawing: a step line's corners (a value equal to the one before
    adds nothing), a smooth line's first point in each two-pixel column; the first and last points
    always."""
    x, y = line.arrays["x"], line.arrays[name]
    idx = line.finite
    idx = idx[idx < len(y)]
    idx = idx[np.isfinite(y[idx])]
    if not idx.size:
        return []
    px, py = ax(x[idx]), ay(y[idx])
    if line.step:
        keep = np.r_[True, y[idx][1:] != y[idx][:-1]]
    else:
        column = np.floor(px / 2)
        keep = np.r_[True, column[1:] != column[:-1]]
    keep[-1] = True
    return list(zip(px[keep].tolist(), py[keep].tolist(), idx[keep].tolist()))


def _path(vertices, step: bool, start: str = "M") -> str:
    if not vertices:
        return ""
    out = [f"{start}{vertices[0][0]:.1f} {vertices[0][1]:.1f}"]
    for px, py, _ in vertices[1:]:
        out.append(f"H{px:.1f}V{py:.1f}" if step else f"L{px:.1f} {py:.1f}")
    return "".join(out)


def _step(values: list[float]) -> float | None:
    return values[1] - values[0] if len(values) > 1 else None


def _grid(ax: _Axis, ay: _Axis, xticks: list[float], yticks: list[float], x_log: bool, y_labels: bool) -> list[str]:
    """A panel's grid lines, its tick numbers (the y ones only where ``y_labels``) and its frame."""
    grid, muted = COLORS["grid"], COLORS["muted"]
    x0, x1, top, bottom = ax.p0, ax.p1, ay.p1, ay.p0
    out = []
    for v in yticks:
        py = ay(v)
        out.append(f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{py:.1f}" y2="{py:.1f}" stroke="{grid}"/>')
        if y_labels:
            out.append(text(x0 - 6, py + 4, format_number(v, _step(yticks)), 11, "end", color=muted))
    for v in xticks:
        px = ax(v)
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top:.1f}" y2="{bottom:.1f}" stroke="{grid}"/>')
        out.append(text(px, bottom + 16, format_number(v, None if x_log else _step(xticks)), 11, "middle", color=muted))
    out.append(f'<rect x="{x0:.1f}" y="{top:.1f}" width="{x1 - x0:.1f}" height="{bottom - top:.1f}" fill="none" '
               f'stroke="{grid}"/>')
    return out


def _band(line: Line, ax: _Axis, ay: _Axis) -> str:
    """The band of ``line`` from ``low`` to ``high``: the upper edge forward, the lower one back."""
    upper, lower = _vertices(line, "high", ax, ay), _vertices(line, "low", ax, ay)
    if not upper or not lower:
        return ""
    rev, back = lower[::-1], []
    for j, (px, py, _) in enumerate(rev):
        back.append(f"L{px:.1f} {py:.1f}")
        if line.step and j + 1 < len(rev):  # a staircase: each value holds until the next x
            back.append(f"L{px:.1f} {rev[j + 1][1]:.1f}")
    return (f'<path class="band" d="{_path(upper, line.step)}{"".join(back)}Z" fill="{rgba(line.color, 0.16)}" '
            'stroke="none"/>')


def _tips(line: Line, vertices, x_unit: str, y_name: str, digits: int) -> list[str]:
    """Invisible targets at (at most :data:`MAX_TIPS` of) the drawn vertices, each with its values."""
    every, head, out = max(1, math.ceil(len(vertices) / MAX_TIPS)), line.tip or line.name, []
    band = line.low is not None and line.high is not None
    for px, py, i in vertices[::every]:
        body = (f"{head}\n{format_number(float(line.x[i]))}{' ' + x_unit if x_unit else ''}: "
                f"{y_name + ' ' if y_name else ''}{float(line.y[i]):.{digits}f}")
        if band and line.low[i] is not None:
            body += f" ({float(line.low[i]):.{digits}f} to {float(line.high[i]):.{digits}f})"
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" fill="#fff" fill-opacity="0" data-tip="{attr(body)}"/>')
    return out


def _legend_rows(entries: list[Line], width: float) -> list[list[tuple[float, Line]]]:
    rows, x = [[]], 0.0
    for line in entries:
        w = 34 + 6.6 * len(line.name)
        if x + w > width and rows[-1]:
            rows.append([])
            x = 0.0
        rows[-1].append((x, line))
        x += w + 14
    return rows if rows[0] else []


def chart_svg(title: str, panels: Sequence[Panel], y_title: str, *, width: int, height: int,
              share_y: bool = True, y_range: tuple[float, float] | None = None,
              reference: tuple[float, str] | None = None, hint: str = "", y_name: str = "",
              y_digits: int = 4, y_from_zero: bool = True, uid: str = "chart") -> str:
    """The SVG of a chart: ``panels`` side by side under ``title``, sharing one y axis (``share_y``)
    or each with its own; y from 0 (``y_from_zero=False``: fitted to the data) unless ``y_range``;
    a legend of the lines' names below, a dashed ``reference`` line ``(y, label)``, and ``hint`` in
    the middle of a chart with nothing drawn.  ``uid`` prefixes the SVG's ids (a page showing several
    charts needs them distinct)."""
    seen, entries = set(), []
    for p in panels:
        for line in p.lines:
            if line.legend and line.name not in seen:
                seen.add(line.name)
                entries.append(line)
    rows = _legend_rows(entries, width - LEFT - RIGHT)
    bottom = height - X_AXIS_H - LEGEND_ROW_H * len(rows) - (8 if rows else 0)
    top = TITLE_H + (PANEL_TITLE_H if any(p.title for p in panels) else 6)
    gap = PANEL_GAP if share_y else PANEL_GAP + 26
    pw = (width - LEFT - RIGHT - gap * (len(panels) - 1)) / max(len(panels), 1)
    parts = [text(12, 24, title, 15)]
    shared = _y_range(panels, y_range, y_from_zero) if share_y else None
    for k, panel in enumerate(panels):
        x0 = LEFT + k * (pw + gap)
        ylo, yhi, yticks = shared or _y_range([panel], y_range, y_from_zero)
        xlo, xhi, xticks = _x_range(panel)
        ax, ay = _Axis(xlo, xhi, x0, x0 + pw, panel.x_log), _Axis(ylo, yhi, bottom, top)
        parts.append(f'<g class="panel" data-title="{attr(panel.title)}">')
        if panel.title:
            parts.append(text(x0 + pw / 2, top - 8, panel.title, 13, "middle"))
        parts += _grid(ax, ay, xticks, yticks, panel.x_log, y_labels=k == 0 or not share_y)
        parts.append(text(x0 + pw / 2, bottom + 36, panel.x_title, 12, "middle"))
        ref_label = ""
        if reference is not None and ylo <= reference[0] <= yhi:
            py = ay(reference[0])
            parts.append(f'<line class="reference" x1="{x0:.1f}" x2="{x0 + pw:.1f}" y1="{py:.1f}" y2="{py:.1f}" '
                         f'stroke="{COLORS["ink"]}" stroke-width="1.2" stroke-dasharray="6 4"/>')
            if k == 0 and reference[1]:  # at the right end, haloed, over the curves: they end near it
                ref_label = (text(x0 + pw - 4, py - 5, reference[1], 11, "end", color=COLORS["ink"],
                                  extra='stroke="#fff" stroke-width="3" paint-order="stroke"'))
        parts.append(f'<clipPath id="{uid}-clip{k}"><rect x="{x0:.1f}" y="{top - 3:.1f}" width="{pw:.1f}" '
                     f'height="{bottom - top + 6:.1f}"/></clipPath><g clip-path="url(#{uid}-clip{k})">')
        tips = []
        for line in panel.lines:
            if line.low is not None and line.high is not None:
                parts.append(_band(line, ax, ay))
            vertices = _vertices(line, "y", ax, ay)
            if not vertices:
                continue
            parts.append(f'<path class="line" data-series="{attr(line.name)}" data-points="{len(line.x)}" '
                         f'd="{_path(vertices, line.step)}" fill="none" stroke="{line.color}" '
                         f'stroke-width="{line.width}" stroke-opacity="{line.opacity}" stroke-linejoin="round"/>')
            if line.markers:
                parts.append("".join(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.6" fill="{line.color}"/>'
                                     for px, py, _ in vertices))
            tips += _tips(line, vertices, panel.x_unit, y_name, y_digits)
        parts.append("</g>")
        parts.append(ref_label if k == 0 else "")
        parts.extend(tips)  # above every line, unclipped: the last vertex of a curve is pointable
        parts.append("</g>")
    mid = (top + bottom) / 2
    parts.append(text(14, mid, y_title, 12, "middle", extra=f'transform="rotate(-90 14 {mid:.1f})"'))
    if hint and not any(line.finite.size for p in panels for line in p.lines):
        parts.append(text(LEFT + (width - LEFT - RIGHT) / 2, mid, hint, 14, "middle", color=COLORS["muted"]))
    for r, row in enumerate(rows):
        y = height - LEGEND_ROW_H * (len(rows) - r) + 4
        for x, line in row:
            x += LEFT
            parts.append(f'<g class="legend" data-tip="{attr(line.name)}"><line x1="{x:.1f}" x2="{x + 24:.1f}" '
                         f'y1="{y - 4:.1f}" y2="{y - 4:.1f}" stroke="{line.color}" stroke-width="{max(line.width, 2)}" '
                         f'stroke-opacity="{line.opacity}"/>' + text(x + 30, y, line.name, 12) + "</g>")
    return svg_document(width, height, parts)


class LineChart(SvgFigure):
    """A :class:`~widgets.svg_figure.SvgFigure` drawn by :func:`chart_svg`; its layout is fixed at
    construction, its content given to :meth:`draw`.

    Parameters
    ----------
    width, height : int
        Size in pixels.
    share_y : bool
        One y axis for every panel (its numbers left of the first) or one per panel.
    reference : (float, str) or None
        A dashed horizontal line at that y with that label (e.g. regret 0, "optimum").
    png_name : str
        Name of the PNG the figure's button saves (empty: no button).

    Attributes
    ----------
    panels : tuple of Panel
        What was drawn last.
    """

    def __init__(self, width: int = 1100, height: int = 430, share_y: bool = True,
                 reference: tuple[float, str] | None = None, png_name: str = "", **kwargs):
        super().__init__(png_name=png_name, **kwargs)
        self._layout = dict(width=width, height=height, share_y=share_y, reference=reference)
        self.panels: tuple[Panel, ...] = ()

    @property
    def series(self) -> list[Line]:
        """Every line drawn, panel after panel."""
        return [line for p in self.panels for line in p.lines]

    def draw(self, panels: Sequence[Panel], title: str, y_title: str, **options) -> None:
        """Draw ``panels`` under ``title`` (plain text); ``options`` go to :func:`chart_svg`
        (``y_range``, ``y_from_zero``, ``hint``, ``y_name``, ``y_digits``)."""
        self.panels = tuple(panels)
        svg = chart_svg(title, self.panels, y_title, **self._layout, **options, uid=f"k{self.model_id}")
        with self.hold_sync():
            self.title, self.svg = title, svg
