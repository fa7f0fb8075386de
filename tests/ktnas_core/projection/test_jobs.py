"""Maps computed in a separate, cancellable process (``ProjectionJob``)."""

from __future__ import annotations

import os
import time
from concurrent.futures import CancelledError

import numpy as np
import pytest

from ktnas_core import projection
from ktnas_core.errors import ParameterError
from ktnas_core.projection import ProjectionJob, is_cached, load_default, project

def test_a_stored_result_finishes_the_job_without_a_process():
    job = ProjectionJob("nb201", "arch2vec")
    assert job.state == "pending" and not job.done()
    with pytest.raises(ParameterError, match="never started; call start"):
        job.result()
    assert job.start() is job
    assert job.state == "done" and job.done() and job._process is None
    np.testing.assert_array_equal(job.result(timeout=0), load_default("nb201", "arch2vec"))
    assert job.params == {"space": "nb201", "embedding": "arch2vec", "method": "umap", **projection.DEFAULTS}
    assert not job.cancel() and job.state == "done"
    with pytest.raises(ParameterError, match="this job is done; a job starts once"):
        job.start()


def test_pca_job_runs_in_another_process_and_fills_the_cache(count_computes):
    assert not is_cached("nb201", "path", "pca")
    job = ProjectionJob("nb201", "path", method="pca").start()
    assert job.state == "running" and job._process.pid != os.getpid()
    xy = job.result(timeout=120)
    assert job.state == "done" and job.error is None and job.elapsed > 0
    assert xy.shape == (15_625, 2) and xy.dtype == np.float32 and not xy.flags.writeable
    assert is_cached("nb201", "path", "pca")
    np.testing.assert_array_equal(project("nb201", "path", method="pca"), xy)
    assert count_computes == []  # computed by the job's process, not here


def test_umap_job_is_cancelled_within_two_seconds():
    job = ProjectionJob("nb201", "onehot", n_neighbors=12).start()
    time.sleep(1.0)  # well into the child's imports (numpy, sklearn, umap)
    assert job.state == "running"
    pid = job._process.pid
    start = time.perf_counter()
    assert job.cancel() is True
    assert time.perf_counter() - start < 2.0
    assert job.state == "cancelled" and job.done()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the process is gone (and reaped)
    with pytest.raises(CancelledError, match="was cancelled"):
        job.result()
    assert job.cancel() is True  # cancelling again is harmless
    assert not is_cached("nb201", "onehot", n_neighbors=12)


def test_result_times_out_while_running():
    job = ProjectionJob("nb201", "onehot", n_neighbors=13).start()
    try:
        with pytest.raises(TimeoutError, match="not ready after 0.2 s"):
            job.result(timeout=0.2)
        assert job.state == "running"
    finally:
        job.cancel()


def test_a_failing_job_reports_its_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KTNAS_CACHE_DIR", str(blocker / "cache"))  # cannot be created: the save fails
    job = ProjectionJob("tnb101_micro", "onehot", method="pca").start()
    with pytest.raises(OSError):
        job.result(timeout=120)
    assert job.state == "failed" and isinstance(job.error, OSError)
