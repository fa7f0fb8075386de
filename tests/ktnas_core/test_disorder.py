"""Tests of ktnas_core.disorder: agreement with scipy, ranges, speed, real data, errors."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from ktnas_core.disorder import (
    STATISTICS,
    DisorderMatrix,
    disorder_matrix,
    kendall_tau,
    rank_displacement,
    rankdata,
    spearman_rho,
    topk_overlap,
)
from ktnas_core.errors import ParameterError

NATS_CSV = Path("/work/shared/data/nasbench201/nats-bench-landscape/nats_bench.csv")


def _scipy_tau(a, b):
    return scipy.stats.kendalltau(a, b).statistic


def _scipy_rho(a, b):
    return scipy.stats.spearmanr(a, b).statistic


def _close(ours, theirs):
    if np.isnan(theirs):
        return np.isnan(ours)
    return abs(ours - theirs) <= 1e-12


def _cases():
    rng = np.random.default_rng(0)
    yield "continuous", rng.normal(size=500), rng.normal(size=500)
    yield "ties", rng.integers(0, 6, 400), rng.integers(0, 6, 400)
    yield "ties-mixed", rng.integers(0, 3, 300).astype(float), rng.normal(size=300).round(1)
    yield "n=2", [1.0, 2.0], [2.0, 1.0]
    yield "n=2-same", [1.0, 2.0], [3.0, 4.0]
    yield "n=3", [1.0, 3.0, 2.0], [0.5, 0.1, 0.9]
    yield "reversed", np.arange(100.0), np.arange(100.0)[::-1]
    yield "reversed-ties", np.repeat(np.arange(10), 3), np.repeat(np.arange(10), 3)[::-1]
    yield "correlated", *(lambda x: (x, x + rng.normal(scale=0.5, size=x.size)))(rng.normal(size=1000))


CASES = list(_cases())
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,a,b", CASES, ids=IDS)
def test_kendall_matches_scipy(name, a, b):
    assert _close(kendall_tau(a, b), _scipy_tau(a, b))


@pytest.mark.parametrize("name,a,b", CASES, ids=IDS)
def test_spearman_matches_scipy(name, a, b):
    assert _close(spearman_rho(a, b), _scipy_rho(a, b))


@pytest.mark.parametrize("method", ["average", "min", "max", "dense", "ordinal"])
@pytest.mark.parametrize("name,a,b", CASES, ids=IDS)
def test_rankdata_matches_scipy(name, a, b, method):
    ours, theirs = rankdata(a, method), scipy.stats.rankdata(a, method)
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == (np.float64 if method == "average" else np.int64)


def test_rankdata_of_empty_is_empty():
    assert rankdata([]).size == 0


_numbers = st.one_of(
    st.integers(-5, 5),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_numbers, _numbers), min_size=2, max_size=60))
def test_property_agrees_with_scipy_and_stays_in_range(pairs):
    a = np.array([p[0] for p in pairs], dtype=float)
    b = np.array([p[1] for p in pairs], dtype=float)
    tau, rho = kendall_tau(a, b), spearman_rho(a, b)
    assert _close(tau, _scipy_tau(a, b))
    assert _close(rho, _scipy_rho(a, b))
    for v in (tau, rho):
        assert np.isnan(v) or -1.0 <= v <= 1.0
    np.testing.assert_array_equal(rankdata(a), scipy.stats.rankdata(a))
    for k in {1, len(a) // 2 or 1, len(a)}:
        assert 0.0 <= topk_overlap(a, b, k) <= 1.0
    assert topk_overlap(a, b, len(a)) == 1.0
    assert rank_displacement(a, a).tolist() == [0] * len(a)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=2, max_size=40).filter(lambda x: len(set(x)) > 1))
def test_identical_vectors_give_one(x):
    assert kendall_tau(x, x) == pytest.approx(1.0, abs=1e-12)
    assert spearman_rho(x, x) == pytest.approx(1.0, abs=1e-12)
    assert topk_overlap(x, x, 0.5) == 1.0


def test_constant_vector_gives_nan():
    assert np.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))
    assert np.isnan(spearman_rho([1, 2, 3], [4, 4, 4]))


def test_kendall_speed_on_full_nb201_size():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=15_625), rng.normal(size=15_625)
    kendall_tau(a, b)  # warm-up
    start = time.perf_counter()
    kendall_tau(a, b)
    assert time.perf_counter() - start < 1.0


def test_topk_fraction_rounding_and_tie_break():
    a = np.arange(10.0)
    # 0.25 * 10 = 2.5 rounds half to even: k = 2; 0.01 * 10 -> max(1, 0) = 1
    assert topk_overlap(a, [0, 0, 0, 0, 0, 0, 0, 0, 1, 1], 0.25) == 1.0  # k = 3 would give 2/3
    assert topk_overlap(a, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0], 0.01) == 0.0
    # ties at the k-th place: the lower index wins, so b's top-1 is index 0
    assert topk_overlap([0, 1, 0], [1, 1, 0], 1) == 0.0
    assert topk_overlap([1, 0, 0], [1, 1, 0], 1) == 1.0


def test_topk_lower_is_better():
    assert topk_overlap([1, 2, 3, 4], [2, 1, 4, 3], 2, higher_is_better=False) == 1.0
    assert topk_overlap([1, 2, 3, 4], [4, 3, 2, 1], 2, higher_is_better=False) == 0.0


def test_rank_displacement_uses_min_ranks_best_first():
    d = rank_displacement([0.9, 0.8, 0.8, 0.1], [0.1, 0.9, 0.8, 0.8])
    # ranks on a: [1, 2, 2, 4]; on b: [4, 1, 2, 2]
    assert d.tolist() == [3, -1, 0, -2]
    assert d.dtype == np.int64
    assert rank_displacement([1, 2, 3], [1, 2, 3], higher_is_better=False).tolist() == [0, 0, 0]


def test_disorder_matrix_kendall_is_symmetric_with_unit_diagonal():
    rng = np.random.default_rng(2)
    data = {t: rng.normal(size=50) for t in ("a", "b", "c")}
    m = disorder_matrix(data)
    assert m.tasks == ("a", "b", "c") and m.statistic == "kendall" and m.k is None
    np.testing.assert_array_equal(m.values, m.values.T)
    np.testing.assert_array_equal(np.diag(m.values), 1.0)
    assert m.values[0, 2] == pytest.approx(_scipy_tau(data["a"], data["c"]), abs=1e-12)
    with pytest.raises(ValueError):
        m.values[0, 1] = 0.0


@pytest.mark.parametrize("statistic", STATISTICS)
def test_disorder_matrix_statistics(statistic):
    data = {"x": [1, 2, 3, 4], "y": [1, 4, 3, 2]}
    k = 2 if statistic == "topk" else None
    expected = {"kendall": kendall_tau, "spearman": spearman_rho, "topk": lambda a, b: topk_overlap(a, b, 2)}
    m = disorder_matrix(data, statistic, k=k)
    assert m.values[0, 1] == expected[statistic](data["x"], data["y"])


def test_disorder_matrix_text_and_dict():
    m = disorder_matrix({"cifar10": [1, 2, 3], "c100": [1, 3, 2]}, "spearman")
    lines = m.to_text().splitlines()
    assert len(lines) == 3 and len({len(line) for line in lines}) == 1
    assert lines[0].split() == ["cifar10", "c100"]
    assert lines[1].split() == ["cifar10", "+1.000", "+0.500"]
    assert m.to_text("{:.1f}").splitlines()[2].split() == ["c100", "0.5", "1.0"]
    assert m.as_dict() == {
        "tasks": ["cifar10", "c100"],
        "statistic": "spearman",
        "k": None,
        "values": [[1.0, 0.5], [0.5, 1.0]],
    }
    assert m == DisorderMatrix(("cifar10", "c100"), "spearman", [[1.0, 0.5], [0.5, 1.0]])


class _FakeMetric:
    def __init__(self, higher_is_better):
        self.higher_is_better = higher_is_better


class _FakeBenchmark:
    tasks = ("acc", "loss")

    def scores(self, task):
        return np.array([1.0, 2.0, 3.0]) if task == "acc" else np.array([3.0, 2.0, 1.0])

    def metric(self, task):
        return _FakeMetric(task == "acc")


def test_disorder_matrix_accepts_benchmark_like_and_orients_scores():
    m = disorder_matrix(_FakeBenchmark())
    assert m.tasks == ("acc", "loss")
    assert m.values[0, 1] == 1.0  # lower loss is better, so the two tasks agree


def test_disorder_matrix_on_shipped_benchmark():
    benchmarks = pytest.importorskip("ktnas_core.benchmarks")
    b = benchmarks.load("nb201")
    m = disorder_matrix(b)
    assert m.tasks == b.tasks
    assert 0.5 < m.values[0, 1] < 1.0


@pytest.mark.skipif(not NATS_CSV.exists(), reason="NATS-Bench landscape CSV not in /work/shared/data")
def test_full_space_kendall_cifar10_vs_cifar100_on_real_data():
    with NATS_CSV.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    c10 = np.array([float(r["CIFAR10TestAccuracy200Epochs"]) for r in rows])
    c100 = np.array([float(r["CIFAR100TestAccuracy200Epochs"]) for r in rows])
    img = np.array([float(r["ImageNetTestAccuracy200Epochs"]) for r in rows])
    assert c10.size == 15_625
    tau = kendall_tau(c10, c100)
    assert abs(tau - _scipy_tau(c10, c100)) <= 1e-12
    assert 0.6 < tau < 0.99
    assert abs(kendall_tau(c100, img) - _scipy_tau(c100, img)) <= 1e-12
    assert abs(spearman_rho(c10, img) - _scipy_rho(c10, img)) <= 1e-12


# -- errors ---------------------------------------------------------------------------
@pytest.mark.parametrize("func", [kendall_tau, spearman_rho, rank_displacement, lambda a, b: topk_overlap(a, b, 1)])
@pytest.mark.parametrize(
    "a,b,match",
    [
        ([1, 2, 3], [1, 2], r"same length; got 3 and 2"),
        ([[1, 2], [3, 4]], [1, 2], r"a must be 1-D; got shape \(2, 2\)"),
        ([1, np.nan, 3], [1, 2, 3], r"a must be finite; got nan at index 1"),
        ([1, 2, 3], [1, np.inf, 3], r"b must be finite; got inf at index 1"),
        ([1], [1], r"a needs at least 2 points; got 1"),
        ([], [], r"a needs at least 2 points; got 0"),
        (["x", "y"], [1, 2], r"a must hold real numbers; got dtype <U1"),
        ([1, 2], [1 + 1j, 2], r"b must hold real numbers; got dtype complex128"),
        ([1, 2], [[1], [1, 2]], r"b must be a 1-D array of numbers; got list"),
    ],
)
def test_bad_vectors(func, a, b, match):
    with pytest.raises(ParameterError, match=match):
        func(a, b)


@pytest.mark.parametrize(
    "k,match",
    [
        (0, r"k must be an int in 1\.\.4; got 0"),
        (5, r"k must be an int in 1\.\.4; got 5"),
        (0.0, r"k as a fraction must lie in \(0, 1\]; got 0\.0"),
        (1.5, r"k as a fraction must lie in \(0, 1\]; got 1\.5"),
        (-0.2, r"k as a fraction must lie in \(0, 1\]; got -0\.2"),
        (True, r"k must be an int in 1\.\.4 or a float fraction in \(0, 1\]; got True"),
        ("2", r"k must be an int in 1\.\.4 or a float fraction in \(0, 1\]; got '2'"),
        (None, r"got None"),
    ],
)
def test_bad_k(k, match):
    with pytest.raises(ParameterError, match=match):
        topk_overlap([1, 2, 3, 4], [4, 3, 2, 1], k)


def test_numpy_integer_k_is_accepted():
    assert topk_overlap([1, 2, 3, 4], [1, 2, 3, 4], np.int64(2)) == 1.0


def test_bad_rank_method():
    with pytest.raises(ParameterError, match=r"method 'mean' is unknown; choose one of \['average', 'min'"):
        rankdata([1, 2], "mean")


def test_disorder_matrix_errors():
    data = {"x": [1, 2, 3], "y": [3, 2, 1]}
    with pytest.raises(ParameterError, match=r"statistic 'pearson' is unknown; choose one of \['kendall', 'spearman', 'topk'\]"):
        disorder_matrix(data, "pearson")
    with pytest.raises(ParameterError, match=r"k is required for statistic 'topk'"):
        disorder_matrix(data, "topk")
    with pytest.raises(ParameterError, match=r"got statistic 'kendall', k=2"):
        disorder_matrix(data, "kendall", k=2)
    with pytest.raises(ParameterError, match=r"k must be an int in 1\.\.3; got 4"):
        disorder_matrix(data, "topk", k=4)
    with pytest.raises(ParameterError, match=r"'x' has 3, 'z' has 2"):
        disorder_matrix({**data, "z": [1, 2]})
    with pytest.raises(ParameterError, match=r"scores\['y'\] must be finite"):
        disorder_matrix({"x": [1, 2], "y": [1, np.nan]})
    with pytest.raises(ParameterError, match=r"at least one task; got none"):
        disorder_matrix({})
    with pytest.raises(ParameterError, match=r"mapping of task -> scores .* got list"):
        disorder_matrix([[1, 2], [2, 1]])


def test_disorder_matrix_shape_error():
    with pytest.raises(ParameterError, match=r"values must have shape \(2, 2\); got \(3,\)"):
        DisorderMatrix(("a", "b"), "kendall", [1.0, 2.0, 3.0])


def test_module_does_not_import_scipy():
    code = "import sys, ktnas_core.disorder; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_parameter_error_is_a_value_error():
    with pytest.raises(ValueError):
        kendall_tau([1, 2], [1])
