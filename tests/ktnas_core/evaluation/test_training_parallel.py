"""Training candidates side by side: a process pool and a Dask LocalCluster give the same results as
training them one by one here, forward every epoch, honour the stop request and keep what finished.

Small NB201 networks (C=4, N=1) on scikit-learn's digits, on the CPU.
"""

from __future__ import annotations

import threading
import time

import pytest

from ktnas_core.errors import ParameterError
from ktnas_core.search import make_strategy, resume_run, start_run
from ktnas_core.evaluation.trainer import process_pool
from ktnas_core.evaluation.training import TrainingEvaluator, TrainingStopped

pytestmark = pytest.mark.training  # real PyTorch training: left out of `make test-fast`

CELLS = ["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
         "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
         "|nor_conv_1x1~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
         "|skip_connect~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"]
DIGITS = {"name": "digits", "subset": 300}
SMALL = dict(epochs=2, C=4, N=1, device="cpu")


@pytest.fixture(scope="module")
def serial():
    ev = TrainingEvaluator({"digits": DIGITS}, **SMALL)
    return ev.evaluate(CELLS, "digits"), ev


@pytest.fixture(scope="module")
def pool():
    ex = process_pool(2, devices=["cpu", "cpu"])
    yield ex
    ex.shutdown(cancel_futures=True)


def test_pool_gives_the_serial_results_and_every_epoch(serial, pool, tmp_path):
    expected, ser = serial
    epochs = []
    ev = TrainingEvaluator({"digits": DIGITS}, **SMALL, executor=pool, cache_dir=tmp_path, on_epoch=epochs.append)
    got = ev.evaluate(CELLS + CELLS[:1], "digits")
    assert [(e.arch, e.score) for e in got] == [(e.arch, e.score) for e in expected + expected[:1]]
    for cell in CELLS:
        a, b = ev.details(cell, "digits"), ser.details(cell, "digits")
        assert (a["test_accuracy"], a["train_loss"], a["params"]) == (b["test_accuracy"], b["train_loss"], b["params"])
    assert sorted((i.arch, i.epoch) for i in epochs) == sorted((c, k) for c in CELLS for k in (1, 2))
    assert ev.n_trained == 4 and len(list(tmp_path.glob("*.json"))) == 4


def test_stop_ends_a_parallel_call_and_keeps_the_finished(pool, tmp_path):
    stop = threading.Event()
    done = []
    ev = TrainingEvaluator({"digits": {"name": "digits", "subset": 1200}}, epochs=30, C=4, N=1, device="cpu",
                           executor=pool, cache_dir=tmp_path, stop=stop,
                           on_epoch=lambda i: done.append(i) or (len(done) >= 3 and stop.set()))
    t0 = time.perf_counter()
    with pytest.raises(TrainingStopped, match="unfinished"):
        ev.evaluate(CELLS, "digits")
    assert time.perf_counter() - t0 < 60 and len(done) >= 3
    assert ev.n_trained == len(list(tmp_path.glob("*.json"))) < 4  # only finished candidates are kept


def test_dask_local_cluster_gives_the_serial_results(serial):
    distributed = pytest.importorskip("distributed")
    expected, _ = serial
    # dashboard_address ":0": any free port (None means 8787, which another worker's cluster may hold)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        ev = TrainingEvaluator({"digits": DIGITS}, **SMALL, executor=client.get_executor())
        got = ev.evaluate(CELLS[:2], "digits")
    assert [(e.arch, e.score) for e in got] == [(e.arch, e.score) for e in expected[:2]]


def test_search_on_a_pool_stops_and_resumes_without_retraining(pool, tmp_path):
    stop, epochs, handles = threading.Event(), [], []

    def evaluator(**kw):
        return TrainingEvaluator({"a": DIGITS, "b": {"name": "digits", "subset": 300, "seed": 1}}, **SMALL,
                                 cache_dir=tmp_path / "trained", executor=pool, **kw)

    def on_epoch(info):
        epochs.append(info)
        if len(epochs) == 14:  # inside the second generation: stop the run and the candidates in training
            handles[0].stop()
            stop.set()

    strategy = make_strategy("ktnas", "nb201", ["a", "b"], population_size=4, n_offspring=2, tournament_size=2,
                             warmup="random")
    first = evaluator(stop=stop, on_epoch=on_epoch)
    handles.append(handle := start_run(strategy, first, run_dir=tmp_path / "run", budget=8, seed=0))
    assert handle.wait(300) and handle.state == "stopped" and first.n_trained >= 4
    again = evaluator()
    resumed = resume_run(tmp_path / "run", evaluator=again)
    assert resumed.wait(300) and resumed.state == "finished"
    assert {t.n_evals for t in resumed.result.tasks.values()} == {8}
    trained = first.n_trained + again.n_trained
    assert trained == len(list((tmp_path / "trained").glob("*.json"))) == 16  # none trained twice


def test_executor_arguments_are_checked():
    for kwargs, message in [({"executor": 3}, "not a concurrent.futures.Executor"),
                            ({"workers": 2, "scheduler": "tcp://x:1"}, "at most one"),
                            ({"scheduler": " "}, "scheduler=' '")]:
        with pytest.raises(ParameterError, match=message):
            TrainingEvaluator({"digits": DIGITS}, **SMALL, **kwargs)
    with pytest.raises(ParameterError, match="workers=0"):
        process_pool(0, devices=["cpu"])
