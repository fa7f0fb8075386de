"""Node2VecEmbedder: walks, words, determinism, conventions and the shipped defaults."""

import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ktnas_core.embedding import Node2VecEmbedder, OneHotEncoder, embed_space
from ktnas_core.embedding.cache import _shipped, cache_key
from ktnas_core.embedding.encodings import live_nodes
from ktnas_core.embedding.node2vec import cell_tokens, node2vec_walks, pair_counts
from ktnas_core.errors import ParameterError
from ktnas_core.graphs import CELL_ADJACENCY
from ktnas_core.spaces import get_space

FAST = dict(dim=16, epochs=30)


def test_walks_follow_undirected_edges():
    walks = node2vec_walks(CELL_ADJACENCY, 12, 5, 1.0, 1.0, np.random.default_rng(0))
    assert walks.shape == (8 * 5, 12) and (walks >= 0).all()
    assert (walks[:, 0] == np.repeat(np.arange(8), 5)).all()
    undirected = (CELL_ADJACENCY | CELL_ADJACENCY.T).astype(bool)
    assert undirected[walks[:, :-1], walks[:, 1:]].all()
    assert (walks[:, 1:] == 0).any()  # walks go back against the edge direction to the input


def test_walk_bias_p_and_q():
    path = np.eye(6, k=1, dtype=bool)  # 0 - 1 - 2 - 3 - 4 - 5
    def returns(p, q):
        w = node2vec_walks(path, 20, 50, p, q, np.random.default_rng(1))
        return (w[:, 2:] == w[:, :-2]).mean()
    assert returns(0.01, 1.0) > 0.9 > returns(1.0, 1.0) > returns(100.0, 1.0)
    assert returns(1.0, 0.01) < returns(1.0, 100.0)


def test_walks_stop_at_isolated_nodes():
    walks = node2vec_walks(np.zeros((3, 3), dtype=bool), 4, 1, 1.0, 1.0, np.random.default_rng(0))
    assert walks[:, 0].tolist() == [0, 1, 2] and (walks[:, 1:] == -1).all()


def test_pair_counts_hand_worked():
    counts = pair_counts(np.array([[0, 1, 2, -1]]), 2, 3)
    # window 1: (0,1), (1,2); window 2: (0,2); each in both directions
    assert counts.tolist() == [[0, 1, 1], [1, 0, 1], [1, 1, 0]]


def test_live_nodes_and_tokens_hand_worked():
    nb = get_space("nb201")
    ops = np.array([nb.parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|").ops])
    live = live_nodes(ops, none=0)
    assert live.astype(int).tolist() == [[1, 1, 0, 1, 1, 0, 1, 1]]
    assert live_nodes(np.zeros((1, 6), dtype=int), none=0).astype(int).tolist() == [[1, 0, 0, 0, 0, 0, 0, 1]]
    emb = Node2VecEmbedder(token="op_inputs", **FAST).fit(nb)
    codes = cell_tokens(ops, 5, "op_inputs", live)[0]
    words = dict(zip(emb.vocab_codes_.tolist(), emb.vocabulary_))
    assert [words.get(c, "-") for c in codes.tolist()] == [
        "input", "nor_conv_3x3<-(input)", "-", "nor_conv_3x3<-(nor_conv_3x3)", "skip_connect<-(input)", "-",
        "skip_connect<-(nor_conv_3x3)", "output<-(skip_connect,skip_connect)"]  # fmt: skip


def test_shapes_and_pooling(tnb):
    x = Node2VecEmbedder(**FAST).fit(tnb).transform(tnb)
    assert x.shape == (4096, 16) and x.dtype == np.float64 and np.isfinite(x).all()
    y = Node2VecEmbedder(pooling="mean_max", **FAST).fit(tnb).transform([tnb.sample(0), tnb.sample(1)])
    assert y.shape == (2, 16)


def test_same_seed_same_vectors_other_seed_differs(tnb):
    a = Node2VecEmbedder(random_state=7, **FAST).fit(tnb).transform(tnb)
    b = Node2VecEmbedder(random_state=7, **FAST).fit(tnb).transform(tnb)
    c = Node2VecEmbedder(random_state=8, **FAST).fit(tnb).transform(tnb)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_same_seed_same_vectors_in_another_process(tmp_path, tnb):
    code = (
        "import sys, numpy as np\n"
        "from ktnas_core.embedding import Node2VecEmbedder\n"
        "from ktnas_core.spaces import get_space\n"
        "s = get_space('tnb101_micro'); archs = [s.from_index(i) for i in range(0, 4096, 7)]\n"
        "np.save(sys.argv[1], Node2VecEmbedder(random_state=5, dim=16, epochs=30).fit(archs).transform(archs))\n"
    )
    out = tmp_path / "x.npy"
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env={"OPENBLAS_NUM_THREADS": "2"})
    archs = [tnb.from_index(i) for i in range(0, 4096, 7)]
    here = Node2VecEmbedder(random_state=5, **FAST).fit(archs).transform(archs)
    np.testing.assert_array_equal(np.load(out), here)


def test_dead_operations_do_not_matter():
    nb = get_space("nb201")
    emb = Node2VecEmbedder(**FAST).fit(nb)
    # edge 0->1 is none, so node 1 is never reached: ops on 1->2 and 1->3 are dead
    a, b = nb.make([0, 3, 3, 2, 1, 3]), nb.make([0, 3, 1, 2, 4, 3])
    xa, xb = emb.transform([a, b])
    np.testing.assert_array_equal(xa, xb)
    keep = Node2VecEmbedder(drop_none=False, **FAST).fit(nb).transform([a, b])
    assert not np.allclose(keep[0], keep[1])


def test_trap_context_free_words_are_a_linear_map_of_one_hot(tnb):
    """PAPER.md's trap: (position, op) words + mean pooling add nothing to one-hot; context words do."""
    onehot = np.c_[OneHotEncoder().fit(tnb).transform(tnb), np.ones(len(tnb))]

    def residual(**kw):
        x = Node2VecEmbedder(**FAST, **kw).fit(tnb).transform(tnb)
        coef = np.linalg.lstsq(onehot, x, rcond=None)[0]
        return np.linalg.norm(onehot @ coef - x) / np.linalg.norm(x - x.mean(axis=0))

    assert residual(token="position_op", drop_none=False) < 1e-9
    assert residual(token="op_inputs") > 0.1


def test_unseen_words_are_left_out(tnb):
    seen = [tnb.make([3] * 6)]
    emb = Node2VecEmbedder(**FAST).fit(seen)
    x = emb.transform([tnb.make([2] * 6), seen[0]])
    assert np.isfinite(x).all() and not np.allclose(x[0], x[1])


def test_sklearn_conventions(tnb):
    emb = Node2VecEmbedder(dim=8, q=0.5, random_state=1)
    params = emb.get_params()
    assert params["dim"] == 8 and params["q"] == 0.5 and params["random_state"] == 1
    assert clone(emb).get_params() == params
    with pytest.raises(NotFittedError):
        emb.transform([tnb.sample(0)])
    assert emb.fit([tnb.sample(0), tnb.sample(1)]) is emb
    assert emb.n_features_out_ == 8 and len(emb.vocabulary_) == emb.vectors_.shape[0]


@pytest.mark.parametrize("params, match", [
    ({"dim": 0}, r"dim=0 must be an int > 0"),
    ({"dim": -3}, r"dim=-3 must be an int > 0"),
    ({"p": 0}, r"p=0 must be a number > 0"),
    ({"q": -1.0}, r"q=-1.0 must be a number > 0"),
    ({"walk_length": 1}, r"walk_length=1 must be an int >= 2"),
    ({"walks_per_node": 0}, r"walks_per_node=0 must be an int > 0"),
    ({"window": 0}, r"window=0 must be an int > 0"),
    ({"epochs": 2.5}, r"epochs=2.5 must be an int > 0"),
    ({"learning_rate": 0}, r"learning_rate=0 must be a number > 0"),
    ({"token": "op_outputs"}, r"token='op_outputs' is unknown; choose one of \['op', "),
    ({"pooling": "sum"}, r"pooling='sum' is unknown"),
    ({"pooling": "mean_max", "dim": 7}, r"dim=7 must be even"),
    ({"drop_none": "yes"}, r"drop_none='yes' must be True or False"),
])  # fmt: skip
def test_bad_parameters(params, match, tnb):
    with pytest.raises(ParameterError, match=match):
        Node2VecEmbedder(**params).fit([tnb.sample(0)])


def test_darts_is_refused_clearly():
    darts = get_space("darts")
    with pytest.raises(ParameterError, match="not 'darts' architectures; use OneHotEncoder or PathEncoder"):
        Node2VecEmbedder(**FAST).fit([darts.sample(0)])


@pytest.mark.parametrize("space", ["nb201", "tnb101_micro"])
def test_shipped_defaults_load_fast(space, private_cache):
    emb = Node2VecEmbedder(random_state=0)
    assert _shipped(cache_key("embedding", space, emb)) is not None, "re-run the shipping step (see node2vec doc)"
    t0 = time.perf_counter()
    x = embed_space(emb, space)
    assert time.perf_counter() - t0 < 1.0
    assert x.shape == (len(get_space(space)), 128) and x.dtype == np.float32
    assert not private_cache.exists() or not any(private_cache.iterdir())  # nothing recomputed


def test_shipped_defaults_equal_a_recomputation():
    shipped = embed_space(Node2VecEmbedder(random_state=0), "tnb101_micro")
    np.testing.assert_array_equal(shipped, embed_space(Node2VecEmbedder(random_state=0), "tnb101_micro", use_cache=False))


def test_cells_without_live_edges(tnb):
    dead = tnb.make([0] * 6)
    x = Node2VecEmbedder(**FAST).fit([dead]).transform([dead, tnb.make([3] * 6)])
    assert np.isfinite(x).all()
