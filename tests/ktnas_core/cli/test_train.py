"""``ktnas run --evaluator train``: a search that trains each candidate on real data (digits, CPU)."""

import json

import pytest

from ktnas_core.cli import main
from ktnas_core.search import Evaluated, read_events

pytestmark = pytest.mark.training  # real PyTorch training: left out of `make test-fast`

TRAIN = ["run", "--evaluator", "train", "--tasks", "digits", "--strategy", "rea", "--budget", "3", "--epochs", "2",
         "--subset", "600"]


def _rows(capsys):
    return json.loads(capsys.readouterr().out)["rows"]


def test_train_run_report_and_resume_without_retraining(tmp_path, capsys):
    out = tmp_path / "t"
    assert main([*TRAIN, "--out", str(out), "--json"]) == 0
    rows = _rows(capsys)
    (row,) = rows
    assert row["benchmark"] == "train" and row["task"] == "digits" and row["evals"] == 3
    assert 10 < row["valid"] <= 100 and 0 <= row["test"] <= 100 and row["rank"] is None
    evaluated = [e for e in read_events(out / "events.jsonl") if isinstance(e, Evaluated)]
    assert max(e.score for e in evaluated) == row["valid"] and all(e.cost_s > 0 for e in evaluated)
    assert len(list((out / "trained").glob("*.json"))) == 3  # every candidate cached
    config = json.loads((out / "config.json").read_text())
    assert config["evaluator"]["kind"] == "train" and config["evaluator"]["epochs"] == 2
    assert main(["report", str(out), "--json"]) == 0
    assert _rows(capsys) == rows
    assert main(["resume", str(out), "--json"]) == 0  # rebuilt from config.json, answered by the cache
    assert _rows(capsys)[0]["best_cell"] == row["best_cell"]


@pytest.mark.parametrize("args, message", [
    (["run", "--tasks", "cifar10", "--strategy", "rea"], "--benchmark is required with --evaluator table"),
    (["run", "--evaluator", "train", "--benchmark", "nb201", "--tasks", "digits", "--strategy", "rea"],
     "--benchmark applies to --evaluator table"),
    (["run", "--evaluator", "train", "--tasks", "cifar1000", "--strategy", "rea"],
     "task 'cifar1000' is not a data set; with --evaluator train choose from"),
    ([*TRAIN, "--epochs", "0"], "--epochs 0 is out of range; allowed: an integer >= 1"),
    ([*TRAIN, "--subset", "0"], "--subset 0 is out of range"),
    ([*TRAIN, "--workers", "0"], "--workers 0 is out of range"),
    ([*TRAIN, "--space", "darts", "--cells", "2"], "N=2 is out of range; allowed: an integer >= 3"),
    (["run", "--evaluator", "supernet", "--tasks", "digits", "--strategy", "ktnas", "--space", "nb201"],
     "--evaluator supernet searches the darts space"),
])
def test_one_line_errors_before_anything_is_written(tmp_path, capsys, args, message):
    out = tmp_path / "x"
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ktnas: error: ") and message in err and err.count("\n") == 1
    assert not out.exists() or not any(out.iterdir())


def test_darts_cells_train_and_a_supernet_search_reports(tmp_path, capsys):
    out = tmp_path / "d"
    assert main(["run", "--evaluator", "train", "--dataset", "digits", "--space", "darts", "--strategy", "random",
                 "--budget", "2", "--epochs", "1", "--subset", "200", "--width", "4", "--cells", "3",
                 "--out", str(out), "--json"]) == 0
    (row,) = _rows(capsys)
    assert row["evals"] == 2 and row["best_cell"].startswith("normal:") and 0 <= row["test"] <= 100
    assert json.loads((out / "config.json").read_text())["evaluator"]["space"] == "darts"

    out = tmp_path / "s"
    assert main(["run", "--evaluator", "supernet", "--tasks", "digits,mnist", "--strategy", "ktnas",
                 "--max-generations", "2", "--population", "4", "--tournament", "2", "--subset", "200",
                 "--width", "4", "--cells", "3", "--out", str(out), "--json"]) == 0
    rows = _rows(capsys)
    assert [r["task"] for r in rows] == ["digits", "mnist"] and all(r["evals"] >= 4 for r in rows)
    assert all(r["best_cell"].startswith("normal:") and 0 < r["valid"] <= 100 and r["test"] is None for r in rows)
    assert len(list((out / "supernet").glob("supernet-*.pt"))) == 2
    assert main(["report", str(out), "--json"]) == 0 and _rows(capsys) == rows
