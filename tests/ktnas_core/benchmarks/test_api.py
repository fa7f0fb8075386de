"""The Benchmark API: lookups, ranks, read-only arrays, clear errors."""

import time

import numpy as np
import pytest

from ktnas_core import benchmarks
from ktnas_core.errors import (
    InvalidArchitectureError,
    UnknownBenchmarkError,
    UnknownMetricError,
    UnknownTaskError,
)


@pytest.fixture(scope="module", params=benchmarks.BENCHMARKS)
def bench(request):
    return benchmarks.load(request.param)


def test_load_is_cached_and_shapes(bench):
    assert benchmarks.load(bench.name) is bench
    assert len(bench) == len(bench.space)
    for task in bench.tasks:
        assert bench.metrics(task)[0].name == bench.default_metric(task)
        for m in bench.metrics(task):
            assert bench.scores(task, m.name).shape == (len(bench),)


def test_scores_are_read_only_and_fast(bench):
    task = bench.tasks[0]
    s = bench.scores(task)
    with pytest.raises(ValueError):
        s[0] = 0.0
    t0 = time.perf_counter()
    for _ in range(1000):
        bench.scores(task)
    assert (time.perf_counter() - t0) / 1000 < 1e-3


def test_query_accepts_arch_string_and_index(bench):
    task = bench.tasks[-1]
    arch = bench.space.from_index(123)
    v = bench.scores(task)[123]
    assert bench.query(arch, task) == v
    assert bench.query(str(arch), task) == v
    assert bench.query(123, task) == v
    assert bench.query(np.int64(123), task) == v


def test_ranks(bench):
    for task in bench.tasks:
        r = bench.ranks(task)
        s = bench.scores(task)
        assert r.min() == 1 and r.max() <= len(bench)
        assert r[bench.optimum(task).index] == 1
        # a better score never gets a worse rank
        order = np.argsort(-s, kind="stable")
        assert np.all(np.diff(r[order]) >= 0)
        # ties share the smallest rank
        vals, counts = np.unique(s, return_counts=True)
        tied = vals[counts > 1]
        if tied.size:
            members = r[s == tied[0]]
            assert np.all(members == members[0])
    # train_time is lower-is-better: the fastest cell ranks first
    t = bench.scores(bench.tasks[0], "train_time")
    assert bench.ranks(bench.tasks[0], "train_time")[np.argmin(t)] == 1


def test_regret(bench):
    task = bench.tasks[0]
    best = bench.optimum(task)
    assert bench.regret(best.arch, task) == 0
    assert bench.regret(0, task) == pytest.approx(best.value - bench.scores(task)[0])


def test_unknown_benchmark():
    with pytest.raises(UnknownBenchmarkError, match=r"'nb301' is not shipped; choose one of \['nb201', 'tnb101_micro'\]"):
        benchmarks.load("nb301")
    with pytest.raises(KeyError):
        benchmarks.load(None)


def test_unknown_task_lists_tasks():
    b = benchmarks.load("nb201")
    with pytest.raises(UnknownTaskError, match=r"task 'cifar1000' is not in nb201; choose one of \['cifar10', 'cifar100', 'ImageNet16-120'\]"):
        b.scores("cifar1000")
    with pytest.raises(UnknownTaskError, match="task 'imagenet16-120'"):
        b.query(0, "imagenet16-120")  # no silent case folding


def test_unknown_metric_lists_metrics():
    b = benchmarks.load("tnb101_micro")
    with pytest.raises(UnknownMetricError, match=r"metric 'valid_top1' is not recorded for tnb101_micro task 'room_layout'; choose one of \['valid_neg_loss'"):
        b.scores("room_layout", "valid_top1")
    nb = benchmarks.load("nb201")
    # no aliasing of one metric to another
    with pytest.raises(UnknownMetricError, match="'accuracy'"):
        nb.query(0, "cifar10", "accuracy")
    with pytest.raises(UnknownMetricError, match="'test_accuracy_cifar10_valid' is not recorded for nb201 task 'cifar100'"):
        nb.query(0, "cifar100", "test_accuracy_cifar10_valid")


def test_bad_architectures():
    b = benchmarks.load("nb201")
    with pytest.raises(InvalidArchitectureError, match=r"index 15625 is out of range; nb201 indices are 0\.\.15624"):
        b.query(15625, "cifar10")
    with pytest.raises(InvalidArchitectureError, match="unknown operation 'conv_3x3'"):
        b.query("|conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", "cifar10")
    tnb_cell = benchmarks.load("tnb101_micro").space.from_index(0)
    with pytest.raises(InvalidArchitectureError, match="belongs to space 'tnb101_micro', not 'nb201'"):
        b.query(tnb_cell, "cifar10")
    with pytest.raises(InvalidArchitectureError, match="is not a nb201 architecture"):
        b.query(1.5, "cifar10")
    with pytest.raises(InvalidArchitectureError):
        b.query(True, "cifar10")


def test_data_notes_credit_sources():
    text = benchmarks.data_notes()
    for needle in ("NAS-Bench-201", "NATS-Bench", "TransNAS-Bench-101", "Apache-2.0", "MIT", "no licence file"):
        assert needle in text


def test_zero_cost_through_the_benchmark():
    from ktnas_core.errors import ParameterError
    from ktnas_core.spaces import is_disconnected

    nb = benchmarks.load("nb201")
    s = nb.zero_cost("cifar10")
    assert s.shape == (15625,) and not s.flags.writeable
    zero = np.flatnonzero(s == 0)
    assert all(is_disconnected(nb.space.from_index(int(i))) for i in zero[:20])
    with pytest.raises(UnknownTaskError, match="task 'cifar'"):
        nb.zero_cost("cifar")
    with pytest.raises((ParameterError, KeyError), match="tnb101_micro"):
        benchmarks.load("tnb101_micro").zero_cost("jigsaw")
