"""CellView without a browser: figure traces, info text, compare mode, SVG export, errors, callbacks."""

from __future__ import annotations

import base64
import html
import re
import xml.etree.ElementTree as ET

import pytest

from ktnas_core import benchmarks
from ktnas_core.errors import InvalidArchitectureError, ParameterError, UnknownBenchmarkError
from widgets.cell_view import CellView
from widgets.style import OP_COLORS

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def nb201():
    return benchmarks.load("nb201")


@pytest.fixture(scope="module")
def tnb():
    return benchmarks.load("tnb101_micro")


@pytest.fixture
def view():
    return CellView("nb201")


def panels(view) -> list:
    """The ``<g class='panel'>`` elements of the drawing the page shows."""
    root = ET.fromstring(view.fig.svg)
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "panel"]


def panel(view, p=0) -> dict:
    """Panel ``p``: its edges (list of <g>, in string order), halos, node tooltip and heading texts."""
    g = panels(view)[p]
    groups = {x.get("class"): x for x in g.iter(f"{SVG}g") if x.get("class") in ("nodes",)}
    return {"edges": [x for x in g.iter(f"{SVG}g") if x.get("class") == "edge"],
            "halos": [x for x in g.iter(f"{SVG}path") if x.get("class") == "halo"],
            "tip": groups["nodes"].get("data-tip"),
            "heading": [t.text for t in g.iter(f"{SVG}text") if t.get("class") == "heading"]}


def legend(view) -> list[tuple[str, str]]:
    """(operation, colour) of each legend entry."""
    root = ET.fromstring(view.fig.svg)
    g = next(x for x in root.iter(f"{SVG}g") if x.get("class") == "legend")
    return [(t.text, line.get("stroke")) for line, t in zip(g.iter(f"{SVG}line"), g.iter(f"{SVG}text"))]


def info_rows(view) -> dict[str, list[str]]:
    """Task -> the text of the other cells of its row in the info table."""
    rows = re.findall(r"<tr data-task='([^']*)'>(.*?)</tr>", view.info.value)
    return {html.unescape(t): [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", body)][1:]
            for t, body in rows}


def assert_panel_shows(view, arch, p=0):
    edges = panel(view, p)["edges"]
    assert len(arch.op_names) == 6 == len(edges)
    for e, (g, op) in enumerate(zip(edges, arch.op_names)):
        line, arrow, label_box = (next(g.iter(f"{SVG}{tag}")) for tag in ("path", "polygon", "rect"))
        drawn = [x for x in g.iter(f"{SVG}path") if x.get("stroke") != "transparent"][0]
        assert g.get("data-edge") == str(e) and g.get("data-op") == op and op in g.get("data-tip")
        assert drawn.get("stroke") == OP_COLORS[op] == arrow.get("fill") == label_box.get("stroke")
        assert (drawn.get("stroke-dasharray") is not None) == (op == "none")  # none: faint and dashed
        assert [t.text for t in g.iter(f"{SVG}text")] == [op]
    assert str(arch) in panel(view, p)["heading"]


@pytest.mark.parametrize("name", ["nb201", "tnb101_micro"])
def test_traces_follow_the_shown_cell(name):
    b = benchmarks.load(name)
    view = CellView(name)
    assert view.arch == b.optimum(b.tasks[0]).arch
    assert_panel_shows(view, view.arch)
    for i in (0, 7, len(b) // 3, len(b) - 1):
        view.show(i)
        assert view.arch == b.space.from_index(i)
        assert_panel_shows(view, view.arch)
        assert len(panels(view)) == 1  # no panel B
        assert panel(view)["halos"] == []  # no highlight outside compare mode
        assert view.cell_text.value == str(view.arch)
    assert legend(view) == [(op, OP_COLORS[op]) for op in b.space.ops]


def test_text_box_takes_strings_and_indices(view, nb201):
    s = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
    view.cell_text.value = s
    assert str(view.arch) == s and view.message.value == ""
    view.cell_text.value = " 42 "
    assert view.arch == nb201.space.from_index(42)
    assert view.cell_text.value == str(nb201.space.from_index(42))


@pytest.mark.parametrize("name", ["nb201", "tnb101_micro"])
def test_info_and_hover_give_ranks_on_every_task(name):
    b = benchmarks.load(name)
    view = CellView(name, arch=123)
    arch, rows = view.arch, info_rows(view)
    hover = panel(view)["tip"]
    assert hover.startswith(f"#{b.index(arch):,} {arch}\n")
    assert list(rows) == list(b.tasks)
    for t in b.tasks:
        rank, test_rank = b.rank(arch, t), b.rank(arch, t, b.test_metric(t))
        value, unit = b.query(arch, t), b.metric(t).unit
        valid_text, rank_text, _, test_rank_text = rows[t]
        assert int(rank_text.replace(",", "")) == rank
        assert int(test_rank_text.replace(",", "")) == test_rank
        assert unit in valid_text and abs(float(valid_text.split()[0]) - value) < 1e-2
        assert f"{t}: rank {rank:,} (" in hover and f"test rank {test_rank:,} (" in hover


def test_compare_highlights_exactly_the_differing_edges(view, nb201):
    a = nb201.space.from_index(6111)
    b = nb201.space.make((a.ops[0], 0, a.ops[2], a.ops[3], 4 if a.ops[4] != 4 else 2, a.ops[5]))
    view.compare(a, str(b))
    assert view.arch == a and view.other == b
    assert view.differing_edges == (1, 4) and view.edit_distance == 2
    for p, cell in enumerate((a, b)):
        assert_panel_shows(view, cell, p)
        drawn = panel(view, p)
        assert len(drawn["halos"]) == 2
        assert [e for e, g in enumerate(drawn["edges"]) if next(g.iter(f"{SVG}rect")).get("stroke-width") == "3"] == [1, 4]
    assert "edit distance 2" in view.fig.title and "0→2, 1→3" in view.fig.title
    assert "edit distance <b>2</b>" in view.info.value
    for t, (ra, rb, ta, tb) in info_rows(view).items():
        assert int(ra.replace(",", "")) == nb201.rank(a, t) and int(rb.replace(",", "")) == nb201.rank(b, t)
        tm = nb201.test_metric(t)
        assert int(ta.replace(",", "")) == nb201.rank(a, t, tm) and int(tb.replace(",", "")) == nb201.rank(b, t, tm)
    assert view.compare_checkbox.value is True and view.other_text.value == str(b)
    view.stop_compare()
    assert view.other is None and view.edit_distance is None and view.compare_checkbox.value is False
    assert len(panels(view)) == 1 and panel(view)["halos"] == []


def test_checkbox_compares_with_a_one_edge_neighbour_that_moves_differently(view, nb201):
    view.compare_checkbox.value = True
    a, b = view.arch, view.other
    assert view.edit_distance == 1 and view.other_text.disabled is False
    moves = [nb201.rank(b, t) / nb201.rank(a, t) for t in nb201.tasks]
    assert max(moves) > 10 and min(moves) < 0.1  # one edge: far worse on one task, far better on another
    view.other_text.value = "0"
    assert view.other == nb201.space.from_index(0) and view.edit_distance == 6
    view.compare_checkbox.value = False
    assert view.other is None and view.other_text.disabled is True


def test_svg_export_parses_and_holds_every_label(view, nb201):
    for p in (False, True):
        if p:
            view.compare(6111, 0)
        root = ET.fromstring(view.to_svg())
        assert root.tag == f"{SVG}svg"
        texts = [t.text for t in root.iter(f"{SVG}text")]
        cells = [view.arch] + ([view.other] if p else [])
        for cell in cells:
            assert str(cell) in texts
            for op in cell.op_names:
                assert op in texts
        assert all(op in texts for op in nb201.space.ops)  # the legend
        assert texts.count("nor_conv_3x3") >= sum(c.op_names.count("nor_conv_3x3") for c in cells)
        halos = [e for e in root.iter(f"{SVG}path") if e.get("class") == "halo"]
        assert len(halos) == (2 * 6 if p else 0)  # cell 0 is all 'none': every edge differs
        assert len(list(root.iter(f"{SVG}circle"))) == 4 * len(cells)


def test_download_link_carries_the_current_svg(view):
    steps = (lambda: None, lambda: view.show(77), lambda: view.compare(77, 78),
             lambda: view.set_benchmark("tnb101_micro"))
    for step in steps:
        step()
        href = re.search(r"href='data:image/svg\+xml;base64,([^']+)'", view.download.value).group(1)
        assert "download='cell.svg'" in view.download.value
        assert base64.b64decode(href).decode() == view.to_svg()


def test_bad_entries_show_a_message_and_keep_the_cell(view):
    before = view.arch
    view.cell_text.value = "|nor_conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    assert "nor_conv_9x9" in view.message.value and "&#9888;" in view.message.value
    assert view.arch == before
    view.cell_text.value = "15625"
    assert "15625 is out of range" in view.message.value and "0..15624" in view.message.value
    view.cell_text.value = "   "
    assert "empty cell" in view.message.value
    view.compare_checkbox.value = True
    view.other_text.value = "64-41414-3_03_122"  # a TransNAS cell in the NB201 view
    assert "64-41414-3_03_122" in view.message.value and view.edit_distance == 1
    view.show(5)
    assert view.message.value == ""


def test_public_methods_raise_clear_errors(view):
    with pytest.raises(InvalidArchitectureError, match=r"index 15625 is out of range; nb201 indices are 0..15624"):
        view.show(15625)
    with pytest.raises(InvalidArchitectureError, match="nor_conv_9x9"):
        view.compare(0, "|nor_conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(ParameterError, match="empty cell"):
        view.show("")
    with pytest.raises(UnknownBenchmarkError, match=r"'nb301' is not shipped; choose one of"):
        view.set_benchmark("nb301")
    with pytest.raises(UnknownBenchmarkError):
        CellView("nb301")
    with pytest.raises(ParameterError, match="callback must be callable"):
        view.on_select(42)
    assert view.benchmark.name == "nb201"


def test_on_select_fires_when_the_cell_changes(view, nb201, tnb):
    calls = []
    view.on_select(calls.append)
    view.show(5)
    view.show("5")  # same cell: no call
    view.random_button.click()
    view.set_benchmark("tnb101_micro")
    assert calls[0] == nb201.space.from_index(5) and len(calls) == 3
    assert calls[1] == view.arch or calls[2] == view.arch
    assert calls[2] == tnb.optimum(tnb.tasks[0]).arch
    view.on_select(calls.append, remove=True)
    view.show(9)
    assert len(calls) == 3


def test_random_cells_are_seeded_by_a_counter(nb201):
    first, second = CellView("nb201"), CellView("nb201")
    seq = []
    for v in (first, second):
        for _ in range(3):
            v.random_button.click()
            seq.append(v.arch)
    assert seq[:3] == seq[3:] and len(set(seq[:3])) == 3
    assert all(c in nb201.space for c in seq)


def test_benchmark_switch_updates_everything_in_place(view, tnb):
    fig = view.fig
    view.compare_checkbox.value = True
    view.benchmark_dropdown.value = "tnb101_micro"
    assert view.benchmark is tnb and view.arch == tnb.optimum("class_object").arch
    assert view.edit_distance == 1 and view.other in tnb.space
    assert list(info_rows(view)) == list(tnb.tasks) and len(tnb.tasks) == 7
    assert_panel_shows(view, view.arch, 0)
    assert_panel_shows(view, view.other, 1)
    assert [op for op, _ in legend(view)] == list(tnb.space.ops)
    assert view.fig is fig
    view.set_benchmark("nb201")
    assert view.benchmark_dropdown.value == "nb201" and view.arch in benchmarks.load("nb201").space


def test_the_page_shows_what_download_saves_with_tooltips_and_a_png_button(view):
    view.compare(6111, 0)
    shown, saved = view.fig.get_state()["svg"], view.to_svg()  # a browser connecting later reads the synced state
    assert shown == view.fig.svg and view.fig.png_name == "cell"
    nodes = r" data-tip='#[^']*'"  # the nodes' tooltips, which the saved drawing leaves out
    assert re.sub(nodes, "", shown) == saved and len(re.findall(nodes, shown)) == 2
    assert [g["tip"].split("\n")[0] for g in (panel(view, 0), panel(view, 1))] == [
        f"#6,111 {view.arch}", f"#0 {view.other}"]
    assert view.fig in view.children[2].children and view.info in view.children[2].children
