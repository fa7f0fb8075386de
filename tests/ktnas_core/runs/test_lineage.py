"""ktnas_core.runs.lineage: the transfers of a run, their verdicts and children, from its events."""

from __future__ import annotations

import pytest

from ktnas_core import benchmarks
from ktnas_core.errors import ParameterError
from ktnas_core.search import (Evaluated, TableEvaluator, TransferLabelled, Transferred, make_strategy, read_events,
                               run_search)
from ktnas_core.runs.lineage import lineage, read_lineage

TASKS = ["cifar10", "cifar100", "ImageNet16-120"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs") / "ktnas-3"
    run_search(make_strategy("ktnas", "nb201", TASKS), TableEvaluator("nb201"), budget=100, seed=25, run_dir=d)
    return d, list(read_events(d / "events.jsonl"))


def test_every_decision_is_there_with_its_verdict_score_and_rank(run):
    path, events = run
    lin = read_lineage(path)
    b = benchmarks.load("nb201")
    decisions = [e for e in events if isinstance(e, Transferred)]
    assert lin.tasks == tuple(TASKS) and len(lin.transfers) == len(decisions)
    labels = {(e.generation, e.target, e.arch): e.label for e in events if isinstance(e, TransferLabelled)}
    scores = {(e.generation, e.task, e.arch): e.score for e in events if isinstance(e, Evaluated)}
    for t, e in zip(lin.transfers, decisions):
        assert (t.generation, t.source, t.target, t.arch, t.phi, t.accepted) == (
            e.generation, e.source, e.target, e.arch, e.phi, e.accepted)
        key = (t.generation, t.target, t.arch)
        assert t.rank == b.rank(t.arch, t.target)
        if t.accepted:
            assert t.score == pytest.approx(scores[key]) and t.label == labels.get(key)
            assert t.outcome == {1: "helped", -1: "did not help", None: "no children"}[t.label]
        else:
            assert t.label is None and t.outcome == "rejected" and not t.children


def test_children_are_one_edit_away_and_bred_on_the_target_that_generation(run):
    path, events = run
    lin = read_lineage(path)
    b = benchmarks.load("nb201")
    bred = {(e.generation, e.task, e.arch) for e in events if isinstance(e, Evaluated)}
    labelled = [t for t in lin.accepted if t.label is not None]
    assert labelled and sum(1 for t in labelled if t.children) >= len(labelled) - 1  # nearly every labelled one
    for t in lin.accepted:
        assert bool(t.children) <= (t.label is not None)  # no label: the search saw no children
        for c in t.children:
            assert (t.generation, t.target, c.arch) in bred and c.rank == b.rank(c.arch, t.target)
            ops_a, ops_b = b.space.parse(t.arch).ops, b.space.parse(c.arch).ops
            assert sum(x != y for x, y in zip(ops_a, ops_b)) == 1


def test_examples_that_helped_and_that_did_not(run):
    lin = read_lineage(run[0])
    good, bad = lin.helped(), lin.did_not_help()
    assert good is not None and good.label == 1 and good.children  # seed 25 has one that helped (the Table I searcher finds the optimum early: few transfers help)
    assert all(good.best_child.rank <= t.best_child.rank for t in lin.accepted if t.label == 1 and t.children)
    assert bad is not None and bad.label == -1
    assert bad.phi == max(t.phi for t in lin.accepted if t.label == -1)


def test_no_transfers_without_a_transferring_strategy_and_bad_folders(tmp_path):
    events = []
    run_search(make_strategy("rea", "nb201", ["cifar10"]), TableEvaluator("nb201"), budget=20, seed=0,
               callbacks=[events.append])
    lin = lineage(events, "nb201")
    assert lin.transfers == () and lin.helped() is None and lin.did_not_help() is None and lin.generations == 0
    with pytest.raises(ParameterError, match="has no config.json"):
        read_lineage(tmp_path)
