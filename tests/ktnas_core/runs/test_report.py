"""ktnas_core.runs.report: report rows, run records (curves, evaluations to the optimum) and bands."""

from __future__ import annotations

import numpy as np
import pytest

from ktnas_core import benchmarks
from ktnas_core.errors import ParameterError
from ktnas_core.search import Evaluated, TableEvaluator, make_strategy, read_events, run_search
from ktnas_core.runs.report import COLUMNS, band, read_run, report_rows

TASKS = ["cifar10", "cifar100"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs") / "ktnas-0"
    run_search(make_strategy("ktnas", "nb201", TASKS), TableEvaluator("nb201"), budget=80, seed=1, run_dir=d)
    return d


def test_curves_follow_the_log_and_end_at_the_reported_regret(run):
    rec = read_run(run)
    assert (rec.strategy, rec.seed, rec.benchmark, rec.tasks, rec.status) == ("ktnas", 1, "nb201", tuple(TASKS),
                                                                             "budget")
    b, ev = benchmarks.load("nb201"), TableEvaluator("nb201")
    rows = {r["task"]: r for r in report_rows([run])}
    for t in TASKS:
        scores = [e.score for e in read_events(run / "events.jsonl") if isinstance(e, Evaluated) and e.new
                  and e.task == t]
        expected = ev.optimum_score(t) - np.maximum.accumulate(scores)
        np.testing.assert_allclose(rec.curves[t], expected)
        assert np.all(np.diff(rec.curves[t]) <= 0) and rec.evals[t] == 80 == rows[t]["evals"]
        assert rec.regret[t] == pytest.approx(rows[t]["regret"])
        assert rec.best[t] == rows[t]["best_cell"] and b.rank(rec.best[t], t) == rows[t]["rank"]
        k = rec.to_best[t]  # the best score first appears at evaluation k
        assert max(scores[:k]) == max(scores) and (k == 1 or max(scores[:k - 1]) < max(scores))
        if rec.to_optimum[t] is not None:
            assert rec.regret[t] == 0 and rec.to_optimum[t] == k
        else:
            assert rec.regret[t] > 0


def test_a_run_going_now_reads_as_running(run, tmp_path):
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / "config.json").write_bytes((run / "config.json").read_bytes())
    lines = (run / "events.jsonl").read_text().splitlines()
    (cut / "events.jsonl").write_text("\n".join(lines[:60]) + "\n")
    rec = read_run(cut)
    assert rec.status == "running" and 0 < sum(rec.evals.values()) < 160


def test_report_rows_have_the_columns_and_refuse_other_folders(run, tmp_path):
    rows = report_rows([run])
    assert [r["task"] for r in rows] == TASKS and all(set(r) == set(COLUMNS) for r in rows)
    with pytest.raises(ParameterError, match="has no config.json"):
        report_rows([tmp_path])
    with pytest.raises(ParameterError, match="does not exist"):
        read_run(tmp_path / "nope")


def test_band_is_the_median_and_quartiles_per_evaluation():
    rng = np.random.default_rng(0)
    curves = [np.sort(rng.random(30))[::-1] + 0.01 for _ in range(10)]
    x, median, q25, q75 = band(curves)
    stack = np.stack(curves)
    np.testing.assert_allclose(median, np.median(stack, axis=0))
    np.testing.assert_allclose(q25, np.percentile(stack, 25, axis=0))
    assert x.tolist() == list(range(1, 31)) and np.all(q25 <= median) and np.all(median <= q75)
    # a curve that reached the optimum stays there; the others set the length
    x, median, _, _ = band([[1.0, 0.0], [2.0, 1.0, 0.5]])
    assert x.tolist() == [1, 2, 3] and median.tolist() == [1.5, 0.5, 0.25]
    with pytest.raises(ParameterError, match="non-empty curves"):
        band([])
