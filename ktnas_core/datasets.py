"""Image-classification data sets for training candidate networks (numpy only).

:func:`load_dataset` returns a :class:`Dataset`: train, validation and test
splits as float32 images in [0, 1] of shape ``(n, C, H, W)`` and int64 labels.
Nothing is downloaded: files are read from disk, and a missing file raises a
:class:`~ktnas_core.errors.DataIntegrityError` that names the paths searched
and how to obtain the files.

==================  =====================================================================
name                files read
==================  =====================================================================
``digits``          scikit-learn's bundled 8x8 digits (no files needed)
``fashion-mnist``   IDX files in ``ROOT/FashionMNIST/raw``, ``ROOT/fashion-mnist`` or
                    ``/usr/share/datasets/fashion-mnist`` (Debian ``dataset-fashion-mnist``)
``mnist``           IDX files in ``ROOT/MNIST/raw`` or ``ROOT/mnist``
``cifar10``         ``ROOT/cifar-10-batches-py`` (the python version of CIFAR-10)
``cifar100``        ``ROOT/cifar-100-python`` (fine labels)
``medmnist-FLAG``   ``ROOT/medmnist/FLAG.npz`` or ``ROOT/FLAG.npz`` (MedMNIST v2, 28x28)
==================  =====================================================================

``ROOT`` is the ``root`` argument, else ``$KTNAS_DATA_DIR``, else ``~/.cache/ktnas/data``.
IDX files may be gzipped or not.  The official test set is the test split; the
official training set is split into train and validation by ``valid_fraction``
(stratified, seeded).  Digits has no official test set: a fixed, stratified 20 %
(360 images, the same for every seed) is the test split.  MedMNIST ships its own
validation split, which is used as is (``valid_fraction`` is ignored).

Examples
--------
>>> from ktnas_core.datasets import load_dataset
>>> ds = load_dataset("digits", seed=0)
>>> ds.sizes, ds.x_train.shape[1:], ds.x_train.dtype, ds.num_classes
({'train': 1150, 'valid': 287, 'test': 360}, (1, 8, 8), dtype('float32'), 10)
>>> load_dataset("digits", subset={"train": 100}).sizes
{'train': 100, 'valid': 287, 'test': 360}
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import gzip
import importlib
import numbers
import os
import pickle
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .errors import DataIntegrityError, ParameterError

__all__ = ["DATASETS", "MEDMNIST_FLAGS", "Dataset", "dataset_info", "default_root", "load_dataset", "read_idx"]

#: single-label 2-D MedMNIST v2 subsets: flag -> (classes, channels)
MEDMNIST_FLAGS = {"pathmnist": (9, 3), "dermamnist": (7, 3), "octmnist": (4, 1), "pneumoniamnist": (2, 1),
                  "retinamnist": (5, 3), "breastmnist": (2, 1), "bloodmnist": (8, 3), "tissuemnist": (8, 1),
                  "organamnist": (11, 1), "organcmnist": (11, 1), "organsmnist": (11, 1)}  # fmt: skip
_SPLITS = ("train", "valid", "test")
_DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
_SOURCES = {
    "digits": "UCI optical recognition of handwritten digits (Alpaydin & Kaynak 1998), via scikit-learn; CC BY 4.0",
    "fashion-mnist": "Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando Research); MIT licence",
    "mnist": "MNIST (LeCun, Cortes & Burges 1998); CC BY-SA 3.0",
    "cifar10": "CIFAR-10 (Krizhevsky 2009, University of Toronto); free for research, cite the tech report",
    "cifar100": "CIFAR-100 (Krizhevsky 2009, University of Toronto); free for research, cite the tech report",
    "medmnist": "MedMNIST v2 (Yang et al. 2023, Scientific Data); CC BY 4.0 (some subsets keep their source's licence)",
}
_OBTAIN = {
    "fashion-mnist": "install the Debian/Ubuntu package dataset-fashion-mnist, or run "
                     "torchvision.datasets.FashionMNIST(ROOT, download=True) on a machine with network",
    "mnist": "run torchvision.datasets.MNIST(ROOT, download=True) on a machine with network, or copy "
             "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-* into ROOT/MNIST/raw",
    "cifar10": "extract https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz into ROOT "
               "(or run torchvision.datasets.CIFAR10(ROOT, download=True))",
    "cifar100": "extract https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz into ROOT "
                "(or run torchvision.datasets.CIFAR100(ROOT, download=True))",
    "medmnist": "download FLAG.npz from the MedMNIST v2 record https://zenodo.org/records/10519652 into "
                "ROOT/medmnist (or with the medmnist package: getattr(medmnist, medmnist.INFO['FLAG']"
                "['python_class'])(split='train', download=True, root='ROOT/medmnist'))",
}
_IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}  # fmt: skip
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

#: every name :func:`load_dataset` accepts
DATASETS = ("digits", "fashion-mnist", "mnist", "cifar10", "cifar100", *(f"medmnist-{f}" for f in MEDMNIST_FLAGS))


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Three splits of an image-classification data set.

    Images are float32 in [0, 1] of shape ``(n, channels, image_size, image_size)``;
    labels are int64 in ``[0, num_classes)``.  ``source`` credits the makers and names the licence.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    channels: int
    image_size: int
    source: str

    @property
    def sizes(self) -> dict[str, int]:
        """Number of images per split, e.g. ``{'train': 48000, 'valid': 12000, 'test': 10000}``."""
        return {s: int(len(getattr(self, f"y_{s}"))) for s in _SPLITS}

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, sizes={self.sizes}, num_classes={self.num_classes}, "
                f"channels={self.channels}, image_size={self.image_size})")


def default_root() -> Path:
    """``$KTNAS_DATA_DIR`` if set, else ``~/.cache/ktnas/data``."""
    env = os.environ.get("KTNAS_DATA_DIR")
    return Path(env).expanduser() if env else Path("~/.cache/ktnas/data").expanduser()


def _check_name(name: object) -> str:
    if not isinstance(name, str) or name not in DATASETS:
        hint = " (multi-label, not supported)" if name == "medmnist-chestmnist" else ""
        raise ParameterError(f"data set {name!r}{hint} is unknown; choose one of {list(DATASETS)}")
    return name


def _search_dirs(name: str, root: Path) -> list[Path]:
    flag = name.removeprefix("medmnist-")
    return {"digits": [], "mnist": [root / "MNIST" / "raw", root / "mnist"],
            "fashion-mnist": [root / "FashionMNIST" / "raw", root / "fashion-mnist", _DEBIAN_FASHION],
            "cifar10": [root / "cifar-10-batches-py"], "cifar100": [root / "cifar-100-python"],
            }.get(name, [root / "medmnist" / f"{flag}.npz", root / f"{flag}.npz"])


def dataset_info(name: str, *, root: str | os.PathLike | None = None) -> dict:
    """What :func:`load_dataset` would return for ``name``, and where it looks for the files.

    Returns a dict with ``name``, ``num_classes``, ``channels``, ``image_size``, ``source``,
    ``paths`` (folders or files searched, in order) and ``obtain`` (how to get the files;
    empty when none are needed).  Reads no data.

    Examples
    --------
    >>> info = dataset_info("cifar10", root="/data")
    >>> info["num_classes"], info["channels"], info["image_size"], info["paths"]
    (10, 3, 32, ['/data/cifar-10-batches-py'])
    """
    name = _check_name(name)
    root = Path(root).expanduser() if root is not None else default_root()
    family = "medmnist" if name.startswith("medmnist-") else name
    classes, channels, size = {"digits": (10, 1, 8), "fashion-mnist": (10, 1, 28), "mnist": (10, 1, 28),
                               "cifar10": (10, 3, 32), "cifar100": (100, 3, 32)}.get(name, (0, 0, 28))
    if family == "medmnist":
        classes, channels = MEDMNIST_FLAGS[name.removeprefix("medmnist-")]
    obtain = _OBTAIN.get(family, "").replace("ROOT", str(root)).replace("FLAG", name.removeprefix("medmnist-"))
    return {"name": name, "num_classes": classes, "channels": channels, "image_size": size,
            "source": _SOURCES[family], "paths": [str(p) for p in _search_dirs(name, root)], "obtain": obtain}


def _missing(info: dict, what: str) -> DataIntegrityError:
    return DataIntegrityError(f"data set {info['name']!r}: {what} not found in any of {info['paths']}; "
                              f"to obtain the files, {info['obtain']}")


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


def _read_idx_cached(path: Path) -> np.ndarray:
    """:func:`read_idx`, memoised on (path, size, mtime) so repeated loads skip decompression."""
    st = path.stat()
    return _read_idx_memo(str(path.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _read_idx_memo(path: str, size: int, mtime_ns: int) -> np.ndarray:
    arr = read_idx(path)
    arr.flags.writeable = False  # shared between calls; load_dataset always copies
    return arr


def _load_idx(info: dict) -> tuple:
    for folder in map(Path, info["paths"]):
        found = {stem: next((folder / f for f in (stem, stem + ".gz") if (folder / f).is_file()), None)
                 for stems in _IDX_FILES.values() for stem in stems}
        if all(found.values()):
            arrays = {s: (_read_idx_cached(found[i])[:, None], _read_idx_cached(found[l]))
                      for s, (i, l) in _IDX_FILES.items()}
            return (*arrays["train"], None, None, *arrays["test"])
    raise _missing(info, "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-*")


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


def _load_cifar(info: dict) -> tuple:
    folder = Path(info["paths"][0])
    ten = info["name"] == "cifar10"
    files = {"train": [f"data_batch_{i}" for i in range(1, 6)] if ten else ["train"],
             "test": ["test_batch" if ten else "test"]}
    key = "labels" if ten else "fine_labels"
    out = []
    for split, names in files.items():
        xs, ys = [], []
        for fname in names:
            if not (folder / fname).is_file():
                raise _missing(info, f"the CIFAR python batch {fname!r}")
            try:
                with open(folder / fname, "rb") as f:
                    batch = _ArrayUnpickler(f, encoding="latin1").load()
                xs.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
                ys.append(np.asarray(batch[key]))
            except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
                raise DataIntegrityError(f"CIFAR batch {str(folder / fname)!r} is malformed: {exc!r}") from exc
        out += [np.concatenate(xs), np.concatenate(ys)]
    return out[0], out[1], None, None, out[2], out[3]


def _load_medmnist(info: dict) -> tuple:
    path = next((Path(p) for p in info["paths"] if Path(p).is_file()), None)
    if path is None:
        raise _missing(info, "the .npz file")
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


def _load_digits(info: dict) -> tuple:
    from sklearn.datasets import load_digits  # noqa: PLC0415 (keeps module import light)

    d = load_digits()
    x, y = (d.images / 16.0).astype(np.float32)[:, None], d.target
    test = _stratified_pick(y, 360, np.random.default_rng(20250101))  # fixed for every seed
    pool = np.setdiff1d(np.arange(len(y)), test)
    return x[pool], y[pool], None, None, x[test], y[test]


def _stratified_pick(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of ``n`` items of ``y``, classes in proportion (largest remainder)."""
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    base, rem = np.divmod(counts.astype(np.int64) * n, len(y))
    base[np.argsort(-rem, kind="stable")[: n - int(base.sum())]] += 1
    picks = [rng.choice(np.flatnonzero(inverse == c), int(k), replace=False) for c, k in enumerate(base)]
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, np.int64)


def _check_subset(subset) -> dict[str, int]:
    if subset is None:
        return {}
    if isinstance(subset, Mapping):
        bad = sorted(set(map(str, subset)) - set(_SPLITS))
        if bad:
            raise ParameterError(f"subset keys {bad} are unknown; allowed keys are {list(_SPLITS)}")
        items = dict(subset)
    else:
        items = dict.fromkeys(_SPLITS, subset)
    for split, n in items.items():
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ParameterError(f"subset[{split!r}] = {n!r} is not allowed; need a positive int "
                                 "(or subset=None for the full split)")
    return {k: int(v) for k, v in items.items()}


def load_dataset(name: str, *, root: str | os.PathLike | None = None, subset: int | Mapping[str, int] | None = None,
                 valid_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load an image-classification data set as train/valid/test numpy splits.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`.
    root : path, optional
        Folder holding the data files; default :func:`default_root`.
    subset : int or dict, optional
        Keep at most this many images per split (an int applies to every split; a dict such as
        ``{"train": 500, "test": 200}`` to the splits it names), chosen stratified by class with ``seed``.
    valid_fraction : float
        Share of the official training set held out for validation, in [0, 1) (stratified, seeded).
    seed : int
        Seeds the train/valid split and the subsets; the test split never depends on it.

    Raises
    ------
    ParameterError
        Unknown name, bad ``subset``, ``valid_fraction`` or ``seed``.
    DataIntegrityError
        Files missing (the message says where they were looked for and how to obtain them) or malformed.

    Examples
    --------
    >>> ds = load_dataset("digits", subset=50, seed=1)
    >>> ds.sizes, sorted(set(ds.y_test.tolist())) == list(range(10))
    ({'train': 50, 'valid': 50, 'test': 50}, True)
    """
    info = dataset_info(name, root=root)
    sizes = _check_subset(subset)
    if (isinstance(valid_fraction, bool) or not isinstance(valid_fraction, numbers.Real)
            or not 0 <= valid_fraction < 1):
        raise ParameterError(f"valid_fraction={valid_fraction!r} is not allowed; need a number in [0, 1)")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ParameterError(f"seed={seed!r} is not allowed; need a non-negative int")
    loader = {"digits": _load_digits, "fashion-mnist": _load_idx, "mnist": _load_idx, "cifar10": _load_cifar,
              "cifar100": _load_cifar}.get(name, _load_medmnist)
    x_pool, y_pool, x_valid, y_valid, x_test, y_test = loader(info)
    if x_valid is None:
        n_valid = int(round(valid_fraction * len(y_pool)))
        if n_valid >= len(y_pool):
            raise ParameterError(f"valid_fraction={valid_fraction!r} leaves no training images out of {len(y_pool)}")
        valid = _stratified_pick(y_pool, n_valid, np.random.default_rng([int(seed), 1]))
        keep = np.ones(len(y_pool), bool)
        keep[valid] = False
        x_valid, y_valid, x_pool, y_pool = x_pool[valid], y_pool[valid], x_pool[keep], y_pool[keep]
    splits = {"train": (x_pool, y_pool), "valid": (x_valid, y_valid), "test": (x_test, y_test)}
    shape = (info["channels"], info["image_size"], info["image_size"])
    out = {}
    for i, (split, (x, y)) in enumerate(splits.items()):
        y = np.asarray(y).astype(np.int64, copy=False)
        if x.shape[1:] != shape or len(x) != len(y) or (len(y) and (y.min() < 0 or y.max() >= info["num_classes"])):
            raise DataIntegrityError(
                f"data set {name!r} split {split!r} is malformed: images {x.shape}, {len(y)} labels in "
                f"[{y.min() if len(y) else '-'}, {y.max() if len(y) else '-'}]; expected images (n, *{shape}) "
                f"and labels in [0, {info['num_classes']})")
        if split in sizes and sizes[split] < len(y):
            idx = _stratified_pick(y, sizes[split], np.random.default_rng([int(seed), 2, i]))
            x, y = x[idx], y[idx]
        integer = np.issubdtype(x.dtype, np.integer)
        x = np.array(x, dtype=np.float32, order="C")  # always a fresh, writeable copy
        if integer:
            np.divide(x, 255, out=x)
        out[f"x_{split}"], out[f"y_{split}"] = x, y.copy()
    return Dataset(name=name, num_classes=info["num_classes"], channels=info["channels"],
                   image_size=info["image_size"], source=info["source"], **out)
