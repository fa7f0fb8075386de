"""Search spaces: NAS-Bench-201, TransNAS-Bench-101 micro and the DARTS-style
space of EMT-NAS / KTNAS.

Examples
--------
>>> from ktnas_core.spaces import get_space
>>> [len(get_space(n)) for n in ("nb201", "tnb101_micro")]
[15625, 4096]
>>> get_space("nb202")
Traceback (most recent call last):
...
ktnas_core.errors.UnknownSpaceError: search space 'nb202' is unknown; choose one of ['nb201', 'tnb101_micro', 'darts']
"""

from __future__ import annotations

import functools

from ..errors import InvalidArchitectureError, UnknownSpaceError
from .base import SearchSpace, check_rng
from .cell import EDGES, CellArchitecture, CellSpace
from .darts import DartsGenome, DartsSpace
from .isomorphism import is_disconnected, isomorphism_key, nb201_unique_string
from .nb201 import NB201Cell, NB201Space
from .tnb101 import TNB101MicroCell, TNB101MicroSpace

__all__ = [
    "SPACES",
    "EDGES",
    "CellArchitecture",
    "CellSpace",
    "DartsGenome",
    "DartsSpace",
    "InvalidArchitectureError",
    "NB201Cell",
    "NB201Space",
    "SearchSpace",
    "TNB101MicroCell",
    "TNB101MicroSpace",
    "check_rng",
    "get_space",
    "is_disconnected",
    "isomorphism_key",
    "nb201_unique_string",
]

_FACTORIES = {"nb201": NB201Space, "tnb101_micro": TNB101MicroSpace, "darts": DartsSpace}
#: names of the known spaces
SPACES = tuple(_FACTORIES)


def get_space(name: str) -> SearchSpace:
    """The search space called ``name`` (one shared instance per name)."""
    if not isinstance(name, str) or name not in _FACTORIES:
        raise UnknownSpaceError(f"search space {name!r} is unknown; choose one of {list(_FACTORIES)}")
    return _instance(name)


@functools.lru_cache(maxsize=None)
def _instance(name: str) -> SearchSpace:
    return _FACTORIES[name]()
