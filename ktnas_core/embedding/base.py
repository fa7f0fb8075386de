"""The embedder protocol: architectures in, vectors of one shared space out.

Every embedder is a scikit-learn transformer over *architectures*:
``fit(X)`` takes a sequence of architectures of one search space (or the
space itself, meaning all of its architectures), learns without labels and
returns ``self``; ``transform(X)`` returns a float64 array ``(len(X), d)``.
Parameters are stored unchanged by ``__init__``; learned state ends in ``_``;
``random_state`` seeds everything, so the same seed gives the same vectors
in any process.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..errors import InvalidArchitectureError, ParameterError
from ..spaces import SearchSpace, get_space
from .cache import cache_key, cached_array

__all__ = ["Embedder", "embed_space", "as_architectures"]


def as_architectures(X: Any, space: SearchSpace | None = None) -> tuple[SearchSpace, list]:
    """``X`` (a space, or architectures / strings / indices of one space) as a list of architectures."""
    if isinstance(X, SearchSpace):
        return X, list(X)
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise ParameterError(f"X must be a sequence of architectures or a search space; got {type(X).__name__}")
    if len(X) == 0:
        raise ParameterError("X holds no architectures; pass at least one")
    if space is None:
        first = X[0]
        name = getattr(first, "space_name", None)
        if name is None:
            raise InvalidArchitectureError(
                f"cannot tell the space of {first!r}; pass architecture objects (space.parse(text))"
            )
        space = get_space(name)
    return space, [space.coerce(a) for a in X]


class Embedder(TransformerMixin, BaseEstimator):
    """Base class: subclasses implement ``_fit(space, archs, rng)`` and ``_transform(archs)``."""

    #: whether fitting draws random numbers (then caching needs a fixed ``random_state``)
    stochastic = True

    def fit(self, X: Any, y: Any = None) -> "Embedder":
        """Learn the embedding from architectures ``X`` (no labels; ``y`` is ignored)."""
        space, archs = as_architectures(X)
        self._check_params()
        self.space_ = space.name
        self._fit(space, archs, np.random.default_rng(self.random_state))
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Vectors of the architectures ``X``, shape ``(len(X), n_features_out_)``."""
        check_is_fitted(self, "space_")
        space, archs = as_architectures(X, get_space(self.space_))
        return np.asarray(self._transform(space, archs), dtype=np.float64)

    # -- subclass hooks ----------------------------------------------------------
    def _check_params(self) -> None:
        """Validate parameters (raise :class:`ParameterError`)."""

    def _fit(self, space: SearchSpace, archs: Sequence, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def _transform(self, space: SearchSpace, archs: Sequence) -> np.ndarray:
        raise NotImplementedError


def embed_space(embedder: Embedder, space: str | SearchSpace, use_cache: bool = True) -> np.ndarray:
    """Fit ``embedder`` on every architecture of a finite ``space`` and embed them
    all, in index order; cached on disk by (space, embedder class, parameters, seed).

    Returns a read-only float32 array ``(len(space), d)``.  Entries are stored
    as float16 (half the size; cosine similarities move by less than 1e-3),
    so a fresh computation and a cached one return identical values.
    """
    space = get_space(space) if isinstance(space, str) else space
    if not space.finite:
        raise ParameterError(f"space {space.name!r} is not finite; embed a sample with fit/transform instead")
    if use_cache and embedder.stochastic and getattr(embedder, "random_state", 0) is None:
        raise ParameterError(
            f"{type(embedder).__name__}(random_state=None) cannot be cached: every fit differs; "
            "pass an int random_state (the shipped defaults use 0) or use_cache=False"
        )
    key = cache_key("embedding", space.name, embedder)

    def compute() -> np.ndarray:
        from sklearn.base import clone

        return clone(embedder).fit(space).transform(space).astype(np.float16)

    array = cached_array(key, compute, use_cache=use_cache).astype(np.float32)
    if array.shape[0] != len(space):
        raise ParameterError(f"cached embedding {key} has {array.shape[0]} rows, not {len(space)}")
    array.flags.writeable = False
    return array
