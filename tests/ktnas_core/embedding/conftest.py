"""Fixtures of the embedding tests: a private cache folder and the TransNAS micro space."""

import pytest

from ktnas_core.spaces import get_space


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test writes embeddings into its own folder, never the user's cache."""
    monkeypatch.setenv("KTNAS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def tnb():
    return get_space("tnb101_micro")
