"""Evaluators: what turns an architecture into a score on a task.

Every evaluator follows one protocol, ``evaluate(archs, task) -> list[Evaluation]``,
so the search loop runs unchanged on table look-ups now and real training later.
Scores are oriented so that **higher is better** (losses are negated); ``cost_s``
is the (simulated or measured) cost of the evaluation in seconds.

Examples
--------
>>> from ktnas_core import benchmarks
>>> from ktnas_core.evaluation.base import TableEvaluator
>>> ev = TableEvaluator(benchmarks.load("nb201"))
>>> e, = ev.evaluate([6111], "cifar10")
>>> round(e.score, 2), e.source, e.cost_s > 0
(91.61, 'table', True)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, Sequence, runtime_checkable

from ..errors import ParameterError

__all__ = ["Evaluation", "Evaluator", "TableEvaluator"]


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """The outcome of evaluating one architecture on one task.

    Attributes
    ----------
    arch : str
        Canonical string of the architecture.
    task : str
        Task it was evaluated on.
    score : float
        Search fitness (the validation metric), higher is better.
    cost_s : float
        Cost of the evaluation in seconds (simulated from a table or measured).
    source : str
        Where the score came from, e.g. ``"table"``.
    """

    arch: str
    task: str
    score: float
    cost_s: float
    source: str = "table"


@runtime_checkable
class Evaluator(Protocol):
    """Protocol of every evaluator: score a batch of architectures on one task."""

    def evaluate(self, archs: Sequence[Any], task: str) -> list[Evaluation]:
        """One :class:`Evaluation` per architecture, in order."""
        ...  # pragma: no cover


class TableEvaluator:
    """Look architectures up in a tabular benchmark.

    Parameters
    ----------
    benchmark : Benchmark or str
        A :class:`ktnas_core.benchmarks.Benchmark` or the name of a shipped one.
    metric : str or None
        Metric to use as fitness; default the task's validation metric.  Metrics
        where lower is better are negated so the score is always maximised.

    Examples
    --------
    >>> ev = TableEvaluator("nb201")
    >>> ev.config()
    {'kind': 'table', 'benchmark': 'nb201', 'metric': None}
    >>> round(ev.optimum_score("cifar10"), 2)
    91.61
    >>> ev.evaluate([0], "cifar1000")
    Traceback (most recent call last):
    ...
    ktnas_core.errors.UnknownTaskError: task 'cifar1000' is not in nb201; choose one of ['cifar10', 'cifar100', 'ImageNet16-120']
    """

    source = "table"

    def __init__(self, benchmark: Any, metric: str | None = None):
        if isinstance(benchmark, str):
            from .. import benchmarks

            benchmark = benchmarks.load(benchmark)
        if not hasattr(benchmark, "scores") or not hasattr(benchmark, "space"):
            raise ParameterError(f"benchmark={benchmark!r} is not a Benchmark; pass one or a shipped name")
        self.benchmark = benchmark
        self.metric = metric
        self.space = benchmark.space
        self._columns: dict[str, tuple[Any, Any, float]] = {}

    def _column(self, task: str):
        col = self._columns.get(task)
        if col is None:
            m = self.benchmark.metric(task, self.metric)
            sign = 1.0 if m.higher_is_better else -1.0
            col = (self.benchmark.scores(task, m.name), self.benchmark.scores(task, "train_time"), sign)
            self._columns[task] = col
        return col

    def evaluate(self, archs: Sequence[Any], task: str) -> list[Evaluation]:
        """Score ``archs`` (architectures, strings or indices) on ``task``.

        Raises
        ------
        UnknownTaskError, InvalidArchitectureError
            For an unknown task or a malformed architecture.
        """
        values, times, sign = self._column(task)
        out = []
        for a in archs:
            arch = self.space.coerce(a)
            i = self.space.index(arch)
            out.append(Evaluation(str(arch), task, sign * float(values[i]), float(times[i]), self.source))
        return out

    def optimum_score(self, task: str) -> float:
        """Best score any cell reaches on ``task`` (same orientation as :meth:`evaluate`)."""
        values, _, sign = self._column(task)
        return float((sign * values).max())

    def config(self) -> dict:
        """JSON-able description from which :func:`evaluator_from_config` rebuilds it."""
        return {"kind": "table", "benchmark": self.benchmark.name, "metric": self.metric}
