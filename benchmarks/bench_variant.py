"""How ktnas-xt (the cross-task surrogate) was tuned: its kernel and pool, on NB201 tuning seeds only.

``ktnas`` screens each generation's children with :class:`ktnas_core.search.proposal.CrossTaskGP`,
a Gaussian process over cells that learns from every task's evaluations.  Its knobs are chosen
here on NB201 seeds 10,000-10,099, never on the reported seeds 0-99, in two grids:
``--grid kernel`` (the correlation between two tasks' standardised scores, the kernel length in
edges, and the pool factor k; mutations only), then ``--grid pool`` (k, and how many
unexplored cells of the whole space compete with the mutations: 0, 2,000 or all), and
``--grid kappa`` (posterior standard deviations added to the mean, the upper confidence bound;
0 is the posterior mean alone; the preset takes this grid's lowest mean).  The
paper's KTNAS (``ktnas-paper``) runs on the same seeds for reference, and every row carries a
paired Wilcoxon test against it.  TransNAS-Bench-101 is not used for tuning: it checks the choice.

Usage::

    python benchmarks/bench_variant.py [--grid kernel|pool|kappa] [--kappas 0,0.5,1,2] [--seeds 100] [--first-seed 10000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import sys
import time

import numpy as np

from ktnas_core.experiments.reproduce import run_many
from ktnas_core.experiments.stats import describe, paired_test

TASKS = ("cifar10", "cifar100", "ImageNet16-120")
CORRS, LENGTHS, KS = (0.5, 0.8, 0.95), (1.0, 2.0), (10, 20)
GLOBAL_POOLS = (0, 2000, "all")
KAPPAS = (0.0, 0.5, 1.0, 2.0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--grid", choices=["kernel", "pool", "kappa"], default="kernel")
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--first-seed", type=int, default=10_000)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--kappas", type=lambda v: tuple(float(x) for x in v.split(",")), default=KAPPAS,
                   help="values of kappa for --grid kappa, comma-separated (default: %(default)s)")
    args = p.parse_args(argv)
    print("$ python benchmarks/bench_variant.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    configs = {"ktnas-paper": ("ktnas-paper", {})}
    if args.grid == "kernel":
        for corr, length, k in itertools.product(CORRS, LENGTHS, KS):
            configs[f"corr={corr} length={length} k={k}"] = (
                "ktnas-xt", {"screen_pool": k, "screen_options": {"task_corr": corr, "length_scale": length}})
    elif args.grid == "kappa":  # the preset otherwise (global pool "all", k = 20)
        for kappa in args.kappas:
            configs[f"kappa={kappa}"] = ("ktnas-xt", {"screen_options": {"global_pool": "all", "kappa": kappa}})
    else:  # the kernel's defaults (task_corr 0.8, length 1), chosen by the first grid
        for pool, k in itertools.product(GLOBAL_POOLS, KS):
            configs[f"global_pool={pool} k={k}"] = ("ktnas-xt", {"screen_pool": k, "screen_options": {"global_pool": pool}})
    t0 = time.perf_counter()
    work = [("nb201", name, seed, overrides, label) for label, (name, overrides) in configs.items() for seed in seeds]
    runs = run_many(work, args.jobs)
    total = {label: np.array([sum(r["optimum_at"][t] for t in TASKS) for r in runs if r["strategy"] == label],
                             dtype=float) for label in configs}
    print(f"\nNB201, evaluations to all three optima, seeds {seeds[0]}-{seeds[-1]}: mean [95% CI] (median); "
          "paired Wilcoxon p against ktnas-paper")
    for label, a in total.items():
        d = describe(a)
        p_value = "-" if label == "ktnas-paper" else f"{paired_test(a, total['ktnas-paper'])['p']:.2g}"
        print(f"{label:<30}{d['mean']:8.1f} [{d['ci'][0]:.1f}, {d['ci'][1]:.1f}] ({d['median']:g})  p={p_value}")
    best = min((g for g in configs if g != "ktnas-paper"), key=lambda g: total[g].mean())
    seconds = {label: sum(r["seconds"] for r in runs if r["strategy"] == label) for label in configs}
    print("run seconds per configuration (sum over seeds): " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()))
    print(f"\nlowest mean: {best}; {time.perf_counter() - t0:.1f} s, --jobs {args.jobs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
