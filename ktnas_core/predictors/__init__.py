"""Performance predictors: regressors from architecture embeddings to a task's metric.

Used by the search to screen offspring before spending real evaluations.
Every predictor is a scikit-learn regressor over float arrays (see
:class:`~ktnas_core.predictors.base.Predictor`); :func:`make_predictor` builds
one by short name.

==========  ==============================================================
name        class
==========  ==============================================================
``"gp"``    :class:`GaussianProcessPredictor` (Matern + white noise; ``predict(X, return_std=True)``)
``"rf"``    :class:`RandomForestPredictor`
``"gbm"``   :class:`GradientBoostingPredictor`
``"mlp"``   :class:`MLPPredictor` (torch, imported on ``fit``)
``"gcn"``   :class:`GCNPredictor` (graph convolutions over the cell graph; reads one-hot cells; torch on ``fit``)
==========  ==============================================================

Examples
--------
>>> import numpy as np
>>> from ktnas_core.predictors import make_predictor
>>> X = np.random.default_rng(0).normal(size=(30, 4)); y = X @ [1.0, -1.0, 0.5, 0.0]
>>> make_predictor("rf", n_estimators=10, random_state=0).fit(X, y).predict(X[:2]).shape
(2,)
>>> make_predictor("svm")
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: predictor 'svm' is unknown; choose one of ['gbm', 'gcn', 'gp', 'mlp', 'rf']
"""

from __future__ import annotations

import inspect
from typing import Any

from ..errors import ParameterError
from .base import Predictor, check_features, check_targets
from .gcn import GCNPredictor
from .gp import GaussianProcessPredictor
from .mlp import MLPPredictor
from .trees import GradientBoostingPredictor, RandomForestPredictor

__all__ = ["PREDICTORS", "GCNPredictor", "GaussianProcessPredictor", "GradientBoostingPredictor", "MLPPredictor", "Predictor",
           "RandomForestPredictor", "check_features", "check_targets", "make_predictor"]  # fmt: skip

#: short name -> predictor class
PREDICTORS: dict[str, type[Predictor]] = {
    "gbm": GradientBoostingPredictor,
    "gcn": GCNPredictor,
    "gp": GaussianProcessPredictor,
    "mlp": MLPPredictor,
    "rf": RandomForestPredictor,
}


def make_predictor(name: str, **params: Any) -> Predictor:
    """A new, unfitted predictor of family ``name`` (a key of :data:`PREDICTORS`) with ``params``.

    Raises
    ------
    ParameterError
        If ``name`` is unknown or a parameter is not one of the family's.
    """
    try:
        cls = PREDICTORS[name]
    except (KeyError, TypeError):
        raise ParameterError(f"predictor {name!r} is unknown; choose one of {sorted(PREDICTORS)}") from None
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ParameterError(f"predictor {name!r} has no parameter {unknown[0]!r}; its parameters are {allowed}")
    return cls(**params)
