"""The ktnas app: a header and one tab per view (``notebooks/app.ipynb`` calls :func:`build_app`)."""

from __future__ import annotations

import ipywidgets as w

from .disorder_view import DisorderView
from .style import COLORS, sync_figures

__all__ = ["App", "build_app", "TITLE"]

TITLE = "ktnas: cross-task NAS explorer"
CREDIT = (
    "Real published data, shipped with ktnas: <b>NAS-Bench-201</b> / <b>NATS-Bench</b> (Dong &amp; Yang, ICLR 2020; "
    "Dong et al., TPAMI 2021) and <b>TransNAS-Bench-101</b> (Duan et al., CVPR 2021). "
    "Sources, licences and column meanings: <code>ktnas_core/benchmarks/DATA.md</code>."
)


def _header() -> w.HTML:
    return w.HTML(
        f"<div style='color:{COLORS['ink']};font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif'>"
        f"<div style='font-size:24px;font-weight:600;margin:0 0 4px 0'>{TITLE}</div>"
        f"<div style='font-size:13px;color:{COLORS['muted']}'>{CREDIT}</div></div>",
        layout=w.Layout(padding="10px 8px 12px 8px", border_bottom="1px solid #e1e5ec", margin="0 0 8px 0"),
    )


class App(w.VBox):
    """The app's top-level box; brings its figures up to date when it is displayed."""

    def _repr_mimebundle_(self, **kwargs):
        sync_figures(self)
        return super()._repr_mimebundle_(**kwargs)


def build_app(benchmark: str = "nb201") -> w.Widget:
    """The whole app as one widget: the header over a tab per view.

    Parameters
    ----------
    benchmark : {"nb201", "tnb101_micro"}
        What the ranking-disorder view shows first.

    >>> app = build_app()
    >>> app.children[1].titles
    ('Ranking disorder',)
    """
    disorder_view = DisorderView(benchmark)
    tabs = w.Tab(children=[disorder_view], titles=("Ranking disorder",), layout=w.Layout(width="auto"))
    return App([_header(), tabs], layout=w.Layout(padding="4px 12px", max_width="1300px"))
