"""Shared fixtures: where the repository and the raw benchmark sources are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the raw source files the shipped tables are built from (present beside the repo in CI)
SHARED_DATA = Path(os.environ.get("KTNAS_SHARED_DATA", ROOT.parent / "shared" / "data"))

requires_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "nasbench201").is_dir(),
    reason=f"raw benchmark sources not found at {SHARED_DATA} (set KTNAS_SHARED_DATA)",
)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA
