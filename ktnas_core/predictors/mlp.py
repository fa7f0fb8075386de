"""A small multi-layer perceptron over embeddings (torch, imported inside ``fit``).

Inputs are standardised per feature, targets by :class:`Predictor`; the loss
is the mean squared error, minimised with Adam (weight decay) over shuffled
mini-batches.  Training runs on one torch thread with a private random
generator seeded from ``random_state``, so the same seed gives the same
weights in any process and the caller's torch random state is left untouched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from ..torch_session import torch_session
from .base import Predictor, check_int, check_real

__all__ = ["MLPPredictor"]


class MLPPredictor(Predictor):
    """Fully connected ReLU network trained with the squared error.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (128, 128)
    epochs : int, default 100
        Passes over the training rows.
    batch_size : int, default 64
        Rows per Adam step (the whole set when it is smaller).
    learning_rate : float, default 3e-3
    weight_decay : float, default 1e-4
        Adam's L2 penalty.
    random_state : int, numpy Generator or None
        Seeds the initial weights and the batch order.

    Attributes
    ----------
    model_ : torch.nn.Sequential
        The trained network (CPU, eval mode).
    x_mean_, x_scale_ : arrays of the per-feature standardisation.
    loss_curve_ : list of float
        Mean training loss (standardised units) of each epoch.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(64, 3)); y = 2 * X[:, 0] + X[:, 1]
    >>> mlp = MLPPredictor(hidden_layer_sizes=(16,), epochs=50, random_state=0).fit(X, y)
    >>> bool(np.corrcoef(mlp.predict(X), y)[0, 1] > 0.9)
    True
    """

    def __init__(self, hidden_layer_sizes: tuple = (128, 128), epochs: int = 100, batch_size: int = 64,
                 learning_rate: float = 3e-3, weight_decay: float = 1e-4, random_state: Any = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.random_state = random_state

    def _check_params(self) -> None:
        sizes = self.hidden_layer_sizes
        if not isinstance(sizes, (tuple, list)) or not all(
                isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1 for h in sizes):
            raise ParameterError(f"hidden_layer_sizes must be a tuple of integers >= 1 (may be empty); got {sizes!r}")
        check_int(self, "epochs")
        check_int(self, "batch_size")
        check_real(self, "learning_rate")
        check_real(self, "weight_decay", low_open=False)

    def _build(self, torch: Any, n_in: int) -> Any:
        layers, width = [], n_in
        for h in self.hidden_layer_sizes:
            layers += [torch.nn.Linear(width, int(h)), torch.nn.ReLU()]
            width = int(h)
        layers.append(torch.nn.Linear(width, 1))
        return torch.nn.Sequential(*layers)

    def _fit(self, X: np.ndarray, z: np.ndarray, seed: int) -> None:
        self.x_mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.x_scale_ = np.where(std > 0, std, 1.0)
        rng = np.random.default_rng(seed)
        with torch_session(seed) as torch:
            x = torch.as_tensor((X - self.x_mean_) / self.x_scale_, dtype=torch.float32)
            t = torch.as_tensor(z, dtype=torch.float32)
            model = self._build(torch, X.shape[1])
            optimiser = torch.optim.Adam(model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
            n, batch = len(z), min(self.batch_size, len(z))
            self.loss_curve_ = []
            model.train()
            for _ in range(self.epochs):
                order = torch.as_tensor(rng.permutation(n))
                total = 0.0
                for start in range(0, n, batch):
                    idx = order[start:start + batch]
                    loss = torch.mean((model(x[idx]).squeeze(1) - t[idx]) ** 2)
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    total += loss.item() * len(idx)
                self.loss_curve_.append(total / n)
            model.eval()
        self.model_ = model

    def _predict(self, X: np.ndarray) -> np.ndarray:
        with torch_session() as torch, torch.no_grad():
            x = torch.as_tensor((X - self.x_mean_) / self.x_scale_, dtype=torch.float32)
            return self.model_(x).squeeze(1).double().numpy()
