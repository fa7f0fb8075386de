"""The one search loop: any ask/tell strategy per task, any evaluator.

It counts evaluations per task (a repeated query of the same cell on the same
task is free: cached), tracks simulated cost, checks a stop flag before each batch of
evaluations, emits events to callbacks and to ``events.jsonl``, and writes an
atomic, checksummed ``checkpoint.json`` after every generation (keeping the one before as
``checkpoint.prev.json``), from which :func:`resume` continues exactly (same result and same
event log, timestamps aside); a damaged newest checkpoint or log prefix falls back to the
previous one (:mod:`~ktnas_core.runs.recovery`).

The evaluation cache is not copied into each checkpoint: it is rebuilt on
resume from the event log's prefix that the checkpoint names (the log is
fsynced before each checkpoint), which keeps checkpoints O(population).

Examples
--------
>>> from ktnas_core.search import RandomSearch, RegularizedEvolution, TableEvaluator, run_search
>>> ev = TableEvaluator("nb201")
>>> res = run_search({"cifar10": RegularizedEvolution("nb201"), "cifar100": RandomSearch("nb201")},
...                  ev, max_generations=20, seed=1)
>>> res.reason, res.generations, [t.n_evals <= 29 for t in res.tasks.values()]
('generations', 20, [True, True])
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..errors import DataIntegrityError, KtnasError, ParameterError, RecoveryWarning
from ..evaluation.base import Evaluation
from ..evaluation.rebuild import evaluator_from_config
from ..evaluation.training import TrainingStopped  # light: torch is imported only when a candidate trains
from ..search.events import Evaluated, Event, EventLog, GenerationDone, RunFailed, RunFinished, RunStarted, read_events
from ..search.multitask import Independent, MultiTaskStrategy
from ..search.rebuild import strategy_from_config
from ..validation import check_int
from . import checkpoint as ck
from . import recovery

__all__ = ["Search", "SearchResult", "TaskResult", "run_search", "resume"]


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """Outcome on one task: best cell and score, evaluations, simulated cost, and the
    evaluation count at which the optimum was first found (None if never or unknown)."""

    best_arch: str | None
    best_score: float | None
    n_evals: int
    cost_s: float
    optimum_at: int | None


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """Why the run ended, how many generations it completed, and a :class:`TaskResult` per task.

    ``recovered`` (not compared) holds what :func:`resume` found damaged and recovered from, one line each.
    """

    reason: str
    generations: int
    tasks: dict
    recovered: tuple = dataclasses.field(default=(), compare=False)


class _Stopped(Exception):
    pass


class Search:
    """A search run; :meth:`run` drives it to the end (see :func:`run_search` for the parameters)."""

    def __init__(self, strategies: Any, evaluator: Any, *, budget: int | None = None,
                 max_generations: int | None = None, stop_on_optimum: bool = False, seed: int | None = None,
                 run_dir: str | os.PathLike | None = None, callbacks: Iterable[Callable[[Event], None]] = (),
                 stop: threading.Event | None = None, checkpoint_every: int = 1, checkpoint_seconds: float = 0.5):
        if isinstance(strategies, Mapping):
            strategies = Independent(strategies)
        if not isinstance(strategies, MultiTaskStrategy):
            raise ParameterError(f"strategies={strategies!r} must be a dict task -> Strategy or a multi-task "
                                 f"strategy (one of {list(multitask_classes())})")
        if not callable(getattr(evaluator, "evaluate", None)):
            raise ParameterError(f"evaluator={evaluator!r} has no evaluate(archs, task) method")
        bench = getattr(evaluator, "benchmark", None)
        if bench is not None:
            for task in strategies.tasks:
                bench.check_task(task)
        self.budget = None if budget is None else check_int("budget", budget, 1)
        self.max_generations = None if max_generations is None else check_int("max_generations", max_generations, 1)
        if not isinstance(stop_on_optimum, bool):
            raise ParameterError(f"stop_on_optimum={stop_on_optimum!r} must be True or False")
        if self.budget is None and self.max_generations is None and not stop_on_optimum:
            raise ParameterError("the run would never end; set budget, max_generations or stop_on_optimum=True")
        if stop_on_optimum and not callable(getattr(evaluator, "optimum_score", None)):
            raise ParameterError("stop_on_optimum=True needs an evaluator with optimum_score(task), e.g. TableEvaluator")
        self.seed = None if seed is None else check_int("seed", seed, 0)
        self.checkpoint_every = check_int("checkpoint_every", checkpoint_every, 1)
        if isinstance(checkpoint_seconds, bool) or not isinstance(checkpoint_seconds, (int, float)) or not (
                0 <= checkpoint_seconds < float("inf")):
            raise ParameterError(f"checkpoint_seconds={checkpoint_seconds!r} is out of range; allowed: a number "
                                 ">= 0 (0 checkpoints every checkpoint_every generations)")
        self.checkpoint_seconds = float(checkpoint_seconds)
        self._last_checkpoint = float("-inf")
        self.strategy, self.evaluator, self.stop_on_optimum = strategies, evaluator, stop_on_optimum
        self._drift = bool(getattr(evaluator, "scores_drift", False))  # answers change as it trains: ask again
        self.callbacks, self.stop = list(callbacks), stop
        self.tasks = list(self.strategy.tasks)
        if self.seed is not None:
            self.strategy.reseed(self.seed)
        self._optimum = {t: evaluator.optimum_score(t) for t in self.tasks} if callable(
            getattr(evaluator, "optimum_score", None)) else {}
        self.generation, self.n_events = 0, 0
        self.n_evals = {t: 0 for t in self.tasks}
        self.cost_s = {t: 0.0 for t in self.tasks}
        self.best: dict[str, tuple[str, float] | None] = {t: None for t in self.tasks}
        self.optimum_at: dict[str, int | None] = {t: None for t in self.tasks}
        self.cache: dict[tuple[str, str], Evaluation] = {}
        self.run_dir = None if run_dir is None else Path(run_dir)
        self._log: EventLog | None = None
        self._fresh, self._prepared = True, False
        self.recovered: tuple = ()

    # -- configuration and checkpoints ---------------------------------------------
    def config(self) -> dict:
        ev = self.evaluator.config() if callable(getattr(self.evaluator, "config", None)) else {
            "kind": type(self.evaluator).__name__}
        return {"version": ck.CHECKPOINT_VERSION, "evaluator": ev, "budget": self.budget,
                "max_generations": self.max_generations, "stop_on_optimum": self.stop_on_optimum,
                "seed": self.seed, "checkpoint_every": self.checkpoint_every,
                "checkpoint_seconds": self.checkpoint_seconds, "tasks": self.tasks,
                "strategy": {"class": type(self.strategy).__name__, "label": self.strategy.label,
                             "params": self.strategy.get_params()}}

    def _checkpoint(self) -> None:
        if self._log is None:
            return
        self._last_checkpoint = time.monotonic()
        self._log.sync()
        ck.write_checkpoint(self.run_dir, {
            "version": ck.CHECKPOINT_VERSION, "generation": self.generation, "n_events": self.n_events,
            "log_bytes": self._log.tell(), "log_sha256": self._log.digest(), "n_evals": self.n_evals,
            "cost_s": self.cost_s,
            "best": self.best, "optimum_at": self.optimum_at,
            "strategy": self.strategy.state_dict()})

    def _restore(self, state: dict) -> None:
        self.generation, self.n_events = int(state["generation"]), int(state["n_events"])
        self.n_evals = {t: int(state["n_evals"][t]) for t in self.tasks}
        self.cost_s = {t: float(state["cost_s"][t]) for t in self.tasks}
        self.best = {t: None if state["best"][t] is None else (state["best"][t][0], float(state["best"][t][1]))
                     for t in self.tasks}
        self.optimum_at = {t: None if state["optimum_at"][t] is None else int(state["optimum_at"][t])
                           for t in self.tasks}
        self.strategy.load_state_dict(state["strategy"])
        path = self.run_dir / ck.EVENTS
        ck.truncate_log(path, int(state["log_bytes"]), self.n_events)
        for e in read_events(path):
            if isinstance(e, Evaluated) and e.new:
                self.cache[(e.task, e.arch)] = Evaluation(e.arch, e.task, e.score, e.cost_s, "cache")
        self._fresh = False

    # -- the loop ----------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        self.n_events += 1
        if self._log is not None:
            self._log(event)
        for cb in self.callbacks:
            cb(event)

    def _drain(self) -> None:
        for event in self.strategy.drain_events():
            self._emit(event)

    def _done(self, task: str) -> bool:
        if self.stop_on_optimum and self.optimum_at[task] is not None:
            return True
        return self.budget is not None and self.n_evals[task] >= self.budget

    def _evaluate_batch(self, task: str, archs: list) -> list[Evaluation]:
        """Evaluate ``archs`` on ``task`` in order, as if one by one: the cells not evaluated before go to the
        evaluator in one call (so that it may train them side by side), as many as the budget allows; the
        evaluations after the one that ends the task (budget or optimum) are dropped, uncounted."""
        if self.stop is not None and self.stop.is_set():
            raise _Stopped
        room = float("inf") if self.budget is None else self.budget - self.n_evals[task]
        fresh: dict[str, Any] = {}
        for arch in archs:
            key = str(arch)
            if (task, key) not in self.cache and key not in fresh:
                if len(fresh) >= room:
                    break
                fresh[key] = arch
        try:
            answers = dict(zip(fresh, self.evaluator.evaluate(list(fresh.values()), task))) if fresh else {}
        except TrainingStopped:  # the stop flag, seen between two batches
            raise _Stopped from None
        seen = list(dict.fromkeys(str(a) for a in archs if (task, str(a)) in self.cache)) if self._drift else []
        again = dict(zip(seen, self.evaluator.rescore(seen, task))) if seen else {}  # met before: today's weights
        told = []
        for arch in archs:
            key = (task, str(arch))
            e = self.cache.get(key)
            new = e is None
            if not new and key[1] in again:
                e = dataclasses.replace(e, score=float(again[key[1]]))
            if new:
                e = self.cache[key] = answers[key[1]]
                self.n_evals[task] += 1
                self.cost_s[task] += e.cost_s
                if self.best[task] is None or e.score > self.best[task][1]:
                    self.best[task] = (e.arch, e.score)
                if self.optimum_at[task] is None and task in self._optimum and e.score >= self._optimum[task]:
                    self.optimum_at[task] = self.n_evals[task]
            self._emit(Evaluated(task, e.arch, e.score, e.cost_s if new else 0.0, self.n_evals[task],
                                 self.generation, new))
            told.append(e)
            if self._done(task):
                break
        return told

    def _generation(self) -> None:
        begin = getattr(self.evaluator, "begin_generation", None)
        if callable(begin):  # e.g. a supernet trains one epoch per generation, however often it is called
            begin(self.generation)
        while True:
            if self.stop is not None and self.stop.is_set():
                raise _Stopped
            active = [t for t in self.tasks if not self._done(t)]
            asked = self.strategy.ask(active) if active else {}
            self._drain()
            told = {}
            for task in self.tasks:
                if task not in asked or self._done(task):
                    continue
                told[task] = self._evaluate_batch(task, list(asked[task]))
            if told and self._drift:  # parents meet the weights their children met
                self.strategy.refresh_scores(self.evaluator.rescore)
            self.strategy.tell(told)
            self._drain()
            if self.strategy.generation_complete or not active:
                break
        best = {t: {"arch": b[0], "score": b[1], "n_evals": self.n_evals[t]} for t, b in self.best.items()
                if b is not None}
        self._emit(GenerationDone(self.generation, best))
        self.generation += 1
        if self.generation % self.checkpoint_every == 0 and (
                time.monotonic() - self._last_checkpoint >= self.checkpoint_seconds):
            self._checkpoint()

    def _end_reason(self) -> str | None:
        if all(self._done(t) for t in self.tasks):
            if self.stop_on_optimum and all(self.optimum_at[t] is not None for t in self.tasks):
                return "optimum"
            return "budget"
        if self.max_generations is not None and self.generation >= self.max_generations:
            return "generations"
        return None

    def prepare(self) -> None:
        """Create a fresh run's directory and its ``config.json`` (once; :meth:`run` calls it), so that
        a caller who starts the run in another thread finds its folder at once.

        Raises
        ------
        ParameterError
            If ``run_dir`` is not empty, or cannot be created or written.
        """
        if self.run_dir is not None and self._fresh and not self._prepared:
            ck.create_run_dir(self.run_dir, self.config())
            self._prepared = True

    def run(self) -> SearchResult:
        """Run to the end (or until the stop flag is set) and return the :class:`SearchResult`."""
        self.prepare()
        if self.run_dir is not None:
            self._log = EventLog(self.run_dir / ck.EVENTS)
        try:
            if self._fresh:
                self._emit(RunStarted(self.config()))
                self._checkpoint()
            while (reason := self._end_reason()) is None:
                try:
                    self._generation()
                except _Stopped:
                    reason = "stopped"
                    break
            self._emit(RunFinished(reason))
            return self.result(reason)
        except BaseException as exc:
            self._emit(RunFailed(f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            if self._log is not None:
                self._log.close()

    def result(self, reason: str) -> SearchResult:
        tasks = {t: TaskResult(None if b is None else b[0], None if b is None else b[1], self.n_evals[t],
                               self.cost_s[t], self.optimum_at[t]) for t, b in self.best.items()}
        return SearchResult(reason, self.generation, tasks, self.recovered)


def run_search(strategies: Any, evaluator: Any, **kwargs: Any) -> SearchResult:
    """Run ``strategies`` (task -> Strategy) against ``evaluator`` and return the result.

    Parameters
    ----------
    strategies : dict or MultiTaskStrategy
        One ask/tell :class:`~ktnas_core.search.strategies.Strategy` per task (run in this order),
        or a multi-task strategy such as :class:`~ktnas_core.search.evolution.MultiTaskEvolution`.
    evaluator : Evaluator
        E.g. :class:`~ktnas_core.evaluation.base.TableEvaluator`.
    budget : int or None
        Maximum evaluations per task (repeats are free).
    max_generations : int or None
        Maximum generations (one ask/tell per active task each).
    stop_on_optimum : bool
        End a task once a cell with the task's best score is evaluated.
    seed : int or None
        Root seed handed to the strategy's ``reseed`` (per-task strategies get
        ``SeedSequence(seed).spawn`` children).
    run_dir : path or None
        New or empty directory for ``config.json``, ``events.jsonl``, ``checkpoint.json``.
    callbacks : iterable of callables
        Each called with every event.
    stop : threading.Event or None
        Checked before each task's evaluations of a generation (and by training evaluators before every
        batch); when set the run ends with reason ``"stopped"``.
    checkpoint_every : int, default 1
        Write ``checkpoint.json`` every this many generations (each costs three fsyncs); resume
        continues from the last one and redoes the generations after it, so results do not change.
    checkpoint_seconds : float, default 0.5
        ... and at most once in this many seconds (0: every ``checkpoint_every`` generations).
        Generations that train networks take far longer, so each gets its checkpoint; table
        searches with one child per generation would otherwise spend most time in fsync.
    """
    return Search(strategies, evaluator, **kwargs).run()


def resume(run_dir: str | os.PathLike, evaluator: Any = None, *, callbacks: Iterable[Callable] = (),
           stop: threading.Event | None = None) -> SearchResult:
    """Continue the run in ``run_dir`` from its last good checkpoint, exactly as if it had not stopped.

    When ``checkpoint.json`` or the event-log prefix it covers is damaged, the run continues from
    ``checkpoint.prev.json`` (see :mod:`~ktnas_core.runs.recovery`): a
    :class:`~ktnas_core.errors.RecoveryWarning` says what was wrong, and so does the result's
    ``recovered``.

    Raises
    ------
    FormatVersionError
        For a config or checkpoints written by another ktnas version.
    DataIntegrityError
        For a missing or corrupted config, or when no checkpoint verifies with its event log.
    """
    run_dir = Path(run_dir)
    config = ck.read_json(run_dir / ck.CONFIG, ("strategy", "evaluator", "budget", "max_generations",
                                                "stop_on_optimum", "seed", "checkpoint_every", "checkpoint_seconds"))
    point = recovery.resume_point(run_dir)
    strategies = strategy_from_config(config)
    evaluator = evaluator_from_config(config["evaluator"]) if evaluator is None else evaluator
    search = Search(strategies, evaluator, budget=config["budget"], max_generations=config["max_generations"],
                    stop_on_optimum=config["stop_on_optimum"], seed=None, run_dir=run_dir,
                    callbacks=callbacks, stop=stop, checkpoint_every=config["checkpoint_every"],
                    checkpoint_seconds=config["checkpoint_seconds"])
    search.seed = config["seed"]
    for note in point.notes:
        warnings.warn(note, RecoveryWarning, stacklevel=2)
    search.recovered = point.notes
    recovery.adopt(run_dir, point)
    try:
        search._restore(point.state)
    except KtnasError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError) as e:
        raise DataIntegrityError(f"{point.path} holds a state this run cannot restore ({type(e).__name__}: {e}); "
                                 "the file is corrupted or from another ktnas version") from None
    return search.run()
