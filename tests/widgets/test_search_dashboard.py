"""SearchDashboard without a browser: live curves, progress, transfer log, results, exports, stop,
resume, replay of saved runs, overlays and validation."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import re
import time

import numpy as np
import pytest

from ktnas_core import benchmarks
from ktnas_core.search import Evaluated, TableEvaluator, make_strategy, read_events, run_search
from widgets.dashboard_figure import EARLIER_COLOR
from widgets.search_dashboard import DEFAULT_TASKS, MAX_PER_PUMP, SearchDashboard
from widgets.style import SyncedBox

TASKS = ("cifar10", "cifar100", "ImageNet16-120")


def configure(dash, algorithm="ktnas", budget=40, seed=0, **values):
    dash.algorithm.value, dash.budget.value, dash.seed.value = algorithm, budget, seed
    for name, value in values.items():
        getattr(dash, name).value = value


def run_to_end(dash, **config):
    configure(dash, **config)
    handle = dash.start()
    assert handle is not None, dash.status.value
    assert handle.wait(60)
    pump_all(dash)
    return handle


def pump_all(dash):
    """Pump until the queue is empty (one pump takes at most MAX_PER_PUMP events)."""
    while dash.pump():
        pass


def links(html_text):
    """{file name: decoded bytes} of the data-URI download links in ``html_text``."""
    found = re.findall(r"<a download='([^']+)' href='data:[^;]+;base64,([^']+)'", html_text)
    return {name: base64.b64decode(data) for name, data in found}


def curve(dash, task, col=0):
    """The drawn curve of ``task`` in panel ``col`` (0: against evaluations, 1: against GPU-hours)."""
    line, = [line for line in dash.figure.panels[col].lines if line.name == task]
    return np.asarray(line.x, dtype=float), np.asarray(line.y, dtype=float)


@pytest.fixture
def dash(tmp_path):
    return SearchDashboard(tmp_path / "runs")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    d = SearchDashboard(tmp_path_factory.mktemp("runs"))
    return d, run_to_end(d)


def test_defaults_are_the_papers_tasks_and_table_one(dash):
    assert isinstance(dash, SyncedBox)
    assert dash.tasks == list(TASKS) == list(DEFAULT_TASKS["nb201"])
    dash.benchmark.value = "tnb101_micro"
    assert [c.description for c in dash.task_boxes.children] == list(benchmarks.load("tnb101_micro").tasks)
    assert dash.tasks == ["class_object", "class_scene", "room_layout"]
    assert (dash.population.value, dash.tournament.value) == (10, 5)


def test_finished_run_draws_curves_progress_and_results(finished):
    dash, handle = finished
    res = handle.result
    assert handle.state == "finished" and res.reason == "budget"
    assert list(dash._current) == list(TASKS)
    assert dash.handle.run_dir.name == "ktnas-nb201-s0-1"
    opt = TableEvaluator("nb201")
    for t in TASKS:
        x, y = curve(dash, t)
        assert np.all(np.diff(y) <= 0) and np.all(np.diff(x) > 0) and np.all(y >= 0)  # regret of the best so far
        assert y[-1] == pytest.approx(opt.optimum_score(t) - res.tasks[t].best_score) and x[-1] == 40
        h, yh = curve(dash, t, col=1)
        assert h[-1] == pytest.approx(res.tasks[t].cost_s / 3600) and list(yh) == list(y)
    assert [p.title for p in dash.figure.panels] == ["against evaluations", "against simulated GPU-hours"]
    assert dash.figure.title.startswith("Regret of the best so far: ktnas seed 0")
    assert dash.figure.svg.count('class="line"') == 2 * len(TASKS)  # a curve per task in each panel
    assert dash.progress_bar.value == dash.progress_bar.max == 120
    assert "120 / 120 evaluations" in dash.progress_text.value
    assert "finished (budget)" in dash.status.value
    assert dash.start_button.disabled is False and dash.stop_button.disabled is True


def test_results_table_and_export_links(finished):
    dash, handle = finished
    files = links(dash.results.value)
    stem = handle.run_dir.name
    assert set(files) == {f"{stem}.csv", f"{stem}.json", f"{stem}-events.jsonl"}
    rows = list(csv.DictReader(io.StringIO(files[f"{stem}.csv"].decode())))
    assert [r["task"] for r in rows] == list(TASKS)
    b = benchmarks.load("nb201")
    for r in rows:
        res = handle.result.tasks[r["task"]]
        assert r["best_cell"] == res.best_arch and float(r["valid"]) == pytest.approx(res.best_score)
        assert int(r["rank"]) == b.rank(res.best_arch, r["task"]) and int(r["evals"]) == 40
        assert f"{int(r['rank']):,} / 15,625" in dash.results.value
    data = json.loads(files[f"{stem}.json"])
    assert [d["task"] for d in data] == list(TASKS) and data[0]["status"] == "budget"
    log = files[f"{stem}-events.jsonl"]
    assert log == (handle.run_dir / "events.jsonl").read_bytes()
    assert log.decode().splitlines()[-1].startswith('{"event": "RunFinished"')
    assert all(r.best_arch in dash.results.value for r in handle.result.tasks.values())


def test_transfer_log_lists_ktnas_transfers_with_scores_and_labels(finished):
    dash, handle = finished
    assert "Latest transfers" in dash.transfer_log.value
    rows = list(dash.trace.transfers.values())
    assert len(rows) > 12 and all(r["accepted"] for r in rows)
    events = list(read_events(handle.run_dir / "events.jsonl"))
    scored = {(e.generation, e.task, e.arch): e.score for e in events if isinstance(e, Evaluated)}
    last = max(r["generation"] for r in rows)
    for r in rows:  # scored once evaluated; only the last generation's may miss the budget
        assert r["score"] == scored.get((r["generation"], r["target"], r["cell"]))
        assert r["score"] is not None or r["generation"] == last
    assert any(r["label"] in (1, -1) for r in rows)
    assert dash.transfer_log.value.count("<tr") == 13  # header and the latest 12


def test_rea_has_no_transfers_and_population_callback_reports_cells(dash):
    seen = []
    dash.on_population(lambda task, cells: seen.append((task, cells)))
    handle = run_to_end(dash, algorithm="rea", budget=25)
    assert dash.transfer_log.value == "" and not dash.trace.transfers
    b = benchmarks.load("nb201")
    events = [e for e in read_events(handle.run_dir / "events.jsonl") if isinstance(e, Evaluated)]
    last = max(e.generation for e in events if e.task == "cifar10")
    reported = [cells for t, cells in seen if t == "cifar10"]
    assert reported and sorted(reported[-1]) == sorted(  # the latest generation's cells, once per redraw
        b.index(e.arch) for e in events if e.task == "cifar10" and e.generation == last)
    assert {t for t, _ in seen} == set(TASKS)
    with pytest.raises(Exception, match="callback must be callable"):
        dash.on_population(3)


def test_stop_ends_a_long_run_within_two_seconds_and_it_can_be_resumed(dash):
    configure(dash, algorithm="random", budget=15_625)
    handle = dash.start()
    end = time.monotonic() + 10
    while handle.progress.done < 200 and time.monotonic() < end:
        time.sleep(0.01)
    dash.pump()
    assert handle.running and dash.stop_button.disabled is False
    assert str(handle.run_dir) not in dict(dash.resume_choice.options).values()  # not while it runs
    t0 = time.monotonic()
    dash.stop_button.click()
    assert handle.wait(2.0) and time.monotonic() - t0 < 2.0
    dash.pump()
    assert handle.state == "stopped" and "stopped after" in dash.status.value
    done = sum(n for n, _, _ in dash.trace.now.values())
    assert done >= 200 and dash.progress_bar.value == done < dash.progress_bar.max
    assert dash.resume_choice.value == str(handle.run_dir)
    assert dash.results.value  # partial results of a stopped run

    resumed = dash.resume()  # the dropdown's choice
    assert resumed is not None and resumed.run_dir == handle.run_dir
    resumed.stop()
    assert resumed.wait(2.0)
    dash.pump()
    assert resumed.state == "stopped"
    # the log up to the last checkpoint is replayed, then the resumed part: the trace follows the handle
    assert sum(n for n, _, _ in dash.trace.now.values()) == resumed.progress.done


def test_resume_finishes_a_stopped_run_with_the_uninterrupted_result(dash):
    configure(dash, algorithm="rea", budget=1500, seed=4)
    handle = dash.start()
    while handle.progress.done < 100:
        time.sleep(0.005)
    dash.stop()
    assert handle.wait(2.0)
    dash.pump()
    resumed = dash.resume(handle.run_dir)
    assert resumed.wait(60)
    pump_all(dash)
    full = run_search(make_strategy("rea", "nb201", TASKS), TableEvaluator("nb201"), budget=1500, seed=4)
    assert resumed.result == full
    for t in TASKS:
        assert curve(dash, t)[1][-1] == pytest.approx(TableEvaluator("nb201").optimum_score(t)
                                                      - full.tasks[t].best_score)
    assert dash.progress_bar.value == dash.progress_bar.max == 4500
    assert str(handle.run_dir) not in dict(dash.resume_choice.options).values()


def test_load_run_replays_a_saved_run_into_the_same_curves(finished, tmp_path):
    live, handle = finished
    run_dir = tmp_path / "saved"
    run_search(make_strategy("ktnas", "nb201", TASKS), TableEvaluator("nb201"), budget=40, seed=0, run_dir=run_dir)
    dash = SearchDashboard(tmp_path / "other")
    dash.load_run(run_dir)
    for t in TASKS:
        for col in (0, 1):
            np.testing.assert_array_equal(curve(dash, t, col)[0], curve(live, t, col)[0])
            np.testing.assert_array_equal(curve(dash, t, col)[1], curve(live, t, col)[1])
    assert dash.progress_bar.value == dash.progress_bar.max == 120
    assert links(dash.results.value) and "ktnas seed 0" in dash.figure.title
    assert dash.pump() == 0


def test_earlier_runs_stay_faint_and_clear_removes_them(dash):
    run_to_end(dash, algorithm="rea", budget=15, seed=1)
    first = {t: list(curve(dash, t)[1]) for t in TASKS}
    run_to_end(dash, algorithm="random", budget=15, seed=2)
    for col in (0, 1):
        earlier = [line for line in dash.figure.panels[col].lines if line.name == "earlier runs"]
        assert [line.tip for line in earlier] == [f"rea seed 1: {t}" for t in TASKS]
        assert [list(line.y) for line in earlier] == [first[t] for t in TASKS]
        assert all(line.opacity < 1 and line.color == EARLIER_COLOR for line in earlier)
        assert sum(line.legend for line in earlier) == (col == 0)  # one legend entry for all of them
    assert dash.figure.svg.count("<g class=\"legend\"") == 1 + len(TASKS)
    dash.clear_button.click()
    assert not [line for line in dash.figure.series if line.name == "earlier runs"]
    assert {line.name for line in dash.figure.series} == set(TASKS)  # the run shown stays
    run_to_end(dash, algorithm="rea", budget=15, seed=3)
    assert len([line for line in dash.figure.series if line.name == "earlier runs"]) == 2 * len(TASKS)
    dash.benchmark.value = "tnb101_micro"
    run_to_end(dash, algorithm="rea", budget=10)
    assert not [line for line in dash.figure.series if line.name == "earlier runs"]  # other scores: not overlaid


@pytest.mark.parametrize("change, message", [
    (lambda d: [setattr(c, "value", False) for c in d.task_boxes.children], "no task is ticked"),
    (lambda d: setattr(d.budget, "value", 0), "budget=0 is out of range"),
    (lambda d: setattr(d.tournament, "value", 50), "tournament_size=50 is out of range"),
    (lambda d: setattr(d.top, "value", 1.5), "top=1.5 is out of range"),
])
def test_invalid_inputs_show_an_error_and_start_nothing(dash, change, message):
    change(dash)
    dash.start_button.click()
    assert message in dash.status.value and dash.handle is None
    assert not dash.runs_dir.exists() or not any(dash.runs_dir.iterdir())
    assert dash.start() is None


def test_pump_and_buttons_are_harmless_without_a_run(dash):
    assert dash.pump() == 0
    dash.stop_button.click()
    dash.clear_button.click()
    dash.resume_button.click()
    assert "no resumable run" in dash.status.value and dash.handle is None
    assert dash.resume_choice.options == () and not dash.figure.series
    assert "press Start" in dash.figure.svg


def test_figure_is_kept_and_synced_on_display(finished):
    dash, _ = finished
    fig = dash.figure
    dash._repr_mimebundle_()
    assert dash.figure is fig and dash.figure in dash.children
    x, y = curve(dash, TASKS[0])
    assert f"{x[-1]:,.0f} evaluations: regret {y[-1]:.4f}" in fig.svg  # the last corner's tooltip


def test_pump_keeps_up_in_bounded_slices(tmp_path):
    dash = SearchDashboard(tmp_path)
    configure(dash, algorithm="random", budget=3000)
    handle = dash.start()
    assert handle.wait(60)
    n, slices, t0 = handle.pending, 0, time.perf_counter()
    while m := dash.pump():
        assert m <= MAX_PER_PUMP
        slices += 1
    rate = n / (time.perf_counter() - t0)
    assert slices == -(-n // MAX_PER_PUMP) and rate > 5_000, f"{rate:.0f} events/s"
    assert dash.progress_bar.value == 9000 and "finished" in dash.status.value


def test_the_event_loop_pumps_by_itself_and_stays_responsive(tmp_path):
    """Under a running asyncio loop (the kernel's), start() arms the pump; the loop never stalls long."""
    dash = SearchDashboard(tmp_path)
    configure(dash, algorithm="random", budget=4000)

    async def main():
        handle, lag, last = dash.start(), 0.0, time.perf_counter()
        while handle.running or dash._pump_timer is not None:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            lag, last = max(lag, now - last), now
        return handle, lag

    handle, lag = asyncio.run(main())
    assert handle.state == "finished" and dash.progress_bar.value == 12_000
    assert "finished (budget)" in dash.status.value and dash.results.value
    assert lag < 1.0, f"the event loop stalled for {lag:.2f} s"



# -- real-training mode (CPU, a few seconds) ---------------------------------------------------------------------
def training_mode(dash, tasks=("digits",), budget=3, epochs=2, algorithm="ktnas"):
    """Switch to training with tiny subsets; returns the list of every value the epoch line takes."""
    dash.evaluation.value, seen, t = "train", [], dash.training
    for box in t.task_boxes.children:
        box.value = box.description in tasks
    configure(dash, algorithm=algorithm, budget=budget)
    t.epochs.value, t.C.value = epochs, 4
    for split, n in (("train", 200), ("valid", 100), ("test", 100)):
        t.subset_boxes[split].value = n
    t.epoch_text.observe(lambda change: seen.append(re.sub("<[^>]+>", "", change["new"])), names="value")
    return seen


def pump_until_done(dash, handle, timeout=120):
    t0 = time.monotonic()
    while handle.running and time.monotonic() - t0 < timeout:
        dash.pump(), time.sleep(0.02)
    assert not handle.running
    pump_all(dash), dash.pump()

def test_training_controls_show_only_in_training_mode(dash):
    t = dash.training
    assert dash.evaluation.value == "table" and not dash.training_mode and dash.benchmark.disabled is False
    assert (t.box.layout.display, dash.table_tasks.layout.display, dash.stop_on_optimum.layout.display) == (
        "none", "flex", None)
    dash.benchmark.value, dash.evaluation.value = "tnb101_micro", "train"
    assert (t.box.layout.display, dash.table_tasks.layout.display, dash.stop_on_optimum.layout.display) == (
        "flex", "none", "none")
    assert dash.benchmark.value == "nb201" and dash.benchmark.disabled and dash.tasks == ["digits", "fashion-mnist"]
    assert (t.epochs.value, t.C.value, t.N.value, t.subset()) == (3, 8, 1, dict(train=1000, valid=300, test=300))
    assert ("no GPU" in (v := t.device_line.value) and "answers in seconds" in v) or "training on " in v
    training_mode(dash, tasks=())
    assert dash.start() is None and "no data set is ticked" in dash.status.value
    dash.evaluation.value = "table"
    assert (t.box.layout.display, dash.table_tasks.layout.display) == ("none", "flex") and dash.tasks == list(TASKS)


@pytest.mark.training
def test_training_run_draws_validation_error_epochs_and_results(dash):
    seen = training_mode(dash)
    handle = dash.start()
    assert handle and handle.config["evaluator"]["cache_dir"] == str(handle.run_dir / "trained"), dash.status.value
    ev = dash.training.evaluator
    assert (ev.device_note or "") in dash.training.device_line.value
    assert ev.device != "cpu" or "slow" in dash.training.device_line.value
    pump_until_done(dash, handle)
    assert handle.state == "finished" and "finished (budget)" in dash.status.value
    res = handle.result.tasks["digits"]
    x, y = curve(dash, "digits")  # 100% minus the best validation accuracy so far
    assert np.all(np.diff(y) <= 0) and y[-1] == pytest.approx(100 - res.best_score) and x[-1] == 3
    h, yh = curve(dash, "digits", col=1)  # against measured hours
    assert h[-1] == pytest.approx(res.cost_s / 3600) and list(yh) == list(y)
    assert "100% − accuracy" in dash.figure.title
    assert dash.figure.panels[1].x_title == "GPU-hours per task (measured)"
    assert all(v.startswith("training cell |") for v in seen if v)  # the epochs reported in the worker
    assert any("on digits: epoch 1/2, loss" in v for v in seen) and any("epoch 2/2" in v and "%" in v for v in seen)
    files, stem = links(dash.results.value), handle.run_dir.name
    assert stem.startswith("ktnas-train-s0") and set(files) == {f"{stem}.csv", f"{stem}.json", f"{stem}-events.jsonl"}
    r, = json.loads(files[f"{stem}.json"])
    detail = ev.details(res.best_arch, "digits")
    assert (r["task"], r["status"], r["best_cell"], r["evals"]) == ("digits", "budget", res.best_arch, 3)
    assert r["valid_accuracy"] == pytest.approx(res.best_score) and r["seconds"] == pytest.approx(res.cost_s, abs=1e-3)
    assert r["test_accuracy"] == pytest.approx(detail["test_accuracy"]) and r["params"] == detail["params"] > 0
    assert int(next(csv.DictReader(io.StringIO(files[f"{stem}.csv"].decode())))["params"]) == r["params"]
    dash.evaluation.value = "table"  # the same dashboard still runs table searches as before
    table = run_to_end(dash, algorithm="rea", budget=20)
    assert table.state == "finished" and table.config["evaluator"]["kind"] == "table"
    assert dash.figure.panels[1].x_title == "GPU-hours per task (simulated)"
    assert dash.figure.title.startswith("Regret of the best so far: rea seed 0")
    assert "/ 15,625" in dash.results.value and dash._earlier == []  # other scores: not compared
    dash.load_run(handle.run_dir)  # a saved training run loads with its training results
    assert links(dash.results.value)[f"{stem}.json"] == files[f"{stem}.json"]


@pytest.mark.training
def test_training_run_stops_and_resumes_with_its_epoch_progress(dash):
    seen = training_mode(dash, budget=4, epochs=2, algorithm="rea")
    handle, t0 = dash.start(), time.monotonic()
    while not seen and time.monotonic() - t0 < 60:  # stop during training: the candidate is cancelled
        dash.pump(), time.sleep(0.01)
    dash.stop()
    pump_until_done(dash, handle)
    assert handle.state == "stopped" and handle.progress.done < 4 and "stopped after" in dash.status.value
    seen.clear()
    again = dash.resume()
    assert again is not None and again.run_dir == handle.run_dir, dash.status.value
    pump_until_done(dash, again)
    assert again.state == "finished" and again.result.tasks["digits"].n_evals == 4 and any(
        "epoch 2/2" in v for v in seen)  # the rebuilt evaluator reports its epochs too
    r, = json.loads(links(dash.results.value)[f"{again.run_dir.name}.json"])
    assert r["evals"] == 4 and r["test_accuracy"] is not None
