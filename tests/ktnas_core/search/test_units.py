"""Evaluators, events and strategies of ktnas_core.search, one behaviour per test."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ktnas_core import benchmarks
from ktnas_core.errors import DataIntegrityError, ParameterError, UnknownTaskError
from ktnas_core.search import (EVENT_TYPES, Evaluated, Evaluation, Evaluator, EventLog, GenerationDone,
                               RandomSearch, RegularizedEvolution, RunFailed, RunFinished, RunStarted,
                               TableEvaluator, event_from_json, evaluator_from_config, read_events)


@pytest.fixture(scope="module")
def nb201():
    return benchmarks.load("nb201")


def test_table_evaluator_matches_benchmark(nb201):
    ev = TableEvaluator(nb201)
    assert isinstance(ev, Evaluator)
    rng = np.random.default_rng(0)
    archs = [nb201.space.sample(rng) for _ in range(20)]
    for a, e in zip(archs, ev.evaluate(archs, "cifar100")):
        assert e == Evaluation(str(a), "cifar100", nb201.query(a, "cifar100"), nb201.cost(a, "cifar100"), "table")


def test_table_evaluator_negates_lower_is_better(nb201):
    e, = TableEvaluator(nb201, metric="flops").evaluate([123], "cifar10")
    assert e.score == -nb201.query(123, "cifar10", "flops")


def test_table_evaluator_errors(nb201):
    with pytest.raises(UnknownTaskError, match="'cifar1000' is not in nb201"):
        TableEvaluator(nb201).evaluate([0], "cifar1000")
    with pytest.raises(ParameterError, match="is not a Benchmark"):
        TableEvaluator(42)
    with pytest.raises(ParameterError, match="kinds 'table', 'train' and 'supernet' can"):
        evaluator_from_config({"kind": "torch"})
    assert evaluator_from_config(TableEvaluator(nb201).config()).benchmark is nb201


EXAMPLES = [RunStarted({"seed": 1, "strategies": {"a": {"class": "X"}}}),
            Evaluated("cifar10", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 0.1 + 0.2, 1e-9, 3, 2, False),
            GenerationDone(4, {"cifar10": {"arch": "x", "score": 91.60666665039064, "n_evals": 7}}),
            RunFinished("stopped"), RunFailed("ValueError: boom")]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).__name__)
def test_event_json_round_trip_is_exact(event):
    back = event_from_json(event.to_json())
    assert back == event and back.time == event.time and type(back) is type(event)


def test_event_time_is_not_compared():
    a, b = RunFinished("budget", time=1.0), RunFinished("budget", time=2.0)
    assert a == b and a.without_time() == {"event": "RunFinished", "reason": "budget"}
    assert set(EVENT_TYPES) == {"RunStarted", "Evaluated", "Transferred", "TransferLabelled", "GenerationDone",
                                "RunFinished", "RunFailed"}


@pytest.mark.parametrize("line", ["not json", '{"event": "Nope"}', '{"event": "RunFinished", "x": 1}', "[1]"])
def test_bad_event_line_is_reported(line):
    with pytest.raises(DataIntegrityError, match="not an event line"):
        event_from_json(line)


def test_event_log_appends_and_names_bad_line(tmp_path):
    p = tmp_path / "events.jsonl"
    with EventLog(p) as log:
        log(EXAMPLES[0])
    with EventLog(p) as log:
        log(EXAMPLES[3])
    assert list(read_events(p)) == [EXAMPLES[0], EXAMPLES[3]]
    with open(p, "a") as f:
        f.write('{"event": "Evalu\n')
    with pytest.raises(DataIntegrityError, match=r"events.jsonl line 3"):
        list(read_events(p))


@pytest.mark.parametrize("kwargs, match", [
    ({"population_size": 1}, r"population_size=1 is out of range; allowed: an integer in \[2, 10000\]"),
    ({"population_size": 10.0}, "population_size=10.0 is out of range"),
    ({"tournament_size": 0}, r"tournament_size=0 is out of range; allowed: an integer in \[1, 10\]"),
    ({"population_size": 4, "tournament_size": 5}, r"tournament_size=5 .* \[1, 4\]"),
    ({"offspring": True}, "offspring=True is out of range"),
    ({"random_state": -1}, "random_state=-1 is not allowed"),
])
def test_rea_parameters_validated(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        RegularizedEvolution("nb201", **kwargs)


def test_random_search_parameters_validated():
    with pytest.raises(ParameterError, match=r"batch_size=0 is out of range"):
        RandomSearch("nb201", batch_size=0)
    with pytest.raises(ParameterError, match="is not a search space"):
        RandomSearch(3)


def test_rea_defaults_follow_table_one():
    rea = RegularizedEvolution("nb201")
    assert (rea.population_size, rea.tournament_size, rea.offspring) == (10, 5, 1)
    assert rea.get_params() == {"space": "nb201", "population_size": 10, "tournament_size": 5, "offspring": 1}


def test_rea_ages_out_the_oldest(nb201):
    ev, rea = TableEvaluator(nb201), RegularizedEvolution("nb201", population_size=4, tournament_size=2,
                                                          random_state=0)
    first = rea.ask()
    assert len(first) == 4
    rea.tell(ev.evaluate(first, "cifar10"))
    child = rea.ask()
    assert len(child) == 1
    rea.tell(ev.evaluate(child, "cifar10"))
    assert [a for a, _ in rea.population] == first[1:] + child


@pytest.mark.parametrize("make", [lambda: RandomSearch("nb201", batch_size=3, random_state=5),
                                  lambda: RegularizedEvolution("nb201", random_state=5)])
def test_state_dict_restores_exactly_through_json(make, nb201):
    ev = TableEvaluator(nb201)
    a, b = make(), make()
    for _ in range(7):
        a.tell(ev.evaluate(a.ask(), "cifar10"))
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    for _ in range(20):
        x, y = a.ask(), b.ask()
        assert x == y
        a.tell(ev.evaluate(x, "cifar10"))
        b.tell(ev.evaluate(y, "cifar10"))
    assert a.state_dict() == b.state_dict()
