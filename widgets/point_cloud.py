"""A scatter of a whole search space drawn on one canvas: the embedding maps and the rank-vs-rank
scatter (15,625 points on NAS-Bench-201).

plotly's WebGL scatter redrew a recoloured map in about 150 ms of the page's time (software WebGL
in a browser without a GPU) and brought a WebGL context per figure; :class:`PointCloud` draws the
points with the canvas's 2-D API, one path per colour (``widgets/static/point_cloud.js``), and gets
its points as 4-byte binary arrays.  It has what the maps used of plotly: hover (a tooltip and
:meth:`PointCloud.on_hover`), click (:meth:`PointCloud.on_click`), box and lasso selection
(:meth:`PointCloud.on_selection`), zoom, pan, reset, a colour bar, a legend, lines (the diagonal),
log axes, equal units on both axes and a PNG export.

>>> import numpy as np
>>> cloud = PointCloud(title="four cells")
>>> cloud.set_points([0, 1, 2, 3], [3, 2, 1, 0])
>>> cloud.set_colors([10, 50, 70, 90], "Viridis", title="accuracy (%)")
>>> cloud.x.dtype, cloud.x.tolist(), cloud.colors.shape, cloud.cmin, cloud.cmax
(dtype('float32'), [0.0, 1.0, 2.0, 3.0], (4,), 10.0, 90.0)
>>> cloud.set_layer("highlight", [2, 3], color="#e4572e")
>>> [layer["name"] for layer in cloud.layers], cloud.layer("highlight")["indices"]
(['highlight'], [2, 3])
>>> clicked = []
>>> cloud.on_click(clicked.append)
>>> cloud.receive({"event": "click", "index": 2})  # what a click on the third point sends
>>> clicked
[2]
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anywidget
import numpy as np
import plotly.colors
import traitlets as t

from ktnas_core.errors import ParameterError

from .style import COLORS, FONT, TOOL_BUTTON_CSS, TOOLTIP_CSS, browser_module, register_callback

__all__ = ["BROWSER_CODE", "PointCloud"]

_CSS = f"""
.ktnas-cloud {{ position: relative; font-family: {FONT["family"]}; user-select: none; }}
.ktnas-cloud canvas {{ position: absolute; left: 0; top: 0; }}
.ktnas-cloud-overlay {{ touch-action: none; }}
.ktnas-cloud-tip {{ {TOOLTIP_CSS} }}
.ktnas-cloud-bar {{ position: absolute; right: 4px; top: 2px; z-index: 1; display: flex; gap: 2px; padding: 2px;
  background: rgba(255, 255, 255, 0.92); border-radius: 4px; opacity: 0; transition: opacity 0.15s; }}
.ktnas-cloud:hover .ktnas-cloud-bar {{ opacity: 1; }}
.ktnas-cloud-bar button {{ {TOOL_BUTTON_CSS} }}
.ktnas-cloud-bar button.active {{ color: #fff; background: {COLORS["cells"]}; border-color: {COLORS["cells"]}; }}
"""

#: the widget's browser code (an ES module), shipped with the package
BROWSER_CODE = Path(__file__).parent / "static" / "point_cloud.js"
EVENTS = ("hover", "click", "select")
DRAG_MODES = ("zoom", "pan", "box", "lasso")
SYMBOLS = ("circle", "star")


def _axis(title: str = "", type: str = "linear", range=None, ticklabels: bool = True) -> dict:
    if type not in ("linear", "log"):
        raise ParameterError(f"axis type {type!r} is unknown; choose 'linear' or 'log'")
    if range is not None:
        range = [float(v) for v in range]
        if len(range) != 2 or not range[0] < range[1]:
            raise ParameterError(f"axis range {range!r} must be two increasing numbers")
    return {"title": str(title), "type": type, "range": range, "ticklabels": bool(ticklabels)}


class PointCloud(anywidget.AnyWidget):
    """Many points on a canvas, coloured by a value or drawn in one colour, with layers on top.

    Parameters
    ----------
    title : str
        Above the plot; ``<b>…</b>`` marks bold runs (in every title; nothing else is markup).
    width, height : int
        Size in pixels.
    equal_aspect : bool
        One unit is as long on both axes (maps whose axes have no units of their own).
    hover : str
        The tooltip: ``{index}``, ``{x}``, ``{y}`` and ``{c}`` (the colour value) are filled in per
        point; lines are separated by ``\\n``.  A point of a layer adds the layer's name.
    **kwargs
        Any other trait (``point_size``, ``point_opacity``, ``point_color``, ``point_name``,
        ``margin``, ``drag_mode``…).

    Notes
    -----
    A point's index is its position in :attr:`x`; the events report it, and layers name points by it.
    """

    _esm = browser_module(BROWSER_CODE)
    _css = _CSS

    _x = t.Bytes(b"").tag(sync=True)
    _y = t.Bytes(b"").tag(sync=True)
    _c = t.Bytes(b"").tag(sync=True)  # empty: every point in point_color
    width = t.Int(600).tag(sync=True)
    height = t.Int(500).tag(sync=True)
    margin = t.Dict({"l": 60, "r": 20, "t": 70, "b": 50}).tag(sync=True)
    title = t.Unicode("").tag(sync=True)
    xaxis = t.Dict(_axis()).tag(sync=True)
    yaxis = t.Dict(_axis()).tag(sync=True)
    equal_aspect = t.Bool(False).tag(sync=True)
    point_color = t.Unicode(COLORS["cells"]).tag(sync=True)
    point_size = t.Float(4.0).tag(sync=True)
    point_opacity = t.Float(0.75).tag(sync=True)
    point_name = t.Unicode("").tag(sync=True)  # a legend entry for the points, when not empty
    colorscale = t.List().tag(sync=True)
    cmin = t.Float(0.0).tag(sync=True)
    cmax = t.Float(1.0).tag(sync=True)
    colorbar_title = t.Unicode("").tag(sync=True)
    layers = t.List().tag(sync=True)
    lines = t.List().tag(sync=True)
    hover = t.Unicode("cell {index}").tag(sync=True)
    drag_mode = t.Unicode("zoom").tag(sync=True)
    font_family = t.Unicode(FONT["family"]).tag(sync=True)
    ink = t.Unicode(COLORS["ink"]).tag(sync=True)
    grid_color = t.Unicode(COLORS["grid"]).tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._callbacks: dict[str, list[Callable]] = {e: [] for e in EVENTS}
        self.on_msg(lambda _, content, buffers: self.receive(content, buffers))

    @t.validate("drag_mode")
    def _check_mode(self, proposal):
        if proposal["value"] not in DRAG_MODES:
            raise ParameterError(f"drag mode {proposal['value']!r} is unknown; choose one of {list(DRAG_MODES)}")
        return proposal["value"]

    # -- data ---------------------------------------------------------------------------------
    @property
    def x(self) -> np.ndarray:
        """The points' x, as 4-byte floats (read-only)."""
        return np.frombuffer(self._x, dtype=np.float32)

    @property
    def y(self) -> np.ndarray:
        """The points' y, as 4-byte floats (read-only)."""
        return np.frombuffer(self._y, dtype=np.float32)

    @property
    def colors(self) -> np.ndarray:
        """The value each point's colour shows (empty: all in :attr:`point_color`)."""
        return np.frombuffer(self._c, dtype=np.float32)

    def __len__(self) -> int:
        return self.x.size

    def set_points(self, x, y) -> None:
        """Place the points (a new set clears the colours if their number changes, and every layer)."""
        x, y = (np.asarray(v, dtype=np.float32).reshape(-1) for v in (x, y))
        if x.size != y.size:
            raise ParameterError(f"x and y must have the same length; got {x.size} and {y.size}")
        with self.hold_sync():
            if self.colors.size not in (0, x.size):
                self._c = b""
            if x.size != len(self):
                self.layers = []
            self._x, self._y = x.tobytes(), y.tobytes()

    def set_colors(self, values, colorscale: str | list = "Viridis", cmin: float | None = None,
                   cmax: float | None = None, reverse: bool = False, title: str = "") -> None:
        """Colour every point by ``values`` on ``colorscale`` (a plotly scale's name or
        ``[[position, colour], ...]``) from ``cmin`` to ``cmax`` (default: the values' range);
        ``reverse`` flips the scale; ``title`` heads the colour bar (lines split by ``\\n``)."""
        values = np.asarray(values, dtype=np.float32).reshape(-1)
        if values.size != len(self):
            raise ParameterError(f"{values.size} colour values for {len(self)} points; give one per point")
        scale = plotly.colors.get_colorscale(colorscale) if isinstance(colorscale, str) else list(colorscale)
        if reverse:
            scale = [[1 - float(p), c] for p, c in reversed(scale)]
        finite = values[np.isfinite(values)]
        lo = float(finite.min()) if cmin is None and finite.size else float(cmin or 0.0)
        hi = float(finite.max()) if cmax is None and finite.size else float(1.0 if cmax is None else cmax)
        with self.hold_sync():
            self._c, self.colorscale, self.colorbar_title = values.tobytes(), [[float(p), c] for p, c in scale], title
            self.cmin, self.cmax = lo, hi if hi > lo else lo + 1.0

    def set_axes(self, x: dict | None = None, y: dict | None = None) -> None:
        """Set the axes: each a dict of ``title``, ``type`` (``"linear"``/``"log"``), ``range``
        (in log10 units on a log axis; None: the points' extent) and ``ticklabels``."""
        with self.hold_sync():
            if x is not None:
                self.xaxis = _axis(**x)
            if y is not None:
                self.yaxis = _axis(**y)

    def set_layer(self, name: str, indices, color: str = COLORS["topk"], size: float = 8.0, symbol: str = "circle",
                  line_color: str = "white", line_width: float = 0.8, opacity: float = 0.95,
                  legend: bool = True, label: str | None = None) -> None:
        """Draw the points ``indices`` again on top, marked; replaces the layer called ``name``.

        ``label`` is its legend entry (default ``name``); ``symbol`` is ``"circle"`` or ``"star"``."""
        if symbol not in SYMBOLS:
            raise ParameterError(f"symbol {symbol!r} is unknown; choose one of {list(SYMBOLS)}")
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        bad = idx[(idx < 0) | (idx >= len(self))]
        if bad.size:
            raise ParameterError(f"point index {int(bad[0])} is outside [0, {len(self)})")
        layer = {"name": name, "label": name if label is None else label, "indices": idx.tolist(), "color": color,
                 "size": float(size), "symbol": symbol, "line_color": line_color, "line_width": float(line_width),
                 "opacity": float(opacity), "legend": bool(legend)}
        others = [dict(l) for l in self.layers]
        at = next((i for i, l in enumerate(others) if l["name"] == name), None)
        self.layers = others + [layer] if at is None else others[:at] + [layer] + others[at + 1:]

    def layer(self, name: str) -> dict:
        """The layer called ``name`` (a KeyError names the layers there are)."""
        for layer in self.layers:
            if layer["name"] == name:
                return layer
        raise KeyError(f"no layer {name!r}; the layers are {[l['name'] for l in self.layers]}")

    # -- events -------------------------------------------------------------------------------
    def on_hover(self, callback: Callable[[int], None], remove: bool = False) -> None:
        """Call ``callback(index)`` when the pointer comes onto a point."""
        register_callback(self._callbacks["hover"], callback, remove)

    def on_click(self, callback: Callable[[int], None], remove: bool = False) -> None:
        """Call ``callback(index)`` when a point is clicked."""
        register_callback(self._callbacks["click"], callback, remove)

    def on_selection(self, callback: Callable[[list[int]], None], remove: bool = False) -> None:
        """Call ``callback(indices)`` after a box or lasso selection (``[]`` when it is cleared)."""
        register_callback(self._callbacks["select"], callback, remove)

    def receive(self, content: dict, buffers=()) -> None:
        """Handle a message from the page: ``{"event": "hover"|"click", "index": i}``, or
        ``{"event": "select"}`` with the selected indices as one buffer of 4-byte integers.

        A message that is not one of these, or names a point that is not there, is ignored (the
        page may still show the points of the previous benchmark for a moment)."""
        event = content.get("event") if isinstance(content, dict) else None
        if event in ("hover", "click"):
            index = content.get("index")
            if isinstance(index, int) and 0 <= index < len(self):
                for callback in list(self._callbacks[event]):
                    callback(index)
        elif event == "select":
            raw = np.frombuffer(bytes(buffers[0]), dtype=np.int32) if buffers else np.zeros(0, np.int32)
            picked = [int(i) for i in raw if 0 <= i < len(self)]
            for callback in list(self._callbacks["select"]):
                callback(picked)
