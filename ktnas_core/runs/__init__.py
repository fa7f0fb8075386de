"""The life of a run: the driver loop, its folder, checkpoints and recovery, traces, threads, reports.

:mod:`~ktnas_core.runs.driver` asks the strategies, evaluates, tells and logs
(:class:`Search`, :func:`run_search`, :func:`resume`); :mod:`~ktnas_core.runs.checkpoint`
and :mod:`~ktnas_core.runs.recovery` write and re-read a run folder; :mod:`~ktnas_core.runs.runner`
runs a search in a thread (:func:`start_run`) and :mod:`~ktnas_core.runs.trace` folds its events
for a view; :mod:`~ktnas_core.runs.rundirs` and :mod:`~ktnas_core.runs.limits` say where a shared
app keeps runs and what a visitor may start; :mod:`~ktnas_core.runs.report` and
:mod:`~ktnas_core.runs.lineage` read back what a run achieved and where its transfers came from.

Examples
--------
>>> from ktnas_core.runs import run_search
>>> from ktnas_core.search import RandomSearch, TableEvaluator
>>> run_search({"cifar10": RandomSearch("nb201")}, TableEvaluator("nb201"), budget=20, seed=0).reason
'budget'
"""

from .driver import Search, SearchResult, TaskResult, resume, run_search
from .report import COLUMNS, RunRecord, band, read_run, report_rows
from .runner import FINISHED_REASONS, STATES, Progress, RunHandle, list_runs, resume_run, run_status, start_run
from .trace import RunTrace, fold

__all__ = ["COLUMNS", "FINISHED_REASONS", "Progress", "RunHandle", "RunRecord", "RunTrace", "STATES", "Search",
           "SearchResult", "TaskResult", "band", "fold", "list_runs", "read_run", "report_rows", "resume",
           "resume_run", "run_search", "run_status", "start_run"]
