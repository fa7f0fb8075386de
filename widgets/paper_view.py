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
import csv
import html
import io
import json
import threading
import time

import ipywidgets as w
import numpy as np
from plotly.subplots import make_subplots

from ktnas_core.errors import ParameterError
from ktnas_core.experiments.catalog import EXPERIMENTS, PAPER, PAPER_ALIASES, PAPER_NAMES, REFERENCE, experiment, paper_numbers
from ktnas_core.experiments.paper_results import (Reproduction, best_curves, darts_plan, demo_strategies, found_curves,
                                             load_ablation, load_result, stored_summary)
from ktnas_core.experiments.reproduce_report import format_p, summarize
from ktnas_core.runs.rundirs import RunArea, RunLimitError

from .compare_figure import PALETTE
from .dashboard_training import link
from .style import COLORS, FONT, FigureWidget, SyncedBox, guarded

__all__ = ["PaperView", "EXPERIMENT_CHOICES", "MIN_SEEDS", "MAX_SEEDS"]

MIN_SEEDS, MAX_SEEDS = 10, 100
EXPERIMENT_CHOICES = (("Table II: NAS-Bench-201 (evaluations to each optimum)", "nb201"),
                      ("Table III: TransNAS-Bench-101 micro (50 evaluations per task)", "tnb101"))
#: chart slots: strategies (every one of an experiment) and panels (one per task)
MAX_STRATEGIES, N_PANELS = max(len(e.strategies) for e in EXPERIMENTS.values()), 3
PUMP_S, REDRAW_S = 0.25, 1.5  # poll the worker; redraw the table and chart at most this often while it runs
COLUMNS = ("method", "quantity", "n", "mean", "sd", "median", "ci_low", "ci_high", "reference", "diff",
           "diff_ci_low", "diff_ci_high", "p", "wins", "losses", "paper", "paper_row")


def _fill(color: str) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},0.16)"


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
    figure : FigureWidget
        One panel per task; per strategy a band (two traces) and a line.
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
        self.figure = self._figure()
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
        self.darts.value = self._darts_html()

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
        self.ablation.value = self._ablation_html(load_ablation(self.name))

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
            self._ready = (result, label, reference, rows, self._curves(result))
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
                self._ready = (result, label, reference, summarize(result, reference), self._curves(result))
            except Exception as e:  # noqa: BLE001 - shown in the status line by pump()
                self._failed = e

    @staticmethod
    def _curves(result: dict) -> dict:
        exp = experiment(result["experiment"])
        curve = found_curves if exp.stop_on_optimum else best_curves
        return {(s, t): curve(result, s, t) for s in result["strategies"] for t in exp.tasks}

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
        self.table.value = self._table_html()
        self.exports.value = self._exports_html()
        self._draw(curves)
        self.source.value = (f"<div style='font-size:13px;color:{COLORS['ink']}'>Showing: {label}. Paired "
                             f"against <b>{html.escape(self.reference)}</b> over the same seeds.</div>")
        if self.job is None or not self.job.running:
            if "computing" in self.status.value:
                self._set_status("")

    def _quantities(self) -> list[str]:
        exp = experiment(self.shown["experiment"])
        return [*exp.tasks, "total" if exp.stop_on_optimum else "rank"]

    def _digits(self, quantity: str) -> int:
        return 1 if experiment(self.shown["experiment"]).stop_on_optimum or quantity == "rank" else 2

    def _paper_rows_shown(self) -> set:
        """The paper's rows that a strategy shown stands for."""
        return {PAPER_ALIASES.get(s, s) for s in self.shown["strategies"]}

    def long_rows(self) -> list[dict]:
        """The table as one row per strategy and quantity (what the CSV and JSON exports hold); the paper's
        rows that no strategy shown matches come last, with only their paper number."""
        name, out = self.shown["experiment"], []
        paper = PAPER[name]
        for row in self.rows:
            for k, q in enumerate(self._quantities()):
                st, test = row["stats"][q], (row.get("test") or {}).get(q)
                ref = paper_numbers(name, row["method"])
                out.append({"method": row["method"], "quantity": q, "n": st and st["n"],
                            "mean": st and st["mean"], "sd": st and st["sd"], "median": st and st["median"],
                            "ci_low": st and st["ci"][0], "ci_high": st and st["ci"][1],
                            "reference": self.reference, "diff": test and test["diff"],
                            "diff_ci_low": test and test["ci"][0], "diff_ci_high": test and test["ci"][1],
                            "p": test and test["p"], "wins": test and test["wins"],
                            "losses": test and test["losses"], "paper": ref[k] if ref else None,
                            "paper_row": PAPER_NAMES.get(row["method"]) if ref else None})
        for method, values in paper.items():
            if method not in self._paper_rows_shown():
                out += [dict.fromkeys(COLUMNS) | {"method": method, "quantity": q, "paper": values[k],
                                                  "paper_row": PAPER_NAMES.get(method)}
                        for k, q in enumerate(self._quantities())]
        return out

    def _table_html(self) -> str:
        name, quantities = self.shown["experiment"], self._quantities()
        exp, paper, last = experiment(name), PAPER[name], quantities[-1]
        label = {"total": "total (3 tasks)", "rank": "avg rank (1 = best)"}
        head = ["method", "paper's row", *[label.get(q, q) for q in quantities],
                f"{label[last].split(' (')[0]}: vs {self.reference} [95% CI]", "p (Wilcoxon)"]
        th = "".join(f"<th style='padding:4px 8px;text-align:{'left' if i < 2 else 'right'};"
                     f"border-bottom:2px solid {COLORS['grid']}'>{html.escape(h)}</th>" for i, h in enumerate(head))
        body = []
        for row in self.rows:
            ref = paper_numbers(name, row["method"])
            cells = [f"<b>{html.escape(row['method'])}</b>" + (
                f"<div style='color:{COLORS['topk']};font-size:11px'>{row['not_found']} optima not found</div>"
                if row.get("not_found") else ""),
                html.escape(PAPER_NAMES.get(row["method"], "–") if ref else "–")]
            for k, q in enumerate(quantities):
                st, d = row["stats"][q], self._digits(q)
                if st is None:
                    cells.append("not found")
                    continue
                under = f"median {st['median']:.{d}f}" + (f" · <b>paper {ref[k]:g}</b>" if ref else "")
                cells.append(f"{st['mean']:.{d}f} <span style='color:{COLORS['muted']}'>[{st['ci'][0]:.{d}f}, "
                             f"{st['ci'][1]:.{d}f}]</span><div style='font-size:11px;color:{COLORS['muted']}'>"
                             f"{under}</div>")
            test, d = (row.get("test") or {}).get(last), self._digits(last)
            cells.append("reference" if row["method"] == self.reference else "–" if test is None else
                         f"{test['diff']:+.{d}f} <span style='color:{COLORS['muted']}'>[{test['ci'][0]:+.{d}f}, "
                         f"{test['ci'][1]:+.{d}f}]</span>")
            cells.append("–" if test is None else (f"<b>{format_p(test['p'])}</b>" if test["p"] < 0.05
                                                   else format_p(test["p"])))
            body.append(cells)
        for method, values in paper.items():  # the paper's rows none of ours stands for
            if method not in self._paper_rows_shown():
                body.append([f"<span style='color:{COLORS['muted']}'>(paper only)</span>",
                             html.escape(PAPER_NAMES.get(method, method)),
                             *[f"<b>paper {v:g}</b>" for v in values], "", ""])
        td = (lambda i: f"<td style='padding:3px 8px;vertical-align:top;text-align:{'left' if i < 2 else 'right'};"
                        f"border-bottom:1px solid {COLORS['grid']}'>")
        trs = "".join("<tr>" + "".join(f"{td(i)}{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in body)
        better = "fewer is better" if exp.stop_on_optimum else "accuracies: higher is better; L2 loss and rank: lower"
        return (f"<div style='font-size:15px;font-weight:600;color:{COLORS['ink']};margin-top:6px'>"
                f"{html.escape(exp.caption)}</div>"
                f"<div style='font-size:12px;color:{COLORS['muted']}'>{self.shown['seeds']} seeds per strategy; "
                f"{better}; p below 0.05 in bold.</div>"
                f"<table class='ktnas-paper-table' style='border-collapse:collapse;font-size:13px;"
                f"color:{COLORS['ink']};margin-top:4px'><tr>{th}</tr>{trs}</table>")

    def _exports_html(self) -> str:
        rows = self.long_rows()
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: "" if r[k] is None else r[k] for k in COLUMNS} for r in rows)
        stem = f"{self.shown['experiment']}-{self.shown['seeds']}seeds"
        data = {"experiment": self.shown["experiment"], "seeds": self.shown["seeds"], "reference": self.reference,
                "strategies": self.shown["strategies"], "rows": rows}
        return (f"<div style='font-size:13px'>export the table: {link(f'{stem}.csv', 'text/csv', buf.getvalue().encode())}"
                f"{link(f'{stem}.json', 'application/json', json.dumps(data, indent=1).encode())}</div>")

    def _draw(self, curves: dict) -> None:
        """One panel per task: per strategy its line and band, in the slots made once (only restyled, as the
        app's other figures: plotly's browser view can lose traces added together with other edits)."""
        result, fig = self.shown, self.figure
        exp = experiment(result["experiment"])
        ecdf, tasks = exp.stop_on_optimum, list(exp.tasks)
        title = ("Share of runs that have evaluated each task's best cell (band: 95% bootstrap interval over runs)"
                 if ecdf else "Best-so-far validation metric, mean over runs (band: 95% bootstrap interval of the mean)")
        with fig.batch_update():
            for k in range(MAX_STRATEGIES):
                s = result["strategies"][k] if k < len(result["strategies"]) else None
                color = PALETTE[k % len(PALETTE)]
                for j in range(N_PANELS):
                    low, high, line = fig.data[3 * (k * N_PANELS + j):3 * (k * N_PANELS + j) + 3]
                    if s is None or j >= len(tasks):
                        for tr in (low, high, line):
                            tr.update(x=[], y=[], visible=False)
                        continue
                    c, t = curves[(s, tasks[j])], tasks[j]
                    low.update(x=c["x"], y=c["low"], visible=True, legendgroup=s)
                    high.update(x=c["x"], y=c["high"], visible=True, legendgroup=s, fillcolor=_fill(color))
                    line.update(x=c["x"], y=c["y"], visible=True, name=s, legendgroup=s, showlegend=j == 0,
                                line=dict(color=color, width=2.2, shape="hv" if ecdf else "linear"),
                                hovertemplate=f"{html.escape(s)} · {html.escape(t)}<br>%{{x}} evaluations: "
                                              f"%{{y:.{3 if ecdf else 2}f}}<extra></extra>")
            for j, t in enumerate(tasks):
                fig.layout.annotations[j].text = t + (" (L2 loss × 100, lower is better)" if t == "room_layout" else "")
            fig.update_xaxes(type="log" if ecdf else "linear", autorange=True,
                             title_text="evaluations on the task" + (" (log)" if ecdf else ""))
            fig.update_yaxes(range=[0, 1.02] if ecdf else None, autorange=not ecdf)
            fig.layout.yaxis.title.text = "share of runs that found the optimum" if ecdf else "best so far (mean of runs)"
            fig.layout.title.text = f"{title}, {result['seeds']} seeds"

    @staticmethod
    def _figure() -> FigureWidget:
        """The empty chart: :data:`N_PANELS` panels, :data:`MAX_STRATEGIES` x 3 hidden slots of three traces
        (the band's lower edge, its upper edge filled down to it, the line)."""
        fig = FigureWidget(make_subplots(rows=1, cols=N_PANELS, subplot_titles=[" "] * N_PANELS,
                                         horizontal_spacing=0.06))
        for _ in range(MAX_STRATEGIES):
            for j in range(N_PANELS):
                fig.add_scatter(x=[], y=[], mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip",
                                visible=False, row=1, col=j + 1)
                fig.add_scatter(x=[], y=[], mode="lines", line=dict(width=0), fill="tonexty", showlegend=False,
                                hoverinfo="skip", visible=False, row=1, col=j + 1)
                fig.add_scatter(x=[], y=[], mode="lines", visible=False, row=1, col=j + 1)
        fig.update_layout(template="plotly_white", font=FONT, height=430, width=1240,
                          margin=dict(l=60, r=20, t=80, b=50), title=dict(text=" ", font=dict(size=15), x=0.01,
                                                                         xanchor="left"),
                          legend=dict(orientation="h", y=-0.22, x=0.0))
        return fig

    def _ablation_html(self, result: dict | None) -> str:
        head = f"<div style='font-size:15px;font-weight:600;color:{COLORS['ink']};margin-top:10px'>Ablation</div>"
        if result is None:
            return (head + f"<div style='font-size:13px;color:{COLORS['muted']}'>No ablation result is shipped for "
                    f"this table; <code>ktnas reproduce {html.escape(self.name)} --ablation --out docs/results</code> "
                    "writes one.</div>")
        what = ("evaluations to all three optima" if result["quantity"] == "total"
                else "average rank of the found cells (1 = best)")
        rows = []
        for s in result["steps"]:
            st, g = s["stats"], s["gain"]
            rows.append([html.escape(s["label"]), html.escape(s["strategy"]),
                         f"{st['mean']:.1f} <span style='color:{COLORS['muted']}'>[{st['ci'][0]:.1f}, "
                         f"{st['ci'][1]:.1f}]</span> ({st['median']:g})",
                         html.escape(s["compared_with"] or "–"),
                         "–" if g is None else f"{g['diff']:+.1f} <span style='color:{COLORS['muted']}'>"
                                               f"[{g['ci'][0]:+.1f}, {g['ci'][1]:+.1f}]</span>",
                         "–" if g is None else format_p(g["p"])])
        th = "".join(f"<th style='padding:4px 8px;text-align:left;border-bottom:2px solid {COLORS['grid']}'>{h}</th>"
                     for h in ("step", "strategy", "mean [95% CI] (median)", "compared with",
                               "change [95% CI] (negative = better)", "p"))
        trs = "".join("<tr>" + "".join(f"<td style='padding:3px 8px;border-bottom:1px solid {COLORS['grid']}'>{c}</td>"
                                       for c in r) + "</tr>" for r in rows)
        command = f" — <code>{html.escape(result['command'])}</code>" if result.get("command") else ""
        return (head + f"<div style='font-size:12px;color:{COLORS['muted']}'>{what}, {result['seeds']} seeds each; "
                f"each step adds one piece to the step it is compared with, over the same seeds. Shipped "
                f"<code>docs/results/{html.escape(result['source'])}</code>{command}.</div>"
                f"<table style='border-collapse:collapse;font-size:13px;color:{COLORS['ink']}'><tr>{th}</tr>{trs}"
                "</table>")

    def _darts_html(self) -> str:
        plan = darts_plan("mnist")
        paper = ", ".join(f"{html.escape(t)} {m:g} ± {s:g} %" for t, (m, s) in plan["paper"].items())
        search = ", ".join(f"{k} {v}" for k, v in plan["search"].items())
        retrain = ", ".join(f"{k} {v}" for k, v in plan["retrain"].items() if v is not None)
        measured = "".join(f"<details style='margin-top:4px'><summary><code>benchmarks/results/{html.escape(n)}"
                           f"</code></summary><pre style='font-size:11px;overflow:auto;max-height:300px'>"
                           f"{html.escape(text)}</pre></details>" for n, text in plan["measured"].items())
        return (f"<div style='font-size:15px;font-weight:600;color:{COLORS['ink']};margin-top:12px'>Tables IV–VI: "
                "the DARTS-style space (not run in this page)</div>"
                f"<div style='font-size:13px;color:{COLORS['ink']};line-height:1.5;max-width:1200px'>"
                f"A multi-task search on one weight-sharing supernet per task ({html.escape(search)}; 20 "
                f"generations of population 20), then each task's best cell and a random control cell retrained "
                f"from scratch ({html.escape(retrain)}) and scored on the official test split. The paper: "
                f"{paper}. It needs a GPU for hours, so this page shows the command, not a button:"
                f"<pre style='background:#f5f7fa;padding:6px 8px;margin:4px 0'>{html.escape(plan['command'])}</pre>"
                f"What a CPU could show at a small scale (supernets of 8 channels and 3 cells, 3 retraining "
                "epochs; <code>python benchmarks/bench_darts_search.py</code>; see docs/results.md):"
                f"{measured or ' no CPU-scale result is shipped with this copy.'}</div>")

    def _set_status(self, text: str, error: bool = False) -> None:
        color = COLORS["topk"] if error else COLORS["muted"]
        self.status.value = f"<div class='ktnas-paper-status' style='color:{color};font-size:13px'>{text}</div>"

    def _safe(self, fn):
        """Run a UI action; a ktnas error (or any other) goes to the status line, never escapes."""
        return guarded(fn, lambda text: self._set_status(text, True))
