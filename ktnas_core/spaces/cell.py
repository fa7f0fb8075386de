"""The 4-node, 6-edge cell shared by NAS-Bench-201 and TransNAS-Bench-101 micro.

Nodes 0..3; node 0 is the cell input and node 3 its output.  Every edge
``i -> j`` (``i < j``) carries one operation and node ``j`` sums its incoming
edges.  ktnas stores a cell as a tuple of six operation indices in the
*string order* of the edges::

    position: 0       1       2       3       4       5
    edge:     0->1    0->2    1->2    0->3    1->3    2->3

which is the order of both benchmarks' canonical strings.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from ..errors import InvalidArchitectureError
from .base import SearchSpace, check_rng

__all__ = ["EDGES", "CellArchitecture", "CellSpace", "decode_codes"]

#: (from_node, to_node) of the six edges, in string order
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
N_EDGES = len(EDGES)


def decode_codes(codes, n_ops: int) -> np.ndarray:
    """Operation indices ``(len(codes), 6)`` (uint8) of cell codes in base ``n_ops``
    (first edge most significant; see :meth:`CellSpace.code`).

    >>> decode_codes([0, 5 ** 6 - 1, 7], 5).tolist()
    [[0, 0, 0, 0, 0, 0], [4, 4, 4, 4, 4, 4], [0, 0, 0, 0, 1, 2]]
    """
    codes = np.asarray(codes, dtype=np.int64)
    powers = n_ops ** np.arange(N_EDGES - 1, -1, -1)
    return ((codes[:, None] // powers[None, :]) % n_ops).astype(np.uint8)


@dataclasses.dataclass(frozen=True)
class CellArchitecture:
    """A cell: one operation index per edge, in string order (see module doc).

    Subclasses bind the space through :attr:`space_name`; ``str(cell)`` gives
    the canonical string of that space.
    """

    ops: tuple[int, ...]
    space_name: ClassVar[str] = ""

    @property
    def space(self) -> "CellSpace":
        from . import get_space

        return get_space(self.space_name)

    @property
    def op_names(self) -> tuple[str, ...]:
        """Operation name on each edge, in string order."""
        names = self.space.ops
        return tuple(names[o] for o in self.ops)

    def __str__(self) -> str:
        return self.space.format_ops(self.ops)

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self}')"


class CellSpace(SearchSpace):
    """Base of the two finite cell spaces; subclasses define the string format
    and the index order."""

    #: operation names, position = operation index
    ops: tuple[str, ...] = ()
    arch_type: ClassVar[type] = CellArchitecture

    # -- validation --------------------------------------------------------
    def make(self, ops) -> CellArchitecture:
        """Build a cell from six operation indices (string order), validated."""
        try:
            ops = tuple(int(o) for o in ops)
        except (TypeError, ValueError):
            raise InvalidArchitectureError(
                f"{ops!r} is not a sequence of {N_EDGES} operation indices for {self.name}"
            ) from None
        if len(ops) != N_EDGES:
            raise InvalidArchitectureError(
                f"{self.name} cells have {N_EDGES} edges; got {len(ops)} operations in {ops!r}"
            )
        for pos, o in enumerate(ops):
            if not 0 <= o < len(self.ops):
                i, j = EDGES[pos]
                raise InvalidArchitectureError(
                    f"operation index {o} on edge {i}->{j} is out of range; "
                    f"{self.name} has {len(self.ops)} operations {list(self.ops)}"
                )
        return self.arch_type(ops)

    def op_index(self, name: str, where: str) -> int:
        """Index of operation ``name``; ``where`` locates it in the error."""
        try:
            return self.ops.index(name)
        except ValueError:
            raise InvalidArchitectureError(
                f"unknown operation {name!r} {where}; {self.name} operations are {list(self.ops)}"
            ) from None

    def format_ops(self, ops: tuple[int, ...]) -> str:
        raise NotImplementedError

    # -- operators ---------------------------------------------------------
    def sample(self, rng) -> CellArchitecture:
        """A uniformly random cell.

        Examples
        --------
        >>> from ktnas_core.spaces import get_space
        >>> s = get_space("nb201")
        >>> s.sample(0) in s
        True
        """
        rng = check_rng(rng)
        return self.arch_type(tuple(int(o) for o in rng.integers(len(self.ops), size=N_EDGES)))

    def mutate(self, arch, rng) -> CellArchitecture:
        """Change the operation of one uniformly chosen edge to another
        operation (the NAS-Bench-201 REA mutation); never returns ``arch``."""
        arch = self.coerce(arch)
        rng = check_rng(rng)
        pos = int(rng.integers(N_EDGES))
        new = int(rng.integers(len(self.ops) - 1))
        if new >= arch.ops[pos]:
            new += 1
        ops = list(arch.ops)
        ops[pos] = new
        return self.arch_type(tuple(ops))

    def neighbours(self, arch) -> list[CellArchitecture]:
        """Every cell :meth:`mutate` can return for ``arch`` (one edge's operation changed),
        edge by edge in string order, operations in the space's order.

        >>> from ktnas_core.spaces import get_space
        >>> s = get_space("nb201")
        >>> len(s.neighbours(0)), all(s.neighbours(0)[i] != s.from_index(0) for i in range(24))
        (24, True)
        """
        arch = self.coerce(arch)
        out = []
        for pos in range(N_EDGES):
            for op in range(len(self.ops)):
                if op != arch.ops[pos]:
                    out.append(self.arch_type(arch.ops[:pos] + (op,) + arch.ops[pos + 1:]))
        return out

    def crossover(self, a, b, rng) -> tuple[CellArchitecture, CellArchitecture]:
        """Uniform crossover: a fair coin per edge, two complementary children."""
        a, b = self.coerce(a), self.coerce(b)
        rng = check_rng(rng)
        take_a = rng.random(N_EDGES) < 0.5
        c1 = tuple(x if t else y for x, y, t in zip(a.ops, b.ops, take_a))
        c2 = tuple(y if t else x for x, y, t in zip(a.ops, b.ops, take_a))
        return self.arch_type(c1), self.arch_type(c2)

    # -- index -------------------------------------------------------------
    def code(self, arch) -> int:
        """Base-``len(ops)`` number of the op tuple (first edge most significant)."""
        code = 0
        for o in self.coerce(arch).ops:
            code = code * len(self.ops) + o
        return code

    def from_code(self, code: int) -> CellArchitecture:
        k = len(self.ops)
        ops = []
        for _ in range(N_EDGES):
            code, r = divmod(code, k)
            ops.append(r)
        return self.arch_type(tuple(reversed(ops)))

    def ops_matrix(self) -> np.ndarray:
        """All cells as an ``(len(self), 6)`` uint8 array, row = index.

        Examples
        --------
        >>> from ktnas_core.spaces import get_space
        >>> get_space("tnb101_micro").ops_matrix().shape
        (4096, 6)
        """
        return decode_codes(self.index_codes(), len(self.ops))

    def index_codes(self) -> np.ndarray:
        """Codes (see :meth:`code`) of all cells in index order."""
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.ops) ** N_EDGES
