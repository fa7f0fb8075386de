"""Measure the search loop of ``ktnas_core.search`` on NAS-Bench-201 table look-ups.

* ``overhead``: wall time of the whole loop per new evaluation (ask, transfer
  rank, breeding, cache, table look-up, events, tell, selection) for random
  search and REA on cifar10, and for KTNAS on the three tasks, in memory and
  with a run directory (event log flushed per event; log and checkpoint fsynced
  after a generation, at most every 0.5 s by default).  A bare ``Benchmark.query``
  is shown for reference.
  Target: under 1 ms per evaluation.
* ``full KTNAS run``: the paper's NB201 set-up (three tasks, until every
  task's optimum is found or 100 generations), per seed, with the shipped
  embeddings; in this process (warm) and in a fresh interpreter (imports,
  table and embedding loads included).  Target: under 30 s.

The evaluations-to-optimum comparison of all strategies is ``ktnas reproduce nb201``
(:mod:`ktnas_core.experiments.reproduce`).

Usage::

    python benchmarks/bench_search.py [--seeds 10] [--evals 3000] [--json]
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ktnas_core import benchmarks
from ktnas_core.search import RandomSearch, RegularizedEvolution, TableEvaluator, make_strategy, run_search

TASKS = ("cifar10", "cifar100", "ImageNet16-120")
FULL = ("from ktnas_core.search import TableEvaluator, make_strategy, run_search; import sys; "
        "r = run_search(make_strategy('ktnas', 'nb201', ['cifar10', 'cifar100', 'ImageNet16-120']), "
        "TableEvaluator('nb201'), stop_on_optimum=True, max_generations=100, seed=int(sys.argv[1])); "
        "print(r.generations, sum(t.n_evals for t in r.tasks.values()))")


def overhead(evals: int) -> list[dict]:
    """Seconds per new evaluation of each loop set-up (``evals`` new evaluations per task or so)."""
    ev = TableEvaluator("nb201")
    b = benchmarks.load("nb201")
    run_search(make_strategy("ktnas", "nb201", TASKS), ev, max_generations=2, seed=0)  # imports, embeddings
    archs = [b.space.sample(np.random.default_rng(0)) for _ in range(evals)]
    t = time.perf_counter()
    for a in archs:
        b.query(a, "cifar10")
    rows = [{"setting": "bare Benchmark.query", "s_per_eval": (time.perf_counter() - t) / evals}]
    setups = [("RandomSearch, cifar10", lambda: {"cifar10": RandomSearch("nb201")}, {"budget": evals}),
              ("REA, cifar10", lambda: {"cifar10": RegularizedEvolution("nb201")}, {"budget": evals}),
              ("KTNAS, 3 tasks", lambda: make_strategy("ktnas", "nb201", TASKS), {"budget": evals // 3})]
    for name, make, limit in setups:
        for on_disk in (False, True):
            with tempfile.TemporaryDirectory() as d:
                run_dir = Path(d) / "run" if on_disk else None
                t = time.perf_counter()
                res = run_search(make(), ev, seed=0, run_dir=run_dir, max_generations=10 * evals, **limit)
                dt = time.perf_counter() - t
            n = sum(r.n_evals for r in res.tasks.values())
            where = "run_dir (checkpoint at most every 0.5 s)" if on_disk else "in memory"
            rows.append({"setting": f"{name}, {where}",
                         "s_per_eval": dt / n, "evals": n, "generations": res.generations})
    return rows


def full_runs(seeds: int) -> dict:
    """The paper's NB201 KTNAS run per seed: warm (this process) and cold (a fresh interpreter)."""
    ev = TableEvaluator("nb201")
    run_search(make_strategy("ktnas", "nb201", TASKS), ev, max_generations=1, seed=0)  # load the embeddings
    warm, gens, evals, found = [], [], [], 0
    for seed in range(seeds):
        t = time.perf_counter()
        r = run_search(make_strategy("ktnas", "nb201", TASKS), ev, stop_on_optimum=True, max_generations=100,
                       seed=seed)
        warm.append(time.perf_counter() - t)
        gens.append(r.generations)
        evals.append(sum(x.n_evals for x in r.tasks.values()))
        found += r.reason == "optimum"
    cold = []
    for seed in range(min(seeds, 3)):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", FULL, str(seed)], check=True, capture_output=True, timeout=300)
        cold.append(time.perf_counter() - t)
    return {"warm_s": warm, "cold_s": cold, "generations": gens, "evals": evals, "all_found": found}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--evals", type=int, default=3000, help="new evaluations for the overhead measurement")
    p.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = p.parse_args(argv)
    result = {"overhead": overhead(args.evals), "full": full_runs(args.seeds)}
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print("$ python benchmarks/bench_search.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))
    print(f"\nLoop time per new evaluation, NB201 (about {args.evals} evaluations per set-up)")
    print(f"{'setting':<64} {'us/eval':>9}")
    for row in result["overhead"]:
        print(f"{row['setting']:<64} {row['s_per_eval'] * 1e6:>9.1f}")
    f = result["full"]
    print(f"\nFull KTNAS run, NB201, three tasks, until every optimum is found or 100 generations, "
          f"{args.seeds} seeds:")
    print(f"  in this process: median {statistics.median(f['warm_s']):.3f} s, max {max(f['warm_s']):.3f} s; "
          f"generations median {statistics.median(f['generations'])}, evaluations (3 tasks) median "
          f"{statistics.median(f['evals'])}; every optimum found in {f['all_found']} of {args.seeds} runs")
    print(f"  fresh interpreter (imports, tables, embeddings): median {statistics.median(f['cold_s']):.2f} s, "
          f"max {max(f['cold_s']):.2f} s over {len(f['cold_s'])} seeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
