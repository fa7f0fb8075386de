"""A small figure the kernel draws as SVG: the Kendall-tau heatmap and the bump chart of the first tab.

The first tab needs no plotting library in the page: its scatter is a canvas
(:mod:`widgets.point_cloud`) and its two small figures are SVG written here, in Python, so a page
opens without running plotly's 5 MB of JavaScript (about 1.2 s of the browser's time per visitor,
more with several at once on few cores).  An element marked ``data-pick`` reports a click on it to
:meth:`SvgFigure.on_pick`; one marked ``data-tip`` shows its text as a tooltip.

>>> fig = SvgFigure(title="two squares")
>>> fig.svg = svg_document(120, 60, ['<rect x="0" y="0" width="50" height="50" data-pick="a" data-tip="A"/>',
...                                  '<rect x="60" y="0" width="50" height="50" data-pick="b" data-tip="B"/>'])
>>> fig.picks
('a', 'b')
>>> picked = []
>>> fig.on_pick(picked.append)
>>> fig.receive({"event": "pick", "value": "b"})  # what a click on the second square sends
>>> fig.receive({"event": "pick", "value": "c"})  # not in the figure: ignored
>>> picked
['b']
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import anywidget
import traitlets as t

from .style import FONT, TOOL_BUTTON_CSS, TOOLTIP_CSS, browser_module, register_callback

__all__ = ["BROWSER_CODE", "SvgFigure", "attr", "svg_document", "text"]

#: the widget's browser code (an ES module), shipped with the package
BROWSER_CODE = Path(__file__).parent / "static" / "svg_figure.js"
_PICK = re.compile(r'data-pick="([^"]*)"')
_CSS = f"""
.ktnas-svg {{ position: relative; font-family: {FONT["family"]}; }}
.ktnas-svg [data-pick] {{ cursor: pointer; }}
.ktnas-svg-tip {{ {TOOLTIP_CSS} }}
.ktnas-svg-bar {{ position: absolute; right: 4px; top: 2px; opacity: 0; transition: opacity 0.15s; }}
.ktnas-svg:hover .ktnas-svg-bar {{ opacity: 1; }}
.ktnas-svg-bar button {{ {TOOL_BUTTON_CSS} }}
"""


class SvgFigure(anywidget.AnyWidget):
    """A figure drawn as one SVG document (:attr:`svg`), with clickable and labelled elements.

    Parameters
    ----------
    title : str
        The figure's title as plain text (the SVG draws its own): what tests and the page's
        scripts find the figure by.
    png_name : str
        When not empty, pointing at the figure shows a PNG button that saves it, at twice its
        size, as ``<png_name>.png``.
    """

    _esm = browser_module(BROWSER_CODE)
    _css = _CSS
    svg = t.Unicode("").tag(sync=True)
    title = t.Unicode("").tag(sync=True)
    png_name = t.Unicode("").tag(sync=True)  # not empty: a PNG button saves the figure as <png_name>.png

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._callbacks: list[Callable[[str], None]] = []
        self.on_msg(lambda _, content, buffers: self.receive(content))

    @property
    def picks(self) -> tuple[str, ...]:
        """The ``data-pick`` values of the figure's clickable elements, in drawing order."""
        return tuple(html.unescape(v) for v in _PICK.findall(self.svg))

    def on_pick(self, callback: Callable[[str], None], remove: bool = False) -> None:
        """Call ``callback(value)`` when an element marked ``data-pick="value"`` is clicked."""
        register_callback(self._callbacks, callback, remove)

    def receive(self, content: dict) -> None:
        """Handle a message from the page, ``{"event": "pick", "value": v}``; a value the figure
        does not hold (a page still showing the previous drawing) is ignored."""
        if isinstance(content, dict) and content.get("event") == "pick" and content.get("value") in self.picks:
            for callback in list(self._callbacks):
                callback(content["value"])


def attr(value) -> str:
    """``value`` escaped for an attribute in quotes, its newlines (a tooltip's lines) as ``&#10;``,
    which an XML parser keeps (a literal newline in an attribute is read as a space).

    >>> attr('rank 1 on "a"' + chr(10) + '→ 3 & more')
    'rank 1 on &quot;a&quot;&#10;→ 3 &amp; more'
    """
    return html.escape(str(value), quote=True).replace("\n", "&#10;")


def text(x: float, y: float, body: str, size: float = 12, anchor: str = "start", weight: str = "normal",
         color: str = FONT["color"], extra: str = "") -> str:
    """An SVG ``<text>``; ``body`` is escaped."""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{color}"{" " + extra if extra else ""}>{html.escape(str(body))}</text>')


def svg_document(width: int, height: int, parts: Sequence[str]) -> str:
    """One SVG document of ``width`` x ``height`` pixels holding ``parts``, on white."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{attr(FONT["family"])}">'
            f'<rect width="{width}" height="{height}" fill="#fff"/>' + "".join(parts) + "</svg>")
