"""2-D maps of whole-space embeddings: shipped defaults, UMAP, PCA, cache, validation.

One UMAP computation runs in this module's process (the ``umap_twice`` fixture, TransNAS micro:
10-40 s of numba JIT) and one more, meanwhile, in a child process (same seed, same map); every
other test uses the shipped maps or PCA.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.decomposition import PCA

from ktnas_core import projection
from ktnas_core.embedding import Arch2VecEmbedder, Node2VecEmbedder, embed_space
from ktnas_core.errors import ParameterError, UnknownSpaceError
from ktnas_core.projection import ProjectionJob, is_cached, load_default, project, projection_key

SIZES = {"nb201": 15_625, "tnb101_micro": 4_096}
EMBEDDERS = {"node2vec": Node2VecEmbedder(random_state=0), "arch2vec": Arch2VecEmbedder(random_state=0)}


AGAIN = ("import sys, numpy as np\n"
         "from ktnas_core.projection import project\n"
         "np.save(sys.argv[1], project('tnb101_micro', 'node2vec', use_cache=False))\n")


@pytest.fixture(scope="module")
def umap_twice(tmp_path_factory):
    """The default map of TransNAS micro / node2vec from scratch, twice with the same seed: once in
    this process and once in a child process started first, so that the two numba compilations
    of UMAP overlap (pynndescent's, cached on disk, is compiled once, before the child starts).
    Yields the map here and a function that waits for the child's."""
    out = tmp_path_factory.mktemp("umap") / "again.npy"
    import umap  # noqa: F401 - pynndescent compiles its cached functions at import: once, here, not in both
    child = subprocess.Popen([sys.executable, "-c", AGAIN, str(out)])
    try:
        here = project("tnb101_micro", "node2vec", use_cache=False)

        def there() -> np.ndarray:
            assert child.wait(timeout=300) == 0, child.returncode
            return np.load(out)

        yield here, there
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.fixture
def fresh_umap(umap_twice):
    """The one UMAP run of this module's process."""
    return umap_twice[0]


def knn_overlap(a: np.ndarray, b: np.ndarray, cosine_a: bool, k: int = 10, queries: int = 600) -> float:
    """Mean share of the k nearest neighbours of a cell in ``a`` (cosine or Euclidean) that are
    among its k Euclidean-nearest in ``b``, over random query cells."""
    rows = np.random.default_rng(0).permutation(len(a))[:queries]

    def nearest(x: np.ndarray, cosine: bool) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if cosine:
            x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
            d = -(x[rows] @ x.T)
        else:
            d = ((x[rows, None, :] - x[None, :, :]) ** 2).sum(-1)
        d[np.arange(rows.size), rows] = np.inf
        return np.argsort(d, axis=1, kind="stable")[:, :k]

    na, nb = nearest(a, cosine_a), nearest(b, False)
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(na, nb)]))


@pytest.mark.parametrize("space", ["nb201", "tnb101_micro"])
@pytest.mark.parametrize("embedding", ["node2vec", "arch2vec"])
def test_shipped_default_is_loaded_without_computing(space, embedding, count_computes, cache):
    xy = load_default(space, embedding)
    assert xy.shape == (SIZES[space], 2) and xy.dtype == np.float32
    assert not xy.flags.writeable and np.isfinite(xy).all()
    assert xy[:, 0].std() > 0.5 and xy[:, 1].std() > 0.5  # a spread-out map, not a constant
    start = time.perf_counter()
    np.testing.assert_array_equal(project(space, embedding), xy)
    assert time.perf_counter() - start < 0.5
    assert count_computes == [] and not cache.exists()  # nothing computed, nothing written
    assert is_cached(space, embedding)
    assert (projection.DATA_DIR / (projection_key(space, embedding) + ".npy")).is_file()


@pytest.mark.parametrize("space", ["nb201", "tnb101_micro"])
@pytest.mark.parametrize("embedding", ["node2vec", "arch2vec"])
def test_shipped_default_preserves_the_embedding_neighbourhoods(space, embedding):
    x = embed_space(EMBEDDERS[embedding], space)
    overlap = knn_overlap(x, load_default(space, embedding), cosine_a=True)
    chance = 10 / (SIZES[space] - 1)
    assert overlap > 0.2 and overlap > 100 * chance, overlap  # measured 0.28-0.37


@pytest.mark.slow
def test_fresh_umap_is_the_same_map_in_another_process(umap_twice):
    """Same seed, same map, bit for bit, in two processes of one machine.

    A map is *not* the same across processors: numba compiles UMAP for the host's instruction
    set, and the float results follow it.  Measured: the shipped map is reproduced bit for bit
    on the AMD EPYC (AVX-512) that built it, also with numba told to compile for Zen 3; compiled
    for a generic x86-64 target the same versions give another map (neighbour overlap 0.49, about
    what another seed gives).  So this test checks what holds everywhere: the seed fixes the map
    on one machine, and a fresh map keeps the embedding's neighbourhoods (next test)."""
    fresh_umap, in_child = umap_twice
    assert fresh_umap.shape == (4_096, 2) and fresh_umap.dtype == np.float32 and not fresh_umap.flags.writeable
    np.testing.assert_array_equal(in_child(), fresh_umap)


@pytest.mark.slow
def test_fresh_umap_preserves_the_embedding_neighbourhoods(fresh_umap):
    x = embed_space(EMBEDDERS["node2vec"], "tnb101_micro")
    overlap = knn_overlap(x, fresh_umap, cosine_a=True)
    chance = 10 / (SIZES["tnb101_micro"] - 1)
    assert overlap > 0.2 and overlap > 100 * chance, overlap


@pytest.mark.parametrize("space, name", [("tnb101_micro", "node2vec"), ("nb201", "node2vec"), ("nb201", "arch2vec")])
def test_pca_equals_scikit_learn_with_a_fixed_sign(space, name):
    # (one-hot and path encodings have equal leading variances: their PCA plane is defined, its axes are not)
    xy = project(space, name, method="pca")
    x = np.asarray(embed_space(EMBEDDERS[name], space), dtype=np.float64)
    ref = PCA(n_components=2).fit(x)
    scores = ref.transform(x)
    # each component is oriented so that its largest-magnitude loading is positive
    signs = np.sign(ref.components_[np.arange(2), np.argmax(np.abs(ref.components_), axis=1)])
    np.testing.assert_allclose(xy, scores * signs, rtol=2e-3, atol=2e-3 * np.abs(scores).max())
    assert xy.shape == (SIZES[space], 2) and xy.dtype == np.float32
    assert xy[:, 0].var() >= xy[:, 1].var()


def test_pca_is_deterministic_and_cached(count_computes, cache):
    first = project("tnb101_micro", "path", method="pca")
    assert count_computes == [("tnb101_micro", "path", "pca")]
    assert (cache / (projection_key("tnb101_micro", "path", "pca") + ".npy")).is_file()
    second = project("tnb101_micro", "path", method="pca")
    assert count_computes == [("tnb101_micro", "path", "pca")]  # the cache answered
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(project("tnb101_micro", "path", method="pca", use_cache=False), first)
    assert len(count_computes) == 2  # use_cache=False recomputes
    # PCA ignores the UMAP parameters: one cache entry for all of them
    project("tnb101_micro", "path", method="pca", n_neighbors=40, metric="euclidean")
    assert len(count_computes) == 2


def test_a_broken_cache_file_is_recomputed(count_computes, cache):
    cache.mkdir(parents=True)
    (cache / (projection_key("tnb101_micro", "onehot", "pca") + ".npy")).write_bytes(b"not an array")
    xy = project("tnb101_micro", "onehot", method="pca")
    assert xy.shape == (4_096, 2) and len(count_computes) == 1
    np.testing.assert_array_equal(project("tnb101_micro", "onehot", method="pca"), xy)
    assert len(count_computes) == 1


def test_keys_depend_on_every_umap_parameter():
    base = projection_key("nb201")
    changed = [projection_key("nb201", n_neighbors=16), projection_key("nb201", min_dist=0.2),
               projection_key("nb201", metric="euclidean"), projection_key("nb201", random_state=1),
               projection_key("nb201", "arch2vec"), projection_key("tnb101_micro"),
               projection_key("nb201", method="pca")]
    assert len({base, *changed}) == 8
    assert base == projection_key("nb201", n_neighbors=15, min_dist=0.1, metric="cosine", random_state=0)
    assert base.startswith("projection-nb201-node2vec-umap-")


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(space="nb202"), UnknownSpaceError, r"search space 'nb202' is unknown; choose one of"),
    (dict(space="darts"), ParameterError, r"space 'darts' is not finite"),
    (dict(space=42), ParameterError, r"space must be a space name or a SearchSpace; got int"),
    (dict(embedding="word2vec"), ParameterError, r"embedding 'word2vec' is unknown; choose one of \['node2vec'"),
    (dict(method="tsne"), ParameterError, r"method 'tsne' is unknown; choose one of \['umap', 'pca'\]"),
    (dict(n_neighbors=1), ParameterError, r"n_neighbors must be an integer in \[2, 200\]; got 1"),
    (dict(n_neighbors=15.0), ParameterError, r"n_neighbors must be an integer in \[2, 200\]; got 15.0"),
    (dict(n_neighbors=True), ParameterError, r"n_neighbors must be an integer"),
    (dict(min_dist=-0.1), ParameterError, r"min_dist must be a number in \[0, 1\]; got -0.1"),
    (dict(min_dist=float("nan")), ParameterError, r"min_dist must be a number in \[0, 1\]; got nan"),
    (dict(min_dist="0.1"), ParameterError, r"min_dist must be a number in \[0, 1\]; got '0.1'"),
    (dict(metric="hamming"), ParameterError, r"metric 'hamming' is unknown; choose one of \['cosine'"),
    (dict(random_state=-1), ParameterError, r"random_state must be None or an integer|random_state must be an integer"),
    (dict(random_state=None), ParameterError, r"random_state=None cannot be cached"),
])
def test_bad_parameters_are_refused(kwargs, error, match):
    args = {"space": "tnb101_micro", **kwargs}
    with pytest.raises(error, match=match):
        project(**args)
    with pytest.raises(error, match=match):
        ProjectionJob(**args)


def test_other_entry_points_refuse_bad_values():
    with pytest.raises(ParameterError, match=r"no shipped map for space 'nb201' and embedding 'onehot'; choose one of"):
        load_default("nb201", "onehot")
    with pytest.raises(ParameterError, match=r"no shipped map for space 'darts'"):
        load_default("darts")
    with pytest.raises(ParameterError, match=r"unknown UMAP parameter\(s\) \['neighbours'\]; choose among"):
        projection_key("nb201", neighbours=10)
    with pytest.raises(ParameterError, match=r"unknown UMAP parameter"):
        ProjectionJob("nb201", use_cache=False)


def test_import_and_default_map_load_neither_umap_nor_torch():
    code = (
        "import sys, json, time\n"
        "t = time.perf_counter()\n"
        "import ktnas_core.projection as p\n"
        "p.load_default('nb201'); p.project('tnb101_micro', 'arch2vec')\n"
        "print(json.dumps([sorted(sys.modules), time.perf_counter() - t]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules, seconds = json.loads(out)
    loaded = {m.split(".")[0] for m in modules}
    assert not loaded & {"umap", "torch", "numba", "pynndescent", "ipywidgets", "plotly", "IPython", "widgets"}
    assert seconds < 5.0  # import included; the loads themselves take milliseconds
