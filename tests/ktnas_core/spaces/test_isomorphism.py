"""NB201 isomorphism keys: hand-worked cells, the class counts, an independent
numerical check of the partition and, with the raw data, the NB201 authors'
``UniqueString`` column."""

from __future__ import annotations

import collections
import csv
import functools

import numpy as np
import pytest

from ktnas_core.errors import InvalidArchitectureError
from ktnas_core.spaces import EDGES, get_space, is_disconnected, isomorphism_key
from ktnas_core.spaces.isomorphism import nb201_unique_string
from tests.conftest import SHARED_DATA, requires_shared_data

NB = get_space("nb201")
CSV = SHARED_DATA / "nasbench201" / "nats-bench-landscape" / "nats_bench.csv"
OPS = NB.ops


def cell(n1: str, n2: tuple[str, str], n3: tuple[str, str, str]) -> str:
    """NB201 string from the ops into nodes 1, 2 and 3."""
    return f"|{n1}~0|+|{n2[0]}~0|{n2[1]}~1|+|{n3[0]}~0|{n3[1]}~1|{n3[2]}~2|"


@functools.lru_cache(maxsize=1)
def all_keys() -> tuple[list[str], list[str]]:
    cells = list(NB)
    return [isomorphism_key(c) for c in cells], [nb201_unique_string(c) for c in cells]


def partition(labels) -> set[frozenset[int]]:
    groups = collections.defaultdict(set)
    for i, label in enumerate(labels):
        groups[label].add(i)
    return {frozenset(g) for g in groups.values()}


def _labels_per_class(by, labels) -> dict:
    """For each label in ``by``, the set of ``labels`` its cells get."""
    out = collections.defaultdict(set)
    for b, label in zip(by, labels):
        out[b].add(label)
    return out


# -- hand-worked cells ----------------------------------------------------
def test_resnet_cell():
    resnet = cell("nor_conv_3x3", ("none", "nor_conv_3x3"), ("skip_connect", "none", "skip_connect"))
    assert isomorphism_key(resnet) == "nor_conv_3x3(nor_conv_3x3(x))+x"
    assert not is_disconnected(resnet)


def test_output_fed_only_by_a_zero_node_is_disconnected():
    # node 2 = none(x) + none(node 1) = 0, so node 3 = conv(0) = 0 although node 1 is live
    text = cell("nor_conv_3x3", ("none", "none"), ("none", "none", "nor_conv_3x3"))
    assert is_disconnected(text) and isomorphism_key(text) == "zero"


@pytest.mark.parametrize("op", OPS)
def test_edges_leaving_a_zero_node_do_not_matter(op):
    text = cell("nor_conv_3x3", ("none", "none"), ("skip_connect", "none", op))
    assert isomorphism_key(text) == "x"


def test_all_none_and_isolated_input():
    assert isomorphism_key(cell("none", ("none", "none"), ("none", "none", "none"))) == "zero"
    # node 1 is live but never reaches node 3
    assert is_disconnected(cell("skip_connect", ("none", "none"), ("none", "none", "avg_pool_3x3")))


def test_sums_are_flat_and_order_free():
    via_node2 = cell("skip_connect", ("skip_connect", "skip_connect"), ("none", "none", "skip_connect"))
    direct = cell("skip_connect", ("none", "none"), ("skip_connect", "skip_connect", "none"))
    assert isomorphism_key(via_node2) == isomorphism_key(direct) == "x+x"
    a = cell("nor_conv_3x3", ("nor_conv_1x1", "none"), ("none", "skip_connect", "skip_connect"))
    b = cell("nor_conv_1x1", ("nor_conv_3x3", "none"), ("none", "skip_connect", "skip_connect"))
    c = cell("none", ("nor_conv_3x3", "none"), ("nor_conv_1x1", "none", "skip_connect"))
    assert isomorphism_key(a) == isomorphism_key(b) == isomorphism_key(c) == "nor_conv_1x1(x)+nor_conv_3x3(x)"


def test_operations_are_not_distributed_over_sums():
    text = cell("skip_connect", ("skip_connect", "nor_conv_1x1"), ("none", "none", "nor_conv_3x3"))
    assert isomorphism_key(text) == "nor_conv_3x3(nor_conv_1x1(x)+x)"
    split = cell("nor_conv_1x1", ("none", "none"), ("nor_conv_3x3", "none", "none"))
    assert isomorphism_key(split) != isomorphism_key(text)


def test_multiplicity_counts():
    once = cell("none", ("none", "none"), ("nor_conv_3x3", "none", "none"))
    twice = cell("nor_conv_3x3", ("nor_conv_3x3", "none"), ("none", "skip_connect", "skip_connect"))
    assert isomorphism_key(twice) == "nor_conv_3x3(x)+nor_conv_3x3(x)" != isomorphism_key(once)


def test_accepts_cells_strings_indices_and_tnb_cells():
    resnet = NB.from_index(11472)
    assert isomorphism_key(resnet) == isomorphism_key(str(resnet)) == isomorphism_key(11472)
    tnb = get_space("tnb101_micro").parse("64-41414-3_03_101")
    assert isomorphism_key(tnb) == "conv3x3(conv3x3(x))+x"


@pytest.mark.parametrize("bad", [get_space("darts").sample(0), str(get_space("tnb101_micro").from_index(5))])
def test_rejects_other_spaces(bad):
    with pytest.raises(InvalidArchitectureError, match="isomorphism keys are defined for NB201 cells"):
        isomorphism_key(bad)


def test_rejects_bad_strings_naming_the_problem():
    with pytest.raises(InvalidArchitectureError, match="unknown operation 'conv'"):
        is_disconnected(cell("conv", ("none", "none"), ("none", "none", "none")))


# -- the whole space ------------------------------------------------------
def test_class_counts_over_the_whole_space():
    keys, theirs = all_keys()
    assert len(set(keys)) == 4930  # one class per computed function, "zero" included
    assert len(set(theirs)) == 6466  # the NB201 paper's count of unique topologies
    assert keys.count("zero") == sum(map(is_disconnected, NB)) == 341


def test_our_partition_coarsens_the_authors_one():
    keys, theirs = all_keys()
    assert all(len(group) == 1 for group in _labels_per_class(theirs, keys).values())
    assert len(set(zip(keys, theirs))) == 6466


def test_keys_are_exactly_the_classes_of_the_computed_function():
    """Independent check: evaluate every cell with random nonlinear maps
    (``op(v) = tanh(W_op v)``, so zero in gives zero out) on a random input."""
    rng = np.random.default_rng(0)
    dim, m = 6, NB.ops_matrix()
    weights = {k: rng.normal(size=(dim, dim)) for k, name in enumerate(OPS) if name not in ("none", "skip_connect")}
    nodes = [np.tile(rng.normal(size=dim), (len(m), 1))]
    for j in (1, 2, 3):
        acc = np.zeros_like(nodes[0])
        for pos, (i, to) in enumerate(EDGES):
            if to == j:
                acc += np.where((m[:, pos] == OPS.index("skip_connect"))[:, None], nodes[i], 0.0)
                for k, w in weights.items():
                    acc += np.where((m[:, pos] == k)[:, None], np.tanh(nodes[i] @ w.T), 0.0)
        nodes.append(acc)
    outputs = [tuple(row) for row in np.round(nodes[3], 9)]
    assert partition(outputs) == partition(all_keys()[0])


@requires_shared_data
def test_authors_unique_string_reproduces_the_csv_column():
    with open(CSV, newline="") as f:
        column = [row["UniqueString"] for row in csv.DictReader(f)]
    assert column == all_keys()[1]
    assert len(set(column)) == 6466
    # every CSV class lies inside one of ours: same cells, coarser partition
    assert all(len(v) == 1 for v in _labels_per_class(column, all_keys()[0]).values())
