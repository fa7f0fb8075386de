"""Discrete baseline encodings: one-hot and path encoding.

Neither learns anything: ``fit`` only records the space.  Both work on the
two cell spaces (NB201, TransNAS-Bench-101 micro) and on DARTS genomes, and
are vectorised over an ``(n, 6)`` (cells) or ``(n, 40)`` (DARTS) integer
array, so all 15,625 NB201 cells encode in a few milliseconds.

* :class:`OneHotEncoder` is the "naive discrete encoding" of the paper's
  ablation: the operation of every edge (cells) or the value of every gene
  (DARTS) as a one-hot block.
* :class:`PathEncoder` is the path encoding of White et al. (BANANAS, 2021):
  one indicator per input -> output path, labelled by its sequence of
  operations; paths through ``none`` are dropped (they carry no signal).

Examples
--------
>>> from ktnas_core.embedding import OneHotEncoder, PathEncoder
>>> from ktnas_core.spaces import get_space
>>> cells = [get_space("nb201").sample(0), get_space("nb201").sample(1)]
>>> OneHotEncoder().fit_transform(cells).shape, PathEncoder().fit_transform(cells).shape
((2, 30), (2, 84))
>>> genomes = [get_space("darts").sample(0)]
>>> OneHotEncoder().fit_transform(genomes).shape, PathEncoder().fit_transform(genomes).shape
((1, 260), (1, 3276))
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ParameterError
from ..spaces import SearchSpace
from ..spaces.cell import EDGES
from ..spaces.darts import CELLS, DARTS_OPS, GENE_SIZES, SLOTS
from .base import Embedder

__all__ = ["OneHotEncoder", "PathEncoder", "cell_ops", "live_nodes"]

#: the four input -> output paths of a cell, as string positions of their edges
CELL_PATHS = ((3,), (0, 4), (1, 5), (0, 2, 5))


def cell_ops(archs: Sequence) -> np.ndarray:
    """The ``(n, 6)`` int64 array of operation indices of ``archs`` (string order)."""
    return np.array([a.ops for a in archs], dtype=np.int64).reshape(len(archs), len(EDGES))


def _genomes(archs: Sequence) -> np.ndarray:
    return np.array([a.genome for a in archs], dtype=np.int64).reshape(len(archs), len(GENE_SIZES))


def _is_darts(space: SearchSpace) -> bool:
    return space.name == "darts"


def live_nodes(ops: np.ndarray, none: int | None) -> np.ndarray:
    """``(n, 8)`` bool per node of the cell graph (input, 6 edges, output): is it on an
    input -> output path that avoids ``none`` edges (the paths :class:`PathEncoder` keeps)?

    Input and output nodes are always live; with ``none=None`` every node is.

    Examples
    --------
    >>> live_nodes(np.array([[0, 1, 1, 0, 1, 1]]), none=0).astype(int).tolist()  # 0->1 is none
    [[1, 0, 1, 0, 0, 0, 1, 1]]
    """
    n = ops.shape[0]
    real = np.ones(ops.shape, dtype=bool) if none is None else ops != none
    n_cell = max(j for _, j in EDGES) + 1
    reach_in = [np.ones(n, dtype=bool)] + [np.zeros(n, dtype=bool)] * (n_cell - 1)
    reach_out = [np.zeros(n, dtype=bool)] * (n_cell - 1) + [np.ones(n, dtype=bool)]
    for e, (i, j) in enumerate(EDGES):  # EDGES is in topological order of i and j
        reach_in[j] = reach_in[j] | (real[:, e] & reach_in[i])
    for e, (i, j) in reversed(list(enumerate(EDGES))):
        reach_out[i] = reach_out[i] | (real[:, e] & reach_out[j])
    live = np.stack([real[:, e] & reach_in[i] & reach_out[j] for e, (i, j) in enumerate(EDGES)], axis=1)
    return np.concatenate([np.ones((n, 1), dtype=bool), live, np.ones((n, 1), dtype=bool)], axis=1)


class _Encoding(Embedder):
    """Shared plumbing: no parameters to learn; feature names per space."""

    stochastic = False  # deterministic: random_state is accepted for API uniformity only

    def _fit(self, space, archs, rng) -> None:
        self.n_features_out_ = len(self._names(space))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Name of every output column (e.g. ``"edge0->1=none"``)."""
        from sklearn.utils.validation import check_is_fitted

        from ..spaces import get_space

        check_is_fitted(self, "space_")
        return np.asarray(self._names(get_space(self.space_)), dtype=object)

    def _names(self, space: SearchSpace) -> list[str]:
        raise NotImplementedError


class OneHotEncoder(_Encoding):
    """One-hot of the operation on each edge (cells) or of each gene (DARTS).

    Cells: ``6 * n_ops`` columns, column ``p * n_ops + o`` is 1 when edge ``p``
    (string order) carries operation ``o`` (30 for NB201, 24 for TransNAS
    micro).  DARTS: each of the 40 genes one-hot over its own range
    (``k + 2`` inputs for block ``k``, 9 operations), 260 columns.

    Parameters
    ----------
    random_state : None
        Accepted for API uniformity; unused.

    Examples
    --------
    >>> from ktnas_core.spaces import get_space
    >>> enc = OneHotEncoder().fit(get_space("tnb101_micro"))
    >>> enc.transform(["64-41414-3_03_111"])[0].reshape(6, 4).argmax(axis=1).tolist()
    [3, 0, 3, 1, 1, 1]
    >>> enc.get_feature_names_out()[:2].tolist()
    ['edge0->1=none', 'edge0->1=skip_connect']
    """

    def __init__(self, random_state=None):
        self.random_state = random_state

    def _names(self, space):
        if _is_darts(space):
            names = []
            for g, size in enumerate(GENE_SIZES):
                where = f"{CELLS[g // 20]}/b{g % 20 // 4}/{SLOTS[g % 4]}"
                names += [f"{where}={DARTS_OPS[v] if g % 4 >= 2 else v}" for v in range(size)]
            return names
        return [f"edge{i}->{j}={op}" for i, j in EDGES for op in space.ops]

    def _transform(self, space, archs):
        if _is_darts(space):
            codes, sizes = _genomes(archs), np.array(GENE_SIZES)
            offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        else:
            codes = cell_ops(archs)
            offsets = len(space.ops) * np.arange(len(EDGES))
        out = np.zeros((len(archs), self.n_features_out_))
        np.put_along_axis(out, codes + offsets, 1.0, axis=1)
        return out


class PathEncoder(_Encoding):
    """Path encoding (White et al., 2021): one indicator per labelled path.

    Cells have four input -> output paths (edges ``0->3``, ``0->1->3``,
    ``0->2->3``, ``0->1->2->3``).  A path is labelled by its sequence of
    operations; two paths with the same labels share one column.  Paths
    through ``none`` are dropped, so with ``m = n_ops - 1`` real operations
    the length is ``m + m**2 + m**3``: **84** for NB201 (m = 4), **39** for
    TransNAS micro (m = 3).  Column order: by path length, then the labels
    as a base-``m`` number (first operation most significant).

    DARTS: a path starts at a cell input (``c_{k-2}`` or ``c_{k-1}``) and
    runs through operation nodes; every operation node feeds the concatenated
    output, so every chain is a path.  Labels are (cell, start input,
    operations); chains longer than ``max_length`` are not encoded (their
    prefixes are).  Length ``2 cells * 2 inputs * (9 + 9**2 + ... + 9**max_length)``:
    3,276 for ``max_length=3``.

    Parameters
    ----------
    max_length : int, default 3
        Longest path encoded (cells have no path longer than 3).
    random_state : None
        Accepted for API uniformity; unused.

    Examples
    --------
    >>> from ktnas_core.spaces import get_space
    >>> enc = PathEncoder().fit(get_space("nb201"))
    >>> x = enc.transform(["|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"])
    >>> enc.get_feature_names_out()[x[0] == 1].tolist()
    ['skip_connect', 'nor_conv_3x3>nor_conv_3x3>skip_connect']
    """

    def __init__(self, max_length=3, random_state=None):
        self.max_length = max_length
        self.random_state = random_state

    def _check_params(self):
        m = self.max_length
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
            raise ParameterError(f"max_length={m!r} must be an int >= 1 (the longest path encoded)")

    def _labels(self, space) -> tuple[str, ...]:
        return DARTS_OPS if _is_darts(space) else tuple(o for o in space.ops if o != "none")

    def _lengths(self, space) -> range:
        return range(1, (self.max_length if _is_darts(space) else min(self.max_length, 3)) + 1)

    def _names(self, space):
        labels, m = self._labels(space), len(self._labels(space))
        seqs = []
        for length in self._lengths(space):
            digits = np.indices((m,) * length).reshape(length, -1).T
            seqs += [">".join(labels[d] for d in row) for row in digits]
        if _is_darts(space):
            return [f"{cell}/c_k-{2 - s}:{q}" for cell in CELLS for s in (0, 1) for q in seqs]
        return seqs

    def _transform(self, space, archs):
        out = np.zeros((len(archs), self.n_features_out_))
        if _is_darts(space):
            for row, arch in enumerate(archs):
                out[row, self._darts_paths(arch.genome)] = 1.0
            return out
        labels = self._labels(space)
        m = len(labels)
        # op index -> label index (-1 for none)
        relabel = np.array([labels.index(o) if o in labels else -1 for o in space.ops])
        seq = relabel[cell_ops(archs)]
        offsets = np.concatenate(([0], np.cumsum([m**k for k in self._lengths(space)])))
        for path in CELL_PATHS:
            if len(path) > self.max_length:
                continue
            code = np.zeros(len(archs), dtype=np.int64)
            for p in path:
                code = code * m + seq[:, p]
            keep = (seq[:, list(path)] >= 0).all(axis=1)
            out[np.flatnonzero(keep), offsets[len(path) - 1] + code[keep]] = 1.0
        return out

    def _darts_paths(self, genome) -> list[int]:
        m = len(DARTS_OPS)
        per_start = sum(m**k for k in range(1, self.max_length + 1))
        offsets = np.concatenate(([0], np.cumsum([m**k for k in range(1, self.max_length + 1)])))
        cols = []
        for c in range(len(CELLS)):
            ends: dict[int, list[tuple[int, int, int]]] = {}  # block -> (start, length, code)
            for b in range(5):
                ia, ib, oa, ob = genome[c * 20 + 4 * b: c * 20 + 4 * b + 4]
                found = []
                for inp, op in ((ia, oa), (ib, ob)):
                    prev = [(inp, 0, 0)] if inp < 2 else ends[inp - 2]
                    found += [(s, n + 1, code * m + op) for s, n, code in prev if n < self.max_length]
                ends[b] = found
                cols += [(c * 2 + s) * per_start + offsets[n - 1] + code for s, n, code in found]
        return cols
