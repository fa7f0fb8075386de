"""Shipped zero-cost proxy scores (numpy only; torch is not needed to read them).

``data/nb201_synflow.npz`` holds the synflow score (Tanaka et al. 2020, as a
zero-cost proxy: Abdelfattah et al. 2021) of every NAS-Bench-201 cell for each
task, computed by ``benchmarks/compute_synflow.py`` with a real PyTorch
network (:func:`ktnas_core.networks.build_nb201_network`, C=16, N=5; seed =
cell index; float64; BatchNorm removed; all-ones input 32x32, 16x16 for
ImageNet16-120).  Scores are raw, not logged: they span 0 (cells whose output
does not depend on the input) to about 1e50; higher predicts better.

Examples
--------
>>> from ktnas_core.benchmarks.zero_cost import load_zero_cost
>>> s = load_zero_cost("nb201", "cifar10")
>>> s.shape, bool(s[1462] > s[11472] > 0)
((15625,), True)
>>> load_zero_cost("nb201", "cifar10", proxy="snip")
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: proxy 'snip' is not shipped for nb201; choose one of ['synflow']
"""

from __future__ import annotations

import functools
import zipfile
from importlib import resources

import numpy as np

from ..errors import DataIntegrityError, ParameterError, UnknownBenchmarkError, UnknownTaskError

__all__ = ["ZERO_COST", "load_zero_cost"]

#: benchmark -> (file, tasks, proxies)
ZERO_COST: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "nb201": ("nb201_synflow.npz", ("cifar10", "cifar100", "ImageNet16-120"), ("synflow",)),
}
_N_CELLS = {"nb201": 15625}


def load_zero_cost(benchmark: str, task: str, proxy: str = "synflow") -> np.ndarray:
    """Read-only float64 array of ``proxy`` for every cell of ``benchmark``, in index order.

    Raises
    ------
    UnknownBenchmarkError
        If no zero-cost table ships for ``benchmark``.
    UnknownTaskError
        If ``task`` is not one of the benchmark's tasks.
    ParameterError
        If ``proxy`` is not shipped.
    DataIntegrityError
        If the shipped file is missing or damaged.
    """
    if not isinstance(benchmark, str) or benchmark not in ZERO_COST:
        raise UnknownBenchmarkError(
            f"benchmark {benchmark!r} has no shipped zero-cost scores; choose one of {list(ZERO_COST)}"
        )
    _, tasks, proxies = ZERO_COST[benchmark]
    if not isinstance(task, str) or task not in tasks:
        raise UnknownTaskError(f"task {task!r} is not in {benchmark}; choose one of {list(tasks)}")
    if not isinstance(proxy, str) or proxy not in proxies:
        raise ParameterError(f"proxy {proxy!r} is not shipped for {benchmark}; choose one of {list(proxies)}")
    return _arrays(benchmark)[f"{task}__{proxy}"]


@functools.lru_cache(maxsize=None)
def _arrays(benchmark: str) -> dict[str, np.ndarray]:
    file, tasks, proxies = ZERO_COST[benchmark]
    ref = resources.files(__package__).joinpath("data", file)
    try:
        with ref.open("rb") as f, np.load(f, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise DataIntegrityError(f"cannot read the shipped zero-cost table {ref}: {e}; reinstall ktnas") from e
    n = _N_CELLS[benchmark]
    for task in tasks:
        for proxy in proxies:
            a = arrays.get(f"{task}__{proxy}")
            if a is None or a.shape != (n,) or a.dtype != np.float64:
                raise DataIntegrityError(f"{file} lacks {task}__{proxy} as {n} float64 values; reinstall ktnas")
            a.flags.writeable = False
    return arrays
