"""The maps themselves: computed (UMAP or PCA of a space's embedding), cached on disk by every
parameter, or loaded from the shipped defaults (:mod:`ktnas_core.projection`)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..embedding import Arch2VecEmbedder, Node2VecEmbedder, OneHotEncoder, PathEncoder, embed_space
from ..embedding.cache import atomic_save, cache_dir, cache_key
from ..errors import DataIntegrityError, ParameterError
from ..spaces import SearchSpace, get_space

__all__ = ["DATA_DIR", "DEFAULTS", "EMBEDDINGS", "METHODS", "METRICS", "PROJECTION_VERSION", "SHIPPED",
           "is_cached", "load_default", "project", "projection_key"]

#: embeddings a map can show (each at its shipped default parameters, ``random_state=0``)
EMBEDDINGS = ("node2vec", "arch2vec", "onehot", "path")
#: projection methods
METHODS = ("umap", "pca")
#: distances UMAP may use
METRICS = ("cosine", "euclidean", "manhattan", "correlation", "chebyshev")
#: default UMAP parameters (the shipped maps use exactly these)
DEFAULTS = {"n_neighbors": 15, "min_dist": 0.1, "metric": "cosine", "random_state": 0}
#: (space, embedding) pairs whose default UMAP ships with the package
SHIPPED = tuple((s, e) for s in ("nb201", "tnb101_micro") for e in ("node2vec", "arch2vec"))
PROJECTION_VERSION = 1  # bump when the meaning of stored projections changes
DATA_DIR = Path(__file__).resolve().parents[1] / "projection_data"


class _Spec:
    """What produced a projection, in the shape :func:`cache_key` expects (``get_params``)."""

    def __init__(self, params: dict[str, Any]):
        self.get_params = lambda deep=False: dict(params)


# cache_key names the class with its module: keep the name it had when the maps shipped (one module,
# ktnas_core.projection), so that the shipped files and every user's cache keep their keys
_Spec.__module__ = "ktnas_core.projection"

def _embedder(name: str):
    return {"node2vec": lambda: Node2VecEmbedder(random_state=0), "arch2vec": lambda: Arch2VecEmbedder(random_state=0),
            "onehot": OneHotEncoder, "path": PathEncoder}[name]()


def _check(space: Any, embedding: Any, method: Any, *, n_neighbors: Any, min_dist: Any, metric: Any,
           random_state: Any, use_cache: bool) -> tuple[SearchSpace, dict[str, Any]]:
    """Validate every parameter; the space and the normalised parameters."""
    if isinstance(space, str):
        space = get_space(space)  # UnknownSpaceError naming the choices
    elif not isinstance(space, SearchSpace):
        raise ParameterError(f"space must be a space name or a SearchSpace; got {type(space).__name__}")
    if not space.finite:
        raise ParameterError(f"space {space.name!r} is not finite; only whole finite spaces can be mapped")
    if embedding not in EMBEDDINGS:
        raise ParameterError(f"embedding {embedding!r} is unknown; choose one of {list(EMBEDDINGS)}")
    if method not in METHODS:
        raise ParameterError(f"method {method!r} is unknown; choose one of {list(METHODS)}")
    _number("n_neighbors", n_neighbors, 2, min(200, len(space) - 1), integer=True)
    _number("min_dist", min_dist, 0, 1, integer=False)
    if metric not in METRICS:
        raise ParameterError(f"metric {metric!r} is unknown; choose one of {list(METRICS)}")
    if random_state is None:
        if use_cache and method == "umap":
            raise ParameterError("random_state=None cannot be cached: every UMAP run differs; "
                                 "pass an int random_state (the shipped maps use 0) or use_cache=False")
    else:
        _number("random_state", random_state, 0, 2**32 - 1, integer=True)
    return space, {"embedding": embedding, "method": method, "n_neighbors": int(n_neighbors),
                   "min_dist": float(min_dist), "metric": metric,
                   "random_state": None if random_state is None else int(random_state)}


def _number(name: str, value: Any, lo: float, hi: float, integer: bool) -> None:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not lo <= value <= hi:
        raise ParameterError(f"{name} must be {'an integer' if integer else 'a number'} in [{lo}, {hi}]; "
                             f"got {value!r}")


def _key(space: SearchSpace, p: dict[str, Any]) -> str:
    spec = {"embedding": cache_key("embedding", space.name, _embedder(p["embedding"])), "method": p["method"],
            "version": PROJECTION_VERSION}
    if p["method"] == "umap":  # PCA ignores the UMAP parameters: one entry for all of them
        spec.update({k: p[k] for k in DEFAULTS})
    digest = cache_key("projection", space.name, _Spec(spec)).rsplit("-", 1)[1]
    return f"projection-{space.name}-{p['embedding']}-{p['method']}-{digest}"


def _resolve(space: Any, embedding: Any, method: Any, umap_params: dict[str, Any]) -> tuple[SearchSpace, dict]:
    unknown = sorted(set(umap_params) - set(DEFAULTS))
    if unknown:
        raise ParameterError(f"unknown UMAP parameter(s) {unknown}; choose among {list(DEFAULTS)}")
    return _check(space, embedding, method, **{**DEFAULTS, **umap_params}, use_cache=True)


def projection_key(space: str | SearchSpace, embedding: str = "node2vec", method: str = "umap",
                   **umap_params: Any) -> str:
    """File stem under which :func:`project` stores this projection (``<key>.npy``);
    ``umap_params`` are those of :func:`project` (n_neighbors, min_dist, metric, random_state).

    >>> projection_key("nb201", method="pca") == projection_key("nb201", method="pca", n_neighbors=50)
    True
    >>> projection_key("nb201") == projection_key("nb201", n_neighbors=50)
    False
    """
    return _key(*_resolve(space, embedding, method, umap_params))


def _lookup(key: str, n: int, shipped_only: bool = False) -> np.ndarray | None:
    """The stored projection ``key`` (shipped first, then the user cache), or None."""
    shipped = DATA_DIR / (key + ".npy")
    for path in (shipped,) if shipped_only else (shipped, cache_dir() / (key + ".npy")):
        if path.is_file():
            try:
                array = np.load(path, allow_pickle=False)
            except (OSError, ValueError):
                continue  # unreadable: recompute and replace
            if array.shape == (n, 2):
                return array
    return None


def _finish(array: np.ndarray) -> np.ndarray:
    out = np.asarray(array, dtype=np.float16).astype(np.float32)
    out.flags.writeable = False
    return out


def _pca(x: np.ndarray) -> np.ndarray:
    """First two principal components of ``x`` (no whitening), each oriented so that its
    largest-magnitude loading is positive (the sign does not depend on the solver)."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, whiten=False, svd_solver="full").fit(x)
    signs = np.sign(pca.components_[np.arange(2), np.argmax(np.abs(pca.components_), axis=1)])
    return (x - pca.mean_) @ (pca.components_.T * signs)


def _umap(x: np.ndarray, n_neighbors: int, min_dist: float, metric: str, random_state: int | None) -> np.ndarray:
    import umap  # numba JIT: 10-40 s in a fresh process

    reducer = umap.UMAP(n_components=2, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric,
                        random_state=random_state, n_jobs=1 if random_state is not None else -1, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # e.g. "gradient function is not yet implemented"
        return reducer.fit_transform(x)


def _compute(space: SearchSpace, p: dict[str, Any]) -> np.ndarray:
    """Embed the whole space and project it; float16 ``(len(space), 2)``."""
    x = np.asarray(embed_space(_embedder(p["embedding"]), space), dtype=np.float64)
    y = _pca(x) if p["method"] == "pca" else _umap(x, **{k: p[k] for k in DEFAULTS})
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (len(space), 2) or not np.isfinite(y).all():
        raise DataIntegrityError(f"{p['method']} of {p['embedding']} on {space.name} gave a bad array "
                                 f"(shape {y.shape}, finite: {bool(np.isfinite(y).all())})")
    return y.astype(np.float16)


def project(space: str | SearchSpace, embedding: str = "node2vec", method: str = "umap", *,
            n_neighbors: int = 15, min_dist: float = 0.1, metric: str = "cosine",
            random_state: int | None = 0, use_cache: bool = True) -> np.ndarray:
    """2-D coordinates of every architecture of ``space``, in index order.

    Parameters
    ----------
    space : {"nb201", "tnb101_micro"} or SearchSpace
        A finite search space.
    embedding : {"node2vec", "arch2vec", "onehot", "path"}
        Which embedding to project (the shipped defaults, ``random_state=0``).
    method : {"umap", "pca"}
        UMAP (``umap-learn``), or PCA (scikit-learn, no whitening, deterministic sign; the UMAP
        parameters are ignored; one-hot and path encodings have tied leading variances, so their
        PCA axes are one arbitrary, fixed choice within the plane).
    n_neighbors, min_dist, metric, random_state
        UMAP parameters; ``random_state`` seeds UMAP (None: unseeded, parallel,
        only with ``use_cache=False``).
    use_cache : bool
        Read and write the disk cache (``$KTNAS_CACHE_DIR``, else ``~/.cache/ktnas``)
        and use the shipped maps; False always recomputes.

    Returns
    -------
    numpy.ndarray
        Read-only float32 ``(len(space), 2)``.

    >>> xy = project("tnb101_micro", "node2vec", method="pca", use_cache=False)
    >>> xy.shape, bool(xy[:, 0].var() >= xy[:, 1].var())
    ((4096, 2), True)
    """
    space, p = _check(space, embedding, method, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric,
                      random_state=random_state, use_cache=use_cache)
    key = _key(space, p)
    array = _lookup(key, len(space)) if use_cache else None
    if array is None:
        array = _compute(space, p)
        if use_cache:
            atomic_save(cache_dir() / (key + ".npy"), array)
    return _finish(array)


def is_cached(space: str | SearchSpace, embedding: str = "node2vec", method: str = "umap",
              **umap_params: Any) -> bool:
    """Whether :func:`project` with these parameters would load a stored array (shipped or cached).

    >>> is_cached("nb201", "arch2vec")
    True
    """
    space, p = _resolve(space, embedding, method, umap_params)
    return _lookup(_key(space, p), len(space)) is not None


def load_default(space: str | SearchSpace, embedding: str = "node2vec") -> np.ndarray:
    """The shipped UMAP (default parameters) of the ``"node2vec"`` or ``"arch2vec"`` embedding of ``space``.

    >>> load_default("nb201", "arch2vec").shape
    (15625, 2)
    """
    name = space.name if isinstance(space, SearchSpace) else space
    if (name, embedding) not in SHIPPED:
        raise ParameterError(f"no shipped map for space {name!r} and embedding {embedding!r}; choose one of "
                             f"{list(SHIPPED)} (or compute it with project())")
    space, p = _resolve(name, embedding, "umap", {})
    array = _lookup(_key(space, p), len(space), shipped_only=True)
    if array is None:
        raise DataIntegrityError(f"the shipped map of {name}/{embedding} is missing or broken under {DATA_DIR}; "
                                 "rebuild it with benchmarks/build_projections.py")
    return _finish(array)
