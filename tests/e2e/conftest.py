"""What every browser test needs first: Debian's Chromium (a failure under CI, a skip elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .server import CHROMIUM


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        msg = f"{CHROMIUM} is missing: install Debian's chromium (make browser)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return CHROMIUM
