"""How the NB201 base searcher's zero-cost knobs were chosen: warm-up pool size and move-proposal factor k.

The paper's Table I names NB201's low-fidelity evaluation "zero-cost" (Abdelfattah et al.,
ICLR 2021: warm-up and move proposal) but gives neither the warm-up pool nor how many
mutations the proxy chooses among.  This script measures evaluations until each task's
optimum is found for the base searcher alone (``no-transfer``: these are its knobs) and
for ``ktnas``, over a grid of ``warmup_pool`` and ``screen_pool`` (k), on **tuning seeds**
(default 10,000-10,099), never the reported seeds 0-99.  The preset
(:data:`ktnas_core.search.presets.WARMUP_POOL`, :data:`~ktnas_core.search.presets.MOVE_K`)
takes the setting with the lowest mean total of the base searcher.

Usage::

    python benchmarks/bench_move_proposal.py [--seeds 100] [--first-seed 10000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ktnas_core.search import TableEvaluator, make_strategy, run_search

TASKS = ("cifar10", "cifar100", "ImageNet16-120")
POOLS = (1000, 15625)
KS = (1, 3, 5, 10, 20)


def totals(job: tuple) -> list[float]:
    """Evaluations to all three optima, one per seed, for (strategy, seeds, params)."""
    name, seeds, params = job
    ev = TableEvaluator("nb201")
    out = []
    for seed in seeds:
        s = make_strategy(name, "nb201", TASKS, **params)
        r = run_search(s, ev, stop_on_optimum=True, budget=15625, max_generations=100_000, seed=seed)
        out.append(float(sum(r.tasks[t].optimum_at for t in TASKS)))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--first-seed", type=int, default=10_000)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args(argv)
    print("$ python benchmarks/bench_move_proposal.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    grid = [(name, pool, k) for name in ("no-transfer", "ktnas") for pool in POOLS for k in KS]
    chunks = [seeds[i::args.jobs] for i in range(args.jobs)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as ex:
        futures = {g: [ex.submit(totals, (g[0], c, {"warmup_pool": g[1], "screen_pool": g[2]})) for c in chunks]
                   for g in grid}
        results = {g: np.concatenate([f.result() for f in fs]) for g, fs in futures.items()}
    print(f"\nNB201, evaluations to all three optima, seeds {seeds[0]}-{seeds[-1]}: mean +- standard error (median)")
    print(f"{'strategy':<14}{'warmup_pool':>12}{'k':>4}{'total':>24}")
    for (name, pool, k), a in results.items():
        se = a.std(ddof=1) / np.sqrt(a.size)
        print(f"{name:<14}{pool:>12}{k:>4}{f'{a.mean():.1f} +- {se:.1f} ({np.median(a):g})':>24}")
    best = min((g for g in grid if g[0] == "no-transfer"), key=lambda g: results[g].mean())
    print(f"\nlowest mean for the base searcher: warmup_pool={best[1]}, k={best[2]}; "
          f"{time.perf_counter() - t0:.1f} s, --jobs {args.jobs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
