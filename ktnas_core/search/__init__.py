"""Search strategies: ask/tell strategies (KTNAS and its rivals), multi-task evolution, transfer policies, presets.

This package is also the front door of the search API: the names a user needs to run a
search (``run_search``, ``TableEvaluator``, ``start_run``, ...) import from here, although
the run loop lives in :mod:`ktnas_core.runs` and evaluators in :mod:`ktnas_core.evaluation`.
Names of :mod:`ktnas_core.runs` load on first use (that package imports this one).

Examples
--------
>>> from ktnas_core.search import RegularizedEvolution, TableEvaluator, run_search
>>> ev = TableEvaluator("nb201")
>>> res = run_search({"cifar10": RegularizedEvolution("nb201")}, ev, budget=50, seed=0)
>>> res.reason, res.tasks["cifar10"].n_evals
('budget', 50)
"""

import importlib

from ..evaluation import Evaluation, Evaluator, TableEvaluator, evaluator_from_config
from .events import (EVENT_TYPES, Evaluated, Event, EventLog, GenerationDone, RunFailed, RunFinished,
                     RunStarted, TransferLabelled, Transferred, event_from_json, read_events)
from .evolution import MultiTaskEvolution
from .multitask import Independent, MultiTaskStrategy
from .presets import STRATEGY_NAMES, make_strategy
from .rebuild import strategy_from_config
from .strategies import STRATEGIES, RandomSearch, RegularizedEvolution, Strategy

#: names re-exported from the run layer above, by the module that defines them (loaded on first use)
_LAZY = {
    "ktnas_core.runs.driver": ("Search", "SearchResult", "TaskResult", "resume", "run_search"),
    "ktnas_core.runs.report": ("COLUMNS", "RunRecord", "band", "read_run", "report_rows"),
    "ktnas_core.runs.runner": ("FINISHED_REASONS", "STATES", "Progress", "RunHandle", "list_runs", "resume_run",
                               "run_status", "start_run"),
    "ktnas_core.runs.trace": ("RunTrace", "fold"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}

__all__ = ["COLUMNS", "RunRecord", "band", "read_run", "report_rows", "FINISHED_REASONS", "Progress", "RunHandle",
           "RunTrace", "STATES", "fold", "list_runs", "resume_run", "run_status", "start_run", "EVENT_TYPES",
           "Evaluated", "Evaluation", "Evaluator", "Event", "EventLog", "GenerationDone", "Independent",
           "MultiTaskEvolution", "MultiTaskStrategy", "RandomSearch", "RegularizedEvolution", "RunFailed",
           "RunFinished", "RunStarted", "STRATEGIES", "STRATEGY_NAMES", "Search", "SearchResult", "Strategy",
           "TableEvaluator", "TaskResult", "TransferLabelled", "Transferred", "evaluator_from_config",
           "event_from_json", "make_strategy", "read_events", "resume", "run_search", "strategy_from_config"]


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ktnas_core.search' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOME))
