"""TransNAS-Bench-101 micro space: round trips over all 4,096 cells, the
``itertools.product`` index order, NASLib tuples and error messages."""

from __future__ import annotations

import itertools

import pytest

from ktnas_core.errors import InvalidArchitectureError, ParameterError
from ktnas_core.spaces import get_space

TNB = get_space("tnb101_micro")


def test_every_cell_round_trips_losslessly():
    for i, cell in enumerate(TNB):
        text = str(cell)
        back = TNB.parse(text)
        assert back == cell and TNB.index(back) == i and TNB.from_index(i) == cell
        assert TNB.coerce(text) == cell and TNB.coerce(i) == cell
        assert TNB.from_naslib(TNB.to_naslib(cell)) == cell
    assert i == len(TNB) - 1 == 4095


def test_index_order_is_itertools_product():
    expected = list(itertools.product(range(4), repeat=6))
    assert [cell.ops for cell in TNB] == expected
    assert [tuple(r) for r in TNB.ops_matrix()] == expected


def test_string_layout_hand_worked():
    cell = TNB.make([1, 2, 3, 0, 1, 2])
    assert str(cell) == "64-41414-1_23_012"
    assert cell.op_names == ("skip_connect", "conv1x1", "conv3x3", "none", "skip_connect", "conv1x1")
    assert TNB.index(cell) == int("123012", 4)
    assert TNB.to_naslib(cell) == (1, 2, 3, 0, 1, 2)


@pytest.mark.parametrize(
    "text, match",
    [
        ("64-41414-1_23_014", r"digit '4' in .* is not an operation; use 0=none, 1=skip_connect"),
        ("64-41414-x_23_012", r"digit 'x' .* is not an operation"),
        ("64-4141-1_23_012", r"does not start with the micro skeleton '64-41414-'"),
        ("1_23_012", "does not start with the micro skeleton"),
        ("64-41414-1_23_0123", r"cell part '1_23_0123' .* must be 'a_bc_def'"),
        ("64-41414-123012", r"must be 'a_bc_def'"),
    ],
)
def test_malformed_strings_name_the_bad_part(text, match):
    with pytest.raises(InvalidArchitectureError, match=match):
        TNB.parse(text)


@pytest.mark.parametrize("i", [-1, 4096])
def test_index_out_of_range(i):
    with pytest.raises(InvalidArchitectureError, match=rf"index {i} is out of range; tnb101_micro indices are 0..4095"):
        TNB.from_index(i)


def test_non_integer_index():
    with pytest.raises(InvalidArchitectureError, match="index '7' is not an integer"):
        TNB.from_index("7")


def test_from_naslib_rejects_bad_tuples():
    with pytest.raises(InvalidArchitectureError, match="6 integers in 0..3"):
        TNB.from_naslib((0, 1, 2, 3, 4, 0))
    with pytest.raises(InvalidArchitectureError, match="not a NASLib TransNAS micro op-index tuple"):
        TNB.from_naslib("abc")


def test_make_names_the_bad_operation():
    with pytest.raises(InvalidArchitectureError, match=r"operation index 4 on edge 0->3 .* 4 operations"):
        TNB.make([0, 0, 0, 4, 0, 0])


def test_coerce_rejects_another_spaces_cell():
    nb = get_space("nb201").from_index(0)
    with pytest.raises(InvalidArchitectureError, match="belongs to space 'nb201', not 'tnb101_micro'"):
        TNB.coerce(nb)


def test_bad_rng_is_a_parameter_error():
    with pytest.raises(ParameterError, match=r"rng='x' is not a random generator"):
        TNB.mutate(TNB.from_index(0), "x")
