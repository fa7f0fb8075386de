"""Disk cache of whole-space embeddings, keyed by what produced them.

The key hashes the space, the embedder's class and every parameter
(``get_params()``, the seed included) and a format version; change any of
them and a new entry is computed.  Entries ship inside the package for the
default embedders (``ktnas_core/embedding/data``) and are written to the
user cache (``$KTNAS_CACHE_DIR``, else ``~/.cache/ktnas``) otherwise.
Writes are atomic (temporary file, fsync, rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["FORMAT_VERSION", "cache_dir", "cache_key", "cached_array"]

#: bump when the meaning of cached arrays changes
FORMAT_VERSION = 1


def cache_dir() -> Path:
    """The user cache folder (created on demand)."""
    root = os.environ.get("KTNAS_CACHE_DIR") or Path.home() / ".cache" / "ktnas"
    return Path(root)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot key a cache entry on {value!r} (type {type(value).__name__})")


def cache_key(kind: str, space: str, estimator: Any) -> str:
    """Stable key of ``estimator`` (a scikit-learn-style object) applied to ``space``.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> k1 = cache_key("embedding", "nb201", StandardScaler())
    >>> k1 == cache_key("embedding", "nb201", StandardScaler()) != cache_key("embedding", "nb201", StandardScaler(with_mean=False))
    True
    """
    meta = {
        "kind": kind,
        "space": space,
        "class": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        "params": _jsonable(estimator.get_params(deep=False)),
        "version": FORMAT_VERSION,
    }
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:20]
    return f"{kind}-{space}-{type(estimator).__name__.lower()}-{digest}"


def _shipped(key: str) -> Path | None:
    ref = resources.files(__package__).joinpath("data", key + ".npy")
    return Path(str(ref)) if ref.is_file() else None


def atomic_save(path: Path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_array(key: str, compute: Callable[[], np.ndarray], use_cache: bool = True) -> np.ndarray:
    """The array stored under ``key``: shipped, else cached, else ``compute()`` and cache it.

    A cache file that cannot be read is recomputed and replaced.
    """
    if use_cache:
        for path in (_shipped(key), cache_dir() / (key + ".npy")):
            if path is not None and path.is_file():
                try:
                    return np.load(path, allow_pickle=False)
                except (OSError, ValueError):
                    continue
    array = compute()
    if use_cache:
        atomic_save(cache_dir() / (key + ".npy"), array)
    return array
