"""PyTorch networks built from cells of the ktnas search spaces.

Importing this package does not import torch; the builders load it on first
use (torch is only needed by whoever builds a network).

* :func:`build_nb201_network` -- the NAS-Bench-201 macro skeleton around one
  NB201 cell (stem, three stages of ``N`` cells with ``C``, ``2C``, ``4C``
  channels joined by residual reduction blocks, BN-ReLU, global average
  pooling, linear classifier).  Its parameter count equals NAS-Bench-201's
  published ``params`` exactly (BatchNorm affine parameters included);
  :func:`nb201_flops` reproduces its ``flops`` column exactly.
* :func:`build_darts_network` -- the discrete DARTS-style network
  (:class:`DartsNetwork`: DARTS' macro skeleton of ``layers`` cells around the
  normal and reduction cell of a darts genome, optional drop-path and
  auxiliary head) for any image size and channel count.
* :class:`DartsSupernet` -- the weight-sharing one-shot supernet of the same
  skeleton (one module per edge and op); ``forward(x, arch)`` runs one genome,
  ``extract(arch)`` copies its weights into a :class:`DartsNetwork`.
* :func:`build_tnb101_network` -- TransNAS-Bench-101's micro classification
  network (:class:`TNB101Network`: stem, skeleton ``41414`` of two-cell modules,
  average pooling, linear head).  With NASLib's heads (100 / 63 classes) its
  parameters and :func:`tnb101_flops` equal the benchmark's table exactly.
* :func:`count_parameters` -- number of parameters of a module.

Examples
--------
>>> from ktnas_core import networks
>>> callable(networks.build_nb201_network)
True
"""

from __future__ import annotations

import importlib

__all__ = [
    "DartsNetwork", "DartsSupernet", "NB201Network", "TNB101Network", "TNB101_NUM_CLASSES", "build_darts_network",
    "build_nb201_network", "build_tnb101_network", "count_parameters", "nb201_flops", "tnb101_flops",
]  # fmt: skip

_LAZY = {"NB201Network": "nb201", "build_nb201_network": "nb201", "count_parameters": "nb201",
         "nb201_flops": "nb201", "DartsNetwork": "darts", "DartsSupernet": "darts_supernet",
         "build_darts_network": "darts", "TNB101Network": "tnb101", "TNB101_NUM_CLASSES": "tnb101",
         "build_tnb101_network": "tnb101", "tnb101_flops": "tnb101"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'ktnas_core.networks' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
