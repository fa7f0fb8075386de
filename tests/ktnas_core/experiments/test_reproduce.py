"""``reproduce``: the paper's Tables II and III, their summaries, text tables, charts and errors."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from ktnas_core import benchmarks
from ktnas_core.errors import ParameterError
from ktnas_core.experiments.reproduce import (EXPERIMENTS, PAPER, PAPER_NAMES, format_table, plots, reproduce,
                                         run_one, summarize)

NB201_TASKS = ["cifar10", "cifar100", "ImageNet16-120"]
TNB_TASKS = ["class_object", "class_scene", "room_layout"]
RECORD_KEYS = {"strategy", "seed", "seconds", "generations", "reason", "evals", "optimum_at", "best_arch",
               "transfer_rank", "start"}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def nb201():
    return reproduce("nb201", seeds=3, strategies=["ktnas", "random", "ktnas-paper"])


@pytest.fixture(scope="module")
def tnb101():
    return reproduce("tnb101", seeds=2, strategies=["ktnas-paper", "rea", "random"])


@pytest.fixture(scope="module")
def tnb_bench():
    return benchmarks.load("tnb101_micro")


def _shown(task, value):
    """The table's number for a raw validation metric (room_layout: L2 loss x 100)."""
    return abs(value) * 100 if task == "room_layout" else value


def _no_seconds(runs):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in runs]


# --------------------------------------------------------------------------- nb201


def test_nb201_result_structure(nb201):
    assert nb201["experiment"] == "nb201" and nb201["benchmark"] == "nb201"
    assert nb201["tasks"] == NB201_TASKS
    assert nb201["seeds"] == 3 and nb201["strategies"] == ["ktnas", "random", "ktnas-paper"]
    assert nb201["seconds"] > 0
    runs = nb201["runs"]
    assert len(runs) == 9
    assert [(r["strategy"], r["seed"]) for r in runs] == [(s, k) for s in nb201["strategies"] for k in range(3)]
    for r in runs:
        # stop_on_optimum: no best-so-far curves, values or ranks
        assert set(r) == RECORD_KEYS
        assert r["reason"] == "optimum"
        assert r["seconds"] > 0 and r["generations"] >= 1
        for key in ("evals", "optimum_at", "best_arch", "transfer_rank"):
            assert list(r[key]) == NB201_TASKS
        for t in NB201_TASKS:
            # the budget is the whole space, so every task's best cell is found
            assert r["optimum_at"][t] is not None
            assert 1 <= r["optimum_at"][t] <= r["evals"][t] <= 15625
    bench = benchmarks.load("nb201")
    for r in runs:
        for t in NB201_TASKS:
            assert r["best_arch"][t] == str(bench.optimum(t).arch)
    # JSON-able, and unchanged by a round trip
    assert json.loads(json.dumps(nb201)) == nb201


def test_nb201_transfer_ranks_only_for_transfer(nb201):
    for r in nb201["runs"]:
        entries = [e for t in NB201_TASKS for e in r["transfer_rank"][t]]
        if r["strategy"] == "random":
            assert entries == []
        for g, mean_rank, count in entries:
            assert isinstance(g, int) and count >= 1 and 1 <= mean_rank <= 15625
    assert any(r["transfer_rank"][t] for r in nb201["runs"] if r["strategy"] == "ktnas" for t in NB201_TASKS)


def test_nb201_summarize_and_sanity(nb201):
    rows = summarize(nb201)
    assert [row["method"] for row in rows] == ["ktnas", "random", "ktnas-paper"]
    for row in rows:
        runs = [r for r in nb201["runs"] if r["strategy"] == row["method"]]
        assert row["runs"] == 3 and row["not_found"] == 0
        assert row["seconds"] == pytest.approx(sum(r["seconds"] for r in runs))
        assert list(row["tasks"]) == NB201_TASKS
        for t in NB201_TASKS:
            values = [r["optimum_at"][t] for r in runs]
            assert row["tasks"][t][0] == pytest.approx(np.mean(values))
            assert row["tasks"][t][1] == pytest.approx(np.std(values, ddof=1))
        totals = [sum(r["optimum_at"][t] for t in NB201_TASKS) for r in runs]
        assert row["total"][0] == pytest.approx(np.mean(totals))
        assert row["total"][1] == pytest.approx(np.std(totals, ddof=1))
        st = row["stats"]["total"]
        assert st["median"] == np.median(totals) and st["ci"][0] <= st["mean"] <= st["ci"][1]
        assert min(totals) <= st["ci"][0] and st["ci"][1] <= max(totals)
    ktnas, random, paper = rows
    assert ktnas["test"] is None  # the reference
    for row in (random, paper):
        for key in (*NB201_TASKS, "total"):
            t = row["test"][key]
            mine = [sum(r["optimum_at"][k] for k in NB201_TASKS) if key == "total" else r["optimum_at"][key]
                    for r in nb201["runs"] if r["strategy"] == row["method"]]
            ref = [sum(r["optimum_at"][k] for k in NB201_TASKS) if key == "total" else r["optimum_at"][key]
                   for r in nb201["runs"] if r["strategy"] == "ktnas"]
            assert t["n"] == 3 and t["diff"] == pytest.approx(np.mean(np.subtract(mine, ref)))
            assert 0 < t["p"] <= 1 and t["wins"] + t["losses"] <= 3
    # pairing: the paper's KTNAS and ktnas share the base searcher, so each seed starts them alike
    assert paper["test"]["total"]["same_start"] == 1.0 and random["test"]["total"]["same_start"] == 0.0
    # the paper's headline: KTNAS needs a small fraction of random search's evaluations
    assert ktnas["total"][0] < random["total"][0] / 10
    # random search over 15,625 cells needs thousands of evaluations per task
    assert random["total"][0] > 3000


def _blocks(lines):
    """Table lines grouped by strategy: {method: [its lines]} (a strategy's later lines start blank)."""
    out, name = {}, None
    for line in lines:
        if not line.startswith(" "):
            name = line.split()[0]
        out.setdefault(name, []).append(line)
    return out


def test_nb201_format_table(nb201):
    text = format_table(nb201)
    lines = text.splitlines()
    assert lines[0].startswith(EXPERIMENTS["nb201"].caption)
    assert "3 seeds each" in lines[0] and "Wilcoxon" in lines[0]
    assert lines[1].split()[:2] == ["method", "quantity"] and "vs ktnas" in lines[1]
    body = _blocks(lines[2:])
    assert list(body) == ["ktnas", "random", "ktnas-paper"]
    rows = {row["method"]: row for row in summarize(nb201)}
    for s, block in body.items():
        assert [line.split()[1 if k == 0 else 0] for k, line in enumerate(block)] == [*NB201_TASKS, "total"]
        st = rows[s]["stats"]["total"]
        assert f"{st['mean']:.1f} [{st['ci'][0]:.1f}, {st['ci'][1]:.1f}] ({st['median']:.1f})" in block[3]
        for line, value in zip(block, PAPER["nb201"].get(s, ())):
            assert line.rstrip().endswith(f"{value:g}") or f"{value:g} (" in line
        if s != "ktnas":
            assert f"{rows[s]['test']['total']['diff']:+.1f} [" in block[3]
    assert PAPER_NAMES["ktnas-paper"] in body["ktnas-paper"][0]
    assert "optimum (table)" not in text  # only tnb101 has the optimum row


def test_nb201_plots(nb201):
    charts = plots(nb201)
    assert set(charts) == {"nb201-found.svg", "nb201-transfer-rank.svg"}
    for name, svg in charts.items():
        root = ET.fromstring(svg)
        assert root.tag == SVG + "svg"
        texts = [el.text for el in root.iter(SVG + "text")]
        assert "ktnas" in texts
        for task in NB201_TASKS:
            assert any(task in (t or "") for t in texts)
    found = ET.fromstring(charts["nb201-found.svg"])
    # one line per strategy per task, each with its bootstrap band
    assert len(list(found.iter(SVG + "polyline"))) == 3 * 3
    assert len(list(found.iter(SVG + "polygon"))) == 3 * 3
    # only ktnas transfers cells
    rank = ET.fromstring(charts["nb201-transfer-rank.svg"])
    assert "random" not in [el.text for el in rank.iter(SVG + "text")]


# --------------------------------------------------------------------------- tnb101


def test_tnb101_values_within_table(tnb101, tnb_bench):
    assert len(tnb101["runs"]) == 6
    for r in tnb101["runs"]:
        assert set(r) == RECORD_KEYS | {"best_so_far", "value", "rank"}
        assert r["reason"] == "budget" and r["evals"] == {t: 50 for t in TNB_TASKS}
        for t in TNB_TASKS:
            assert r["value"][t] == pytest.approx(tnb_bench.query(r["best_arch"][t], t))
            assert tnb_bench.scores(t).min() <= r["value"][t] <= tnb_bench.optimum(t).value
            assert r["rank"][t] == tnb_bench.rank(r["best_arch"][t], t)
            assert 1 <= r["rank"][t] <= 4096
            assert (r["rank"][t] == 1) == (r["value"][t] == tnb_bench.optimum(t).value)
    for row in summarize(tnb101):
        assert row["runs"] == 2 and "total" not in row and "not_found" not in row
        optimum = {t: _shown(t, tnb_bench.optimum(t).value) for t in TNB_TASKS}
        assert optimum["class_object"] == pytest.approx(46.32, abs=0.005)
        assert optimum["class_scene"] == pytest.approx(54.94, abs=0.005)
        assert optimum["room_layout"] == pytest.approx(59.38, abs=0.005)
        assert row["tasks"]["class_object"][0] <= optimum["class_object"]
        assert row["tasks"]["class_scene"][0] <= optimum["class_scene"]
        # room_layout is a loss: lower is better, nobody beats the optimum
        assert row["tasks"]["room_layout"][0] >= optimum["room_layout"]
        assert row["tasks"]["room_layout"][0] < 110  # the worst cell's L2 loss x 100 is about 109.4
        runs = [r for r in tnb101["runs"] if r["strategy"] == row["method"]]
        for t in TNB_TASKS:
            assert row["tasks"][t][0] == pytest.approx(np.mean([_shown(t, r["value"][t]) for r in runs]))
        assert row["rank"][0] >= 1
        assert row["rank"][0] == pytest.approx(np.mean([np.mean(list(r["rank"].values())) for r in runs]))


def test_tnb101_best_so_far_curves(tnb101):
    for r in tnb101["runs"]:
        assert list(r["best_so_far"]) == TNB_TASKS
        for t in TNB_TASKS:
            curve = r["best_so_far"][t]
            assert len(curve) == 50
            assert all(math.isfinite(v) for v in curve)
            assert all(b >= a for a, b in zip(curve, curve[1:]))
            # the curve ends at the best cell found
            assert curve[-1] == pytest.approx(r["value"][t])


def test_tnb101_format_table(tnb101, tnb_bench):
    text = format_table(tnb101)
    lines = text.splitlines()
    assert lines[0].startswith(EXPERIMENTS["tnb101"].caption)
    assert lines[1].split()[:2] == ["method", "quantity"]
    body = _blocks(lines[2:])
    assert list(body) == ["ktnas-paper", "rea", "random", "optimum"]
    for s in ("ktnas-paper", "rea", "random"):
        assert [line.split()[1 if k == 0 else 0] for k, line in enumerate(body[s])] == [*TNB_TASKS, "avg"]
        for line, value in zip(body[s], PAPER["tnb101"][s]):
            assert line.rstrip().endswith(f"{value:g}") or f"{value:g} (" in line
        assert PAPER_NAMES[s] in body[s][0]
    assert "vs ktnas" in lines[1] and all("test" not in row for row in summarize(tnb101))  # ktnas did not run
    for line, t, paper in zip(body["optimum"], TNB_TASKS, PAPER["tnb101"]["optimum"]):
        assert f"{_shown(t, tnb_bench.optimum(t).value):.2f}" in line and line.rstrip().endswith(f"{paper:g}")


def test_format_table_no_brackets_without_paper_numbers():
    result = reproduce("tnb101", seeds=1, strategies=["emtnas", "rea"])
    body = _blocks(format_table(result).splitlines()[2:])
    assert "emtnas" not in PAPER["tnb101"]
    assert all(line.rstrip().endswith("-") for line in body["emtnas"])
    assert body["rea"][0].rstrip().endswith("45.39 (REA)")


def test_tnb101_plots(tnb101):
    charts = plots(tnb101)
    assert set(charts) == {"tnb101-best.svg", "tnb101-transfer-rank.svg"}
    for svg in charts.values():
        ET.fromstring(svg)
    best = ET.fromstring(charts["tnb101-best.svg"])
    assert len(list(best.iter(SVG + "polyline"))) == 3 * 3
    legend = [el.text for el in best.iter(SVG + "text")]
    for s in ("ktnas-paper", "rea", "random"):
        assert legend.count(s) == 1


def test_no_transfer_chart_without_transfer():
    result = reproduce("tnb101", seeds=1, strategies=["rea", "random"])
    charts = plots(result)
    assert set(charts) == {"tnb101-best.svg"}
    ET.fromstring(charts["tnb101-best.svg"])


# --------------------------------------------------------------------------- jobs, errors, progress


@pytest.mark.parametrize("name, strategies", [("nb201", ["ktnas", "rea"]), ("tnb101", ["random", "ktnas-onehot"])])
def test_jobs_do_not_change_results(name, strategies):
    one = reproduce(name, seeds=2, strategies=strategies, jobs=1)
    two = reproduce(name, seeds=2, strategies=strategies, jobs=2)
    assert len(two["runs"]) == 4
    assert _no_seconds(two["runs"]) == _no_seconds(one["runs"])
    assert {k: v for k, v in two.items() if k not in ("runs", "seconds")} == \
           {k: v for k, v in one.items() if k not in ("runs", "seconds")}


def test_run_one_is_deterministic():
    a, b = run_one("nb201", "ktnas", 1), run_one("nb201", "ktnas", 1)
    assert _no_seconds([a]) == _no_seconds([b])
    c = run_one("nb201", "ktnas", 0)
    assert c["optimum_at"] != a["optimum_at"]  # the seed matters


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "nb301"}, "experiment 'nb301' is not known"),
    ({"name": "nb201", "strategies": ["bogus"]}, "strategy 'bogus' is not known"),
    ({"name": "nb201", "strategies": ["ktnas", "KTNAS"]}, "strategy 'KTNAS' is not known"),
    ({"name": "nb201", "seeds": 0}, "seeds=0 is out of range"),
    ({"name": "tnb101", "seeds": -3}, "seeds=-3 is out of range"),
    ({"name": "nb201", "seeds": 1.5}, "seeds=1.5 is out of range"),
    ({"name": "nb201", "jobs": 0}, "jobs=0 is out of range"),
    ({"name": "tnb101", "strategies": ["random", "random"]}, "must name each strategy once"),
    ({"name": "tnb101", "strategies": []}, "must name each strategy once"),
])
def test_errors(kwargs, match):
    progress = []
    with pytest.raises(ParameterError, match=match):
        reproduce(progress=lambda *a: progress.append(a), **kwargs)
    assert progress == []  # nothing ran


@pytest.mark.parametrize("call", [summarize, format_table, plots])
def test_unknown_experiment_in_result(call):
    with pytest.raises(ParameterError, match="experiment 'x' is not known"):
        call({"experiment": "x", "strategies": [], "runs": [], "seeds": 1})


def test_run_one_unknown_experiment():
    with pytest.raises(ParameterError, match="'bogus'"):
        run_one("bogus", "ktnas", 0)


def test_progress_called_once_per_run():
    calls = []
    result = reproduce("nb201", seeds=2, strategies=["rea", "ktnas-onehot"],
                       progress=lambda done, total, label: calls.append((done, total, label)))
    assert calls == [(1, 4, "rea seed 0"), (2, 4, "rea seed 1"), (3, 4, "ktnas-onehot seed 0"),
                     (4, 4, "ktnas-onehot seed 1")]
    assert len(result["runs"]) == 4


def test_paired_tests_need_the_same_seeds(nb201):
    cut = {**nb201, "runs": [r for r in nb201["runs"] if not (r["strategy"] == "random" and r["seed"] == 2)]}
    with pytest.raises(ParameterError, match=r"paired test needs the same seeds on both sides; got \[2\]"):
        summarize(cut)
