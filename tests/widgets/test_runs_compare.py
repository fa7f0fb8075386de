"""RunsCompare without a browser: the table, overlay colours and bands, selection results and
exports, ten seeds within the demo limits."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from ktnas_core.runs.report import band, read_run
from ktnas_core.runs.rundirs import Limits, RunArea, RunLimitError
from widgets.runs_compare import HEAD, RunsCompare
from widgets.search_dashboard import SearchDashboard

from .test_search_dashboard import links, pump_all


@pytest.fixture(scope="module")
def compare(tmp_path_factory):
    dash = SearchDashboard(tmp_path_factory.mktemp("runs"))
    view = RunsCompare(dash)
    dash.algorithm.value, dash.budget.value = "rea", 30
    assert view.run_seeds(3) and view.wait(60)
    dash.algorithm.value, dash.seed.value = "ktnas", 7
    handle = dash.start()
    assert handle.wait(60)
    pump_all(dash)
    return view


def _lines(view):
    """The series drawn, by name."""
    return {line.name: line for line in view.figure.series}


def test_the_table_lists_every_run_and_ticks_the_seeds(compare):
    assert [(r.strategy, r.seed) for r in compare.records] == [("ktnas", 7), ("rea", 0), ("rea", 1), ("rea", 2)]
    assert compare.selected == [r.path for r in compare.records[1:]]  # the seeds, ticked as they finished
    texts = [c.value for c in compare.grid.children if hasattr(c, "value") and isinstance(c.value, str)]
    rec = compare.records[1]
    assert any(f"{rec.regret['cifar10']:.3f}" in t for t in texts)
    assert "10 seeds" not in compare.status.value and "3 seeds done" in compare.status.value


def test_a_refresh_keeps_unchanged_rows_and_closes_the_widgets_it_replaces(compare):
    before = list(compare.grid.children)
    compare.refresh()  # nothing changed on disk: the same widgets, none closed
    assert list(compare.grid.children) == before and all(c.comm is not None for c in before)
    row = len(HEAD)  # the first run's row starts after the header
    first = compare.records[0].path
    compare.select([r.path for r in compare.records])  # the first run's tick changes: only its row is new
    after = list(compare.grid.children)
    assert after[:row] == before[:row] and after[row + len(HEAD):] == before[row + len(HEAD):]
    assert all(c.comm is None for c in before[row:row + len(HEAD)])  # closed: not kept by kernel or page
    assert after[row].value is True and compare.selected[0] == first
    compare.select([r.path for r in compare.records[1:]])  # as the other tests expect it


def test_seeds_are_one_median_band_and_another_run_its_own_line(compare):
    compare.select([r.path for r in compare.records])
    lines = _lines(compare)
    assert sorted(lines) == ["ktnas seed 7", "rea · 3 seeds (median, IQR)"]
    assert len({line.color for line in lines.values()}) == 2
    rea = lines["rea · 3 seeds (median, IQR)"]
    x, median, q25, q75 = band([r.curves["cifar10"] for r in compare.records[1:]])
    np.testing.assert_allclose(rea.y, median)
    np.testing.assert_allclose(rea.low, q25)
    np.testing.assert_allclose(rea.high, q75)
    assert lines["ktnas seed 7"].low is None  # one run: no band
    svg = compare.figure.svg
    assert svg.count('class="band"') == 1 and svg.count('class="line"') == 2 and svg.count('class="legend"') == 2
    compare.task.value = ("nb201", "cifar100")
    np.testing.assert_allclose(_lines(compare)["ktnas seed 7"].y, read_run(compare.records[0].path).curves["cifar100"])
    assert "on cifar100 (nb201)" in compare.figure.title
    compare.separate.value = True
    assert len(_lines(compare)) == 4 and 'class="band"' not in compare.figure.svg
    compare.separate.value = False


def test_results_and_exports_cover_the_selection(compare):
    chosen = compare.records[:2]
    compare.select([r.path for r in chosen])
    files = links(compare.results.value)
    rows = list(csv.DictReader(io.StringIO(files["selection.csv"].decode())))
    assert [(r["run"], r["task"]) for r in rows] == [(r.path.name, t) for r in chosen for t in r.tasks]
    assert json.loads(files["selection.json"])[0]["run"] == chosen[0].path.name  # no server path
    assert str(chosen[0].path.parent) not in compare.results.value
    compare.select([])
    assert compare.results.value == "" and not compare.figure.series
    assert compare.figure.title == "Tick runs in the table to compare them"


def test_ten_seeds_respect_the_visitor_folder_limit(tmp_path):
    area = RunArea(tmp_path, Limits(max_visitor_runs=5, max_evals=3000))
    dash = SearchDashboard(area)
    view = RunsCompare(dash)
    with pytest.raises(RunLimitError, match="10 seeds need 10 new run folders.*KTNAS_MAX_VISITOR_RUNS=5"):
        view.run_seeds(10)
    area.limits = Limits(max_visitor_runs=20, max_evals=3000)
    dash.budget.value = 2000  # x 3 tasks: over the evaluations per run
    view.seeds_button.click()
    assert "KTNAS_MAX_EVALS=3,000" in view.status.value and dash.handle is None


def test_a_start_lists_the_new_run_without_redrawing_the_figure(tmp_path):
    """At a start only the table changes (a new run is not ticked); the figure's update would go out
    to the page ahead of the new run's first curve."""
    dash = SearchDashboard(tmp_path)
    view = RunsCompare(dash)
    dash.algorithm.value, dash.budget.value = "rea", 30
    assert view.run_seeds(2) and view.wait(60)
    drawn = []
    view._draw = lambda: drawn.append(len(view.records))  # each redraw of the figure, with the runs then listed
    dash.algorithm.value, dash.seed.value = "random", 5
    handle = dash.start()
    assert [(r.strategy, r.seed) for r in view.records][0] == ("random", 5) and drawn == []
    assert handle.wait(60)
    pump_all(dash)  # the run's end: the figure is drawn again
    assert drawn and view.records[0].status == "budget"
