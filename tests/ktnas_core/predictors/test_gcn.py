"""The GCN predictor over cell graphs: contract, typed errors, and learning on real TransNAS rows."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ktnas_core import benchmarks
from ktnas_core.disorder import kendall_tau
from ktnas_core.embedding import OneHotEncoder
from ktnas_core.errors import ParameterError
from ktnas_core.predictors import GCNPredictor, make_predictor

TASKS = ("class_object", "class_scene", "room_layout")


@pytest.fixture(scope="module")
def tnb():
    """Every TransNAS-Bench-101 micro cell one-hot encoded, and the real validation metric per task."""
    bench = benchmarks.load("tnb101_micro")
    X = OneHotEncoder().fit(bench.space).transform(list(range(len(bench.space))))
    return X, {t: np.asarray(bench.scores(t), dtype=np.float64) for t in TASKS}


@pytest.fixture(scope="module")
def split():
    order = np.random.default_rng(0).permutation(4096)
    return order[:100], order[100:]


def test_fit_returns_self_and_learned_attributes(tnb, split):
    X, y = tnb
    train, _ = split
    gcn = GCNPredictor(epochs=5, random_state=0)
    assert gcn.fit(X[train], y["class_object"][train]) is gcn
    assert gcn.n_features_in_ == 24 and gcn.n_nodes_ == 8 and len(gcn.loss_curve_) == 5
    assert len(gcn.weights_) == 2 * (gcn.n_layers + 1)


def test_clone_params_and_not_fitted(tnb):
    gcn = make_predictor("gcn", hidden=8, random_state=3)
    assert clone(gcn).get_params() == gcn.get_params() and gcn.get_params()["random_state"] == 3
    with pytest.raises(NotFittedError):
        gcn.predict(tnb[0][:2])


def test_deterministic_for_a_seed_and_pickles(tnb, split):
    X, y = tnb
    train, test = split
    a = GCNPredictor(epochs=20, random_state=7).fit(X[train], y["class_scene"][train])
    b = GCNPredictor(epochs=20, random_state=7).fit(X[train], y["class_scene"][train])
    np.testing.assert_array_equal(a.predict(X[test[:50]]), b.predict(X[test[:50]]))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(a)).predict(X[:5]), a.predict(X[:5]))


def test_ranks_held_out_real_cells_far_better_than_chance(tnb, split):
    # measured with 100 training cells (split seed 0): Kendall tau 0.64 / 0.68 / 0.66 on the
    # 3,996 held-out cells (chance: 0 +- 0.01); the bar leaves room for other BLAS builds
    X, y = tnb
    train, test = split
    for t in TASKS:
        pred = GCNPredictor(random_state=0).fit(X[train], y[t][train]).predict(X[test])
        assert kendall_tau(pred, y[t][test]) > 0.55, t


def test_pruning_dead_nodes_is_what_makes_it_learn(tnb, split):
    # measured: pruned 0.66 mean tau over the three tasks, unpruned 0.53 (seeds 0-2: margins 0.12-0.16)
    X, y = tnb
    train, test = split
    taus = {prune: np.mean([kendall_tau(GCNPredictor(prune=prune, random_state=0).fit(X[train], y[t][train])
                                        .predict(X[test]), y[t][test]) for t in TASKS]) for prune in (True, False)}
    assert taus[True] > taus[False] + 0.05


def test_a_graph_of_ones_own():
    # a 3-node path a -> b -> c whose target is the label of the first node: only propagation can tell
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=(80, 3))
    X = np.concatenate([np.eye(2)[labels[:, i]] for i in range(3)], axis=1)
    y = labels[:, 0] * 2.0 + labels[:, 2]
    path = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    gcn = GCNPredictor(adjacency=path, epochs=200, random_state=0).fit(X, y)
    assert gcn.n_nodes_ == 3
    assert np.corrcoef(gcn.predict(X), y)[0, 1] > 0.9


@pytest.mark.parametrize(("params", "width", "message"), [
    ({}, 5, "X has 5 columns; adjacency='cell' reads the one-hot operations of the cell's 6 edges"),
    ({"adjacency": [[0, 1], [0, 0]]}, 5, "with a 2-node adjacency the width must be a multiple of 2"),
    ({"adjacency": "grid"}, 6, "adjacency must be 'cell' or an \\(n, n\\) 0/1 array; got 'grid'"),
    ({"adjacency": [[0, 2], [0, 0]]}, 4, "adjacency must be 'cell' or an \\(n, n\\) 0/1 array; got shape \\(2, 2\\)"),
    ({"prune": "yes"}, 6, "prune must be True or False; got 'yes'"),
    ({"hidden": 0}, 6, "hidden must be an integer >= 1; got 0"),
    ({"epochs": 1.5}, 6, "epochs must be an integer >= 1; got 1.5"),
    ({"learning_rate": 0}, 6, "learning_rate must be a number in"),
])
def test_bad_parameters_and_widths_are_named(params, width, message):
    X = np.zeros((4, width))
    X[:, 0] = 1.0
    with pytest.raises(ParameterError, match=message):
        GCNPredictor(**params).fit(X, [1.0, 2.0, 3.0, 4.0])


def test_predict_checks_the_width(tnb, split):
    X, y = tnb
    gcn = GCNPredictor(epochs=2, random_state=0).fit(X[:10], y["class_object"][:10])
    with pytest.raises(ParameterError, match="X has 18 features, but GCNPredictor is expecting 24 features"):
        gcn.predict(X[:2, :18])
