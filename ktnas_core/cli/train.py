"""``ktnas run --evaluator train|supernet``: a search that trains its candidates on real data.

::

    ktnas run --evaluator train --tasks digits,fashion-mnist --strategy ktnas --budget 10 \\
        --epochs 3 --subset 1000 --out runs/t
    ktnas run --evaluator train --dataset fashion-mnist --space darts --workers 2 ...
    ktnas run --evaluator supernet --tasks mnist,fashion-mnist --strategy ktnas --max-generations 20 ...
    ktnas report runs/t

Tasks are data set names of :mod:`ktnas_core.datasets`.  ``train`` trains every candidate
from scratch (``--space`` nb201, tnb101_micro or darts; ``--workers N`` side by side in a
process pool, ``--scheduler tcp://host:8786`` on a Dask cluster); finished candidates are
cached under ``<run dir>/trained`` so ``ktnas resume`` never retrains them.  ``supernet``
scores DARTS-style cells with one weight-sharing supernet per task (one epoch per
generation), saved under ``<run dir>/supernet``.  The report gives each task's best cell
with its validation accuracy (no rank or regret: there is no table).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import ParameterError

__all__ = ["add_training_arguments", "training_evaluator"]


def add_training_arguments(run: Any) -> None:
    """The ``--evaluator train`` options of ``ktnas run``."""
    run.add_argument("--evaluator", choices=("table", "train", "supernet"), default="table",
                     help="look cells up in --benchmark's table (default), train each on --tasks' data sets, or "
                          "score DARTS-style cells with a weight-sharing supernet per task")
    run.add_argument("--space", choices=("nb201", "tnb101_micro", "darts"), default=None,
                     help="cells trained (train; default nb201; supernet: darts)")
    run.add_argument("--workers", type=int, default=None, help="train N candidates side by side (train)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="train on a running Dask scheduler, e.g. tcp://host:8786 (train)")
    run.add_argument("--epochs", type=int, default=3, help="training epochs per candidate (train; default 3)")
    run.add_argument("--width", type=int, default=8, help="channels C of the network (default 8)")
    run.add_argument("--cells", type=int, default=None,
                     help="cells N: per stage (nb201, default 1), per module (tnb101_micro, default 1) or in all "
                          "(darts and supernet, default 5)")
    run.add_argument("--subset", type=int, default=1000, metavar="N",
                     help="training images per task; validation and test take N/3 (train; default 1000)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda[:i] (train; default auto)")


def training_evaluator(args: Any, tasks: list[str], out: Path, stop: Any = None, on_epoch: Any = None) -> Any:
    """The :class:`~ktnas_core.evaluation.training.TrainingEvaluator` or
    :class:`~ktnas_core.evaluation.supernet.SupernetEvaluator` that ``args`` describe."""
    from .args import check_positive
    from ..datasets import DATASETS
    from ..evaluation.training import DEFAULT_CELLS

    for t in tasks:
        if t not in DATASETS:
            raise ParameterError(f"task {t!r} is not a data set; with --evaluator {args.evaluator} choose from "
                                 f"{list(DATASETS)}")
    for flag, value in (("--subset", args.subset), ("--epochs", args.epochs), ("--width", args.width),
                        ("--cells", args.cells), ("--workers", args.workers)):
        check_positive(flag, value)
    n = args.subset
    datasets = {t: {"name": t, "subset": {"train": n, "valid": max(1, n // 3), "test": max(1, n // 3)}}
                for t in tasks}
    if args.evaluator == "supernet":
        from ..evaluation.supernet import SupernetEvaluator

        if args.space not in (None, "darts") or args.workers or args.scheduler:
            raise ParameterError("--evaluator supernet searches the darts space in this process; drop --space, "
                                 "--workers and --scheduler")
        return SupernetEvaluator(datasets, C=args.width, layers=args.cells or DEFAULT_CELLS["darts"], device=args.device,
                                 schedule_epochs=args.max_generations or 50, state_dir=out / "supernet", stop=stop,
                                 on_epoch=on_epoch)
    from ..evaluation.training import TrainingEvaluator

    space = args.space or "nb201"
    return TrainingEvaluator(datasets, space=space, epochs=args.epochs, C=args.width,
                             N=args.cells or DEFAULT_CELLS[space], device=args.device,
                             workers=args.workers, scheduler=args.scheduler, cache_dir=out / "trained", stop=stop,
                             on_epoch=on_epoch)


class EpochLine:
    """Prints one self-overwriting line per finished epoch on a terminal."""

    def __init__(self, stream: Any = sys.stderr):
        self.stream = stream

    def __call__(self, info: Any) -> None:
        self.stream.write(f"\r{info.task}: {info.arch[:40]}... epoch {info.epoch}/{info.epochs}, loss "
                          f"{info.train_loss:.3f}, valid {info.valid_accuracy:.1f}%\033[K")
        self.stream.flush()


