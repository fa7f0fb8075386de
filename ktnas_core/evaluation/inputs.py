"""What both training evaluators take in: per-task dataset specs, stop and progress hooks, candidate seeds.

:class:`~ktnas_core.evaluation.training.TrainingEvaluator` (from-scratch training) and
:class:`~ktnas_core.evaluation.supernet.SupernetEvaluator` (weight sharing) check their
``datasets``, ``subset``, ``stop`` and ``on_epoch`` the same way and derive every seed of a
candidate from the evaluator's seed, the task and the architecture.

Examples
--------
>>> specs, subset = check_data_and_hooks({"cifar10": "digits"}, 200, None, None)
>>> specs, subset
({'cifar10': {'name': 'digits', 'subset': 200}}, 200)
>>> candidate_seed(0, "cifar10", "a") == candidate_seed(0, "cifar10", "a") != candidate_seed(1, "cifar10", "a")
True
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Mapping

from ..errors import ParameterError, UnknownTaskError
from ..validation import check_int

__all__ = ["candidate_seed", "check_data_and_hooks", "check_task"]

_SPEC_KEYS = ("name", "subset", "valid_fraction", "seed", "root")

def _spec(task: str, value: Any, subset: int | None) -> dict:
    spec = {"name": value} if isinstance(value, str) else dict(value) if isinstance(value, Mapping) else None
    if spec is None or not isinstance(spec.get("name"), str) or set(spec) - set(_SPEC_KEYS):
        raise ParameterError(f"datasets[{task!r}]={value!r} must be a dataset name or a dict with 'name' and "
                             f"optional keys of load_dataset among {list(_SPEC_KEYS[1:])}")
    if isinstance(spec.get("root"), os.PathLike):
        spec["root"] = os.fspath(spec["root"])
    if isinstance(spec.get("subset"), Mapping):
        spec["subset"] = dict(spec["subset"])
    if subset is not None:
        spec.setdefault("subset", subset)
    return spec


def check_data_and_hooks(datasets: Any, subset: Any, stop: Any, on_epoch: Any) -> tuple[dict, Any]:
    """The checked per-task dataset specs and default ``subset`` of a training evaluator; checks ``stop``
    (an object with ``is_set()``) and ``on_epoch`` (callable), each None allowed."""
    if subset is not None and not isinstance(subset, Mapping):
        subset = check_int("subset", subset)
    subset = dict(subset) if isinstance(subset, Mapping) else subset
    if not isinstance(datasets, Mapping) or not datasets or not all(isinstance(t, str) for t in datasets):
        raise ParameterError(f"datasets={datasets!r} must be a non-empty dict task name -> dataset")
    if stop is not None and not callable(getattr(stop, "is_set", None)):
        raise ParameterError(f"stop={stop!r} must be a threading.Event (or have is_set()) or None")
    if on_epoch is not None and not callable(on_epoch):
        raise ParameterError(f"on_epoch={on_epoch!r} must be callable or None")
    return {t: _spec(t, v, subset) for t, v in datasets.items()}, subset


def check_task(datasets: Mapping[str, Any], task: str) -> None:
    """Raise :class:`UnknownTaskError` unless ``task`` is one of a training evaluator's ``datasets``."""
    if task not in datasets:
        raise UnknownTaskError(f"task {task!r} has no dataset; choose one of {list(datasets)}")


def candidate_seed(seed: int, task: str, arch: str) -> int:
    digest = hashlib.sha256(f"{seed}|{task}|{arch}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)
