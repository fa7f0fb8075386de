"""The statistics behind ``ktnas reproduce``: bootstrap intervals and paired tests over seeds.

Every strategy of a reproduction runs with the same root seeds 0..n-1, so two strategies'
results pair up seed by seed.  Pairing is valid because the seed is the only source of
randomness and is shared: strategies built on the same base searcher draw the same initial
populations from it (:mod:`~ktnas_core.experiments.reproduce` records a fingerprint of each run's
first population and reports how often two strategies' match), so a paired test removes the
seed's own luck (a warm-up that happens to hold an optimum, say) from the comparison.

* :func:`bootstrap_mean` -- percentile bootstrap interval of a mean (seeded, so reports repeat);
* :func:`bootstrap_share` -- the same for "share of runs with time <= x" along a grid (ECDF bands);
* :func:`paired_test` -- Wilcoxon signed-rank test of paired samples, with the paired
  differences' mean and its bootstrap interval;
* :func:`describe` -- mean, standard deviation, median and interval in one dict.

Examples
--------
>>> a = [10, 12, 9, 30, 11, 14, 13, 10]; b = [x + 5 for x in a]
>>> d = describe(a)
>>> round(d["mean"], 2), d["median"], d["n"]
(13.62, 11.5, 8)
>>> d["ci"][0] < d["mean"] < d["ci"][1]
True
>>> t = paired_test(b, a)
>>> t["diff"], t["p"] < 0.01, t["n"]
(5.0, True, 8)
>>> paired_test(a, a)["p"]
1.0
>>> paired_test(a, b[:3])
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: paired samples must have the same length; got 8 and 3
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError

__all__ = ["CONFIDENCE", "N_RESAMPLES", "SEED", "bootstrap_mean", "bootstrap_share", "paired_test", "describe"]

#: interval level, resamples and the bootstrap's own seed (fixed: the same data give the same interval)
CONFIDENCE, N_RESAMPLES, SEED = 0.95, 10_000, 0


def _values(values: Any, name: str = "values") -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be a non-empty 1-d sequence of finite numbers; got shape {a.shape}")
    return a


def _resample_means(a: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty(n_resamples)
    for start in range(0, n_resamples, 1000):  # bounded memory for long samples
        stop = min(start + 1000, n_resamples)
        out[start:stop] = a[rng.integers(0, a.size, size=(stop - start, a.size))].mean(axis=1)
    return out


def bootstrap_mean(values: Sequence[float], confidence: float = CONFIDENCE, n_resamples: int = N_RESAMPLES,
                   seed: int = SEED) -> tuple[float, float]:
    """Percentile bootstrap interval ``(low, high)`` of the mean of ``values``.

    >>> bootstrap_mean([3.0, 3.0, 3.0])
    (3.0, 3.0)
    """
    a = _values(values)
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence!r} is out of range; allowed: a number in (0, 1)")
    means = _resample_means(a, n_resamples, seed)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_share(times: Sequence[float], grid: Sequence[float], confidence: float = CONFIDENCE,
                    n_resamples: int = 2000, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of runs with ``time <= x`` for each ``x`` of ``grid``, and its bootstrap band (runs resampled).

    ``times`` may hold ``inf`` (never happened).  Returns ``(share, low, high)`` arrays.

    >>> share, low, high = bootstrap_share([1, 2, 3, float("inf")], [0, 2, 10])
    >>> share.tolist(), bool(low[1] <= 0.5 <= high[1])
    ([0.0, 0.5, 0.75], True)
    """
    t = np.asarray(times, dtype=float)
    x = np.asarray(grid, dtype=float)
    if t.ndim != 1 or t.size == 0 or np.isnan(t).any():
        raise ParameterError(f"times must be a non-empty 1-d sequence of numbers (inf allowed); got shape {t.shape}")
    hit = (t[:, None] <= x[None, :]).astype(float)  # (runs, grid)
    rng = np.random.default_rng(seed)
    shares = np.stack([hit[rng.integers(0, t.size, t.size)].mean(axis=0) for _ in range(n_resamples)])
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(shares, [tail, 100 - tail], axis=0)
    return hit.mean(axis=0), low, high


def paired_test(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE,
                n_resamples: int = N_RESAMPLES, seed: int = SEED) -> dict:
    """Wilcoxon signed-rank test of ``a`` against ``b``, paired element by element (two-sided).

    Returns ``{"n", "diff", "ci", "p", "wins", "losses"}``: the mean of ``a - b``, its bootstrap
    interval, the p-value (1.0 when every pair ties), and how many pairs have ``a < b`` and
    ``a > b`` (fewer evaluations win on NB201's table).  Zero differences are dropped
    (Wilcoxon's rule); p comes from the exact distribution for small untied samples, else the
    normal approximation (:func:`scipy.stats.wilcoxon`).
    """
    x, y = _values(a, "a"), _values(b, "b")
    if x.size != y.size:
        raise ParameterError(f"paired samples must have the same length; got {x.size} and {y.size}")
    d = x - y
    if np.all(d == 0):
        p = 1.0
    else:
        from scipy.stats import wilcoxon

        p = float(wilcoxon(x, y, zero_method="wilcox", alternative="two-sided").pvalue)
    return {"n": int(d.size), "diff": float(d.mean()), "ci": bootstrap_mean(d, confidence, n_resamples, seed),
            "p": p, "wins": int((d < 0).sum()), "losses": int((d > 0).sum())}


def describe(values: Sequence[float], confidence: float = CONFIDENCE, n_resamples: int = N_RESAMPLES,
             seed: int = SEED) -> dict:
    """``{"n", "mean", "sd", "median", "ci"}`` of ``values`` (``ci``: bootstrap interval of the mean)."""
    a = _values(values)
    return {"n": int(a.size), "mean": float(a.mean()), "sd": float(a.std(ddof=1)) if a.size > 1 else 0.0,
            "median": float(np.median(a)), "ci": bootstrap_mean(a, confidence, n_resamples, seed)}
