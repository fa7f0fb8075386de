"""What a live view draws of a run, built event by event: :class:`RunTrace` and :func:`fold` (no UI involved).

Examples
--------
>>> from ktnas_core.search.events import Evaluated
>>> trace = RunTrace(("cifar10",))
>>> fold(trace, Evaluated("cifar10", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 10.0, 5.0, 1, 0, True))
>>> trace.now["cifar10"], trace.points("cifar10")[0]
([1, 5.0, 10.0], [1])
"""

from __future__ import annotations

import collections
import dataclasses

from ..search.events import Evaluated, Event, GenerationDone, RunFailed, RunFinished, TransferLabelled, Transferred

__all__ = ["RunTrace", "fold"]


@dataclasses.dataclass
class RunTrace:
    """What a live view shows of a run, built event by event by :func:`fold` (no UI involved).

    ``curves[task]`` is three lists (evaluations, simulated GPU-hours, best score) with a point
    at each improvement; ``now[task]`` is [evaluations, cost_s, best]; ``transfers`` maps
    (generation, target, cell) to a row of each accepted transfer (its ``score`` on the target
    once evaluated, its ``label`` once labelled); ``rejected`` keeps the latest rejected rows;
    ``populations`` collects (task, cells evaluated on it) per ended generation until taken.

    Examples
    --------
    >>> from ktnas_core.search import TableEvaluator, make_strategy, run_search
    >>> trace = RunTrace(("cifar10", "cifar100"))
    >>> res = run_search(make_strategy("ktnas", "nb201", trace.tasks), TableEvaluator("nb201"), budget=30,
    ...                  seed=0, callbacks=[lambda e: fold(trace, e)])
    >>> trace.end, trace.now["cifar10"][2] == trace.points("cifar10")[2][-1] == res.tasks["cifar10"].best_score
    ('budget', True)
    >>> all(r["score"] is not None for r in trace.transfers.values()), len(trace.transfers) > 0
    (True, True)
    """

    tasks: tuple
    label: str = ""
    keep_rejected: int = 12
    curves: dict = dataclasses.field(default_factory=dict)
    now: dict = dataclasses.field(default_factory=dict)
    transfers: dict = dataclasses.field(default_factory=dict)
    rejected: collections.deque = dataclasses.field(default_factory=collections.deque)
    generation_cells: dict = dataclasses.field(default_factory=dict)
    populations: list = dataclasses.field(default_factory=list)
    end: str | None = None
    n_events: int = 0

    def __post_init__(self):
        self.rejected = collections.deque(self.rejected, maxlen=self.keep_rejected)
        for t in self.tasks:
            self.curves.setdefault(t, ([], [], []))
            self.now.setdefault(t, [0, 0.0, None])

    def points(self, task: str) -> tuple[list, list, list]:
        """The task's step curve (evaluations, GPU-hours, best), extended to its latest evaluation."""
        xs, hs, ys = (list(c) for c in self.curves[task])
        n, cost, best = self.now[task]
        if ys and xs[-1] != n:
            xs, hs, ys = xs + [n], hs + [cost / 3600], ys + [best]
        return xs, hs, ys


def fold(trace: RunTrace, event: Event) -> None:
    """Fold one event into ``trace`` (the only state it touches)."""
    trace.n_events += 1
    if isinstance(event, Evaluated):
        trace.generation_cells.setdefault(event.task, []).append(event.arch)
        row = trace.transfers.get((event.generation, event.task, event.arch))
        if row is not None and row["score"] is None:
            row["score"] = event.score
        if event.new and event.task in trace.now:
            now = trace.now[event.task]
            now[0], now[1] = event.n_evals_task, now[1] + event.cost_s
            if now[2] is None or event.score > now[2]:
                now[2] = event.score
                for series, value in zip(trace.curves[event.task], (now[0], now[1] / 3600, event.score)):
                    series.append(value)
    elif isinstance(event, Transferred):
        row = dict(seq=trace.n_events, generation=event.generation, cell=event.arch, source=event.source,
                   target=event.target, phi=event.phi, accepted=event.accepted, score=None, label=None)
        if event.accepted:
            trace.transfers[(event.generation, event.target, event.arch)] = row
        else:
            trace.rejected.append(row)
    elif isinstance(event, TransferLabelled):
        row = trace.transfers.get((event.generation, event.target, event.arch))
        if row is not None:
            row["label"] = event.label
    elif isinstance(event, GenerationDone):
        trace.populations += list(trace.generation_cells.items())
        trace.generation_cells = {}
    elif isinstance(event, (RunFinished, RunFailed)):
        trace.end = event.reason if isinstance(event, RunFinished) else f"failed: {event.error}"
