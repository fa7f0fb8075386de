"""The picture of a cell: the 4-node DAG of the NAS-Bench-201 paper, as a plotly figure and as SVG.

Feature maps 0 (input) to 3 (output) left to right, each of the six edges an arrow coloured
(``OP_COLORS``) and labelled with its operation, ``none`` edges faint and dashed.  We prefer it to the
operation-as-node graph of :func:`ktnas_core.graphs.to_graph` because its six arrows are the six
positions of the cell string, so a one-edge change is one arrow changing colour (what compare mode
highlights), and it is the picture the papers print.  Edges i -> i+1 are straight, 0->2 and 0->3 arch
above and 1->3 below, so no two edges cross (:data:`GEOMETRY`).

Layout: one FigureWidget (:func:`cell_figure`), made once, with two panels (axes x/y: cell A, x2/y2:
cell B); per panel 6 highlight halos, 6 edge traces and 1 node trace, then one legend-only trace per
operation; labels, arrowheads and headings are annotations.  :func:`draw_panel` draws a cell in a
panel (or hides it), halos behind the edges given.

Export: :func:`cell_svg` writes a standalone SVG from the same coordinates (no kaleido).  PNG: the
camera button of plotly's modebar, kept always visible by the figure's config (``displayModeBar=True``,
``toImageButtonOptions``: png, scale 2, file ``cell``).

>>> from ktnas_core.spaces import get_space
>>> arch = get_space("nb201").from_index(6111)
>>> fig = cell_figure()
>>> draw_panel(fig, 0, "A", arch, (2,))
>>> [fig.data[k].visible for k in range(3)], fig.layout.annotations[0].text == arch.op_names[0]
([False, False, True], True)
>>> cell_svg("a cell", [("A", arch, (2,))], get_space("nb201").ops).count("class='halo'")
1
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import plotly.graph_objects as go

from ktnas_core.spaces import get_space
from ktnas_core.spaces.cell import EDGES

from .style import COLORS, FONT, OP_COLORS, FigureWidget

__all__ = ["ANN_PER_PANEL", "GEOMETRY", "PER_PANEL", "cell_figure", "cell_svg", "draw_legend", "draw_panel"]

BOW = {(0, 2): 0.62, (0, 3): 1.1, (1, 3): -0.62}  # apex height of the arched edges
NODE_X, XR, YR = (0.0, 1.5, 3.0, 4.5), (-0.4, 4.9), (-0.85, 1.55)  # nodes 0..3 at (NODE_X[n], 0); axis ranges
NODE_R, NODE_PX, SVG_SCALE = 0.15, 34, 110  # node radius (data units), marker size (px), SVG px per data unit
N_LEGEND = max(len(get_space(name).ops) for name in ("nb201", "tnb101_micro"))
PER_PANEL, ANN_PER_PANEL = 13, 15  # traces: 6 halos, 6 edges, nodes; annotations: 6 labels, 6 arrows, heading, in, out
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


def _line(op: str, svg: bool = False) -> dict:
    """Line style of an edge carrying ``op``: plotly's ``line`` dict, or SVG stroke attributes."""
    none, color = op == "none", OP_COLORS[op]
    if svg:
        return dict(stroke=color, stroke_width=1.8 if none else 3.4, **({"stroke_dasharray": "6 4"} if none else {}))
    return dict(color=color, width=1.8 if none else 3.4, dash="dash" if none else "solid")


def cell_figure() -> FigureWidget:
    """The empty drawing: two panels of :data:`PER_PANEL` traces and :data:`ANN_PER_PANEL` annotations each
    (see the module), then the legend's traces; panel B hidden."""
    data, anns, muted = [], [], dict(size=11, color=COLORS["muted"])
    for xa, ya in (("x", "y"), ("x2", "y2")):
        on, ref = dict(xaxis=xa, yaxis=ya, showlegend=False), dict(xref=xa, yref=ya, showarrow=False)
        data += [go.Scatter(x=g["x"], y=g["y"], mode="lines", line=HALO, opacity=0.3, hoverinfo="skip", visible=False,
                            **on) for g in GEOMETRY]
        data += [go.Scatter(x=g["x"], y=g["y"], mode="lines", hoverinfo="text", **on) for g in GEOMETRY]
        data.append(go.Scatter(x=NODE_X, y=[0] * 4, mode="markers+text", text=list("0123"), **on,
                               textfont=dict(color="white", size=14), marker=dict(size=NODE_PX, color=COLORS["ink"]),
                               hovertemplate="%{hovertext}<extra></extra>"))
        anns += [dict(x=g["label"][0], y=g["label"][1], bgcolor="white", borderpad=2, font=dict(size=11), **ref)
                 for g in GEOMETRY]
        anns += [dict(ref, x=g["tip"][0], y=g["tip"][1], ax=g["tail"][0], ay=g["tail"][1], axref=xa, ayref=ya, text="",
                      showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=2.2) for g in GEOMETRY]
        anns += [dict(x=x, y=y, yanchor="top", text=t, font=muted, **ref)
                 for x, y, t in ((NODE_X[3] / 2, YR[1], ""), (0, -0.2, "input"), (NODE_X[3], -0.2, "output"))]
    data += [go.Scatter(x=[None], y=[None], mode="lines", hoverinfo="skip") for _ in range(N_LEGEND)]
    ax = dict(visible=False, fixedrange=True)
    fig = FigureWidget(data=data, layout=go.Layout(
        width=760, height=430, template="plotly_white", font=FONT, plot_bgcolor="rgba(0,0,0,0)", annotations=anns,
        title=dict(font=dict(size=15), x=0.02, xanchor="left"), margin=dict(l=20, r=20, t=60, b=40),
        # constrain="domain": the equal-scale constraint shrinks a panel, never widens its range (a
        # widened range is kept by the browser, and drew cell B small after the panel was hidden)
        xaxis=dict(ax, domain=[0, 1], range=XR, constrain="domain"),
        xaxis2=dict(ax, domain=[0.51, 1], range=XR, constrain="domain"),
        yaxis=dict(ax, range=YR, scaleanchor="x", constrain="domain"),
        yaxis2=dict(ax, range=YR, scaleanchor="x2", constrain="domain"),
        legend=dict(orientation="h", x=0, xanchor="left", y=0, yanchor="top", title_text="operation: ",
                    font=dict(size=11)),
        hoverlabel=dict(align="left"), modebar=dict(orientation="h", bgcolor="rgba(255,255,255,0.7)")))
    fig._config = dict(displayModeBar=True, displaylogo=False, toImageButtonOptions=dict(
        format="png", filename="cell", scale=2))  # plotly's only hook for a FigureWidget's config
    return fig


def draw_legend(fig: FigureWidget, ops) -> None:
    """Name and style the legend's traces after the operations ``ops`` of the space shown; hide the rest."""
    for k, trace in enumerate(fig.data[2 * PER_PANEL:]):
        trace.update(visible=k < len(ops), name=ops[k % len(ops)], line=_line(ops[k % len(ops)]))


def draw_panel(fig: FigureWidget, p: int, name: str, arch, diff: tuple[int, ...], hover: str = "") -> None:
    """Draw ``arch`` in panel ``p`` (0: A, 1: B) headed ``name``, halos behind the edges ``diff``, ``hover`` on
    its nodes; ``arch`` None hides the panel."""
    traces, base = fig.data[p * PER_PANEL:(p + 1) * PER_PANEL], p * ANN_PER_PANEL
    anns = fig.layout.annotations
    # set each property once per batch: plotly drops a second write that restores the pre-batch value
    for k, item in enumerate((*traces, *anns[base:base + ANN_PER_PANEL])):
        item.visible = arch is not None and (k >= 6 or k in diff)  # the first 6 are the halos
    if arch is None:
        return
    for e, op in enumerate(arch.op_names):
        faint = op == "none"
        traces[6 + e].update(line=_line(op), hovertext="edge {}→{}: ".format(*EDGES[e]) + op,
                             opacity=0.8 if faint else 1)
        anns[base + e].update(text=op, bordercolor=OP_COLORS[op], borderwidth=3 if e in diff else 1.5,
                              opacity=0.75 if faint else 1)
        anns[base + 6 + e].update(arrowcolor=OP_COLORS[op], opacity=0.6 if faint else 1)
    traces[12].hovertext = [hover] * 4
    anns[base + 12].text = f"<span style='font-size:11px'><b>{name}</b><br>{arch}</span>"


def _el(tag: str, body: str = "", **attrs) -> str:
    """One SVG element; attribute names take ``-`` for ``_``, floats are rounded."""
    a = " ".join(f"{k.rstrip('_').replace('_', '-')}='{f'{v:.1f}' if isinstance(v, float) else v}'"
                 for k, v in attrs.items())
    return f"<{tag} {a}>{html.escape(body)}</{tag}>" if body else f"<{tag} {a}/>"


def cell_svg(title: str, panels: list, ops: tuple[str, ...]) -> str:
    """A standalone SVG of ``panels`` ((name, arch, differing edges) each), from :data:`GEOMETRY`."""
    s, ink, top, gap = SVG_SCALE, COLORS["ink"], 44, 24
    pw, ph = (XR[1] - XR[0]) * s, (YR[1] - YR[0]) * s
    width, height = len(panels) * pw + (len(panels) - 1) * gap + 32, top + ph + 44
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' "
           f"viewBox='0 0 {width:.0f} {height:.0f}' fill='{ink}' font-family=\"{html.escape(FONT['family'])}\">",
           _el("rect", width="100%", height="100%", fill="white"), _el("text", title, x=16, y=26, font_size=15)]
    for p, (name, arch, diff) in enumerate(panels):
        pt = lambda x, y, ox=16 + p * (pw + gap): (ox + (x - XR[0]) * s, top + (YR[1] - y) * s)  # noqa: E731
        hx, hy = pt(NODE_X[3] / 2, YR[1])
        out += [_el("text", text, x=hx, y=hy + 12 + 14 * k, font_size=11, text_anchor="middle")
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
            out += [_el("path", d=d, fill="none", **_line(op, svg=True)),
                    _el("polygon", fill=ln["color"], points=" ".join(
                        f"{z.real:.1f},{z.imag:.1f}" for z in (tip, tip - 11 * u + 5j * u, tip - 11 * u - 5j * u))),
                    _el("rect", x=lx - lw / 2, y=ly - 9, width=lw, height=18, rx=2, fill="white", stroke=ln["color"],
                        stroke_width=3 if k in diff else 1.5),
                    _el("text", op, x=lx, y=ly + 4, font_size=11, text_anchor="middle")]
        for n, caption in enumerate(("input", "", "", "output")):
            (nx, ny), (_, cy) = pt(NODE_X[n], 0), pt(NODE_X[n], -0.2)
            out += [_el("circle", cx=nx, cy=ny, r=NODE_R * s, fill=ink),
                    _el("text", str(n), x=nx, y=ny + 5, font_size=14, text_anchor="middle", fill="white"),
                    _el("text", caption, x=nx, y=cy + 12, font_size=11, text_anchor="middle", fill=COLORS["muted"])]
    x, y = 16.0, height - 18
    for op in ops:
        out += [_el("line", x1=x, y1=y, x2=x + 28, y2=y, **_line(op, svg=True)),
                _el("text", op, x=x + 34, y=y + 4, font_size=12)]
        x += 48 + 7 * len(op)
    return "\n".join(out + ["</svg>"])
