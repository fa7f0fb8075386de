"""The ``ktnas`` command.

::

    ktnas info nb201                      # tasks, metrics, optimum per task
    ktnas disorder nb201                  # Kendall tau / Spearman rho / top-k overlap matrices
    ktnas disorder tnb101_micro --split test --topk 0.01 --json
    ktnas run --benchmark nb201 --tasks cifar10,cifar100 --strategy rea --seed 0 --out runs/a
    ktnas resume runs/a                   # continue a stopped run
    ktnas report runs/* --csv results.csv # best cell, scores, rank, regret, evaluations, GPU-hours

Errors of the user's making print one line, ``ktnas: error: ...``, and
exit with status 2; nothing prints a traceback.  Warnings of ktnas (e.g. a resumed
run that recovered from a damaged checkpoint) print one line, ``ktnas: warning: ...``.
Ctrl-C before a search starts exits with status 130 (``ktnas: interrupted``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Sequence

from ..errors import KtnasError, KtnasWarning

__all__ = ["main", "build_parser"]

STATISTICS = ("kendall", "spearman", "topk")


def _positive_fraction_or_int(text: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a count (e.g. 100) or a fraction (e.g. 0.01)")
    return int(value) if value >= 1 and value.is_integer() else value


def build_parser() -> argparse.ArgumentParser:
    from ..benchmarks import BENCHMARKS

    parser = argparse.ArgumentParser(prog="ktnas", description="Cross-task neural architecture search (KTNAS).")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = sub.add_parser("info", help="describe a shipped benchmark: tasks, metrics, optima")
    info.add_argument("benchmark", choices=BENCHMARKS)
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(func=cmd_info)

    dis = sub.add_parser("disorder", help="ranking disorder between every pair of tasks, whole space")
    dis.add_argument("benchmark", choices=BENCHMARKS)
    group = dis.add_mutually_exclusive_group()
    group.add_argument("--split", choices=("valid", "test"), default="valid",
                       help="use each task's validation (default) or test metric")
    group.add_argument("--metric", help="one metric name that every task has (e.g. train_time)")
    dis.add_argument("--statistic", nargs="+", choices=STATISTICS, default=list(STATISTICS),
                     help="which matrices to print (default: all)")
    dis.add_argument("--topk", type=_positive_fraction_or_int, default=0.01, metavar="K",
                     help="k for top-k overlap: a count, or a fraction of the space (default 0.01)")
    dis.add_argument("--json", action="store_true", help="machine-readable output")
    dis.set_defaults(func=cmd_disorder)

    from .search import add_search_commands

    add_search_commands(sub)  # run, resume, report
    from .reproduce import add_reproduce_command

    add_reproduce_command(sub)
    return parser


def _version() -> str:
    from .. import __version__

    return f"ktnas {__version__}"


def _task_scores(bench, split: str, metric: str | None) -> dict:
    """Scores per task under one metric, or each task's valid/test metric."""
    out = {}
    for task in bench.tasks:
        name = metric or (bench.default_metric(task) if split == "valid" else bench.test_metric(task))
        out[task] = bench.scores(task, name)
    return out


def cmd_info(args) -> dict:
    from ..benchmarks import load

    bench = load(args.benchmark)
    tasks = {}
    for task in bench.tasks:
        best = bench.optimum(task)
        tasks[task] = {
            "metrics": [m.name for m in bench.metrics(task)],
            "default_metric": best.metric,
            "optimum": {"index": best.index, "arch": str(best.arch), "value": best.value},
            "cost": bench.spec.cost_note[task],
        }
    result = {"benchmark": bench.name, "title": bench.title, "cells": len(bench), "tasks": tasks}
    if not args.json:
        print(f"{bench.title} ({bench.name}): {len(bench):,} cells, {len(bench.tasks)} tasks")
        for task, t in tasks.items():
            o = t["optimum"]
            print(f"\n{task}\n  best by {t['default_metric']}: {o['value']:.4f} at index {o['index']}  {o['arch']}")
            print(f"  metrics: {', '.join(t['metrics'])}\n  cost: {t['cost']}")
    return result


def cmd_disorder(args) -> dict:
    from ..benchmarks import load
    from ..disorder import disorder_matrix

    bench = load(args.benchmark)
    scores = _task_scores(bench, args.split, args.metric)
    n = len(bench)
    k = args.topk
    k_count = k if isinstance(k, int) else max(1, round(k * n))  # the rounding of disorder.topk_overlap
    k_text = f"top-{k * 100:.4g}%" if isinstance(k, float) else f"top-{k}"
    what = f"metric {args.metric}" if args.metric else f"each task's {args.split} metric"
    titles = {
        "kendall": "Kendall tau",
        "spearman": "Spearman rho",
        "topk": f"{k_text} overlap (share of the best {k_count:,} cells of one task that are best on the other)",
    }
    result = {"benchmark": bench.name, "metric": args.metric or args.split, "cells": n, "matrices": {}}
    # compute everything first, so that a bad --topk fails before anything is printed
    matrices = {stat: disorder_matrix(scores, statistic=stat, k=k if stat == "topk" else None)
                for stat in args.statistic}
    for stat, m in matrices.items():
        result["matrices"][stat] = m.as_dict()
        if not args.json:
            print(f"{bench.title}: {titles[stat]}, all {n:,} cells, {what}\n")
            print(m.to_text(fmt="{:.3f}" if stat == "topk" else "{:+.3f}"))
            print()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ktnas`` console script; returns the exit status."""
    show = warnings.showwarning

    def one_line(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, KtnasWarning):
            print(f"ktnas: warning: {message}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", KtnasWarning)
            warnings.showwarning = one_line
            return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C outside a search (which handles it itself)
        print("ktnas: interrupted", file=sys.stderr)
        return 130


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        result = args.func(args)
    except KtnasError as e:
        print(f"ktnas: error: {e}", file=sys.stderr)
        return 2
    if isinstance(result, int):  # a command that ends with its own status (e.g. 130: stopped by Ctrl-C)
        return result
    if getattr(args, "json", False):
        json.dump(result, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
