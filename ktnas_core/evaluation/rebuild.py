"""Rebuild the evaluator a run folder names, from the ``config()`` it stored.

A run folder keeps ``evaluator.config()`` in its ``config.json``; resuming the run rebuilds
the evaluator from it: kind ``"table"`` is a :class:`~ktnas_core.evaluation.base.TableEvaluator`,
``"train"`` a :class:`~ktnas_core.evaluation.training.TrainingEvaluator` and ``"supernet"`` a
:class:`~ktnas_core.evaluation.supernet.SupernetEvaluator` (those two import torch on first use).

Examples
--------
>>> ev = evaluator_from_config({"kind": "table", "benchmark": "nb201", "metric": None})
>>> type(ev).__name__, ev.config()["benchmark"]
('TableEvaluator', 'nb201')
"""

from __future__ import annotations

from typing import Any

from ..errors import ParameterError
from .base import TableEvaluator

__all__ = ["evaluator_from_config"]


def evaluator_from_config(config: dict, **kwargs: Any) -> Any:
    """Rebuild an evaluator from its ``config()``: kinds ``"table"``, ``"train"`` and ``"supernet"``.
    ``kwargs`` (``stop``, ``on_epoch``, ``executor``, ...) go to a training or supernet evaluator.

    Raises
    ------
    ParameterError
        For another kind (pass such evaluators to ``resume`` yourself).
    """
    kind = config.get("kind") if isinstance(config, dict) else None
    if kind in ("train", "supernet"):
        if kind == "train":
            from .training import training_evaluator_from_config as rebuild
        else:
            from .supernet import supernet_evaluator_from_config as rebuild
        try:
            return rebuild(config, **kwargs)
        except TypeError as e:  # a missing or unknown setting
            raise ParameterError(f"evaluator config {config!r} cannot be rebuilt ({e}); was it written by "
                                 "another ktnas version?") from None
    if kind != "table":
        raise ParameterError(f"evaluator config {config!r} cannot be rebuilt; kinds 'table', 'train' and "
                             "'supernet' can, pass evaluator= to resume for other kinds")
    return TableEvaluator(config.get("benchmark"), config.get("metric"))
