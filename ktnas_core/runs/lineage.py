"""The lineage of transfers across tasks, built from a run's events (no UI involved).

For every :class:`~ktnas_core.search.events.Transferred` decision: which cell went (or was
offered) from which source task to which target in which generation, its transfer rank phi,
whether it was accepted, its score and rank on the target once evaluated there, its label
(:class:`~ktnas_core.search.events.TransferLabelled`: +1 when a child reached the top r% of
the target's next population, -1 when it had children and none did), and the children it
likely had on the target.

Children are inferred, because the events do not name parents: a cell bred on the target in
the transfer's generation (evaluated there, not itself transferred) that is one edit away from
the transferred cell, for transfers the search labelled (an unlabelled one had none).  With
the table spaces' presets (one mutation per child, no crossover)
every child of the cell is one of them; a cell one edit away from both it and a population
member may be the member's child instead.  The label is the search's own verdict and needs no
inference.

Examples
--------
>>> from ktnas_core.search import TableEvaluator, make_strategy, run_search
>>> events = []
>>> _ = run_search(make_strategy("ktnas", "nb201", ["cifar10", "cifar100"]), TableEvaluator("nb201"), budget=60,
...                seed=0, callbacks=[events.append])
>>> lin = lineage(events, "nb201")
>>> len(lin.accepted) == sum(1 for e in events if type(e).__name__ == "Transferred" and e.accepted)
True
>>> t = lin.accepted[0]
>>> t.rank == lin.benchmark.rank(t.arch, t.target), all(c.rank >= 1 for c in t.children)
(True, True)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from ..errors import ParameterError
from ..search.events import Evaluated, RunStarted, TransferLabelled, Transferred, read_events

__all__ = ["Child", "Lineage", "Transfer", "lineage", "read_lineage"]

#: what a transfer came to: accepted and labelled +1 / -1, accepted without children, or not chosen
OUTCOMES = ("helped", "did not help", "no children", "rejected")


@dataclasses.dataclass(frozen=True)
class Child:
    """A cell bred on the target from a transferred cell (inferred: one edit away), with its
    score on the target and its rank in the target's table (1 = best; None without a table)."""

    arch: str
    score: float
    rank: int | None


@dataclasses.dataclass(frozen=True)
class Transfer:
    """One transfer decision and what came of it (see the module docstring).

    ``score`` and ``rank`` are the cell's on the target (None until evaluated there, and for
    rejected candidates without a table); ``label`` is +1, -1 or None.
    """

    generation: int
    source: str
    target: str
    arch: str
    phi: int
    accepted: bool
    random_fill: bool
    score: float | None = None
    rank: int | None = None
    label: int | None = None
    children: tuple = ()

    @property
    def outcome(self) -> str:
        """One of :data:`OUTCOMES`."""
        if not self.accepted:
            return "rejected"
        return {1: "helped", -1: "did not help"}.get(self.label, "no children")

    @property
    def best_child(self) -> Child | None:
        """The child with the best score on the target (None without children)."""
        return max(self.children, key=lambda c: c.score, default=None)


@dataclasses.dataclass(frozen=True)
class Lineage:
    """Every transfer decision of a run, in event order, and the run's tasks.

    ``benchmark`` is the table the cells are ranked in (None: no ranks)."""

    tasks: tuple
    transfers: tuple
    benchmark: Any = None

    @property
    def accepted(self) -> list[Transfer]:
        """The transfers that were chosen (evaluated on their target)."""
        return [t for t in self.transfers if t.accepted]

    @property
    def generations(self) -> int:
        """Generations with a transfer decision (0 for none)."""
        return max((t.generation for t in self.transfers), default=-1) + 1

    def helped(self) -> Transfer | None:
        """A transfer that helped: labelled +1, the one whose best child ranks best on the target."""
        good = [t for t in self.accepted if t.label == 1 and t.children]
        return min(good, key=lambda t: _rank_key(t.best_child), default=None)

    def did_not_help(self) -> Transfer | None:
        """A transfer that did not: labelled -1, the one the ranking rated highest (largest phi),
        then whose best child ranks worst: where ranking disorder misled the transfer."""
        bad = [t for t in self.accepted if t.label == -1]
        return min(bad, key=lambda t: (-t.phi, -_rank_key(t.best_child)), default=None)


def _rank_key(child: Child | None) -> float:
    if child is None:
        return float("inf")
    return child.rank if child.rank is not None else -child.score


def lineage(events: Iterable, benchmark: Any = None, metric: str | None = None) -> Lineage:
    """Build the :class:`Lineage` of a run from its events (a list, or a generator over a log).

    Parameters
    ----------
    events : iterable of Event
        The run's events in order (a run going now gives the lineage so far).
    benchmark : Benchmark, str or None
        The table whose ranks are given (the one the run looked cells up in); None: no ranks.
    metric : str, optional
        The metric ranked (default: each task's validation metric, the search's fitness).
    """
    if isinstance(benchmark, str):
        from .. import benchmarks

        benchmark = benchmarks.load(benchmark)
    rank = (lambda arch, task: benchmark.rank(arch, task, metric)) if benchmark is not None else (lambda a, t: None)
    tasks: tuple = ()
    rows: list[dict] = []
    by_key: dict = {}
    bred: dict = {}  # (generation, task) -> [(arch, score)] of cells evaluated there
    labels: dict = {}
    for e in events:
        if isinstance(e, RunStarted):
            tasks = tuple(e.config.get("tasks", ()))
        elif isinstance(e, Transferred):
            row = dict(generation=e.generation, source=e.source, target=e.target, arch=e.arch, phi=e.phi,
                       accepted=e.accepted, random_fill=e.random_fill)
            rows.append(row)
            if e.accepted:
                by_key[(e.generation, e.target, e.arch)] = row
        elif isinstance(e, Evaluated):
            row = by_key.get((e.generation, e.task, e.arch))
            if row is not None and "score" not in row:
                row["score"] = e.score
            else:
                bred.setdefault((e.generation, e.task), []).append((e.arch, e.score))
        elif isinstance(e, TransferLabelled):
            labels[(e.generation, e.target, e.arch)] = e.label
    space = benchmark.space if benchmark is not None else None
    out = []
    for row in rows:
        key = (row["generation"], row["target"], row["arch"])
        kids = ()
        if row["accepted"] and labels.get(key) is not None:  # unlabelled: it had no children
            kids = tuple(Child(a, s, rank(a, row["target"])) for a, s in bred.get(key[:2], ())
                         if _one_edit(row["arch"], a, space))
        score = row.pop("score", None)
        out.append(Transfer(**row, score=score, label=labels.get(key) if row["accepted"] else None,
                            rank=rank(row["arch"], row["target"]), children=kids))
    if not tasks:
        tasks = tuple(dict.fromkeys(t for r in out for t in (r.source, r.target)))
    return Lineage(tasks, tuple(out), benchmark)


def _ops(arch: str, space: Any) -> tuple:
    if space is not None:
        return tuple(space.parse(arch).ops)
    return tuple(part.split("~")[0] for part in arch.strip("|").replace("+", "").split("|") if part)


def _one_edit(a: str, b: str, space: Any) -> bool:
    """Whether cells ``a`` and ``b`` differ in exactly one operation (one mutation)."""
    x, y = _ops(a, space), _ops(b, space)
    return len(x) == len(y) and sum(p != q for p, q in zip(x, y)) == 1


def read_lineage(run_dir: Any) -> Lineage:
    """The :class:`Lineage` of the run in ``run_dir`` (its ``events.jsonl``; a running run: so far),
    ranked in the table the run looked cells up in (no ranks for a training run).

    Raises
    ------
    ParameterError, DataIntegrityError
        For a folder that is not a run, or a corrupted log.
    """
    from . import checkpoint as ck
    from .report import check_run_dir

    path = check_run_dir(run_dir)
    config = ck.read_json(path / ck.CONFIG, ("evaluator",))
    ev = config["evaluator"]
    if not isinstance(ev, dict):
        raise ParameterError(f"{str(path)!r} has no evaluator settings; is it a ktnas run?")
    bench = ev.get("benchmark") if ev.get("kind") == "table" else None
    log = path / ck.EVENTS
    return lineage(read_events(log) if log.is_file() else (), bench, ev.get("metric"))
