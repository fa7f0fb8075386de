"""What the projection tests share: an empty user cache per test, and a count of computations."""

from __future__ import annotations

import pytest

from ktnas_core import projection


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """A fresh, empty user cache for every test (spawned jobs inherit the variable)."""
    monkeypatch.setenv("KTNAS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def count_computes(monkeypatch):
    calls = []
    real = projection.maps._compute

    def counting(space, params):
        calls.append((space.name, params["embedding"], params["method"]))
        return real(space, params)

    monkeypatch.setattr(projection.maps, "_compute", counting)
    return calls
