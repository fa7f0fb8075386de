"""What a run achieved, read from its folder: report rows, best-so-far regret curves, and the
median with an interquartile band over several seeds.

``ktnas report``, the app's results table and its runs table all read runs through here:

* :func:`report_rows`: per run and task, the best cell, its validation and test scores, rank,
  regret, evaluations and simulated GPU-hours (the columns of :data:`COLUMNS`);
* :func:`read_run`: one pass over a run's event log giving its :class:`RunRecord` (strategy,
  seed, benchmark, status, and per task the regret of the best cell so far after each
  evaluation, from which the evaluations to the optimum or to the best found follow);
* :func:`band`: the median and interquartile range of several such curves, evaluation by
  evaluation (runs of one strategy over several seeds).

Regret is in the search's score orientation: the table's optimum minus the best score so far
(0 once the task's best cell is found); for a training run, 100% minus the best validation
accuracy (no optimum is known).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from ktnas_core.search import TableEvaluator, make_strategy, run_search
>>> d = Path(tempfile.mkdtemp()) / "rea-0"
>>> _ = run_search(make_strategy("rea", "nb201", ["cifar10"]), TableEvaluator("nb201"), budget=40, seed=0, run_dir=d)
>>> rec = read_run(d)
>>> rec.strategy, rec.seed, rec.benchmark, rec.status, len(rec.curves["cifar10"])
('rea', 0, 'nb201', 'budget', 40)
>>> rec.regret["cifar10"] == report_rows([d])[0]["regret"], rec.to_best["cifar10"] <= 40
(True, True)
>>> x, median, q25, q75 = band([rec.curves["cifar10"]] * 3)
>>> len(x), bool((median == q25).all())
(40, True)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataIntegrityError, ParameterError
from . import checkpoint as ck
from ..search.events import Evaluated, RunFailed, RunFinished, read_events, summarize_log

__all__ = ["COLUMNS", "RunRecord", "band", "check_run_dir", "read_run", "report_rows", "strategy_label",
           "training_rows"]

#: report columns, in table / CSV order
COLUMNS = ("run", "benchmark", "task", "strategy", "seed", "status", "best_cell", "valid", "test", "rank",
           "regret", "evals", "gpu_hours")
#: names of the per-task strategy classes in reports
_NAMES = {"RegularizedEvolution": "rea", "RandomSearch": "random"}


def check_run_dir(text: Any) -> Path:
    """``text`` as a path, if it is a ktnas run directory (it holds ``config.json``).

    Raises
    ------
    ParameterError
        Naming the path: it does not exist, is not a directory, or holds no ``config.json``.
    """
    path = Path(text)
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except (OSError, ValueError) as e:  # a name too long, with a NUL byte, a loop of links, ...
        raise ParameterError(f"run directory {str(path)!r} is not a usable path "
                             f"({getattr(e, 'strerror', None) or e})") from None
    if not exists:
        raise ParameterError(f"run directory {str(text)!r} does not exist")
    if not is_dir:
        raise ParameterError(f"{str(text)!r} is not a directory; give a run directory made by ktnas run")
    if not (path / ck.CONFIG).is_file():
        raise ParameterError(f"{str(text)!r} is not a ktnas run directory (it has no config.json); "
                             "start one with ktnas run")
    return path


def strategy_label(config: dict) -> str:
    """The strategy's name in a run's config (``rea``, ``ktnas``, ...)."""
    label = config["strategy"].get("label", config["strategy"].get("class"))
    return _NAMES.get(label, label) if isinstance(label, str) else str(label)


def _status(last: Any) -> str:
    """How a log ended: the finish reason, else "stopped" (failed, or killed: resumable)."""
    return last.reason if isinstance(last, RunFinished) else "stopped"


def _config(path: Path) -> tuple[dict, bool]:
    """A run's checked config and whether it trained its candidates."""
    config = ck.read_json(path / ck.CONFIG, ("strategy", "tasks", "evaluator", "seed"))
    ev = config["evaluator"]
    train = isinstance(ev, dict) and ev.get("kind") in ("train", "supernet")
    if not train and (not isinstance(ev, dict) or ev.get("kind") != "table" or not ev.get("benchmark")):
        raise ParameterError(f"{str(path)!r} was not run on a table benchmark nor with training; "
                             "a report needs one of them")
    tasks, strategy = config["tasks"], config["strategy"]
    if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks) or not isinstance(strategy, dict):
        raise DataIntegrityError(f"{path / ck.CONFIG} has tasks {tasks!r} and strategy {strategy!r}; a list of "
                                 "task names and a dict were expected: the file is corrupted")
    return config, train


def report_rows(dirs: list) -> list[dict]:
    """One row per run directory and task (see :data:`COLUMNS`).

    Raises
    ------
    ParameterError, DataIntegrityError
        For a directory that is not a ktnas run, or a corrupted config or event log.
    """
    from .. import benchmarks

    rows = []
    for d in dirs:
        path = check_run_dir(d)
        config, train = _config(path)
        tasks, label = config["tasks"], strategy_label(config)
        log = summarize_log(path / ck.EVENTS, tasks)
        status = _status(log.last)
        if train:
            rows += training_rows(path, config, tasks, log.best, log.n_evals, log.cost_s, status, label)
            continue
        ev = config["evaluator"]
        bench, metric = benchmarks.load(ev["benchmark"]), ev.get("metric")
        for t in tasks:
            row = {"run": str(path), "benchmark": bench.name, "task": t, "strategy": label,
                   "seed": config["seed"], "status": status, "best_cell": None, "valid": None, "test": None,
                   "rank": None, "regret": None, "evals": log.n_evals[t], "gpu_hours": log.cost_s[t] / 3600}
            if log.best[t] is not None:
                arch = log.best[t][0]
                row.update(best_cell=arch, valid=bench.query(arch, t, metric),
                           test=bench.query(arch, t, bench.test_metric(t)), rank=bench.rank(arch, t, metric),
                           regret=bench.regret(arch, t, metric))
            rows.append(row)
    return rows


def training_rows(path: Path, config: dict, tasks: list[str], best: dict, n_evals: dict, cost: dict,
                  status: str, label: str) -> list[dict]:
    """Report rows of a training run (the columns of :data:`COLUMNS`; no rank or regret: no table)."""
    from ..evaluation.rebuild import evaluator_from_config

    ev = evaluator_from_config(config["evaluator"])
    rows = []
    for t in tasks:
        row = {"run": str(path), "benchmark": "train", "task": t, "strategy": label, "seed": config["seed"],
               "status": status, "best_cell": None, "valid": None, "test": None, "rank": None, "regret": None,
               "evals": n_evals[t], "gpu_hours": cost[t] / 3600}
        if best[t] is not None:
            arch, score = best[t]
            row.update(best_cell=arch, valid=score)
            try:
                row["test"] = ev.details(arch, t).get("test_accuracy")  # a supernet has no test score
            except KeyError:  # not in the cache (e.g. the cache folder was removed)
                pass
        rows.append(row)
    return rows


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """What a run achieved, per task (see :func:`read_run`).

    Attributes
    ----------
    path : pathlib.Path
    strategy : str
        The strategy's name (``ktnas``, ``rea``, ...).
    seed : int
    benchmark : str
        The table's name, or ``"train"`` for a run that trained its candidates.
    tasks : tuple of str
    status : str
        ``"optimum"``, ``"budget"``, ``"generations"``, ``"stopped"``, ``"failed"``, or ``"running"``
        (no final event yet: going now, or killed).
    curves : dict
        Task -> float array: regret of the best cell so far after each new evaluation (index
        ``k`` is after ``k + 1`` evaluations; never increases).
    best : dict
        Task -> the best cell's string (None before any evaluation).
    """

    path: Path
    strategy: str
    seed: int
    benchmark: str
    tasks: tuple
    status: str
    curves: dict
    best: dict

    @property
    def group(self) -> tuple:
        """``(benchmark, strategy, tasks)``: runs that differ only in their seed share it."""
        return self.benchmark, self.strategy, self.tasks

    @property
    def regret(self) -> dict:
        """Task -> the regret of the best cell found (None before any evaluation)."""
        return {t: float(c[-1]) if len(c) else None for t, c in self.curves.items()}

    @property
    def evals(self) -> dict:
        """Task -> new evaluations done."""
        return {t: len(c) for t, c in self.curves.items()}

    @property
    def to_optimum(self) -> dict:
        """Task -> evaluations until the task's optimum was found (None if it was not; training: None)."""
        if self.benchmark == "train":
            return {t: None for t in self.tasks}
        return {t: int(np.argmax(c <= 0.0)) + 1 if len(c) and c[-1] <= 0.0 else None for t, c in self.curves.items()}

    @property
    def to_best(self) -> dict:
        """Task -> evaluations until the best cell found was reached (None before any evaluation)."""
        return {t: int(np.argmax(c <= c[-1])) + 1 if len(c) else None for t, c in self.curves.items()}


def read_run(run_dir: Any) -> RunRecord:
    """Read a run directory's config and event log (also of a run going now) into a :class:`RunRecord`.

    Raises
    ------
    ParameterError, DataIntegrityError
        As :func:`report_rows`.
    """
    path = check_run_dir(run_dir)
    config, train = _config(path)
    tasks = tuple(config["tasks"])
    if train:
        optimum, bench = {t: 100.0 for t in tasks}, "train"
    else:
        from ..evaluation.base import TableEvaluator

        ev = TableEvaluator(config["evaluator"]["benchmark"], config["evaluator"].get("metric"))
        optimum, bench = {t: ev.optimum_score(t) for t in tasks}, ev.benchmark.name
    scores: dict = {t: [] for t in tasks}
    best: dict = {t: None for t in tasks}
    top = {t: -np.inf for t in tasks}
    status = "running"
    log = path / ck.EVENTS
    for e in read_events(log) if log.is_file() else ():
        if isinstance(e, Evaluated) and e.new and e.task in scores:
            if e.score > top[e.task]:
                best[e.task], top[e.task] = e.arch, e.score
            scores[e.task].append(e.score)
        elif isinstance(e, RunFinished):
            status = e.reason
        elif isinstance(e, RunFailed):
            status = "failed"
    curves = {}
    for t in tasks:
        so_far = np.maximum.accumulate(np.asarray(scores[t], dtype=float)) if scores[t] else np.zeros(0)
        curves[t] = np.maximum(optimum[t] - so_far, 0.0)
    return RunRecord(path, strategy_label(config), int(config["seed"]), bench, tasks, status, curves, best)


def band(curves: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(evaluations, median, 25th percentile, 75th percentile)`` of several regret curves.

    A curve that reached regret 0 (the optimum: it cannot improve) counts as 0 after its end;
    otherwise the band stops where the shortest remaining curve ends, so every point is over
    all the curves.

    Raises
    ------
    ParameterError
        For no curves, or an empty one.

    >>> x, m, lo, hi = band([[3.0, 1.0, 0.0], [2.0, 2.0, 2.0, 1.0], [4.0, 0.0]])
    >>> x.tolist(), m.tolist(), lo.tolist(), hi.tolist()
    ([1, 2, 3, 4], [3.0, 1.0, 0.0, 0.0], [2.5, 0.5, 0.0, 0.0], [3.5, 1.5, 1.0, 0.5])
    """
    arrays = [np.asarray(c, dtype=float) for c in curves]
    if not arrays or any(a.size == 0 for a in arrays):
        raise ParameterError(f"band needs one or more non-empty curves; got lengths {[a.size for a in arrays]}")
    open_ended = [a.size for a in arrays if a[-1] > 0]
    n = min(open_ended) if open_ended else max(a.size for a in arrays)
    grid = np.stack([np.concatenate([a, np.zeros(max(n - a.size, 0))])[:n] for a in arrays])
    q25, median, q75 = np.percentile(grid, [25, 50, 75], axis=0)
    return np.arange(1, n + 1), median, q25, q75
