"""Arch2VecEmbedder: shapes, reconstruction, determinism, conventions and the shipped defaults."""

import hashlib
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ktnas_core.embedding import Arch2VecEmbedder, embed_space
from ktnas_core.embedding.cache import _shipped, cache_key
from ktnas_core.errors import ParameterError
from ktnas_core.spaces import get_space

TINY = dict(dim=8, hidden=16, n_layers=2, epochs=2, batch_size=32)
#: small enough for a test (a few seconds on one core), big enough to learn TransNAS micro
SMALL = dict(dim=32, hidden=64, n_layers=3, epochs=8, batch_size=32, learning_rate=3e-3)


def test_shapes_on_both_cell_spaces(tnb):
    nb = get_space("nb201")
    for space in (nb, tnb):
        cells = [space.from_index(i) for i in range(0, len(space), 61)]
        emb = Arch2VecEmbedder(random_state=0, **TINY).fit(cells)
        x = emb.transform(cells[:5])
        assert x.shape == (5, 8) and x.dtype == np.float64 and np.isfinite(x).all()
        assert emb.n_features_out_ == 8 and len(emb.loss_curve_) == 2
    # strings work too, and a single cell is a batch of one
    assert emb.transform([str(cells[0])]).shape == (1, 8)


def test_reconstructs_transnas_micro(tnb):
    t = time.perf_counter()
    emb = Arch2VecEmbedder(random_state=0, **SMALL).fit(tnb)
    assert time.perf_counter() - t < 30
    assert emb.reconstruction_accuracy_ >= 0.95
    assert emb.loss_curve_[-1] < emb.loss_curve_[0] / 5
    x = emb.transform(tnb)
    assert x.shape == (4096, 32)
    assert len(np.unique(x.round(4), axis=0)) == 4096  # every cell gets its own vector


def test_same_seed_same_vectors_different_seed_different(tnb):
    cells = [tnb.from_index(i) for i in range(0, 4096, 8)]
    a = Arch2VecEmbedder(random_state=3, **TINY).fit(cells).transform(cells)
    b = Arch2VecEmbedder(random_state=3, **TINY).fit(cells).transform(cells)
    c = Arch2VecEmbedder(random_state=4, **TINY).fit(cells).transform(cells)
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_fit_restores_torch_state(tnb):
    import torch

    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(), torch.random.get_rng_state())
    Arch2VecEmbedder(random_state=0, **TINY).fit([tnb.from_index(i) for i in range(64)])
    after = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(), torch.random.get_rng_state())
    assert before[:2] == after[:2] and torch.equal(before[2], after[2])


_CHILD = """
import hashlib, sys
from ktnas_core.embedding import Arch2VecEmbedder
from ktnas_core.spaces import get_space
s = get_space("tnb101_micro")
cells = [s.from_index(i) for i in range(0, 4096, 8)]
x = Arch2VecEmbedder(random_state=3, **{tiny!r}).fit(cells).transform(cells)
print(hashlib.sha256(x.tobytes()).hexdigest())
"""


def test_same_seed_same_vectors_in_another_process(tnb):
    cells = [tnb.from_index(i) for i in range(0, 4096, 8)]
    here = Arch2VecEmbedder(random_state=3, **TINY).fit(cells).transform(cells)
    out = subprocess.run([sys.executable, "-c", _CHILD.format(tiny=TINY)], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == hashlib.sha256(here.tobytes()).hexdigest()


def test_scikit_learn_conventions(tnb):
    emb = Arch2VecEmbedder(dim=12, beta=0.1, random_state=7)
    assert emb.get_params()["dim"] == 12 and emb.get_params()["beta"] == 0.1
    twin = clone(emb)
    assert twin is not emb and twin.get_params() == emb.get_params()
    with pytest.raises(NotFittedError):
        emb.transform([tnb.from_index(0)])
    cells = [tnb.from_index(i) for i in range(64)]
    assert emb.set_params(**TINY).fit(cells) is emb
    assert not hasattr(twin, "model_")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (dict(dim=0), "dim must be an integer >= 1; got 0"),
        (dict(hidden=2.5), "hidden must be an integer"),
        (dict(n_layers=True), "n_layers must be an integer"),
        (dict(epochs=-1), "epochs must be an integer"),
        (dict(batch_size="64"), "batch_size must be an integer"),
        (dict(learning_rate=0.0), r"learning_rate must be a finite number > 0; got 0.0"),
        (dict(beta=-1.0), r"beta must be a finite number >= 0"),
        (dict(beta=float("nan")), r"beta must be a finite number >= 0"),
        (dict(device="gpu9000"), "device must be a torch device"),
    ],
)
def test_bad_parameters(tnb, params, match):
    with pytest.raises(ParameterError, match=match):
        Arch2VecEmbedder(**params).fit([tnb.from_index(0)])


def test_darts_is_refused():
    darts = get_space("darts")
    with pytest.raises(ParameterError, match="covers the two cell spaces nb201 and tnb101_micro"):
        Arch2VecEmbedder(**TINY).fit([darts.sample(0), darts.sample(1)])


def test_embed_space_caches(tnb, private_cache):
    emb = Arch2VecEmbedder(random_state=0, **TINY)
    first = embed_space(emb, tnb)
    assert first.shape == (4096, 8) and first.dtype == np.float32
    assert (private_cache / (cache_key("embedding", "tnb101_micro", emb) + ".npy")).is_file()
    assert np.array_equal(first, embed_space(emb, tnb))


@pytest.mark.parametrize("space", ["nb201", "tnb101_micro"])
def test_shipped_defaults_load_fast(space, monkeypatch):
    emb = Arch2VecEmbedder(random_state=0)
    assert _shipped(cache_key("embedding", space, emb)) is not None, "default arch2vec embedding is not shipped"

    def refuse(*args, **kwargs):
        raise AssertionError("the shipped embedding was recomputed")

    monkeypatch.setattr(Arch2VecEmbedder, "_fit", refuse)
    t = time.perf_counter()
    x = embed_space(emb, space)
    assert time.perf_counter() - t < 1.0
    assert x.shape == (len(get_space(space)), 128) and np.isfinite(x).all()


def test_import_does_not_import_torch():
    code = "import sys, ktnas_core.embedding; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"
