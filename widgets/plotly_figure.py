"""The app's one plotly figure type (the lineage graph): plotly's FigureWidget whose edits cannot be
lost in the browser, and whose browser code the hosted app serves once.

Only :mod:`widgets.lineage_view` imports this module: plotly's widget classes (with the nbformat
and jsonschema they import) cost 0.35-0.45 s of CPU in an app kernel, 1.4 s in another process
(where jsonschema's URI grammar is built too, see :mod:`widgets`), which the other tabs, all
canvas and SVG, do not need.
"""

from __future__ import annotations

import os

import plotly.graph_objects as go

__all__ = ["FigureWidget", "PLOTLY_ESM", "SERVED_BUNDLE_ENV"]

#: set (to 1) in the kernels of ``python -m widgets.hosting``, which serves plotly's widget bundle
SERVED_BUNDLE_ENV = "KTNAS_PLOTLY_BUNDLE"
#: the browser code of every :class:`FigureWidget` under ``widgets.hosting``: import plotly's widget
#: bundle from the server (at this path under the page's base URL) instead of carrying a 5 MB copy
#: in each figure's state; the browser loads and runs it once for all figures.  Elsewhere
#: (JupyterLab) figures keep plotly's own copy.
PLOTLY_ESM = """
const config = document.getElementById("jupyter-config-data");
const base = (config && JSON.parse(config.textContent).baseUrl) || "/";
const bundle = await import(new URL(base + "ktnas/static/plotly-widget.js", window.location.href).href);
export default bundle.default;
"""


class FigureWidget(go.FigureWidget):
    """plotly's FigureWidget whose edits cannot be lost in the browser, and whose browser code
    is fetched once from the server (:data:`PLOTLY_ESM`) when a page shows several.

    plotly sends every edit (restyle, relayout, update, added traces) by setting a
    ``_py2js_*`` trait to the message and at once back to ``None``; its browser view then
    reads the trait's *current* value.  When both changes reach the browser together, the
    view reads ``None`` and drops the edit (seen in Voilà: a map's highlight or a new
    colouring never drawn).  This class keeps the last message instead of the reset.  Every
    message carries a fresh edit id, so consecutive messages always differ and each one
    triggers the view.

    >>> fig = FigureWidget()
    >>> fig.add_scatter(x=[1, 2], y=[3, 4]) is fig
    True
    >>> fig._py2js_addTraces["trace_data"][0]["x"]
    [1, 2]
    """

    if os.environ.get(SERVED_BUNDLE_ENV) == "1":
        _esm = PLOTLY_ESM

    def __setattr__(self, name, value):
        if value is None and name.startswith("_py2js_") and getattr(self, name, None) is not None:
            return
        super().__setattr__(name, value)

    def sync_state(self) -> None:
        """Copy the figure's current state into its synced traits and drop the kept messages, for a
        browser that connects now (:func:`widgets.style.sync_figures` calls it)."""
        self._repr_mimebundle_()  # plotly's own refresh of _widget_data / _widget_layout
        self.forget_messages()  # a new view must not replay an old edit on top of that state

    def forget_messages(self) -> None:
        """Drop the kept messages, so a view created from now on starts from the synced state
        alone (call after that state is refreshed, see :meth:`sync_state`)."""
        for name in [n for n in self.trait_names() if n.startswith("_py2js_")]:
            super().__setattr__(name, None)
