"""RunHandle: a search in a worker thread, its events, stop, failure and resume."""

from __future__ import annotations

import threading
import time

import pytest

from ktnas_core.errors import DataIntegrityError, ParameterError
from ktnas_core.search import (Evaluated, RunFailed, RunFinished, RunStarted, TableEvaluator, make_strategy,
                               read_events, run_search)
from ktnas_core.runs.runner import list_runs, resume_run, run_status, start_run

TASKS = ("cifar10", "cifar100", "ImageNet16-120")


@pytest.fixture(scope="module")
def ev():
    return TableEvaluator("nb201")


class Failing(TableEvaluator):
    """The real table, but the ``fail_at``-th evaluation raises (a crashed trainer)."""

    def __init__(self, fail_at):
        super().__init__("nb201")
        self.fail_at, self.n = fail_at, 0

    def evaluate(self, archs, task):
        self.n += 1
        if self.n == self.fail_at:
            raise RuntimeError(f"trainer crashed at evaluation {self.n}")
        return super().evaluate(archs, task)


def stripped(events):
    return [e.without_time() for e in events]


def wait_for(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.005)


@pytest.mark.parametrize("name", ["ktnas", "rea"])
def test_finished_run_drains_the_events_of_a_synchronous_run(ev, name):
    seen = []
    expected = run_search(make_strategy(name, "nb201", TASKS), ev, budget=40, seed=3, callbacks=[seen.append])
    h = start_run(make_strategy(name, "nb201", TASKS), ev, budget=40, seed=3)
    assert h.wait(30) and h.state == "finished" and not h.running and h.error is None
    drained = []
    while batch := h.drain(max_events=50):  # batches come oldest first
        assert len(batch) <= 50
        drained += batch
    assert stripped(drained) == stripped(seen)
    assert h.result == expected
    p = h.progress
    assert p.n_evals == dict.fromkeys(TASKS, 40) and p.done == p.total == 120 and p.fraction == 1.0
    assert p.cost_s == pytest.approx({t: r.cost_s for t, r in expected.tasks.items()})
    t = h.elapsed
    time.sleep(0.02)
    assert h.elapsed == t  # frozen once ended


def test_events_arrive_while_the_run_is_going(ev, tmp_path):
    h = start_run(make_strategy("random", "nb201", TASKS), ev, budget=3000, seed=0, run_dir=tmp_path / "r")
    assert [p.name for p, _ in list_runs(tmp_path)] == ["r"]  # its folder and config exist at once: listed
    wait_for(lambda: h.progress.done >= 30)
    first = h.drain()
    assert isinstance(first[0], RunStarted) and h.state in ("running", "stopping")
    h.stop()
    assert h.wait(5)
    rest = h.drain()
    assert rest[-1] == RunFinished("stopped") and not any(isinstance(e, RunStarted) for e in rest)


def test_stop_ends_a_long_run_promptly_and_it_resumes_to_the_same_result(ev, tmp_path):
    full_events = []
    full = run_search(make_strategy("random", "nb201", TASKS), ev, budget=2000, seed=5,
                      callbacks=[full_events.append])
    run_dir = tmp_path / "long"
    h = start_run(make_strategy("random", "nb201", TASKS), ev, budget=2000, seed=5, run_dir=run_dir)
    wait_for(lambda: h.progress.done >= 300)
    t0 = time.monotonic()
    h.stop()
    assert h.state in ("stopping", "stopped")
    assert h.wait(2.0), "the worker did not end within 2 s of stop()"
    assert time.monotonic() - t0 < 2.0
    assert h.state == "stopped" and h.result.reason == "stopped" and h.error is None
    done = h.progress.done
    assert 300 <= done < 6000
    assert run_status(run_dir) == "stopped" and list_runs(tmp_path) == [(run_dir, "stopped")]

    r = resume_run(run_dir)
    assert r.progress.done <= done  # starts from the last checkpoint
    assert r.wait(60) and r.state == "finished"
    assert r.result == full
    events = r.drain()  # the log prefix, then the resumed part: the whole run
    assert stripped(events) == stripped(full_events)
    assert run_status(run_dir) == "budget"


def test_failing_evaluator_fails_the_run_and_the_dir_resumes(ev, tmp_path):
    run_dir = tmp_path / "crash"
    h = start_run(make_strategy("rea", "nb201", TASKS), Failing(fail_at=55), budget=30, seed=2, run_dir=run_dir)
    assert h.wait(10)
    assert h.state == "failed" and h.result is None
    assert isinstance(h.error, RuntimeError) and "evaluation 55" in str(h.error)
    events = h.drain()
    assert isinstance(events[-1], RunFailed) and "trainer crashed" in events[-1].error
    assert run_status(run_dir) == "failed"
    r = resume_run(run_dir)  # the table evaluator is rebuilt from config.json
    assert r.wait(10) and r.state == "finished"
    assert r.result == run_search(make_strategy("rea", "nb201", TASKS), ev, budget=30, seed=2)


def test_stop_after_the_end_changes_nothing(ev):
    h = start_run(make_strategy("rea", "nb201", ["cifar10"]), ev, budget=10, seed=0)
    assert h.wait(10)
    h.stop()
    assert h.state == "finished" and h.result.reason == "budget"


def test_bad_arguments_raise_in_the_callers_thread(ev, tmp_path):
    before = threading.active_count()
    with pytest.raises(ParameterError, match="budget=0 is out of range"):
        start_run(make_strategy("rea", "nb201", ["cifar10"]), ev, budget=0)
    with pytest.raises(ParameterError, match="owns the stop flag"):
        start_run(make_strategy("rea", "nb201", ["cifar10"]), ev, budget=5, stop=threading.Event())
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ParameterError, match="is not an empty directory"):
        start_run(make_strategy("rea", "nb201", ["cifar10"]), ev, budget=5, run_dir=tmp_path / "full")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="cannot be written"):
        start_run(make_strategy("rea", "nb201", ["cifar10"]), ev, budget=5, run_dir=tmp_path / "file" / "run")
    with pytest.raises(DataIntegrityError, match="does not exist"):
        resume_run(tmp_path / "nothing")
    assert threading.active_count() == before


def test_drain_checks_max_events(ev):
    h = start_run(make_strategy("rea", "nb201", ["cifar10"]), ev, budget=5, seed=0)
    h.wait(10)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ParameterError, match=r"max_events=.* allowed: None or an integer >= 1"):
            h.drain(bad)
    assert len(h.drain(1)) == 1 and h.pending > 0


def test_extra_callbacks_run_with_every_event(ev):
    seen = []
    h = start_run(make_strategy("rea", "nb201", ["cifar10"]), ev, budget=12, seed=0, callbacks=[seen.append])
    h.wait(10)
    assert stripped(seen) == stripped(h.drain())
    assert sum(isinstance(e, Evaluated) and e.new for e in seen) == 12


def test_list_runs_reports_interrupted_and_skips_other_folders(ev, tmp_path):
    run_search(make_strategy("rea", "nb201", ["cifar10"]), ev, budget=20, seed=0, run_dir=tmp_path / "b")
    log = tmp_path / "b" / "events.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:-1]) + lines[-1][:10])  # killed mid-write of the last line
    (tmp_path / "notes").mkdir()
    assert list_runs(tmp_path) == [(tmp_path / "b", "interrupted")]
    assert list_runs(tmp_path / "missing") == []
    assert [type(e).__name__ for e in read_events(log, limit=1)] == ["RunStarted"]
