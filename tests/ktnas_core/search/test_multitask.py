"""Multi-task evolution (KTNAS, its ablations, EMT-NAS style) on the real tables."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from ktnas_core import benchmarks
from ktnas_core.errors import ParameterError
from ktnas_core.search import (Evaluated, GenerationDone, MultiTaskEvolution, TableEvaluator, TransferLabelled,
                               Transferred, read_events, resume, run_search)
from ktnas_core.search.presets import BASE, STRATEGY_NAMES, make_strategy

NB = ("cifar10", "cifar100", "ImageNet16-120")
TNB = ("class_object", "class_scene", "room_layout")


@pytest.fixture(scope="module")
def nb201():
    return benchmarks.load("nb201")


@pytest.fixture(scope="module")
def ev(nb201):
    return TableEvaluator(nb201)


def stripped(run_dir):
    return [e.without_time() for e in read_events(run_dir / "events.jsonl")]


def events_of(strategy, ev, **opts):
    seen = []
    res = run_search(strategy, ev, callbacks=[seen.append], **opts)
    return res, seen


def test_transfer_events_follow_the_rules(ev):
    s = make_strategy("ktnas-paper", "nb201", NB)
    res, seen = events_of(s, ev, max_generations=12, seed=10)  # a run with both labels (positives are rare)
    transfers = [e for e in seen if isinstance(e, Transferred)]
    labels = [e for e in seen if isinstance(e, TransferLabelled)]
    assert transfers and labels and res.generations == 12
    assert min(e.generation for e in transfers) == 1  # generation 0 builds the populations
    for g in range(1, 12):
        for target in NB:
            mine = [e for e in transfers if e.generation == g and e.target == target]
            accepted = [e for e in mine if e.accepted]
            # candidates are the other populations' cells not yet evaluated on the target
            assert len(accepted) == min(4, len(mine)) and all(e.source != target for e in mine)
            assert len({e.arch for e in mine}) == len(mine)  # each candidate once
            if any(e.phi for e in mine):  # whole groups by descending phi, then a random fill
                assert min(e.phi for e in accepted) >= max((e.phi for e in mine if not e.accepted), default=-99)
    accepted_at = {(e.generation, e.target, e.arch) for e in transfers if e.accepted}
    assert all((e.generation, e.target, e.arch) in accepted_at and e.label in (-1, 1) for e in labels)
    assert {e.label for e in labels} == {-1, 1}


def test_transfers_are_evaluated_on_the_target_and_never_repeated(ev):
    res, seen = events_of(make_strategy("ktnas", "nb201", NB), ev, max_generations=15, seed=1)
    evaluated = {(e.task, e.arch) for e in seen if isinstance(e, Evaluated)}
    assert all((e.target, e.arch) in evaluated for e in seen if isinstance(e, Transferred) and e.accepted)
    # children and transfers already evaluated on a task are drawn again: every evaluation is new
    assert all(e.new for e in seen if isinstance(e, Evaluated))


@pytest.mark.parametrize("name", ["ktnas", "no-transfer", "emtnas"])
def test_elitist_population_is_the_best_of_everything_evaluated(ev, name):
    s = make_strategy(name, "nb201", NB)
    _, seen = events_of(s, ev, max_generations=9, seed=2)
    for t in NB:
        scores = {e.arch: e.score for e in seen if isinstance(e, Evaluated) and e.task == t}
        best = sorted(scores.values(), reverse=True)[:10]
        assert [m[1] for m in s.populations[t]] == best


def test_zero_cost_warmup_starts_from_the_proxys_best(nb201, ev):
    s = make_strategy("no-transfer", "nb201", NB)
    _, seen = events_of(s, ev, max_generations=1, seed=0)
    for t in NB:
        proxy = nb201.zero_cost(t)
        percentile = (proxy[None, :] <= proxy[[nb201.space.index(e.arch) for e in seen
                                                if isinstance(e, Evaluated) and e.task == t], None]).mean(1)
        assert percentile.min() > 0.95  # top 10 of 1000 random cells by synflow
    s = make_strategy("no-transfer", "nb201", NB, warmup="random")
    _, seen = events_of(s, ev, max_generations=1, seed=0)
    proxy = nb201.zero_cost("cifar10")
    picked = [nb201.space.index(e.arch) for e in seen if isinstance(e, Evaluated) and e.task == "cifar10"]
    assert (proxy[None, :] <= proxy[picked, None]).mean(1).min() < 0.95


def test_zero_cost_move_proposal_evaluates_the_proxys_best_children(nb201, ev):
    """Move proposal: k unexplored children per evaluated one, the synflow-best kept; no evaluation spent."""
    percentile, counts = {}, {}
    for k in (1, 10):
        s = make_strategy("zero-cost", "nb201", NB, screen_pool=k)
        res, seen = events_of(s, ev, max_generations=8, seed=2)
        children = [e for e in seen if isinstance(e, Evaluated) and e.generation >= 1]
        counts[k] = [res.tasks[t].n_evals for t in NB]
        assert all(n == 10 + 7 * s.n_offspring for n in counts[k])  # warm-up + the children: the proxy is free
        ranks = {t: (-nb201.zero_cost(t)).argsort().argsort() for t in NB}
        percentile[k] = np.mean([ranks[e.task][nb201.space.index(e.arch)] for e in children]) / len(nb201)
    assert percentile[10] < 0.5 * percentile[1]
    # the generation's children are the proxy's best of the k * n_offspring bred: compare with the pool itself
    s = make_strategy("zero-cost", "nb201", NB, screen_pool=4)
    run_search(s, ev, max_generations=3, seed=0)
    bred = {}
    s._screened = lambda task, pool: bred.setdefault(task, pool) and MultiTaskEvolution._screened(s, task, pool)
    kept = s.ask(list(NB))
    for t in NB:
        proxy = sorted((nb201.zero_cost(t)[nb201.space.index(nb201.space.parse(c))] for c, _ in bred[t]),
                       reverse=True)
        n = s.n_offspring
        assert len(bred[t]) == 4 * n and len(kept[t]) == n
        assert sorted(nb201.zero_cost(t)[[nb201.space.index(nb201.space.parse(c)) for c in kept[t]]],
                      reverse=True) == proxy[:n]


def test_move_proposal_with_k_1_is_the_plain_searcher(ev):
    runs = [run_search(make_strategy("no-transfer", "nb201", NB, screen=screen, screen_pool=1), ev,
                       max_generations=10, seed=5) for screen in (None, "zero_cost")]
    assert runs[0] == runs[1]
    old = make_strategy("no-transfer", "nb201", NB).get_params()
    assert old["screen"] == "zero_cost" and old["warmup"] == "zero_cost"


def test_no_transfer_emits_no_transfer_events_and_rmp_mates_across_tasks(ev):
    _, seen = events_of(make_strategy("no-transfer", "nb201", NB), ev, max_generations=5, seed=0)
    assert not any(isinstance(e, (Transferred, TransferLabelled)) for e in seen)
    s = make_strategy("emtnas", "nb201", NB, rmp=1.0)
    run_search(s, ev, max_generations=3, seed=0)
    own = {t: {m[0] for m in s.populations[t]} for t in NB}
    parents = s.ask(list(NB))  # the next generation's children and their parents
    assert parents and all(s._parents[t] for t in NB)
    for t in NB:
        others = set().union(*(own[u] for u in NB if u != t))
        assert all(set(ps) <= others for ps in s._parents[t].values())


def test_predictor_screening_picks_better_children():
    b = benchmarks.load("tnb101_micro")
    ranks = {t: b.ranks(t) for t in TNB}
    mean_rank = {}
    for screen in (None, "predictor"):
        values = []
        for seed in range(4):
            s = make_strategy("no-transfer", "tnb101_micro", TNB, screen=screen)
            _, seen = events_of(s, TableEvaluator(b), max_generations=6, seed=seed)
            values += [ranks[e.task][b.space.index(e.arch)] for e in seen
                       if isinstance(e, Evaluated) and e.generation >= 2]
        mean_rank[screen] = np.mean(values)
    assert mean_rank["predictor"] < 0.8 * mean_rank[None]  # 722 vs 982 (3 children a generation)


RESUME_CASES = [(space, tasks, name, where)
                for space, tasks, name in (("nb201", NB, "ktnas"), ("tnb101_micro", TNB, "ktnas"),
                                           ("nb201", NB, "emtnas"), ("nb201", NB, "best-transfer"))
                for where in ("generation", "transfer phase", "breed phase")
                if not (name == "emtnas" and where == "transfer phase")]  # emtnas has no transfer phase


@pytest.mark.parametrize("space, tasks, name, where", RESUME_CASES)
def test_resume_equals_uninterrupted(tmp_path, space, tasks, name, where):
    ev = TableEvaluator(space)
    opts = dict(budget=60, max_generations=100, seed=5)
    full = run_search(make_strategy(name, space, tasks), ev, run_dir=tmp_path / "full", **opts)
    stop = threading.Event()
    if where == "generation":
        hit = lambda e: isinstance(e, GenerationDone) and e.generation == 3  # noqa: E731
    elif where == "transfer phase":
        hit = lambda e: isinstance(e, Transferred) and e.generation == 3 and e.target == tasks[1]  # noqa: E731
    else:
        hit = lambda e: isinstance(e, Evaluated) and e.generation == 3 and e.task == tasks[2]  # noqa: E731
    cb = lambda e: stop.set() if hit(e) else None  # noqa: E731
    part = run_search(make_strategy(name, space, tasks), ev, run_dir=tmp_path / "part", callbacks=[cb],
                      stop=stop, **opts)
    assert part.reason == "stopped"
    assert resume(tmp_path / "part") == full
    assert stripped(tmp_path / "part") == stripped(tmp_path / "full")


def test_same_seed_same_log_in_another_process(tmp_path, ev):
    code = ("import sys; from ktnas_core.search import *; from ktnas_core.search.presets import make_strategy; "
            "run_search(make_strategy('ktnas', 'nb201', ['cifar10', 'cifar100', 'ImageNet16-120']), "
            "TableEvaluator('nb201'), max_generations=15, seed=9, run_dir=sys.argv[1])")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "a")], check=True, timeout=120)
    run_search(make_strategy("ktnas", "nb201", NB), ev, max_generations=15, seed=9, run_dir=tmp_path / "b")
    assert stripped(tmp_path / "a") == stripped(tmp_path / "b")
    run_search(make_strategy("ktnas", "nb201", NB), ev, max_generations=15, seed=10, run_dir=tmp_path / "c")
    assert stripped(tmp_path / "c") != stripped(tmp_path / "a")


KILL = """
import os, signal, sys
from ktnas_core.search import *
from ktnas_core.search.presets import make_strategy
n = [0]
def die(event):
    n[0] += 1
    if n[0] == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
run_search(make_strategy("ktnas", "nb201", ["cifar10", "cifar100", "ImageNet16-120"]), TableEvaluator("nb201"),
           max_generations=20, seed=3, run_dir=sys.argv[1], callbacks=[die])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_resume_after_kill_9(tmp_path, ev):
    full = run_search(make_strategy("ktnas", "nb201", NB), ev, max_generations=20, seed=3, run_dir=tmp_path / "f")
    proc = subprocess.run([sys.executable, "-c", KILL, str(tmp_path / "p"), "300"], timeout=120)
    assert proc.returncode == -9
    assert resume(tmp_path / "p") == full
    assert stripped(tmp_path / "p") == stripped(tmp_path / "f")


@pytest.mark.parametrize("space, tasks", [("nb201", NB), ("tnb101_micro", TNB)])
def test_every_named_strategy_runs(space, tasks):
    ev = TableEvaluator(space)
    for name in STRATEGY_NAMES:
        if name == "zero-cost" and space != "nb201":  # the paper's Zero row needs the shipped proxy
            with pytest.raises(ParameterError, match="strategy 'zero-cost' needs the shipped zero-cost proxy"):
                make_strategy(name, space, tasks)
            continue
        res = run_search(make_strategy(name, space, tasks), ev, budget=25, seed=0)
        assert res.reason == "budget" and all(t.n_evals == 25 for t in res.tasks.values()), name


def test_darts_preset_is_the_ga_of_table_i():
    s = make_strategy("ktnas", "darts", ["cifar10", "cifar100"])
    assert (s.population_size, s.tournament_size, s.crossover_rate, s.embedding) == (20, 2, 1.0, "onehot")
    s.reseed(0)
    first = s.ask(["cifar10", "cifar100"])
    assert [len(v) for v in first.values()] == [20, 20]
    assert BASE["darts"]["population_size"] == 20


@pytest.mark.parametrize("kwargs, match", [
    ({"population_size": 1}, r"population_size=1 is out of range; allowed: an integer in \[2, 10000\]"),
    ({"tournament_size": 11}, r"tournament_size=11 is out of range; allowed: an integer in \[1, 10\]"),
    ({"mutation_rate": 1.5}, r"mutation_rate=1.5 is out of range; allowed: a number in \[0, 1\]"),
    ({"mutation_rate": 0.0}, "would only clone parents"),
    ({"top": 0}, r"top=0 is out of range; allowed: a number in \(0, 1\]"),
    ({"transfer": "all"}, r"transfer='all' is not known; choose one of \['rank', 'random', 'best', 'none'\]"),
    ({"embedding": "cate"}, "embedding='cate' is not known"),
    ({"selection": "best"}, r"selection='best' is not known; choose one of \['elitist', 'aging'\]"),
    ({"warmup": "synflow"}, "warmup='synflow' is not known"),
    ({"screen": "gcn"}, "screen='gcn' is not known"),
    ({"predictor": "xgb"}, "predictor='xgb' is not known"),
    ({"rmp": -0.1}, "rmp=-0.1 is out of range"),
    ({"warmup_pool": 5}, r"warmup_pool=5 is out of range; allowed: an integer >= 10"),
    ({"tasks": []}, "tasks=\\[\\] must be a non-empty list"),
    ({"tasks": ["cifar10", "cifar10"]}, "must name each task once"),
    ({"skip_nonpositive": 1}, "skip_nonpositive=1 must be True or False"),
])
def test_parameters_are_validated(kwargs, match):
    params = {"tasks": list(NB), **kwargs}
    with pytest.raises(ParameterError, match=match):
        MultiTaskEvolution("nb201", **params)


def test_space_specific_errors():
    with pytest.raises(ParameterError, match="warmup='zero_cost' and screen='zero_cost' need a benchmark with a shipped proxy"):
        MultiTaskEvolution("tnb101_micro", list(TNB), warmup="zero_cost")
    with pytest.raises(ParameterError, match="embedding='node2vec' needs a finite space"):
        MultiTaskEvolution("darts", ["a", "b"])
    with pytest.raises(ParameterError, match="space 'nas101' has no preset"):
        make_strategy("ktnas", "nas101", ["a"])


def test_ga_with_block_crossover_breeds_from_two_parents(ev):
    """The DARTS preset's operators (crossover rate 1, binary tournament, population 20) on NB201."""
    s = make_strategy("ktnas", "nb201", NB, crossover_rate=1.0, tournament_size=2, population_size=20,
                      n_offspring=20)
    res = run_search(s, ev, max_generations=4, seed=0)
    assert res.generations == 4 and all(len(s.populations[t]) == 20 for t in NB)
    s.ask(list(NB))  # the transfer phase
    s.tell({t: ev.evaluate([a for a, _ in s._transfer_sources[t]], t) for t in NB})
    children = s.ask(list(NB))
    for t in NB:
        assert len(children[t]) == 20
        assert all(len(parents) in (1, 2) for parents in s._parents[t].values())
        assert sum(len(parents) == 2 for parents in s._parents[t].values()) >= 15  # crossover of two winners


def test_zero_cost_warmup_needs_the_tables_tasks():
    assert make_strategy("ktnas", "nb201", NB).warmup == "zero_cost"
    assert make_strategy("ktnas", "nb201", ["digits-a", "digits-b"]).warmup == "random"  # no shipped proxy
    with pytest.raises(Exception, match="no shipped|not in nb201"):
        make_strategy("ktnas", "nb201", ["digits-a"], warmup="zero_cost")


def test_sources_and_targets_limit_who_sends_and_who_receives(ev):
    s = make_strategy("ktnas", "nb201", NB, sources=["cifar10"], targets=["ImageNet16-120", "cifar100"])
    _, seen = events_of(s, ev, max_generations=8, seed=3)
    transfers = [e for e in seen if isinstance(e, Transferred)]
    assert transfers and {e.source for e in transfers} == {"cifar10"}
    assert {e.target for e in transfers} == {"ImageNet16-120", "cifar100"}
    assert s.get_params()["sources"] == ["cifar10"] and s.get_params()["targets"] == ["cifar100", "ImageNet16-120"]
    with pytest.raises(ParameterError, match=r"targets=\['svhn'\] must be a list of the run's tasks"):
        make_strategy("ktnas", "nb201", NB, targets=["svhn"])
