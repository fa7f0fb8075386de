"""Stratified, seeded choices of images: validation hold-outs, fixed test splits and subsets."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from ..errors import ParameterError
from .catalog import SPLITS


def stratified_pick(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of ``n`` items of ``y``, classes in proportion (largest remainder)."""
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    base, rem = np.divmod(counts.astype(np.int64) * n, len(y))
    base[np.argsort(-rem, kind="stable")[: n - int(base.sum())]] += 1
    picks = [rng.choice(np.flatnonzero(inverse == c), int(k), replace=False) for c, k in enumerate(base)]
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, np.int64)


def check_subset(subset) -> dict[str, int]:
    """``subset`` as ``{split: max images}``; raises :class:`ParameterError` naming the bad entry."""
    if subset is None:
        return {}
    if isinstance(subset, Mapping):
        bad = sorted(set(map(str, subset)) - set(SPLITS))
        if bad:
            raise ParameterError(f"subset keys {bad} are unknown; allowed keys are {list(SPLITS)}")
        items = dict(subset)
    else:
        items = dict.fromkeys(SPLITS, subset)
    for split, n in items.items():
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ParameterError(f"subset[{split!r}] = {n!r} is not allowed; need a positive int "
                                 "(or subset=None for the full split)")
    return {k: int(v) for k, v in items.items()}
