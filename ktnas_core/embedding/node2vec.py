"""node2vec over cell graphs: one skip-gram model for a whole space.

The seed paper embeds each architecture graph with node2vec; ktnas trains
**one** skip-gram model over the walks of **all** architectures, so every
vector lives in one shared space and cosine similarity means something
(PAPER.md, section 4).  For the cell spaces (NB201, TransNAS micro):

1. **Graph.**  The 8-node graph of :func:`ktnas_core.graphs.to_graph` (input,
   one node per edge operation, output), walked as an *undirected* graph.
   With ``drop_none`` (default) ``none`` nodes and the nodes they cut off
   from every input -> output path are removed first
   (:func:`~ktnas_core.embedding.encodings.live_nodes`): the cell that computes.
2. **Words** carry context (``token``): ``"op_inputs"`` = (operation, sorted
   operations of its live predecessors), ``"position_op_inputs"`` adds the
   node's position.  ``"op"`` and ``"position_op"`` are the context-free words
   of PAPER.md's TRAP (``"position_op"`` + mean pooling is a fixed linear map
   of the one-hot encoding; a test proves it), kept for the measurement.
3. **Walks** (node2vec's ``p``, ``q``) are drawn **once per topology**, as
   node-index sequences: all cells share one graph (with ``drop_none``: one
   per pattern of live edges, at most 64), and a cell's token sequences are
   read by array indexing.  Skip-gram pairs (``d <= window`` steps apart) of
   all cells are counted into one word x word matrix with one ``np.bincount``.
   The cell graph has no triangles, so only ``p / q`` matters.
4. **Skip-gram with negative sampling**, full batch over those counts: loss
   ``-sum C[w,c] log s(u_w.v_c) - negative * sum n_w P(c) log s(-u_w.v_c)``,
   the unigram^0.75 noise ``P`` taken in expectation (the objective
   word2vec's SGD samples; Levy & Goldberg, 2014), Adam for ``epochs`` steps
   on one BLAS thread: same seed, same vectors, in any process.
5. **Pooling.**  The mean of the live nodes' word vectors, or mean and max of
   ``dim / 2``-d word vectors concatenated (``pooling="mean_max"``).  Words
   unseen in ``fit`` are left out.

DARTS genomes are refused (each genome has its own topology): use
:class:`~ktnas_core.embedding.OneHotEncoder` or
:class:`~ktnas_core.embedding.PathEncoder` there.

Examples
--------
>>> from ktnas_core.embedding import Node2VecEmbedder
>>> from ktnas_core.spaces import get_space
>>> space = get_space("tnb101_micro")
>>> emb = Node2VecEmbedder(dim=16, epochs=50, random_state=0).fit(space)
>>> emb.transform([space.from_index(0), space.from_index(1)]).shape
(2, 16)
>>> emb.vocabulary_[0]
'skip_connect<-(skip_connect,skip_connect)'
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.special import expit

from ..errors import ParameterError
from ..graphs import CELL_ADJACENCY
from ..spaces.cell import CellSpace
from .base import Embedder
from .encodings import cell_ops, live_nodes

__all__ = ["Node2VecEmbedder", "TOKEN_SCHEMES", "cell_tokens", "node2vec_walks", "pair_counts"]

#: the token schemes of :class:`Node2VecEmbedder`
TOKEN_SCHEMES = ("op", "position_op", "op_inputs", "position_op_inputs")
POOLINGS = ("mean", "mean_max")
N_NODES = CELL_ADJACENCY.shape[0]
_PREDS = tuple(tuple(np.flatnonzero(CELL_ADJACENCY[:, a])) for a in range(N_NODES))
_MAX_IN = max(len(p) for p in _PREDS)


def node2vec_walks(adj, walk_length: int, walks_per_node: int, p: float, q: float, rng) -> np.ndarray:
    """node2vec walks over the undirected version of the graph ``adj`` (n x n).

    Returns ``(n * walks_per_node, walk_length)`` node indices, walks from node
    0 first; a walk that reaches a node without neighbours stops (``-1`` after).

    Examples
    --------
    >>> import numpy as np
    >>> w = node2vec_walks(np.eye(3, k=1, dtype=bool), 4, 2, 1.0, 1.0, np.random.default_rng(0))
    >>> w.shape, bool((np.abs(np.diff(w, axis=1)) == 1).all())
    ((6, 4), True)
    """
    nbr = np.asarray(adj, dtype=bool)
    nbr = nbr | nbr.T
    n = nbr.shape[0]
    cur = np.repeat(np.arange(n), walks_per_node)
    rows = np.arange(cur.size)
    walks = np.full((cur.size, walk_length), -1, dtype=np.int64)
    walks[:, 0] = cur
    prev = np.full(cur.size, -1)
    alive = nbr[cur].any(axis=1)
    for t in range(1, walk_length):
        weight = nbr[cur].astype(np.float64)
        if t > 1:  # second order: 1/p back, 1 to a neighbour of prev, 1/q further
            weight *= np.where(nbr[prev], 1.0, 1.0 / q)
            weight[rows, prev] = 1.0 / p  # prev is always a neighbour of cur
        total = weight.sum(axis=1)
        draw = rng.random(cur.size) * total
        nxt = np.minimum((np.cumsum(weight, axis=1) <= draw[:, None]).sum(axis=1), n - 1)
        alive &= total > 0
        prev, cur = np.where(alive, cur, prev), np.where(alive, nxt, cur)
        walks[alive, t] = cur[alive]
    return walks


def pair_counts(walks: np.ndarray, window: int, n_nodes: int) -> np.ndarray:
    """Symmetric ``(n_nodes, n_nodes)`` counts of skip-gram pairs ``(walk[i], walk[i+-d])``, ``d <= window``."""
    counts = np.zeros(n_nodes * n_nodes)
    for d in range(1, min(window, walks.shape[1] - 1) + 1):
        a, b = walks[:, :-d].ravel(), walks[:, d:].ravel()
        ok = (a >= 0) & (b >= 0)
        counts += np.bincount(a[ok] * n_nodes + b[ok], minlength=n_nodes * n_nodes)
    counts = counts.reshape(n_nodes, n_nodes)
    return counts + counts.T


def cell_tokens(ops: np.ndarray, n_ops: int, scheme: str, live: np.ndarray | None = None) -> np.ndarray:
    """Integer token code of every node of every cell: ``(n, 8)`` int64.

    Node labels: ``0..n_ops-1`` the operations, ``n_ops`` input, ``n_ops + 1``
    output.  A code packs (position or 0, label, up to 3 input labels padded
    with ``n_ops + 2``) in radix ``max(8, n_ops + 3)``; see :func:`decode_token`.
    With ``live`` (see :func:`live_nodes`), inputs from dead nodes are left
    out and dead nodes get code ``-1``.
    """
    n = ops.shape[0]
    own = np.concatenate([np.full((n, 1), n_ops), ops, np.full((n, 1), n_ops + 1)], axis=1)
    labels = own if live is None else np.where(live, own, n_ops + 2)
    radix = max(N_NODES, n_ops + 3)
    positional, inputs = scheme.startswith("position"), scheme.endswith("inputs")
    codes = np.empty((n, N_NODES), dtype=np.int64)
    for a, preds in enumerate(_PREDS):
        ins = np.full((n, _MAX_IN), n_ops + 2, dtype=np.int64)
        if inputs and preds:
            pl = labels[:, list(preds)]
            ins[:, : len(preds)] = pl if positional else np.sort(pl, axis=1)
        code = np.full(n, a if positional else 0, dtype=np.int64) * radix + own[:, a]
        for k in range(_MAX_IN):
            code = code * radix + ins[:, k]
        codes[:, a] = code
    return codes if live is None else np.where(live, codes, -1)


def decode_token(code: int, names: tuple[str, ...]) -> str:
    """Readable form of a token code: ``"[pos]op<-(input ops)"``."""
    n_ops = len(names)
    labels = (*names, "input", "output")
    radix = max(N_NODES, n_ops + 3)
    fields = []
    for _ in range(_MAX_IN + 2):
        code, r = divmod(int(code), radix)
        fields.append(r)
    pos, label, *ins = fields[::-1]
    ins = [labels[i] for i in ins if i < n_ops + 2]
    text = (f"{pos}:" if pos else "") + labels[label]
    return text + (f"<-({','.join(ins)})" if ins else "")


def _sgns(cooc: np.ndarray, dim: int, negative: int, epochs: int, lr: float, rng) -> tuple[np.ndarray, float]:
    """Word vectors minimising the count-weighted SGNS loss (full-batch Adam)."""
    cooc = cooc / max(cooc.sum(), 1e-300)  # no pairs at all (cells without live edges): no gradient
    noise = cooc.sum(axis=0) ** 0.75
    neg = negative * np.outer(cooc.sum(axis=1), noise / max(noise.sum(), 1e-300))
    params = [(rng.random((cooc.shape[0], dim)) - 0.5) / dim, np.zeros((cooc.shape[0], dim))]
    moments = [[np.zeros_like(x), np.zeros_like(x)] for x in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        u, v = params
        s = expit(u @ v.T)
        grad_s = neg * s - cooc * (1.0 - s)
        for x, g, m in zip(params, (grad_s @ v, grad_s.T @ u), moments):
            m[0] = b1 * m[0] + (1 - b1) * g
            m[1] = b2 * m[1] + (1 - b2) * g * g
            x -= lr * (m[0] / (1 - b1**step)) / (np.sqrt(m[1] / (1 - b2**step)) + eps)
    score = params[0] @ params[1].T
    loss = float((cooc * np.logaddexp(0, -score) + neg * np.logaddexp(0, score)).sum())
    return params[0], loss


def _check(name: str, value, kind: type, low, strict: bool = True):
    ok = isinstance(value, kind) and not isinstance(value, bool) and (value > low if strict else value >= low)
    if not ok:
        what = "an int" if kind is numbers.Integral else "a number"
        raise ParameterError(f"{name}={value!r} must be {what} {'>' if strict else '>='} {low}")


class Node2VecEmbedder(Embedder):
    """node2vec embedding of cells in one shared space (see module doc).

    Parameters
    ----------
    dim : int, default 128
        Length of the architecture vectors.
    walk_length : int, default 10
        Nodes per walk (>= 2).
    walks_per_node : int, default 20
        Walks started from each of the 8 nodes (drawn once for the space).
    p, q : float, default 1.0
        node2vec return and in-out parameters (> 0).
    window : int, default 1
        Skip-gram context: tokens up to ``window`` steps apart form a pair.
    negative : int, default 5
        Negative samples per positive pair (in expectation).
    epochs : int, default 100
        Full-batch Adam steps of the skip-gram.
    learning_rate : float, default 0.02
        Adam step size.
    token : str, default "op_inputs"
        One of :data:`TOKEN_SCHEMES`.
    drop_none : bool, default True
        Drop ``none`` operations and the nodes they cut off from every
        input -> output path (the cell that actually computes, as the path
        encoding sees it): walks, words and pooling use the live nodes only.
    pooling : {"mean", "mean_max"}, default "mean"
        How node vectors become the architecture vector (``"mean_max"`` needs an even ``dim``).
    random_state : int, Generator or None
        Seeds the walks and the initial vectors.

    Attributes
    ----------
    vectors_ : ndarray (n_words, word_dim)
        The skip-gram's input vectors, one per word of :attr:`vocabulary_`.
    vocabulary_ : list of str
        The words, readable (``"3:nor_conv_3x3<-(nor_conv_1x1)"`` = position 3, its input op).
    loss_ : float
        Final skip-gram loss (per pair, normalised counts).
    vocab_codes_ : ndarray (n_words,)
        Sorted integer codes of the words (see :func:`cell_tokens`).
    n_features_out_ : int
        ``dim``.

    Notes
    -----
    **Defaults, measured** (``benchmarks/bench_embeddings.py --sweep``; kNN
    decile = share of a cell's 10 cosine-nearest cells in its rank decile on a
    task, chance 0.10; tau = Kendall tau of a random forest / cosine 5-NN
    regressor trained on 100 random cells, 5 splits; means over the tasks):

    ============================  ===================  ===========================
    NB201 / TransNAS micro        kNN decile           tau RF, tau kNN
    ============================  ===================  ===========================
    one-hot                       0.328 / 0.283        0.46, 0.42 / 0.51, 0.42
    path encoding                 0.513 / 0.362        0.51, 0.47 / 0.60, 0.44
    ``"position_op"`` (the trap)  0.159 / 0.152        0.37, 0.38 / 0.44, 0.39
    ``"op_inputs"``, keep none    0.341 / 0.279        0.54, 0.50 / 0.50, 0.45
    **defaults**                  **0.556 / 0.420**    **0.69, 0.68 / 0.65, 0.64**
    same, untrained word vectors  0.523 / 0.403        0.55, 0.58 / 0.59, 0.59
    ============================  ===================  ===========================

    ``drop_none`` and context words make the gain; the skip-gram adds
    +0.03 kNN decile and +0.1 tau over random word vectors.  ``window=1``
    beat 3 and ``epochs=100`` beat 30 and 300 on kNN decile in both spaces
    (3 seeds); ``walk_length`` (4..40), ``walks_per_node`` (20, 200), ``p / q``
    (0.25..4) and ``dim`` (32, 128) moved nothing beyond noise (+-0.005).
    Embedding all of NB201 from scratch takes about 0.3 s (2.3 s in a fresh
    process, imports included) on 2 shared cores; the defaults for
    ``random_state=0`` ship with ktnas and load in milliseconds.
    """

    def __init__(self, dim=128, walk_length=10, walks_per_node=20, p=1.0, q=1.0, window=1, negative=5,
                 epochs=100, learning_rate=0.02, token="op_inputs", drop_none=True, pooling="mean",
                 random_state=None):  # fmt: skip
        self.dim = dim
        self.walk_length = walk_length
        self.walks_per_node = walks_per_node
        self.p = p
        self.q = q
        self.window = window
        self.negative = negative
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.token = token
        self.drop_none = drop_none
        self.pooling = pooling
        self.random_state = random_state

    def _check_params(self) -> None:
        _check("dim", self.dim, numbers.Integral, 0)
        _check("walk_length", self.walk_length, numbers.Integral, 2, strict=False)
        _check("walks_per_node", self.walks_per_node, numbers.Integral, 0)
        _check("p", self.p, numbers.Real, 0)
        _check("q", self.q, numbers.Real, 0)
        _check("window", self.window, numbers.Integral, 0)
        _check("negative", self.negative, numbers.Integral, 0)
        _check("epochs", self.epochs, numbers.Integral, 0)
        _check("learning_rate", self.learning_rate, numbers.Real, 0)
        if self.token not in TOKEN_SCHEMES:
            raise ParameterError(f"token={self.token!r} is unknown; choose one of {list(TOKEN_SCHEMES)}")
        if not isinstance(self.drop_none, (bool, np.bool_)):
            raise ParameterError(f"drop_none={self.drop_none!r} must be True or False")
        if self.pooling not in POOLINGS:
            raise ParameterError(f"pooling={self.pooling!r} is unknown; choose one of {list(POOLINGS)}")
        if self.pooling == "mean_max" and self.dim % 2:
            raise ParameterError(f"pooling='mean_max' concatenates two halves; dim={self.dim!r} must be even")

    def _codes(self, space, archs) -> np.ndarray:
        """Token codes ``(n, 8)``; ``-1`` for nodes dropped by ``drop_none``."""
        if not isinstance(space, CellSpace):
            raise ParameterError(
                f"Node2VecEmbedder embeds NB201 and TransNAS-Bench-101 micro cells, not {space.name!r} "
                "architectures; use OneHotEncoder or PathEncoder for DARTS genomes"
            )
        ops = cell_ops(archs)
        none = space.ops.index("none") if self.drop_none and "none" in space.ops else None
        live = live_nodes(ops, none) if self.drop_none else None
        return cell_tokens(ops, len(space.ops), self.token, live)

    def _fit(self, space, archs, rng) -> None:
        codes = self._codes(space, archs)
        vocab = np.unique(codes[codes >= 0])
        ids = np.searchsorted(vocab, codes)
        # one walk set per topology (1 without drop_none, <= 64 with it), in a fixed order
        shapes, shape_of = np.unique(np.packbits(codes >= 0, axis=1)[:, 0], return_inverse=True)
        node_pairs = np.empty((shapes.size, N_NODES, N_NODES))
        for g, bits in enumerate(shapes):
            keep = np.unpackbits(np.array([bits], dtype=np.uint8)).astype(bool)
            adj = CELL_ADJACENCY.astype(bool) & np.outer(keep, keep)
            walks = node2vec_walks(adj, self.walk_length, self.walks_per_node, self.p, self.q, rng)
            node_pairs[g] = pair_counts(walks[keep[walks[:, 0]]], self.window, N_NODES)
        n_words = vocab.size
        pairs = ids[:, :, None] * n_words + ids[:, None, :]
        cooc = np.bincount(pairs.ravel(), weights=node_pairs[shape_of.ravel()].ravel(), minlength=n_words**2)
        word_dim = self.dim // 2 if self.pooling == "mean_max" else self.dim
        from threadpoolctl import threadpool_limits  # scikit-learn's dependency

        with threadpool_limits(1):  # small matrices: one BLAS thread is faster and order-stable
            self.vectors_, self.loss_ = _sgns(
                cooc.reshape(n_words, n_words), word_dim, self.negative, self.epochs, self.learning_rate, rng
            )
        self.vocab_codes_ = vocab
        self.vocabulary_ = [decode_token(c, space.ops) for c in vocab]
        self.n_features_out_ = self.dim

    def _transform(self, space, archs) -> np.ndarray:
        codes = self._codes(space, archs)
        ids = np.minimum(np.searchsorted(self.vocab_codes_, codes), self.vocab_codes_.size - 1)
        known = self.vocab_codes_[ids] == codes
        # node by node, no BLAS: the same sums in the same order in every process
        total = np.zeros((len(archs), self.vectors_.shape[1]))
        peak = np.full_like(total, -np.inf)
        for a in range(N_NODES):
            vec = self.vectors_[ids[:, a]]
            total += np.where(known[:, a, None], vec, 0.0)
            if self.pooling == "mean_max":
                np.maximum(peak, np.where(known[:, a, None], vec, -np.inf), out=peak)
        mean = total / np.maximum(known.sum(axis=1), 1)[:, None]
        if self.pooling == "mean":
            return mean
        return np.concatenate([mean, np.where(np.isfinite(peak), peak, 0.0)], axis=1)
