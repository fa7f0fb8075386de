"""One look for every view: colours, font, benchmark choices, operation colours, the figures'
shared browser code, and :func:`sync_figures`, which every box holding a plotly figure calls
before it is displayed."""

from __future__ import annotations

import contextlib
import functools
import html
from pathlib import Path
from typing import Any, Callable

import ipywidgets as w
import numpy as np

from ktnas_core import benchmarks
from ktnas_core.errors import KtnasError

__all__ = ["BENCHMARK_CHOICES", "COLORS", "COMMON_JS", "FONT", "OP_COLORS", "TOOLTIP_CSS", "TOOL_BUTTON_CSS",
           "SyncedBox", "browser_module", "cell_strings", "guarded", "register_callback", "rgba", "silenced",
           "sync_figures"]

#: the browser code the canvas and SVG figures share (a tooltip, a download)
COMMON_JS = Path(__file__).parent / "static" / "figure_common.js"


def browser_module(path: Path) -> str:
    """An anywidget ES module: the figures' shared browser code (:data:`COMMON_JS`), then the
    widget's own at ``path`` (anywidget loads each widget's module on its own, so a third module
    would need a server route, which JupyterLab does not have).

    >>> "function showTip" in browser_module(Path(__file__).parent / "static" / "svg_figure.js")
    True
    """
    return COMMON_JS.read_text(encoding="utf-8") + path.read_text(encoding="utf-8")


#: benchmarks a view can show, as (label, name) pairs for dropdowns
BENCHMARK_CHOICES = (
    ("NAS-Bench-201 (15,625 cells)", "nb201"),
    ("TransNAS-Bench-101 micro (4,096 cells)", "tnb101_micro"),
)
#: one colour scheme for the app: all cells, highlights, text, muted text, diverging scale
COLORS = {"cells": "#4a6fa5", "topk": "#e4572e", "ink": "#1f2a44", "muted": "#5b6475", "scale": "RdBu",
          "accent": "#2a9d8f", "grid": "#e1e5ec"}
FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13, color=COLORS["ink"])
#: a colour per cell operation (NB201 and TransNAS micro names)
OP_COLORS = {"none": "#b8bec9", "skip_connect": "#59a14f", "nor_conv_1x1": "#f28e2b", "nor_conv_3x3": "#e15759",
             "avg_pool_3x3": "#4e79a7", "conv1x1": "#f28e2b", "conv3x3": "#e15759", "input": "#1f2a44",
             "output": "#1f2a44"}


def rgba(color: str, alpha: float) -> str:
    """``#rrggbb`` as a CSS ``rgba()`` of opacity ``alpha`` (the figures' bands).

    >>> rgba("#0072b2", 0.16)
    'rgba(0,114,178,0.16)'
    """
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def register_callback(callbacks: list, callback, remove: bool = False) -> None:
    """Add ``callback`` to a view's ``callbacks`` (or take it out, with ``remove``); what is not
    callable is refused with a TypeError naming its type.

    >>> calls = []
    >>> register_callback(calls, print); register_callback(calls, print, remove=True); calls
    []
    >>> register_callback(calls, "print")
    Traceback (most recent call last):
    ...
    TypeError: callback must be callable; got str
    """
    if remove:
        callbacks.remove(callback)
    elif not callable(callback):
        raise TypeError(f"callback must be callable; got {type(callback).__name__}")
    else:
        callbacks.append(callback)


def guarded(fn: Callable[[], Any], report: Callable[[str], None]) -> Any:
    """Run a UI action; an error goes to ``report`` as escaped text (a ktnas error's own message,
    any other with its type) and never escapes into the kernel.  Returns ``fn()`` or None.

    >>> guarded(lambda: 1 / 0, print)
    ZeroDivisionError: division by zero
    """
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - a callback must not raise into the kernel
        report(html.escape(str(e) if isinstance(e, KtnasError) else f"{type(e).__name__}: {e}"))
    return None


def sync_figures(root: w.Widget) -> None:
    """Bring every plotly figure under ``root`` up to date for a browser that connects now (a
    figure's ``sync_state()``, :class:`widgets.plotly_figure.FigureWidget`; the canvas and SVG
    figures keep their whole state in synced traits and need nothing).

    A FigureWidget sends later edits as one-off restyle/relayout messages; a browser that
    connects afterwards (Voilà fetches widget state only after the notebook ran) would miss
    them and draw the figure as it was when created.  Plotly does this copy itself only when
    the FigureWidget is displayed on its own, not inside a box, so containers call this from
    their own ``_repr_mimebundle_`` (:class:`SyncedBox` does), and code that adds a box to a
    displayed one calls it on the box first.  This module does not import plotly's widget classes
    (:mod:`widgets.plotly_figure`): only the lineage tab's figure is plotly's.
    """
    sync = getattr(root, "sync_state", None)
    if callable(sync):
        sync()
    for child in getattr(root, "children", ()):
        sync_figures(child)


class SyncedBox(w.VBox):
    """A VBox that brings the figures inside it up to date when it is displayed."""

    def _repr_mimebundle_(self, **kwargs):
        sync_figures(self)
        return super()._repr_mimebundle_(**kwargs)


@contextlib.contextmanager
def silenced(view):
    """Set ``view._busy`` while several controls change together (observers that check it skip).

    >>> class V: _busy = False
    >>> v = V()
    >>> with silenced(v):
    ...     v._busy
    True
    >>> v._busy
    False
    """
    outer, view._busy = view._busy, True
    try:
        yield
    finally:
        view._busy = outer


@functools.lru_cache(maxsize=None)
def cell_strings(name: str) -> np.ndarray:
    """Cell string of every architecture of benchmark ``name``, in index order (for hover text)."""
    space = benchmarks.load(name).space
    return np.array([str(space.from_index(i)) for i in range(len(space))])


#: the look of a figure's tooltip (:mod:`widgets.point_cloud`, :mod:`widgets.svg_figure`), as CSS declarations
TOOLTIP_CSS = (f"position: absolute; display: none; pointer-events: none; z-index: 2; background: #fff; "
               f"border: 1px solid {COLORS['grid']}; border-radius: 4px; padding: 4px 8px; font-size: 12px; "
               f"line-height: 1.45; color: {COLORS['ink']}; box-shadow: 0 1px 4px rgba(31, 42, 68, 0.18); "
               f"white-space: nowrap;")

#: the look of a figure's toolbar buttons (:mod:`widgets.point_cloud`, :mod:`widgets.svg_figure`), as CSS declarations
TOOL_BUTTON_CSS = (f"font: 11px {FONT['family']}; color: {COLORS['muted']}; background: #fff; "
                   f"border: 1px solid {COLORS['grid']}; border-radius: 3px; padding: 1px 6px; cursor: pointer;")

#: what a view's pointed-cell line says before the pointer has been on a cell
POINT_HINT = (f"<span style='font-size:13px;color:{COLORS['muted']}'>Point at a dot to name its cell here.</span>")


def pointed_cell(bench: benchmarks.Benchmark, index: int, body: str) -> str:
    """The line a view shows for the cell under the pointer: its index and cell string, then ``body``
    (HTML).  Views name the cell here rather than in every dot's hover label: the page is not sent
    one cell string per dot (15,625 of them, 1.3 MB, on NAS-Bench-201).  An index outside the space
    raises the space's InvalidArchitectureError, naming the range.

    >>> line = pointed_cell(benchmarks.load("tnb101_micro"), 100, "rank 1")
    >>> "cell 100 <code>64-41414-0_01_210</code>: rank 1" in line
    True
    """
    arch = html.escape(str(cell_strings(bench.name)[bench.space.check_index(index)]))
    return f"<span style='font-size:13px;color:{COLORS['ink']}'>cell {index:,} <code>{arch}</code>: {body}</span>"
