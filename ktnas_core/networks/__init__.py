"""PyTorch networks built from cells of the ktnas search spaces.

Importing this package does not import torch; the builders load it on first
use (torch is only needed by whoever builds a network).

* :func:`build_nb201_network` -- the NAS-Bench-201 macro skeleton around one
  NB201 cell (stem, three stages of ``N`` cells with ``C``, ``2C``, ``4C``
  channels joined by residual reduction blocks, BN-ReLU, global average
  pooling, linear classifier).  Its parameter count equals NAS-Bench-201's
  published ``params`` exactly (BatchNorm affine parameters included);
  :func:`nb201_flops` reproduces its ``flops`` column exactly.
* :func:`count_parameters` -- number of parameters of a module.

Examples
--------
>>> from ktnas_core import networks
>>> callable(networks.build_nb201_network)
True
"""

from __future__ import annotations

import importlib

__all__ = ["NB201Network", "build_nb201_network", "count_parameters", "nb201_flops"]

_LAZY = {"NB201Network": "nb201", "build_nb201_network": "nb201", "count_parameters": "nb201",
         "nb201_flops": "nb201"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'ktnas_core.networks' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
