"""Isomorphism keys of NAS-Bench-201 cells: one key per computed function.

A cell computes node 3 from node 0.  Writing ``x`` for the cell input, an
edge ``i -> j`` contributes to node ``j``:

- nothing, if its operation is ``none`` or node ``i`` is zero;
- node ``i``'s terms unchanged, if it is ``skip_connect`` (identity);
- the single term ``op(<node i>)`` otherwise.

A node is the multiset of its contributions (a sum is order-free, and a sum
of sums is one flat sum); a node with no terms is zero.  Terms print
canonically (sub-sums sorted), so two cells share :func:`isomorphism_key`
exactly when they compute the same expression (an operation applied to zero
counts as zero, as in NB201).  Disconnected cells (output zero) get the key
``"zero"``.

The NB201 authors' key (:func:`nb201_unique_string`, their
``to_unique_str(consider_zero=True)``, the ``UniqueString`` column of
NATS-Bench dumps) gives 6,466 classes, the figure of the NB201 paper.  It is
a strictly finer partition than this one (4,930 classes): it keeps a ``#``
for every zero term and sorts sub-sums as whole strings instead of
flattening them, so it tells apart cells that compute the same function,
for example ``x`` and ``x + 0``.

TransNAS-Bench-101 micro cells share the DAG and the meaning of ``none`` and
``skip_connect``; their cell objects are accepted too.

Examples
--------
>>> from ktnas_core.spaces import isomorphism_key
>>> isomorphism_key("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
'nor_conv_3x3(nor_conv_3x3(x))+x'
>>> a = "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|"
>>> b = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"
>>> isomorphism_key(a) == isomorphism_key(b) == "x"
True
>>> nb201_unique_string(a) == nb201_unique_string(b)
False
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArchitectureError
from .cell import EDGES, CellArchitecture

__all__ = ["ZERO_KEY", "is_disconnected", "isomorphism_key", "nb201_unique_string"]

#: key of every cell whose output is zero
ZERO_KEY = "zero"
#: the input node's single term
INPUT_TERM = "x"
_CELL_SPACES = ("nb201", "tnb101_micro")


def _cell(arch: Any) -> CellArchitecture:
    """``arch`` as a cell of NB201 (or TNB101 micro, for cell objects)."""
    if isinstance(arch, CellArchitecture) and arch.space_name in _CELL_SPACES:
        return arch
    from . import get_space

    try:
        return get_space("nb201").coerce(arch)
    except InvalidArchitectureError as err:
        raise InvalidArchitectureError(
            f"isomorphism keys are defined for NB201 cells (and TransNAS-Bench-101 micro cell "
            f"objects); {err}"
        ) from None


def _output_terms(arch: Any) -> tuple[str, ...]:
    """Sorted terms of node 3 (empty when the output is zero)."""
    names = _cell(arch).op_names
    nodes: list[tuple[str, ...]] = [(INPUT_TERM,)]
    for j in (1, 2, 3):
        terms: list[str] = []
        for pos, (i, to) in enumerate(EDGES):
            if to != j:
                continue
            op, value = names[pos], nodes[i]
            if not value or op == "none":
                continue
            if op == "skip_connect":
                terms.extend(value)
            else:
                terms.append(f"{op}({'+'.join(value)})")
        nodes.append(tuple(sorted(terms)))
    return nodes[3]


def isomorphism_key(arch: Any) -> str:
    """Canonical expression of the cell's output; equal keys, same function.

    Parameters
    ----------
    arch : NB201Cell, str or int
        An NB201 cell, its string or its index (a TNB101 micro cell object
        also works).

    Returns
    -------
    str
        ``"zero"`` for disconnected cells, else the flat sum of terms, e.g.
        ``"nor_conv_1x1(x)+x"``.

    Raises
    ------
    InvalidArchitectureError
        For bad strings and architectures of other spaces.

    Examples
    --------
    >>> isomorphism_key("|nor_conv_1x1~0|+|skip_connect~0|none~1|+|none~0|nor_conv_1x1~1|skip_connect~2|")
    'nor_conv_1x1(nor_conv_1x1(x))+x'
    """
    terms = _output_terms(arch)
    return "+".join(terms) if terms else ZERO_KEY


def is_disconnected(arch: Any) -> bool:
    """True when the output is zero: no path of non-``none`` edges 0 -> 3.

    Examples
    --------
    >>> is_disconnected("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|")
    True
    """
    return not _output_terms(arch)


def nb201_unique_string(arch: Any) -> str:
    """The NB201 authors' isomorphism string (``consider_zero=True``).

    Reproduces ``UniqueString`` of NATS-Bench dumps: a zero term is ``#``,
    ``skip_connect`` passes its input's string, other ops give
    ``(<input>)@op``; a node joins its sorted terms with ``+``.  Kept for
    comparing with the NB201 paper's 6,466 classes; prefer
    :func:`isomorphism_key`, which merges cells this string keeps apart.

    Examples
    --------
    >>> nb201_unique_string("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
    '#+#+((0)@nor_conv_3x3)@nor_conv_3x3+0'
    """
    names = _cell(arch).op_names
    nodes = ["0"]
    for j in (1, 2, 3):
        terms = []
        for pos, (i, to) in enumerate(EDGES):
            if to != j:
                continue
            if names[pos] == "none" or nodes[i] == "#":
                terms.append("#")
            elif names[pos] == "skip_connect":
                terms.append(nodes[i])
            else:
                terms.append(f"({nodes[i]})@{names[pos]}")
        nodes.append("+".join(sorted(terms)))
    return nodes[3]
