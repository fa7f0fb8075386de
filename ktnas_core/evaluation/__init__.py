"""Evaluators: what turns an architecture into a score on a task.

:mod:`~ktnas_core.evaluation.base` holds the :class:`Evaluation` record, the
:class:`Evaluator` protocol and :class:`TableEvaluator` (a look-up in a shipped table);
:mod:`~ktnas_core.evaluation.training` trains each candidate from scratch,
:mod:`~ktnas_core.evaluation.supernet` scores candidates with a shared-weight DARTS
supernet, both on :mod:`~ktnas_core.evaluation.trainer` (the training loop);
:mod:`~ktnas_core.evaluation.rebuild` rebuilds any of them from a run folder's config.
The training evaluators import torch on first use, not here.

Examples
--------
>>> from ktnas_core.evaluation import TableEvaluator
>>> e, = TableEvaluator("nb201").evaluate([6111], "cifar10")
>>> round(e.score, 2)
91.61
"""

from .base import Evaluation, Evaluator, TableEvaluator
from .rebuild import evaluator_from_config

__all__ = ["Evaluation", "Evaluator", "TableEvaluator", "evaluator_from_config"]
