"""Reproduce the paper's Tables II and III on the shipped tables, every strategy side by side.

``nb201``: tasks cifar10, cifar100, ImageNet16-120; each task runs until its best
cell by validation accuracy is evaluated (``stop_on_optimum``; at most the whole
space, 15,625 evaluations); the table is the number of evaluations that took.
``tnb101``: tasks class_object, class_scene, room_layout, 50 evaluations per task;
the table is the validation metric of the best cell found (room layout: L2 loss
x 100, lower is better) and its rank among the 4,096 cells, averaged over tasks.
Both also record, per run, the best-so-far curve and the global rank on the
target of every transferred cell, for the paper's Fig. 5-6 analogues
(:func:`plots`).

Examples
--------
>>> result = reproduce("tnb101", seeds=1, strategies=["random"])
>>> [row["method"] for row in summarize(result)]
['random']
>>> result["runs"][0]["evals"]
{'class_object': 50, 'class_scene': 50, 'room_layout': 50}
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ParameterError
from .events import Evaluated, Transferred
from .evaluators import TableEvaluator
from .presets import STRATEGY_NAMES, make_strategy
from .driver import run_search
from .strategies import check_int

__all__ = ["EXPERIMENTS", "Experiment", "PAPER", "PAPER_NAMES", "reproduce", "run_one", "summarize",
           "format_table", "plots"]


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One of the paper's table set-ups."""

    benchmark: str
    tasks: tuple
    strategies: tuple
    budget: int
    stop_on_optimum: bool
    caption: str


EXPERIMENTS = {
    "nb201": Experiment("nb201", ("cifar10", "cifar100", "ImageNet16-120"),
                        ("random", "rea", "no-transfer", "predictor", "emtnas", "random-transfer", "best-transfer",
                         "ktnas-onehot", "ktnas-arch2vec", "ktnas"), 15625, True,
                        "NAS-Bench-201: evaluations until each task's best cell (validation accuracy) is found"),
    "tnb101": Experiment("tnb101_micro", ("class_object", "class_scene", "room_layout"),
                         ("random", "rea", "no-transfer", "emtnas", "random-transfer", "best-transfer",
                          "ktnas-onehot", "ktnas-arch2vec", "ktnas"), 50, False,
                         "TransNAS-Bench-101 micro, 50 evaluations per task: validation metric of the best cell "
                         "found (room_layout: L2 loss x 100, lower is better) and its rank among 4,096, "
                         "averaged over tasks"),
}

#: the paper's numbers (PAPER.md section 7), by our strategy name
PAPER = {
    "nb201": {"random": (7782.1, 7621.2, 7726.1, 23129.4), "rea": (563.2, 438.2, 715.1, 1439.6),
              "no-transfer": (230.8, 18.4, 213.0, 462.2), "random-transfer": (106.0, 30.1, 92.3, 228.4),
              "ktnas-arch2vec": (100.7, 27.9, 60.0, 188.5), "ktnas": (105.0, 26.6, 64.4, 196.0)},
    "tnb101": {"ktnas": (46.07, 54.90, 60.10, 5.5), "rea": (45.39, 54.62, 61.75, 44.0),
               "random": (45.16, 54.41, 61.48, 57.7), "optimum": (46.32, 54.94, 59.38, 1.0)},
}
#: the paper's row name for our strategies where they correspond
PAPER_NAMES = {"random": "random search", "rea": "REA", "no-transfer": "zero-cost (NB201)",
               "random-transfer": "MT-NAS (closest)", "ktnas-arch2vec": "KTNAS (arch2vec)",
               "ktnas": "KTNAS (node2vec)", "optimum": "optimum"}


def _experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ParameterError(f"experiment {name!r} is not known; choose one of {list(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def run_one(name: str, strategy: str, seed: int) -> dict:
    """Run ``strategy`` once with root ``seed`` on experiment ``name``; a JSON-able record."""
    exp = _experiment(name)
    from .. import benchmarks

    bench = benchmarks.load(exp.benchmark)
    ranks = {t: bench.ranks(t) for t in exp.tasks}
    scores: dict[str, list] = {t: [] for t in exp.tasks}
    transfers: dict[str, dict[int, list]] = {t: {} for t in exp.tasks}

    def collect(event: Any) -> None:
        if isinstance(event, Evaluated) and event.new:
            scores[event.task].append(event.score)
        elif isinstance(event, Transferred) and event.accepted:
            i = bench.space.index(bench.space.parse(event.arch))
            transfers[event.target].setdefault(event.generation, []).append(int(ranks[event.target][i]))

    started = time.perf_counter()
    strat = make_strategy(strategy, bench.space.name, exp.tasks)
    res = run_search(strat, TableEvaluator(bench), budget=exp.budget, stop_on_optimum=exp.stop_on_optimum,
                     max_generations=1_000_000, seed=seed, callbacks=[collect])
    record = {"strategy": strategy, "seed": seed, "seconds": time.perf_counter() - started,
              "generations": res.generations, "reason": res.reason,
              "evals": {t: r.n_evals for t, r in res.tasks.items()},
              "optimum_at": {t: r.optimum_at for t, r in res.tasks.items()},
              "best_arch": {t: r.best_arch for t, r in res.tasks.items()},
              "transfer_rank": {t: [[g, float(np.mean(v)), len(v)] for g, v in sorted(d.items())]
                                for t, d in transfers.items()}}
    if not exp.stop_on_optimum:
        record["best_so_far"] = {t: np.maximum.accumulate(s).round(6).tolist() for t, s in scores.items()}
        record["value"] = {t: bench.query(a, t) for t, a in record["best_arch"].items()}
        record["rank"] = {t: bench.rank(a, t) for t, a in record["best_arch"].items()}
    return record


def _job(args: tuple) -> dict:
    return run_one(*args)


def reproduce(name: str, seeds: int = 10, strategies: Sequence[str] | None = None, jobs: int = 1,
              progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Run every strategy of experiment ``name`` for seeds ``0..seeds-1``.

    Parameters
    ----------
    name : {"nb201", "tnb101"}
    seeds : int >= 1
    strategies : list of str, optional
        Subset of :data:`~ktnas_core.search.presets.STRATEGY_NAMES` (default: the experiment's list).
    jobs : int >= 1
        Worker processes (results do not depend on it).
    progress : callable(done, total, label), optional

    Returns
    -------
    dict
        ``{"experiment", "seeds", "strategies", "runs": [record, ...], "seconds"}`` (JSON-able).
    """
    exp = _experiment(name)
    seeds = check_int("seeds", seeds, 1, 10000)
    jobs = check_int("jobs", jobs, 1, 256)
    chosen = list(exp.strategies if strategies is None else strategies)
    if len(set(chosen)) != len(chosen) or not chosen:
        raise ParameterError(f"strategies={chosen!r} must name each strategy once (and at least one)")
    for s in chosen:
        if s not in STRATEGY_NAMES:
            raise ParameterError(f"strategy {s!r} is not known; choose from {list(STRATEGY_NAMES)}")
    work = [(name, s, seed) for s in chosen for seed in range(seeds)]
    started, runs = time.perf_counter(), []
    pool = ProcessPoolExecutor(jobs) if jobs > 1 else None
    try:
        results = pool.map(_job, work) if pool else map(_job, work)
        for k, record in enumerate(results, 1):
            runs.append(record)
            if progress is not None:
                progress(k, len(work), f"{record['strategy']} seed {record['seed']}")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return {"experiment": name, "benchmark": exp.benchmark, "tasks": list(exp.tasks), "seeds": seeds,
            "strategies": chosen, "runs": runs, "seconds": time.perf_counter() - started}


def _stat(values: Sequence[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def summarize(result: dict) -> list[dict]:
    """One row per strategy: ``{"method", "tasks": {task: (mean, sd)}, "total" or "rank": (mean, sd), ...}``."""
    exp = _experiment(result["experiment"])
    rows = []
    for s in result["strategies"]:
        runs = [r for r in result["runs"] if r["strategy"] == s]
        row: dict[str, Any] = {"method": s, "runs": len(runs), "seconds": sum(r["seconds"] for r in runs)}
        if exp.stop_on_optimum:
            found = {t: [r["optimum_at"][t] for r in runs if r["optimum_at"][t] is not None] for t in exp.tasks}
            row["tasks"] = {t: _stat(v) if v else (float("nan"), 0.0) for t, v in found.items()}
            row["median"] = {t: float(np.median(v)) if v else float("nan") for t, v in found.items()}
            row["not_found"] = sum(len(runs) - len(v) for v in found.values())
            totals = [sum(r["optimum_at"][t] for t in exp.tasks) for r in runs
                      if all(r["optimum_at"][t] is not None for t in exp.tasks)]
            row["total"] = _stat(totals) if totals else (float("nan"), 0.0)
        else:
            scale = {t: 100.0 if t == "room_layout" else 1.0 for t in exp.tasks}
            row["tasks"] = {t: _stat([abs(r["value"][t]) * scale[t] for r in runs]) for t in exp.tasks}
            row["rank"] = _stat([np.mean([r["rank"][t] for t in exp.tasks]) for r in runs])
        rows.append(row)
    return rows


def format_table(result: dict, markdown: bool = False) -> str:
    """The side-by-side table: our mean +- sd, then the paper's number (plain text, or Markdown)."""
    exp = _experiment(result["experiment"])
    paper = PAPER[result["experiment"]]
    last = "total" if exp.stop_on_optimum else "avg rank"
    head = ["method", *exp.tasks, last, "paper row"]
    spread = "mean +- sd (median)" if exp.stop_on_optimum else "mean +- sd"
    lines, body = [exp.caption + f" ({spread} over {result['seeds']} seeds; paper's value in brackets)"], []
    for row in summarize(result):
        ref = paper.get(row["method"])
        cells = [row["method"]]
        for k, key in enumerate([*exp.tasks, "total" if exp.stop_on_optimum else "rank"]):
            m, sd = row["tasks"][key] if key in exp.tasks else row[key]
            digits = 1 if exp.stop_on_optimum or key == "rank" else 2
            text = "not found" if m != m else f"{m:.{digits}f} +- {sd:.{digits}f}"
            if key in row.get("median", {}):
                text += f" ({row['median'][key]:g})"
            cells.append(text + (f" [{ref[k]:g}]" if ref else ""))
        cells.append(PAPER_NAMES.get(row["method"], "-") if ref else "-")
        if exp.stop_on_optimum and row["not_found"]:
            cells[0] += f" ({row['not_found']} not found)"
        body.append(cells)
    if not exp.stop_on_optimum and "optimum" in paper:
        from .. import benchmarks

        bench = benchmarks.load(exp.benchmark)
        best = [abs(bench.optimum(t).value) * (100 if t == "room_layout" else 1) for t in exp.tasks]
        body.append(["optimum (table)"] + [f"{v:.2f} [{p:g}]" for v, p in zip(best, paper["optimum"])]
                    + ["1.0 [1]", "optimum"])
    if markdown:
        rows = [head, ["---"] + ["---:"] * (len(head) - 2) + ["---"]] + body
        return "\n".join(lines + [""] + ["| " + " | ".join(c.replace("+-", "±") for c in r) + " |" for r in rows])
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    for r in [head] + body:
        lines.append("  ".join(c.ljust(w) if i in (0, len(head) - 1) else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    return "\n".join(lines)


def plots(result: dict) -> dict[str, str]:
    """SVG charts by file name: best-so-far (or share of runs that found the optimum) per
    evaluation, and the mean global rank of transferred cells per generation."""
    from ..svgplot import PALETTE, Panel, Series, line_chart

    exp, name = _experiment(result["experiment"]), result["experiment"]
    by = {s: [r for r in result["runs"] if r["strategy"] == s] for s in result["strategies"]}
    colours = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(STRATEGY_NAMES)}
    panels = []
    for t in exp.tasks:
        series = []
        for s, runs in by.items():
            if exp.stop_on_optimum:
                at = np.array([r["optimum_at"][t] or np.inf for r in runs])
                xs = np.unique(np.geomspace(1, exp.budget, 200).round())
                series.append(Series(s, xs.tolist(), [(at <= x).mean() for x in xs]))
            else:
                curves = np.array([r["best_so_far"][t] for r in runs])
                curves = np.abs(curves) * (100 if t == "room_layout" else 1)
                first = min(10, curves.shape[1])  # from the end of the initial population
                series.append(Series(s, list(range(first, curves.shape[1] + 1)),
                                     curves.mean(axis=0)[first - 1:].tolist()))
        panels.append(Panel(t, series))
    charts = {}
    if exp.stop_on_optimum:
        charts[f"{name}-found.svg"] = line_chart(
            panels, title=f"{name}: share of runs that have found the task's best cell", log_x=True,
            xlabel="evaluations on the task (log scale)", ylabel="share of runs", y_range=(0.0, 1.0), colours=colours)
    else:
        charts[f"{name}-best.svg"] = line_chart(
            panels, title=f"{name}: best-so-far validation metric, mean over runs (room_layout: L2 x 100, lower "
            "is better)", xlabel="evaluations on the task", ylabel="best so far", share_y=False, colours=colours)
    panels = []
    for t in exp.tasks:
        series = []
        for s, runs in by.items():
            gens: dict[int, list] = {}
            for r in runs:
                for g, mean_rank, _ in r["transfer_rank"][t]:
                    gens.setdefault(g, []).append(mean_rank)
            if gens:  # generations that at least half of the runs reached
                keep = sorted(g for g in gens if g <= 30 and 2 * len(gens[g]) >= len(runs))
                series.append(Series(s, keep, [float(np.mean(gens[g])) for g in keep]))
        panels.append(Panel(f"target {t}", series))
    if any(p.series for p in panels):
        charts[f"{name}-transfer-rank.svg"] = line_chart(
            panels, title=f"{name}: mean global rank on the target of the cells transferred to it (1 = best)",
            xlabel="generation (reached by at least half of the runs)", ylabel="global rank (log scale)",
            log_y=True, colours=colours)
    return charts
