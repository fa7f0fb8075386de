"""ipywidgets views over :mod:`ktnas_core` (public names only), one view per module; their figures
are a canvas point cloud (:mod:`widgets.point_cloud`), SVG the kernel writes
(:mod:`widgets.svg_figure`, its line charts :mod:`widgets.line_chart`) and, for the lineage
graph, plotly (:mod:`widgets.plotly_figure`).

:func:`build_app` composes them; ``notebooks/app.ipynb`` (the Voilà entry) calls it.

Each view is imported when first asked for (``from widgets import CellView`` imports
:mod:`widgets.cell_view` then), so that the app's first tab does not wait for the modules
of the others (the embeddings pull in scikit-learn, the cell view networkx).

>>> import widgets
>>> widgets.DisorderView.__module__
'widgets.disorder_view'
"""

from __future__ import annotations

import importlib
import os
import sys

__all__ = ["CellView", "DisorderView", "EmbeddingMap", "SearchDashboard", "build_app"]
_HOME = {"CellView": "cell_view", "DisorderView": "disorder_view", "EmbeddingMap": "embedding_map",
         "SearchDashboard": "search_dashboard", "build_app": "app"}

#: set to 1 by ``python -m widgets.hosting`` in the kernels it starts (see :mod:`widgets.hosting`)
APP_KERNEL_ENV = "KTNAS_APP_KERNEL"
if os.environ.get(APP_KERNEL_ENV) == "1":
    # plotly imports nbformat, nbformat jsonschema, and jsonschema then imports rfc3987_syntax
    # (to check "iri" string formats, which nothing in the app asks for); that module builds
    # its grammar on import, 1-2 s of CPU in a kernel that imports the lineage view (a pool
    # kernel does, ahead of a visitor).  The served app's kernels skip it.
    sys.modules.setdefault("rfc3987_syntax", None)


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_HOME])
