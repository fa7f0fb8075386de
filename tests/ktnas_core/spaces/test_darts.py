"""The DARTS-style space of EMT-NAS: genome layout, canonical string, NASLib
compact layout, flip mutation, block crossover and error messages."""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest

from ktnas_core.errors import InvalidArchitectureError, ParameterError
from ktnas_core.spaces import DartsGenome, get_space
from ktnas_core.spaces.darts import DARTS_OPS, GENE_SIZES
from tests.conftest import SHARED_DATA, requires_shared_data

D = get_space("darts")
# normal: block k reads (k, k+1) with ops (k, 8-k); reduce: all zeros
GENES = [g for k in range(5) for g in (k, k + 1, k, 8 - k)] + [0] * 20
TEXT = (
    "normal:sep_conv_3x3~0+avg_pool_3x3~1|sep_conv_5x5~1+max_pool_3x3~2|"
    "sep_conv_7x7~2+skip_connect~3|dil_conv_3x3~3+dil_conv_7x7~4|dil_conv_5x5~4+dil_conv_5x5~5;"
    "reduce:" + "|".join(["sep_conv_3x3~0+sep_conv_3x3~0"] * 5)
)


def test_space_identity():
    assert (D.name, D.title, D.finite) == ("darts", "DARTS-style (EMT-NAS)", False)
    assert DARTS_OPS == (
        "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7", "dil_conv_3x3", "dil_conv_5x5",
        "dil_conv_7x7", "skip_connect", "max_pool_3x3", "avg_pool_3x3",
    )  # fmt: skip
    assert GENE_SIZES[:8] == (2, 2, 9, 9, 3, 3, 9, 9) and GENE_SIZES[16:24] == (6, 6, 9, 9, 2, 2, 9, 9)


def test_space_is_not_indexed():
    with pytest.raises(TypeError, match="too large to count"):
        len(D)
    with pytest.raises(NotImplementedError, match="not indexed"):
        D.from_index(0)
    with pytest.raises(NotImplementedError, match="not indexed"):
        D.index(D.sample(0))


def test_string_hand_worked():
    g = D.make(GENES)
    assert str(g) == TEXT == D.format(g)
    assert D.parse(TEXT) == g == D.coerce(TEXT)
    assert repr(g) == f"DartsGenome('{TEXT}')"
    assert D.parse(f"  {TEXT}\n") == g


def test_genotype_hand_worked():
    geno = D.make(GENES).genotype
    assert geno.normal[:4] == [("sep_conv_3x3", 0), ("avg_pool_3x3", 1), ("sep_conv_5x5", 1), ("max_pool_3x3", 2)]
    assert len(geno.normal) == len(geno.reduce) == 10
    assert geno.reduce == [("sep_conv_3x3", 0)] * 10
    assert geno.normal_concat == geno.reduce_concat == [2, 3, 4, 5, 6]


def test_naslib_compact_layout_hand_worked():
    enc = D.to_naslib(D.make(GENES))
    assert enc[0][:4] == ((0, 0), (1, 8), (1, 1), (2, 7))  # (input, op_index), a then b
    assert enc[1] == ((0, 0),) * 10
    assert D.from_naslib(enc) == D.make(GENES)
    assert D.from_naslib([list(map(list, cell)) for cell in enc]) == D.make(GENES)


@requires_shared_data
def test_naslib_compact_genotypes_put_the_input_first():
    """NASLib's nb301 keys: pair j of a cell has its input <= j // 2 + 1 and op in 0..6."""
    path = SHARED_DATA / "nasbench301" / "NASLib-partial" / "zc_nasbench301.json"
    if not path.is_file():
        pytest.skip(f"NASLib's nb301 zero-cost table not found at {path}")
    with open(path) as f:
        keys = [ast.literal_eval(k) for k in json.load(f)["cifar10"]]
    pairs = [(j, p) for arch in keys for cell in arch for j, p in enumerate(cell)]
    assert all(p[0] <= j // 2 + 1 and 0 <= p[1] <= 6 for j, p in pairs)
    assert max(p[1] for _, p in pairs) == 6 and max(p[0] for _, p in pairs) == 4


@pytest.mark.parametrize(
    "bad, match",
    [
        ((((0, 0),) * 10,), "2 cells of 10 .input, op_index. pairs"),
        ((((0, 0),) * 9, ((0, 0),) * 10), "2 cells of 10"),
        ((((0, 0, 0),) * 10, ((0, 0),) * 10), "2 cells of 10"),
        ("nope", "not a compact darts genotype"),
        ((((0, 9),) * 10, ((0, 0),) * 10), r"unknown operation 9 \(op_a of block 0 in the normal cell"),
        ((((2, 0),) * 10, ((0, 0),) * 10), r"input 2 \(input_a of block 0 in the normal cell"),
    ],
)
def test_from_naslib_rejects_bad_encodings(bad, match):
    with pytest.raises(InvalidArchitectureError, match=match):
        D.from_naslib(bad)


@pytest.mark.parametrize(
    "genome, match",
    [
        ([0] * 39, r"is not a darts genome: 40 integers"),
        ([0.0] * 40, r"is not a darts genome: 40 integers"),
        ("0" * 40, r"is not a darts genome"),
        ([0] * 17 + [6] + [0] * 22, r"input 6 \(input_b of block 4 in the normal cell, gene 17\).* 0..5"),
        ([0] * 20 + [-1] + [0] * 19, r"input -1 \(input_a of block 0 in the reduce cell, gene 20\).* 0..1"),
        ([0] * 38 + [9, 0], r"unknown operation 9 \(op_a of block 4 in the reduce cell, gene 38\).*avg_pool_3x3"),
    ],
)
def test_make_names_cell_block_and_gene(genome, match):
    with pytest.raises(InvalidArchitectureError, match=match):
        D.make(genome)


def test_make_accepts_numpy_integers_and_stores_ints():
    g = D.make(np.array(GENES))
    assert g == D.make(GENES) and all(type(v) is int for v in g.genome)


def _edit(old: str, new: str, count: int = 1) -> str:
    assert old in TEXT
    return TEXT.replace(old, new, count)


@pytest.mark.parametrize(
    "text, match",
    [
        (_edit("sep_conv_5x5~1", "conv_5x5~1"), r"unknown operation 'conv_5x5' \(op_a of block 1 in the normal cell.*sep_conv_3x3"),
        (_edit("max_pool_3x3~2", "max_pool_3x3~3"), r"input '3' \(input_b of block 1 in the normal cell.* 0..2"),
        (_edit("sep_conv_3x3~0+avg", "sep_conv_3x3~01+avg"), r"input '01' \(input_a of block 0 in the normal"),
        (_edit("sep_conv_3x3~0+avg", "sep_conv_3x3~-1+avg"), r"input '-1' .* block 0 may read inputs 0..1"),
        (_edit("reduce:sep_conv_3x3~0+sep_conv_3x3~0", "reduce:sep_conv_3x3~0+sep_conv_3x3~2"), r"input '2' \(input_b of block 0 in the reduce cell"),
        (_edit("reduce:", "reduction:"), r"cell part 1 of the darts string must start with 'reduce:'"),
        (_edit("normal:", ""), r"cell part 0 of the darts string must start with 'normal:'"),
        (_edit(";", "|"), r"has 1 cell part\(s\) separated by ';'"),
        (TEXT + ";", r"has 3 cell part\(s\)"),
        (_edit("|sep_conv_5x5~1+max_pool_3x3~2", ""), r"the normal cell of the darts string has 4 blocks"),
        (_edit("+avg_pool_3x3~1", ""), r"block 0 'sep_conv_3x3~0' of the normal cell must read 'op~input\+op~input'"),
        (_edit("avg_pool_3x3~1", "avg_pool_3x3"), r"block 0 .* must read 'op~input\+op~input'"),
        ("", r"has 1 cell part"),
    ],
)
def test_parse_names_cell_block_and_gene(text, match):
    with pytest.raises(InvalidArchitectureError, match=match):
        D.parse(text)


def test_parse_and_coerce_reject_non_strings_and_other_spaces():
    with pytest.raises(InvalidArchitectureError, match="not a darts architecture string"):
        D.parse(None)
    with pytest.raises(InvalidArchitectureError, match="belongs to space 'nb201', not 'darts'"):
        D.coerce(get_space("nb201").from_index(0))
    with pytest.raises(InvalidArchitectureError, match=r"not a darts architecture; pass an architecture, its string$"):
        D.coerce(3)


# -- operators ------------------------------------------------------------
def test_mutate_without_flips_changes_exactly_one_gene_by_one_step():
    g = D.make(GENES)
    for seed in range(50):
        child = D.mutate(g, seed, p=0.0)
        diff = [i for i, (x, y) in enumerate(zip(g.genome, child.genome)) if x != y]
        assert len(diff) == 1
        (i,) = diff
        assert (child.genome[i] - g.genome[i]) % GENE_SIZES[i] in (1, GENE_SIZES[i] - 1)


def test_mutate_with_p_one_moves_every_gene_with_wrap_around():
    top = D.make([size - 1 for size in GENE_SIZES])
    child = D.mutate(top, 0, p=1.0)
    for y, size in zip(child.genome, GENE_SIZES):
        assert y in (0, size - 2)  # +1 wraps to 0, -1 steps down
    ups = [D.mutate(top, s, p=1.0).genome[2] for s in range(40)]
    assert set(ups) == {0, 7}  # fair coin: both directions occur


def test_mutate_flip_rate_matches_p():
    g, rng = D.make(GENES), np.random.default_rng(0)
    changed = [sum(x != y for x, y in zip(g.genome, D.mutate(g, rng).genome)) for _ in range(4000)]
    expected = 40 * 0.02 + 0.98**40  # flips, plus the forced flip when none happened
    assert abs(np.mean(changed) - expected) < 0.06
    assert min(changed) == 1


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.1", None, True, float("nan")])
def test_mutate_rejects_bad_probability(p):
    with pytest.raises(ParameterError, match=r"mutation probability p=.* must be a number in \[0, 1\]"):
        D.mutate(D.make(GENES), 0, p=p)


def test_crossover_swaps_whole_blocks():
    a, b = D.make(GENES), D.make([size - 1 for size in GENE_SIZES])
    c1, c2 = D.crossover(a, b, 3)
    for k in range(0, 40, 4):
        blocks = (c1.genome[k : k + 4], c2.genome[k : k + 4])
        assert blocks in ((a.genome[k : k + 4], b.genome[k : k + 4]), (b.genome[k : k + 4], a.genome[k : k + 4]))
    assert isinstance(c1, DartsGenome) and D.make(c1.genome) == c1
