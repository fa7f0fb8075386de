"""ktnas: cross-task neural architecture search with architecture embeddings
and transfer rank (KTNAS, Zhang & Liu 2025).

The core imports nothing heavier than numpy on ``import ktnas_core``;
submodules load on first use::

    >>> import ktnas_core
    >>> b = ktnas_core.benchmarks.load("nb201")
    >>> len(b), b.tasks[0]
    (15625, 'cifar10')

Submodules: :mod:`~ktnas_core.spaces` (search spaces), :mod:`~ktnas_core.benchmarks`
(the shipped NAS-Bench-201 and TransNAS-Bench-101 micro tables),
:mod:`~ktnas_core.disorder` (ranking-disorder statistics), :mod:`~ktnas_core.graphs`
(architectures as graphs), :mod:`~ktnas_core.embedding` (one-hot, path, node2vec, arch2vec),
:mod:`~ktnas_core.transfer_rank` (the transfer-rank classifier), :mod:`~ktnas_core.predictors`
(performance predictors), :mod:`~ktnas_core.networks` and :mod:`~ktnas_core.zero_cost`
(PyTorch networks, synflow), :mod:`~ktnas_core.search` (search strategies),
:mod:`~ktnas_core.evaluation` (evaluators: table look-up, training, supernet), :mod:`~ktnas_core.runs`
(the run loop, run folders, checkpoints, reports), :mod:`~ktnas_core.experiments` (the paper's experiments),
:mod:`~ktnas_core.errors` (typed errors), :mod:`~ktnas_core.validation` (argument checks),
:mod:`~ktnas_core.cli` (the ``ktnas`` command).  ``docs/architecture.md`` shows how they depend on each other.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"
_SUBMODULES = {"atomic", "benchmarks", "cli", "disorder", "embedding", "errors", "evaluation", "experiments", "graphs",
               "networks", "predictors", "datasets", "projection", "runs", "search", "spaces", "svgplot",
               "transfer_rank", "validation", "zero_cost"}
__all__ = ["__version__", *sorted(_SUBMODULES)]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ktnas_core' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
