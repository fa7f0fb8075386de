"""The search loop: counting, determinism, checkpoints and resume, the stop flag, sanity of results."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from ktnas_core.errors import DataIntegrityError, ParameterError, UnknownTaskError
from ktnas_core.search import (Evaluated, GenerationDone, RandomSearch, RegularizedEvolution, RunFailed,
                               RunFinished, RunStarted, TableEvaluator, read_events, resume, run_search)

TASKS = ("cifar10", "cifar100", "ImageNet16-120")


@pytest.fixture(scope="module")
def ev():
    return TableEvaluator("nb201")


def strategies(kind="rea"):
    if kind == "rea":
        return {t: RegularizedEvolution("nb201") for t in TASKS}
    return {t: RandomSearch("nb201", batch_size=7) for t in TASKS}


def stripped(run_dir):
    return [e.without_time() for e in read_events(run_dir / "events.jsonl")]


class Repeater(RandomSearch):
    """Asks the same three cells every generation."""

    def ask(self):
        return [self.space.from_index(i) for i in (1, 2, 1)]


class NoOptimum:
    """An evaluator that knows nothing of the optimum."""

    def evaluate(self, archs, task):
        return TableEvaluator("nb201").evaluate(archs, task)


def test_repeated_queries_are_free(ev):
    seen = []
    res = run_search({"cifar10": Repeater("nb201")}, ev, max_generations=4, callbacks=[seen.append])
    evals = [e for e in seen if isinstance(e, Evaluated)]
    assert len(evals) == 12 and sum(e.new for e in evals) == 2
    assert res.tasks["cifar10"].n_evals == 2 and [e.n_evals_task for e in evals[:4]] == [1, 2, 2, 2]
    assert res.tasks["cifar10"].cost_s == pytest.approx(sum(e.cost_s for e in evals))
    assert all(e.cost_s == 0.0 for e in evals if not e.new)


def test_budget_counts_per_task(ev):
    res = run_search(strategies("random"), ev, budget=30, seed=3)
    assert res.reason == "budget"
    assert {t: r.n_evals for t, r in res.tasks.items()} == dict.fromkeys(TASKS, 30)


def test_event_sequence_and_best(ev):
    seen = []
    res = run_search(strategies(), ev, max_generations=3, seed=0, callbacks=[seen.append])
    assert isinstance(seen[0], RunStarted) and seen[-1] == RunFinished("generations")
    gens = [e for e in seen if isinstance(e, GenerationDone)]
    assert [g.generation for g in gens] == [0, 1, 2] and res.generations == 3
    for t in TASKS:
        scores = [e.score for e in seen if isinstance(e, Evaluated) and e.task == t]
        assert gens[-1].best[t]["score"] == max(scores) == res.tasks[t].best_score


def test_same_seed_same_log_in_another_process(tmp_path, ev):
    code = ("import sys; from ktnas_core.search import *; "
            "run_search({t: RegularizedEvolution('nb201') for t in ('cifar10', 'cifar100', 'ImageNet16-120')}, "
            "TableEvaluator('nb201'), max_generations=40, seed=7, run_dir=sys.argv[1])")
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True, timeout=120)
    run_search(strategies(), ev, max_generations=40, seed=7, run_dir=tmp_path / "c")
    assert stripped(tmp_path / "a") == stripped(tmp_path / "b") == stripped(tmp_path / "c")
    run_search(strategies(), ev, max_generations=40, seed=8, run_dir=tmp_path / "d")
    assert stripped(tmp_path / "d") != stripped(tmp_path / "a")


def _stop_after(stop, predicate):
    def cb(event):
        if predicate(event):
            stop.set()
    return cb


@pytest.mark.parametrize("kind", ["rea", "random"])
@pytest.mark.parametrize("where", ["generation", "mid-generation"])
def test_resume_equals_uninterrupted(tmp_path, ev, kind, where):
    opts = dict(budget=60, max_generations=200, stop_on_optimum=True, seed=11)
    full = run_search(strategies(kind), ev, run_dir=tmp_path / "full", **opts)
    stop = threading.Event()
    if where == "generation":
        cb = _stop_after(stop, lambda e: isinstance(e, GenerationDone) and e.generation == 5)
    else:
        cb = _stop_after(stop, lambda e: isinstance(e, Evaluated) and e.task == "cifar100" and e.n_evals_task == 33)
    part = run_search(strategies(kind), ev, run_dir=tmp_path / "part", callbacks=[cb], stop=stop, **opts)
    assert part.reason == "stopped" and part.generations < full.generations
    again = resume(tmp_path / "part")
    assert again == full
    assert stripped(tmp_path / "part") == stripped(tmp_path / "full")
    assert resume(tmp_path / "part") == full  # resuming a finished run is idempotent
    assert stripped(tmp_path / "part") == stripped(tmp_path / "full")


def test_resume_after_a_crash(tmp_path, ev):
    opts = dict(max_generations=30, seed=2)
    full = run_search(strategies(), ev, run_dir=tmp_path / "full", **opts)

    def crash(event):
        if isinstance(event, Evaluated) and event.generation == 17 and event.task == "cifar100":
            raise RuntimeError("power cut")
    with pytest.raises(RuntimeError, match="power cut"):
        run_search(strategies(), ev, run_dir=tmp_path / "part", callbacks=[crash], **opts)
    assert isinstance(list(read_events(tmp_path / "part" / "events.jsonl"))[-1], RunFailed)
    assert resume(tmp_path / "part") == full
    assert stripped(tmp_path / "part") == stripped(tmp_path / "full")


def test_corrupted_checkpoint_is_reported(tmp_path, ev):
    run_search(strategies(), ev, max_generations=3, seed=0, run_dir=tmp_path / "r")
    (tmp_path / "r" / "checkpoint.json").write_text('{"version": 1, "generation"')
    with pytest.raises(DataIntegrityError, match=r"checkpoint.json is unreadable or corrupted"):
        resume(tmp_path / "r")
    (tmp_path / "r" / "checkpoint.json").write_text(json.dumps({"version": 99}))
    with pytest.raises(DataIntegrityError, match="format version 99"):
        resume(tmp_path / "r")
    with pytest.raises(DataIntegrityError, match="does not exist"):
        resume(tmp_path / "nowhere")


def test_stop_flag_is_honoured_promptly(ev):
    class Slow(TableEvaluator):
        def evaluate(self, archs, task):
            time.sleep(0.005)
            return super().evaluate(archs, task)

    stop, seen = threading.Event(), []
    out = {}
    worker = threading.Thread(target=lambda: out.update(r=run_search(
        {"cifar10": RandomSearch("nb201", batch_size=10)}, Slow("nb201"), budget=100000, seed=0, stop=stop,
        callbacks=[seen.append])))
    worker.start()
    time.sleep(0.3)
    stop.set()
    t0 = time.perf_counter()
    worker.join(5)
    assert not worker.is_alive() and time.perf_counter() - t0 < 0.5
    assert out["r"].reason == "stopped" and seen[-1] == RunFinished("stopped")
    n = out["r"].tasks["cifar10"].n_evals  # a call of 10 cells takes 5 ms: about 600 in 0.3 s
    assert 0 < n < 2000  # stopped between two generations' batches


@pytest.mark.parametrize("kwargs, error, match", [
    ({"budget": 0}, ParameterError, r"budget=0 is out of range; allowed: an integer >= 1"),
    ({"max_generations": -1}, ParameterError, r"max_generations=-1 is out of range"),
    ({"max_generations": 3, "seed": "x"}, ParameterError, r"seed='x' is out of range"),
    ({}, ParameterError, "the run would never end"),
    ({"budget": 5, "checkpoint_every": 0}, ParameterError, r"checkpoint_every=0 is out of range"),
    ({"budget": 5, "stop_on_optimum": 1}, ParameterError, "stop_on_optimum=1 must be True or False"),
])
def test_driver_parameters_validated(ev, kwargs, error, match):
    with pytest.raises(error, match=match):
        run_search({"cifar10": RandomSearch("nb201")}, ev, **kwargs)


def test_driver_rejects_bad_inputs(tmp_path, ev):
    with pytest.raises(UnknownTaskError, match="'cifar1000' is not in nb201"):
        run_search({"cifar1000": RandomSearch("nb201")}, ev, budget=3)
    with pytest.raises(ParameterError, match="must be a non-empty dict"):
        run_search({}, ev, budget=3)
    with pytest.raises(ParameterError, match="pass a ktnas Strategy"):
        run_search({"cifar10": object()}, ev, budget=3)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(ParameterError, match="is not empty"):
        run_search({"cifar10": RandomSearch("nb201")}, ev, budget=3, run_dir=tmp_path / "full")
    with pytest.raises(ParameterError, match="needs an evaluator with optimum_score"):
        run_search({"cifar10": RandomSearch("nb201")}, NoOptimum(), stop_on_optimum=True)
    with pytest.raises(ParameterError, match="has no evaluate"):
        run_search({"cifar10": RandomSearch("nb201")}, object(), budget=3)


def test_rea_needs_far_fewer_evaluations_than_random(ev):
    found = {"rea": [], "random": []}
    for seed in range(5):
        for kind, make in (("rea", RegularizedEvolution), ("random", RandomSearch)):
            res = run_search({"cifar10": make("nb201")}, ev, stop_on_optimum=True, budget=15625, seed=seed,
                             max_generations=100_000)
            at = res.tasks["cifar10"].optimum_at
            found[kind].append(15625 if at is None else at)
            if at is not None:
                assert res.tasks["cifar10"].best_score == pytest.approx(ev.optimum_score("cifar10"))
    assert np.mean(found["rea"]) < np.mean(found["random"]) / 5
    assert 1000 < np.mean(found["random"]) < 15625  # about half the space on average (paper: 7,782)


KILL_SCRIPT = """
import os, signal, sys
from ktnas_core.search import *
n = [0]
def die(event):
    n[0] += 1
    if n[0] == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
run_search({t: {kind}("nb201") for t in ("cifar10", "cifar100", "ImageNet16-120")}, TableEvaluator("nb201"),
           max_generations=80, seed=int(sys.argv[3]), run_dir=sys.argv[1], callbacks=[die], checkpoint_every={every})
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("kind, every, seed, kill_at", [("RegularizedEvolution", 1, 0, 37),
                                                        ("RegularizedEvolution", 3, 1, 150),
                                                        ("RandomSearch", 4, 2, 111)])
def test_resume_after_kill_9(tmp_path, ev, kind, every, seed, kill_at):
    make = {"RegularizedEvolution": RegularizedEvolution, "RandomSearch": RandomSearch}[kind]
    full = run_search({t: make("nb201") for t in TASKS}, ev, max_generations=80, seed=seed,
                      run_dir=tmp_path / "full", checkpoint_every=every)
    code = KILL_SCRIPT.replace("{kind}", kind).replace("{every}", str(every))
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "part"), str(kill_at), str(seed)],
                          timeout=120)
    assert proc.returncode == -9
    assert resume(tmp_path / "part") == full
    assert stripped(tmp_path / "part") == stripped(tmp_path / "full")


class Drifting:
    """The NB-201 table plus the generation number: every answer grows as a supernet's would, so a score
    from an earlier generation is stale by exactly the generations since."""

    def __init__(self, drift):
        self.table, self.scores_drift, self.now = TableEvaluator("nb201"), drift, 0

    def begin_generation(self, generation):
        self.now = generation

    def evaluate(self, archs, task):
        return [dataclasses.replace(e, score=e.score + self.now) for e in self.table.evaluate(archs, task)]

    def rescore(self, archs, task):
        return [e.score for e in self.evaluate(archs, task)]


@pytest.mark.parametrize("preset", ["ktnas", "rea"])
@pytest.mark.parametrize("drift", [True, False])
def test_drifting_scores_are_refreshed_before_selection(preset, drift):
    from ktnas_core.search import make_strategy

    strategy = make_strategy(preset, "nb201", TASKS[:2], population_size=6, **(
        {"n_offspring": 6} if preset == "ktnas" else {"offspring": 3}))
    ev = Drifting(drift)
    run_search(strategy, ev, max_generations=6, seed=3)
    for task in TASKS[:2]:
        kept = strategy.populations[task] if preset == "ktnas" else [
            [str(a), s] for a, s in strategy.strategies[task].population]
        table = [e.score for e in ev.table.evaluate([m[0] for m in kept], task)]
        offsets = {round(m[1] - t, 9) for m, t in zip(kept, table)}
        if drift:  # every member carries the last generation's answer, and the ranking follows it
            assert offsets == {5.0}
            if preset == "ktnas":
                assert [m[1] for m in kept] == sorted((m[1] for m in kept), reverse=True)
        else:  # scores are kept from the generation a cell was first scored in
            assert offsets <= {float(g) for g in range(6)} and offsets != {5.0}
