"""Tree ensembles over embeddings: random forest and gradient boosting.

Thin wrappers around scikit-learn's regressors, configured for the small
training sets of predictor-guided search (tens to hundreds of cells) and fed
the standardised targets of :class:`~ktnas_core.predictors.base.Predictor`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor

from ..errors import ParameterError
from .base import Predictor, check_int, check_real

__all__ = ["RandomForestPredictor", "GradientBoostingPredictor"]


def _check_max_features(value: Any) -> None:
    if value in (None, "sqrt", "log2"):
        return
    if isinstance(value, bool):
        pass
    elif isinstance(value, numbers.Integral):
        if value >= 1:
            return
    elif isinstance(value, numbers.Real) and 0 < value <= 1:
        return
    raise ParameterError(f"max_features must be None, 'sqrt', 'log2', a float in (0, 1] or an int >= 1; got {value!r}")


class RandomForestPredictor(Predictor):
    """Random forest regression (:class:`sklearn.ensemble.RandomForestRegressor`).

    Parameters
    ----------
    n_estimators : int, default 100
    max_features : float, int, str or None, default 0.33
        Features tried per split (a third: the usual choice for regression forests).
    min_samples_leaf : int, default 1
    n_jobs : int or None
        Parallel trees (results do not depend on it).
    random_state : int, numpy Generator or None

    Attributes
    ----------
    model_ : sklearn.ensemble.RandomForestRegressor

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 4)); y = X[:, 0]
    >>> rf = RandomForestPredictor(n_estimators=20, random_state=0).fit(X, y)
    >>> rf.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, n_estimators: int = 100, max_features: Any = 0.33, min_samples_leaf: int = 1,
                 n_jobs: int | None = None, random_state: Any = None) -> None:
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _check_params(self) -> None:
        check_int(self, "n_estimators")
        check_int(self, "min_samples_leaf")
        _check_max_features(self.max_features)

    def _fit(self, X: np.ndarray, z: np.ndarray, seed: int) -> None:
        self.model_ = RandomForestRegressor(
            n_estimators=self.n_estimators, max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf, n_jobs=self.n_jobs, random_state=seed,
        ).fit(X, z)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(X)


class GradientBoostingPredictor(Predictor):
    """Gradient-boosted trees (:class:`sklearn.ensemble.GradientBoostingRegressor`, squared loss).

    Parameters
    ----------
    n_estimators : int, default 200
    learning_rate : float, default 0.05
    max_depth : int, default 3
    subsample : float in (0, 1], default 0.8
        Share of rows per tree (stochastic gradient boosting).
    max_features : float, int, str or None, default 0.5
    min_samples_leaf : int, default 1
    random_state : int, numpy Generator or None

    Attributes
    ----------
    model_ : sklearn.ensemble.GradientBoostingRegressor

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 4)); y = X[:, 0]
    >>> gbm = GradientBoostingPredictor(n_estimators=20, random_state=0).fit(X, y)
    >>> gbm.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, n_estimators: int = 200, learning_rate: float = 0.05, max_depth: int = 3,
                 subsample: float = 0.8, max_features: Any = 0.5, min_samples_leaf: int = 1,
                 random_state: Any = None) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.subsample = subsample
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state

    def _check_params(self) -> None:
        check_int(self, "n_estimators")
        check_int(self, "max_depth")
        check_int(self, "min_samples_leaf")
        check_real(self, "learning_rate")
        check_real(self, "subsample", high=1.0)
        _check_max_features(self.max_features)

    def _fit(self, X: np.ndarray, z: np.ndarray, seed: int) -> None:
        self.model_ = GradientBoostingRegressor(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate, max_depth=self.max_depth,
            subsample=self.subsample, max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf, random_state=seed,
        ).fit(X, z)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(X)
