"""Free scores before evaluation: the zero-cost proxy and the cross-task surrogate."""

import numpy as np
import pytest
from scipy.stats import kendalltau

from ktnas_core import benchmarks
from ktnas_core.errors import ParameterError
from ktnas_core.search import MultiTaskEvolution, TableEvaluator, run_search
from ktnas_core.search.rebuild import strategy_from_config
from ktnas_core.search.proposal import CrossTaskGP, ZeroCost, has_zero_cost


@pytest.fixture(scope="module")
def nb201():
    return benchmarks.load("nb201")


def _seen(b, cells, task):
    return {str(b.space.from_index(int(i))): float(b.scores(task)[i]) for i in cells}


def test_zero_cost_warm_start_is_the_proxys_best_of_the_pool(nb201):
    zc = ZeroCost(nb201.space, nb201.tasks)
    cells = zc.warm_start("cifar10", np.random.default_rng(3), pool=500, k=10)
    drawn = np.random.default_rng(3).choice(15625, 500, replace=False)
    best = set(drawn[np.argsort(-nb201.zero_cost("cifar10")[drawn])[:10]].tolist())
    assert {nb201.space.index(c) for c in cells} == best
    assert zc.scores("cifar10", cells).tolist() == sorted(zc.scores("cifar10", cells).tolist(), reverse=True)
    assert has_zero_cost("nb201", nb201.tasks) and not has_zero_cost("tnb101_micro", ["class_object"])


@pytest.mark.parametrize("space, tasks", [("nb201", ("cifar10", "cifar100", "ImageNet16-120")),
                                         ("tnb101_micro", ("class_object", "class_scene", "room_layout"))])
def test_other_tasks_evaluations_improve_the_targets_surrogate(space, tasks):
    """Among the better quarter of cells, a target that knows 30 cells ranks new ones better when the model
    also learns from 200 cells evaluated on each other task (mean Kendall tau over the three targets)."""
    b = benchmarks.load(space)
    proxy = ZeroCost(b.space, tasks) if has_zero_cost(space, tasks) else None
    tau = {0.0: [], 0.8: []}
    for target in tasks:
        top = np.argsort(-b.scores(target))[:len(b) // 4]
        for corr in tau:
            gp, rng = CrossTaskGP(b.space, tasks, proxy, task_corr=corr), np.random.default_rng(0)
            for _ in range(4):
                pool = rng.permutation(top)
                seen = {t: _seen(b, pool[:200], t) for t in tasks if t != target}
                seen[target] = _seen(b, pool[200:230], target)
                cand = pool[-100:]
                pred = gp.scores(target, [b.space.from_index(int(i)) for i in cand], seen)
                tau[corr].append(kendalltau(pred, b.scores(target)[cand])[0])
    assert np.mean(tau[0.8]) > np.mean(tau[0.0]) + 0.01  # NB201: +0.06, TNB101: +0.02 (seed 0)


def test_surrogate_without_data_and_bad_options(nb201):
    gp = CrossTaskGP(nb201.space, nb201.tasks)
    assert gp.scores("cifar10", [0, 1, 2], {}).tolist() == [0.0, 0.0, 0.0]
    for bad in ({"task_corr": 1.5}, {"length_scale": 0}, {"noise": -1.0}):
        with pytest.raises(ParameterError, match="out of range for the cross-task surrogate"):
            CrossTaskGP(nb201.space, nb201.tasks, **bad)
    with pytest.raises(ParameterError, match="screen_options=.'bogus': 1. must be a dict of CrossTaskGP"):
        MultiTaskEvolution("nb201", list(nb201.tasks), screen="cross_task", screen_options={"bogus": 1})


def test_cross_task_screen_runs_rebuilds_and_old_configs_keep_their_behaviour(nb201):
    ev = TableEvaluator(nb201)
    s = MultiTaskEvolution("nb201", list(nb201.tasks), warmup="zero_cost", screen="cross_task",
                           screen_options={"task_corr": 0.5})
    res = run_search(s, ev, max_generations=6, seed=1)
    assert s._surrogate.task_corr == 0.5 and s._surrogate.proxy is not None
    again = strategy_from_config({"strategy": {"class": "MultiTaskEvolution", "params": s.get_params()}})
    assert run_search(again, ev, max_generations=6, seed=1) == res
    old = s.get_params()
    del old["screen_options"]  # a run folder written before the surrogate existed
    old["screen"] = "zero_cost"
    assert "screen_options" not in strategy_from_config({"strategy": {"class": "MultiTaskEvolution",
                                                                      "params": old}}).get_params()


def test_global_pool_offers_unexplored_cells_of_the_whole_space(nb201):
    seen = {str(nb201.space.from_index(i)): 0.0 for i in range(100)}
    bred = [(str(nb201.space.from_index(100)), ["p"])]
    gp = CrossTaskGP(nb201.space, nb201.tasks, global_pool="all")
    every = gp.unexplored(np.random.default_rng(0), seen, bred)
    assert len(every) == 15625 - 101 and all(parents == [] for _, parents in every)
    assert not {c for c, _ in every} & ({*seen} | {bred[0][0]})
    some = CrossTaskGP(nb201.space, nb201.tasks, global_pool=50).unexplored(np.random.default_rng(0), seen, bred)
    assert 0 < len(some) <= 50 and not {c for c, _ in some} & {*seen}
    assert CrossTaskGP(nb201.space, nb201.tasks).unexplored(np.random.default_rng(0), seen, bred) == []
    for bad in (-1, 15626, "some", True):
        with pytest.raises(ParameterError, match="global_pool="):
            CrossTaskGP(nb201.space, nb201.tasks, global_pool=bad)


def test_whole_space_proposal_evaluates_the_surrogates_best_cells(nb201):
    """With every unexplored cell competing, the children are the surrogate's favourites of the space."""
    s = MultiTaskEvolution("nb201", list(nb201.tasks), transfer="none", warmup="zero_cost", screen="cross_task",
                           screen_pool=1, screen_options={"global_pool": "all"})
    run_search(s, TableEvaluator(nb201), max_generations=3, seed=0)
    kept = s.ask(list(nb201.tasks))
    for t in nb201.tasks:
        unexplored = [str(nb201.space.from_index(i)) for i in range(15625)
                      if str(nb201.space.from_index(i)) not in s.archive[t]]
        predicted = s._surrogate.scores(t, unexplored, s.archive)
        assert set(kept[t]) <= set(unexplored) and len(kept[t]) == s.n_offspring
        assert min(s._surrogate.scores(t, kept[t], s.archive)) >= np.sort(predicted)[-len(kept[t])] - 1e-9


def test_kappa_adds_the_posterior_standard_deviation(nb201):
    """The upper confidence bound: an evaluated cell keeps about its mean, a cell far from every
    evaluated one gains about kappa (its prior standard deviation is 1)."""
    rng = np.random.default_rng(4)
    seen = {t: _seen(nb201, rng.choice(15625, 40, replace=False), t) for t in nb201.tasks}
    known = list(seen["cifar10"])[:5]
    onehot = CrossTaskGP(nb201.space, nb201.tasks)._onehot
    rows, seen_rows = onehot(list(range(15625))), onehot([nb201.space.coerce(c) for t in seen for c in seen[t]])
    far = [int(i) for i in np.argsort((rows @ seen_rows.T).max(1))[:5]]  # fewest edges in common with any seen cell
    mean, ucb = (CrossTaskGP(nb201.space, nb201.tasks, kappa=k) for k in (0.0, 0.5))
    gain_known = ucb.scores("cifar10", known, seen) - mean.scores("cifar10", known, seen)
    gain_far = ucb.scores("cifar10", far, seen) - mean.scores("cifar10", far, seen)
    assert np.all(gain_known >= 0) and np.all(gain_known < 0.2)
    assert np.all(gain_far > 0.4) and np.all(gain_far <= 0.5 + 1e-9)
    for bad in (-0.1, float("inf"), "auto", True):
        with pytest.raises(ParameterError, match="kappa="):
            CrossTaskGP(nb201.space, nb201.tasks, kappa=bad)
