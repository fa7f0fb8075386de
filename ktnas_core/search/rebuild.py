"""Rebuild the strategy a run folder names, from the ``config.json`` it stored.

A run folder keeps its multi-task strategy as ``{"class": ..., "params": get_params()}``;
resuming the run builds a fresh strategy from it and then loads the checkpoint's state into it.
Classes are found by name (:func:`multitask_classes`), never by module path, so a run folder
outlives a move of the code.

Examples
--------
>>> from ktnas_core.search import make_strategy
>>> s = make_strategy("ktnas", "nb201", ["cifar10", "cifar100"])
>>> again = strategy_from_config({"strategy": {"class": type(s).__name__, "params": s.get_params()}})
>>> type(again).__name__, again.get_params() == s.get_params()
('MultiTaskEvolution', True)
>>> strategy_from_config({"strategy": {"class": "Nope", "params": {}}})
Traceback (most recent call last):
...
ktnas_core.errors.DataIntegrityError: config names strategy {'class': 'Nope', 'params': {}}; this ktnas knows ['Independent', 'MultiTaskEvolution'] (with a dict of params)
"""

from __future__ import annotations

from ..errors import DataIntegrityError
from .multitask import Independent, MultiTaskStrategy

__all__ = ["multitask_classes", "strategy_from_config"]


def multitask_classes() -> dict[str, type]:
    """Multi-task strategy class by name, used to rebuild a run from its ``config.json``."""
    from ..search.evolution import MultiTaskEvolution

    return {"Independent": Independent, "MultiTaskEvolution": MultiTaskEvolution}


def strategy_from_config(config: dict) -> MultiTaskStrategy:
    """Rebuild the (fresh) strategy of a run from its ``config.json`` contents.

    Raises
    ------
    DataIntegrityError
        If the config names no known strategy class.
    """
    spec = config.get("strategy")
    classes = multitask_classes()
    if not isinstance(spec, dict) or not isinstance(spec.get("class"), str) or spec["class"] not in classes or (
            not isinstance(spec.get("params"), dict)):
        raise DataIntegrityError(f"config names strategy {spec!r}; this ktnas knows {list(classes)} (with a dict "
                                 "of params)")
    try:
        return classes[spec["class"]](**spec["params"])
    except TypeError as e:  # a parameter this ktnas does not have
        raise DataIntegrityError(f"config's strategy {spec['class']} cannot be rebuilt ({e}); was the run made "
                                 "by another ktnas version?") from None
