"""Free scores that rank cells before any evaluation is spent: the low-fidelity side of the search.

:class:`ZeroCost` reads the benchmark's shipped zero-cost proxy (synflow on NAS-Bench-201,
:mod:`ktnas_core.benchmarks.zero_cost`) for each task.  :class:`~ktnas_core.search.evolution.MultiTaskEvolution`
uses it in the two ways of Abdelfattah et al. (ICLR 2021), which the paper's Table I cites as
NAS-Bench-201's "low-fidelity evaluation: zero-cost":

* **warm-up** (``warmup="zero_cost"``): the initial population is the proxy's best
  ``population_size`` of ``warmup_pool`` random cells;
* **move proposal** (``screen="zero_cost"``): each generation breeds ``screen_pool`` times as
  many unexplored children as it evaluates and keeps the proxy's best.

A proxy score is a table look-up: it never counts as an evaluation.

Examples
--------
>>> import numpy as np
>>> zc = ZeroCost("nb201", ["cifar100"])
>>> cells = zc.warm_start("cifar100", np.random.default_rng(0), pool=15625, k=2)
>>> [zc.space.index(c) for c in cells]  # the whole space: synflow ranks CIFAR-100's optimum (9930) 2nd
[1462, 9930]
>>> bool(zc.scores("cifar100", cells)[0] > zc.scores("cifar100", cells)[1])
True
>>> ZeroCost("tnb101_micro", ["class_object"])
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: warmup='zero_cost' and screen='zero_cost' need a benchmark with a shipped proxy (one of ['nb201']); space 'tnb101_micro' has none
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError
from ..spaces import get_space

__all__ = ["ZeroCost", "CrossTaskGP", "has_zero_cost", "free_scorers"]


def has_zero_cost(space: Any, tasks: Sequence[str]) -> bool:
    """Whether a zero-cost proxy ships for ``space``'s benchmark and every one of ``tasks``.

    >>> has_zero_cost("nb201", ["cifar10"]), has_zero_cost("nb201", ["digits"]), has_zero_cost("darts", ["a"])
    (True, False, False)
    """
    from ..benchmarks.zero_cost import ZERO_COST

    name = space if isinstance(space, str) else space.name
    return name in ZERO_COST and set(tasks) <= set(ZERO_COST[name][1])


class ZeroCost:
    """The shipped zero-cost proxy of ``space``'s benchmark for each of ``tasks`` (higher predicts better).

    Parameters
    ----------
    space : str or SearchSpace
        A space whose benchmark ships a proxy (``"nb201"``).
    tasks : list of str

    Raises
    ------
    ParameterError
        If no proxy ships for the space.
    UnknownTaskError
        If a task has no proxy.
    """

    def __init__(self, space: Any, tasks: Sequence[str]):
        from .. import benchmarks
        from ..benchmarks.zero_cost import ZERO_COST

        self.space = get_space(space) if isinstance(space, str) else space
        if self.space.name not in ZERO_COST:
            raise ParameterError(f"warmup='zero_cost' and screen='zero_cost' need a benchmark with a shipped "
                                 f"proxy (one of {list(ZERO_COST)}); space {self.space.name!r} has none")
        bench = benchmarks.load(self.space.name)
        self._proxy = {t: bench.zero_cost(t) for t in tasks}

    def scores(self, task: str, archs: Sequence[Any] | None = None) -> np.ndarray:
        """The proxy of each of ``archs`` (cells, strings or indices) on ``task``; None: every cell, in index order."""
        if archs is None:
            return self._proxy[task]
        return self._proxy[task][[self.space.index(self.space.coerce(a)) for a in archs]]

    def warm_start(self, task: str, rng: np.random.Generator, pool: int, k: int) -> list:
        """The proxy's best ``k`` of ``pool`` cells drawn without replacement (ties: first drawn)."""
        drawn = rng.choice(len(self.space), size=min(pool, len(self.space)), replace=False)
        best = drawn[np.argsort(-self._proxy[task][drawn], kind="stable")[:k]]
        return [self.space.from_index(int(i)) for i in best]


class CrossTaskGP:
    """A target-task surrogate that also learns from the other tasks' evaluations (ktnas's own addition).

    Scores of related tasks agree closely (Kendall tau 0.83-0.87 between NB201's tasks), so the
    cells the search has evaluated on the *other* tasks say much about a cell on the target.
    The model is a Gaussian process over cells with an intrinsic-coregionalisation kernel:

    ``k((a, u), (b, v)) = exp(-hamming(a, b) / length_scale) * (1 if u == v else task_corr)``

    where ``hamming`` counts the edges whose operations differ (one-hot encoding) and ``u, v``
    are tasks, fitted to every task's latest ``max_train`` evaluations, each task's scores
    standardised on its own.  With a zero-cost proxy, a linear term in the proxy's rank on the
    cell's task is fitted first (least squares) and the process models what it leaves.  The
    score of a cell is its posterior mean on the target plus ``kappa`` posterior standard
    deviations (an upper confidence bound; ``kappa=0``: the mean alone); hyper-parameters are
    fixed (no fit), so a prediction costs one Cholesky factorisation and two triangular solves.

    Why the bound: far from every evaluated cell the posterior mean falls back to the prior mean,
    so a search led by the mean alone keeps refining the regions it has already found; the
    standard deviation is largest where nothing near has been evaluated.

    Parameters
    ----------
    space : SearchSpace
    tasks : list of str
    proxy : ZeroCost or None
    length_scale, task_corr, noise : float; defaults 1.0, 0.8, 0.1
        Kernel length in edges, correlation between two tasks' standardised scores, and the
        noise variance (relative to the standardised scores' variance of 1).
    max_train : int, default 300
        Latest evaluations per task that the model learns from.
    kappa : float, default 0.0
        Posterior standard deviations added to the mean (>= 0).  The ``ktnas-xt`` preset sets
        :data:`ktnas_core.search.presets.KAPPA`.
    global_pool : int or "all", default 0
        Unexplored cells drawn at random from the whole (finite) space that compete with the bred
        children for the surrogate's favour (:meth:`unexplored`); 0 screens mutations only, ``"all"``
        lets every unexplored cell compete (the search then also proposes the surrogate's best cells
        anywhere, as Bayesian optimisation with the posterior mean would).

    Examples
    --------
    >>> from ktnas_core import benchmarks
    >>> b = benchmarks.load("nb201")
    >>> gp = CrossTaskGP(b.space, b.tasks)
    >>> rng = np.random.default_rng(0)
    >>> seen = {t: {str(b.space.from_index(int(i))): float(b.scores(t)[i]) for i in rng.choice(15625, 200)}
    ...         for t in b.tasks}
    >>> seen["ImageNet16-120"] = dict(list(seen["ImageNet16-120"].items())[:20])  # the target knows little
    >>> cells = rng.choice(15625, 500, replace=False)
    >>> pred = gp.scores("ImageNet16-120", [b.space.from_index(int(i)) for i in cells], seen)
    >>> from scipy.stats import kendalltau
    >>> bool(kendalltau(pred, b.scores("ImageNet16-120")[cells])[0] > 0.5)
    True
    """

    def __init__(self, space: Any, tasks: Sequence[str], proxy: ZeroCost | None = None, *,
                 length_scale: float = 1.0, task_corr: float = 0.8, noise: float = 0.1, max_train: int = 300,
                 global_pool: int | str = 0, kappa: float = 0.0):
        from .transfer import Features

        for name, value, fits, allowed in (
                ("length_scale", length_scale, lambda v: 0 < v <= np.inf, "a number > 0"),
                ("task_corr", task_corr, lambda v: -1 <= v <= 1, "a number in [-1, 1]"),
                ("noise", noise, lambda v: 0 < v <= np.inf, "a number > 0"),
                ("kappa", kappa, lambda v: 0 <= v < np.inf, "a finite number >= 0")):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not fits(value):
                raise ParameterError(f"{name}={value!r} is out of range for the cross-task surrogate; "
                                     f"allowed: {allowed}")
        self.space, self.tasks, self.proxy = space, tuple(tasks), proxy
        self.length_scale, self.task_corr, self.noise = float(length_scale), float(task_corr), float(noise)
        self.max_train = int(max_train)
        if global_pool != "all" and (isinstance(global_pool, bool) or not isinstance(global_pool, int)
                                     or not 0 <= global_pool <= len(space)):
            raise ParameterError(f"global_pool={global_pool!r} is out of range; allowed: an integer in "
                                 f"[0, {len(space)}] or 'all'")
        self.global_pool = len(space) if global_pool == "all" else global_pool
        self.kappa = float(kappa)
        self._onehot = Features(space, "onehot")
        self._proxy_rank: dict[str, np.ndarray] = {}
        self._indices: dict[str, int] = {}
        self._names: list[str] | None = None  # every cell's string, in index order (made once, when needed)
        self._rows: np.ndarray | None = None  # every cell's one-hot row

    def _index(self, archs: Sequence[Any]) -> list[int]:
        out = []
        for a in archs:  # the search hands over strings; parsing one costs more than the model's arithmetic
            i = self._indices.get(a) if isinstance(a, str) else None
            if i is None:
                i = self.space.index(self.space.coerce(a))
                if isinstance(a, str):
                    self._indices[a] = i
            out.append(i)
        return out

    def _rank(self, task: str, archs: Sequence[Any]) -> np.ndarray:
        if task not in self._proxy_rank:
            raw = self.proxy.scores(task)
            self._proxy_rank[task] = raw.argsort(kind="stable").argsort() / (len(raw) - 1)
        return self._proxy_rank[task][self._index(archs)]

    def unexplored(self, rng: np.random.Generator, seen: Any, bred: Sequence) -> list:
        """``global_pool`` cells of the space, drawn at random, that are neither in ``seen`` nor ``bred``
        (``(cell, parents)`` pairs), as ``(cell string, [])`` pairs (no parents)."""
        if not self.global_pool:
            return []
        if self._names is None:
            self._names = [str(self.space.from_index(i)) for i in range(len(self.space))]
            self._indices.update((name, i) for i, name in enumerate(self._names))
        taken = {*seen, *(c for c, _ in bred)}
        drawn = (range(len(self.space)) if self.global_pool == len(self.space)
                 else rng.choice(len(self.space), size=self.global_pool, replace=False))
        return [(c, []) for c in dict.fromkeys(self._names[int(i)] for i in drawn) if c not in taken]

    def _kernel(self, A: np.ndarray, B: np.ndarray, ta: np.ndarray, tb: np.ndarray) -> np.ndarray:
        hamming = A.sum(1)[:, None] - A @ B.T
        return np.exp(-hamming / self.length_scale) * np.where(ta[:, None] == tb[None, :], 1.0, self.task_corr)

    def scores(self, task: str, archs: Sequence[Any], archives: dict) -> np.ndarray:
        """Predicted standardised score on ``task`` of each of ``archs``, from ``archives`` (task -> {cell: score})."""
        cells, y, which, f_train = [], [], [], []
        for k, u in enumerate(self.tasks):
            items = list(archives.get(u, {}).items())[-self.max_train:]
            if len(items) < 2:
                continue
            s = np.array([v for _, v in items])
            cells += [a for a, _ in items]
            y.append((s - s.mean()) / (s.std() or 1.0))
            which += [k] * len(items)
            if self.proxy is not None:
                f_train.append(self._rank(u, [a for a, _ in items]))
        if not cells:
            return np.zeros(len(archs))
        y, which = np.concatenate(y), np.array(which)
        mean_train, mean_new = np.zeros(len(y)), np.zeros(len(archs))
        if self.proxy is not None:  # a linear term in the proxy's rank, the process on what it leaves
            f = np.concatenate(f_train)
            coef, *_ = np.linalg.lstsq(np.c_[np.ones(len(y)), f], y, rcond=None)
            mean_train, mean_new = coef[0] + coef[1] * f, coef[0] + coef[1] * self._rank(task, archs)
        from scipy.linalg import cho_solve, cholesky, solve_triangular
        from threadpoolctl import threadpool_limits

        if self._rows is None:
            self._rows = self._onehot(list(range(len(self.space))))
        X, Xn = self._rows[self._index(cells)], self._rows[self._index(archs)]
        with threadpool_limits(1):  # one BLAS thread: the same bits, and so the same search, on any machine load
            K = self._kernel(X, X, which, which) + self.noise * np.eye(len(y))
            L = cholesky(K, lower=True, check_finite=False)
            alpha = cho_solve((L, True), y - mean_train, check_finite=False)
            Ks = self._kernel(Xn, X, np.full(len(archs), self.tasks.index(task)), which)
            mean = mean_new + Ks @ alpha
            if not self.kappa:
                return mean
            V = solve_triangular(L, Ks.T, lower=True, check_finite=False)
            return mean + self.kappa * np.sqrt(np.clip(1.0 - (V * V).sum(0), 0.0, None))


def free_scorers(space: Any, tasks: Sequence[str], warmup: str, screen: str | None,
                 options: dict | None = None) -> tuple[ZeroCost | None, CrossTaskGP | None]:
    """The zero-cost proxy and the cross-task surrogate that a search with ``warmup`` and ``screen`` uses.

    The proxy loads for ``warmup="zero_cost"`` or ``screen="zero_cost"`` (and for the surrogate,
    where one ships); the surrogate for ``screen="cross_task"`` or given ``options`` (its keyword
    arguments).

    >>> zc, gp = free_scorers(get_space("tnb101_micro"), ["class_object"], "random", "cross_task")
    >>> zc is None, gp.task_corr
    (True, 0.8)
    >>> free_scorers(get_space("nb201"), ["cifar10"], "random", "cross_task", {"corr": 1})
    Traceback (most recent call last):
    ...
    ktnas_core.errors.ParameterError: screen_options={'corr': 1} must be a dict of CrossTaskGP's keyword arguments (length_scale, task_corr, noise, max_train, global_pool, kappa)
    """
    allowed = ("length_scale", "task_corr", "noise", "max_train", "global_pool", "kappa")
    if options is not None and (not isinstance(options, dict) or set(options) - set(allowed)):
        raise ParameterError(f"screen_options={options!r} must be a dict of CrossTaskGP's keyword arguments "
                             f"({', '.join(allowed)})")
    proxy = ZeroCost(space, tasks) if "zero_cost" in (warmup, screen) or (
        screen == "cross_task" and has_zero_cost(space, tasks)) else None
    surrogate = CrossTaskGP(space, tasks, proxy, **(options or {})) if screen == "cross_task" or options else None
    return proxy, surrogate
