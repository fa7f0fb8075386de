"""Small self-contained SVG line charts for reports and docs (no plotting library needed).

These static charts are what ``ktnas reproduce --out`` and the benchmark scripts write next to
their tables, so results render on any code host and in plain browsers; the app's interactive
charts (``widgets.line_chart``) take their axis ticks from :func:`ticks`.

Examples
--------
>>> panel = Panel("cifar10", [Series("ktnas", [1, 2, 3], [0.1, 0.5, 1.0])])
>>> svg = line_chart([panel], title="found", xlabel="evaluations", ylabel="share")
>>> svg.startswith("<svg") and "ktnas" in svg
True
"""

from __future__ import annotations

import dataclasses
import html
import math
from pathlib import Path
from typing import Sequence

from .errors import ParameterError

__all__ = ["Series", "Panel", "line_chart", "ticks", "write_svg", "PALETTE"]

#: colour per series, in order (colour-blind-safe Tableau 10)
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac")


@dataclasses.dataclass
class Series:
    """One line: its label, x and y values, an optional band (``low``, ``high``) and dash pattern."""

    label: str
    x: Sequence[float]
    y: Sequence[float]
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None
    dash: str = ""


@dataclasses.dataclass
class Panel:
    """One plot area: a title and its series."""

    title: str
    series: list


def ticks(lo: float, hi: float, log: bool = False) -> list[float]:
    """3 to 7 round tick values in ``[lo, hi]``: on a log axis powers of ten (times 3, or 2
    and 5, when a range holds fewer than three), else evenly spaced round values (the app's
    charts, :mod:`widgets.line_chart`, use them too).

    >>> ticks(0, 1)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> ticks(1, 15625, log=True)
    [1.0, 10.0, 100.0, 1000.0, 10000.0]
    """
    if log:
        decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
        for mults in ((1,), (1, 3), (1, 2, 5)):
            out = [m * 10.0 ** k for k in decades for m in mults if lo <= m * 10.0 ** k <= hi * 1.0001]
            if len(out) >= 3:
                return out[::math.ceil(len(out) / 7)]
    step = 10 ** math.floor(math.log10((hi - lo) or 1.0)) / 10
    for mult in (1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        if (hi - lo) / (step * mult) <= 6:
            step *= mult
            break
    start = math.ceil(lo / step - 1e-9) * step
    return [round(start + k * step, 12) for k in range(int((hi - start) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    """A short tick label: ``0.25``, ``1500``, ``2.5e4``, ``1.5e-5``."""
    if v and (abs(v) >= 1e4 or abs(v) < 1e-3):
        mantissa, exponent = f"{v:.3e}".split("e")
        return f"{float(mantissa):g}e{int(exponent)}"
    return f"{v:g}"


def line_chart(panels: Sequence[Panel], *, title: str, xlabel: str, ylabel: str, log_x: bool = False,
               log_y: bool = False, y_range: tuple[float, float] | None = None, share_y: bool = True,
               colours: dict | None = None, width: int = 280, height: int = 200) -> str:
    """An SVG document: ``panels`` side by side, a shared legend below them.

    ``share_y=False`` gives every panel its own y range (and tick labels);
    ``colours`` maps labels to colours (others take the palette in order), so
    several charts can keep one colour per label.
    """
    if log_y and y_range and y_range[0] <= 0:
        raise ParameterError(f"y_range={y_range!r} cannot start at or below 0 on a log axis")

    def ok(x: float, y: float) -> bool:
        return math.isfinite(x) and math.isfinite(y) and (x > 0 or not log_x) and (y > 0 or not log_y)

    def valid(p_list: Sequence[Panel]) -> list[tuple[float, float]]:
        pts = [(x, y) for p in p_list for s in p.series for x, y in zip(s.x, s.y) if ok(x, y)]
        return pts or [(1.0, 1.0)]

    def span(lo: float, hi: float) -> tuple[float, float]:
        return (lo, hi) if hi > lo else (lo, lo + 1)

    xs = [x for x, _ in valid(panels)]
    x_lo, x_hi = span(min(xs), max(xs))
    ranges = []
    for p in panels:
        ys = [y for _, y in valid(panels if share_y else [p])]
        ranges.append(span(*y_range) if y_range else span(min(ys), max(ys)))
    tx = (lambda v: math.log10(v)) if log_x else float
    ty = (lambda v: math.log10(v)) if log_y else float
    ml, mt, mb = 56, 46, 44
    gap = 22 if share_y else 44
    current = 0
    labels = list(dict.fromkeys(s.label for p in panels for s in p.series))
    colour = {lab: PALETTE[i % len(PALETTE)] for i, lab in enumerate(labels)}
    colour.update({lab: c for lab, c in (colours or {}).items() if lab in colour})
    per_row = max(1, (len(panels) * (width + gap)) // 150)
    legend_rows = math.ceil(len(labels) / per_row)
    W, H = ml + len(panels) * (width + gap), mt + height + mb + 18 * legend_rows

    def sx(i: int, v: float) -> float:
        return ml + i * (width + gap) + (tx(v) - tx(x_lo)) / (tx(x_hi) - tx(x_lo)) * width

    def sy(v: float) -> float:
        y_lo, y_hi = ranges[current]
        v = min(max(v, y_lo), y_hi)
        return mt + height - (ty(v) - ty(y_lo)) / (ty(y_hi) - ty(y_lo)) * height

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           'font-family="sans-serif" font-size="11">', f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{ml}" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>']
    for i, panel in enumerate(panels):
        current, x0 = i, ml + i * (width + gap)
        out.append(f'<text x="{x0 + width / 2}" y="{mt - 8}" text-anchor="middle">{html.escape(panel.title)}</text>')
        for v in ticks(*ranges[i], log_y):
            out.append(f'<line x1="{x0}" x2="{x0 + width}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#e5e5e5"/>')
            if i == 0 or not share_y:
                out.append(f'<text x="{x0 - 5}" y="{sy(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
        for v in ticks(x_lo, x_hi, log_x):
            out.append(f'<text x="{sx(i, v):.1f}" y="{mt + height + 14}" text-anchor="middle">{_fmt(v)}</text>')
        out.append(f'<rect x="{x0}" y="{mt}" width="{width}" height="{height}" fill="none" stroke="#999"/>')
        for s in panel.series:
            keep = [k for k, (x, y) in enumerate(zip(s.x, s.y)) if ok(x, y)]
            if not keep:
                continue
            c = colour[s.label]
            band_ok = s.low is not None and s.high is not None and all(
                ok(s.x[k], s.low[k]) and ok(s.x[k], s.high[k]) for k in keep)
            if band_ok:
                band = [(sx(i, s.x[k]), sy(s.high[k])) for k in keep] + [(sx(i, s.x[k]), sy(s.low[k]))
                                                                          for k in keep[::-1]]
                out.append('<polygon points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in band)
                           + f'" fill="{c}" fill-opacity="0.12" stroke="none"/>')
            line = " ".join(f"{sx(i, s.x[k]):.1f},{sy(s.y[k]):.1f}" for k in keep)
            out.append(f'<polyline points="{line}" fill="none" stroke="{c}" stroke-width="1.8" '
                       f'stroke-dasharray="{s.dash}"/>')
    out.append(f'<text transform="translate(13,{mt + height / 2}) rotate(-90)" text-anchor="middle">'
               f'{html.escape(ylabel)}</text>')
    out.append(f'<text x="{ml + len(panels) * (width + gap) / 2}" y="{mt + height + 32}" text-anchor="middle">'
               f'{html.escape(xlabel)}</text>')
    dashes = {s.label: s.dash for p in panels for s in p.series}
    for j, lab in enumerate(labels):
        x, y = ml + (j % per_row) * 150, mt + height + mb + 18 * (j // per_row)
        out.append(f'<line x1="{x}" x2="{x + 22}" y1="{y}" y2="{y}" stroke="{colour[lab]}" stroke-width="2.2" '
                   f'stroke-dasharray="{dashes[lab]}"/>')
        out.append(f'<text x="{x + 27}" y="{y + 4}">{html.escape(lab)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svg(path: str | Path, svg: str) -> Path:
    """Write ``svg`` to ``path`` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg, encoding="utf-8")
    return path
