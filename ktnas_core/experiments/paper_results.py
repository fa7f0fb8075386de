"""The paper's tables for a front end: shipped results, a reproduction that runs in the background, and
the chart data (ECDF and best-so-far bands) -- all from the experiments API of ``ktnas reproduce``.

* :func:`load_result` / :func:`load_ablation` read what ``ktnas reproduce NAME --out docs/results``
  (and ``--ablation``) wrote, so a page shows the shipped numbers before anything is recomputed;
* :class:`Reproduction` runs :func:`~ktnas_core.experiments.reproduce.run_one` seed by seed in a worker
  thread (every strategy of a seed, then the next seed), can be stopped, and gives at any time the
  result of the seeds that every strategy has finished (so the paired tests stay paired);
* :func:`found_curves` (NB201: share of runs that have found each optimum, with its bootstrap band)
  and :func:`best_curves` (TNB101: mean best-so-far with a bootstrap band of the mean);
* :func:`darts_plan`: what ``ktnas reproduce darts`` runs for a task group, the paper's numbers,
  the GPU command, and the CPU-scale measurements shipped under ``benchmarks/results``.

Examples
--------
>>> result = load_result("nb201")
>>> result["experiment"], result["seeds"] >= 10, result["source"]
('nb201', True, 'nb201.json')
>>> job = Reproduction("tnb101", seeds=2, strategies=["random", "rea"]).start()
>>> job.wait(60)
True
>>> job.state, job.done, job.total, job.result()["seeds"]
('finished', 4, 4, 2)
>>> curve = best_curves(job.result(), "rea", "class_object")
>>> len(curve["x"]) == len(curve["y"]) == len(curve["low"])
True
>>> load_result("nb301")
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: experiment 'nb301' is not known; choose one of ['nb201', 'tnb101']
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from ..validation import check_int
from ..errors import DataIntegrityError, ParameterError
from .catalog import REFERENCE, experiment

__all__ = ["RESULTS_DIR", "CPU_RESULTS_DIR", "Reproduction", "load_result", "load_ablation", "found_curves",
           "best_curves", "darts_plan", "demo_strategies", "stored_summary"]

_ROOT = Path(__file__).resolve().parents[2]
#: where ``ktnas reproduce ... --out docs/results`` writes (a source checkout; not in the wheel)
RESULTS_DIR = _ROOT / "docs" / "results"
#: the CPU-scale measurements of the benchmark scripts (``benchmarks/results``)
CPU_RESULTS_DIR = _ROOT / "benchmarks" / "results"


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ParameterError(f"no stored result at {str(path)!r}: {e.strerror or e}; write one with "
                             f"`ktnas reproduce {path.stem.split('-')[0]} --out {path.parent}`") from None
    except ValueError as e:
        raise DataIntegrityError(f"{str(path)!r} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise DataIntegrityError(f"{str(path)!r} holds a {type(data).__name__}, not a reproduce result")
    return data


def load_result(name: str, directory=None) -> dict:
    """The stored result of ``ktnas reproduce NAME --out DIR`` (``DIR/NAME.json``; default :data:`RESULTS_DIR`).

    Returns the dict :func:`~ktnas_core.experiments.reproduce.reproduce` returned, with the ``summary`` the
    command stored (if the file has one; :func:`stored_summary`), plus ``"source"``: the file's name and
    ``"command"``: the first line of ``NAME.txt`` beside it, if any.

    Raises
    ------
    ParameterError
        For an unknown experiment or a missing file; :class:`DataIntegrityError` for a file that is
        not a reproduce result of that experiment.
    """
    experiment(name)
    folder = RESULTS_DIR if directory is None else Path(directory)
    path = folder / f"{name}.json"
    data = _read_json(path)
    runs, strategies = data.get("runs"), data.get("strategies")
    if (data.get("experiment") != name or not isinstance(runs, list) or not isinstance(strategies, list)
            or not all(isinstance(r, dict) and r.get("strategy") in strategies for r in runs)):
        raise DataIntegrityError(f"{str(path)!r} is not a `ktnas reproduce {name}` result (experiment, strategies "
                                 "and runs)")
    txt = folder / f"{name}.txt"
    command = txt.read_text(encoding="utf-8").splitlines()[0].lstrip("$ ").strip() if txt.is_file() else None
    return {**data, "source": path.name, "command": command}


def load_ablation(name: str, directory=None) -> dict | None:
    """The stored ``ktnas reproduce NAME --ablation --out DIR`` result (``DIR/NAME-ablation.json``), or None
    where none was shipped; ``"command"`` as in :func:`load_result`."""
    experiment(name)
    folder = RESULTS_DIR if directory is None else Path(directory)
    path = folder / f"{name}-ablation.json"
    if not path.is_file():
        return None
    data = _read_json(path)
    if data.get("experiment") != name or not isinstance(data.get("steps"), list):
        raise DataIntegrityError(f"{str(path)!r} is not a `ktnas reproduce {name} --ablation` result")
    txt = folder / f"{name}-ablation.txt"
    command = txt.read_text(encoding="utf-8").splitlines()[0].lstrip("$ ").strip() if txt.is_file() else None
    return {**data, "source": path.name, "command": command}


def stored_summary(result: dict, reference: str = REFERENCE) -> list | None:
    """The :func:`~ktnas_core.experiments.reproduce_report.summarize` rows stored with ``result`` by ``ktnas
    reproduce --out`` (against ``ktnas``), or None where the file has none, or they were made against
    another reference or for other strategies (then call ``summarize``; with few seeds its exact tests take
    seconds)."""
    rows = result.get("summary")
    if reference != REFERENCE or not isinstance(rows, list) or [
            r.get("method") for r in rows if isinstance(r, dict)] != list(result["strategies"]):
        return None
    return rows


def demo_strategies(name: str, max_evals: int | None, stored: dict | None = None) -> tuple[list, dict]:
    """Strategies of experiment ``name`` whose runs stay within ``max_evals`` evaluations (all tasks together),
    judged by the mean of their runs in ``stored`` (default: :func:`load_result`); the others with that mean.

    Returns ``(allowed, refused)`` with ``refused = {strategy: mean evaluations per run}``.  Without a
    limit, or for a strategy the stored result lacks, every strategy is allowed.
    """
    exp = experiment(name)
    if max_evals is None:
        return list(exp.strategies), {}
    try:
        stored = load_result(name) if stored is None else stored
    except (ParameterError, DataIntegrityError):
        return list(exp.strategies), {}
    refused = {}
    for s in exp.strategies:
        evals = [sum(r["evals"].values()) for r in stored["runs"] if r["strategy"] == s]
        if evals and np.mean(evals) > max_evals:
            refused[s] = float(np.mean(evals))
    return [s for s in exp.strategies if s not in refused], refused


class Reproduction:
    """``reproduce(name, seeds, strategies)`` in a worker thread, seed by seed, stoppable.

    Parameters
    ----------
    name : {"nb201", "tnb101"}
    seeds : int in [1, 10000]
        Seeds ``0..seeds-1``.
    strategies : list of str, optional
        Default: the experiment's list; ``reference`` (``ktnas``) first keeps the paired tests possible
        from the first seed on.
    max_evals : int, optional
        Stop (state ``"capped"``) once the runs have made this many evaluations in all.

    Attributes
    ----------
    state : {"ready", "running", "stopping", "stopped", "capped", "finished", "failed"}
    done, total : int
        Runs finished and planned.
    evals : int
        Evaluations of the finished runs, all tasks together.
    error : Exception or None
    """

    def __init__(self, name: str, seeds: int = 100, strategies: Sequence[str] | None = None,
                 max_evals: int | None = None):
        from ..search.presets import STRATEGY_NAMES

        self.name, self.exp = name, experiment(name)
        self.seeds = check_int("seeds", seeds, 1, 10000)
        chosen = list(self.exp.strategies if strategies is None else strategies)
        if not chosen or len(set(chosen)) != len(chosen):
            raise ParameterError(f"strategies={chosen!r} must name each strategy once (and at least one)")
        for s in chosen:
            if s not in STRATEGY_NAMES:
                raise ParameterError(f"strategy {s!r} is not known; choose from {list(STRATEGY_NAMES)}")
        self.strategies = chosen
        self.max_evals = None if max_evals is None else check_int("max_evals", max_evals, 1, 10**12)
        self.state, self.done, self.total, self.evals, self.error = "ready", 0, self.seeds * len(chosen), 0, None
        self.label, self.started, self.seconds = "", None, 0.0
        self._runs: list[dict] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> Reproduction:
        """Start the worker thread (once); returns self."""
        if self._thread is not None:
            raise ParameterError("this reproduction has started already; make a new one")
        self.state, self.started = "running", time.perf_counter()
        self._thread = threading.Thread(target=self._work, daemon=True, name=f"ktnas-reproduce-{self.name}")
        self._thread.start()
        return self

    def _work(self) -> None:
        from .reproduce import run_one

        try:
            for seed in range(self.seeds):
                for s in self.strategies:
                    if self._stop.is_set():
                        self.state = "stopped"
                        return
                    if self.max_evals is not None and self.evals >= self.max_evals:
                        self.state = "capped"
                        return
                    self.label = f"{s} seed {seed}"
                    record = run_one(self.name, s, seed)
                    with self._lock:
                        self._runs.append(record)
                        self.done += 1
                        self.evals += sum(record["evals"].values())
            self.state = "finished"
        except Exception as e:  # noqa: BLE001 - reported through state and error
            self.error, self.state = e, "failed"
        finally:
            self.seconds = time.perf_counter() - self.started

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Ask the worker to stop after the run it is in (its finished seeds are kept)."""
        if self.running:
            self._stop.set()
            self.state = "stopping"

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the worker ends; whether it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    @property
    def complete_seeds(self) -> int:
        """Seeds that every strategy has finished (the result covers these)."""
        return self.done // len(self.strategies)

    def result(self) -> dict | None:
        """The :func:`~ktnas_core.experiments.reproduce.reproduce`-shaped result of the complete seeds (None before
        the first)."""
        with self._lock:
            n = self.complete_seeds
            runs = [r for r in self._runs if r["seed"] < n]
        if n == 0:
            return None
        elapsed = (time.perf_counter() - self.started) if self.running else self.seconds
        return {"experiment": self.name, "benchmark": self.exp.benchmark, "tasks": list(self.exp.tasks),
                "seeds": n, "strategies": list(self.strategies), "runs": runs, "seconds": elapsed}


def found_curves(result: dict, strategy: str, task: str) -> dict:
    """NB201: ``{"x", "y", "low", "high"}``, the share of ``strategy``'s runs that have evaluated ``task``'s best
    cell within x evaluations, and its 95% bootstrap band (the chart of ``ktnas reproduce``)."""
    from .reproduce_report import _found_series

    exp = experiment(result["experiment"])
    if not exp.stop_on_optimum or task not in exp.tasks:
        raise ParameterError(f"found_curves needs a task of an experiment that runs to the optimum; got "
                             f"{task!r} of {result['experiment']!r}")
    runs = [r for r in result["runs"] if r["strategy"] == strategy]
    if not runs:
        raise ParameterError(f"strategy {strategy!r} has no runs here; choose one of {result['strategies']}")
    s = _found_series(runs, task, exp.budget, strategy)
    return {"x": list(s.x), "y": list(s.y), "low": list(s.low), "high": list(s.high)}


def best_curves(result: dict, strategy: str, task: str, n_resamples: int = 2000, seed: int = 0) -> dict:
    """TNB101: ``{"x", "y", "low", "high"}``, the mean over runs of the best-so-far validation metric per
    evaluation (room_layout: L2 loss x 100, lower is better) and a 95% bootstrap band of that mean (runs
    resampled), from the end of the initial population on (as ``ktnas reproduce`` draws it)."""
    exp = experiment(result["experiment"])
    if exp.stop_on_optimum or task not in exp.tasks:
        raise ParameterError(f"best_curves needs a task of a fixed-budget experiment; got {task!r} of "
                             f"{result['experiment']!r}")
    runs = [r for r in result["runs"] if r["strategy"] == strategy]
    if not runs:
        raise ParameterError(f"strategy {strategy!r} has no runs here; choose one of {result['strategies']}")
    curves = np.abs(np.array([r["best_so_far"][task] for r in runs], dtype=float))
    curves *= 100.0 if task == "room_layout" else 1.0
    rng = np.random.default_rng(seed)
    means = np.stack([curves[rng.integers(0, len(runs), len(runs))].mean(axis=0) for _ in range(n_resamples)])
    low, high = np.percentile(means, [2.5, 97.5], axis=0)
    first = min(10, curves.shape[1])
    cut = slice(first - 1, None)
    return {"x": list(range(first, curves.shape[1] + 1)), "y": curves.mean(axis=0)[cut].tolist(),
            "low": low[cut].tolist(), "high": high[cut].tolist()}


def darts_plan(group: str = "mnist") -> dict:
    """What ``ktnas reproduce darts --tasks GROUP`` runs: ``{"tasks", "paper": {task: (mean, sd)},
    "search", "retrain", "command", "measured": {file name: text}}``; ``measured`` holds the CPU-scale
    runs of ``benchmarks/bench_darts_search.py`` shipped under :data:`CPU_RESULTS_DIR` (empty where absent).

    >>> plan = darts_plan("mnist")
    >>> plan["command"]
    'ktnas reproduce darts --tasks mnist --device cuda'
    >>> plan["paper"]["mnist"]
    (99.62, 0.17)
    """
    from .reproduce_darts import PAPER_DARTS, RETRAIN_DEFAULTS, SEARCH_DEFAULTS, TASK_SETS

    if group not in TASK_SETS:
        raise ParameterError(f"task group {group!r} is not known; choose one of {list(TASK_SETS)}")
    measured = {}
    if group == "mnist":  # the CPU-scale runs searched MNIST and Fashion-MNIST
        for path in sorted(CPU_RESULTS_DIR.glob("darts_search*.txt")):
            measured[path.name] = path.read_text(encoding="utf-8")
    return {"tasks": list(TASK_SETS[group]), "paper": {t: PAPER_DARTS[t] for t in TASK_SETS[group]},
            "search": dict(SEARCH_DEFAULTS), "retrain": dict(RETRAIN_DEFAULTS),
            "command": f"ktnas reproduce darts --tasks {group} --device cuda", "measured": measured}


