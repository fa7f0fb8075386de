"""The DARTS-style space of EMT-NAS / KTNAS (normal + reduction cell, 5 blocks each).

A block picks two inputs and an operation for each.  Block ``k`` (0-based) may
read inputs ``0..k+1``: 0 and 1 are the cell's inputs, ``2 + j`` is block ``j``'s
output.  The cell concatenates all five block outputs (nodes 2..6).  Operations:

    0 sep_conv_3x3  1 sep_conv_5x5  2 sep_conv_7x7   (depthwise-separable)
    3 dil_conv_3x3  4 dil_conv_5x5  5 dil_conv_7x7   (dilated depthwise)
    6 skip_connect  7 max_pool_3x3  8 avg_pool_3x3

The dilated convolutions are named by their *receptive field*, as EMT-NAS
does (a 3x3 kernel with dilation 2 covers 5x5, and so on).

Genome: 40 integers, the normal cell first, then the reduction cell; each
cell is 5 blocks of ``(input_a, input_b, op_a, op_b)``.  Gene ``g`` sits in
cell ``g // 20``, block ``g % 20 // 4`` and slot ``g % 4``.

Canonical string: ``normal:<5 blocks>;reduce:<5 blocks>``, blocks separated by
``|``, a block written ``op_a~input_a+op_b~input_b``, like NB201's ``op~input``.

Examples
--------
>>> from ktnas_core.spaces import get_space
>>> darts = get_space("darts")
>>> g = darts.sample(0)
>>> darts.parse(str(g)) == g and darts.from_naslib(darts.to_naslib(g)) == g
True
>>> s = darts.make([0, 1, 0, 6] + [2, 0, 3, 7] * 4 + [0] * 20)
>>> str(s).split("|")[0]
'normal:sep_conv_3x3~0+skip_connect~1'
>>> s.genotype.normal[:3]
[('sep_conv_3x3', 0), ('skip_connect', 1), ('dil_conv_3x3', 2)]
"""

from __future__ import annotations

import collections
import dataclasses
import numbers
import operator
from typing import ClassVar

import numpy as np

from ..errors import InvalidArchitectureError, ParameterError
from .base import SearchSpace, check_rng

__all__ = ["DARTS_OPS", "DartsGenome", "DartsSpace", "Genotype"]

DARTS_OPS = (
    "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7",
    "dil_conv_3x3", "dil_conv_5x5", "dil_conv_7x7",
    "skip_connect", "max_pool_3x3", "avg_pool_3x3",
)  # fmt: skip
CELLS = ("normal", "reduce")
N_BLOCKS = 5
SLOTS = ("input_a", "input_b", "op_a", "op_b")
CELL_LENGTH = N_BLOCKS * len(SLOTS)
GENOME_LENGTH = len(CELLS) * CELL_LENGTH
#: number of values gene g may take: ``k + 2`` for the inputs of block k, 9 for ops
GENE_SIZES = tuple(
    (g % CELL_LENGTH // 4 + 2) if g % 4 < 2 else len(DARTS_OPS) for g in range(GENOME_LENGTH)
)
_SIZES = np.array(GENE_SIZES)
#: DARTS' genotype: ``(op_name, input)`` pairs per cell and the concatenated nodes
Genotype = collections.namedtuple("Genotype", "normal normal_concat reduce reduce_concat")


def _blocks(genome: tuple[int, ...]):
    """Yield ``(cell, block, input_a, input_b, op_a, op_b)`` for the 10 blocks."""
    for start in range(0, GENOME_LENGTH, 4):
        yield (start // CELL_LENGTH, start % CELL_LENGTH // 4, *genome[start : start + 4])


def _bad_gene(g: int, value) -> InvalidArchitectureError:
    """Error for ``value`` in gene ``g``: names cell, block, slot and what is allowed."""
    k = g % CELL_LENGTH // 4
    where = f"{SLOTS[g % 4]} of block {k} in the {CELLS[g // CELL_LENGTH]} cell, gene {g}"
    if g % 4 < 2:
        return InvalidArchitectureError(
            f"input {value!r} ({where}) is not allowed; block {k} may read inputs 0..{k + 1} "
            "(0, 1 = cell inputs, 2.. = earlier blocks)"
        )
    return InvalidArchitectureError(
        f"unknown operation {value!r} ({where}); DARTS operations are {list(DARTS_OPS)}"
    )


def _parse_block(block: str, g: int) -> list[int]:
    """Genes ``g..g+3`` from ``op_a~input_a+op_b~input_b``."""
    edges = block.split("+")
    if len(edges) != 2 or not all("~" in e for e in edges):
        where = f"block {g % CELL_LENGTH // 4} {block!r} of the {CELLS[g // CELL_LENGTH]} cell"
        raise InvalidArchitectureError(f"{where} must read 'op~input+op~input'")
    genes = [0] * 4
    for slot, edge in enumerate(edges):
        op, _, inp = edge.rpartition("~")
        if op not in DARTS_OPS:
            raise _bad_gene(g + 2 + slot, op)
        if inp not in [str(i) for i in range(GENE_SIZES[g])]:
            raise _bad_gene(g + slot, inp)
        genes[slot], genes[2 + slot] = int(inp), DARTS_OPS.index(op)
    return genes


@dataclasses.dataclass(frozen=True)
class DartsGenome:
    """A DARTS-style architecture: the 40-gene genome (see module doc).

    Frozen and hashable; build validated ones with :meth:`DartsSpace.make`.
    """

    genome: tuple[int, ...]
    space_name: ClassVar[str] = "darts"

    @property
    def space(self) -> "DartsSpace":
        from . import get_space

        return get_space(self.space_name)

    @property
    def genotype(self) -> Genotype:
        """DARTS-style genotype: per cell ten ``(op_name, input)`` pairs
        (block by block, ``a`` then ``b``) and the concatenated nodes 2..6."""
        cells: list[list] = [[], []]
        for c, _, ia, ib, oa, ob in _blocks(self.genome):
            cells[c] += [(DARTS_OPS[oa], ia), (DARTS_OPS[ob], ib)]
        return Genotype(cells[0], list(range(2, 7)), cells[1], list(range(2, 7)))

    def __str__(self) -> str:
        blocks: list[list[str]] = [[], []]
        for c, _, ia, ib, oa, ob in _blocks(self.genome):
            blocks[c].append(f"{DARTS_OPS[oa]}~{ia}+{DARTS_OPS[ob]}~{ib}")
        return ";".join(f"{cell}:" + "|".join(bs) for cell, bs in zip(CELLS, blocks))

    def __repr__(self) -> str:
        return f"DartsGenome('{self}')"


class DartsSpace(SearchSpace):
    """The EMT-NAS / KTNAS DARTS-style space (not indexed: ``len()`` raises)."""

    name = "darts"
    title = "DARTS-style (EMT-NAS)"
    arch_type = DartsGenome
    finite = False
    ops = DARTS_OPS

    def make(self, genome) -> DartsGenome:
        """Build a genome from 40 integers (layout in the module doc), validated.

        Examples
        --------
        >>> from ktnas_core.spaces import get_space
        >>> get_space("darts").make([0] * 39 + [9])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ktnas_core.errors.InvalidArchitectureError: unknown operation 9 (op_b of block 4 in the reduce cell, gene 39); ...
        """
        try:
            genes = tuple(operator.index(g) for g in genome)
        except TypeError:
            genes = ()
        if len(genes) != GENOME_LENGTH:
            raise InvalidArchitectureError(
                f"{genome!r} is not a darts genome: {GENOME_LENGTH} integers, 2 cells x 5 blocks x "
                "(input_a, input_b, op_a, op_b)"
            )
        for g, (v, size) in enumerate(zip(genes, GENE_SIZES)):
            if not 0 <= v < size:
                raise _bad_gene(g, v)
        return DartsGenome(genes)

    def parse(self, text: str) -> DartsGenome:
        """Parse ``normal:op~i+op~i|...(5 blocks);reduce:...``.

        Raises
        ------
        InvalidArchitectureError
            Naming the cell, block and gene that is wrong and what is allowed.

        Examples
        --------
        >>> from ktnas_core.spaces import get_space
        >>> get_space("darts").parse("normal:sep_conv_3x3~2+skip_connect~1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ktnas_core.errors.InvalidArchitectureError: '...' has 1 cell part(s) separated by ';'; ...
        """
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"{text!r} is not a darts architecture string")
        cells = text.strip().split(";")
        if len(cells) != len(CELLS):
            raise InvalidArchitectureError(
                f"{text!r} has {len(cells)} cell part(s) separated by ';'; a darts string has 2, "
                "like 'normal:<5 blocks>;reduce:<5 blocks>'"
            )
        genes: list[int] = []
        for c, (cell, part) in enumerate(zip(CELLS, cells)):
            head, sep, body = part.partition(":")
            if not sep or head != cell:
                raise InvalidArchitectureError(
                    f"cell part {c} of the darts string must start with '{cell}:'; got {part[:30]!r}"
                )
            blocks = body.split("|")
            if len(blocks) != N_BLOCKS:
                raise InvalidArchitectureError(
                    f"the {cell} cell of the darts string has {len(blocks)} blocks separated by '|'; "
                    f"it needs {N_BLOCKS}"
                )
            for b, block in enumerate(blocks):
                genes += _parse_block(block, c * CELL_LENGTH + 4 * b)
        return DartsGenome(tuple(genes))

    # -- NASLib ------------------------------------------------------------
    def to_naslib(self, arch) -> tuple:
        """NASLib's compact genotype layout: ``(normal, reduce)``, each ten
        ``(input, op_index)`` pairs (block by block, ``a`` then ``b``), with
        *this* space's op order.

        NASLib's ``convert_genotype_to_compact`` puts the input first, too.  Its
        nb301 space has 4 blocks and 7 operations, so EMT-NAS genomes do not
        fit it: this is NASLib's layout, not its space; NASLib cannot decode it.

        Examples
        --------
        >>> from ktnas_core.spaces import get_space
        >>> darts = get_space("darts")
        >>> darts.to_naslib(darts.make([0, 1, 0, 6] + [0] * 36))[0][:2]
        ((0, 0), (1, 6))
        """
        cells: list[list] = [[], []]
        for c, _, ia, ib, oa, ob in _blocks(self.coerce(arch).genome):
            cells[c] += [(ia, oa), (ib, ob)]
        return tuple(tuple(pairs) for pairs in cells)

    def from_naslib(self, encoding) -> DartsGenome:
        """Inverse of :meth:`to_naslib`."""
        bad = InvalidArchitectureError(
            f"{encoding!r} is not a compact darts genotype: 2 cells of 10 (input, op_index) pairs"
        )
        try:
            cells = [[tuple(operator.index(v) for v in pair) for pair in cell] for cell in encoding]
        except TypeError:
            raise bad from None
        if len(cells) != 2 or any(len(c) != 2 * N_BLOCKS or any(len(p) != 2 for p in c) for c in cells):
            raise bad
        genes = []
        for cell in cells:
            for (ia, oa), (ib, ob) in zip(cell[::2], cell[1::2]):
                genes += [ia, ib, oa, ob]
        return self.make(genes)

    # -- operators ---------------------------------------------------------
    def sample(self, rng) -> DartsGenome:
        """A uniformly random genome (each gene uniform in its own range)."""
        rng = check_rng(rng)
        return DartsGenome(tuple(int(v) for v in rng.integers(_SIZES)))

    def mutate(self, arch, rng, p: float = 0.02) -> DartsGenome:
        """Flip mutation: each gene, with probability ``p``, moves by +1 or -1
        (a fair coin) with wrap-around inside its own range.

        If no gene flipped, one uniformly chosen gene is flipped, so the child
        always differs from ``arch`` (every range has at least 2 values).

        Raises
        ------
        ParameterError
            If ``p`` is not in [0, 1] or ``rng`` is not a generator or seed.

        Examples
        --------
        >>> from ktnas_core.spaces import get_space
        >>> darts = get_space("darts")
        >>> g = darts.sample(1)
        >>> sum(x != y for x, y in zip(g.genome, darts.mutate(g, 2, p=0.0).genome))
        1
        """
        arch = self.coerce(arch)
        rng = check_rng(rng)
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
            raise ParameterError(f"mutation probability p={p!r} must be a number in [0, 1]")
        flip = rng.random(GENOME_LENGTH) < p
        if not flip.any():
            flip[rng.integers(GENOME_LENGTH)] = True
        step = np.where(rng.random(GENOME_LENGTH) < 0.5, 1, -1)
        new = (np.array(arch.genome) + np.where(flip, step, 0)) % _SIZES
        return DartsGenome(tuple(int(v) for v in new))

    def crossover(self, a, b, rng) -> tuple[DartsGenome, DartsGenome]:
        """Block crossover: a fair coin per 4-gene block (10 blocks); two
        complementary children."""
        a, b = self.coerce(a), self.coerce(b)
        rng = check_rng(rng)
        take_a = np.repeat(rng.random(GENOME_LENGTH // 4) < 0.5, 4)
        c1 = tuple(x if t else y for x, y, t in zip(a.genome, b.genome, take_a))
        c2 = tuple(y if t else x for x, y, t in zip(a.genome, b.genome, take_a))
        return DartsGenome(c1), DartsGenome(c2)
