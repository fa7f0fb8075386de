"""The composed app: tabs, header, and the links between views."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ktnas_core import benchmarks
from ktnas_core.search import Evaluated, TableEvaluator, make_strategy, read_events, run_search
from ktnas_core.runs.rundirs import Limits, PathEscapeError
from widgets import CellView, DisorderView, EmbeddingMap, SearchDashboard, build_app
from widgets.app import TAB_TITLES, link_search_to_map


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(runs_dir=str(tmp_path_factory.mktemp("runs")))


def test_tabs_and_header(app):
    tabs = app.children[1]
    assert tabs.titles == TAB_TITLES == ("Ranking disorder", "Cells & embeddings", "Search", "Transfer lineage", "Paper")
    assert isinstance(tabs.children[0], DisorderView)
    assert isinstance(app.embedding_map, EmbeddingMap) and isinstance(app.cell_view, CellView)
    assert isinstance(app.dashboard, SearchDashboard) and app.search_map is not app.embedding_map
    assert "ktnas: cross-task NAS explorer" in app.children[0].value
    assert "TransNAS-Bench-101" in app.children[0].value and "DATA.md" in app.children[0].value


def test_clicking_the_map_shows_the_cell(app):
    b = benchmarks.load("nb201")
    app.embedding_map.select(9930)
    assert app.cell_view.arch == b.space.from_index(9930)
    app.embedding_map.set_benchmark("tnb101_micro")
    app.embedding_map.select(17)
    assert app.cell_view.benchmark.name == "tnb101_micro"
    assert app.cell_view.arch == benchmarks.load("tnb101_micro").space.from_index(17)


def test_a_search_draws_its_generations_on_the_search_map(app):
    dash = app.dashboard
    dash.budget.value = 30
    handle = dash.start()
    assert handle is not None
    handle.wait(60)
    dash.pump()
    highlight = app.search_map.figure.layer("highlight")
    assert len(highlight["indices"]) > 0 and "latest generation" in highlight["label"]
    space = benchmarks.load("nb201").space
    last: dict = {}
    for e in read_events(handle.run_dir / "events.jsonl"):
        if isinstance(e, Evaluated):
            gen, cells = last.get(e.task, (-1, set()))
            last[e.task] = (e.generation, {space.index(space.parse(e.arch))} | (cells if gen == e.generation else set()))
    union = set().union(*(cells for _, cells in last.values()))
    assert sorted(highlight["indices"]) == sorted(union)


def test_one_redraw_of_the_generations_draws_the_search_map_once(tmp_path):
    """Under a kernel's event loop the dashboard's per-task reports of one redraw become one map update
    (each costs the browser a redraw of 15,625 dots); without a loop each is drawn at once."""
    import asyncio

    dash, search_map = SearchDashboard(tmp_path), EmbeddingMap("nb201", method="pca")
    calls = []
    search_map.highlight = lambda cells, name: calls.append((list(cells), name))
    link_search_to_map(dash, search_map)
    report = dash._population_cbs[-1]

    async def one_redraw():
        for task, cells in (("cifar10", [5, 1]), ("cifar100", [1, 9]), ("ImageNet16-120", [7])):
            report(task, cells)
        assert calls == []  # not yet: after this redraw's reports
        await asyncio.sleep(0)

    asyncio.run(one_redraw())
    assert calls == [([1, 5, 7, 9], "latest generation (cifar10, cifar100, ImageNet16-120)")]
    report("cifar10", [2])  # no loop running: drawn at once
    assert calls[-1] == ([1, 2, 7, 9], "latest generation (cifar10, cifar100, ImageNet16-120)")


def test_tabs_are_built_when_first_selected(tmp_path):
    app = build_app(runs_dir=str(tmp_path))
    explore, search, lineage, paper = app.tabs.children[1:]
    assert not any(tab.children for tab in (explore, search, lineage, paper))  # the page first sends one tab
    app.tabs.selected_index = 1
    assert explore.children and not search.children
    maps = [c for c in explore.children[1].children if isinstance(c, EmbeddingMap)]
    assert maps == [app.embedding_map]
    app.tabs.selected_index = 2
    assert app.dashboard in search.children and app.search_map in search.children and app.compare in search.children
    assert not lineage.children
    app.tabs.selected_index = 3
    assert lineage.children == (app.lineage,) and not paper.children
    app.tabs.selected_index = 4
    assert paper.children == (app.paper,)
    app.tabs.selected_index = 1
    assert maps[0] is app.embedding_map  # built once


@pytest.fixture
def no_ktnas_env(monkeypatch):
    for name in ("KTNAS_DEMO", "KTNAS_RUNS_DIR", "KTNAS_MAX_RUNS", "KTNAS_MAX_EVALS", "KTNAS_MAX_VISITOR_RUNS",
                 "KTNAS_ALLOW_TRAINING"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_app_confines_run_directories_to_its_root(tmp_path, no_ktnas_env):
    outside = tmp_path / "elsewhere"
    run_search(make_strategy("rea", "nb201", ["cifar10"]), TableEvaluator("nb201"), budget=5, run_dir=outside)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "link").symlink_to(outside, target_is_directory=True)
    app = build_app(runs_dir=str(tmp_path / "runs"))
    assert app.runs.confined and app.runs.path == tmp_path / "runs" and app.runs.limits == Limits()
    dash = app.dashboard
    for bad in ("../elsewhere", str(outside), "link"):
        assert dash.resume(bad) is None
        assert f"run directory &#x27;{bad}&#x27; is outside &#x27;{tmp_path / 'runs'}&#x27;" in dash.status.value
        with pytest.raises(PathEscapeError, match="choose a folder inside it"):
            dash.load_run(bad)
    assert dash.handle is None


def test_demo_mode_gives_each_visitor_a_folder_and_limits(tmp_path, no_ktnas_env):
    no_ktnas_env.setenv("KTNAS_DEMO", "1")
    no_ktnas_env.setenv("KTNAS_RUNS_DIR", str(tmp_path))
    no_ktnas_env.setenv("KTNAS_MAX_RUNS", "1")  # one search at a time on the whole server
    a, b = build_app().dashboard, build_app().dashboard
    assert a.runs_dir.parent == b.runs_dir.parent == tmp_path and a.runs_dir != b.runs_dir
    assert a.area.limits.max_evals == 3000 and a.evaluation.disabled  # the demo only looks scores up
    a.budget.value = 1001
    assert a.start() is None and "lower the budget to at most 1,000" in a.status.value
    a.algorithm.value, a.budget.value = "predictor", 1000  # a GP fit per generation: it runs a while
    running = a.start()
    assert running is not None and running.run_dir.parent == a.runs_dir
    assert f"running <code>{a.runs_dir.name}/" in a.status.value  # no server path shown
    b.budget.value = 10
    assert b.start() is None and "this server is running 1 searches" in b.status.value
    a.stop()
    assert running.wait(10)
    deadline = time.monotonic() + 5
    while (handle := b.start()) is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the stopped run's place is given back by its watcher thread
    assert handle is not None and handle.wait(30) and handle.state == "finished"
    a.refresh_runs(), b.refresh_runs()
    assert [v for _, v in a.resume_choice.options] == [str(running.run_dir)]
    assert b.resume_choice.options == ()  # b's run finished; a's stopped one is not b's to see
    assert b.resume(running.run_dir) is None and "is outside" in b.status.value
    a.evaluation.value = "train"  # what a crafted widget message could do to the disabled dropdown
    assert a.start() is None and "training candidates is off" in a.status.value


def test_the_lineage_tab_offers_the_runs_and_follows_new_ones(tmp_path):
    """A run finished in the Search tab is offered (and shown) in the lineage tab, which draws
    its transfers; the runs table lists it."""
    app = build_app(runs_dir=str(tmp_path))
    app.tabs.selected_index = 3
    assert app.lineage.run_choice.options == ()  # no run yet
    dash = app.dashboard
    dash.budget.value, dash.seed.value = 40, 3
    handle = dash.start()
    assert handle is not None and handle.wait(60)
    while dash.pump():
        pass
    assert [r.path for r in app.compare.records] == [handle.run_dir]
    assert app.lineage.run_choice.value == str(handle.run_dir)
    assert app.lineage.lineage is not None and len(app.lineage.lineage.accepted) > 0


def test_first_tab_imports_no_heavy_module():
    """Building the app imports only what its first tab needs: scikit-learn (the embeddings),
    networkx (the cell view), the search and plotly's widget classes (the lineage graph) come with
    their tabs; an app kernel skips rfc3987_syntax."""
    import subprocess
    import sys

    code = ("import sys\nfrom widgets import build_app\nbuild_app()\n"
            "print(sorted(m for m in ('sklearn', 'networkx', 'widgets.embedding_map', 'widgets.cell_view', "
            "'widgets.search_dashboard', 'rfc3987_syntax', 'plotly.graph_objs', 'nbformat') if sys.modules.get(m)))\n"
            "from widgets.app import import_tabs\nimport_tabs()\n"
            "print(sorted(m for m in ('ktnas_core.predictors', 'sklearn', 'widgets.embedding_map', "
            "'widgets.lineage_view') if m in sys.modules))")
    env = {**os.environ, "KTNAS_APP_KERNEL": "1", "KTNAS_RUNS_DIR": str(Path(__file__).parent / "no-runs")}
    env.pop("VOILA_PREHEAT", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    first, warmed = out.strip().splitlines()
    assert first == "[]", first
    assert warmed == "['ktnas_core.predictors', 'sklearn', 'widgets.embedding_map', 'widgets.lineage_view']", warmed
