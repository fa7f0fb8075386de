"""The ktnas app: a header and one tab per view (``notebooks/app.ipynb`` calls :func:`build_app`).

Tabs: the ranking-disorder explorer; cells and embeddings (the embedding map with the
cell view beside it: clicking a point shows that cell); the search dashboard, with the runs
table that compares runs and its own map on which the cells of the latest generation are
drawn; the transfer lineage of a run (clicking a transfer draws its cell); the paper's Tables II
and III reproduced in the page (:mod:`widgets.paper_view`).
"""

from __future__ import annotations

import asyncio
import importlib
import os
from typing import TYPE_CHECKING

import ipywidgets as w

from ktnas_core.runs.rundirs import RunArea, run_area

from .disorder_view import DisorderView
from .style import COLORS, SyncedBox, sync_figures

if TYPE_CHECKING:
    from .cell_view import CellView
    from .embedding_map import EmbeddingMap
    from .search_dashboard import SearchDashboard

__all__ = ["App", "build_app", "import_tabs", "TITLE", "TAB_TITLES", "link_map_to_cell", "link_search_to_map"]

TITLE = "ktnas: cross-task NAS explorer"
TAB_TITLES = ("Ranking disorder", "Cells & embeddings", "Search", "Transfer lineage", "Paper")
#: the maps open on PCA: node2vec puts equivalent cells on one vector, and UMAP turns those
#: duplicates into tight islands; PCA keeps the quality gradient visible (UMAP is one click away)
MAP_METHOD = "pca"
CREDIT = (
    "Real published data, shipped with ktnas: <b>NAS-Bench-201</b> / <b>NATS-Bench</b> (Dong &amp; Yang, ICLR 2020; "
    "Dong et al., TPAMI 2021) and <b>TransNAS-Bench-101</b> (Duan et al., CVPR 2021). "
    "Sources, licences and column meanings: <code>ktnas_core/benchmarks/DATA.md</code>."
)
EXPLORE_NOTE = (
    "Every point is one cell of the space, placed by a 2-D map (UMAP or PCA) of its embedding: cells whose "
    "embeddings are close sit close. Colour by a task's score or rank, or by the disorder between two tasks. "
    "<b>Click a point</b> to draw that cell on the right; tick <i>compare</i> there to see what one edge changes."
)
SEARCH_NOTE = (
    "Pick a benchmark, tasks and an algorithm, then <b>Start</b>: the search runs on the shipped table in a "
    "background thread (seconds). The map below shows the cells evaluated in the latest generation; "
    "<b>Stop</b> keeps every evaluation, and <b>Resume</b> continues a stopped run exactly."
)


def _header() -> w.HTML:
    return w.HTML(
        f"<div style='color:{COLORS['ink']};font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif'>"
        f"<div style='font-size:24px;font-weight:600;margin:0 0 4px 0'>{TITLE}</div>"
        f"<div style='font-size:13px;color:{COLORS['muted']}'>{CREDIT}</div></div>",
        layout=w.Layout(padding="10px 8px 12px 8px", border_bottom="1px solid #e1e5ec", margin="0 0 8px 0"),
    )


def _note(text: str) -> w.HTML:
    return w.HTML(f"<div style='color:{COLORS['muted']};font-size:13px;line-height:1.5;max-width:1200px'>"
                  f"{text}</div>", layout=w.Layout(margin="4px 0 6px 4px"))


class App(SyncedBox):
    """The app's top-level box (brings its figures up to date when it is displayed).

    The second and third tabs are built the first time they are selected (or one of their
    views is asked for), so the page first sends and draws one tab, not three.

    Attributes
    ----------
    disorder, embedding_map, cell_view, dashboard, compare, search_map, lineage, paper
        The views, for scripting the app (e.g. ``app.cell_view.show(6111)``).
    runs : ktnas_core.runs.rundirs.RunArea
        Where the dashboard's runs go (this visitor's folder in demo mode), confined, with its limits.
    """

    def _setup(self, benchmark: str, runs: RunArea) -> None:
        self._benchmark, self.runs = benchmark, runs
        self.disorder = DisorderView(benchmark)
        self._panes = [w.VBox(), w.VBox(), w.VBox(), w.VBox()]
        self.tabs = w.Tab(children=[self.disorder, *self._panes], titles=TAB_TITLES, layout=w.Layout(width="auto"))
        self.tabs.observe(lambda change: self._build(change["new"]), names="selected_index")
        self.children = [_header(), self.tabs]

    def _build(self, index) -> None:
        # each tab's modules are imported when it is first built: the first tab does not wait for them
        if index == 1 and not self._panes[0].children:
            from .cell_view import CellView
            from .embedding_map import EmbeddingMap

            self._embedding_map = EmbeddingMap(self._benchmark, method=MAP_METHOD)
            self._cell_view = CellView(self._benchmark)
            link_map_to_cell(self._embedding_map, self._cell_view)
            views = w.HBox([self._embedding_map, self._cell_view], layout=w.Layout(flex_flow="row wrap",
                                                                                   grid_gap="16px"))
            sync_figures(views)  # it joins a displayed app: bring its figures' synced state up to date
            self._panes[0].children = [_note(EXPLORE_NOTE), views]
        elif index == 2 and not self._panes[1].children:
            from .embedding_map import EmbeddingMap
            from .runs_compare import RunsCompare
            from .search_dashboard import SearchDashboard

            self._dashboard = SearchDashboard(self.runs)
            self._compare = RunsCompare(self._dashboard)
            self._search_map = EmbeddingMap(self._benchmark, method=MAP_METHOD)
            link_search_to_map(self._dashboard, self._search_map)
            self._dashboard.on_run(lambda what, handle: self._refresh_lineage())
            for view in (self._dashboard, self._compare, self._search_map):
                sync_figures(view)
            self._panes[1].children = [_note(SEARCH_NOTE), self._dashboard, self._compare, self._search_map]
        elif index == 3 and not self._panes[2].children:
            from .lineage_view import LineageView

            self._lineage = LineageView(self._benchmark)
            sync_figures(self._lineage)
            self._panes[2].children = [self._lineage]
        elif index == 4 and not self._panes[3].children:
            from .paper_view import PaperView  # its tab only: the statistics and the tables load on demand

            self._paper = PaperView(self.runs)
            sync_figures(self._paper)
            self._panes[3].children = [self._paper]
        if index == 3:
            self._refresh_lineage()

    def _refresh_lineage(self) -> None:
        """Offer every run of this visitor in the lineage tab (if built); reload the one shown."""
        view = getattr(self, "_lineage", None)
        if view is None:
            return
        runs = [(f"{p.name} ({status})", str(p)) for p, status in self.runs.list_runs()]
        shown = view.run_choice.value
        view.set_runs(runs)
        if shown is not None and view.run_choice.value == shown:
            view._safe(lambda: view.show_run(shown))  # the same run: its log may have grown

    def _view(self, name: str, tab: int):
        self._build(tab)
        return getattr(self, name)

    embedding_map = property(lambda self: self._view("_embedding_map", 1))
    cell_view = property(lambda self: self._view("_cell_view", 1))
    dashboard = property(lambda self: self._view("_dashboard", 2))
    search_map = property(lambda self: self._view("_search_map", 2))
    compare = property(lambda self: self._view("_compare", 2))
    lineage = property(lambda self: self._view("_lineage", 3))
    paper = property(lambda self: self._view("_paper", 4))


def link_map_to_cell(embedding_map: EmbeddingMap, cell_view: CellView) -> None:
    """Clicking a point of ``embedding_map`` shows that cell in ``cell_view`` (same benchmark)."""

    def show(index: int) -> None:
        if cell_view.benchmark.name != embedding_map.benchmark.name:
            cell_view.set_benchmark(embedding_map.benchmark.name)
        cell_view.show(int(index))

    embedding_map.on_select(show)


def link_search_to_map(dashboard: SearchDashboard, search_map: EmbeddingMap) -> None:
    """Draw the cells of each generation of ``dashboard``'s run on ``search_map``.

    The dashboard reports one task at a time; under a running event loop (a kernel) the reports of
    one redraw are drawn together, once: each redraw of the 15,625-dot map costs the browser about
    0.1 s, and three of them in a row held up the run's first curve."""
    latest: dict[str, list] = {}
    queued = False  # a flush is waiting for the loop

    def flush() -> None:
        nonlocal queued
        queued = False
        cells = sorted({i for v in latest.values() for i in v})
        search_map.highlight(cells, name=f"latest generation ({', '.join(latest)})")

    def draw(task: str, indices: list) -> None:
        nonlocal queued
        bench = dashboard.benchmark.value
        if search_map.benchmark.name != bench:
            search_map.set_benchmark(bench)
            latest.clear()
        latest[task] = list(indices)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            flush()  # a script or a test: at once
            return
        if not queued:
            queued = True
            loop.call_soon(flush)

    dashboard.on_population(draw)


def build_app(benchmark: str = "nb201", runs_dir: str | None = None) -> App:
    """The whole app as one widget: the header over a tab per view.

    Parameters
    ----------
    benchmark : {"nb201", "tnb101_micro"}
        What the views show first.
    runs_dir : str or None
        Root of the dashboard's run directories (created on the first start); default
        ``$KTNAS_RUNS_DIR``, else ``runs`` in the working directory.  Run directories are
        confined to it.  With ``KTNAS_DEMO=1`` each app (each Voilà visitor: one kernel) gets
        its own ``visitor-<id>`` folder under it and the demo limits apply; the ``KTNAS_*``
        variables of :mod:`ktnas_core.runs.rundirs` set them.

    >>> app = build_app()
    >>> app.children[1].titles
    ('Ranking disorder', 'Cells & embeddings', 'Search', 'Transfer lineage', 'Paper')
    """
    app = App(layout=w.Layout(padding="4px 12px", max_width="1440px"))
    app._setup(benchmark, run_area(runs_dir))
    if os.environ.get("VOILA_PREHEAT", "").lower() == "true":
        import_tabs()  # a kernel waiting in Voilà's pool: no visitor waits for these imports now
    return app


def import_tabs() -> None:
    """Import the modules of the tabs built on demand (scikit-learn, networkx and the search come
    with them: about 3 s), and those a search imports when it starts (the predictors and the
    transfer-rank classifier: 0.1-0.2 s more), so that opening those tabs later costs only building
    them and Start draws its first curve sooner."""
    for name in ("cell_view", "embedding_map", "search_dashboard", "runs_compare", "lineage_view", "paper_view"):
        importlib.import_module(f"{__package__}.{name}")
    for name in ("ktnas_core.predictors", "ktnas_core.transfer_rank"):
        importlib.import_module(name)
