"""The search dashboard: configure a multi-task search, run it live, compare it with earlier runs.

The configuration form is :class:`~widgets.search_form.SearchForm` (its controls are the
dashboard's attributes too: ``dash.algorithm``, ``dash.budget``, ...); this module runs what it
describes and shows the run.  The search runs in a worker thread
(:func:`ktnas_core.runs.runner.start_run`); the dashboard's :meth:`~SearchDashboard.pump` drains
its events on the kernel's event loop every 0.25 s, folds them (:func:`ktnas_core.runs.runner.fold`)
into a ``RunTrace`` and draws the figure (earlier runs faint beside it), progress bar and transfer
log; the UI never waits.  In a script, call ``pump()``.

>>> import tempfile
>>> dash = SearchDashboard(tempfile.mkdtemp())
>>> dash.algorithm.value, dash.budget.value = "rea", 20
>>> handle = dash.start()
>>> handle.wait(10), dash.pump() > 0, dash.progress_bar.value
(True, True, 60)
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable
from pathlib import Path

import ipywidgets as w

from ktnas_core import benchmarks
from ktnas_core.errors import ParameterError
from ktnas_core.runs.report import COLUMNS, report_rows
from ktnas_core.runs.rundirs import RunArea
from ktnas_core.runs.runner import FINISHED_REASONS, RunTrace, fold, resume_run, start_run
from ktnas_core.search import TableEvaluator, read_events

from .dashboard_figure import MAX_TASKS, dashboard_figure, draw_dashboard
from .dashboard_progress import progress
from .dashboard_training import field as _field, is_training, read_config, results_html, run_label
from .dashboard_training import transfer_log_html
from .search_form import CONTROLS, DEFAULT_TASKS, ROW, SearchForm
from .style import COLORS, SyncedBox, guarded

__all__ = ["SearchDashboard", "DEFAULT_TASKS"]

PUMP_S, LOG_ROWS, MAX_PER_PUMP, POPULATION_S = 0.25, 12, 5_000, 1.0  # a full pump takes about 0.1 s
FIRST_PUMP_S = 0.05  # the first look at a run just started: its first evaluations are drawn at once
TASK_COLORS = (COLORS["cells"], COLORS["topk"], COLORS["accent"], "#8e6bbf", "#c9a227", "#d45087", "#3b8ea5")


class SearchDashboard(SyncedBox):
    """Configure, run, stop, resume and compare searches on a tabular benchmark, or (``evaluation``
    "train") searches that train every candidate on data sets, with per-epoch progress.

    Parameters
    ----------
    runs_dir : path or RunArea, default "runs"
        Where new run directories go and where resumable ones are looked for. A
        :class:`~ktnas_core.runs.rundirs.RunArea` (the app's) also confines every run directory
        to its folder and applies its limits; a plain path confines nothing.

    Attributes
    ----------
    figure : widgets.line_chart.LineChart
        Regret of the best cell so far per task (optimum minus best score; trained: 100% minus
        it) against evaluations and simulated (trained: measured) GPU-hours; earlier runs faint.
    handle, trace : RunHandle and RunTrace, or None
        The run shown now (None before the first start or resume) and what is folded of it.
    status, progress_bar, progress_text, transfer_log, results : ipywidgets widgets
    """

    def __init__(self, runs_dir="runs", **kwargs):
        self.area = runs_dir if isinstance(runs_dir, RunArea) else RunArea(runs_dir, confined=False)
        self.runs_dir = self.area.path
        self.handle, self.trace, self._bench, self._current, self._earlier = None, None, None, {}, []
        self._label, self._title = "", ""
        self._train, self._kind, self._pending_population, self._population_at = False, False, {}, 0.0
        self._done_seen, self._pump_timer, self._population_cbs, self._run_cbs, self._done0 = True, None, [], [], 0
        self.form = SearchForm(training=self.area.limits.training, safe=self._safe)  # a demo only looks scores up
        for name in CONTROLS:  # dash.algorithm, dash.budget, ...: the form's controls
            setattr(self, name, getattr(self.form, name))
        self.start_button, self.stop_button, self.resume_button, self.clear_button = (w.Button(
            description=d, icon=i) for d, i in (("Start", "play"), ("Stop", "stop"), ("Resume", "repeat"),
                                                ("clear earlier runs", "eraser")))
        self.start_button.button_style, self.stop_button.disabled = "primary", True
        self.resume_choice = _field(w.Dropdown, None, "Resumable", "420px", options=[])
        self.status, self.progress_text, self.transfer_log, self.results = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        self.progress_bar = w.IntProgress(0, min=0, max=1, layout=w.Layout(width="420px"))
        self.figure = dashboard_figure()
        for button, action in ((self.start_button, self.start), (self.stop_button, self.stop),
                               (self.resume_button, self.resume), (self.clear_button, self.clear)):
            button.on_click(lambda _, action=action: self._safe(action))
        controls = [[self.start_button, self.stop_button, self.resume_choice, self.resume_button, self.clear_button],
                    [self.status], [self.progress_bar, self.progress_text], [self.training.epoch_text]]
        panels = w.HBox([self.transfer_log, self.results], layout=w.Layout(flex_flow="row wrap", grid_gap="24px"))
        kwargs.setdefault("layout", w.Layout(padding="8px 4px", grid_gap="6px"))
        super().__init__([*self.form.rows, *(w.HBox(c, layout=w.Layout(**ROW)) for c in controls), self.figure,
                          panels], **kwargs)
        self.refresh_runs()

    @property
    def training_mode(self) -> bool:
        """Whether Start trains every candidate (else it looks scores up in the benchmark's table)."""
        return self.form.training_mode

    @property
    def tasks(self) -> list[str]:
        """The ticked tasks: the benchmark's (in its order), or in training mode the data sets."""
        return self.form.tasks

    def start(self):
        """Start a run with the current settings; returns its handle, or None (the error is in the status)."""
        return self._safe(self._start)

    def _start(self):
        self._check_idle()
        form, train = self.form, self.form.training_mode
        form.check_tasks()
        self.area.check_run(self.budget.value, len(self.tasks), train)
        strategy = form.make_strategy()
        run_dir = self.area.new_run_dir(form.run_name())
        handle = self.area.guarded(start_run, strategy, form.make_evaluator(run_dir), budget=self.budget.value,
                                   seed=self.seed.value, stop_on_optimum=self.stop_on_optimum.value and not train,
                                   run_dir=run_dir)
        self._follow(handle, f"{self.algorithm.value} seed {self.seed.value}")
        return handle

    def resume(self, run_dir=None):
        """Resume ``run_dir`` (default: the one chosen in the dropdown); returns its handle or None."""
        return self._safe(lambda: self._resume(run_dir))

    def _resume(self, run_dir):
        self._check_idle()
        path = run_dir if run_dir is not None else self.resume_choice.value
        if not path:
            raise ParameterError(f"no resumable run under {str(self.runs_dir)!r}; start one first")
        path = self.area.confine(path)
        config = read_config(path)
        self.area.check_run(0, 0, is_training(config))
        handle = self.area.guarded(resume_run, path, self.training.rebuild(config) if is_training(config) else None)
        self._follow(handle, run_label(handle.config))
        return handle

    def stop(self) -> None:
        """Ask the current run to stop (it ends at its next evaluation)."""
        if self.handle is not None and self.handle.running:
            self.handle.stop()
            self.training.stop()  # cancels the candidate in training at its next batch
            self._set_status("stopping…")

    def clear(self) -> None:
        """Remove the faint curves of earlier runs."""
        self._earlier = []
        self._redraw()

    def refresh_runs(self) -> None:
        """Re-read the resumable (not finished) run directories under ``runs_dir``."""
        busy = self.handle.run_dir if self.handle is not None and self.handle.running else None
        runs = [(f"{p.name} ({s})", str(p)) for p, s in self.area.list_runs()
                if s not in FINISHED_REASONS and p != busy]
        self.resume_choice.options, self.resume_choice.value = runs, runs[-1][1] if runs else None

    def on_population(self, callback: Callable[[str, list], None]) -> None:
        """Call ``callback(task, cell indices)`` with the cells evaluated on the task in its latest
        generation (children and transferred cells; derived from the Evaluated events, so it works
        for every strategy and for resumed or loaded runs), once per task each time the views are
        redrawn (a few times a second while a run goes)."""
        if not callable(callback):
            raise ParameterError(f"callback must be callable; got {type(callback).__name__}")
        self._population_cbs.append(callback)

    def on_run(self, callback: Callable[[str, object], None]) -> None:
        """Call ``callback(what, handle)`` as a run starts or resumes (``"start"``) and once its last event is drawn
        (``"end"``)."""
        if not callable(callback):
            raise ParameterError(f"callback must be callable; got {type(callback).__name__}")
        self._run_cbs.append(callback)

    def load_run(self, run_dir) -> None:
        """Show the saved run in ``run_dir`` (its ``events.jsonl``) as the current run.

        Raises
        ------
        ParameterError, DataIntegrityError
            For a folder that is not a ktnas run on a table benchmark, or a corrupted log.
        """
        self._check_idle()
        path = self.area.confine(run_dir)
        config = read_config(path)
        train = is_training(config)
        rows = None if train else report_rows([path])  # checks the folder first
        if train:
            self.training.rebuild(config)
        self.handle, self._done_seen = None, True
        self._begin(config["evaluator"], config["tasks"], run_label(config))
        for event in read_events(path / "events.jsonl"):
            fold(self.trace, event)
        self._draw()
        self._show_results(path, rows)

    def pump(self) -> int:
        """Fold the run's queued events into the views; returns how many (0 with no run)."""
        h = self.handle
        if h is None:
            return 0
        ended = not h.running
        self.training.drain()
        events = h.drain(MAX_PER_PUMP)
        for event in events:
            fold(self.trace, event)
        if events or ended:
            self._draw()
        if ended and h.pending == 0 and not self._done_seen:
            self._done_seen = True
            self._finish()
        return len(events)

    def _tick(self) -> None:
        self._pump_timer = None
        self._safe(self.pump)
        if self.handle is not None and not self._done_seen:
            soon = self.handle.pending or self.handle.state == "stopping"  # a backlog, or a stop to show
            self._schedule(0.01 if soon else PUMP_S)

    def _schedule(self, delay: float = PUMP_S) -> None:
        if self._pump_timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no event loop (a script, a test): call pump() yourself
            self._pump_timer = loop.call_later(delay, self._tick)

    def _follow(self, handle, label: str) -> None:
        self.handle, self._done_seen, self._done0 = handle, False, handle.progress.done
        self._begin(handle.config["evaluator"], handle.tasks, label)
        self.start_button.disabled, self.stop_button.disabled, self.results.value = True, False, ""
        self._set_status(f"running <code>{html.escape(self.area.label(handle.run_dir))}</code>")
        self.refresh_runs()
        self._schedule(FIRST_PUMP_S)
        self._tell_run("start", handle)

    def _finish(self) -> None:
        h = self.handle
        self.start_button.disabled, self.stop_button.disabled = False, True
        # the verdict first: the population, the run list and the results follow it to the page
        if h.state == "failed":
            self._set_status(f"the run failed: {html.escape(f'{type(h.error).__name__}: {h.error}')}; its "
                             "directory keeps the last checkpoint and can be resumed", error=True)
        else:
            self._set_status(f"stopped after {h.progress.done:,} evaluations; resume it from the list"
                             if h.state == "stopped" else f"finished ({h.result.reason}) in {h.elapsed:.1f} s")
        self._send_population()
        self.refresh_runs()
        self._show_results(h.run_dir)
        self._tell_run("end", h)

    def _tell_run(self, what: str, handle) -> None:
        for cb in list(self._run_cbs):
            self._safe(lambda: cb(what, handle))

    def _check_idle(self) -> None:
        if self.handle is not None and self.handle.running:
            raise ParameterError("a run is going; stop it first")

    def _begin(self, evaluator: dict, tasks, label: str) -> None:
        """Move the shown run's curves to the faint "earlier runs" and start empty curves for ``tasks``."""
        old, self._train = self.trace, evaluator.get("kind") in ("train", "supernet")
        bench_name = "nb201" if self._train else evaluator["benchmark"]  # trained NB201 cells map onto it
        kind = evaluator.get("kind")  # DARTS-style and TNB101 cells are not on it
        self._mappable = kind == "table" or (kind == "train" and evaluator.get("space", "nb201") == "nb201")
        if self._bench is not None and (self._bench.name, self._kind) != (bench_name, self._train):
            self._earlier = []  # scores of other tasks: nothing to compare with
        elif old is not None:
            self._earlier += [(f"{old.label}: {t}", xs, hs, y) for t, (_, xs, hs, y) in self._current.items()]
        self._bench, self._kind = benchmarks.load(bench_name), self._train
        # oriented as the scores: higher is better; trained tasks have no known optimum: 100% accuracy
        optimum = (lambda t: 100.0) if self._train else TableEvaluator(self._bench).optimum_score
        if len(tasks) > MAX_TASKS:
            raise ParameterError(f"{len(tasks)} tasks are more than the dashboard draws ({MAX_TASKS})")
        self._optimum = {t: optimum(t) for t in tasks}
        self._current = {t: (TASK_COLORS[k % len(TASK_COLORS)], [], [], []) for k, t in enumerate(tasks)}
        self._label, self._title = label, (
            f"Validation error of the best so far (100% − accuracy; no known optimum): {label}, trained"
            if self._train else
            f"Regret of the best so far: {label} on {self._bench.title} (0 = the task's best cell is found)")
        self._redraw()
        self.trace = RunTrace(tuple(tasks), label, keep_rejected=LOG_ROWS)
        self.transfer_log.value = ""

    def _redraw(self) -> None:
        if not self._current:
            return  # nothing run yet: the figure keeps its hint
        draw_dashboard(self.figure, self._current, self._earlier, label=self._label, training=self._train,
                       title=self._title)

    def _draw(self) -> None:
        trace = self.trace
        for t, (color, *_) in self._current.items():
            xs, hs, ys = trace.points(t)
            self._current[t] = (color, list(xs), list(hs), [max(self._optimum[t] - y, 0.0) for y in ys])
        self._redraw()
        self._draw_progress()
        self.transfer_log.value = transfer_log_html(self.trace, LOG_ROWS)
        self._pending_population.update(trace.populations)  # per task: its latest generation
        trace.populations = []
        if self.handle is None or not self.handle.running or time.monotonic() - self._population_at >= POPULATION_S:
            self._send_population()

    def _send_population(self) -> None:
        """Population callbacks, once per task (at most every POPULATION_S: each redraws a big map)."""
        latest, self._pending_population = self._pending_population, {}
        self._population_at = time.monotonic()
        for task, cells in latest.items() if self._mappable else ():
            idx = [self._bench.index(c) for c in cells]
            for cb in list(self._population_cbs):
                self._safe(lambda: cb(task, idx))

    def _draw_progress(self) -> None:
        bar = self.progress_bar
        bar.max, bar.value, self.progress_text.value = progress(self.handle, self.trace, self._done0)

    def _show_results(self, run_dir: Path, rows: list[dict] | None = None) -> None:
        if self._train:  # per task: best cell by validation accuracy, its test accuracy and size
            self.results.value = self.training.results_html(run_dir, self.trace.tasks)
            return
        rows = report_rows([run_dir]) if rows is None else rows
        keys = ("task", "best_cell", "valid", "test", "rank", "regret", "evals", "gpu_hours")
        show = {"rank": lambda v: f"{v:,} / {len(self._bench):,}", "gpu_hours": lambda v: f"{v:.2f}",
                **{k: (lambda v: f"{v:.4f}") for k in ("valid", "test", "regret")}}
        self.results.value = results_html(run_dir, rows, keys, show, COLUMNS)

    def _set_status(self, text: str, error: bool = False) -> None:
        color = COLORS["topk"] if error else COLORS["ink"]
        self.status.value = f"<div style='color:{color};font-size:14px;padding:4px 0'>{text}</div>"

    def _safe(self, fn):
        """Run a UI action; a ktnas error (or any other) goes to the status line, never escapes."""
        return guarded(fn, lambda text: self._set_status(text, True))
