"""Run a search in a worker thread: :class:`RunHandle` (state, progress, events, stop, result).

An interactive front end must not block while a search runs.  :func:`start_run`
and :func:`resume_run` validate their arguments in the caller's thread (bad
input raises there, before anything is written), then hand the run to a daemon
worker thread owned by a :class:`RunHandle`.  The worker puts every event into a
thread-safe queue, which the front end empties with :meth:`RunHandle.drain`
whenever it likes (never blocking); :meth:`RunHandle.stop` sets the driver's stop
flag, so the worker ends at the next evaluation and leaves a run directory that
:func:`resume_run` continues exactly.  :func:`fold` turns the events into what a live
view draws (:class:`RunTrace`: best-so-far curves, transfer log, populations).

States: ``"running"`` -> ``"stopping"`` (after :meth:`~RunHandle.stop`) ->
``"finished"`` (ended by budget, generations or optimum), ``"stopped"`` or
``"failed"`` (the exception is in :attr:`~RunHandle.error`; the run directory keeps
its last checkpoint and resumes).

Examples
--------
>>> from ktnas_core.search import TableEvaluator, make_strategy
>>> h = start_run(make_strategy("rea", "nb201", ["cifar10"]), TableEvaluator("nb201"), budget=30, seed=0)
>>> h.wait(10), h.state, h.result.tasks["cifar10"].n_evals
(True, 'finished', 30)
>>> events = h.drain()
>>> type(events[0]).__name__, type(events[-1]).__name__, h.progress.done, h.drain()
('RunStarted', 'RunFinished', 30, [])
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import DataIntegrityError, ParameterError
from . import checkpoint as ck
from .driver import Search, SearchResult, resume
from ..search.events import Evaluated, Event, RunFailed, RunFinished, event_from_json, read_events
from .recovery import resume_point
from .trace import RunTrace, fold  # noqa: F401 - re-exported: widgets import them from here

__all__ = ["FINISHED_REASONS", "Progress", "RunHandle", "RunTrace", "STATES", "fold", "list_runs", "resume_run",
           "run_status", "start_run"]

#: every value of :attr:`RunHandle.state`
STATES = ("running", "stopping", "finished", "stopped", "failed")
#: run ends that need no resuming
FINISHED_REASONS = ("optimum", "budget", "generations")


@dataclasses.dataclass(frozen=True)
class Progress:
    """Evaluations (and simulated seconds) done per task, and the per-task budget (None if unbounded)."""

    n_evals: dict
    cost_s: dict
    budget: int | None

    @property
    def done(self) -> int:
        """Evaluations done, summed over tasks."""
        return sum(self.n_evals.values())

    @property
    def total(self) -> int | None:
        """The budget summed over tasks (None without a budget)."""
        return None if self.budget is None else self.budget * len(self.n_evals)

    @property
    def fraction(self) -> float | None:
        """``done / total`` in [0, 1] (None without a budget)."""
        return None if not self.total else min(1.0, self.done / self.total)


class RunHandle:
    """A search running in a daemon worker thread (made by :func:`start_run` or :func:`resume_run`).

    Attributes
    ----------
    run_dir : pathlib.Path or None
        The run directory (None for a run without one).
    tasks : tuple of str
    config : dict
        The run's configuration (as in ``config.json``).
    recovered : tuple of str
        For a resumed run whose newest checkpoint or event log was damaged: what was wrong and
        which checkpoint it continues from, one line each (empty otherwise).
    """

    def __init__(self, target: Callable[[list, threading.Event], SearchResult], *, tasks: Iterable[str],
                 budget: int | None, config: dict, run_dir: Path | None, replay: Iterable[Event] = (),
                 n_evals: dict | None = None, cost_s: dict | None = None, recovered: tuple = ()):
        self.run_dir, self.tasks, self.config, self._budget = run_dir, tuple(tasks), config, budget
        self.recovered = tuple(recovered)
        self._lock = threading.Lock()
        self._queue: collections.deque = collections.deque(replay)
        self._n_evals = {t: 0 for t in self.tasks} if n_evals is None else dict(n_evals)
        self._cost_s = {t: 0.0 for t in self.tasks} if cost_s is None else dict(cost_s)
        self._stop, self._done = threading.Event(), threading.Event()
        self._state, self.result, self.error = "running", None, None
        self._t0, self._t1 = time.monotonic(), None
        self._thread = threading.Thread(target=self._work, args=(target,), name="ktnas-search", daemon=True)
        self._thread.start()

    # -- the worker ----------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if isinstance(event, Evaluated) and event.new:
            with self._lock:
                self._n_evals[event.task] = event.n_evals_task
                self._cost_s[event.task] += event.cost_s
        self._queue.append(event)  # deque.append is atomic

    def _work(self, target: Callable) -> None:
        result, error = None, None
        try:
            result = target([self._on_event], self._stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through .error
            error = exc
        with self._lock:
            self.result, self.error, self._t1 = result, error, time.monotonic()
            self._state = "failed" if error is not None else "stopped" if result.reason == "stopped" else "finished"
        self._done.set()

    # -- public API ------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """One of :data:`STATES`."""
        with self._lock:
            return self._state

    @property
    def running(self) -> bool:
        """True until the worker has ended (states ``"running"`` and ``"stopping"``)."""
        return not self._done.is_set()

    @property
    def progress(self) -> Progress:
        """Evaluations done per task so far, and the budget."""
        with self._lock:
            return Progress(dict(self._n_evals), dict(self._cost_s), self._budget)

    @property
    def elapsed(self) -> float:
        """Seconds since the worker started (frozen once it has ended)."""
        with self._lock:
            return (self._t1 if self._t1 is not None else time.monotonic()) - self._t0

    def stop(self) -> None:
        """Ask the run to end: it stops before its next evaluation (state ``"stopping"`` until then)."""
        self._stop.set()
        with self._lock:
            if self._state == "running":
                self._state = "stopping"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker ends or ``timeout`` seconds pass; True if it has ended."""
        return self._done.wait(timeout)

    def drain(self, max_events: int | None = None) -> list[Event]:
        """The queued events, oldest first (at most ``max_events``); never blocks.

        Raises
        ------
        ParameterError
            For a ``max_events`` that is not a positive integer or None.
        """
        if max_events is not None and (type(max_events) is not int or max_events < 1):
            raise ParameterError(f"max_events={max_events!r} is out of range; allowed: None or an integer >= 1")
        out, q = [], self._queue
        with self._lock:  # one drain at a time; the worker's appends need no lock
            while q and (max_events is None or len(out) < max_events):
                out.append(q.popleft())
        return out

    @property
    def pending(self) -> int:
        """Number of queued events not yet drained."""
        return len(self._queue)


def _check_new_dir(run_dir: Any) -> Path | None:
    if run_dir is None:
        return None
    path = Path(run_dir)
    try:
        taken = path.exists() and (not path.is_dir() or any(path.iterdir()))
    except (OSError, ValueError) as e:  # a name too long, with a NUL byte, unreadable, ...
        raise ParameterError(f"run_dir {str(path)!r} is not usable ({getattr(e, 'strerror', None) or e})") from None
    if taken:
        raise ParameterError(f"run_dir {str(path)!r} is not an empty directory; choose a new directory or "
                             "resume_run() it")
    return path


def start_run(strategy: Any, evaluator: Any, **search_kwargs: Any) -> RunHandle:
    """Start a new search in a worker thread and return its :class:`RunHandle` at once; the run's
    folder and its ``config.json`` exist when it returns (a runs table lists the run at once).

    Parameters
    ----------
    strategy, evaluator
        As for :func:`~ktnas_core.runs.driver.run_search`.
    **search_kwargs
        Keyword arguments of :class:`~ktnas_core.runs.driver.Search` (``budget``, ``seed``,
        ``run_dir``, ``callbacks``, ...) except ``stop``, which the handle owns.  Extra
        ``callbacks`` run in the worker thread.

    Raises
    ------
    ParameterError
        In the caller's thread, for any argument :class:`Search` refuses, a ``stop`` argument,
        or a ``run_dir`` that exists and is not empty or cannot be written.
    """
    if "stop" in search_kwargs:
        raise ParameterError("start_run owns the stop flag; call RunHandle.stop() instead of passing stop=")
    run_dir = _check_new_dir(search_kwargs.get("run_dir"))
    search = Search(strategy, evaluator, **search_kwargs)
    search.prepare()
    extra = list(search.callbacks)

    def target(callbacks: list, stop: threading.Event) -> SearchResult:
        search.callbacks, search.stop = [*callbacks, *extra], stop
        return search.run()

    return RunHandle(target, tasks=search.tasks, budget=search.budget, config=search.config(), run_dir=run_dir)


def resume_run(run_dir: str | os.PathLike, evaluator: Any = None, *, callbacks: Iterable[Callable] = (),
               replay: bool = True) -> RunHandle:
    """Continue the run in ``run_dir`` (see :func:`~ktnas_core.runs.driver.resume`) in a worker thread.

    Parameters
    ----------
    run_dir : path
        A run directory with ``config.json`` and ``checkpoint.json``.
    evaluator : Evaluator or None
        None rebuilds the run's table evaluator from its config.
    callbacks : iterable of callables
        Called in the worker thread with every new event.
    replay : bool, default True
        Queue the events of the log up to the checkpoint first, so that :meth:`RunHandle.drain`
        yields the whole run's events (as an uninterrupted run would) and the progress
        starts where the checkpoint left it.

    A damaged newest checkpoint or event log is recovered from (see
    :func:`~ktnas_core.runs.recovery.resume_point`); the handle's ``recovered`` says what was wrong.

    Raises
    ------
    DataIntegrityError
        In the caller's thread, for a missing or corrupted config, or when no checkpoint verifies.
    """
    path = Path(run_dir)
    config = ck.read_json(path / ck.CONFIG, ("strategy", "evaluator", "budget", "tasks"))
    point = resume_point(path)
    state = point.state
    try:
        tasks = [str(t) for t in config["tasks"]]
        n_evals, cost_s = {t: int(state["n_evals"][t]) for t in tasks}, {t: float(state["cost_s"][t]) for t in tasks}
    except (KeyError, TypeError, ValueError) as e:
        raise DataIntegrityError(f"{point.path} does not match the tasks of {path / ck.CONFIG} "
                                 f"({type(e).__name__}: {e}); the files are corrupted") from None
    prefix = list(read_events(path / ck.EVENTS, limit=int(state["n_events"]))) if replay else []
    extra = list(callbacks)

    def target(cbs: list, stop: threading.Event) -> SearchResult:
        return resume(path, evaluator, callbacks=[*cbs, *extra], stop=stop)

    return RunHandle(target, tasks=tasks, budget=config["budget"], config=config, run_dir=path, replay=prefix,
                     n_evals=n_evals, cost_s=cost_s, recovered=point.notes)


def _last_line(path: Path, chunk: int = 4096) -> str | None:
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        while True:  # read ever larger tails until one holds a whole line
            f.seek(max(0, size - chunk))
            lines = f.read().rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or chunk >= size:
                return lines[-1].decode("utf-8", "replace") or None
            chunk *= 4


def run_status(run_dir: str | os.PathLike) -> str:
    """How the run in ``run_dir`` ended, from the last line of its event log.

    Returns the :class:`~ktnas_core.search.events.RunFinished` reason (``"optimum"``,
    ``"budget"``, ``"generations"``, ``"stopped"``), ``"failed"``, or ``"interrupted"``
    (no final event: killed, or still running).  Only ``optimum``, ``budget`` and
    ``generations`` mean there is nothing left to resume.

    Raises
    ------
    DataIntegrityError
        If ``run_dir`` has no ``config.json`` (it is not a run directory).
    """
    path = Path(run_dir)
    ck.read_json(path / ck.CONFIG)
    log = path / ck.EVENTS
    line = _last_line(log) if log.is_file() else None
    try:
        last = event_from_json(line) if line else None
    except DataIntegrityError:  # a torn last line of a killed run
        last = None
    if isinstance(last, RunFinished):
        return last.reason
    return "failed" if isinstance(last, RunFailed) else "interrupted"


def list_runs(runs_dir: str | os.PathLike) -> list[tuple[Path, str]]:
    """``(run_dir, status)`` of every run directory directly under ``runs_dir``, by name.

    Folders without a readable ``config.json`` are skipped; a missing ``runs_dir`` lists nothing.

    Examples
    --------
    >>> import tempfile
    >>> from ktnas_core.search import TableEvaluator, make_strategy, run_search
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = run_search(make_strategy("random", "nb201", ["cifar10"]), TableEvaluator("nb201"), budget=5,
    ...                run_dir=root / "a")
    >>> [(p.name, s) for p, s in list_runs(root)]
    [('a', 'budget')]
    """
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    out = []
    for path in sorted(p for p in root.iterdir() if p.is_dir()):
        with contextlib.suppress(Exception):  # not a run directory, or unreadable: not listed
            out.append((path, run_status(path)))
    return out
