"""LineageView without a browser: nodes per source task, sizes by rank, shapes by verdict, a click
draws the cell."""

from __future__ import annotations

import pytest
from plotly.callbacks import Points

from ktnas_core.search import TableEvaluator, make_strategy, run_search
from ktnas_core.runs.lineage import read_lineage
from widgets.lineage_view import MAX_TASKS, RING, LineageView

TASKS = ["cifar10", "cifar100", "ImageNet16-120"]


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs") / "ktnas-nb201-s3-1"
    run_search(make_strategy("ktnas", "nb201", TASKS), TableEvaluator("nb201"), budget=100, seed=25, run_dir=d)
    v = LineageView()
    v.set_runs([("the run", str(d))])
    return v


def _nodes(view):
    return view.figure.data[view._node0:view._node0 + MAX_TASKS]


def test_one_node_per_accepted_transfer_coloured_by_source_and_sized_by_rank(view):
    lin = view.lineage
    assert view.run_choice.value and lin is not None
    traces = _nodes(view)
    assert [tr.name for tr in traces[:3]] == [f"from {t}" for t in TASKS]
    assert len({tr.marker.color for tr in traces[:3]}) == 3
    for k, task in enumerate(TASKS):
        mine = [t for t in lin.accepted if t.source == task]
        assert len(traces[k].x) == len(mine) and list(traces[k].x) == [t.generation for t in mine]
        assert list(traces[k].marker.symbol) == [RING[t.outcome][0] for t in mine]
        plain = [(t.rank, s) for t, s in zip(mine, traces[k].marker.size) if t.outcome != "helped"]
        plain.sort()
        assert all(a[1] >= b[1] for a, b in zip(plain, plain[1:]))  # better rank, bigger dot
    kids = view.figure.data[view._node0 - 1]
    assert len(kids.x) == sum(len(t.children) for t in lin.accepted) > 0
    assert "helped" in view.summary.value and "1 helped" in view.summary.value


def test_clicking_a_node_draws_its_cell_and_describes_it(view):
    picked = []
    view.on_pick(picked.append)
    trace = _nodes(view)[1]
    t = view._nodes[1][0]
    for callback in trace._click_callbacks:  # what plotly calls when the first node of the trace is clicked
        callback(trace, Points(point_inds=[0], xs=[trace.x[0]], ys=[trace.y[0]], trace_name=trace.name,
                               trace_index=view._node0 + 1), None)
    assert str(view.cell_view.arch) == t.arch and picked == [t]
    assert f"went from <b>{t.source}</b> to <b>{t.target}</b>" in view.detail.value
    good = view.lineage.helped()
    view.helped_button.click()
    assert str(view.cell_view.arch) == good.arch and "helped" in view.detail.value
    view.failed_button.click()
    assert "did not help" in view.detail.value


def test_a_run_without_transfers_says_so(tmp_path):
    d = tmp_path / "rea"
    run_search(make_strategy("rea", "nb201", ["cifar10"]), TableEvaluator("nb201"), budget=20, seed=0, run_dir=d)
    v = LineageView()
    v.show_run(d)
    assert v.lineage.transfers == () and not any(len(tr.x) for tr in _nodes(v) if tr.x)
    v.helped_button.click()
    assert "no such transfer" in v.message.value
    assert read_lineage(d).generations == 0
