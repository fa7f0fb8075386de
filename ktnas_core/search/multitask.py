"""The multi-task strategy protocol, and :class:`Independent`: one single-task strategy per task.

The driver runs every search through one protocol (:class:`MultiTaskStrategy`):

* ``ask(active)`` returns ``{task: [architectures]}`` for the tasks still running;
* the driver evaluates them on their task (stopping a task at its budget) and
  calls ``tell({task: [Evaluation]})`` with what it evaluated, in order (a list
  may be shorter than asked, a finished task absent);
* a generation may take several ask/tell rounds (KTNAS asks for its transfers
  first, then for the offspring): the driver ends it when ``generation_complete``;
* when the evaluator's answers drift (``evaluator.scores_drift``: a supernet that keeps
  training), the driver calls ``refresh_scores(score)`` before each ``tell``, so that the
  cells a strategy keeps are compared with the same weights as the new ones, and answers a
  repeated query with ``evaluator.rescore`` too (a repeat still counts no evaluation);
* ``drain_events()`` hands over the strategy's own events (transfer decisions
  and labels), which the driver logs in order.

Examples
--------
>>> from ktnas_core.search import RegularizedEvolution, TableEvaluator
>>> both = Independent({"cifar10": RegularizedEvolution("nb201"), "cifar100": RegularizedEvolution("nb201")})
>>> both.reseed(0)
>>> asked = both.ask(["cifar10"])
>>> list(asked), len(asked["cifar10"])
(['cifar10'], 10)
>>> ev = TableEvaluator("nb201")
>>> both.tell({"cifar10": ev.evaluate(asked["cifar10"], "cifar10")})
>>> both.strategies["cifar10"].n_told, both.generation_complete
(10, True)
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import ParameterError
from .strategies import STRATEGIES, Strategy

__all__ = ["MultiTaskStrategy", "Independent"]


class MultiTaskStrategy:
    """Base of every strategy the driver runs (see the module docstring for the protocol).

    Subclasses set ``tasks`` (a tuple, in run order) and implement :meth:`ask`,
    :meth:`tell`, :meth:`get_params` (JSON-able keyword arguments that rebuild
    the strategy), :meth:`state_dict` and :meth:`load_state_dict`.
    """

    tasks: tuple = ()
    #: True when the last :meth:`tell` ended a generation
    generation_complete: bool = True

    @property
    def label(self) -> str:
        """Short name for reports (e.g. ``"ktnas"``, ``"rea"``)."""
        return type(self).__name__

    def reseed(self, seed: Any) -> None:
        """Replace the generator(s) from the run's root seed (an int or a SeedSequence)."""
        raise NotImplementedError

    def ask(self, active: Sequence[str]) -> dict[str, list]:
        raise NotImplementedError

    def tell(self, results: Mapping[str, Sequence]) -> None:
        raise NotImplementedError

    def drain_events(self) -> list:
        """Events produced since the last call (the driver logs them)."""
        return []

    def refresh_scores(self, score: Callable[[list, str], list]) -> None:
        """Score the cells the strategy keeps (its populations) again with ``score(archs, task)``, for an
        evaluator whose answers drift; a strategy that keeps nothing ignores it."""

    def get_params(self) -> dict:
        raise NotImplementedError

    def state_dict(self) -> dict:
        raise NotImplementedError

    def load_state_dict(self, state: dict) -> None:
        raise NotImplementedError


def _strategy(task: str, spec: Any) -> Strategy:
    if isinstance(spec, Strategy):
        return spec
    if isinstance(spec, Mapping) and spec.get("class") in STRATEGIES:
        return STRATEGIES[spec["class"]](**spec.get("params", {}))
    raise ParameterError(f"strategy for task {task!r} is {spec!r}; pass a ktnas Strategy "
                         f"(one of {list(STRATEGIES)}) or its {{'class', 'params'}} dict")


class Independent(MultiTaskStrategy):
    """Single-task strategies side by side, one per task, sharing nothing.

    Parameters
    ----------
    strategies : dict
        Task -> :class:`~ktnas_core.search.strategies.Strategy` (or the
        ``{"class": ..., "params": ...}`` dict :meth:`get_params` writes).

    Notes
    -----
    :meth:`reseed` gives task ``k`` the ``k``-th child of ``SeedSequence(seed)``,
    so each task's stream does not depend on the others.
    """

    def __init__(self, strategies: Mapping[str, Any]):
        if not isinstance(strategies, Mapping) or not strategies:
            raise ParameterError(f"strategies={strategies!r} must be a non-empty dict task -> Strategy")
        self.strategies = {t: _strategy(t, s) for t, s in strategies.items()}
        self.tasks = tuple(self.strategies)

    @property
    def label(self) -> str:
        names = {type(s).__name__ for s in self.strategies.values()}
        return names.pop() if len(names) == 1 else "mixed"

    def reseed(self, seed: Any) -> None:
        for task, child in zip(self.tasks, np.random.SeedSequence(seed).spawn(len(self.tasks))):
            self.strategies[task].reseed(child)

    def ask(self, active: Sequence[str]) -> dict[str, list]:
        return {t: self.strategies[t].ask() for t in self.tasks if t in active}

    def tell(self, results: Mapping[str, Sequence]) -> None:
        for t, evaluations in results.items():
            self.strategies[t].tell(evaluations)

    def refresh_scores(self, score: Callable[[list, str], list]) -> None:
        for t, s in self.strategies.items():
            s.refresh_scores(lambda archs, t=t: score(archs, t))

    def get_params(self) -> dict:
        return {"strategies": {t: {"class": type(s).__name__, "params": s.get_params()}
                               for t, s in self.strategies.items()}}

    def state_dict(self) -> dict:
        return {t: s.state_dict() for t, s in self.strategies.items()}

    def load_state_dict(self, state: dict) -> None:
        for t, s in self.strategies.items():
            s.load_state_dict(state[t])
