"""The target's predictor inside the multi-task search: GCN, transfer screening, training data,
unevaluated transfers (on the real TransNAS-Bench-101 micro table)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ktnas_core import benchmarks
from ktnas_core.errors import ParameterError
from ktnas_core.search import (Evaluated, GenerationDone, MultiTaskEvolution, TableEvaluator, Transferred, read_events,
                               resume, run_search)
from ktnas_core.search.presets import make_strategy
from ktnas_core.search.screening import training_set

TNB = ("class_object", "class_scene", "room_layout")


@pytest.fixture(scope="module")
def ev():
    return TableEvaluator(benchmarks.load("tnb101_micro"))


def events_of(strategy, ev, **opts):
    seen = []
    res = run_search(strategy, ev, callbacks=[seen.append], **opts)
    return res, seen


def test_new_options_are_parameters_and_old_parameter_sets_still_build():
    s = make_strategy("ktnas", "tnb101_micro", TNB, predictor="gcn", transfer_pool=3, transfer_eval="predict",
                      predictor_data="all")
    params = s.get_params()
    assert (params["predictor"], params["transfer_pool"], params["transfer_eval"], params["predictor_data"]) == (
        "gcn", 3, "predict", "all")
    assert MultiTaskEvolution(**params).get_params() == params
    old = {k: v for k, v in make_strategy("ktnas", "tnb101_micro", TNB).get_params().items()
           if k not in ("transfer_pool", "transfer_eval", "predictor_data")}  # a run folder written before
    rebuilt = MultiTaskEvolution(**old)
    assert (rebuilt.transfer_pool, rebuilt.transfer_eval, rebuilt.predictor_data) == (1, "evaluate", "task")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"transfer_pool": 0}, "transfer_pool=0 is out of range"),
    ({"transfer_eval": "free"}, "transfer_eval='free' is not known; choose one of \\['evaluate', 'predict'\\]"),
    ({"predictor_data": "others"}, "predictor_data='others' is not known; choose one of \\['task', 'all'\\]"),
])
def test_new_options_are_validated(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        make_strategy("ktnas", "tnb101_micro", TNB, **kwargs)


def test_gcn_needs_a_cell_space():
    with pytest.raises(ParameterError, match="predictor='gcn' reads the cell graph of nb201 or tnb101_micro"):
        make_strategy("ktnas", "darts", ["cifar10", "cifar100"], screen="predictor", predictor="gcn")


def test_unevaluated_transfers_cost_nothing_and_never_join_the_population(ev):
    s = make_strategy("ktnas", "tnb101_micro", TNB, predictor="gcn", transfer_eval="predict")
    res, seen = events_of(s, ev, max_generations=4, seed=0)
    accepted = [e for e in seen if isinstance(e, Transferred) and e.accepted]
    assert len(accepted) == 3 * 3 * 4  # 3 targets x 3 generations x n_transfer
    for t in TNB:  # 10 initial cells, then the children of each generation: transfers are not evaluated
        assert res.tasks[t].n_evals == 10 + 3 * s.n_offspring
    assert all(len(m) == 10 and all(a in s.archive[t] for a, _, _ in m) for t, m in s.populations.items())


def test_evaluated_transfers_cost_an_evaluation_each(ev):
    s = make_strategy("ktnas", "tnb101_micro", TNB, predictor="gcn")
    res = run_search(s, ev, max_generations=4, seed=0)
    assert all(res.tasks[t].n_evals == 10 + 3 * (4 + s.n_offspring) for t in TNB)


def test_transfer_screening_changes_which_cells_cross(ev):
    picked = {}
    for pool in (1, 3):
        s = make_strategy("ktnas", "tnb101_micro", TNB, predictor="gcn", transfer_pool=pool)
        _, seen = events_of(s, ev, max_generations=4, seed=1)
        per = {}
        for e in seen:
            if isinstance(e, Transferred) and e.accepted:
                per.setdefault((e.generation, e.target), set()).add(e.arch)
        assert all(len(v) <= 4 for v in per.values())
        picked[pool] = per
    assert any(picked[1].get(k) != v for k, v in picked[3].items())


def test_training_set_maps_other_tasks_onto_the_target():
    archive = {"a": {"x": 1.0, "y": 3.0, "w": 2.0}, "b": {"x": -10.0, "z": 30.0}, "c": {"q": 5.0}}
    archs, y = training_set(archive, "a", "task", limit=2)
    assert archs == ["y", "w"] and y.tolist() == [3.0, 2.0]
    archs, y = training_set(archive, "a", "all", limit=10)
    assert archs == ["x", "y", "w", "x", "z"]  # "c" has a single score: no spread to map
    own = np.array([1.0, 3.0, 2.0])
    assert np.isclose(y[3:].mean(), own.mean()) and np.isclose(y[3:].std(), own.std())


@pytest.mark.parametrize("where", ["generation", "breed phase"])
def test_resume_equals_uninterrupted_with_every_new_option(tmp_path, ev, where):
    opts = dict(budget=40, max_generations=100, seed=5)
    kw = dict(predictor="gcn", transfer_pool=3, predictor_data="all")

    def strategy():
        return make_strategy("ktnas", "tnb101_micro", TNB, **kw)

    full = run_search(strategy(), ev, run_dir=tmp_path / "full", **opts)
    stop = threading.Event()
    if where == "generation":
        hit = lambda e: isinstance(e, GenerationDone) and e.generation == 2  # noqa: E731
    else:
        hit = lambda e: isinstance(e, Evaluated) and e.generation == 2 and e.task == TNB[2]  # noqa: E731
    part = run_search(strategy(), ev, run_dir=tmp_path / "part", stop=stop,
                      callbacks=[lambda e: stop.set() if hit(e) else None], **opts)
    assert part.reason == "stopped"
    assert resume(tmp_path / "part") == full
    strip = lambda d: [e.without_time() for e in read_events(d / "events.jsonl")]  # noqa: E731
    assert strip(tmp_path / "part") == strip(tmp_path / "full")
