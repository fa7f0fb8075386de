"""The NAS-Bench-201 / NATS-Bench topology search space (15,625 cells).

Canonical string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``: node 1 applies one
operation to node 0; node 2 sums operations on nodes 0 and 1; node 3 sums
operations on nodes 0, 1 and 2.  Indices follow the NATS-Bench / NB201
order of the benchmark's own files (see ``DATA.md``).

Examples
--------
>>> from ktnas_core.spaces import get_space
>>> nb = get_space("nb201")
>>> resnet = nb.parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
>>> nb.index(resnet)
11472
>>> str(nb.from_index(11472)) == str(resnet)
True
>>> nb.to_naslib(resnet)
(2, 1, 0, 2, 1, 0)
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import ClassVar

import numpy as np

from ..errors import InvalidArchitectureError
from .cell import EDGES, N_EDGES, CellArchitecture, CellSpace

__all__ = ["NB201Cell", "NB201Space"]

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: NASLib's operation order for NB201 (``convert_str_to_op_indices``)
NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
#: NASLib edge j is string position NASLIB_EDGE_POS[j]; edges (1,2),(1,3),(1,4),(2,3),(2,4),(3,4)
NASLIB_EDGE_POS = (0, 1, 3, 2, 4, 5)
_TO_NASLIB = tuple(NASLIB_OPS.index(op) for op in NB201_OPS)
_FROM_NASLIB = tuple(NB201_OPS.index(op) for op in NASLIB_OPS)


class NB201Cell(CellArchitecture):
    """A NAS-Bench-201 cell (frozen, hashable)."""

    space_name: ClassVar[str] = "nb201"


class NB201Space(CellSpace):
    """NAS-Bench-201 cell space: 4 nodes, 6 edges, 5 operations."""

    name = "nb201"
    title = "NAS-Bench-201"
    ops = NB201_OPS
    arch_type = NB201Cell

    def format_ops(self, ops: tuple[int, ...]) -> str:
        names = [f"{self.ops[o]}~{EDGES[p][0]}" for p, o in enumerate(ops)]
        return "|" + "|+|".join(["|".join(names[0:1]), "|".join(names[1:3]), "|".join(names[3:6])]) + "|"

    def parse(self, text: str) -> NB201Cell:
        """Parse ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

        Raises
        ------
        InvalidArchitectureError
            Naming the part of ``text`` that is wrong.
        """
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"{text!r} is not an NB201 cell string")
        groups = text.strip().split("+")
        if len(groups) != 3:
            raise InvalidArchitectureError(
                f"{text!r} has {len(groups)} node groups separated by '+'; an NB201 cell has 3, "
                "like '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'"
            )
        ops: list[int] = []
        for node, group in enumerate(groups, start=1):
            if len(group) < 2 or not (group.startswith("|") and group.endswith("|")):
                raise InvalidArchitectureError(
                    f"node {node} part {group!r} of {text!r} must be enclosed in '|', like '|op~0|'"
                )
            tokens = group[1:-1].split("|")
            if len(tokens) != node:
                raise InvalidArchitectureError(
                    f"node {node} part {group!r} of {text!r} has {len(tokens)} inputs; it needs {node}"
                )
            for src, token in enumerate(tokens):
                op, sep, inp = token.rpartition("~")
                if not sep or inp != str(src):
                    raise InvalidArchitectureError(
                        f"edge {token!r} into node {node} of {text!r} must read 'op~{src}'"
                    )
                ops.append(self.op_index(op, f"on edge {src}->{node} of {text!r}"))
        # string order is node by node, which is EDGES' order
        return NB201Cell(tuple(ops))

    # -- NASLib ------------------------------------------------------------
    def to_naslib(self, arch) -> tuple[int, ...]:
        """NASLib's op-index tuple: its op order and edge order (see module)."""
        ops = self.coerce(arch).ops
        return tuple(_TO_NASLIB[ops[p]] for p in NASLIB_EDGE_POS)

    def from_naslib(self, encoding) -> NB201Cell:
        try:
            enc = tuple(int(e) for e in encoding)
        except (TypeError, ValueError):
            raise InvalidArchitectureError(f"{encoding!r} is not a NASLib NB201 op-index tuple") from None
        if len(enc) != N_EDGES or not all(0 <= e < len(NASLIB_OPS) for e in enc):
            raise InvalidArchitectureError(
                f"{encoding!r} is not a NASLib NB201 op-index tuple: 6 integers in 0..4 "
                f"(ops {list(NASLIB_OPS)})"
            )
        ops = [0] * N_EDGES
        for j, p in enumerate(NASLIB_EDGE_POS):
            ops[p] = _FROM_NASLIB[enc[j]]
        return NB201Cell(tuple(ops))

    # -- index -------------------------------------------------------------
    def index_codes(self) -> np.ndarray:
        return _order()[0]

    def index(self, arch) -> int:
        """NATS-Bench index of ``arch``."""
        return int(_order()[1][self.code(arch)])

    def from_index(self, i: int) -> NB201Cell:
        return self.from_code(int(_order()[0][self.check_index(i)]))


@functools.lru_cache(maxsize=1)
def _order() -> tuple[np.ndarray, np.ndarray]:
    """(codes in NATS index order, inverse: code -> index), from the shipped file."""
    with resources.files(__package__).joinpath("data/nb201_order.npy").open("rb") as f:
        codes = np.load(f)
    inverse = np.empty_like(codes)
    inverse[codes] = np.arange(codes.size, dtype=codes.dtype)
    codes.flags.writeable = False
    inverse.flags.writeable = False
    return codes, inverse
