"""The target task's predictor inside :class:`~ktnas_core.search.evolution.MultiTaskEvolution`.

The base searcher of the paper's TransNAS-Bench-101 runs (PAPER.md section 5) screens
candidates with a predictor trained on the evaluated cells before any evaluation is
spent.  This module holds what the strategy asks of that predictor:

* :func:`fitted`: the task's predictor, fitted on its evaluations (``predictor_data="task"``)
  or on every task's evaluations, each task's scores moved onto the target's scale by
  matching means and standard deviations (``"all"``); fitted once per (task, archive size),
  so a generation that screens transfers and children with no evaluation in between
  fits it once;
* :func:`screen_transfers`: keep the ``n`` of the transfer policy's picks the predictor
  rates best (``transfer_pool > 1``);
* :func:`unevaluated_scores`: the tournament fitness of transferred cells that are not
  evaluated on the target (``transfer_eval="predict"``, an alternative to the paper).

No call here queries a benchmark: the predictor only reads scores the search has paid for.

Examples
--------
>>> import numpy as np
>>> archive = {"a": {"x": 1.0, "y": 3.0}, "b": {"x": 10.0, "z": 30.0}}
>>> archs, y = training_set(archive, "a", "all", limit=100)
>>> archs, np.round(y, 3).tolist()
(['x', 'y', 'x', 'z'], [1.0, 3.0, 1.0, 3.0])
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError

__all__ = ["PREDICTOR_DATA", "TRANSFER_EVALS", "training_set", "predictor_features", "fitted", "screen_transfers",
           "unevaluated_scores"]

#: what the target's predictor learns from
PREDICTOR_DATA = ("task", "all")
#: how transferred cells enter the target: evaluated there (the paper), or only as parents rated by the predictor
TRANSFER_EVALS = ("evaluate", "predict")


def training_set(archive: dict, task: str, data: str, limit: int) -> tuple[list, np.ndarray]:
    """Cells and scores the predictor of ``task`` learns from: the task's latest ``limit``
    evaluations, and with ``data="all"`` also every other task's latest ``limit``, their scores
    mapped linearly onto the target's mean and standard deviation."""
    own = list(archive[task].items())[-limit:]
    archs, scores = [a for a, _ in own], [s for _, s in own]
    if data == "all" and len(own) > 1:
        mean, std = float(np.mean(scores)), float(np.std(scores)) or 1.0
        for other, evaluated in archive.items():
            rows = list(evaluated.items())[-limit:]
            if other == task or len(rows) < 2:
                continue
            s = np.array([v for _, v in rows])
            archs += [a for a, _ in rows]
            scores += list(mean + std * (s - s.mean()) / (s.std() or 1.0))
    return archs, np.asarray(scores, dtype=np.float64)


def predictor_features(strategy: Any) -> str:
    """The embedding a strategy's predictor reads: its family's own input (the GCN reads the
    cells' one-hot operations as graph labels) or the strategy's ``predictor_embedding``."""
    from ..predictors import PREDICTORS

    own = getattr(PREDICTORS[strategy.predictor], "input_embedding", None)
    if own is not None and strategy.space.name not in ("nb201", "tnb101_micro"):
        raise ParameterError(f"predictor={strategy.predictor!r} reads the cell graph of nb201 or tnb101_micro; "
                             f"space {strategy.space.name!r} has none: choose another predictor")
    return own or strategy.predictor_embedding


def fitted(strategy: Any, task: str, limit: int) -> Any:
    """``task``'s predictor fitted on what the search evaluated (None below ``screen_min`` of the
    task's own evaluations); cached until the archive grows."""
    from ..predictors import make_predictor

    n = sum(len(a) for a in strategy.archive.values())
    if len(strategy.archive[task]) < strategy.screen_min:
        return None
    cache = strategy._models
    if task in cache and cache[task][0] == n:
        return cache[task][1]
    archs, y = training_set(strategy.archive, task, strategy.predictor_data, limit)
    model = make_predictor(strategy.predictor, random_state=int(strategy.rng.integers(2**31)))
    model.fit(strategy._feature(predictor_features(strategy))(archs), y)
    cache[task] = (n, model)
    return model


def predict(strategy: Any, model: Any, archs: Sequence) -> np.ndarray:
    """``model``'s predicted target score of ``archs``."""
    return model.predict(strategy._feature(predictor_features(strategy))(list(archs)))


def screen_transfers(strategy: Any, model: Any, archs: Sequence, n: int) -> list[int]:
    """Positions in ``archs`` of the ``n`` the predictor rates best, in their original order."""
    if model is None or len(archs) <= n:
        return list(range(min(n, len(archs))))
    order = np.argsort(-predict(strategy, model, archs), kind="stable")[:n]
    return sorted(int(i) for i in order)


def unevaluated_scores(strategy: Any, model: Any, target: str, picks: Sequence) -> list[float]:
    """Tournament fitness on ``target`` of transferred cells that are not evaluated there:
    the predictor's rating, or without a predictor yet the score of the target's member at
    the cell's position in its source population.  ``picks``: candidates (``arch``, ``position``)."""
    if not picks:
        return []
    if model is not None:
        return [float(v) for v in predict(strategy, model, [c.arch for c in picks])]
    population = strategy.populations[target]
    if not population:
        raise ParameterError(f"task {target!r} has no population to rate transferred cells against")
    return [float(population[min(c.position, len(population) - 1)][1]) for c in picks]
