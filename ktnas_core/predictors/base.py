"""The predictor protocol: embedded architectures in, a task's metric out.

Every predictor is a scikit-learn regressor over float feature arrays (the
vectors of :mod:`ktnas_core.embedding`): ``__init__`` stores its parameters
unchanged, ``fit(X, y)`` validates them and the data and returns ``self``,
learned state ends in ``_``, ``random_state`` seeds everything, and
``predict(X)`` gives one value per row in the units of ``y``.

:class:`Predictor` does the shared work: it checks ``X`` and ``y`` (shapes,
finiteness, matching lengths) with messages that say what is wrong, fits the
subclass on the standardised target ``(y - mean) / std`` and maps predictions
back, so every family sees targets of the same scale whatever the metric
(accuracy in %, SSIM, negative loss).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import check_is_fitted

from ..errors import FeatureTypeError, ParameterError

__all__ = ["Predictor", "check_features", "check_targets", "check_int", "check_real"]


def _as_real_array(X: Any, name: str) -> np.ndarray:
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise ParameterError(f"{name} is a sparse matrix; sparse input is not supported, pass {name}.toarray()")
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as exc:  # ragged nested sequences
        raise ParameterError(f"{name} must be an array of numbers; got {type(X).__name__} ({exc})") from None
    if arr.dtype.kind == "c":
        raise ParameterError(f"{name} must hold real numbers; got dtype {arr.dtype} (Complex data not supported)")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (ValueError, TypeError) as exc:
            raise FeatureTypeError(f"{name} must hold real numbers; got objects that are not ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise FeatureTypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _check_finite(arr: np.ndarray, name: str) -> None:
    if not np.isfinite(arr).all():
        where = tuple(int(i[0]) for i in np.nonzero(~np.isfinite(arr)))
        value = arr[where]
        kind = "NaN" if np.isnan(value) else "infinity"
        at = f"row {where[0]}, column {where[1]}" if len(where) == 2 else f"index {where[0]}"
        raise ParameterError(f"{name} must be finite; it contains {kind} at {at}")


def check_features(X: Any, name: str = "X", n_features: int | None = None, owner: str = "the predictor") -> np.ndarray:
    """``X`` as a finite float64 array ``(n_samples, n_features)``, else :class:`ParameterError`.

    Messages contain the phrases scikit-learn's common checks look for.

    Examples
    --------
    >>> check_features([[0, 1], [1, 0]]).dtype
    dtype('float64')
    >>> check_features([0, 1])
    Traceback (most recent call last):
    ...
    ktnas_core.errors.ParameterError: X must be a 2-D array (n_samples, n_features); got shape (2,). Reshape your data, e.g. X.reshape(1, -1) for a single row
    """
    arr = _as_real_array(X, name)
    if arr.ndim != 2:
        raise ParameterError(f"{name} must be a 2-D array (n_samples, n_features); got shape {arr.shape}. "
                             "Reshape your data, e.g. X.reshape(1, -1) for a single row")
    if arr.shape[0] == 0:
        raise ParameterError(f"{name} has 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required.")
    if arr.shape[1] == 0:
        raise ParameterError(f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    _check_finite(arr, name)
    if n_features is not None and arr.shape[1] != n_features:
        raise ParameterError(f"{name} has {arr.shape[1]} features, but {owner} is expecting {n_features} features "
                             "as input (the width of the embedding it was fitted on)")
    return arr


def check_targets(y: Any, n_samples: int) -> np.ndarray:
    """``y`` as a finite float64 vector of ``n_samples`` entries, else :class:`ParameterError`."""
    if y is None:
        raise ParameterError("the predictor requires y to be passed, but the target y is None")
    arr = _as_real_array(y, "y")
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected; it is raveled to shape "
                      f"({arr.shape[0]},)", DataConversionWarning, stacklevel=3)
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ParameterError(f"y must be 1-D (one value per row of X); got shape {arr.shape}")
    if arr.size != n_samples:
        raise ParameterError(f"y has {arr.size} values but X has {n_samples} rows")
    _check_finite(arr, "y")
    return arr


def check_int(owner: Any, name: str, low: int = 1) -> None:
    """Raise :class:`ParameterError` unless ``owner.<name>`` is an int ``>= low``."""
    value = getattr(owner, name)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ParameterError(f"{name} must be an integer >= {low}; got {value!r}")


def check_real(owner: Any, name: str, low: float = 0.0, high: float = np.inf, low_open: bool = True,
               high_open: bool = False) -> None:
    """Raise :class:`ParameterError` unless ``owner.<name>`` is a real number in the given interval."""
    value = getattr(owner, name)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and not np.isnan(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ParameterError(f"{name} must be a number in {interval}; got {value!r}")


class Predictor(RegressorMixin, BaseEstimator):
    """Base class: subclasses implement ``_fit(X, z, seed)`` and ``_predict(X)`` on standardised targets.

    ``seed`` is an int drawn from ``numpy.random.default_rng(random_state)``,
    so an int ``random_state`` makes a fit reproducible in any process.

    Attributes (after ``fit``)
    --------------------------
    n_features_in_ : int
        Number of features seen in ``fit``.
    y_mean_, y_scale_ : float
        Mean and standard deviation of the training targets (scale 1 for a constant target).
    """

    #: fewest training rows a family accepts
    min_samples = 2

    def fit(self, X: Any, y: Any) -> "Predictor":
        """Learn to predict ``y`` (one value per row) from the feature rows ``X``; returns ``self``."""
        self._check_params()
        X = check_features(X)
        y = check_targets(y, X.shape[0])
        if X.shape[0] < self.min_samples:
            raise ParameterError(
                f"{type(self).__name__} needs at least {self.min_samples} training rows; got n_samples = {X.shape[0]}"
            )
        self.n_features_in_ = X.shape[1]
        self.y_mean_ = float(y.mean())
        std = float(y.std())
        self.y_scale_ = std if std > 0 else 1.0
        try:
            seed = int(np.random.default_rng(self.random_state).integers(2**31 - 1))
        except (TypeError, ValueError):
            raise ParameterError(
                f"random_state must be None, a non-negative int or a numpy Generator; got {self.random_state!r}"
            ) from None
        self._fit(X, (y - self.y_mean_) / self.y_scale_, seed)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted metric of every row of ``X``, shape ``(n_samples,)``, in the units of ``y``."""
        check_is_fitted(self, "n_features_in_")
        X = check_features(X, n_features=self.n_features_in_, owner=type(self).__name__)
        return self.y_mean_ + self.y_scale_ * np.asarray(self._predict(X), dtype=np.float64).reshape(-1)

    # -- subclass hooks ----------------------------------------------------------
    def _check_params(self) -> None:
        """Validate parameters (raise :class:`ParameterError`)."""

    def _fit(self, X: np.ndarray, z: np.ndarray, seed: int) -> None:
        raise NotImplementedError

    def _predict(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError
