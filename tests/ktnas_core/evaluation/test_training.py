"""Real training as an evaluator: learning, caching, cancellation, progress, determinism, search and resume.

Everything trains small NB201 networks (C=4 or 8, N=1) on scikit-learn's 8x8 digits on the CPU.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from ktnas_core.errors import (DataIntegrityError, InvalidArchitectureError, KtnasError, ParameterError,
                               UnknownArchitectureError, UnknownTaskError)
from ktnas_core.search import Evaluated, make_strategy, read_events, resume, run_search
from ktnas_core.evaluation.training import (EpochInfo, TrainingEvaluator, TrainingStopped,
                                        training_evaluator_from_config)

pytestmark = pytest.mark.training  # real PyTorch training: left out of `make test-fast`

CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
POOL = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
DIGITS = {"name": "digits", "subset": 400}
SMALL = dict(epochs=2, C=4, N=1, device="cpu")


def small(**kwargs):
    return TrainingEvaluator({"digits": DIGITS}, **{**SMALL, **kwargs})


class CountingStop:
    """A stop flag that turns on at its ``at``-th check and counts the checks."""

    def __init__(self, at):
        self.at, self.checks = at, 0

    def is_set(self):
        self.checks += 1
        return self.checks >= self.at


def test_trained_cell_beats_chance_and_empty_cell_does_not():
    ev = TrainingEvaluator({"digits": {"name": "digits", "subset": 600}}, epochs=4, batch_size=32, C=8, N=1,
                           device="cpu")
    good, empty = ev.evaluate([CONV, NONE], "digits")
    assert good.score >= 80 and ev.details(CONV, "digits")["test_accuracy"] >= 80  # chance is 10 %
    assert empty.score <= 25 and ev.details(NONE, "digits")["test_accuracy"] <= 25
    assert ev.details(NONE, "digits")["train_loss"][-1] > 2.2  # ln(10) = 2.30: it learns nothing
    assert good.source == "train" and good.cost_s > 0 and ev.n_trained == 2
    assert ev.details(CONV, "digits")["params"] > ev.details(NONE, "digits")["params"]


def test_cache_returns_identical_results_without_training(tmp_path):
    ev = small(cache_dir=tmp_path)
    first, = ev.evaluate([POOL], "digits")
    t0 = time.perf_counter()
    again, = ev.evaluate([POOL], "digits")
    assert time.perf_counter() - t0 < 0.05 and again == first and (ev.n_trained, ev.n_cached) == (1, 1)
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1 and not list(tmp_path.glob("*.tmp"))
    record = json.loads(files[0].read_text())
    assert {"arch", "task", "score", "test_accuracy", "params", "seconds", "epochs", "seed"} <= set(record)
    assert (record["arch"], record["score"], record["epochs"]) == (POOL, first.score, 2)

    fresh = small(cache_dir=tmp_path)
    assert fresh.evaluate([POOL], "digits") == [first] and (fresh.n_trained, fresh.n_cached) == (0, 1)
    assert fresh.details(POOL, "digits") == ev.details(POOL, "digits")

    other = small(cache_dir=tmp_path, epochs=1)  # another training config is another key
    other.evaluate([POOL], "digits")
    assert other.n_trained == 1 and len(list(tmp_path.glob("*.json"))) == 2


def test_corrupted_cache_file_is_reported(tmp_path):
    small(cache_dir=tmp_path).evaluate([NONE], "digits")
    path, = tmp_path.glob("*.json")
    path.write_text('{"arch": "x"')
    with pytest.raises(DataIntegrityError, match="delete it to retrain"):
        small(cache_dir=tmp_path).evaluate([NONE], "digits")


def test_stop_raises_within_one_batch(tmp_path):
    stop = CountingStop(at=5)
    ev = small(stop=stop, cache_dir=tmp_path)
    with pytest.raises(TrainingStopped) as info:
        ev.evaluate([POOL], "digits")
    assert isinstance(info.value, KtnasError)
    assert info.value.batches_done == 4 and stop.checks == 5 and info.value.arch == POOL
    assert ev.n_trained == 0 and not list(tmp_path.glob("*.json"))  # the candidate in training is lost

    event = threading.Event()
    ev = small(stop=event)
    ev.evaluate([NONE], "digits")
    event.set()
    with pytest.raises(TrainingStopped, match="after 0 batches"):
        ev.evaluate([POOL], "digits")
    assert ev.evaluate([NONE], "digits")[0].score >= 0  # finished candidates are still answered


def test_on_epoch_reports_every_epoch():
    seen = []
    ev = small(epochs=3, on_epoch=seen.append)
    e, = ev.evaluate([POOL], "digits")
    assert [i.epoch for i in seen] == [1, 2, 3] and all(isinstance(i, EpochInfo) for i in seen)
    assert {(i.task, i.arch, i.epochs) for i in seen} == {("digits", POOL, 3)}
    assert seen[-1].valid_accuracy == e.score and seen[0].seconds < seen[1].seconds < seen[2].seconds
    assert [i.train_loss for i in seen] == ev.details(POOL, "digits")["train_loss"]
    with pytest.raises(AttributeError):
        seen[0].epoch = 9


def test_same_seed_same_score_other_seed_other_run():
    a, b, c = small(seed=3), small(seed=3), small(seed=4)
    runs = [(ev.evaluate([POOL], "digits")[0].score, ev.details(POOL, "digits")) for ev in (a, b, c)]
    assert runs[0][0] == runs[1][0] and runs[0][1]["train_loss"] == runs[1][1]["train_loss"]
    assert runs[0][1]["train_loss"] != runs[2][1]["train_loss"]


def test_config_round_trip_and_parameter_errors(tmp_path):
    ev = small(cache_dir=tmp_path, seed=2, lr=0.1)
    cfg = json.loads(json.dumps(ev.config()))
    assert cfg["kind"] == "train" and cfg["datasets"] == {"digits": DIGITS} and cfg["cache_dir"] == str(tmp_path)
    again = training_evaluator_from_config(cfg)
    assert again.config() == cfg and (again.lr, again.seed, again.C) == (0.1, 2, 4)
    with pytest.raises(ParameterError, match="kind 'train'"):
        training_evaluator_from_config({"kind": "table", "benchmark": "nb201"})
    for kwargs, message in [({"epochs": 0}, "epochs=0"), ({"lr": -1}, "lr=-1"), ({"device": "tpu"}, "tpu"),
                            ({"space": "nas"}, "'nas' cannot be trained"), ({"recipe": "x"}, "recipe='x'"), ({"workers": 0}, "workers=0"), ({"amp": 1}, "amp=1"),
                            ({"stop": True}, "stop=True"), ({"on_epoch": 3}, "on_epoch=3")]:
        with pytest.raises(ParameterError, match=message):
            small(**kwargs)
    with pytest.raises(ParameterError, match="datasets"):
        TrainingEvaluator({"a": {"nme": "digits"}})
    with pytest.raises(ParameterError, match="0 validation images"):
        TrainingEvaluator({"d": {"name": "digits", "valid_fraction": 0}}, device="cpu").evaluate([POOL], "d")
    with pytest.raises(UnknownTaskError, match="choose one of \\['digits'\\]"):
        ev.evaluate([POOL], "fashion")
    with pytest.raises(InvalidArchitectureError):
        ev.evaluate(["|conv~0|"], "digits")
    with pytest.raises(UnknownArchitectureError, match="evaluate it first"):
        ev.details(CONV, "digits")


def test_device_auto_and_lazy_torch():
    ev = small(device="auto")
    assert (ev.device == "cpu") == (ev.device_note == "no GPU: training on CPU will be slow")
    code = "import sys, ktnas_core.evaluation.training; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _search(ev, run_dir, **kwargs):
    strategy = make_strategy("ktnas", "nb201", ["digits-a", "digits-b"], warmup="random", population_size=3,
                             tournament_size=2, n_offspring=2, n_transfer=1)
    return run_search(strategy, ev, budget=9, seed=5, run_dir=run_dir, checkpoint_seconds=0, **kwargs)


def _two_tasks(**kwargs):
    datasets = {"digits-a": {"name": "digits", "subset": 250, "seed": 0},
                "digits-b": {"name": "digits", "subset": 250, "seed": 1}}
    return TrainingEvaluator(datasets, epochs=2, batch_size=16, C=4, N=1, device="cpu", **kwargs)


def test_search_then_stop_mid_training_and_resume_without_retraining(tmp_path):
    whole = _two_tasks(cache_dir=tmp_path / "cache-whole")
    res = _search(whole, tmp_path / "whole")
    assert res.reason == "budget" and {t.n_evals for t in res.tasks.values()} == {9}
    assert whole.n_trained == 18 and all(t.best_score > 30 for t in res.tasks.values())
    assert whole.details(res.tasks["digits-a"].best_arch, "digits-a")["dataset"]["seed"] == 0

    stop, epochs = threading.Event(), []

    def on_epoch(info):  # the 10th candidate (in generation 1) asks to stop after its first epoch of two
        epochs.append(info)
        if len(epochs) == 19:
            stop.set()

    ev = _two_tasks(cache_dir=tmp_path / "cache", stop=stop, on_epoch=on_epoch)
    stopped = _search(ev, tmp_path / "run", stop=stop)  # the stop seen between two batches ends the run cleanly
    assert stopped.reason == "stopped" and ev.n_trained == 9
    stop.clear()
    again = resume(tmp_path / "run", evaluator=ev, stop=stop)
    assert ev.n_trained == 18 and ev.n_cached == 3  # generation 1 is redone, its first 3 from the cache
    assert again.reason == "budget" and {t: (r.best_arch, r.best_score, r.n_evals) for t, r in again.tasks.items()} \
        == {t: (r.best_arch, r.best_score, r.n_evals) for t, r in res.tasks.items()}

    def stripped(run_dir):  # measured seconds differ between the two runs, all else must not
        return [(e.task, e.arch, e.score, e.n_evals_task, e.generation, e.new)
                for e in read_events(run_dir / "events.jsonl") if isinstance(e, Evaluated)]

    assert stripped(tmp_path / "run") == stripped(tmp_path / "whole")


@pytest.mark.parametrize("space, recipe", [("darts", "darts"), ("darts", "basic"), ("tnb101_micro", None)])
def test_darts_and_tnb101_cells_train_with_their_networks(space, recipe):
    from ktnas_core.networks import build_darts_network, build_tnb101_network, count_parameters
    from ktnas_core.spaces import get_space

    cell = get_space(space).sample(1)
    ev = TrainingEvaluator({"digits": {"name": "digits", "subset": 300}}, space=space, recipe=recipe, epochs=2,
                           C=8 if space == "tnb101_micro" else 4, N=1 if space == "tnb101_micro" else 3,
                           batch_size=32, device="cpu")
    e, = ev.evaluate([str(cell)], "digits")
    d = ev.details(cell, "digits")
    build = (lambda: build_tnb101_network(cell, C=8, N=1, num_classes=10, in_channels=1)) if space == "tnb101_micro" \
        else (lambda: build_darts_network(cell, C=4, layers=3, num_classes=10, in_channels=1))
    assert d["params"] == count_parameters(build())  # DARTS' auxiliary head is a training aid: not counted
    assert d["config"]["recipe"] == (recipe or "basic") and len(d["train_loss"]) == 2 and 0 <= e.score <= 100
    assert d["train_loss"][1] < d["train_loss"][0]  # it learns
