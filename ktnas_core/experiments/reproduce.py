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

Every strategy runs with the same root seeds ``0..seeds-1``; the report
(:mod:`~ktnas_core.experiments.reproduce_report`) gives per strategy and task the mean, median and
a bootstrap interval of the mean, and a paired Wilcoxon test against ``ktnas`` over the same
seeds (:mod:`~ktnas_core.experiments.stats` says why pairing is valid; each record carries a
fingerprint of its first population, ``start``, so the report can show it).

Examples
--------
>>> result = reproduce("tnb101", seeds=1, strategies=["random"])
>>> [row["method"] for row in summarize(result)]
['random']
>>> result["runs"][0]["evals"]
{'class_object': 50, 'class_scene': 50, 'room_layout': 50}
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence

import numpy as np

from ..validation import check_int
from ..errors import ParameterError
from ..runs.driver import run_search
from ..evaluation.base import TableEvaluator
from ..search.events import Evaluated, Transferred
from .catalog import EXPERIMENTS, PAPER, PAPER_NAMES, REFERENCE, Experiment, experiment
from ..search.presets import STRATEGY_NAMES, make_strategy
from .reproduce_report import format_table, plots, summarize

__all__ = ["EXPERIMENTS", "Experiment", "PAPER", "PAPER_NAMES", "REFERENCE", "reproduce", "stored_result", "run_one", "run_many",
           "summarize", "format_table", "plots"]


def run_one(name: str, strategy: str, seed: int, overrides: dict | None = None, label: str | None = None) -> dict:
    """Run ``strategy`` once with root ``seed`` on experiment ``name``; a JSON-able record.

    ``overrides`` are keyword arguments of :func:`~ktnas_core.search.presets.make_strategy` (the
    ablation uses them) and ``label`` names the record (default: ``strategy``).  ``start`` holds,
    per task, a fingerprint of the cells evaluated in generation 0 (the initial population).
    """
    exp = experiment(name)
    from .. import benchmarks

    bench = benchmarks.load(exp.benchmark)
    ranks = {t: bench.ranks(t) for t in exp.tasks}
    scores: dict[str, list] = {t: [] for t in exp.tasks}
    transfers: dict[str, dict[int, list]] = {t: {} for t in exp.tasks}
    start: dict[str, list] = {t: [] for t in exp.tasks}

    def collect(event: Any) -> None:
        if isinstance(event, Evaluated) and event.new:
            scores[event.task].append(event.score)
            if event.generation == 0:
                start[event.task].append(event.arch)
        elif isinstance(event, Transferred) and event.accepted:
            i = bench.space.index(bench.space.parse(event.arch))
            transfers[event.target].setdefault(event.generation, []).append(int(ranks[event.target][i]))

    started = time.perf_counter()
    strat = make_strategy(strategy, bench.space.name, exp.tasks, **(overrides or {}))
    res = run_search(strat, TableEvaluator(bench), budget=exp.budget, stop_on_optimum=exp.stop_on_optimum,
                     max_generations=1_000_000, seed=seed, callbacks=[collect])
    record = {"strategy": label or strategy, "seed": seed, "seconds": time.perf_counter() - started,
              "generations": res.generations, "reason": res.reason,
              "evals": {t: r.n_evals for t, r in res.tasks.items()},
              "optimum_at": {t: r.optimum_at for t, r in res.tasks.items()},
              "best_arch": {t: r.best_arch for t, r in res.tasks.items()},
              "transfer_rank": {t: [[g, float(np.mean(v)), len(v)] for g, v in sorted(d.items())]
                                for t, d in transfers.items()},
              "start": {t: hashlib.sha1("|".join(sorted(a)).encode()).hexdigest()[:12] for t, a in start.items()}}
    if not exp.stop_on_optimum:
        record["best_so_far"] = {t: np.maximum.accumulate(s).round(6).tolist() for t, s in scores.items()}
        record["value"] = {t: bench.query(a, t) for t, a in record["best_arch"].items()}
        record["rank"] = {t: bench.rank(a, t) for t, a in record["best_arch"].items()}
    return record


def _job(args: tuple) -> dict:
    return run_one(*args)


def _one_thread() -> None:
    """Worker set-up: one BLAS thread per process (``jobs`` processes share the cores)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        return
    globals()["_limits"] = threadpool_limits(1)


def run_many(work: Sequence[tuple], jobs: int = 1, progress: Callable[[int, int, str], None] | None = None) -> list:
    """Records of :func:`run_one` for each ``(name, strategy, seed[, overrides, label])`` of ``work``, in order."""
    runs = []
    pool = ProcessPoolExecutor(jobs, initializer=_one_thread) if jobs > 1 else None
    try:
        results = pool.map(_job, work) if pool else map(_job, work)
        for k, record in enumerate(results, 1):
            runs.append(record)
            if progress is not None:
                progress(k, len(work), f"{record['strategy']} seed {record['seed']}")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return runs


def stored_result(data: object, name: str, strategies: Sequence[str] | None = None) -> dict:
    """A result :func:`reproduce` returned earlier (read back from its ``<name>.json``), checked to be
    experiment ``name``'s, cut to ``strategies`` when given (each must have run there).

    >>> stored = reproduce("tnb101", seeds=1, strategies=["random", "rea"])
    >>> stored_result(stored, "tnb101", ["rea"])["strategies"], len(stored_result(stored, "tnb101")["runs"])
    (['rea'], 2)
    >>> stored_result(stored, "nb201")
    Traceback (most recent call last):
    ...
    ktnas_core.errors.ParameterError: reuse must be a reproduce result of experiment 'nb201' (with its runs)
    """
    if not isinstance(data, dict) or data.get("experiment") != name or not isinstance(data.get("runs"), list):
        raise ParameterError(f"reuse must be a reproduce result of experiment {name!r} (with its runs)")
    ran = list(data.get("strategies") or dict.fromkeys(r["strategy"] for r in data["runs"]))
    keep = ran if strategies is None else list(strategies)
    missing = [s for s in keep if s not in ran]
    if missing:
        raise ParameterError(f"strategies {missing} did not run in the stored result; it has {ran}")
    return {**{k: v for k, v in data.items() if k != "summary"}, "strategies": keep,
            "runs": [r for r in data["runs"] if r["strategy"] in keep]}


def reproduce(name: str, seeds: int = 100, strategies: Sequence[str] | None = None, jobs: int = 1,
              progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Run every strategy of experiment ``name`` for seeds ``0..seeds-1``.

    Parameters
    ----------
    name : {"nb201", "tnb101"}
    seeds : int >= 1, default 100
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
    exp = experiment(name)
    seeds = check_int("seeds", seeds, 1, 10000)
    jobs = check_int("jobs", jobs, 1, 256)
    chosen = list(exp.strategies if strategies is None else strategies)
    if len(set(chosen)) != len(chosen) or not chosen:
        raise ParameterError(f"strategies={chosen!r} must name each strategy once (and at least one)")
    for s in chosen:
        if s not in STRATEGY_NAMES:
            raise ParameterError(f"strategy {s!r} is not known; choose from {list(STRATEGY_NAMES)}")
    started = time.perf_counter()
    runs = run_many([(name, s, seed) for s in chosen for seed in range(seeds)], jobs, progress)
    return {"experiment": name, "benchmark": exp.benchmark, "tasks": list(exp.tasks), "seeds": seeds,
            "strategies": chosen, "runs": runs, "seconds": time.perf_counter() - started}
