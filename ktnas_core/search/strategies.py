"""Ask/tell search strategies over one task: random search and regularised evolution.

A strategy proposes architectures with :meth:`ask` and learns their scores
with :meth:`tell`; it never evaluates anything itself, so one loop
(:mod:`ktnas_core.runs.driver`) runs any strategy against any evaluator.
``state_dict`` / ``load_state_dict`` capture everything, RNG included, so a
checkpoint restores a strategy exactly.

Examples
--------
>>> from ktnas_core.search.strategies import RegularizedEvolution
>>> from ktnas_core.evaluation.base import TableEvaluator
>>> ev = TableEvaluator("nb201")
>>> rea = RegularizedEvolution("nb201", random_state=0)
>>> for _ in range(30):
...     rea.tell(ev.evaluate(rea.ask(), "cifar10"))
>>> len(rea.population), rea.n_told
(10, 39)
"""

from __future__ import annotations

import collections
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ParameterError
from ..validation import check_int, make_rng
from ..spaces import get_space
from ..evaluation.base import Evaluation

__all__ = ["Strategy", "RandomSearch", "RegularizedEvolution", "STRATEGIES"]


class Strategy:
    """Base of the ask/tell strategies: holds the space and the generator."""

    def __init__(self, space: Any, random_state: Any = None):
        self.space = get_space(space) if isinstance(space, str) else space
        if not hasattr(self.space, "sample"):
            raise ParameterError(f"space={space!r} is not a search space; pass one or its name")
        self.random_state = random_state
        self.rng = make_rng(random_state)
        self.n_told = 0

    def reseed(self, seed: Any) -> None:
        """Replace the generator (the driver does this with a child of the run's root seed)."""
        self.rng = make_rng(seed)

    def get_params(self) -> dict:
        """Constructor parameters (JSON-able; ``random_state`` excluded: the RNG state is checkpointed)."""
        return {"space": self.space.name}

    def ask(self) -> list:
        raise NotImplementedError

    def tell(self, evaluations: Sequence[Evaluation]) -> None:
        self.n_told += len(evaluations)

    def refresh_scores(self, score: Callable[[list], list]) -> None:
        """Score the architectures the strategy keeps again with ``score(archs)``: the driver calls this before
        each :meth:`tell` when the evaluator's answers drift (a supernet that keeps training). Keeps nothing here."""

    def state_dict(self) -> dict:
        """Everything needed to continue exactly (JSON-able)."""
        return {"rng": self.rng.bit_generator.state, "n_told": self.n_told}

    def load_state_dict(self, state: dict) -> None:
        """Restore a state produced by :meth:`state_dict` (on a strategy built with the same params)."""
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]
        self.n_told = int(state["n_told"])


class RandomSearch(Strategy):
    """Uniform sampling with replacement (repeats are free in the driver's count).

    Parameters
    ----------
    space : SearchSpace or str
    batch_size : int, default 1
        Architectures per :meth:`ask` (one generation), 1..10000.
    random_state : None, int, SeedSequence or Generator

    Examples
    --------
    >>> rs = RandomSearch("nb201", batch_size=2, random_state=0)
    >>> len(rs.ask())
    2
    >>> RandomSearch("nb201", batch_size=0)
    Traceback (most recent call last):
    ...
    ktnas_core.errors.ParameterError: batch_size=0 is out of range; allowed: an integer in [1, 10000]
    """

    def __init__(self, space: Any, batch_size: int = 1, random_state: Any = None):
        super().__init__(space, random_state)
        self.batch_size = check_int("batch_size", batch_size, 1, 10000)

    def get_params(self) -> dict:
        return {**super().get_params(), "batch_size": self.batch_size}

    def ask(self) -> list:
        return [self.space.sample(self.rng) for _ in range(self.batch_size)]


class RegularizedEvolution(Strategy):
    """Regularised (aging) evolution, Real et al. 2019, as the paper's NB201 base searcher.

    The first :meth:`ask` returns ``population_size`` random architectures; each
    later one returns ``offspring`` children, each a mutation of the best of
    ``tournament_size`` members drawn without replacement from the population.
    :meth:`tell` appends the scored children and removes the oldest members.

    Parameters
    ----------
    space : SearchSpace or str
    population_size : int, default 10
        Paper's Table I (NB201); 2..10000.
    tournament_size : int, default 5
        Paper's Table I; 1..population_size.
    offspring : int, default 1
        Children per generation (1 = classic steady-state REA); 1..10000.
    random_state : None, int, SeedSequence or Generator

    Examples
    --------
    >>> RegularizedEvolution("nb201", population_size=10, tournament_size=11)
    Traceback (most recent call last):
    ...
    ktnas_core.errors.ParameterError: tournament_size=11 is out of range; allowed: an integer in [1, 10]
    """

    def __init__(self, space: Any, population_size: int = 10, tournament_size: int = 5, offspring: int = 1,
                 random_state: Any = None):
        super().__init__(space, random_state)
        self.population_size = check_int("population_size", population_size, 2, 10000)
        self.tournament_size = check_int("tournament_size", tournament_size, 1, self.population_size)
        self.offspring = check_int("offspring", offspring, 1, 10000)
        self.population: collections.deque = collections.deque()  # (arch, score), oldest first

    def get_params(self) -> dict:
        return {**super().get_params(), "population_size": self.population_size,
                "tournament_size": self.tournament_size, "offspring": self.offspring}

    def ask(self) -> list:
        if self.n_told < self.population_size:
            return [self.space.sample(self.rng) for _ in range(self.population_size - self.n_told)]
        pop = list(self.population)
        children = []
        for _ in range(self.offspring):
            picks = self.rng.choice(len(pop), size=self.tournament_size, replace=False)
            parent = max((pop[int(i)] for i in picks), key=lambda m: m[1])[0]  # first best on ties
            children.append(self.space.mutate(parent, self.rng))
        return children

    def refresh_scores(self, score: Callable[[list], list]) -> None:
        archs = [a for a, _ in self.population]
        if archs:
            self.population = collections.deque(zip(archs, map(float, score(archs))))

    def tell(self, evaluations: Sequence[Evaluation]) -> None:
        for e in evaluations:
            self.population.append((self.space.coerce(e.arch), float(e.score)))
        while len(self.population) > self.population_size:
            self.population.popleft()
        super().tell(evaluations)

    def state_dict(self) -> dict:
        return {**super().state_dict(), "population": [[str(a), s] for a, s in self.population]}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.population = collections.deque((self.space.parse(a), float(s)) for a, s in state["population"])


#: strategy class by name, used to rebuild a run from its config
STRATEGIES: dict[str, type[Strategy]] = {"RandomSearch": RandomSearch, "RegularizedEvolution": RegularizedEvolution}
