"""One contract for every ktnas estimator (scikit-learn conventions, DESIGN.md section 4).

Embedders take architectures, not arrays, so scikit-learn's own check suite does not apply
to them as a whole; these are the checks of it that do: parameters stored unchanged by
``__init__``, ``get_params``/``set_params``/``clone`` round trips, ``fit`` returns ``self``,
fitted state only after ``fit`` (names ending in ``_``), a not-fitted error before it.
"""

import inspect

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from ktnas_core.embedding import Arch2VecEmbedder, Node2VecEmbedder, OneHotEncoder, PathEncoder
from ktnas_core.spaces import get_space
from ktnas_core.transfer_rank import TransferRanker

TNB = get_space("tnb101_micro")
ARCHS = [TNB.from_index(i) for i in range(0, 4096, 16)]  # 256 real cells
SMALL = {
    Node2VecEmbedder: {"dim": 8, "epochs": 5, "walks_per_node": 2, "random_state": 0},
    Arch2VecEmbedder: {"dim": 4, "hidden": 8, "n_layers": 2, "epochs": 1, "random_state": 0},
    OneHotEncoder: {},
    PathEncoder: {},
}


def fitted(est):
    if isinstance(est, TransferRanker):
        return est.fit(np.eye(3), [1, -1, 1])
    return est.fit(ARCHS)


def estimators():
    yield from (cls(**params) for cls, params in SMALL.items())
    yield TransferRanker(n_transfer=2, random_state=0)


@pytest.mark.parametrize("est", list(estimators()), ids=lambda e: type(e).__name__)
def test_init_stores_params_unchanged(est):
    sig = inspect.signature(type(est).__init__)
    params = est.get_params(deep=False)
    assert set(params) == {p for p in sig.parameters if p != "self"}
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]


@pytest.mark.parametrize("est", list(estimators()), ids=lambda e: type(e).__name__)
def test_clone_and_set_params(est):
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    assert twin.set_params(**est.get_params()) is twin


@pytest.mark.parametrize("est", list(estimators()), ids=lambda e: type(e).__name__)
def test_fit_returns_self_and_not_fitted_before(est):
    est = clone(est)
    with pytest.raises(NotFittedError):
        if isinstance(est, TransferRanker):
            est.rank(np.eye(3))
        else:
            est.transform(ARCHS[:2])
    assert fitted(est) is est
    learned = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    assert learned


@pytest.mark.parametrize("cls", list(SMALL), ids=lambda c: c.__name__)
def test_same_seed_same_vectors(cls):
    a = cls(**SMALL[cls]).fit(ARCHS).transform(ARCHS[:10])
    b = cls(**SMALL[cls]).fit(ARCHS).transform(ARCHS[:10])
    assert a.shape[0] == 10 and np.array_equal(a, b)
