"""The search subcommands of ``ktnas``: ``run``, ``resume`` and ``report``.

::

    ktnas run --benchmark nb201 --tasks cifar10,cifar100 --strategy rea --seed 0 --out runs/a --budget 100
    ktnas resume runs/a
    ktnas report runs/* --csv results.csv

Errors of the user's making raise :class:`~ktnas_core.errors.KtnasError` subclasses,
which :func:`ktnas_core.cli.main` prints as one line ``ktnas: error: ...`` (exit 2).
Ctrl-C sets the driver's stop flag: the run ends at the next evaluation, leaves a
resumable directory, prints ``stopped; resume with: ktnas resume DIR`` and exits 130.
"""

from __future__ import annotations

import csv
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .args import check_positive
from ..errors import ParameterError

__all__ = ["add_search_commands", "cmd_run", "cmd_resume", "cmd_report", "format_table"]


#: budget per task when neither --budget, --max-generations nor --stop-on-optimum is given
DEFAULT_BUDGET = 100
EXIT_STOPPED = 130


def add_search_commands(sub: Any) -> None:
    """Register ``run``, ``resume`` and ``report`` on the ``ktnas`` subparsers."""
    from ..benchmarks import BENCHMARKS
    from ..search.presets import STRATEGY_NAMES

    run = sub.add_parser("run", help="run a search on several tasks into a new run directory")
    run.add_argument("--benchmark", choices=BENCHMARKS, help="the table to look cells up in (--evaluator table)")
    run.add_argument("--tasks", "--dataset", "--datasets", dest="tasks", required=True,
                     help="comma-separated task names, e.g. cifar10,cifar100 (training: data set names)")
    run.add_argument("--strategy", required=True, metavar="NAME",
                     help=f"one of {', '.join(STRATEGY_NAMES)} (see ktnas_core.search.presets)")
    run.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    run.add_argument("--out", required=True, metavar="DIR", help="new or empty run directory")
    run.add_argument("--budget", type=int, metavar="N",
                     help=f"evaluations per task (default {DEFAULT_BUDGET} if no other end is given)")
    run.add_argument("--max-generations", type=int, metavar="G", help="end after G generations")
    run.add_argument("--stop-on-optimum", action="store_true", help="end a task once its optimum is found")
    run.add_argument("--population", type=int, metavar="P", help="population size (default: the paper's Table I)")
    run.add_argument("--tournament", type=int, metavar="T", help="tournament size (default: the paper's Table I)")
    run.add_argument("--sources", metavar="A,B", help="tasks that may send cells to others (default: all)")
    run.add_argument("--targets", metavar="A,B", help="tasks that receive transferred cells (default: all)")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    from .train import add_training_arguments

    add_training_arguments(run)
    run.set_defaults(func=cmd_run)

    res = sub.add_parser("resume", help="continue a stopped run")
    res.add_argument("dir", metavar="DIR")
    res.add_argument("--json", action="store_true", help="print the report as JSON")
    res.set_defaults(func=cmd_resume)

    rep = sub.add_parser("report", help="best cell, scores, rank, regret, evaluations and cost per run and task")
    rep.add_argument("dirs", nargs="+", metavar="DIR")
    rep.add_argument("--csv", metavar="FILE", help="also write the rows to this CSV file")
    rep.add_argument("--json", action="store_true", help="print the rows as JSON")
    rep.set_defaults(func=cmd_report)


def _parse_tasks(text: str, bench: Any) -> list[str]:
    """Comma-separated task names, each once; checked against ``bench`` unless it is None."""
    tasks = [t.strip() for t in text.split(",")]
    if not tasks or any(not t for t in tasks):
        raise ParameterError(f"--tasks {text!r} has an empty name; give comma-separated task names"
                             + (f" from {list(bench.tasks)}" if bench is not None else ""))
    if len(set(tasks)) != len(tasks):
        raise ParameterError(f"--tasks {text!r} names a task twice; give each task once")
    for t in tasks if bench is not None else ():
        bench.check_task(t)
    return tasks


def _is_run_dir(path: Path) -> bool:
    from ..runs import checkpoint as ck

    return (path / ck.CONFIG).is_file()


def _probe(flag: str, path: Path) -> tuple[bool, bool]:
    """``(exists, is a directory)`` of ``path``; a name the system refuses is a :class:`ParameterError`."""
    try:
        return path.exists(), path.is_dir()
    except (OSError, ValueError) as e:  # a name too long, with a NUL byte, a loop of links, ...
        raise ParameterError(f"{flag} {str(path)!r} is not a usable path ({getattr(e, 'strerror', None) or e})"
                             ) from None


def _check_out(path: Path) -> None:
    exists, is_dir = _probe("--out", path)
    if exists and not is_dir:
        raise ParameterError(f"--out {str(path)!r} is a file; choose a new or empty directory")
    if is_dir and any(path.iterdir()):
        if _is_run_dir(path):
            raise ParameterError(f"--out {str(path)!r} already holds a ktnas run; continue it with: "
                                 f"ktnas resume {path} (or choose a new directory)")
        raise ParameterError(f"--out {str(path)!r} exists and is not empty; choose a new or empty directory")


# -- running ------------------------------------------------------------------------------
class _Progress:
    """One self-overwriting status line on stderr, at most ten times a second."""

    def __init__(self, stream: Any):
        self.stream, self.last, self.shown = stream, 0.0, False

    def __call__(self, event: Any) -> None:
        from ..search.events import GenerationDone

        if not isinstance(event, GenerationDone):
            return
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        parts = [f"{t}: {b['n_evals']} evals, best {b['score']:.4g}" for t, b in event.best.items()]
        self.stream.write(f"\rgeneration {event.generation + 1}  " + "; ".join(parts) + "\033[K")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _drive(run_dir: Path, json_out: bool, start: Any) -> dict | int:
    """Call ``start(callbacks, stop)`` with Ctrl-C mapped to the stop flag; report or exit 130."""
    stop = threading.Event()
    callbacks = []
    progress = None
    if not json_out and sys.stderr.isatty():
        progress = _Progress(sys.stderr)
        callbacks.append(progress)

    def on_sigint(signum, frame):  # first Ctrl-C: stop cleanly; second: interrupt now
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = start(callbacks, stop)
    except KeyboardInterrupt:
        result = None
    except OSError as e:
        raise ParameterError(f"cannot write the run directory {str(run_dir)!r}: {e.strerror or e}") from None
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
        if progress is not None:
            progress.close()
    if result is None or result.reason == "stopped":
        print(f"stopped; resume with: ktnas resume {run_dir}", file=sys.stderr)
        return EXIT_STOPPED
    from ..runs.report import report_rows

    rows = report_rows([run_dir])
    if not json_out:
        print(f"run {run_dir}: ended by {result.reason} after {result.generations} generations\n")
        print(format_table(rows))
    return {"rows": rows}


def cmd_run(args: Any) -> dict | int:
    from ..benchmarks import load
    from ..evaluation.base import TableEvaluator
    from ..runs.driver import Search
    from ..search.presets import STRATEGY_NAMES, make_strategy

    train = args.evaluator in ("train", "supernet")
    if not train and args.benchmark is None:
        raise ParameterError("--benchmark is required with --evaluator table; choose nb201 or tnb101_micro")
    if train and args.benchmark is not None:
        raise ParameterError("--benchmark applies to --evaluator table; with --evaluator train the tasks are "
                             "data sets")
    bench = None if train else load(args.benchmark)
    tasks = _parse_tasks(args.tasks, bench)
    if args.strategy not in STRATEGY_NAMES:
        raise ParameterError(f"strategy {args.strategy!r} is not known; choose one of {list(STRATEGY_NAMES)}")
    for flag, value in (("--budget", args.budget), ("--max-generations", args.max_generations),
                        ("--population", args.population), ("--tournament", args.tournament)):
        check_positive(flag, value)
    if args.seed < 0:
        raise ParameterError(f"--seed {args.seed} is out of range; allowed: an integer >= 0")
    if args.strategy == "random" and (args.population is not None or args.tournament is not None):
        raise ParameterError("--population and --tournament do not apply to --strategy random")
    if args.population is not None and args.population < 2:
        raise ParameterError(f"--population {args.population} is out of range; allowed: an integer >= 2")
    population = args.population or 10
    if args.tournament is not None and args.tournament > population:
        raise ParameterError(f"--tournament {args.tournament} is out of range; allowed: at most the population "
                             f"({population})")
    budget = args.budget
    if budget is None and args.max_generations is None and not args.stop_on_optimum:
        budget = DEFAULT_BUDGET
    out = Path(args.out)
    _check_out(out)

    if train:
        from .train import EpochLine, training_evaluator

        on_epoch = EpochLine() if not args.json and sys.stderr.isatty() else None
        evaluator = training_evaluator(args, tasks, out.resolve(), on_epoch=on_epoch)
        space = evaluator.space.name
    else:
        evaluator, space = TableEvaluator(bench), bench.space.name
    kw = {}
    if args.population is not None:
        kw["population_size"] = args.population
    if args.tournament is not None:
        kw["tournament_size"] = args.tournament
    for flag, value in (("sources", args.sources), ("targets", args.targets)):
        if value is not None:
            if args.strategy in ("rea", "random"):
                raise ParameterError(f"--{flag} applies to the multi-task strategies, not {args.strategy!r}")
            kw[flag] = [t.strip() for t in value.split(",")]
    strategies = make_strategy(args.strategy, space, tasks, **kw)

    # every check (e.g. tournament > population) runs before anything is written
    search = Search(strategies, evaluator, budget=budget, max_generations=args.max_generations,
                    stop_on_optimum=args.stop_on_optimum, seed=args.seed, run_dir=out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
        raise ParameterError(f"cannot create --out {str(out)!r}: {getattr(e, 'strerror', None) or e}") from None

    def start(callbacks, stop):
        search.callbacks, search.stop = list(callbacks), stop
        if train:
            evaluator.stop = stop  # Ctrl-C also interrupts a candidate between two batches
        return search.run()

    return _drive(out, args.json, start)


def cmd_resume(args: Any) -> dict | int:
    from ..runs.driver import resume
    from ..runs.report import check_run_dir

    path = check_run_dir(args.dir)
    return _drive(path, args.json, lambda callbacks, stop: resume(path, callbacks=callbacks, stop=stop))


# -- reporting ---------------------------------------------------------------------------
def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("valid", "test", "regret"):
        return f"{value:.4f}"
    if key == "gpu_hours":
        return f"{value:.3f}"
    if key == "rank":
        return f"{value:,}"
    return str(value)


def format_table(rows: list[dict]) -> str:
    """The rows as a plain table, columns aligned (numbers to the right)."""
    from ..runs.report import COLUMNS

    right = {"seed", "valid", "test", "rank", "regret", "evals", "gpu_hours"}
    cells = [list(COLUMNS)] + [[_cell(k, r[k]) for k in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = []
    for row in cells:
        parts = [c.rjust(w) if k in right else c.ljust(w) for k, c, w in zip(COLUMNS, row, widths)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def cmd_report(args: Any) -> dict:
    from ..runs.report import COLUMNS, report_rows

    rows = report_rows(args.dirs)
    if args.csv:
        try:
            with open(args.csv, "w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, fieldnames=COLUMNS)
                w.writeheader()
                for r in rows:
                    w.writerow({k: "" if r[k] is None else r[k] for k in COLUMNS})
        except OSError as e:
            raise ParameterError(f"cannot write --csv {args.csv!r}: {e.strerror or e}") from None
    if not args.json:
        print(format_table(rows))
    return {"rows": rows}

