"""``ktnas run --evaluator train``: a search that trains every candidate on real data.

::

    ktnas run --evaluator train --tasks digits,fashion-mnist --strategy ktnas --budget 10 \\
        --epochs 3 --subset 1000 --out runs/t
    ktnas report runs/t

Tasks are data set names of :mod:`ktnas_core.datasets`; the space is NAS-Bench-201's cell;
finished candidates are cached under ``<run dir>/trained`` so ``ktnas resume`` never
retrains them.  The report gives each task's best cell with its validation and test
accuracy and parameter count (no rank or regret: there is no table).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .errors import ParameterError

__all__ = ["add_training_arguments", "training_evaluator", "training_rows", "TRAIN_SPACE"]

TRAIN_SPACE = "nb201"


def add_training_arguments(run: Any) -> None:
    """The ``--evaluator train`` options of ``ktnas run``."""
    run.add_argument("--evaluator", choices=("table", "train"), default="table",
                     help="look cells up in --benchmark's table (default) or train each on --tasks' data sets")
    run.add_argument("--epochs", type=int, default=3, help="training epochs per candidate (train; default 3)")
    run.add_argument("--width", type=int, default=8, help="channels C of the NB201 network (train; default 8)")
    run.add_argument("--cells", type=int, default=1, help="cells N per stage (train; default 1)")
    run.add_argument("--subset", type=int, default=1000, metavar="N",
                     help="training images per task; validation and test take N/3 (train; default 1000)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda[:i] (train; default auto)")


def training_evaluator(args: Any, tasks: list[str], out: Path, stop: Any = None, on_epoch: Any = None) -> Any:
    """The :class:`~ktnas_core.search.training.TrainingEvaluator` that ``args`` describe."""
    from .cli_search import check_positive
    from .datasets import DATASETS
    from .search.training import TrainingEvaluator

    for t in tasks:
        if t not in DATASETS:
            raise ParameterError(f"task {t!r} is not a data set; with --evaluator train choose from {list(DATASETS)}")
    for flag, value in (("--subset", args.subset), ("--epochs", args.epochs), ("--width", args.width),
                        ("--cells", args.cells)):
        check_positive(flag, value)
    n = args.subset
    subset = {"train": n, "valid": max(1, n // 3), "test": max(1, n // 3)}
    return TrainingEvaluator({t: {"name": t, "subset": subset} for t in tasks}, epochs=args.epochs,
                             C=args.width, N=args.cells, device=args.device,
                             cache_dir=out / "trained", stop=stop, on_epoch=on_epoch)


class EpochLine:
    """Prints one self-overwriting line per finished epoch on a terminal."""

    def __init__(self, stream: Any = sys.stderr):
        self.stream = stream

    def __call__(self, info: Any) -> None:
        self.stream.write(f"\r{info.task}: {info.arch[:40]}... epoch {info.epoch}/{info.epochs}, loss "
                          f"{info.train_loss:.3f}, valid {info.valid_accuracy:.1f}%\033[K")
        self.stream.flush()


def training_rows(path: Path, config: dict, tasks: list[str], best: dict, n_evals: dict, cost: dict,
                  status: str, label: str) -> list[dict]:
    """Report rows of a training run (the columns of :data:`ktnas_core.cli_search.COLUMNS`)."""
    from .search.training import training_evaluator_from_config

    ev = training_evaluator_from_config(config["evaluator"])
    rows = []
    for t in tasks:
        row = {"run": str(path), "benchmark": "train", "task": t, "strategy": label, "seed": config["seed"],
               "status": status, "best_cell": None, "valid": None, "test": None, "rank": None, "regret": None,
               "evals": n_evals[t], "gpu_hours": cost[t] / 3600}
        if best[t] is not None:
            arch, score = best[t]
            row.update(best_cell=arch, valid=score)
            try:
                row["test"] = ev.details(arch, t)["test_accuracy"]
            except KeyError:  # not in the cache (e.g. the cache folder was removed)
                pass
        rows.append(row)
    return rows
