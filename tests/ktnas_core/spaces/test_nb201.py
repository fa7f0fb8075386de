"""NAS-Bench-201 space: lossless round trips over all 15,625 cells, the
NATS-Bench index order, NASLib's op-index tuples and error messages."""

from __future__ import annotations

import ast
import csv
import functools
import json

import numpy as np
import pytest

from ktnas_core.errors import InvalidArchitectureError, ParameterError
from ktnas_core.spaces import get_space
from tests.conftest import SHARED_DATA, requires_shared_data

NB = get_space("nb201")
RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"
# best cells of the benchmark (nats_bench.csv rows 6111, 9930, 857: best C10, C100, IN16 test acc)
BEST = {
    6111: "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    9930: "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    857: "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
}
CSV = SHARED_DATA / "nasbench201" / "nats-bench-landscape" / "nats_bench.csv"
ZC = SHARED_DATA / "nasbench201" / "NASLib-partial" / "zc_nasbench201.json"


@functools.lru_cache(maxsize=1)
def csv_rows() -> list[dict]:
    with open(CSV, newline="") as f:
        return list(csv.DictReader(f))


def test_every_cell_round_trips_losslessly():
    seen_naslib = set()
    for i, cell in enumerate(NB):
        text = str(cell)
        back = NB.parse(text)
        assert back == cell and NB.index(back) == i and NB.from_index(i) == cell
        assert NB.format(cell) == text and NB.coerce(text) == cell and NB.coerce(i) == cell
        enc = NB.to_naslib(cell)
        assert NB.from_naslib(enc) == cell
        seen_naslib.add(enc)
    assert i == len(NB) - 1 == 15624
    assert len(seen_naslib) == len(NB)


def test_ops_matrix_rows_are_the_cells_in_index_order():
    m = NB.ops_matrix()
    for i in (0, 1, 857, 6111, 11472, 15624):
        assert tuple(m[i]) == NB.from_index(i).ops


def test_resnet_cell_is_index_11472():
    assert NB.index(NB.parse(RESNET)) == 11472
    assert str(NB.from_index(11472)) == RESNET


@pytest.mark.parametrize("index", sorted(BEST))
def test_best_cells_have_their_benchmark_index(index):
    assert str(NB.from_index(index)) == BEST[index]
    assert NB.index(BEST[index]) == index


@requires_shared_data
def test_every_row_of_nats_bench_csv_is_our_index():
    rows = csv_rows()
    assert len(rows) == len(NB)
    assert all(r["ArchitectureString"] == str(NB.from_index(i)) for i, r in enumerate(rows))
    c10 = np.array([float(r["CIFAR10TestAccuracy200Epochs"]) for r in rows])
    c100 = np.array([float(r["CIFAR100TestAccuracy200Epochs"]) for r in rows])
    in16 = np.array([float(r["ImageNetTestAccuracy200Epochs"]) for r in rows])
    assert (int(c10.argmax()), int(c100.argmax()), int(in16.argmax())) == (6111, 9930, 857)


# -- NASLib ---------------------------------------------------------------
def test_naslib_tuple_hand_worked():
    # string order: avg(0->1) c1(0->2) skip(1->2) c1(0->3) skip(1->3) skip(2->3)
    # NASLib edges (1,2),(1,3),(1,4),(2,3),(2,4),(3,4) = string positions 0,1,3,2,4,5
    # NASLib ops [skip_connect, none, nor_conv_3x3, nor_conv_1x1, avg_pool_3x3]
    cell = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    assert NB.to_naslib(cell) == (4, 3, 3, 0, 0, 0)
    assert NB.to_naslib(RESNET) == (2, 1, 0, 2, 1, 0)
    assert str(NB.from_naslib([0, 1, 2, 3, 4, 0])) == (
        "|skip_connect~0|+|none~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|skip_connect~2|"
    )


@pytest.mark.parametrize("bad", [(0, 1, 2), (0, 1, 2, 3, 4, 5), "abcdef", None])
def test_from_naslib_rejects_bad_tuples(bad):
    with pytest.raises(InvalidArchitectureError, match="NASLib NB201 op-index tuple"):
        NB.from_naslib(bad)


@requires_shared_data
def test_naslib_zero_cost_keys_decode_to_our_index():
    with open(ZC) as f:
        table = json.load(f)["cifar10"]
    rows = csv_rows()
    idx = [NB.index(NB.from_naslib(ast.literal_eval(key))) for key in table]
    val = np.array([v["val_accuracy"] for v in table.values()])
    test = np.array([float(rows[i]["CIFAR10TestAccuracy200Epochs"]) for i in idx])
    assert len(set(idx)) == len(table) == 725
    assert np.corrcoef(val, test)[0, 1] > 0.98


# -- errors ---------------------------------------------------------------
def test_unknown_operation_is_named_with_the_allowed_ones():
    bad = RESNET.replace("nor_conv_3x3~0", "conv_3x3~0", 1)
    with pytest.raises(InvalidArchitectureError, match=r"unknown operation 'conv_3x3'.*'nor_conv_1x1'"):
        NB.parse(bad)


@pytest.mark.parametrize(
    "text, match",
    [
        ("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|", "has 2 node groups"),
        (RESNET + "+|none~0|", "has 4 node groups"),
        ("|nor_conv_3x3~0|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "node 1 .* has 2 inputs; it needs 1"),
        ("|nor_conv_3x3~1|+|none~0|none~1|+|none~0|none~1|none~2|", r"must read 'op~0'"),
        ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", r"must read 'op~1'"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none2|", r"must read 'op~2'"),
        ("none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "must be enclosed in '|'"),
        ("", "has 1 node groups"),
    ],
)
def test_malformed_strings_name_the_bad_part(text, match):
    with pytest.raises(InvalidArchitectureError, match=match):
        NB.parse(text)


def test_parse_rejects_non_strings():
    with pytest.raises(InvalidArchitectureError, match="not an NB201 cell string"):
        NB.parse(42)


@pytest.mark.parametrize("i", [-1, 15625, 10**9])
def test_index_out_of_range(i):
    with pytest.raises(InvalidArchitectureError, match=rf"index {i} is out of range; nb201 indices are 0..15624"):
        NB.from_index(i)


@pytest.mark.parametrize("i", [1.0, "3", None, True])
def test_non_integer_index(i):
    with pytest.raises(InvalidArchitectureError, match=r"is not an integer; nb201 indices are 0..15624"):
        NB.from_index(i)


def test_numpy_integer_index_is_accepted():
    assert NB.from_index(np.int64(11472)) == NB.parse(RESNET)


def test_make_validates_operations():
    assert NB.make([3, 0, 3, 1, 0, 1]) == NB.parse(RESNET)
    with pytest.raises(InvalidArchitectureError, match=r"operation index 5 on edge 1->2 is out of range"):
        NB.make([0, 0, 5, 0, 0, 0])
    with pytest.raises(InvalidArchitectureError, match="have 6 edges; got 5"):
        NB.make([0] * 5)


def test_coerce_rejects_another_spaces_cell():
    tnb = get_space("tnb101_micro").from_index(7)
    with pytest.raises(InvalidArchitectureError, match="belongs to space 'tnb101_micro', not 'nb201'"):
        NB.coerce(tnb)
    with pytest.raises(InvalidArchitectureError, match=r"type list\) is not a nb201 architecture"):
        NB.coerce([0] * 6)


@pytest.mark.parametrize("rng", ["0", -1, 1.5, True, None, np.random.RandomState(0)])
def test_bad_rng_is_a_parameter_error(rng):
    with pytest.raises(ParameterError, match="is not a random generator; pass a numpy.random.Generator"):
        NB.sample(rng)
