"""ipywidgets + plotly views over :mod:`ktnas_core` (public names only), one view per module.

:func:`build_app` composes them; ``notebooks/app.ipynb`` (the Voilà entry) calls it.
"""

from __future__ import annotations

from .app import build_app
from .disorder_view import DisorderView

__all__ = ["DisorderView", "build_app"]
