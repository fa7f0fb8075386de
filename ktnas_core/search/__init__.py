"""The search loop of ktnas: ask/tell strategies (KTNAS and its rivals), evaluators, events and checkpoints.

Examples
--------
>>> from ktnas_core.search import RegularizedEvolution, TableEvaluator, run_search
>>> ev = TableEvaluator("nb201")
>>> res = run_search({"cifar10": RegularizedEvolution("nb201")}, ev, budget=50, seed=0)
>>> res.reason, res.tasks["cifar10"].n_evals
('budget', 50)
"""

from .driver import Search, SearchResult, TaskResult, resume, run_search, strategy_from_config
from .evolution import MultiTaskEvolution
from .evaluators import Evaluation, Evaluator, TableEvaluator, evaluator_from_config
from .events import (EVENT_TYPES, Evaluated, Event, EventLog, GenerationDone, RunFailed, RunFinished,
                     RunStarted, TransferLabelled, Transferred, event_from_json, read_events)
from .multitask import Independent, MultiTaskStrategy
from .presets import STRATEGY_NAMES, make_strategy
from .report import COLUMNS, RunRecord, band, read_run, report_rows
from .runner import (FINISHED_REASONS, STATES, Progress, RunHandle, RunTrace, fold, list_runs, resume_run,
                     run_status, start_run)
from .strategies import STRATEGIES, RandomSearch, RegularizedEvolution, Strategy

__all__ = ["COLUMNS", "RunRecord", "band", "read_run", "report_rows", "FINISHED_REASONS", "Progress", "RunHandle", "RunTrace", "STATES", "fold", "list_runs", "resume_run",
           "run_status", "start_run", "EVENT_TYPES", "Evaluated", "Evaluation", "Evaluator", "Event", "EventLog", "GenerationDone",
           "Independent", "MultiTaskEvolution", "MultiTaskStrategy", "RandomSearch", "RegularizedEvolution",
           "RunFailed", "RunFinished", "RunStarted", "STRATEGIES", "STRATEGY_NAMES", "Search", "SearchResult",
           "Strategy", "TableEvaluator", "TaskResult", "TransferLabelled", "Transferred", "evaluator_from_config",
           "event_from_json", "make_strategy", "read_events", "resume", "run_search", "strategy_from_config"]
