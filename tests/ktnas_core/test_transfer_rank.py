"""Tests of ktnas_core.transfer_rank: the paper's worked example, labels, memory, selection, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ktnas_core.errors import ParameterError
from ktnas_core.transfer_rank import (
    TransferDecision,
    TransferMemory,
    TransferRanker,
    label_transfers,
    top_count,
)

# -- the paper's worked example (PAPER.md section 3, issue 3) ---------------------------------
P = [f"p{i}" for i in range(1, 10)]
S = [f"s{j}" for j in range(1, 9)]
NEAREST = {"s1": "p1", "s2": "p1", "s3": "p2", "s4": "p4", "s5": "p5", "s6": "p5", "s7": "p8", "s8": "p8"}
LABELS = {"s1": -1, "s2": -1, "s3": 1, "s4": -1, "s5": 1, "s6": -1, "s7": 1, "s8": 1}
ZERO_GROUP = {"p3", "p5", "p6", "p7", "p9"}


@pytest.fixture(scope="module")
def example():
    """Candidates as the 9 axis directions (scaled), history as small perturbations of their candidate."""
    rng = np.random.default_rng(7)
    candidates = np.eye(9) * rng.uniform(0.5, 2.0, size=(9, 1))
    history = np.stack([np.eye(9)[P.index(NEAREST[s])] + rng.uniform(-0.05, 0.05, 9) for s in S])
    return candidates, history, np.array([LABELS[s] for s in S])


def names(indices):
    return {P[i] for i in indices}


def test_worked_example_nearest_candidates_by_cosine(example):
    candidates, history, y = example
    targets = TransferRanker().fit(history, y).vote_targets(candidates)
    assert [P[t] for t in targets] == [NEAREST[s] for s in S]


def test_worked_example_phi(example):
    candidates, history, y = example
    phi = dict(zip(P, TransferRanker().fit(history, y).rank(candidates).tolist()))
    assert phi == {"p1": -2, "p2": 1, "p3": 0, "p4": -1, "p5": 0, "p6": 0, "p7": 0, "p8": 2, "p9": 0}


def test_worked_example_n2_is_p8_and_p2_with_their_voters(example):
    candidates, history, y = example
    decision = TransferRanker(n_transfer=2, random_state=0).fit(history, y).select(candidates)
    assert isinstance(decision, TransferDecision)
    assert [P[i] for i in decision.indices] == ["p8", "p2"]
    p8, p2 = decision.choices
    assert (p8.phi, [S[j] for j in p8.voters], p8.labels, p8.random_fill) == (2, ["s7", "s8"], (1, 1), False)
    assert (p2.phi, [S[j] for j in p2.voters], p2.labels, p2.random_fill) == (1, ["s3"], (1,), False)
    assert decision.fill_group == () and not decision.skipped


def test_worked_example_n3_third_comes_from_the_zero_group(example):
    candidates, history, y = example
    decision = TransferRanker(random_state=3).fit(history, y).select(candidates, n=3)
    assert [P[i] for i in decision.indices[:2]] == ["p8", "p2"]
    third = decision.choices[2]
    assert third.random_fill and P[third.index] in ZERO_GROUP and third.phi == 0
    assert names(decision.fill_group) == ZERO_GROUP


def test_worked_example_random_fill_covers_the_zero_group_and_nothing_else(example):
    candidates, history, y = example
    ranker = TransferRanker().fit(history, y)
    thirds = {P[ranker.select(candidates, n=3, rng=seed).indices[2]] for seed in range(200)}
    assert thirds == ZERO_GROUP


def test_worked_example_explain(example):
    candidates, history, y = example
    decision = TransferRanker(random_state=1).fit(history, y).select(candidates, n=3)
    assert decision.explain(7, P, S) == "p8 was transferred: phi = +2 from 2 votes (positive: s7, s8)"
    assert decision.explain(0, P, S) == "p1 was not transferred: phi = -2 from 2 votes (negative: s1, s2)"
    assert "phi = 0 from 2 votes (positive: s5; negative: s6)" in decision.explain(4, P, S)
    third = decision.indices[2]
    assert "random fill (1 of 3 places drawn from the 5 candidates with phi = 0)" in decision.explain(third, P, S)
    lost = next(i for i in decision.fill_group if i != third)
    assert decision.explain(lost).endswith("phi = 0; not drawn in the random fill")
    assert decision.voters(7) == ((6, 7), (1, 1))
    with pytest.raises(ParameterError, match="index=9 is out of range"):
        decision.explain(9)


# -- labels ------------------------------------------------------------------------------------
def ranked_population(size):
    """Population a0..a{size-1} with a0 best."""
    return {f"a{i}": float(size - i) for i in range(size)}


def test_labels_positive_negative_and_unlabelled():
    parents = {"a0": ["s1", "x"], "a5": ["s2"], "a9": ["s2", "s1"]}
    labels = label_transfers(["s1", "s2", "s3", "s1"], parents, ranked_population(10))
    assert labels == {"s1": 1, "s2": -1}  # s3 had no child: no label; duplicates once


@pytest.mark.parametrize("child, label", [("a1", 1), ("a2", -1)])
def test_labels_top_20_percent_of_ten_is_two(child, label):
    assert label_transfers(["s"], {child: ["s"]}, ranked_population(10)) == {"s": label}


def test_labels_top_rounds_up_and_keeps_at_least_one():
    assert label_transfers(["s"], {"a2": ["s"]}, ranked_population(11)) == {"s": 1}  # ceil(2.2) = 3
    assert label_transfers(["s"], {"a0": ["s"]}, ranked_population(3)) == {"s": 1}  # ceil(0.6) = 1
    assert label_transfers(["s"], {"a1": ["s"]}, ranked_population(3)) == {"s": -1}
    assert label_transfers(["s"], {"a2": ["s"]}, ranked_population(10), top=0.3) == {"s": 1}
    assert label_transfers(["s"], {"a3": ["s"]}, ranked_population(10), top=0.3) == {"s": -1}
    assert label_transfers(["s"], {"a9": ["s"]}, ranked_population(10), top=1.0) == {"s": 1}


def test_labels_ties_at_the_boundary_are_in_the_top():
    scores = {"a": 3.0, "b": 2.0, "c": 2.0, "d": 1.0, "e": 0.0, "f": 0.0, "g": 0.0, "h": 0.0, "i": 0.0, "j": 0.0}
    assert label_transfers(["s"], {"c": ["s"]}, scores) == {"s": 1}


def test_labels_child_outside_the_population_is_negative_and_str_parent_is_one_key():
    assert label_transfers(["s1"], {"dropped": "s1"}, ranked_population(5)) == {"s1": -1}


def test_labels_among_offspring():
    scores = ranked_population(10)  # the children a8, a9 rank last in the population...
    parents = {"a8": ["s1"], "a9": ["s2"], "gone": ["s2"]}
    offspring = {"gone": 0.0}  # ...but a8 is the best of the offspring a8, a9, gone
    labels = label_transfers(["s1", "s2"], parents, scores, among="offspring", offspring_scores=offspring)
    assert labels == {"s1": 1, "s2": -1}
    with pytest.raises(ParameterError, match="child 'gone' has no score"):
        label_transfers(["s1"], parents, scores, among="offspring")


@pytest.mark.parametrize("kwargs, match", [
    ({"top": 0.0}, r"top=0.0 is not allowed; top must be a fraction in \(0, 1\]"),
    ({"top": 1.5}, r"top=1.5 is not allowed"),
    ({"among": "children"}, r"among='children' is not allowed; choose one of \['population', 'offspring'\]"),
])
def test_label_parameter_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        label_transfers(["s"], {"a0": ["s"]}, ranked_population(5), **kwargs)


def test_label_errors_on_bad_parents_and_scores():
    with pytest.raises(ParameterError, match=r"parents\['a0'\]=3 is not a collection"):
        label_transfers(["s"], {"a0": 3}, ranked_population(5))
    with pytest.raises(ParameterError, match="scores must be finite; got nan"):
        label_transfers(["s"], {"a0": ["s"]}, {"a0": float("nan")})


def test_top_count():
    assert [top_count(n) for n in (0, 1, 5, 10, 11)] == [0, 1, 1, 2, 3]
    with pytest.raises(ParameterError, match="size=-1 is not allowed"):
        top_count(-1)


# -- memory ------------------------------------------------------------------------------------
def test_memory_window_drops_old_negatives_and_keeps_positives():
    memory = TransferMemory(window=2)
    for g in range(4):
        memory.add([f"pos{g}", f"neg{g}"], [[1.0, g], [0.0, 1.0]], [1, -1], generation=g)
    keys, X, y = memory.training_set(3)
    assert keys == ["pos0", "pos1", "pos2", "neg2", "pos3", "neg3"]  # negatives of generations 2, 3
    assert X.shape == (6, 2) and y.tolist() == [1, 1, 1, -1, 1, -1]
    assert memory.training_set(1)[0] == ["pos0", "neg0", "pos1", "neg1"]  # the current one counts
    assert memory.training_set(0)[0] == ["pos0", "neg0"]  # later generations are not "so far"
    assert len(memory) == 8 and "window=2" in repr(memory)


def test_memory_default_window_is_five_and_empty_set_has_right_shape():
    memory = TransferMemory()
    assert memory.window == 5
    memory.add([], [], [], generation=0)  # a generation whose transfers had no children
    keys, X, y = memory.training_set(0)
    assert keys == [] and X.shape[0] == 0 and y.size == 0
    memory.add(["n"], [[1.0, 0.0]], [-1], generation=0)
    assert memory.training_set(4)[0] == ["n"] and memory.training_set(5)[0] == []


def test_memory_errors():
    with pytest.raises(ParameterError, match="window=0 is not allowed; window must be an integer >= 1"):
        TransferMemory(window=0)
    memory = TransferMemory()
    memory.add(["a"], [[1.0, 0.0]], [1], generation=0)
    with pytest.raises(ParameterError, match="X must have 2 columns like the history; got 3"):
        memory.add(["b"], [[1.0, 0.0, 0.0]], [1], generation=1)
    with pytest.raises(ParameterError, match="keys and y must have the same length; got 2 and 1"):
        memory.add(["b", "c"], [[1.0, 0.0]], [1], generation=1)
    with pytest.raises(ParameterError, match="y must hold labels -1 or \\+1; got 0"):
        memory.add(["b"], [[1.0, 0.0]], [0], generation=1)
    with pytest.raises(ParameterError, match="generation=-1 is not allowed"):
        memory.training_set(-1)


# -- ranker: selection -------------------------------------------------------------------------
def test_skip_nonpositive_transfers_nothing_when_every_phi_is_at_most_zero():
    X_hist, y_hist, candidates = [[1.0, 0.0]], [-1], np.eye(2)
    decision = TransferRanker(skip_nonpositive=True).fit(X_hist, y_hist).select(candidates)
    assert decision.indices == () and decision.skipped and decision.phi == (-1, 0)
    assert decision.explain(1) == ("candidate 1 was not transferred: every phi <= 0 and skip_nonpositive is on; "
                                   "no votes, phi = 0")
    assert TransferRanker(skip_nonpositive=False).fit(X_hist, y_hist).select(candidates).indices == (1, 0)
    assert TransferRanker(skip_nonpositive=True).fit([[1.0, 0.0]], [1]).select(candidates).indices == (0, 1)


@pytest.mark.parametrize("skip", [False, True])
def test_empty_history_chooses_n_at_random(skip):
    candidates = np.random.default_rng(0).normal(size=(10, 3))
    ranker = TransferRanker(skip_nonpositive=skip).fit(np.empty((0, 3)), [])
    decision = ranker.select(candidates, rng=5)
    assert len(decision.indices) == 4 and all(c.random_fill for c in decision.choices)
    assert decision.phi == (0,) * 10 and decision.fill_group == tuple(range(10))
    drawn = {i for seed in range(30) for i in ranker.select(candidates, rng=seed).indices}
    assert drawn == set(range(10))
    assert TransferRanker().fit([], []).rank(candidates).tolist() == [0] * 10


def test_n_larger_than_the_candidates_takes_them_all():
    decision = TransferRanker(n_transfer=10).fit([[0.0, 1.0]], [1]).select(np.eye(2))
    assert decision.indices == (1, 0) and not any(c.random_fill for c in decision.choices)
    assert TransferRanker().fit([[0.0, 1.0]], [1]).select(np.empty((0, 2))).indices == ()


def test_same_seed_same_decision(example):
    candidates, history, y = example
    runs = [TransferRanker(random_state=11).fit(history, y) for _ in range(2)]
    first, second = (r.select(candidates, n=5) for r in runs)
    assert first == second and len(first.fill_group) == 5
    ranker = TransferRanker().fit(history, y)
    assert ranker.select(candidates, n=5, rng=4) == ranker.select(candidates, n=5, rng=np.random.default_rng(4))


def test_zero_vectors_have_similarity_zero():
    candidates = np.array([[0.0, 0.0], [-1.0, 0.0]])
    # a zero history vector ties every candidate; "first" gives its vote to candidate 0
    assert TransferRanker().fit([[0.0, 0.0]], [1]).rank(candidates).tolist() == [1, 0]
    # the zero candidate (similarity 0) beats one with negative cosine
    assert TransferRanker().fit([[1.0, 0.0]], [1]).rank(candidates).tolist() == [1, 0]


def test_tie_break_random_spreads_votes_over_equally_similar_candidates():
    candidates = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])  # 0 and 1 point the same way
    assert TransferRanker().fit([[1.0, 0.1]], [1]).rank(candidates).tolist() == [1, 0, 0]
    ranker = TransferRanker(tie_break="random").fit([[1.0, 0.1]], [1])
    assert {tuple(ranker.rank(candidates, rng=s).tolist()) for s in range(20)} == {(1, 0, 0), (0, 1, 0)}


def test_labels_memory_and_ranker_compose():
    memory = TransferMemory(window=5)
    embed = {"s1": [1.0, 0.0], "s2": [0.0, 1.0]}
    labels = label_transfers(["s1", "s2"], {"a0": ["s1"], "a9": ["s2"]}, ranked_population(10))
    memory.add(list(labels), [embed[k] for k in labels], list(labels.values()), generation=0)
    keys, X, y = memory.training_set(1)
    decision = TransferRanker(n_transfer=1).fit(X, y).select([[0.1, 1.0], [1.0, 0.2]])
    assert decision.indices == (1,)
    assert decision.explain(1, history_names=keys).endswith("(positive: s1)")


# -- ranker: scikit-learn conventions and errors -----------------------------------------------
def test_sklearn_conventions(example):
    candidates, history, y = example
    ranker = TransferRanker(n_transfer=3, skip_nonpositive=True, tie_break="random", random_state=2)
    assert ranker.get_params() == {"n_transfer": 3, "skip_nonpositive": True, "tie_break": "random",
                                   "random_state": 2}
    assert TransferRanker().get_params() == {"n_transfer": 4, "skip_nonpositive": False, "tie_break": "first",
                                             "random_state": None}
    copy = clone(ranker)
    assert copy is not ranker and copy.get_params() == ranker.get_params()
    assert ranker.fit(history, y) is ranker
    assert ranker.history_X_.shape == (8, 9) and ranker.history_y_.tolist() == y.tolist()
    assert not hasattr(clone(ranker), "history_X_")
    assert ranker.decision_function(candidates).tolist() == ranker.rank(candidates).tolist()


@pytest.mark.parametrize("method", ["rank", "select", "vote_targets"])
def test_not_fitted(method):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(TransferRanker(), method)(np.eye(2))


@pytest.mark.parametrize("params, match", [
    ({"n_transfer": 0}, "n_transfer=0 is not allowed; n_transfer must be an integer >= 1"),
    ({"n_transfer": 2.5}, "n_transfer=2.5 is not allowed"),
    ({"tie_break": "last"}, r"tie_break='last' is not allowed; choose one of \['first', 'random'\]"),
    ({"skip_nonpositive": "yes"}, "skip_nonpositive='yes' is not allowed; pass True or False"),
    ({"random_state": -1}, "rng=-1 is not a random generator"),
])
def test_parameter_errors_at_fit(params, match):
    with pytest.raises(ParameterError, match=match):
        TransferRanker(**params).fit([[1.0, 0.0]], [1])


@pytest.mark.parametrize("X, y, match", [
    ([[1.0, 0.0]], [0], r"y must hold labels -1 or \+1; got 0"),
    ([[1.0, 0.0]], [2.0], r"y must hold labels -1 or \+1; got 2.0"),
    ([[1.0, 0.0]], ["a"], r"y must hold labels -1 or \+1"),
    ([[1.0, 0.0], [0.0, 1.0]], [1], "X and y must have the same length; got 2 rows and 1 labels"),
    ([1.0, 0.0], [1, -1], r"X must be 2-D \(one row per architecture\); got shape \(2,\)"),
    ([[1.0, np.nan]], [1], "X must be finite; got nan in row 0"),
    ([[1.0, np.inf]], [1], "X must be finite; got inf in row 0"),
    ([[1.0, 0.0]], [[1]], r"y must be 1-D; got shape \(1, 1\)"),
])
def test_history_errors(X, y, match):
    with pytest.raises(ParameterError, match=match):
        TransferRanker().fit(X, y)


def test_select_and_rank_errors():
    ranker = TransferRanker().fit([[1.0, 0.0]], [1])
    with pytest.raises(ParameterError, match="n=0 is not allowed; n must be an integer >= 1"):
        ranker.select(np.eye(2), n=0)
    with pytest.raises(ParameterError, match="n=-3 is not allowed"):
        ranker.select(np.eye(2), n=-3)
    with pytest.raises(ParameterError, match="X_candidates must have 2 columns like the history; got 3"):
        ranker.rank(np.eye(3))
    with pytest.raises(ParameterError, match="X_candidates must be finite; got nan in row 1"):
        ranker.select([[1.0, 0.0], [np.nan, 0.0]])
    with pytest.raises(ParameterError, match="rng='seed' is not a random generator"):
        ranker.select(np.eye(2), rng="seed")
