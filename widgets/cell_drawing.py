"""The picture of a cell: the 4-node DAG of the NAS-Bench-201 paper, as SVG.

Feature maps 0 (input) to 3 (output) left to right, each of the six edges an arrow coloured
(``OP_COLORS``) and labelled with its operation, ``none`` edges faint and dashed.  We prefer it to the
operation-as-node graph of :func:`ktnas_core.graphs.to_graph` because its six arrows are the six
positions of the cell string, so a one-edge change is one arrow changing colour (what compare mode
highlights), and it is the picture the papers print.  Edges i -> i+1 are straight, 0->2 and 0->3 arch
above and 1->3 below, so no two edges cross (:data:`GEOMETRY`).

:func:`cell_svg` draws one panel per cell side by side at one scale, a legend of the operations below;
the app shows the same document (:class:`widgets.svg_figure.SvgFigure`) that "Download SVG" saves.
Each panel is a ``<g class='panel'>``, each edge a ``<g class='edge' data-edge=k data-op=op>``
whose tooltip names it, the nodes a ``<g class='nodes'>`` whose tooltip is the panel's ``tip``.

>>> from ktnas_core.spaces import get_space
>>> arch = get_space("nb201").from_index(6111)
>>> svg = cell_svg("a cell", [("A", arch, (2,))], get_space("nb201").ops, tips=["#6,111"])
>>> svg.count("class='halo'"), svg.count("class='edge'"), "data-tip='#6,111'" in svg
(1, 6, True)
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from ktnas_core.spaces.cell import EDGES

from .style import COLORS, FONT, OP_COLORS
from .svg_figure import attr

__all__ = ["GEOMETRY", "cell_svg"]

BOW = {(0, 2): 0.62, (0, 3): 1.1, (1, 3): -0.62}  # apex height of the arched edges
NODE_X, XR, YR = (0.0, 1.5, 3.0, 4.5), (-0.4, 4.9), (-0.85, 1.55)  # nodes 0..3 at (NODE_X[n], 0); axis ranges
NODE_R, SVG_SCALE = 0.15, 110  # node radius (data units), SVG px per data unit
HALO = dict(color=COLORS["topk"], width=16)


def _geometry(e: int) -> dict[str, Any]:
    """Edge ``e`` as a quadratic Bezier from node i to node j: samples, control, label, arrow tip and tail."""
    (i, j), t = (NODE_X[n] for n in EDGES[e]), np.linspace(0, 1, 401)
    ctl = ((i + j) / 2, 2 * BOW.get(EDGES[e], 0.0))
    x, y = (1 - t) ** 2 * i + 2 * (1 - t) * t * ctl[0] + t ** 2 * j, 2 * (1 - t) * t * ctl[1]
    tip, tail = (np.argmin(abs(np.hypot(x - j, y) - NODE_R - gap)) for gap in (0.03, 0.25))
    return dict(x=x[::16].tolist() + [j], y=y[::16].tolist() + [0.0], control=ctl, label=(x[200], y[200]),
                tip=(x[tip], y[tip]), tail=(x[tail], y[tail]))


GEOMETRY = tuple(_geometry(e) for e in range(len(EDGES)))


def _line(op: str) -> dict:
    """SVG stroke attributes of an edge carrying ``op``."""
    none = op == "none"
    return dict(stroke=OP_COLORS[op], stroke_width=1.8 if none else 3.4, **({"stroke_dasharray": "6 4"} if none else {}))


def _el(tag: str, body: str = "", **attrs) -> str:
    """One SVG element; attribute names take ``-`` for ``_``, floats are rounded, text is escaped."""
    a = " ".join(f"{k.rstrip('_').replace('_', '-')}='{f'{v:.1f}' if isinstance(v, float) else html.escape(str(v))}'"
                 for k, v in attrs.items())
    return f"<{tag} {a}>{html.escape(body)}</{tag}>" if body else f"<{tag} {a}/>"


def cell_svg(title: str, panels: list, ops: tuple[str, ...], tips: list[str] | None = None) -> str:
    """A standalone SVG of ``panels`` ((name, arch, differing edges) each), from :data:`GEOMETRY`, at one
    scale; ``tips``: per panel, the tooltip of its nodes (what the app shows on pointing at them)."""
    s, ink, top, gap = SVG_SCALE, COLORS["ink"], 44, 24
    pw, ph = (XR[1] - XR[0]) * s, (YR[1] - YR[0]) * s
    width, height = len(panels) * pw + (len(panels) - 1) * gap + 32, top + ph + 44
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' "
           f"viewBox='0 0 {width:.0f} {height:.0f}' fill='{ink}' font-family=\"{html.escape(FONT['family'])}\">",
           _el("rect", width="100%", height="100%", fill="white"), _el("text", title, x=16, y=26, font_size=15)]
    for p, (name, arch, diff) in enumerate(panels):
        pt = lambda x, y, ox=16 + p * (pw + gap): (ox + (x - XR[0]) * s, top + (YR[1] - y) * s)  # noqa: E731
        hx, hy = pt(NODE_X[3] / 2, YR[1])
        out.append(f"<g class='panel' data-panel='{html.escape(name)}'>")
        out += [_el("text", text, x=hx, y=hy + 12 + 14 * k, font_size=11, text_anchor="middle",
                    font_weight="600" if k == 0 else "normal", class_="heading")
                for k, text in enumerate((name, str(arch)))]
        for k, op in enumerate(arch.op_names):
            g, ln = GEOMETRY[k], _line(op)
            (x0, y0), (cx, cy), (x1, y1) = pt(NODE_X[EDGES[k][0]], 0), pt(*g["control"]), pt(NODE_X[EDGES[k][1]], 0)
            d = f"M{x0:.1f},{y0:.1f} Q{cx:.1f},{cy:.1f} {x1:.1f},{y1:.1f}"
            out += [_el("path", d=d, fill="none", stroke=HALO["color"], stroke_width=HALO["width"], stroke_opacity=0.3,
                        stroke_linecap="round", class_="halo")] * (k in diff)
            tip, tail = complex(*pt(*g["tip"])), complex(*pt(*g["tail"]))
            u = (tip - tail) / abs(tip - tail)  # unit vector along the arrow; 1j * u is across it
            (lx, ly), lw = pt(*g["label"]), 6.4 * len(op) + 8
            faint = dict(opacity=0.75) if op == "none" else {}
            out += [f"<g class='edge' data-edge='{k}' data-op='{html.escape(op)}' "
                    f"data-tip='{attr('edge {}→{}: {}'.format(*EDGES[k], op))}'>",
                    _el("path", d=d, fill="none", stroke="transparent", stroke_width=12),  # easier to point at
                    _el("path", d=d, fill="none", **ln, **faint),
                    _el("polygon", fill=ln["stroke"], **faint, points=" ".join(
                        f"{z.real:.1f},{z.imag:.1f}" for z in (tip, tip - 11 * u + 5j * u, tip - 11 * u - 5j * u))),
                    _el("rect", x=lx - lw / 2, y=ly - 9, width=lw, height=18, rx=2, fill="white", stroke=ln["stroke"],
                        stroke_width=3 if k in diff else 1.5),
                    _el("text", op, x=lx, y=ly + 4, font_size=11, text_anchor="middle"), "</g>"]
        node_tip = f" data-tip='{attr(tips[p])}'" if tips else ""
        out.append(f"<g class='nodes'{node_tip}>")
        for n, caption in enumerate(("input", "", "", "output")):
            (nx, ny), (_, cy) = pt(NODE_X[n], 0), pt(NODE_X[n], -0.2)
            out += [_el("circle", cx=nx, cy=ny, r=NODE_R * s, fill=ink),
                    _el("text", str(n), x=nx, y=ny + 5, font_size=14, text_anchor="middle", fill="white"),
                    _el("text", caption, x=nx, y=cy + 12, font_size=11, text_anchor="middle", fill=COLORS["muted"])]
        out += ["</g>", "</g>"]
    x, y = 16.0, height - 18
    out.append("<g class='legend'>")
    for op in ops:
        out += [_el("line", x1=x, y1=y, x2=x + 28, y2=y, **_line(op)),
                _el("text", op, x=x + 34, y=y + 4, font_size=12)]
        x += 48 + 7 * len(op)
    return "\n".join(out + ["</g>", "</svg>"])
