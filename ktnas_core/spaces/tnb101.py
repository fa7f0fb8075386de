"""The TransNAS-Bench-101 micro (cell) search space (4,096 cells).

Canonical string ``64-41414-a_bc_def`` with digits 0 = none (zeroize),
1 = skip_connect, 2 = conv1x1, 3 = conv3x3; node 1 = a(node 0),
node 2 = b(node 0) + c(node 1), node 3 = d(node 0) + e(node 1) + f(node 2).
``64-41414`` is the fixed macro skeleton of the micro benchmark.  Index order
is ``itertools.product(range(4), repeat=6)``.

Examples
--------
>>> from ktnas_core.spaces import get_space
>>> tnb = get_space("tnb101_micro")
>>> cell = tnb.parse("64-41414-3_33_333")
>>> tnb.index(cell), cell.op_names[0]
(4095, 'conv3x3')
>>> tnb.to_naslib(cell)
(3, 3, 3, 3, 3, 3)
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from ..errors import InvalidArchitectureError
from .cell import N_EDGES, CellArchitecture, CellSpace

__all__ = ["TNB101MicroCell", "TNB101MicroSpace"]

TNB_OPS = ("none", "skip_connect", "conv1x1", "conv3x3")
PREFIX = "64-41414-"
_PATTERN = re.compile(r"^(\w)_(\w\w)_(\w\w\w)$")


class TNB101MicroCell(CellArchitecture):
    """A TransNAS-Bench-101 micro cell (frozen, hashable)."""

    space_name: ClassVar[str] = "tnb101_micro"


class TNB101MicroSpace(CellSpace):
    """TransNAS-Bench-101 micro cell space: 4 nodes, 6 edges, 4 operations."""

    name = "tnb101_micro"
    title = "TransNAS-Bench-101 micro"
    ops = TNB_OPS
    arch_type = TNB101MicroCell

    def format_ops(self, ops: tuple[int, ...]) -> str:
        d = [str(o) for o in ops]
        return f"{PREFIX}{d[0]}_{d[1]}{d[2]}_{d[3]}{d[4]}{d[5]}"

    def parse(self, text: str) -> TNB101MicroCell:
        """Parse ``64-41414-a_bc_def``.

        Raises
        ------
        InvalidArchitectureError
            Naming the part of ``text`` that is wrong.
        """
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"{text!r} is not a TransNAS-Bench-101 micro cell string")
        s = text.strip()
        if not s.startswith(PREFIX):
            raise InvalidArchitectureError(
                f"{text!r} does not start with the micro skeleton {PREFIX!r}; "
                "micro cells read '64-41414-a_bc_def'"
            )
        m = _PATTERN.match(s[len(PREFIX):])
        if m is None:
            raise InvalidArchitectureError(
                f"cell part {s[len(PREFIX):]!r} of {text!r} must be 'a_bc_def' (1, 2 and 3 digits)"
            )
        digits = "".join(m.groups())
        bad = [d for d in digits if d not in "0123"]
        if bad:
            raise InvalidArchitectureError(
                f"digit {bad[0]!r} in {text!r} is not an operation; use 0=none, 1=skip_connect, "
                "2=conv1x1, 3=conv3x3"
            )
        return TNB101MicroCell(tuple(int(d) for d in digits))

    def to_naslib(self, arch) -> tuple[int, ...]:
        """NASLib's tuple ``(a, b, c, d, e, f)``: the string's digits."""
        return tuple(self.coerce(arch).ops)

    def from_naslib(self, encoding) -> TNB101MicroCell:
        try:
            enc = tuple(int(e) for e in encoding)
        except (TypeError, ValueError):
            raise InvalidArchitectureError(
                f"{encoding!r} is not a NASLib TransNAS micro op-index tuple"
            ) from None
        if len(enc) != N_EDGES or not all(0 <= e < len(TNB_OPS) for e in enc):
            raise InvalidArchitectureError(
                f"{encoding!r} is not a NASLib TransNAS micro op-index tuple: 6 integers in 0..3"
            )
        return TNB101MicroCell(enc)

    def index_codes(self) -> np.ndarray:
        return np.arange(len(self), dtype=np.int64)

    def index(self, arch) -> int:
        """Index in ``itertools.product(range(4), repeat=6)`` order."""
        return self.code(arch)

    def from_index(self, i: int) -> TNB101MicroCell:
        return self.from_code(self.check_index(i))
