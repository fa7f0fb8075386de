"""A graph convolutional network over the cell graph (torch, imported inside ``fit``).

The predictor of the paper's TransNAS-Bench-101 base searcher (PAPER.md section 5,
after Wen et al., ECCV 2020, "Neural Predictor for NAS"): every architecture is its
cell DAG with one-hot operation labels on the nodes; a few graph-convolution layers
propagate the labels along the edges in both directions (one weight matrix per
direction), the node states are averaged into one vector, and a linear layer reads
the standardised metric from it.  Trained with the squared error and Adam on all the
rows given (full batch: the training sets of a search are small).

Input rows
----------
With ``adjacency="cell"`` (default) ``X`` is the one-hot operation encoding of NB201 or
TransNAS-Bench-101 micro cells (:class:`~ktnas_core.embedding.OneHotEncoder`: the 6
edges' operation blocks, ``6 * n_ops`` columns).  Each edge is a node of the fixed
8-node graph of :mod:`ktnas_core.graphs` (``CELL_ADJACENCY``); the cell's input and
output nodes are added with their own two labels.  With an ``(n, n)`` 0/1 matrix
instead, ``X`` holds ``n`` equal blocks of node features per row (node ``i`` is the
``i``-th block), the same graph for every row.

Training runs on one torch thread with a private random generator seeded from
``random_state``: the same seed gives the same weights in any process.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from ..torch_session import torch_session
from .base import Predictor, check_int, check_real

__all__ = ["GCNPredictor"]

N_CELL_EDGES = 6


def _cell_graph() -> np.ndarray:
    from ..graphs import CELL_ADJACENCY

    return np.asarray(CELL_ADJACENCY, dtype=np.float64)


def _propagation(adjacency: np.ndarray, live: np.ndarray) -> np.ndarray:
    """``(n_samples, 2, n, n)``: per row, the row-normalised forward (predecessors -> node) and
    backward operators over its ``live`` nodes, self loops included (a dead node reaches nothing)."""
    eye = np.eye(adjacency.shape[0])
    mask = live[:, :, None] & live[:, None, :]
    out = np.stack([(adjacency.T + eye) * mask, (adjacency + eye) * mask], axis=1)
    return out / np.maximum(out.sum(axis=3, keepdims=True), 1.0)


class GCNPredictor(Predictor):
    """Graph convolutional regressor over cell graphs (Wen et al.'s neural predictor, small).

    Parameters
    ----------
    adjacency : "cell" or array of shape (n, n), default "cell"
        The graph every row lives on (see the module doc for what ``X`` holds).
    prune : bool, default True
        With ``adjacency="cell"``: drop the nodes of ``none`` operations (column 0 of every
        block in both cell spaces) and the nodes on no input -> output path, as the cell
        computes; their features, messages and share of the mean are zero.
    hidden : int, default 32
        Width of the node states.
    n_layers : int, default 3
        Graph-convolution layers.
    epochs : int, default 100
        Full-batch Adam steps.
    learning_rate : float, default 0.02
    weight_decay : float, default 1e-3
        Adam's L2 penalty.
    random_state : int, numpy Generator or None
        Seeds the initial weights.

    Attributes
    ----------
    weights_ : list of numpy arrays
        Weight and bias of every layer (a graph convolution maps a node's averaged forward and
        backward messages, side by side, to its new state; the last layer reads the mean of the
        live nodes' states out), so that predicting needs no torch.
    n_nodes_ : int
        Nodes per graph.
    loss_curve_ : list of float
        Training loss (standardised units) after each step.

    Examples
    --------
    >>> import numpy as np
    >>> from ktnas_core import benchmarks
    >>> from ktnas_core.embedding import OneHotEncoder
    >>> bench = benchmarks.load("tnb101_micro")
    >>> X = OneHotEncoder().fit(bench.space).transform(list(range(len(bench.space))))
    >>> y = np.asarray(bench.scores("class_object"))
    >>> rows = np.random.default_rng(0).permutation(len(y))
    >>> gcn = GCNPredictor(random_state=0).fit(X[rows[:100]], y[rows[:100]])
    >>> held_out = rows[100:1100]
    >>> bool(np.corrcoef(gcn.predict(X[held_out]), y[held_out])[0, 1] > 0.5)
    True
    >>> GCNPredictor().fit(X[:10, :5], y[:10])
    Traceback (most recent call last):
    ...
    ktnas_core.errors.ParameterError: X has 5 columns; adjacency='cell' reads the one-hot operations of the cell's 6 edges, so the width must be a positive multiple of 6
    """

    #: the embedding a search feeds this family (:mod:`ktnas_core.search.screening`): the cells' one-hot operations
    input_embedding = "onehot"

    def __init__(self, adjacency: Any = "cell", prune: bool = True, hidden: int = 32, n_layers: int = 3, epochs: int = 100,
                 learning_rate: float = 0.02, weight_decay: float = 1e-3, random_state: Any = None) -> None:
        self.adjacency = adjacency
        self.prune = prune
        self.hidden = hidden
        self.n_layers = n_layers
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.random_state = random_state

    def _check_params(self) -> None:
        if not isinstance(self.prune, (bool, np.bool_)):
            raise ParameterError(f"prune must be True or False; got {self.prune!r}")
        check_int(self, "hidden")
        check_int(self, "n_layers")
        check_int(self, "epochs")
        check_real(self, "learning_rate")
        check_real(self, "weight_decay", low_open=False)
        if isinstance(self.adjacency, str):
            if self.adjacency != "cell":
                raise ParameterError(f"adjacency must be 'cell' or an (n, n) 0/1 array; got {self.adjacency!r}")
            return
        try:
            adj = np.asarray(self.adjacency, dtype=np.float64)
        except (TypeError, ValueError):
            raise ParameterError(f"adjacency must be 'cell' or an (n, n) 0/1 array; got {self.adjacency!r}") from None
        if adj.ndim != 2 or adj.shape[0] != adj.shape[1] or adj.shape[0] < 1 or not np.isin(adj, (0.0, 1.0)).all():
            raise ParameterError(f"adjacency must be 'cell' or an (n, n) 0/1 array; got shape {adj.shape} "
                                 f"with values {np.unique(adj)[:5].tolist()}")

    def _graph(self, width: int) -> tuple[np.ndarray, int]:
        """The adjacency and the per-node feature width for rows of ``width`` columns."""
        if isinstance(self.adjacency, str):
            if width % N_CELL_EDGES:
                raise ParameterError(f"X has {width} columns; adjacency='cell' reads the one-hot operations of the "
                                     f"cell's {N_CELL_EDGES} edges, so the width must be a positive multiple of "
                                     f"{N_CELL_EDGES}")
            return _cell_graph(), width // N_CELL_EDGES + 2
        adj = np.asarray(self.adjacency, dtype=np.float64)
        if width % adj.shape[0]:
            raise ParameterError(f"X has {width} columns; with a {adj.shape[0]}-node adjacency the width must be "
                                 f"a multiple of {adj.shape[0]} (one block of features per node)")
        return adj, width // adj.shape[0]

    def _graphs(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Node features ``(n_samples, n_nodes, d)``, propagation operators ``(n_samples, 2, n, n)``
        and pooling weights ``(n_samples, n_nodes)`` (1 / live nodes on live nodes) of the rows of ``X``."""
        n = X.shape[0]
        if isinstance(self.adjacency, str):
            from ..embedding.encodings import live_nodes

            k = X.shape[1] // N_CELL_EDGES
            edges = X.reshape(n, N_CELL_EDGES, k)
            nodes = np.zeros((n, N_CELL_EDGES + 2, k + 2))
            nodes[:, 1:-1, :k] = edges
            nodes[:, 0, k] = nodes[:, -1, k + 1] = 1.0
            live = live_nodes(edges.argmax(axis=2), none=0 if self.prune else None)
            adjacency = _cell_graph()
        else:
            adjacency = np.asarray(self.adjacency, dtype=np.float64)
            nodes = X.reshape(n, adjacency.shape[0], -1)
            live = np.ones(nodes.shape[:2], dtype=bool)
        pool = live / live.sum(axis=1, keepdims=True)
        return nodes * live[:, :, None], _propagation(adjacency, live), pool

    @staticmethod
    def _forward(h: Any, operators: Any, pool: Any, weights: list, relu: Any) -> Any:
        """The network on node features ``h`` (torch tensors or numpy arrays alike)."""
        b, n = h.shape[0], h.shape[1]
        for i in range(len(weights) // 2 - 1):
            spread = operators @ h[:, None]  # (b, 2, n, d): forward and backward messages
            spread = spread.swapaxes(1, 2).reshape(b, n, -1)  # (b, n, 2d)
            h = relu(spread @ weights[2 * i].T + weights[2 * i + 1])
        return ((h * pool[:, :, None]).sum(1)) @ weights[-2][0] + weights[-1][0]

    def _fit(self, X: np.ndarray, z: np.ndarray, seed: int) -> None:
        adj, d = self._graph(X.shape[1])
        self.n_nodes_ = adj.shape[0]
        with torch_session(seed) as torch:
            h, ops, pool = (torch.as_tensor(a, dtype=torch.float32) for a in self._graphs(X))
            t = torch.as_tensor(z, dtype=torch.float32)
            widths = [2 * d] + [2 * int(self.hidden)] * (int(self.n_layers) - 1)
            layers = [torch.nn.Linear(w, int(self.hidden)) for w in widths] + [torch.nn.Linear(int(self.hidden), 1)]
            params = [p for layer in layers for p in (layer.weight, layer.bias)]
            optimiser = torch.optim.Adam(params, lr=self.learning_rate, weight_decay=self.weight_decay)
            self.loss_curve_ = []
            for _ in range(self.epochs):
                loss = torch.mean((self._forward(h, ops, pool, params, torch.relu) - t) ** 2)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                self.loss_curve_.append(float(loss.item()))
            self.weights_ = [p.detach().double().numpy().copy() for p in params]

    def _predict(self, X: np.ndarray) -> np.ndarray:
        h, ops, pool = self._graphs(X)
        return self._forward(h, ops, pool, self.weights_, lambda a: np.maximum(a, 0.0))
