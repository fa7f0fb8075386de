"""The Paper tab: a 10-seed Table II run through the view, its table, chart and exports from the core's
summarize; Stop; the server's limits; bad input reported in the status line."""

from __future__ import annotations

import base64
import csv
import io
import json
import re

import pytest

from ktnas_core.experiments.catalog import PAPER
from ktnas_core.experiments.paper_results import Reproduction, found_curves, load_result
from ktnas_core.experiments.reproduce_report import format_p, summarize
from ktnas_core.runs.rundirs import Limits, RunArea
from widgets.paper_view import PaperView

CHOSEN = ["zero-cost", "random-transfer", "ktnas"]  # seconds each (ktnas-xt's surrogate takes minutes)


def _tick(view: PaperView, names) -> None:
    for box in view.strategy_boxes.children:
        box.value = box.description in names


def _export(view: PaperView, suffix: str) -> bytes:
    href = re.search(rf"download='[^']+{suffix}' href='data:[^;]+;base64,([^']+)'", view.exports.value)
    assert href, view.exports.value
    return base64.b64decode(href.group(1))


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    view = PaperView(RunArea(tmp_path_factory.mktemp("runs")))
    assert view.wait(300)
    assert view.shown["source"] == "nb201.json"  # the shipped result opens first
    _tick(view, CHOSEN)
    view.seeds.value = 10
    view.run_button.click()
    assert view.job is not None, view.status.value
    assert view.wait(600), view.status.value
    return view


def test_ten_seed_table_ii_comes_from_summarize(ran):
    view = ran
    assert view.job.state == "finished" and view.shown["seeds"] == 10
    assert view.shown["strategies"] == CHOSEN and len(view.shown["runs"]) == 30
    expected = summarize(view.shown, "ktnas")
    assert view.reference == "ktnas"
    assert [r["method"] for r in view.rows] == CHOSEN
    for mine, theirs in zip(view.rows, expected):
        assert mine["stats"]["total"] == theirs["stats"]["total"]
        assert (mine["test"] or {}).get("total") == (theirs["test"] or {}).get("total")
    table = view.table.value
    for row in expected:
        st = row["stats"]["total"]
        assert f"{st['mean']:.1f} <span" in table and f"[{st['ci'][0]:.1f}, {st['ci'][1]:.1f}]" in table
        if row["test"]:
            assert format_p(row["test"]["total"]["p"]) in table
    assert "paper 462.2" in table and "paper 196" in table  # zero-cost and KTNAS (node2vec) beside ours
    assert "paper 1439.6" in table  # the paper's REA row, which this run did not include
    assert "this page's run: 10 of 10 seeds complete" in view.source.value


def test_chart_lines_are_the_cores_ecdf_with_bands(ran):
    view, tasks = ran, load_result("nb201")["tasks"]
    assert [p.title for p in view.figure.panels] == list(tasks)
    for panel, t in zip(view.figure.panels, tasks):
        assert panel.x_log and [line.name for line in panel.lines] == CHOSEN
        for line in panel.lines:
            c = found_curves(view.shown, line.name, t)
            assert list(line.y) == pytest.approx(c["y"]) and list(line.x) == pytest.approx(c["x"])
            assert list(line.low) == pytest.approx(c["low"]) and list(line.high) == pytest.approx(c["high"])
    svg = view.figure.svg
    assert svg.count('class="band"') == svg.count('class="line"') == len(CHOSEN) * len(tasks)
    assert svg.count('class="legend"') == len(CHOSEN) and view.figure.title.endswith(", 10 seeds")


def test_exports_cover_the_table(ran):
    view = ran
    rows = list(csv.DictReader(io.StringIO(_export(view, ".csv").decode())))
    ours = [r for r in rows if r["mean"]]
    assert {(r["method"], r["quantity"]) for r in ours} == {(s, q) for s in CHOSEN
                                                            for q in ("cifar10", "cifar100", "ImageNet16-120", "total")}
    by = {(r["method"], r["quantity"]): r for r in ours}
    for row in view.rows:
        st = row["stats"]["total"]
        assert float(by[(row["method"], "total")]["mean"]) == pytest.approx(st["mean"])
        assert float(by[(row["method"], "total")]["ci_low"]) == pytest.approx(st["ci"][0])
    assert float(by[("zero-cost", "total")]["paper"]) == PAPER["nb201"]["zero-cost"][3]
    assert any(r["method"] == "rea" and r["paper"] and not r["mean"] for r in rows)  # paper-only row
    data = json.loads(_export(view, ".json"))
    assert data["seeds"] == 10 and data["reference"] == "ktnas" and len(data["rows"]) == len(rows)


def test_stop_keeps_complete_seeds(tmp_path):
    view = PaperView(RunArea(tmp_path))
    _tick(view, ["rea", "zero-cost"])
    view.seeds.value = 100
    view.run_button.click()
    job = view.job
    while job.running and job.complete_seeds < 2:
        job.wait(0.05)
    view.stop_button.click()
    assert view.wait(300), view.status.value
    assert job.state == "stopped" and job.done < job.total
    assert view.shown["seeds"] == job.complete_seeds < 100
    assert "stopped" in view.status.value and not view.run_button.disabled and view.stop_button.disabled


@pytest.mark.parametrize("setup, message", [
    (lambda v: setattr(v.seeds, "value", 5), "seeds=5 is out of range; allowed: an integer in [10, 100]"),
    (lambda v: setattr(v.seeds, "value", 101), "seeds=101 is out of range"),
    (lambda v: _tick(v, []), "no strategy is ticked"),
])
def test_bad_input_goes_to_the_status_line(tmp_path, setup, message):
    view = PaperView(RunArea(tmp_path))
    setup(view)
    view.run_button.click()
    assert view.job is None
    assert message in view.status.value and "ktnas-paper-status" in view.status.value


def test_demo_limits(tmp_path):
    area = RunArea(tmp_path, Limits(max_runs=1, max_evals=3000), visitor="visitor-a")
    view = PaperView(area)
    random = next(b for b in view.strategy_boxes.children if b.description == "random")
    assert random.disabled and not random.value  # ~27,000 evaluations per run on the shipped result
    assert "KTNAS_MAX_EVALS=3,000" in random.tooltip
    held = area.acquire()  # another visitor's search takes the server's only place
    try:
        view.run_button.click()
        assert view.job is None and "KTNAS_MAX_RUNS=1" in view.status.value
    finally:
        held.release()


def test_reproduction_rejects_bad_arguments():
    with pytest.raises(Exception, match="strategy 'nope' is not known"):
        Reproduction("nb201", 10, ["nope"])
    with pytest.raises(Exception, match="seeds"):
        Reproduction("nb201", 0)
