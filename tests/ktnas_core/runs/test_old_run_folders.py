"""A run folder written before the package layout changed (ktnas_core.search held the run loop then)
still resumes, and ends exactly where an uninterrupted run of today's code ends.

``data/run-written-before-the-layout`` was written by the code of commit ae46cca: a KTNAS run on
NAS-Bench-201 (cifar10, cifar100; budget 40, seed 3) stopped after its third generation.  A run folder
stores names (``"kind": "table"``, ``"class": "MultiTaskEvolution"``), never module paths or pickles,
which is what keeps it readable across the move.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ktnas_core.runs import resume, run_search
from ktnas_core.search import TableEvaluator, make_strategy, read_events

OLD = Path(__file__).parent / "data" / "run-written-before-the-layout"


def stripped(run_dir):
    return [e.without_time() for e in read_events(run_dir / "events.jsonl")]


def test_the_old_folder_stores_no_module_path():
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(OLD.iterdir()))
    assert "ktnas_core" not in text and "pickle" not in text
    assert json.loads((OLD / "config.json").read_text())["strategy"]["class"] == "MultiTaskEvolution"


def test_a_run_folder_written_before_the_move_resumes_to_the_same_end(tmp_path):
    part = tmp_path / "part"
    shutil.copytree(OLD, part)
    assert stripped(part)[-1]["event"] == "RunFinished" and stripped(part)[-1]["reason"] == "stopped"
    # the preset of that time bred 5 children a generation (3 since the tuning-seed recheck); the folder keeps 5
    assert json.loads((OLD / "config.json").read_text())["strategy"]["params"]["n_offspring"] == 5
    full = run_search(make_strategy("ktnas", "nb201", ["cifar10", "cifar100"], n_offspring=5), TableEvaluator("nb201"),
                      budget=40, seed=3, run_dir=tmp_path / "full")
    assert resume(part) == full
    assert full.reason == "budget" and {t: r.n_evals for t, r in full.tasks.items()} == {"cifar10": 40, "cifar100": 40}
    assert stripped(part) == stripped(tmp_path / "full")
