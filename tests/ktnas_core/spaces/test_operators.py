"""Property tests shared by every search space: sample, mutate and crossover
give valid architectures of the same space, are pure and reproducible, and
``parse`` either parses or raises InvalidArchitectureError."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ktnas_core.errors import InvalidArchitectureError, ParameterError, UnknownSpaceError
from ktnas_core.spaces import SPACES, DartsSpace, get_space
from ktnas_core.spaces.darts import GENE_SIZES

ALL = pytest.mark.parametrize("name", SPACES)
seeds = st.integers(0, 2**32 - 1)


def genes(arch) -> tuple[int, ...]:
    return arch.genome if hasattr(arch, "genome") else arch.ops


def units(space, arch) -> list[tuple[int, ...]]:
    """Crossover units: one per edge for cells, one per 4-gene block for darts."""
    g = genes(arch)
    size = 4 if isinstance(space, DartsSpace) else 1
    return [g[i : i + size] for i in range(0, len(g), size)]


def assert_valid(space, arch) -> None:
    assert type(arch) is space.arch_type and arch in space
    assert space.make(genes(arch)) == arch  # make validates every gene
    assert space.parse(str(arch)) == arch
    if space.finite:
        assert space.from_index(space.index(arch)) == arch


def archs(name: str):
    space = get_space(name)
    by_seed = seeds.map(space.sample)
    if space.finite:
        return st.one_of(by_seed, st.integers(0, len(space) - 1).map(space.from_index))
    return by_seed


@ALL
@given(seed=seeds)
def test_sample_is_valid_and_reproducible(name, seed):
    space = get_space(name)
    a = space.sample(seed)
    assert_valid(space, a)
    assert space.sample(np.random.default_rng(seed)) == a == space.sample(seed)


@ALL
@given(data=st.data(), seed=seeds)
def test_mutate_is_valid_differs_and_is_reproducible(name, data, seed):
    space = get_space(name)
    a = data.draw(archs(name))
    before = dataclasses.replace(a)
    child = space.mutate(a, np.random.default_rng(seed))
    assert a == before
    assert_valid(space, child)
    diff = [i for i, (x, y) in enumerate(zip(genes(a), genes(child))) if x != y]
    assert diff, "mutate returned its parent"
    if isinstance(space, DartsSpace):  # flip mutation: +-1 with wrap-around
        assert all((genes(child)[i] - genes(a)[i]) % GENE_SIZES[i] in (1, GENE_SIZES[i] - 1) for i in diff)
    else:
        assert len(diff) == 1
    assert space.mutate(a, seed) == space.mutate(str(a), seed) == space.mutate(a, seed)


@given(data=st.data(), seed=seeds, p=st.floats(0.0, 1.0))
def test_darts_mutate_any_probability_differs(data, seed, p):
    space = get_space("darts")
    a = data.draw(archs("darts"))
    child = space.mutate(a, seed, p=p)
    assert child != a and space.make(child.genome) == child


@ALL
@given(data=st.data(), seed=seeds)
def test_crossover_children_are_complementary(name, data, seed):
    space = get_space(name)
    a, b = data.draw(archs(name)), data.draw(archs(name))
    c1, c2 = space.crossover(a, b, seed)
    assert_valid(space, c1)
    assert_valid(space, c2)
    for ua, ub, u1, u2 in zip(units(space, a), units(space, b), units(space, c1), units(space, c2)):
        assert (u1, u2) in ((ua, ub), (ub, ua))
    assert space.crossover(str(a), str(b), np.random.default_rng(seed)) == (c1, c2)
    same = space.crossover(a, a, seed)
    assert same == (a, a)


@ALL
@given(data=st.data())
def test_archs_are_frozen_hashable_and_equal_by_value(name, data):
    space = get_space(name)
    a = data.draw(archs(name))
    twin = space.make(list(genes(a)))
    assert twin == a and twin is not a and hash(twin) == hash(a)
    assert len({a, twin, space.parse(str(a))}) == 1
    assert space.coerce(a) is a
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.ops = ()  # type: ignore[misc]


def near_valid_texts(name: str):
    """Valid strings with one random splice: most are invalid in one place."""
    return st.tuples(archs(name).map(str), st.integers(0, 400), st.integers(0, 3), st.text(max_size=4)).map(
        lambda t: t[0][: t[1]] + t[3] + t[0][t[1] + t[2] :]
    )


@ALL
@settings(max_examples=300)
@given(data=st.data())
def test_parse_never_raises_anything_else(name, data):
    space = get_space(name)
    text = data.draw(st.one_of(st.text(), near_valid_texts(name)))
    try:
        arch = space.parse(text)
    except InvalidArchitectureError as err:
        assert str(err)
    else:
        assert str(arch) == text.strip()  # only canonical strings parse
        assert_valid(space, arch)


@ALL
@pytest.mark.parametrize("rng", ["seed", -3, 2.5, True, None, np.random.RandomState(0)])
def test_bad_rng_is_a_parameter_error_for_every_operator(name, rng):
    space = get_space(name)
    a = space.sample(0)
    for call in (lambda: space.sample(rng), lambda: space.mutate(a, rng), lambda: space.crossover(a, a, rng)):
        with pytest.raises(ParameterError, match=r"is not a random generator; pass a numpy.random.Generator"):
            call()


@ALL
def test_coerce_rejects_architectures_of_other_spaces(name):
    space = get_space(name)
    for other in SPACES:
        if other != name:
            foreign = get_space(other).sample(0)
            with pytest.raises(InvalidArchitectureError, match=f"belongs to space '{other}', not '{name}'"):
                space.coerce(foreign)


@pytest.mark.parametrize("bad", ["nb202", "NB201", "", None, 3])
def test_get_space_unknown_name(bad):
    with pytest.raises(UnknownSpaceError, match=r"is unknown; choose one of \['nb201', 'tnb101_micro', 'darts'\]"):
        get_space(bad)


def test_get_space_returns_one_shared_instance():
    assert get_space("darts") is get_space("darts")
    assert [get_space(n).name for n in SPACES] == list(SPACES)


@pytest.mark.parametrize("name, n_ops", [("nb201", 5), ("tnb101_micro", 4)])
@given(seed=seeds)
def test_neighbours_are_exactly_what_mutate_can_return(name, n_ops, seed):
    space = get_space(name)
    a = space.sample(seed)
    near = space.neighbours(a)
    assert len(near) == len(set(near)) == 6 * (n_ops - 1) and a not in near
    assert all(sum(x != y for x, y in zip(a.ops, b.ops)) == 1 for b in near)
    rng = np.random.default_rng(seed)
    assert all(space.mutate(a, rng) in near for _ in range(20))
