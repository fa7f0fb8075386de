""":func:`load_dataset`: read a data set's files and cut them into train/valid/test splits."""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping

import numpy as np

from ..errors import DataIntegrityError, ParameterError
from .catalog import Dataset, dataset_info
from .readers import LOADERS
from .splits import check_subset, stratified_pick

__all__ = ["load_dataset"]


def _check_numbers(valid_fraction, seed) -> None:
    if (isinstance(valid_fraction, bool) or not isinstance(valid_fraction, numbers.Real)
            or not 0 <= valid_fraction < 1):
        raise ParameterError(f"valid_fraction={valid_fraction!r} is not allowed; need a number in [0, 1)")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ParameterError(f"seed={seed!r} is not allowed; need a non-negative int")


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
    sizes = check_subset(subset)
    _check_numbers(valid_fraction, seed)
    family = "medmnist" if name.startswith("medmnist-") else name
    x_pool, y_pool, x_valid, y_valid, x_test, y_test = LOADERS[family](info)
    if x_valid is None:
        n_valid = int(round(valid_fraction * len(y_pool)))
        if n_valid >= len(y_pool):
            raise ParameterError(f"valid_fraction={valid_fraction!r} leaves no training images out of {len(y_pool)}")
        valid = stratified_pick(y_pool, n_valid, np.random.default_rng([int(seed), 1]))
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
            idx = stratified_pick(y, sizes[split], np.random.default_rng([int(seed), 2, i]))
            x, y = x[idx], y[idx]
        integer = np.issubdtype(x.dtype, np.integer)
        x = np.array(x, dtype=np.float32, order="C")  # always a fresh, writeable copy
        if integer:
            np.divide(x, 255, out=x)
        out[f"x_{split}"], out[f"y_{split}"] = x, y.copy()
    return Dataset(name=name, num_classes=info["num_classes"], channels=info["channels"],
                   image_size=info["image_size"], source=info["source"], **out)
