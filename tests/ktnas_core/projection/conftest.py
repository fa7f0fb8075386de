"""What the projection tests share: an empty user cache per test, a count of computations, and two
fresh UMAP maps computed in the background (:func:`fresh_maps`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from ktnas_core import projection

#: the tests that read the two fresh maps
FRESH_MAP_TESTS = ("test_fresh_umap_is_the_same_map_in_another_process",
                   "test_fresh_umap_preserves_the_embedding_neighbourhoods")
#: one fresh process's map: the default UMAP of TransNAS micro / node2vec from scratch (10-40 s of
#: numba compiling, then the layout), saved once complete; a failure leaves its traceback instead
FRESH_MAP = """import sys, os, traceback, numpy as np
out = sys.argv[1]
try:
    from ktnas_core.projection import project
    xy = project('tnb101_micro', 'node2vec', use_cache=False)
    assert not xy.flags.writeable, 'project() returned a writeable map'
    np.save(out + '.tmp.npy', xy)
    os.replace(out + '.tmp.npy', out)
except BaseException:
    open(out + '.err', 'w').write(traceback.format_exc())
"""


def _fresh_dir(config) -> Path:
    """One new folder per test run, the same in every xdist worker of it."""
    if not hasattr(config, "_ktnas_fresh_dir"):
        run = getattr(config, "workerinput", {}).get("testrunuid") or f"{os.getpid()}-{time.time_ns()}"
        config._ktnas_fresh_dir = Path(tempfile.gettempdir()) / f"ktnas-fresh-umap-{run}"
    return config._ktnas_fresh_dir


def pytest_collection_finish(session):
    """Start the two fresh maps as soon as a test that reads them is selected: two processes that run
    beside the other tests (mostly numba compiling) instead of holding a test worker for one to two
    minutes.  The first worker to make the run's folder starts them; the others find it there."""
    if not any(item.name in FRESH_MAP_TESTS for item in session.items):
        return
    folder = _fresh_dir(session.config)
    try:
        folder.mkdir()
    except FileExistsError:
        return
    env = {**os.environ, "KTNAS_CACHE_DIR": str(folder / "cache")}
    for name in ("a.npy", "b.npy"):
        with open(folder / f"{name}.log", "w") as log:  # numba's and umap's warnings, kept out of the test output
            subprocess.Popen([sys.executable, "-c", FRESH_MAP, str(folder / name)], env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture(scope="module")
def fresh_maps(request):
    """The two fresh maps (same seed, two processes), waited for; their folder is removed after."""
    folder, deadline = _fresh_dir(request.config), time.monotonic() + 600
    maps = []
    for name in ("a.npy", "b.npy"):
        path = folder / name
        while not path.exists():
            err = path.with_name(name + ".err")
            assert not err.exists(), err.read_text()
            assert time.monotonic() < deadline and folder.exists(), f"no fresh map at {path}"
            time.sleep(0.2)
        maps.append(np.load(path))
    yield maps[0], maps[1]
    shutil.rmtree(folder, ignore_errors=True)


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
