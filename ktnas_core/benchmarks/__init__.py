"""The real benchmark tables that ship with ktnas.

``load("nb201")`` (NAS-Bench-201: 15,625 cells x CIFAR-10, CIFAR-100,
ImageNet16-120) and ``load("tnb101_micro")`` (TransNAS-Bench-101 micro:
4,096 cells x 7 tasks).  Sources, licences and the meaning of every column:
``DATA.md`` in this folder (also :func:`data_notes`).

Examples
--------
>>> from ktnas_core import benchmarks
>>> b = benchmarks.load("tnb101_micro")
>>> b.tasks[:3]
('class_object', 'class_scene', 'jigsaw')
>>> round(b.optimum("class_scene").value, 2), round(b.optimum("jigsaw").value, 2)
(54.94, 95.37)
>>> benchmarks.load("nb301")
Traceback (most recent call last):
...
ktnas_core.errors.UnknownBenchmarkError: benchmark 'nb301' is not shipped; choose one of ['nb201', 'tnb101_micro']
"""

from __future__ import annotations

import functools
import zipfile
from importlib import resources

import numpy as np

from ..errors import DataIntegrityError, UnknownBenchmarkError
from .catalog import SPECS, Metric, TableSpec
from .table import Benchmark, Optimum
from .zero_cost import ZERO_COST, load_zero_cost

__all__ = ["BENCHMARKS", "Benchmark", "Metric", "Optimum", "TableSpec", "ZERO_COST", "data_notes", "load",
           "load_zero_cost"]

#: names of the shipped benchmarks
BENCHMARKS = tuple(SPECS)


def load(name: str) -> Benchmark:
    """Load a shipped benchmark table (cached: one shared, read-only instance per name).

    Raises
    ------
    UnknownBenchmarkError
        If ``name`` is not one of :data:`BENCHMARKS`.
    DataIntegrityError
        If the shipped file is missing a column or has the wrong length.
    """
    if not isinstance(name, str) or name not in SPECS:  # checked before the cache, which needs a hashable name
        raise UnknownBenchmarkError(f"benchmark {name!r} is not shipped; choose one of {list(SPECS)}")
    return _load(name)


@functools.lru_cache(maxsize=None)
def _load(name: str) -> Benchmark:
    spec = SPECS[name]
    ref = resources.files(__package__).joinpath("data", spec.file)
    try:
        with ref.open("rb") as f, np.load(f, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise DataIntegrityError(f"cannot read the shipped table {ref}: {e}; reinstall ktnas") from e
    from ..spaces import get_space

    n = len(get_space(spec.space))
    for task in spec.tasks:
        for metric in spec.metrics[task]:
            key = f"{task}__{metric.name}"
            a = arrays.get(key)
            if a is None or a.shape != (n,):
                raise DataIntegrityError(f"shipped table {spec.file} lacks {key} of {n} values; reinstall ktnas")
            a.flags.writeable = False
    return Benchmark(spec, arrays)


def data_notes() -> str:
    """The text of ``DATA.md``: sources, licences, columns and derivations."""
    return resources.files(__package__).joinpath("DATA.md").read_text(encoding="utf-8")
