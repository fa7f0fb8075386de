"""Measure the search loop of ``ktnas_core.search`` on NAS-Bench-201 table look-ups.

* ``overhead``: wall time per step of the whole loop (ask, cache, table
  look-up, events, tell) for REA and random search on cifar10, in memory and
  with a run directory (event log flushed per event; log and checkpoint fsynced
  every 1 or 100 generations); the target is < 1 ms per evaluation.  fsync
  time depends on the disk and its other users.  A bare ``Benchmark.query``
  is shown for reference.
* ``to optimum``: evaluations until the task's best cell by validation accuracy
  is evaluated (repeats are free), RandomSearch vs RegularizedEvolution
  (population 10, tournament 5, one child per generation), mean and standard
  deviation over ``--seeds`` root seeds, beside the paper's Table II numbers.

Usage::

    python benchmarks/bench_search.py [--seeds 10] [--evals 5000]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ktnas_core import benchmarks
from ktnas_core.search import RandomSearch, RegularizedEvolution, TableEvaluator, run_search

TASKS = ("cifar10", "cifar100", "ImageNet16-120")
PAPER = {"RandomSearch": (7782.1, 7621.2, 7726.1), "RegularizedEvolution": (563.2, 438.2, 715.1)}
SIZE = 15625
MAX_GENERATIONS = 200_000  # REA's repeats are free, so a stuck population is capped by generations


def overhead(evals: int) -> list[tuple[str, float, float]]:
    ev = TableEvaluator("nb201")
    b = benchmarks.load("nb201")
    rows = []
    archs = [b.space.sample(np.random.default_rng(0)) for _ in range(evals)]
    t = time.perf_counter()
    for a in archs:
        b.query(a, "cifar10")
    rows.append(("bare Benchmark.query", (time.perf_counter() - t) / evals, float("nan")))
    for name, make in (("REA", RegularizedEvolution), ("RandomSearch", RandomSearch)):
        for every in (None, 1, 100):
            with tempfile.TemporaryDirectory() as d:
                run_dir = None if every is None else Path(d) / "run"
                t = time.perf_counter()
                res = run_search({"cifar10": make("nb201")}, ev, max_generations=evals, seed=0, run_dir=run_dir,
                                 checkpoint_every=every or 1)
                dt = time.perf_counter() - t
            steps = evals + (9 if make is RegularizedEvolution else 0)  # REA's first generation asks 10
            label = f"{name}, " + ("in memory" if every is None else f"run_dir, checkpoint_every={every}")
            rows.append((label, dt / steps, dt / res.tasks["cifar10"].n_evals))
    return rows


def to_optimum(seeds: int) -> dict[str, list[list[int]]]:
    ev = TableEvaluator("nb201")
    out = {}
    for name, make in (("RandomSearch", RandomSearch), ("RegularizedEvolution", RegularizedEvolution)):
        per_task = []
        for task in TASKS:
            found = []
            for seed in range(seeds):
                res = run_search({task: make("nb201")}, ev, stop_on_optimum=True, budget=SIZE, seed=seed,
                                 max_generations=MAX_GENERATIONS)
                at = res.tasks[task].optimum_at
                found.append(SIZE if at is None else at)
            per_task.append(found)
        out[name] = per_task
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--evals", type=int, default=5000, help="generations for the overhead measurement")
    args = p.parse_args(argv)
    print("$ python benchmarks/bench_search.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))
    print()
    print(f"Loop time, NB201 cifar10, {args.evals} generations of one ask each (a step = one proposed cell, "
          "new or a free repeat)", flush=True)
    print(f"{'setting':<62} {'us/step':>9} {'us/new eval':>12}")
    for label, s, e in overhead(args.evals):
        print(f"{label:<62} {s * 1e6:>9.1f} {e * 1e6:>12.1f}", flush=True)
    print()
    t = time.perf_counter()
    res = to_optimum(args.seeds)
    print(f"Evaluations until the validation optimum is found, NB201, {args.seeds} seeds "
          f"(mean +- std; paper's mean in brackets; cap {SIZE}) [{time.perf_counter() - t:.1f} s]", flush=True)
    print(f"{'method':<22}" + "".join(f"{t:>28}" for t in TASKS) + f"{'total':>12}")
    for name, per_task in res.items():
        cells = [f"{np.mean(f):8.1f} +- {np.std(f):7.1f} [{PAPER[name][i]:7.1f}]" for i, f in enumerate(per_task)]
        total = sum(np.mean(f) for f in per_task)
        print(f"{name:<22}" + "".join(f"{c:>28}" for c in cells) + f"{total:>12.1f}")


if __name__ == "__main__":
    main()
