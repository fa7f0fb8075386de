"""A search that trains its candidates survives ``kill -9``: resumed, it trains no finished candidate again
and ends with the uninterrupted run's result and event log (timestamps and measured seconds aside).

Small NB201 networks (C=4, N=1) on two scikit-learn digits tasks, in a child process that is killed at
several points while it trains.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ktnas_core.cli import main
from ktnas_core.search import Evaluated, read_events

pytestmark = pytest.mark.training  # real PyTorch training: left out of `make test-fast`

ARGS = ["run", "--evaluator", "train", "--tasks", "digits,mnist", "--strategy", "ktnas", "--budget", "6",
        "--epochs", "2", "--subset", "150", "--width", "4", "--device", "cpu", "--population", "4",
        "--tournament", "2", "--seed", "3"]
CLI = "import sys; from ktnas_core.cli import main; sys.exit(main(sys.argv[1:]))"


def _evaluated(run_dir: Path) -> list:
    return [(e.task, e.arch, e.score, e.n_evals_task, e.generation, e.new)
            for e in read_events(run_dir / "events.jsonl") if isinstance(e, Evaluated)]


def _trained(run_dir: Path) -> dict[str, int]:
    """Cache file -> modification time: a candidate trained again would rewrite its file."""
    return {p.name: p.stat().st_mtime_ns for p in (run_dir / "trained").glob("*.json")}


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "run"
    assert main([*ARGS, "--out", str(out), "--json"]) == 0
    return out


@pytest.mark.parametrize("after", [2, 5, 9])
def test_kill_9_while_training_then_resume_trains_nothing_twice(whole, tmp_path, capsys, after):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", CLI, *ARGS, "--out", str(out), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # kill once `after` candidates are cached, most likely in the middle of the next one
        end = time.monotonic() + 120
        while len(_trained(out)) < after and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    before = _trained(out)
    assert after <= len(before) < len(_trained(whole))  # killed mid-run, with finished candidates on disk

    assert main(["resume", str(out), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["task"]: r["evals"] for r in rows} == {"digits": 6, "mnist": 6}
    after_resume = _trained(out)
    assert {k: after_resume[k] for k in before} == before  # no finished candidate was trained (written) again
    assert set(after_resume) == set(_trained(whole))  # the same candidates as the uninterrupted run
    assert _evaluated(out) == _evaluated(whole)
