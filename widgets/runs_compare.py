"""Compare runs: a table of every run of this page and of its runs folder, tick several to overlay.

Each row is one run directory (read with :func:`ktnas_core.runs.report.read_run`): strategy,
seed, benchmark, per task the evaluations to the optimum (or to the best cell found) and the
regret, and its status.  Ticked runs are drawn on one task each in its own colour with a legend
entry; runs of one strategy (same benchmark and tasks) over several seeds become one median
line inside its interquartile band (tick *seeds separately* for a line per run).  The results
below and their CSV / JSON exports cover the ticked runs.  **Run 10 seeds** starts the
dashboard's current settings on ten consecutive seeds, one after another, within the server's
limits, and ticks them as they finish.

>>> import tempfile
>>> from widgets.search_dashboard import SearchDashboard
>>> dash = SearchDashboard(tempfile.mkdtemp())
>>> compare = RunsCompare(dash)
>>> dash.algorithm.value, dash.budget.value = "rea", 20
>>> compare.run_seeds(2) and compare.wait(30)
True
>>> [r.seed for r in compare.records], compare.selected == [r.path for r in compare.records]
([0, 1], True)
>>> [line.name for line in compare.figure.series]
['rea · 2 seeds (median, IQR)']
"""

from __future__ import annotations

import html
import time
from pathlib import Path

import ipywidgets as w

from ktnas_core.errors import KtnasError, ParameterError
from ktnas_core.runs.report import COLUMNS, RunRecord, band, read_run, report_rows
from ktnas_core.runs.rundirs import RunLimitError

from .compare_figure import EMPTY_TITLE, MAX_SERIES, Series, compare_figure, draw_series
from .dashboard_training import export_links, table_html
from .style import COLORS, SyncedBox, guarded

__all__ = ["RunsCompare", "N_SEEDS"]

N_SEEDS = 10  # the "run N seeds" button
GRID = "28px 230px 110px 44px 84px minmax(260px, 1fr) 150px 90px"
HEAD = ("", "run", "strategy", "seed", "benchmark", "per task: evaluations to the optimum ✓, or to the best found",
        "regret per task", "status")
SHOWN = ("run", "strategy", "seed", "task", "rank", "regret", "evals", "status")  # of the selection's rows


def _cell(text: str, title: str = "") -> w.HTML:
    tip = f" title='{html.escape(title)}'" if title else ""
    return w.HTML(f"<div style='font-size:12.5px;line-height:1.35'{tip}>{text}</div>")


def _per_task(rec: RunRecord) -> tuple[str, str]:
    """The run's per-task cells: evaluations to the optimum (✓) or to its best, and the regrets."""
    reach, regret = [], []
    for t in rec.tasks:
        opt, best, r = rec.to_optimum[t], rec.to_best[t], rec.regret[t]
        name = f"<span style='color:{COLORS['muted']}'>{html.escape(t)}</span>"
        reach.append(f"{name} <b style='color:{COLORS['accent']}'>✓ {opt}</b>" if opt is not None
                     else f"{name} {best if best is not None else '–'}")
        regret.append("–" if r is None else f"{r:.3f}")
    return " · ".join(reach), " · ".join(regret)


class RunsCompare(SyncedBox):
    """The runs table, its overlay figure and the selection's results, under a search dashboard.

    Parameters
    ----------
    dashboard : widgets.search_dashboard.SearchDashboard
        Whose run area is listed, whose settings "run 10 seeds" uses, and whose runs refresh the table.

    Attributes
    ----------
    records : list of RunRecord
        The listed runs, by folder name.
    figure : widgets.line_chart.LineChart
    task : ipywidgets.Dropdown
        The (benchmark, task) the figure shows.
    """

    def __init__(self, dashboard, **kwargs):
        self.dashboard, self.records, self._ticked, self._cache = dashboard, [], {}, {}
        self._head: list[w.HTML] | None = None
        self._rows: dict[Path, tuple[tuple, list[w.Widget]]] = {}  # a run folder's row: its content, its widgets
        self._queue, self._batch = [], []
        self.grid = w.GridBox(layout=w.Layout(grid_template_columns=GRID, grid_gap="2px 10px", align_items="center",
                                              max_height="330px", overflow="auto", padding="4px",
                                              border=f"1px solid {COLORS['grid']}"))
        self.task = w.Dropdown(description="Task", options=[], style={"description_width": "50px"},
                               layout=w.Layout(width="330px"))
        self.separate = w.Checkbox(False, description="seeds separately", indent=False)
        self.seeds_button = w.Button(description=f"Run {N_SEEDS} seeds", icon="forward", button_style="info",
                                     tooltip=f"the settings above on seeds seed … seed+{N_SEEDS - 1}, one at a time")
        self.all_button, self.none_button, self.refresh_button = (w.Button(description=d, icon=i) for d, i in (
            ("tick all", "check-square"), ("untick all", "square"), ("refresh", "refresh")))
        self.status, self.results = w.HTML(), w.HTML()
        self.figure = compare_figure()
        self.seeds_button.on_click(lambda _: self._safe(lambda: self.run_seeds(N_SEEDS)))
        self.all_button.on_click(lambda _: self.select([r.path for r in self.records]))
        self.none_button.on_click(lambda _: self.select([]))
        self.refresh_button.on_click(lambda _: self._safe(self.refresh))
        for control in (self.task, self.separate):
            control.observe(lambda _: self._safe(self._draw), names="value")
        dashboard.on_run(self._on_run)
        row = w.Layout(flex_flow="row wrap", grid_gap="6px 14px", align_items="center")
        heading = w.HTML(f"<div style='font-size:17px;font-weight:600;color:{COLORS['ink']}'>Compare runs</div>"
                         f"<div style='font-size:13px;color:{COLORS['muted']}'>Every run of this page and of its "
                         "runs folder. Tick runs to overlay them; runs of one strategy over several seeds are drawn "
                         "as the median inside the band from the 25th to the 75th percentile.</div>")
        kwargs.setdefault("layout", w.Layout(padding="14px 4px 4px 4px", grid_gap="6px",
                                             border_top=f"1px solid {COLORS['grid']}", margin="12px 0 0 0"))
        super().__init__([heading, w.HBox([self.seeds_button, self.all_button, self.none_button, self.refresh_button,
                                           self.status], layout=row), self.grid,
                          w.HBox([self.task, self.separate], layout=row), self.figure, self.results], **kwargs)
        self.add_class("ktnas-compare")
        self.refresh()

    # -- the table ----------------------------------------------------------------------
    @property
    def selected(self) -> list[Path]:
        """The ticked runs' folders, in table order."""
        return [r.path for r in self.records if self._ticked.get(r.path)]

    def select(self, paths) -> None:
        """Tick exactly ``paths`` (run folders; unknown ones are ignored) and redraw."""
        want = {Path(p) for p in paths}
        self._ticked = {r.path: r.path in want for r in self.records}
        self._build_grid()
        self._safe(self._draw)

    def refresh(self, draw: bool = True) -> None:
        """Re-read the run folders (a run's log is read again only when it has changed); ``draw=False``
        leaves the figure as it is (a run just started is not ticked: nothing on it changes)."""
        records = []
        for path, _ in self.dashboard.area.list_runs():
            log = path / "events.jsonl"
            stamp = (log.stat().st_mtime_ns, log.stat().st_size) if log.is_file() else None
            hit = self._cache.get(path)
            if hit is None or hit[0] != stamp:
                try:
                    hit = self._cache[path] = (stamp, read_run(path))
                except KtnasError:
                    continue  # not a table or training run, or a damaged log: not listed
            records.append(hit[1])
        self.records = records
        self._build_grid()
        if draw:
            self._draw()

    def _build_grid(self) -> None:
        """Lay the table out again: a row whose content is unchanged keeps its widgets; the widgets of
        a changed or vanished row are closed (a page following many runs would otherwise keep every
        row it was ever sent)."""
        if self._head is None:
            self._head = [_cell(f"<b>{html.escape(h)}</b>") for h in HEAD]
        rows: dict[Path, tuple[tuple, list[w.Widget]]] = {}
        for r in self.records:
            reach, regret = _per_task(r)
            ticked = bool(self._ticked.get(r.path))
            key = (ticked, r.strategy, r.seed, r.benchmark, reach, regret, r.status)
            old = self._rows.get(r.path)
            if old is not None and old[0] == key:
                rows[r.path] = old
                continue
            box = w.Checkbox(ticked, indent=False, layout=w.Layout(width="24px"))
            box.observe(lambda c, p=r.path: self._tick(p, c["new"]), names="value")
            name = self.dashboard.area.label(r.path)
            rows[r.path] = (key, [box, _cell(f"<code>{html.escape(r.path.name)}</code>", name),
                                  _cell(html.escape(r.strategy)), _cell(str(r.seed)), _cell(html.escape(r.benchmark)),
                                  _cell(reach), _cell(regret), _cell(html.escape(r.status))])
        gone = [widget for path, (key, row) in self._rows.items() if rows.get(path, (None, None))[1] is not row
                for widget in row]
        self._rows = rows
        self.grid.children = [*self._head, *(widget for _, row in rows.values() for widget in row)]
        for widget in gone:
            widget.close()

    def _tick(self, path: Path, value: bool) -> None:
        self._ticked[path] = bool(value)
        self._safe(self._draw)

    def _on_run(self, what: str, handle) -> None:
        # at a start only the table: a run just started is not ticked, and a redrawn figure would
        # go out to the page ahead of the new run's first curve
        self.refresh(draw=what != "start")
        if what == "end" and self._queue:
            self._next_seed()
        elif what == "end" and self._batch:
            self._set_status(f"{len(self._batch)} seeds done")
            self._batch = []

    # -- the figure and the results -----------------------------------------------------
    def _series(self, chosen: list, key: tuple) -> list[Series]:
        bench, task = key
        runs = [r for r in chosen if r.benchmark == bench and task in r.tasks and len(r.curves[task])]
        groups: dict = {}
        for r in runs:
            groups.setdefault(r.path if self.separate.value else r.group, []).append(r)
        out = []
        for members in groups.values():
            if len(members) == 1:
                r = members[0]
                out.append(Series(f"{r.strategy} seed {r.seed}", list(range(1, len(r.curves[task]) + 1)),
                                  r.curves[task].tolist()))
            else:
                x, median, q25, q75 = band([r.curves[task] for r in members])
                out.append(Series(f"{members[0].strategy} · {len(members)} seeds", x.tolist(), median.tolist(),
                                  q25.tolist(), q75.tolist(), len(members)))
        return out

    def _draw(self) -> None:
        chosen = [r for r in self.records if self._ticked.get(r.path)]
        keys = list(dict.fromkeys((r.benchmark, t) for r in chosen for t in r.tasks))
        options = [(f"{t} ({b})", (b, t)) for b, t in keys]
        if [o[1] for o in self.task.options] != keys:
            old = self.task.value
            self.task.options = options
            self.task.value = old if old in keys else (keys[0] if keys else None)
        if not chosen or self.task.value is None:
            draw_series(self.figure, [], "", EMPTY_TITLE)
            self.results.value = ""
            return
        series = self._series(chosen, self.task.value)
        bench, task = self.task.value
        what = "validation error (100% − best accuracy)" if bench == "train" else "regret of the best so far"
        more = f" (the first {MAX_SERIES} of {len(series)} series)" if len(series) > MAX_SERIES else ""
        draw_series(self.figure, series, task, f"{what.capitalize()} on {task} ({bench}): "
                                               f"{len(chosen)} run{'s' * (len(chosen) > 1)} ticked{more}",
                    training=bench == "train")
        self._show_results(chosen)

    def _show_results(self, chosen: list) -> None:
        rows = report_rows([r.path for r in chosen])
        for row in rows:
            row["run"] = Path(row["run"]).name  # the folder's name: no server paths in the page or the exports
        fmt = {"regret": lambda v: f"{v:.4f}", "rank": lambda v: f"{v:,}"}
        body = [["-" if r[k] is None else fmt.get(k, str)(r[k]) for k in SHOWN] for r in rows]
        self.results.value = (f"<div style='font-size:13px'><b>Results of the {len(chosen)} ticked run"
                              f"{'s' * (len(chosen) > 1)}</b> (best cell per task: its rank on the table and regret)"
                              f"<div style='max-height:320px;overflow-y:auto'>{table_html(SHOWN, body)}</div>"
                              f"<div style='margin-top:6px'>export the selection: {export_links('selection', rows, COLUMNS)}</div>"
                              "</div>")

    # -- several seeds ------------------------------------------------------------------
    def run_seeds(self, n: int = N_SEEDS) -> bool:
        """Start the dashboard's settings on ``n`` seeds from its seed on, one run after another;
        each is ticked as it finishes.  Returns whether the first one started.

        Raises
        ------
        RunLimitError
            When the visitor's folders or the evaluations per run would pass the server's limits.
        """
        dash, area = self.dashboard, self.dashboard.area
        if dash.handle is not None and dash.handle.running or self._queue:
            raise ParameterError("a run is going; stop it first")
        limit = area.limits.max_visitor_runs
        have = sum(1 for p in area.path.iterdir() if p.is_dir() and not p.name.startswith(".")) \
            if area.path.is_dir() else 0
        if limit is not None and have + n > limit:
            raise RunLimitError(f"{n} seeds need {n} new run folders; this visitor has {have} of the {limit} this "
                                f"server keeps (KTNAS_MAX_VISITOR_RUNS={limit})")
        area.check_run(dash.budget.value, len(dash.tasks), dash.training_mode)
        first = dash.seed.value
        self._queue, self._batch = list(range(first, first + n)), []
        return self._next_seed()

    def _next_seed(self) -> bool:
        dash, seed = self.dashboard, self._queue.pop(0)
        dash.seed.value = seed
        handle = dash.start()
        if handle is None:  # refused (the reason is in the dashboard's status line)
            self._set_status(f"stopped the seeds at seed {seed}: see the status above", error=True)
            self._queue = []
            return False
        self._batch.append(handle.run_dir)
        self._ticked[handle.run_dir] = True
        total = len(self._batch) + len(self._queue)
        self._set_status(f"running seed {seed}: {len(self._batch)} of {total}")
        return True

    def wait(self, timeout: float = 60.0) -> bool:
        """In a script: pump the dashboard until the seeds started by :meth:`run_seeds` are done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            h = self.dashboard.handle
            if h is not None:
                h.wait(0.05)
            self.dashboard.pump()
            if not self._queue and (h is None or (not h.running and self.dashboard._done_seen)):
                return True
        return False

    def _set_status(self, text: str, error: bool = False) -> None:
        color = COLORS["topk"] if error else COLORS["muted"]
        self.status.value = f"<span style='color:{color};font-size:13px'>{text}</span>"

    def _safe(self, fn):
        """Run a UI action; a ktnas error (or any other) goes to the status line, never escapes."""
        return guarded(fn, lambda text: self._set_status(text, True))
