"""Contract tests for every predictor, a learning check on real NB201 data, and the registry."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from ktnas_core import benchmarks
from ktnas_core.disorder import kendall_tau
from ktnas_core.errors import ParameterError
from ktnas_core.predictors import (PREDICTORS, GCNPredictor, GaussianProcessPredictor, GradientBoostingPredictor, MLPPredictor,
                                   RandomForestPredictor, make_predictor)
from ktnas_core.spaces import get_space

#: small but sensible settings, so the whole file stays fast
FAST = {
    "gp": {},
    "rf": {"n_estimators": 20},
    "gbm": {"n_estimators": 50},
    "mlp": {"hidden_layer_sizes": (32,), "epochs": 50},
}

#: the families over feature vectors of any width (the GCN reads cell graphs, widths in multiples of 6:
#: its own contract is in test_gcn.py)
VECTOR = sorted(set(PREDICTORS) - {"gcn"})


def fast(name: str, **extra) -> object:
    return make_predictor(name, **{**FAST[name], **extra})


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    y = X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.1 * rng.normal(size=60) + 70.0  # offset: targets in % units
    return X, y


@pytest.fixture(scope="module")
def nb201_onehot():
    space = get_space("nb201")
    ops = space.ops_matrix().astype(np.int64)
    k = len(space.ops)
    X = np.zeros((len(space), ops.shape[1] * k))
    for e in range(ops.shape[1]):
        X[np.arange(len(space)), e * k + ops[:, e]] = 1.0
    return X, np.asarray(benchmarks.load("nb201").scores("cifar10"), dtype=np.float64)


# -- scikit-learn's own common checks ---------------------------------------------------
@parametrize_with_checks(
    [fast(name, random_state=0) for name in VECTOR],
)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


# -- our contract, per predictor ----------------------------------------------------------
@pytest.mark.parametrize("name", VECTOR)
class TestContract:
    def test_clone_and_get_params_round_trip(self, name):
        est = fast(name, random_state=3)
        params = est.get_params()
        assert params["random_state"] == 3
        twin = clone(est)
        assert twin is not est and twin.get_params() == params
        assert type(est)(**params).get_params() == params

    def test_fit_returns_self_and_sets_learned_attributes(self, name, data):
        X, y = data
        est = fast(name, random_state=0)
        assert est.fit(X, y) is est
        assert est.n_features_in_ == X.shape[1]
        assert np.isclose(est.y_mean_, y.mean()) and est.y_scale_ > 0

    def test_predict_before_fit_raises_not_fitted(self, name, data):
        with pytest.raises(NotFittedError, match="not fitted"):
            fast(name).predict(data[0])

    def test_predictions_finite_right_shape_and_scale(self, name, data):
        X, y = data
        pred = fast(name, random_state=0).fit(X, y).predict(X[:7])
        assert pred.shape == (7,) and pred.dtype == np.float64 and np.isfinite(pred).all()
        assert abs(pred.mean() - y.mean()) < 3 * y.std()  # targets mapped back to their units

    def test_deterministic_for_a_seed(self, name, data):
        X, y = data
        a = fast(name, random_state=7).fit(X, y).predict(X)
        b = fast(name, random_state=7).fit(X, y).predict(X)
        np.testing.assert_array_equal(a, b)

    def test_pickles(self, name, data):
        X, y = data
        est = fast(name, random_state=0).fit(X, y)
        np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))

    def test_constant_target_gives_about_that_constant(self, name, data):
        X, _ = data
        pred = fast(name, random_state=0).fit(X, np.full(len(X), 42.0)).predict(X[:5])
        np.testing.assert_allclose(pred, 42.0, atol=0.1)  # the MLP's output is ~0 in standardised units

    def test_wrong_number_of_features(self, name, data):
        X, y = data
        est = fast(name, random_state=0).fit(X, y)
        with pytest.raises(ParameterError, match=r"X has 4 features, but \w+ is expecting 5 features"):
            est.predict(X[:, :4])


# -- input validation (shared base class; one predictor suffices) ----------------------------
@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros(5), np.zeros(5), r"X must be a 2-D array \(n_samples, n_features\); got shape \(5,\)"),
        (np.array([[0.0, np.nan], [1.0, 2.0]]), [1.0, 2.0], "X must be finite; it contains NaN at row 0, column 1"),
        (np.array([[0.0, 1.0], [np.inf, 2.0]]), [1.0, 2.0],
         "X must be finite; it contains infinity at row 1, column 0"),
        (np.zeros((3, 2)), [1.0, 2.0], "y has 2 values but X has 3 rows"),
        (np.zeros((2, 2)), [1.0, np.nan], "y must be finite; it contains NaN at index 1"),
        (np.zeros((2, 2)), np.zeros((2, 3)), r"y must be 1-D \(one value per row of X\); got shape \(2, 3\)"),
        (np.zeros((1, 2)), [1.0], "needs at least 2 training rows; got n_samples = 1"),
        (np.zeros((3, 0)), [1.0, 2.0, 3.0], r"0 feature\(s\)"),
        ([["a", "b"], ["c", "d"]], [1.0, 2.0], "X must hold real numbers; got dtype <U1"),
        (np.zeros((2, 2)), None, "requires y to be passed"),
    ],
)
def test_bad_input_is_named(X, y, message):
    with pytest.raises(ParameterError, match=message):
        RandomForestPredictor(n_estimators=2).fit(X, y)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("rf", {"n_estimators": 0}, "n_estimators must be an integer >= 1; got 0"),
        ("rf", {"max_features": 1.5}, "max_features must be None, 'sqrt', 'log2', a float in"),
        ("gbm", {"subsample": 0.0}, r"subsample must be a number in \(0.0, 1.0\]; got 0.0"),
        ("gbm", {"learning_rate": -1}, "learning_rate must be a number in"),
        ("gp", {"nu": 3.0}, r"nu must be one of \[0.5, 1.5, 2.5, inf\]; got 3.0"),
        ("gp", {"n_restarts_optimizer": -1}, "n_restarts_optimizer must be an integer >= 0"),
        ("mlp", {"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes must be a tuple of integers >= 1"),
        ("mlp", {"epochs": 2.5}, "epochs must be an integer >= 1; got 2.5"),
        ("rf", {"random_state": "seed"}, "random_state must be None, a non-negative int or a numpy Generator"),
    ],
)
def test_bad_parameters_raise_at_fit(name, params, message, data):
    est = make_predictor(name, **params)  # sklearn convention: __init__ stores, fit validates
    with pytest.raises(ParameterError, match=message):
        est.fit(*data)


def test_gp_return_std(data):
    X, y = data
    gp = GaussianProcessPredictor(random_state=0).fit(X, y)
    mean, std = gp.predict(X[:4], return_std=True)
    np.testing.assert_allclose(mean, gp.predict(X[:4]))
    assert std.shape == (4,) and (std > 0).all()
    far = gp.predict(X[:1] + 100.0, return_std=True)[1]
    assert far[0] > std.max()  # uncertainty grows away from the data


def test_mlp_leaves_torch_state_alone(data):
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    MLPPredictor(hidden_layer_sizes=(8,), epochs=3, random_state=0).fit(*data).predict(data[0])
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def test_mlp_same_seed_same_predictions_in_another_process(data):
    X, y = data
    ours = MLPPredictor(hidden_layer_sizes=(16,), epochs=20, random_state=5).fit(X, y).predict(X)
    code = textwrap.dedent(f"""
        import numpy as np, sys
        from ktnas_core.predictors import MLPPredictor
        X = np.array({X.tolist()!r}); y = np.array({y.tolist()!r})
        p = MLPPredictor(hidden_layer_sizes=(16,), epochs=20, random_state=5).fit(X, y).predict(X)
        sys.stdout.write(p.tobytes().hex())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert bytes.fromhex(out) == ours.tobytes()


def test_importing_predictors_does_not_import_torch():
    code = "import sys, ktnas_core.predictors; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# -- they learn on the real benchmark ----------------------------------------------------------
@pytest.mark.parametrize("name", ["rf", "gp"])
def test_learns_nb201_from_200_one_hot_cells(name, nb201_onehot):
    X, y = nb201_onehot
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[:200], order[200:]
    pred = make_predictor(name, random_state=0).fit(X[train], y[train]).predict(X[test])
    assert kendall_tau(pred, y[test]) > 0.4


# -- registry --------------------------------------------------------------------------------
def test_make_predictor_builds_each_family():
    expected = {"gp": GaussianProcessPredictor, "rf": RandomForestPredictor, "gbm": GradientBoostingPredictor,
                "mlp": MLPPredictor, "gcn": GCNPredictor}
    assert PREDICTORS == expected
    for name, cls in expected.items():
        est = make_predictor(name, random_state=1)
        assert type(est) is cls and est.random_state == 1


def test_make_predictor_unknown_name_lists_the_choices():
    with pytest.raises(ParameterError, match=r"predictor 'svm' is unknown; choose one of \['gbm', 'gcn', 'gp', 'mlp', 'rf'\]"):
        make_predictor("svm")
    with pytest.raises(ParameterError, match="predictor \\['rf'\\] is unknown"):
        make_predictor(["rf"])


def test_make_predictor_unknown_parameter_lists_the_allowed_ones():
    message = r"predictor 'rf' has no parameter 'depth'; its parameters are \['n_estimators'"
    with pytest.raises(ParameterError, match=message):
        make_predictor("rf", depth=3)
