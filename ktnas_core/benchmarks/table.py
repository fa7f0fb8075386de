"""A tabular benchmark: every cell of a space scored on every task.

Values are kept in their natural units (accuracy in %, SSIM, negative L2
loss...).  Each metric knows whether larger is better; :meth:`Benchmark.ranks`
uses that, so rank 1 is always the best cell.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import UnknownMetricError, UnknownTaskError
from ..spaces import get_space
from .catalog import Metric, TableSpec

__all__ = ["Benchmark", "Optimum"]


@dataclasses.dataclass(frozen=True)
class Optimum:
    """The best cell of a task under one metric."""

    task: str
    metric: str
    index: int
    arch: Any
    value: float


class Benchmark:
    """Read-only view over one shipped table; get it with :func:`ktnas_core.benchmarks.load`.

    Examples
    --------
    >>> from ktnas_core import benchmarks
    >>> b = benchmarks.load("nb201")
    >>> b.tasks
    ('cifar10', 'cifar100', 'ImageNet16-120')
    >>> round(b.query(6111, "cifar10", "test_accuracy"), 2)
    94.37
    >>> b.optimum("cifar100", "test_accuracy").index
    9930
    >>> b.query(0, "cifar1000")
    Traceback (most recent call last):
    ...
    ktnas_core.errors.UnknownTaskError: task 'cifar1000' is not in nb201; choose one of ['cifar10', 'cifar100', 'ImageNet16-120']
    """

    def __init__(self, spec: TableSpec, arrays: dict[str, np.ndarray]):
        self.spec = spec
        self.name = spec.name
        self.title = spec.title
        self.space = get_space(spec.space)
        self.tasks = spec.tasks
        self._metrics = {t: {m.name: m for m in spec.metrics[t]} for t in spec.tasks}
        self._arrays = arrays
        self._ranks: dict[tuple[str, str], np.ndarray] = {}

    def __repr__(self) -> str:
        return f"<Benchmark {self.name!r}: {len(self.space)} cells x {len(self.tasks)} tasks>"

    def __len__(self) -> int:
        return len(self.space)

    # -- validation ----------------------------------------------------------------
    def check_task(self, task: Any) -> str:
        """Return ``task`` if the benchmark has it, else raise :class:`UnknownTaskError`."""
        if not isinstance(task, str) or task not in self._metrics:
            raise UnknownTaskError(f"task {task!r} is not in {self.name}; choose one of {list(self.tasks)}")
        return task

    def metric(self, task: str, metric: str | None = None) -> Metric:
        """The :class:`Metric` called ``metric`` of ``task`` (default: the validation metric)."""
        task = self.check_task(task)
        name = self.spec.default_metric[task] if metric is None else metric
        try:
            return self._metrics[task][name]
        except (KeyError, TypeError):
            raise UnknownMetricError(
                f"metric {name!r} is not recorded for {self.name} task {task!r}; "
                f"choose one of {list(self._metrics[task])}"
            ) from None

    def metrics(self, task: str) -> tuple[Metric, ...]:
        """All metrics of ``task``, the default (validation) metric first."""
        return self.spec.metrics[self.check_task(task)]

    def default_metric(self, task: str) -> str:
        """Name of the metric a search optimises on ``task`` (validation)."""
        return self.spec.default_metric[self.check_task(task)]

    def test_metric(self, task: str) -> str:
        """Name of the metric reported as the test result of ``task``."""
        return self.spec.test_metric[self.check_task(task)]

    def index(self, arch: Any) -> int:
        """Index of ``arch`` (an architecture, its string or its index).

        Raises
        ------
        InvalidArchitectureError
            For a malformed string, an index out of range or a cell of another space.
        """
        return self.space.index(self.space.coerce(arch))

    # -- values ----------------------------------------------------------------------
    def scores(self, task: str, metric: str | None = None) -> np.ndarray:
        """Read-only array of ``metric`` for every cell, in index order."""
        m = self.metric(task, metric)
        return self._arrays[f"{task}__{m.name}"]

    def query(self, arch: Any, task: str, metric: str | None = None) -> float:
        """Value of ``metric`` (default: validation) for one cell on ``task``."""
        values = self.scores(task, metric)
        return float(values[self.index(arch)])

    def ranks(self, task: str, metric: str | None = None) -> np.ndarray:
        """Rank of every cell on ``task``: 1 = best, ties share the smallest rank."""
        m = self.metric(task, metric)
        key = (task, m.name)
        if key not in self._ranks:
            v = self.scores(task, m.name)
            v = -v if m.higher_is_better else v
            order = np.argsort(v, kind="stable")
            sorted_v = v[order]
            first = np.concatenate(([True], sorted_v[1:] != sorted_v[:-1]))
            rank_sorted = np.maximum.accumulate(np.where(first, np.arange(1, v.size + 1), 0))
            ranks = np.empty(v.size, dtype=np.int64)
            ranks[order] = rank_sorted
            ranks.flags.writeable = False
            self._ranks[key] = ranks
        return self._ranks[key]

    def rank(self, arch: Any, task: str, metric: str | None = None) -> int:
        """Rank of one cell on ``task`` (1 = best)."""
        return int(self.ranks(task, metric)[self.index(arch)])

    def cost(self, arch: Any, task: str) -> float:
        """Simulated cost in seconds of evaluating ``arch`` on ``task`` (its training time)."""
        return self.query(arch, task, "train_time")

    def optimum(self, task: str, metric: str | None = None) -> Optimum:
        """The best cell of ``task`` under ``metric`` (lowest index among ties)."""
        m = self.metric(task, metric)
        v = self.scores(task, m.name)
        i = int(np.argmax(v) if m.higher_is_better else np.argmin(v))
        return Optimum(task, m.name, i, self.space.from_index(i), float(v[i]))

    def zero_cost(self, task: str, proxy: str = "synflow") -> np.ndarray:
        """Shipped zero-cost proxy scores of every cell (higher predicts better), index order.

        Raises
        ------
        ParameterError
            If no proxy is shipped for this benchmark or ``proxy`` is not one of them.
        """
        from .zero_cost import load_zero_cost

        return load_zero_cost(self.name, self.check_task(task), proxy)

    def regret(self, arch: Any, task: str, metric: str | None = None) -> float:
        """How far ``arch`` is from the optimum of ``task``, in the metric's unit (>= 0)."""
        m = self.metric(task, metric)
        return abs(self.optimum(task, m.name).value - self.query(arch, task, m.name))
