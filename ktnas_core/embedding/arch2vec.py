"""arch2vec: a variational graph-isomorphism autoencoder pretrained without labels.

Yan et al., "Does Unsupervised Architecture Representation Learning Help Neural
Architecture Search?" (NeurIPS 2020), written here in torch for the two cell
spaces (NAS-Bench-201 and TransNAS-Bench-101 micro).

Each cell is its 8-node operation graph (:func:`ktnas_core.graphs.cell_matrices`):
node features are one-hot operation ids (input, the space's operations, output)
and the adjacency is made undirected (``A + A.T``), as arch2vec does.  The
encoder stacks GIN layers ``x <- relu(BN(MLP((1 + eps) x + A x)))`` and gives
every node a mean and a log-variance; a sample ``z`` of each node is decoded
into its operation (softmax over ids) and the adjacency (``sigmoid(z z^T)``,
target ``A + A.T + I``).  The loss is operation cross-entropy + adjacency
binary cross-entropy + ``beta`` x KL divergence to N(0, I).  An architecture's
vector is the mean over its nodes of the latent means.

Every cell of these spaces has the same topology, so one fixed 8x8 matrix
serves a whole batch: training is dense batched matrix products, no per-graph
Python loop.  With the defaults, ``embed_space(Arch2VecEmbedder(), "nb201")``
(15,625 cells, 12 epochs) takes 30 s to 70 s from scratch on one CPU core and
decodes more than 99% of the cells exactly; the default embeddings (``random_state=0``) of both
spaces ship with the package and load in milliseconds.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError
from ..graphs import CELL_ADJACENCY, cell_matrices
from ..spaces import SearchSpace
from ..spaces.cell import CellSpace
from ..torch_session import torch_session
from .base import Embedder

__all__ = ["Arch2VecEmbedder"]

#: torch threads during fit and transform: fixed, so results do not depend on the machine
FIT_THREADS = 1


def _torch_context(device: str, seed: int | None = None):
    """Fixed thread count, deterministic algorithms and a private RNG; all restored on exit."""
    return torch_session(seed, threads=FIT_THREADS, deterministic=True, device=device)


def _build_model(torch: Any, n_ids: int, hidden: int, dim: int, n_layers: int) -> Any:
    nn = torch.nn

    class VGAE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            sizes = [n_ids] + [hidden] * n_layers
            self.eps = nn.Parameter(torch.zeros(n_layers))
            self.mlps = nn.ModuleList(
                nn.Sequential(nn.Linear(a, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
                for a in sizes[:-1]
            )
            self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(n_layers))
            self.mu = nn.Linear(hidden, dim)
            self.logvar = nn.Linear(hidden, dim)
            self.ops = nn.Linear(dim, n_ids)

        def encode(self, x: Any, adj: Any) -> tuple[Any, Any]:
            b, n, _ = x.shape
            for eps, mlp, norm in zip(self.eps, self.mlps, self.norms):
                h = mlp((1 + eps) * x + adj @ x)  # adj (n, n) broadcasts over the batch
                x = torch.relu(norm(h.reshape(b * n, -1)).reshape(b, n, -1))
            return self.mu(x), self.logvar(x)

        def decode(self, z: Any) -> tuple[Any, Any]:
            return self.ops(z), z @ z.transpose(1, 2)

    return VGAE()


class Arch2VecEmbedder(Embedder):
    """arch2vec embeddings of NB201 / TransNAS micro cells (see module doc).

    Parameters
    ----------
    dim : int, default 128
        Latent size per node, hence of an architecture's vector.
    hidden : int, default 128
        Width of the GIN layers.
    n_layers : int, default 5
        Number of GIN layers.
    epochs : int, default 12
        Passes over the training cells.
    batch_size : int, default 64
        Cells per gradient step.
    learning_rate : float, default 1e-3
        Adam step size.
    beta : float, default 0.005
        Weight of the KL term (KL summed over latent dimensions, averaged over nodes).
    random_state : int, numpy Generator or None
        Seeds weight initialisation, batch order and the reparameterisation noise.
    device : str, default "cpu"
        Torch device used for fit and transform.

    Attributes
    ----------
    n_features_out_ : int
        ``dim``.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    reconstruction_accuracy_ : float
        After training, share of the training cells whose every node operation
        and adjacency entry is decoded exactly from the latent means.
    model_ : torch.nn.Module
        The trained autoencoder (on ``device``, in eval mode).

    Examples
    --------
    >>> from ktnas_core.spaces import get_space
    >>> space = get_space("tnb101_micro")
    >>> cells = [space.from_index(i) for i in range(64)]
    >>> emb = Arch2VecEmbedder(dim=8, hidden=16, epochs=2, random_state=0).fit(cells)
    >>> emb.transform(cells[:3]).shape
    (3, 8)
    >>> len(emb.loss_curve_), 0.0 <= emb.reconstruction_accuracy_ <= 1.0
    (2, True)
    """

    def __init__(self, dim: int = 128, hidden: int = 128, n_layers: int = 5, epochs: int = 12,
                 batch_size: int = 64, learning_rate: float = 1e-3, beta: float = 0.005,
                 random_state: Any = None, device: str = "cpu") -> None:
        self.dim = dim
        self.hidden = hidden
        self.n_layers = n_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.beta = beta
        self.random_state = random_state
        self.device = device

    def _check_params(self) -> None:
        for name in ("dim", "hidden", "n_layers", "epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ParameterError(f"{name} must be an integer >= 1; got {value!r}")
        for name, low_ok in (("learning_rate", False), ("beta", True)):
            value = getattr(self, name)
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
            if not ok or value < 0 or (value == 0 and not low_ok):
                rule = ">= 0" if low_ok else "> 0"
                raise ParameterError(f"{name} must be a finite number {rule}; got {value!r}")
        import torch

        try:
            torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ParameterError(f"device must be a torch device such as 'cpu' or 'cuda'; got {self.device!r}") from None

    # -- data ----------------------------------------------------------------------
    @staticmethod
    def _node_ids(space: SearchSpace, archs: Sequence) -> np.ndarray:
        if not isinstance(space, CellSpace):
            raise ParameterError(
                f"Arch2VecEmbedder covers the two cell spaces nb201 and tnb101_micro; "
                f"got architectures of {space.name!r}"
            )
        return np.stack([cell_matrices(a)[1] for a in archs])

    # -- fit -----------------------------------------------------------------------
    def _fit(self, space: SearchSpace, archs: Sequence, rng: np.random.Generator) -> None:
        ids_np = self._node_ids(space, archs)
        n_ids = len(space.ops) + 2
        seed = int(rng.integers(2**62))
        with _torch_context(self.device, seed) as torch:
            F = torch.nn.functional
            dev = torch.device(self.device)
            adj = torch.as_tensor(CELL_ADJACENCY + CELL_ADJACENCY.T, dtype=torch.float32, device=dev)
            target_adj = adj + torch.eye(adj.shape[0], device=dev)
            ids = torch.as_tensor(ids_np, device=dev)
            x_all = F.one_hot(ids, n_ids).float()
            model = _build_model(torch, n_ids, self.hidden, self.dim, self.n_layers).to(dev)
            optimiser = torch.optim.Adam(model.parameters(), lr=self.learning_rate)
            steps = self.epochs * -(-len(ids_np) // self.batch_size)
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
            noise = torch.Generator(device=dev).manual_seed(seed)
            self.loss_curve_ = []
            model.train()
            for _ in range(self.epochs):
                order = torch.as_tensor(rng.permutation(len(ids_np)), device=dev)
                total = 0.0
                for start in range(0, len(order), self.batch_size):
                    batch = order[start:start + self.batch_size]
                    x, y = x_all[batch], ids[batch]
                    if len(batch) == 1:  # batch norm needs two samples: repeat the lone cell
                        x, y = x.repeat(2, 1, 1), y.repeat(2, 1)
                    mu, logvar = model.encode(x, adj)
                    eps = torch.randn(mu.shape, generator=noise, device=dev)
                    op_logits, adj_logits = model.decode(mu + eps * torch.exp(0.5 * logvar))
                    loss = (F.cross_entropy(op_logits.reshape(-1, n_ids), y.reshape(-1))
                            + F.binary_cross_entropy_with_logits(adj_logits, target_adj.expand_as(adj_logits))
                            + self.beta * (-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(-1).mean()))
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    schedule.step()
                    total += float(loss.detach()) * len(batch)
                self.loss_curve_.append(total / len(ids_np))
            model.eval()
            self.model_ = model
            self.n_features_out_ = self.dim
            self.reconstruction_accuracy_ = self._reconstruction(torch, x_all, ids, adj, target_adj)

    def _reconstruction(self, torch: Any, x_all: Any, ids: Any, adj: Any, target_adj: Any) -> float:
        exact = []
        with torch.no_grad():
            for start in range(0, len(ids), 4096):
                mu, _ = self.model_.encode(x_all[start:start + 4096], adj)
                op_logits, adj_logits = self.model_.decode(mu)
                ops_ok = (op_logits.argmax(-1) == ids[start:start + 4096]).all(-1)
                adj_ok = ((adj_logits > 0).float() == target_adj).all(-1).all(-1)
                exact.append(ops_ok & adj_ok)
        return float(torch.cat(exact).float().mean())

    # -- transform -----------------------------------------------------------------
    def _transform(self, space: SearchSpace, archs: Sequence) -> np.ndarray:
        ids_np = self._node_ids(space, archs)
        n_ids = len(space.ops) + 2
        with _torch_context(self.device) as torch:
            dev = torch.device(self.device)
            adj = torch.as_tensor(CELL_ADJACENCY + CELL_ADJACENCY.T, dtype=torch.float32, device=dev)
            x_all = torch.nn.functional.one_hot(torch.as_tensor(ids_np, device=dev), n_ids).float()
            out = []
            with torch.no_grad():
                for start in range(0, len(ids_np), 4096):
                    mu, _ = self.model_.encode(x_all[start:start + 4096], adj)
                    out.append(mu.mean(1).cpu().numpy())
        return np.concatenate(out).astype(np.float64)
