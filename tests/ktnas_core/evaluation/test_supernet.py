"""Weight sharing as an evaluator: epochs per call, per-cell scores, learning, saved state, stop, search and resume.

Everything trains tiny DARTS supernets (C=4, 3 cells) on scikit-learn's 8x8 digits on the CPU
(one test on the MNIST sample).
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest

from ktnas_core.errors import (DataIntegrityError, InvalidArchitectureError, KtnasError, ParameterError,
                               UnknownArchitectureError, UnknownTaskError)
from ktnas_core.search import Evaluated, evaluator_from_config, make_strategy, read_events, resume, run_search
from ktnas_core.evaluation.supernet import SupernetEvaluator, supernet_evaluator_from_config
from ktnas_core.evaluation.trainer import EpochInfo, TrainingStopped
from ktnas_core.spaces import get_space

pytestmark = pytest.mark.training  # real PyTorch training: left out of `make test-fast`

DARTS = get_space("darts")
DIGITS = {"name": "digits", "subset": {"train": 128, "valid": 64}}
SMALL = dict(C=4, layers=3, batch_size=32, device="cpu", schedule_epochs=4)  # 4 batches an epoch
NB201 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def small(**kwargs):
    return SupernetEvaluator({"digits": DIGITS}, **{**SMALL, **kwargs})


def cells(seed, n=3):
    """``n`` random DARTS cells (strings), a different set for every ``seed``."""
    rng = np.random.default_rng(seed)
    return [str(DARTS.sample(rng)) for _ in range(n)]


def scores(evals):
    return [e.score for e in evals]


class CountingStop:
    """A stop flag that turns on at its ``at``-th check (never while ``at`` is None) and counts the checks."""

    def __init__(self, at=None):
        self.at, self.checks = at, 0

    def is_set(self):
        self.checks += 1
        return self.at is not None and self.checks >= self.at


def test_one_call_is_one_epoch_and_scored_cells_are_answered_without_training():
    stop = CountingStop()  # never set; counts the batches that start
    ev = small(pool_size=2, stop=stop)
    g1, g2 = cells(1), cells(2)
    first = ev.evaluate(g1, "digits")
    assert ev.epochs_trained("digits") == 1 and list(ev._state("digits").parents) == g1[1:]  # the last 2 scored
    assert [e.arch for e in first] == g1 and {(e.task, e.source) for e in first} == {("digits", "supernet")}
    assert all(0 <= e.score <= 100 and e.cost_s > 0 for e in first) and stop.checks == 4  # 128 images, 32 a batch

    again = ev.evaluate(list(reversed(g1)), "digits")  # only scored cells: no batch, same scores, no cost
    assert stop.checks == 4 and ev.epochs_trained("digits") == 1
    assert [(e.arch, e.score, e.cost_s) for e in again] == [(e.arch, e.score, 0.0) for e in reversed(first)]

    mixed = ev.evaluate([g1[0], *g2, g2[0]], "digits")  # new cells train one more epoch; old ones keep their score
    assert ev.epochs_trained("digits") == 2 and stop.checks == 8 and list(ev._state("digits").parents) == g2[1:]
    assert (mixed[0].score, mixed[0].cost_s) == (first[0].score, 0.0) and mixed[1] == mixed[-1]
    assert all(e.cost_s > 0 for e in mixed[1:])
    info = ev.details(g2[1], "digits")
    assert info == {"arch": g2[1], "task": "digits", "score": mixed[2].score, "epoch": 2,
                    "seconds": mixed[2].cost_s, "valid_images": 64}
    assert ev.details(DARTS.parse(g1[0]), "digits")["epoch"] == 1  # a genome works as well as its string
    with pytest.raises(UnknownArchitectureError, match="evaluate it first"):
        ev.details(cells(3)[0], "digits")


def test_each_cell_is_scored_alone_with_batch_statistics():
    import torch

    from ktnas_core.datasets import load_dataset
    from ktnas_core.torch_session import torch_session

    ds = load_dataset("digits", subset=DIGITS["subset"])
    x, y = torch.as_tensor(ds.x_valid), torch.as_tensor(ds.y_valid)
    for valid_batches, n_valid in [(None, 64), (1, 32)]:
        ev = small(valid_batches=valid_batches)
        mix = torch.randperm(len(y), generator=torch.Generator().manual_seed(ev.seed))[:n_valid]  # classes mixed
        x, y = torch.as_tensor(ds.x_valid)[mix], torch.as_tensor(ds.y_valid)[mix]
        evals = ev.evaluate(cells(4, 4), "digits")
        net = ev._state("digits").net
        assert net.training  # scored with each batch's BatchNorm statistics
        with torch_session(threads=1), torch.no_grad():
            for e in evals:
                genome = DARTS.parse(e.arch)
                correct = sum(int((net(x[s:s + 32], genome).argmax(1) == y[s:s + 32]).sum())
                              for s in range(0, n_valid, 32))
                assert e.score == 100.0 * correct / n_valid
                assert ev.details(e.arch, "digits")["valid_images"] == n_valid
        assert len(set(scores(evals))) > 1, scores(evals)  # not one pooled count shared by all cells


def test_supernet_learns_a_lineage_of_mutants():
    ev = SupernetEvaluator({"digits": {"name": "digits", "subset": {"train": 400, "valid": 128}}}, C=4, layers=3,
                           batch_size=32, lr=0.1, schedule_epochs=5, pool_size=4, device="cpu")
    rng = np.random.default_rng(0)
    lineage = [DARTS.sample(rng) for _ in range(2)]
    history = []
    for _ in range(5):  # each generation: one-gene mutants of the last one's cells, as an evolution makes them
        history.append(scores(ev.evaluate(lineage, "digits")))
        lineage = [DARTS.mutate(c, rng, p=0.0) for c in lineage]
    assert ev.epochs_trained("digits") == 5
    assert min(history[-1]) >= 50 and np.mean(history[-1]) >= np.mean(history[0]) + 15, history  # chance: 10 %


def test_mnist_sample_trains_a_supernet():
    ev = SupernetEvaluator({"mnist": {"name": "mnist", "subset": {"train": 300, "valid": 200, "test": 100}}},
                           C=4, layers=3, device="cpu")
    evals = ev.evaluate(cells(7, 2), "mnist")
    assert ev.epochs_trained("mnist") == 1 and ev._state("mnist").net.stem[0].in_channels == 1
    for e in evals:
        assert ev.details(e.arch, "mnist")["valid_images"] == 200 and (e.score * 2) % 1 == 0  # k / 200 images


GENS = [cells(11), cells(12), cells(13)]


@functools.lru_cache(maxsize=None)
def uninterrupted():
    """Scores of the three generations ``GENS`` and the parents after them, from one evaluator without breaks."""
    ev = small()
    return [scores(ev.evaluate(g, "digits")) for g in GENS], list(ev._state("digits").parents)


def test_state_dir_resumes_with_the_same_weights(tmp_path):
    (s1, s2, s3), parents = uninterrupted()
    first = small(state_dir=tmp_path)
    assert [scores(first.evaluate(g, "digits")) for g in GENS[:2]] == [s1, s2]
    assert len(list(tmp_path.glob("supernet-digits-*.pt"))) == 1 and not list(tmp_path.glob("*.tmp"))

    fresh = small(state_dir=tmp_path)
    assert fresh.epochs_trained("digits") == 2
    assert [(e.arch, e.score, e.cost_s) for e in fresh.evaluate(GENS[0], "digits")] == [
        (a, s, 0.0) for a, s in zip(GENS[0], s1)]  # answered from the saved scores
    assert fresh.epochs_trained("digits") == 2 and fresh.details(GENS[1][0], "digits") == first.details(
        GENS[1][0], "digits")
    assert scores(fresh.evaluate(GENS[2], "digits")) == s3 and fresh.epochs_trained("digits") == 3
    assert list(fresh._state("digits").parents) == parents

    assert scores(small(seed=1).evaluate(GENS[0], "digits")) != s1  # another seed is another supernet


@pytest.mark.parametrize("saved", [True, False])
def test_stop_mid_epoch_drops_that_epoch_only(tmp_path, saved):
    (s1, s2, _), _ = uninterrupted()
    stop = CountingStop()
    ev = small(stop=stop, state_dir=tmp_path if saved else None)
    assert scores(ev.evaluate(GENS[0], "digits")) == s1
    stop.at = stop.checks + 3  # the stop comes before the third of four batches
    with pytest.raises(TrainingStopped, match="after 2 batches") as info:
        ev.evaluate(GENS[1], "digits")
    assert isinstance(info.value, KtnasError)
    assert (info.value.task, info.value.arch, info.value.epoch, info.value.batches_done) == ("digits", "supernet", 1, 2)
    assert ev.epochs_trained("digits") == 1 and [(e.score, e.cost_s) for e in ev.evaluate(GENS[0], "digits")] == [
        (s, 0.0) for s in s1]  # scores stay final
    with pytest.raises(UnknownArchitectureError):
        ev.details(GENS[1][0], "digits")
    stop.at = None
    assert scores(ev.evaluate(GENS[1], "digits")) == s2 and ev.epochs_trained("digits") == 2


def test_corrupted_or_foreign_state_file_is_reported(tmp_path):
    small(state_dir=tmp_path).evaluate(cells(31, 2), "digits")
    path, = tmp_path.glob("supernet-*.pt")
    both = SupernetEvaluator({"digits": DIGITS, "other": DIGITS}, state_dir=tmp_path, **SMALL)
    foreign = both._path("other")
    foreign.write_bytes(path.read_bytes())  # a valid file of another task
    with pytest.raises(DataIntegrityError, match="task 'digits'"):
        both.evaluate(cells(31, 2), "other")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataIntegrityError, match=f"{path.name}.*delete it"):
        small(state_dir=tmp_path).epochs_trained("digits")


def test_config_round_trip_and_parameter_errors(tmp_path):
    ev = small(state_dir=tmp_path, seed=2, lr=0.05, valid_batches=3, pool_size=5)
    cfg = json.loads(json.dumps(ev.config()))
    assert cfg["kind"] == "supernet" and cfg["datasets"] == {"digits": DIGITS} and cfg["state_dir"] == str(tmp_path)
    for again in (supernet_evaluator_from_config(cfg), evaluator_from_config(cfg)):
        assert type(again) is SupernetEvaluator and again.config() == cfg
        assert (again.C, again.layers, again.lr, again.seed, again.valid_batches, again.pool_size) == (
            4, 3, 0.05, 2, 3, 5)
    seen = []
    assert cfg["rescore_parents"] is True and ev.scores_drift
    older = {k: v for k, v in cfg.items() if k != "rescore_parents"}  # a run saved before parents were rescored
    assert not supernet_evaluator_from_config(older).scores_drift
    assert not small(rescore_parents=False).scores_drift
    hooked = evaluator_from_config(cfg, on_epoch=seen.append, stop=CountingStop())
    assert hooked.on_epoch == seen.append and hooked.config() == cfg
    with pytest.raises(ParameterError, match="kind 'supernet'"):
        supernet_evaluator_from_config({"kind": "train"})
    for kwargs, message in [({"C": 0}, "C=0"), ({"layers": 2}, "layers=2"), ({"lr": 0}, "lr=0"),
                            ({"lr": math.inf}, "lr=inf"), ({"lr": True}, "lr=True"),
                            ({"valid_batches": 0}, "valid_batches=0"), ({"pool_size": -1}, "pool_size=-1"),
                            ({"batch_size": 0}, "batch_size=0"), ({"schedule_epochs": 0}, "schedule_epochs=0"),
                            ({"device": "tpu"}, "tpu"), ({"amp": 1}, "amp=1"), ({"stop": True}, "stop=True"),
                            ({"on_epoch": 3}, "on_epoch=3"), ({"subset": 0}, "subset=0"),
                            ({"rescore_parents": "yes"}, "rescore_parents='yes'"),
                            ({"warmup_epochs": -1}, "warmup_epochs=-1")]:
        with pytest.raises(ParameterError, match=message):
            small(**kwargs)
    for datasets in [{}, {"a": {"nme": "digits"}}, ["digits"]]:
        with pytest.raises(ParameterError, match="datasets"):
            SupernetEvaluator(datasets, device="cpu")
    with pytest.raises(UnknownTaskError, match="choose one of \\['digits'\\]"):
        ev.evaluate(cells(1), "fashion")
    with pytest.raises(InvalidArchitectureError):
        ev.evaluate([NB201], "digits")
    assert not list(tmp_path.iterdir())  # nothing was trained


def test_on_epoch_reports_every_supernet_epoch():
    seen = []
    ev = small(on_epoch=seen.append, pool_size=0)
    g1, g2 = cells(41), cells(42)
    firsts = ev.evaluate(g1, "digits")
    ev.evaluate(g1, "digits")  # nothing new: no epoch
    seconds = ev.evaluate(g2, "digits")
    assert [i.epoch for i in seen] == [1, 2] and all(isinstance(i, EpochInfo) for i in seen)
    assert {(i.task, i.arch, i.epochs) for i in seen} == {("digits", "supernet", 4)}
    assert [i.valid_accuracy for i in seen] == [max(scores(firsts)), max(scores(seconds))]
    assert all(0 < i.train_loss < 10 and i.seconds > 0 for i in seen)
    assert seen[0].train_loss > 1.5  # the first epoch starts near ln(10) = 2.3
    assert list(ev._state("digits").parents) == []  # pool_size=0: only each call's new cells train


TWO_TASKS = {t: {"name": "digits", "subset": {"train": 64, "valid": 32}, "seed": i} for i, t in enumerate("ab")}
SEARCH = dict(C=4, layers=3, batch_size=16, device="cpu", schedule_epochs=6)  # 4 batches per epoch


def _search(ev, run_dir, **kwargs):
    strategy = make_strategy("ktnas", "darts", ["a", "b"], population_size=6, n_offspring=6)
    return run_search(strategy, ev, max_generations=3, seed=0, run_dir=run_dir, checkpoint_seconds=0, **kwargs)


def _evaluated(run_dir):
    return [(e.task, e.arch, e.score, e.n_evals_task, e.generation, e.new)
            for e in read_events(run_dir / "events.jsonl") if isinstance(e, Evaluated)]


def test_search_then_stop_mid_epoch_and_resume(tmp_path):
    whole = SupernetEvaluator(TWO_TASKS, **SEARCH)
    res = _search(whole, tmp_path / "whole")
    assert res.reason == "generations" and res.generations == 3
    # one epoch per generation, although KTNAS evaluates transferred cells and children in two calls
    assert {t: whole.epochs_trained(t) for t in ("a", "b")} == {"a": 3, "b": 3}
    for t, r in res.tasks.items():
        assert r.n_evals >= 18 and whole.details(r.best_arch, t)["score"] == r.best_score > 10

    class Recording(SupernetEvaluator):
        def evaluate(self, archs, task):
            try:
                return super().evaluate(archs, task)
            except TrainingStopped as exc:
                self.stopped = exc
                raise

    epochs = []
    stop = CountingStop()

    def on_epoch(info):  # after the 5th supernet epoch, stop inside the next one
        epochs.append(info)
        if len(epochs) == 5:
            stop.at = stop.checks + 4  # at most two checks of the driver, then the evaluator's batches

    ev = Recording(TWO_TASKS, **SEARCH, state_dir=tmp_path / "state", stop=stop, on_epoch=on_epoch)
    stopped = _search(ev, tmp_path / "run", stop=stop)
    assert stopped.reason == "stopped" and 1 <= ev.stopped.batches_done <= 3 and len(epochs) == 5  # mid-epoch

    again = resume(tmp_path / "run")  # the evaluator comes back from config.json, with its state_dir
    assert again.reason == "generations" and again.generations == 3
    assert {t: (r.best_arch, r.best_score, r.n_evals) for t, r in again.tasks.items()} == {
        t: (r.best_arch, r.best_score, r.n_evals) for t, r in res.tasks.items()}
    assert _evaluated(tmp_path / "run") == _evaluated(tmp_path / "whole")


def test_rescore_ranks_every_scored_cell_with_the_current_weights():
    ev = small()
    first = ev.evaluate(cells(1), "digits")
    last = ev.evaluate(cells(2), "digits")  # a second epoch: the first cells' scores are one epoch old
    assert ev.scored_cells("digits") == [e.arch for e in first + last]
    again = ev.rescore([e.arch for e in last], "digits")
    assert again == scores(last)  # no training since: the same weights, the same images, the same scores
    now = ev.rescore([e.arch for e in first], "digits")
    assert all(0 <= s <= 100 for s in now) and ev.epochs_trained("digits") == 2
    assert [ev.details(e.arch, "digits")["score"] for e in first] == scores(first)  # recorded scores unchanged
    with pytest.raises(UnknownTaskError):
        ev.rescore([first[0].arch], "nope")


def test_rescore_is_computed_once_per_epoch(monkeypatch):
    ev = small()
    first = [e.arch for e in ev.evaluate(cells(1), "digits")]
    calls = []
    real = SupernetEvaluator._score
    monkeypatch.setattr(SupernetEvaluator, "_score", staticmethod(lambda *a: calls.append(1) or real(*a)))
    once = ev.rescore(first, "digits")
    assert ev.rescore(first + first[:1], "digits") == once + once[:1] and len(calls) == 3  # same weights: kept
    ev.evaluate(cells(2), "digits")  # one more epoch: 3 new cells scored, the old ones are stale again
    ev.rescore(first, "digits")
    assert len(calls) == 9


@pytest.mark.parametrize("rescore_parents", [True, False])
def test_a_search_compares_parents_and_children_with_the_same_weights(rescore_parents):
    ev = SupernetEvaluator(TWO_TASKS, **SEARCH, rescore_parents=rescore_parents)
    strategy = make_strategy("ktnas", "darts", ["a", "b"], population_size=6, n_offspring=6)
    run_search(strategy, ev, max_generations=3, seed=0)
    for t in ("a", "b"):
        kept = strategy.populations[t]
        recorded = [ev.details(a, t)["score"] for a, _, _ in kept]
        if rescore_parents:  # every member's fitness is its accuracy with the final weights
            assert [s for _, s, _ in kept] == ev.rescore([a for a, _, _ in kept], t)
        else:  # each member keeps the score it got when it was first scored
            assert [s for _, s, _ in kept] == recorded


def test_warmup_epochs_train_random_cells_before_the_first_generation(tmp_path):
    seen, stop = [], CountingStop()
    ev = small(warmup_epochs=2, on_epoch=seen.append, stop=stop)
    first = ev.evaluate(cells(1), "digits")
    assert ev.epochs_trained("digits") == 3 and [(i.epoch, i.epochs) for i in seen] == [(1, 6), (2, 6), (3, 6)]
    assert [i.valid_accuracy for i in seen] == [None, None, max(scores(first))]  # warm-up epochs score no cell
    assert stop.checks == 3 * 4  # 4 batches an epoch
    ev.evaluate(cells(2), "digits")
    assert ev.epochs_trained("digits") == 4 and len(seen) == 4  # later generations: one epoch each
    cold = small(on_epoch=seen.append)
    cold.evaluate(cells(1), "digits")
    assert cold.epochs_trained("digits") == 1 and scores(cold.evaluate(cells(1), "digits")) != scores(first)
    again = small(warmup_epochs=2)  # the warm-up is seeded: the same weights, the same scores
    assert scores(again.evaluate(cells(1), "digits")) == scores(first)
    stopped = small(warmup_epochs=2, stop=CountingStop(at=6), state_dir=tmp_path)  # inside the 2nd warm-up epoch
    with pytest.raises(TrainingStopped):
        stopped.evaluate(cells(1), "digits")
    assert stopped.epochs_trained("digits") == 0 and not list(tmp_path.iterdir())  # nothing half-done is kept
