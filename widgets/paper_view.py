"""The Paper tab: the paper's Tables II and III reproduced in the page, beside the paper's numbers.

Everything shown comes from the core's experiments API: the shipped result of ``ktnas reproduce
NAME --out docs/results`` (:func:`ktnas_core.experiments.paper_results.load_result`) opens at once; **Run**
recomputes the chosen strategies over seeds ``0..n-1`` in a worker thread
(:class:`~ktnas_core.experiments.paper_results.Reproduction`), and the table and charts follow the seeds
every strategy has finished.  The table is :func:`~ktnas_core.experiments.reproduce_report.summarize`:
mean with its 95% bootstrap interval, median, and the paired difference from the reference strategy
with its interval and Wilcoxon p-value; the paper's number beside each.  The chart is the share of
runs that have found each task's optimum with its bootstrap band (NB201) or the mean best-so-far
with a bootstrap band (TNB101).  Below: the ablation rows as shipped (``--ablation``), and for the
DARTS-style tables IV-VI what ``ktnas reproduce darts`` runs, its CPU-scale result and the GPU command.
This module holds the controls, the reproduction and the summary computed off the kernel's thread;
the tables are rendered by :mod:`widgets.paper_tables`, the chart by :mod:`widgets.paper_figure`.

In demo mode the server's limits apply: a reproduction holds one of the server's run places
(``KTNAS_MAX_RUNS``) while it runs, and strategies whose runs average more evaluations than a run
may make (``KTNAS_MAX_EVALS``; measured on the shipped result, e.g. random search on NB201) are
not offered; nor are more evaluations in all than that cap per run.

>>> import tempfile
>>> from ktnas_core.runs.rundirs import RunArea
>>> view = PaperView(RunArea(tempfile.mkdtemp()))
>>> view.wait(300)  # the shipped table's intervals and tests, computed in a worker thread
True
>>> view.shown["source"], len(view.rows) > 0
('nb201.json', True)
"""

from __future__ import annotations

import asyncio
import html
import threading
import time

import ipywidgets as w

from ktnas_core.errors import ParameterError
from ktnas_core.experiments.catalog import PAPER, PAPER_NAMES, REFERENCE, experiment
from ktnas_core.experiments.paper_results import Reproduction, demo_strategies, load_ablation, load_result, stored_summary
from ktnas_core.experiments.reproduce_report import summarize
from ktnas_core.runs.rundirs import RunArea, RunLimitError

from .paper_figure import draw_curves, paper_curves, paper_figure
from .paper_tables import ablation_html, darts_html, exports_html, long_rows, table_html
from .style import COLORS, SyncedBox, guarded

__all__ = ["PaperView", "EXPERIMENT_CHOICES", "MIN_SEEDS", "MAX_SEEDS"]

MIN_SEEDS, MAX_SEEDS = 10, 100
EXPERIMENT_CHOICES = (("Table II: NAS-Bench-201 (evaluations to each optimum)", "nb201"),
                      ("Table III: TransNAS-Bench-101 micro (50 evaluations per task)", "tnb101"))
PUMP_S, REDRAW_S = 0.25, 1.5  # poll the worker; redraw the table and chart at most this often while it runs


class PaperView(SyncedBox):
    """Reproduce Table II or III: choose strategies and seeds, run, read the table beside the paper's.

    Parameters
    ----------
    area : ktnas_core.runs.rundirs.RunArea
        Whose limits apply (the app's run area: this visitor's in demo mode).

    Attributes
    ----------
    shown : dict
        The result on show (the shipped one, or this page's run of complete seeds).
    rows : list of dict
        :func:`~ktnas_core.experiments.reproduce_report.summarize` of :attr:`shown`.
    job : Reproduction or None
    figure : widgets.line_chart.LineChart
        One panel per task; per strategy a line inside its band.
    """

    def __init__(self, area: RunArea, **kwargs):
        self.area, self.job, self._slot = area, None, None
        self.shown, self.rows, self.reference = {}, [], REFERENCE
        self._timer, self._drawn_seeds, self._drawn_at, self._ended = None, -1, 0.0, False
        self._pending = self._ready = self._failed = self._worker = None
        self._lock = threading.Lock()
        self.experiment = w.Dropdown(options=EXPERIMENT_CHOICES, value="nb201", description="Table",
                                     style={"description_width": "45px"}, layout=w.Layout(width="470px"))
        self.seeds = w.IntText(MIN_SEEDS, description="Seeds", style={"description_width": "45px"},
                               layout=w.Layout(width="130px"))
        self.strategy_boxes = w.HBox(layout=w.Layout(flex_flow="row wrap", grid_gap="0 14px"))
        self.run_button = w.Button(description="Run", icon="play", button_style="primary",
                                   tooltip="recompute the ticked strategies on seeds 0 … n-1 in the background")
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True,
                                    tooltip="stop after the run in progress; the finished seeds stay")
        self.shipped_button = w.Button(description="Shipped result", icon="book",
                                       tooltip="show the result shipped in docs/results again")
        self.progress_bar = w.IntProgress(0, min=0, max=1, layout=w.Layout(width="300px"))
        self.status, self.source, self.table, self.exports = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        self.ablation, self.darts = w.HTML(), w.HTML()
        self.figure = paper_figure()
        self.run_button.on_click(lambda _: self._safe(self.run))
        self.stop_button.on_click(lambda _: self._safe(self.stop))
        self.shipped_button.on_click(lambda _: self._safe(self.show_shipped))
        self.experiment.observe(lambda _: self._safe(self._on_experiment), names="value")
        row = w.Layout(flex_flow="row wrap", grid_gap="6px 14px", align_items="center")
        intro = w.HTML(
            f"<div style='color:{COLORS['muted']};font-size:13px;line-height:1.5;max-width:1200px'>"
            "The paper's tables, recomputed on the shipped benchmark tables by the same code as <code>ktnas "
            "reproduce</code>. The shipped result opens first; tick strategies, choose 10 to 100 seeds and "
            "<b>Run</b> to recompute them here (every strategy on the same seeds, so the comparison is paired). "
            "Each cell: mean [95% bootstrap interval of the mean], median, and the paper's number.</div>")
        super().__init__([intro, w.HBox([self.experiment, self.seeds], layout=row), self.strategy_boxes,
                          w.HBox([self.run_button, self.stop_button, self.shipped_button, self.progress_bar],
                                 layout=row),
                          self.status, self.source, self.table, self.exports, self.figure, self.ablation,
                          self.darts], **kwargs)
        self.add_class("ktnas-paper")
        self.layout.grid_gap = "6px"
        self._on_experiment()
        self.darts.value = darts_html()

    # -- choices --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.experiment.value

    @property
    def strategies(self) -> list[str]:
        """The ticked strategies, in the experiment's order."""
        return [c.description for c in self.strategy_boxes.children if c.value and not c.disabled]

    def _on_experiment(self) -> None:
        if self.job is not None and self.job.running:
            raise ParameterError("a reproduction is running; stop it first")
        exp = experiment(self.name)
        allowed, refused = demo_strategies(self.name, self.area.limits.max_evals)
        default = [s for s in exp.strategies if s in PAPER[self.name] or s == REFERENCE]
        boxes = []
        for s in exp.strategies:
            box = w.Checkbox(s in default and s in allowed, description=s, indent=False,
                             layout=w.Layout(width="auto"), disabled=s in refused)
            box.tooltip = (f"not on this server: its runs average {refused[s]:,.0f} evaluations, more than a run "
                           f"may make here (KTNAS_MAX_EVALS={self.area.limits.max_evals:,})" if s in refused
                           else PAPER_NAMES.get(s, ""))
            boxes.append(box)
        self.strategy_boxes.children = boxes
        self.show_shipped()
        self.ablation.value = ablation_html(self.name, load_ablation(self.name))

    def check(self) -> tuple[int, list[str]]:
        """The chosen seeds and strategies, checked against the tab's range and the server's limits."""
        seeds = self.seeds.value
        if not isinstance(seeds, int) or not MIN_SEEDS <= seeds <= MAX_SEEDS:
            raise ParameterError(f"seeds={seeds!r} is out of range; allowed: an integer in [{MIN_SEEDS}, "
                                 f"{MAX_SEEDS}]")
        chosen = self.strategies
        if not chosen:
            raise ParameterError(f"no strategy is ticked; tick some of {list(experiment(self.name).strategies)}")
        _, refused = demo_strategies(self.name, self.area.limits.max_evals)
        bad = [s for s in chosen if s in refused]
        if bad:
            raise RunLimitError(f"{bad} average more evaluations per run than this server allows "
                                f"(KTNAS_MAX_EVALS={self.area.limits.max_evals:,}); untick them")
        return seeds, chosen

    # -- running --------------------------------------------------------------------------
    def run(self) -> Reproduction:
        """Start recomputing the ticked strategies on the chosen seeds (a worker thread); returns the job.

        Raises
        ------
        ParameterError, RunLimitError
            For seeds outside [10, 100], no strategy, a strategy over the server's per-run cap, a
            reproduction already running, or a server with every run place taken.
        """
        if self.job is not None and self.job.running:
            raise ParameterError("a reproduction is running; stop it first")
        seeds, chosen = self.check()
        cap = self.area.limits.max_evals
        job = Reproduction(self.name, seeds, chosen, max_evals=None if cap is None else cap * seeds * len(chosen))
        self._slot = self.area.acquire()  # one of the server's run places, while it runs
        try:
            self.job = job.start()
        except BaseException:
            self._slot.release()
            raise
        self._drawn_seeds, self._drawn_at, self._ended = -1, 0.0, False
        self.run_button.disabled, self.stop_button.disabled, self.experiment.disabled = True, False, True
        self.progress_bar.max, self.progress_bar.value = job.total, 0
        self._set_status(f"running {len(chosen)} strategies × {seeds} seeds …")
        self._schedule()
        return job

    def stop(self) -> None:
        """Stop the reproduction after its current run; the seeds every strategy finished stay shown."""
        if self.job is not None and self.job.running:
            self.job.stop()
            self._set_status("stopping after the run in progress …")

    def pump(self) -> bool:
        """Bring the progress, table and chart up to date with the workers; whether one still works."""
        self._render()
        job = self.job
        if job is None or self._ended:
            return self.computing
        running = job.running
        self.progress_bar.max, self.progress_bar.value = job.total, job.done
        n = job.complete_seeds
        if n != self._drawn_seeds and (not running or time.monotonic() - self._drawn_at >= REDRAW_S):
            result = job.result()
            if result is not None:
                self._request(result, f"this page's run: {n} of {job.seeds} seeds complete"
                                      + ("" if running else f" ({job.state})"))
            self._drawn_seeds, self._drawn_at = n, time.monotonic()
        if running:
            self._set_status(f"{job.state}: {job.done} of {job.total} runs ({html.escape(job.label)}), "
                             f"{job.evals:,} evaluations")
            return True
        self._end()
        return self.computing

    def _end(self) -> None:
        job, self._ended = self.job, True
        if self._slot is not None:
            self._slot.release()
            self._slot = None
        self.run_button.disabled, self.stop_button.disabled, self.experiment.disabled = False, True, False
        if job.state == "failed":
            self._set_status(f"the reproduction failed: {html.escape(type(job.error).__name__)}: "
                             f"{html.escape(str(job.error))}", error=True)
        elif job.state == "capped":
            self._set_status(f"stopped at this server's cap of {job.max_evals:,} evaluations after "
                             f"{job.complete_seeds} complete seeds", error=True)
        else:
            self._set_status(f"{job.state}: {job.done} runs, {job.complete_seeds} complete seeds, "
                             f"{job.evals:,} evaluations in {job.seconds:.1f} s")

    def wait(self, timeout: float = 120.0) -> bool:
        """In a script: pump until the reproduction and its table are done; whether it did within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.job is not None:
                self.job.wait(0.1)
            else:
                time.sleep(0.1)
            if not self.pump():
                return True
        return False

    def _tick(self) -> None:
        self._timer = None
        if self._safe(self.pump):
            self._schedule()

    def _schedule(self) -> None:
        if self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no event loop (a script, a test): call pump() or wait() yourself
            self._timer = loop.call_later(PUMP_S, self._tick)

    # -- what is shown --------------------------------------------------------------------
    def show_shipped(self) -> None:
        """Show the shipped result of the chosen table (``docs/results/<name>.json``): at once where the file
        holds its summary, else once the intervals and tests are computed (in a worker thread)."""
        if self.job is not None and self.job.running:
            raise ParameterError("a reproduction is running; stop it first")
        result = load_result(self.name)
        command = f" — <code>{html.escape(result['command'])}</code>" if result.get("command") else ""
        self._request(result, f"shipped result <code>docs/results/{html.escape(result['source'])}</code>{command}, "
                              f"{result['seeds']} seeds")

    def _request(self, result: dict, label: str) -> None:
        """Compute the table and the curves of ``result`` off the kernel's thread (the paired tests of a few
        seeds are exact permutation tests: seconds); :meth:`pump` shows them."""
        ran = result["strategies"]
        reference = next((s for s in (REFERENCE, "ktnas-paper") if s in ran), ran[0])
        rows = stored_summary(result, reference)
        if rows is not None:  # the file holds them: no wait
            self._ready = (result, label, reference, rows, paper_curves(result))
            self._render()
            return
        with self._lock:
            self._pending = (result, label, reference)
            if self._worker is None:  # else the worker takes it when it ends the one in hand
                self._worker = threading.Thread(target=self._compute, daemon=True, name="ktnas-paper-summary")
                self._worker.start()
        if self.job is None or not self.job.running:
            self._set_status("computing the intervals and paired tests …")
        self._schedule()

    def _compute(self) -> None:
        while True:
            with self._lock:
                if self._pending is None:
                    self._worker = None
                    return
                (result, label, reference), self._pending = self._pending, None
            try:
                self._ready = (result, label, reference, summarize(result, reference), paper_curves(result))
            except Exception as e:  # noqa: BLE001 - shown in the status line by pump()
                self._failed = e

    @property
    def computing(self) -> bool:
        """Whether a table is being computed (or computed and not yet shown)."""
        return self._pending is not None or self._ready is not None or self._worker is not None

    def _render(self) -> None:
        if self._failed is not None:
            e, self._failed = self._failed, None
            self._set_status(f"the table could not be computed: {html.escape(type(e).__name__)}: "
                             f"{html.escape(str(e))}", error=True)
        if self._ready is None:
            return
        (result, label, self.reference, self.rows, curves), self._ready = self._ready, None
        self.shown = result
        self.table.value = table_html(result, self.rows, self.reference)
        self.exports.value = exports_html(result, self.rows, self.reference)
        draw_curves(self.figure, result, curves)
        self.source.value = (f"<div style='font-size:13px;color:{COLORS['ink']}'>Showing: {label}. Paired "
                             f"against <b>{html.escape(self.reference)}</b> over the same seeds.</div>")
        if self.job is None or not self.job.running:
            if "computing" in self.status.value:
                self._set_status("")

    def long_rows(self) -> list[dict]:
        """The table shown as one row per strategy and quantity (what the CSV and JSON exports hold;
        :func:`~widgets.paper_tables.long_rows`)."""
        return long_rows(self.shown, self.rows, self.reference)

    def _set_status(self, text: str, error: bool = False) -> None:
        color = COLORS["topk"] if error else COLORS["muted"]
        self.status.value = f"<div class='ktnas-paper-status' style='color:{color};font-size:13px'>{text}</div>"

    def _safe(self, fn):
        """Run a UI action; a ktnas error (or any other) goes to the status line, never escapes."""
        return guarded(fn, lambda text: self._set_status(text, True))
