"""Gaussian-process regression over embeddings (with predictive uncertainty)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from sklearn.utils.validation import check_is_fitted

from ..errors import ParameterError
from .base import Predictor, check_features, check_int

__all__ = ["GaussianProcessPredictor"]


class GaussianProcessPredictor(Predictor):
    """Gaussian process on standardised targets.

    Features are centred and divided by one scalar (the root of the summed
    feature variances, so the mean squared distance to the centroid is 1):
    the embedding's geometry is kept and the length scale starts at a sensible
    value for any embedder.  The default kernel is
    ``C * Matern(nu) + White`` with an isotropic length scale; its
    hyperparameters are fitted by maximum marginal likelihood.  Warnings that
    a hyperparameter reached its bound are silenced (the fit is still valid);
    read ``kernel_`` to see where it landed.

    Parameters
    ----------
    nu : {0.5, 1.5, 2.5, inf}, default 1.5
        Smoothness of the Matern kernel (``inf`` is the RBF kernel).
    kernel : sklearn kernel or None
        Replaces the default kernel when given.
    n_restarts_optimizer : int, default 0
        Extra optimiser starts drawn at random within the bounds.
    random_state : int, numpy Generator or None
        Seeds the optimiser restarts.

    Attributes
    ----------
    gp_ : sklearn.gaussian_process.GaussianProcessRegressor
    kernel_ : the fitted kernel.
    x_mean_, x_scale_ : feature centre (vector) and scale (scalar).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3)); y = X[:, 0] - 2 * X[:, 1]
    >>> gp = GaussianProcessPredictor(random_state=0).fit(X, y)
    >>> mean, std = gp.predict(X[:2], return_std=True)
    >>> bool(np.allclose(mean, y[:2], atol=0.1)), std.shape
    (True, (2,))
    """

    def __init__(self, nu: float = 1.5, kernel: Any = None, n_restarts_optimizer: int = 0,
                 random_state: Any = None) -> None:
        self.nu = nu
        self.kernel = kernel
        self.n_restarts_optimizer = n_restarts_optimizer
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.kernel is None and self.nu not in (0.5, 1.5, 2.5, np.inf):
            raise ParameterError(f"nu must be one of [0.5, 1.5, 2.5, inf]; got {self.nu!r}")
        check_int(self, "n_restarts_optimizer", low=0)

    def _default_kernel(self) -> Any:
        return (ConstantKernel(1.0, (1e-2, 1e2))
                * Matern(length_scale=1.0, length_scale_bounds=(1e-2, 1e2), nu=self.nu)
                + WhiteKernel(0.1, (1e-6, 1e1)))

    def _fit(self, X: np.ndarray, z: np.ndarray, seed: int) -> None:
        self.x_mean_ = X.mean(axis=0)
        spread = float(np.sqrt(X.var(axis=0).sum()))
        self.x_scale_ = spread if spread > 0 else 1.0
        kernel = self._default_kernel() if self.kernel is None else self.kernel
        gp = GaussianProcessRegressor(kernel=kernel, normalize_y=False, n_restarts_optimizer=self.n_restarts_optimizer,
                                      random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit((X - self.x_mean_) / self.x_scale_, z)
        self.gp_ = gp
        self.kernel_ = gp.kernel_

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.gp_.predict((X - self.x_mean_) / self.x_scale_)

    def predict(self, X: Any, return_std: bool = False) -> Any:
        """Predicted metric of every row of ``X``; with ``return_std`` also the predictive
        standard deviation (same units, noise included), as ``(mean, std)``."""
        if not return_std:
            return super().predict(X)
        check_is_fitted(self, "n_features_in_")
        X = check_features(X, n_features=self.n_features_in_, owner=type(self).__name__)
        mean, std = self.gp_.predict((X - self.x_mean_) / self.x_scale_, return_std=True)
        return self.y_mean_ + self.y_scale_ * mean, self.y_scale_ * std
