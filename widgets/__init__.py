"""ipywidgets + plotly views over :mod:`ktnas_core` (public names only), one view per module.

:func:`build_app` composes them; ``notebooks/app.ipynb`` (the Voilà entry) calls it.
"""

from __future__ import annotations

from .app import build_app
from .cell_view import CellView
from .disorder_view import DisorderView
from .embedding_map import EmbeddingMap
from .search_dashboard import SearchDashboard

__all__ = ["CellView", "DisorderView", "EmbeddingMap", "SearchDashboard", "build_app"]
