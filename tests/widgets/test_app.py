"""The composed app: tabs, header, and the links between views."""

from __future__ import annotations

import pytest

from ktnas_core import benchmarks
from ktnas_core.search import Evaluated, read_events
from widgets import CellView, DisorderView, EmbeddingMap, SearchDashboard, build_app
from widgets.app import TAB_TITLES


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(runs_dir=str(tmp_path_factory.mktemp("runs")))


def test_tabs_and_header(app):
    tabs = app.children[1]
    assert tabs.titles == TAB_TITLES == ("Ranking disorder", "Cells & embeddings", "Search")
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
    highlight = app.search_map.figure.data[1]
    assert len(highlight.x) > 0 and "latest generation" in highlight.name
    space = benchmarks.load("nb201").space
    last: dict = {}
    for e in read_events(handle.run_dir / "events.jsonl"):
        if isinstance(e, Evaluated):
            gen, cells = last.get(e.task, (-1, set()))
            last[e.task] = (e.generation, {space.index(space.parse(e.arch))} | (cells if gen == e.generation else set()))
    union = set().union(*(cells for _, cells in last.values()))
    xy = app.search_map.coordinates
    assert sorted(zip(highlight.x, highlight.y)) == sorted((float(xy[i, 0]), float(xy[i, 1])) for i in union)


def test_tabs_are_built_when_first_selected(tmp_path):
    app = build_app(runs_dir=str(tmp_path))
    explore, search = app.tabs.children[1:]
    assert not explore.children and not search.children  # the page first sends one tab
    app.tabs.selected_index = 1
    assert explore.children and not search.children
    maps = [c for c in explore.children[1].children if isinstance(c, EmbeddingMap)]
    assert maps == [app.embedding_map]
    app.tabs.selected_index = 2
    assert app.dashboard in search.children and app.search_map in search.children
    app.tabs.selected_index = 1
    assert maps[0] is app.embedding_map  # built once
