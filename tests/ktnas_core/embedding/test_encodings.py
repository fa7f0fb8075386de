"""One-hot and path encodings: exact values, shapes, speed and conventions."""

import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ktnas_core.embedding import OneHotEncoder, PathEncoder
from ktnas_core.errors import InvalidArchitectureError, ParameterError
from ktnas_core.spaces import get_space

RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"
ENCODERS = [OneHotEncoder, PathEncoder]


@pytest.fixture
def nb201():
    return get_space("nb201")


def test_one_hot_hand_worked(nb201):
    # ops in string order: conv3x3=3, none=0, conv3x3=3, skip=1, none=0, skip=1; column = 5 * edge + op
    x = OneHotEncoder().fit(nb201).transform([nb201.parse(RESNET)])
    assert x.shape == (1, 30) and x.dtype == np.float64
    assert np.flatnonzero(x[0]).tolist() == [3, 5, 13, 16, 20, 26]


@pytest.mark.parametrize("name, width", [("nb201", 30), ("tnb101_micro", 24)])
def test_one_hot_is_lossless_over_the_space(name, width):
    space = get_space(name)
    x = OneHotEncoder().fit(space).transform(space)
    assert x.shape == (len(space), width)
    k = len(space.ops)
    np.testing.assert_array_equal(x.reshape(len(space), 6, k).argmax(axis=2), space.ops_matrix())
    assert set(np.unique(x)) == {0.0, 1.0} and (x.sum(axis=1) == 6).all()


def test_one_hot_darts_hand_worked():
    darts = get_space("darts")
    genome = darts.make([0, 1, 0, 6] + [0] * 36)
    x = OneHotEncoder().fit([genome]).transform([genome])
    assert x.shape == (1, 260) and x.sum() == 40
    # gene 0 (2 values): col 0+0; gene 1 (2 values): col 2+1; gene 2 (9 ops): col 4+0; gene 3: col 13+6
    assert np.flatnonzero(x[0])[:4].tolist() == [0, 3, 4, 19]


def test_path_hand_worked(nb201):
    enc = PathEncoder().fit(nb201)
    names = enc.get_feature_names_out()
    assert len(names) == 4 + 16 + 64
    x = enc.transform([nb201.parse(RESNET)])
    # paths 0->1->3 and 0->2->3 run through none and are dropped
    assert names[x[0] == 1].tolist() == ["skip_connect", "nor_conv_3x3>nor_conv_3x3>skip_connect"]
    conv = nb201.make([3] * 6)  # two length-2 paths share one label
    assert names[enc.transform([conv])[0] == 1].tolist() == [
        "nor_conv_3x3", "nor_conv_3x3>nor_conv_3x3", "nor_conv_3x3>nor_conv_3x3>nor_conv_3x3"]  # fmt: skip
    assert enc.transform([nb201.make([0] * 6)]).sum() == 0


def test_path_lengths_and_truncation():
    tnb = get_space("tnb101_micro")
    assert PathEncoder().fit(tnb).transform(tnb).shape == (4096, 3 + 9 + 27)
    short = PathEncoder(max_length=1).fit(tnb).transform(tnb)
    full = PathEncoder().fit(tnb).transform(tnb)
    np.testing.assert_array_equal(short, full[:, :3])


def test_path_darts_hand_worked():
    darts = get_space("darts")
    # block 0 reads c_{k-2} with sep3 and c_{k-1} with skip; block 1 reads block 0 with sep5 and c_{k-2}
    # with sep7; blocks 2..4 and the reduce cell read c_{k-2} with sep3 only
    genome = darts.make([0, 1, 0, 6, 2, 0, 1, 2] + [0, 0, 0, 0] * 3 + [0] * 20)
    enc = PathEncoder().fit([genome])
    x = enc.transform([genome])
    assert x.shape == (1, 2 * 2 * (9 + 81 + 729))
    assert set(enc.get_feature_names_out()[x[0] == 1]) == {
        "normal/c_k-2:sep_conv_3x3", "normal/c_k-1:skip_connect", "normal/c_k-2:sep_conv_7x7",
        "normal/c_k-2:sep_conv_3x3>sep_conv_5x5", "normal/c_k-1:skip_connect>sep_conv_5x5",
        "reduce/c_k-2:sep_conv_3x3",
    }  # fmt: skip


@pytest.mark.parametrize("cls", ENCODERS)
def test_darts_sample(cls):
    darts = get_space("darts")
    sample = [darts.sample(i) for i in range(50)]
    x = cls().fit(sample).transform(sample)
    assert x.shape[0] == 50 and np.isfinite(x).all() and (x.sum(axis=1) > 0).all()
    assert len(np.unique(x, axis=0)) == 50


@pytest.mark.parametrize("cls", ENCODERS)
def test_whole_nb201_is_fast(cls, nb201):
    archs = list(nb201)
    enc = cls().fit(archs)
    t0 = time.perf_counter()
    enc.transform(archs)
    assert time.perf_counter() - t0 < 0.5


@pytest.mark.parametrize("cls", ENCODERS)
def test_sklearn_conventions(cls, nb201):
    enc = cls(random_state=3)
    assert enc.get_params()["random_state"] == 3
    assert clone(enc).get_params() == enc.get_params()
    with pytest.raises(NotFittedError):
        enc.transform([nb201.sample(0)])
    assert enc.fit([nb201.sample(0)]) is enc
    assert enc.n_features_out_ == len(enc.get_feature_names_out())
    with pytest.raises(InvalidArchitectureError, match="belongs to space 'tnb101_micro'"):
        enc.transform([get_space("tnb101_micro").sample(0)])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_path_bad_max_length(bad, nb201):
    with pytest.raises(ParameterError, match="max_length=.* must be an int >= 1"):
        PathEncoder(max_length=bad).fit([nb201.sample(0)])


def test_live_nodes_are_the_edges_of_the_kept_paths(nb201):
    from ktnas_core.embedding.encodings import CELL_PATHS, live_nodes

    ops = nb201.ops_matrix().astype(np.int64)
    expected = np.zeros((len(ops), 6), dtype=bool)
    for path in CELL_PATHS:
        kept = (ops[:, list(path)] != 0).all(axis=1)
        expected[:, list(path)] |= kept[:, None]
    live = live_nodes(ops, none=0)
    np.testing.assert_array_equal(live[:, 1:7], expected)
    assert live[:, [0, 7]].all() and live_nodes(ops, none=None).all()


def test_embed_space_refuses_to_cache_an_unseeded_stochastic_embedder(tmp_path, monkeypatch):
    import pytest

    from ktnas_core.embedding import Node2VecEmbedder, OneHotEncoder, embed_space
    from ktnas_core.errors import ParameterError

    monkeypatch.setenv("KTNAS_CACHE_DIR", str(tmp_path))
    with pytest.raises(ParameterError, match=r"Node2VecEmbedder\(random_state=None\) cannot be cached"):
        embed_space(Node2VecEmbedder(), "tnb101_micro")
    assert embed_space(OneHotEncoder(), "tnb101_micro").shape == (4096, 24)  # deterministic: fine
