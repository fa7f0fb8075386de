"""TransNAS-Bench-101 micro: what the base searcher's predictor and the handling of transfers contribute.

The paper's Table III set-up (``ktnas reproduce tnb101``): tasks class_object, class_scene,
room_layout, 50 evaluations per task; the figure is the average over the three tasks of the
found cell's rank among the 4,096 (validation metric; 1 = best).  Every configuration is a
strategy of :mod:`ktnas_core.search.presets` with keyword overrides of
:class:`~ktnas_core.search.evolution.MultiTaskEvolution`:

=======================  ======================================================================
name                     what changes on the ``tnb101_micro`` preset
=======================  ======================================================================
``ktnas``                nothing: KTNAS with a GP over node2vec vectors screening children
``gcn``                  the GCN predictor over the cell graph (Wen et al.) screens children
``tscreen``              the GP screens transfers: rank proposes 3 x 4 cells, the GP keeps 4
``alltasks``             the GP also learns from the other tasks' evaluations (scores mapped)
``free``                 transferred cells are not evaluated on the target but join its
                         tournaments rated by the GP (an alternative, not the paper's step 3)
``gcn+tscreen``          the GCN screens children and transfers (3 x 4 proposed, 4 kept)
``gcn+alltasks``         the GCN also learns from the other tasks' evaluations
``gcn+free``             transferred cells are not evaluated (alternative, not the paper)
``gcn+tscreen+alltasks`` the two faithful additions together
``gcn+tscreen+free``     transfer screening with unevaluated transfers (alternative)
``gcn-notransfer``       the GCN base searcher alone (no transfer)
``gcn-random``           the GCN base searcher with random transfer
=======================  ======================================================================

For each configuration: the mean average rank over the seeds, a 95% bootstrap interval of the
mean (10,000 resamples), and a paired Wilcoxon signed-rank test against ``ktnas`` on the same
seeds (paired: a seed fixes the root seed of the run, so both strategies start from the same
initial populations; two-sided; ``scipy.stats.wilcoxon``), plus the wall and CPU seconds per
run (the CPU time is the figure to compare on a shared machine).
Every run's record is appended to ``--out`` (JSON lines) as it finishes, and a rerun with the
same ``--out`` runs only what is missing; the table uses the seeds every configuration has.  Run from the repository root::

    python benchmarks/bench_tnb101_base.py --seeds 0-99 --jobs 2
    python benchmarks/bench_tnb101_base.py --seeds 10000-10029 --configs ktnas gcn   # tuning seeds
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core per worker
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TASKS = ("class_object", "class_scene", "room_layout")
BUDGET = 50
GCN = {"predictor": "gcn"}
CONFIGS = {
    "ktnas": ("ktnas", {}),
    "gcn": ("ktnas", GCN),
    "tscreen": ("ktnas", {"transfer_pool": 3}),
    "alltasks": ("ktnas", {"predictor_data": "all"}),
    "free": ("ktnas", {"transfer_eval": "predict"}),
    "gcn+tscreen": ("ktnas", {**GCN, "transfer_pool": 3}),
    "gcn+alltasks": ("ktnas", {**GCN, "predictor_data": "all"}),
    "gcn+free": ("ktnas", {**GCN, "transfer_eval": "predict"}),
    "gcn+tscreen+alltasks": ("ktnas", {**GCN, "transfer_pool": 3, "predictor_data": "all"}),
    "gcn+tscreen+free": ("ktnas", {**GCN, "transfer_pool": 3, "transfer_eval": "predict"}),
    "gcn-notransfer": ("no-transfer", GCN),
    "gcn-random": ("random-transfer", GCN),
}


def run(config: str, seed: int, overrides: dict | None = None) -> dict:
    """One run of ``config`` with root ``seed``: the found cell's rank per task and the wall seconds."""
    from ktnas_core import benchmarks
    from ktnas_core.search import TableEvaluator, run_search
    from ktnas_core.search.presets import make_strategy

    bench = benchmarks.load("tnb101_micro")
    name, params = CONFIGS[config]
    started, cpu = time.perf_counter(), time.process_time()
    strategy = make_strategy(name, bench.space.name, list(TASKS), **{**params, **(overrides or {})})
    res = run_search(strategy, TableEvaluator(bench), budget=BUDGET, max_generations=1_000_000, seed=seed)
    return {"config": config, "seed": seed, "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu,
            "rank": {t: bench.rank(r.best_arch, t) for t, r in res.tasks.items()},
            "evals": {t: r.n_evals for t, r in res.tasks.items()}}


def _job(args: tuple) -> dict:
    return run(*args)


def summary(values: np.ndarray, base: np.ndarray | None) -> tuple[float, float, float, float]:
    """Mean, 95% bootstrap interval of the mean, and the Wilcoxon p-value against ``base``."""
    from scipy.stats import wilcoxon

    boot = np.random.default_rng(0).choice(values, size=(10_000, values.size)).mean(axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    p = float("nan")
    if base is not None and np.any(values != base):
        p = float(wilcoxon(values, base).pvalue)
    return float(values.mean()), float(lo), float(hi), p


def seed_range(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=seed_range, default=seed_range("0-99"), help="e.g. 0-99 or 10000-10029")
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--set", default="{}", help="JSON overrides applied to every configuration (tuning)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None,
                    help="append every run's record here (JSON lines); runs already there are not run again")
    args = ap.parse_args()
    overrides = json.loads(args.set)
    done = []
    if args.out and args.out.exists():
        done = [r for r in map(json.loads, args.out.read_text().splitlines())
                if r["config"] in args.configs and r["seed"] in args.seeds and r.get("overrides", {}) == overrides]
    have = {(r["config"], r["seed"]) for r in done}
    work = [(c, s, overrides) for s in args.seeds for c in args.configs if (c, s) not in have]
    started = time.perf_counter()
    sink = args.out.open("a") if args.out else None
    pool = ProcessPoolExecutor(args.jobs) if args.jobs > 1 else None
    try:
        for record in (pool.map(_job, work) if pool else map(_job, work)):
            record["overrides"] = overrides
            done.append(record)
            if sink:
                sink.write(json.dumps(record) + "\n")
                sink.flush()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
        if sink:
            sink.close()
    report(done, args.configs, args.seeds, overrides, time.perf_counter() - started, args.jobs)


def report(runs: list, configs: list, seeds: list, overrides: dict, wall: float, jobs: int) -> None:
    """Print the table (only seeds that every configuration has finished)."""
    common = set.intersection(*({r["seed"] for r in runs if r["config"] == c} for c in configs))
    runs = sorted((r for r in runs if r["seed"] in common), key=lambda r: r["seed"])
    avg = {c: np.array([np.mean(list(r["rank"].values())) for r in runs if r["config"] == c]) for c in configs}
    base = avg.get("ktnas")
    print(f"TransNAS-Bench-101 micro, {BUDGET} evaluations per task, {len(common)} seeds of {seeds[0]}-{seeds[-1]}, "
          f"overrides {overrides}; average rank of the found cell (1 = best)")
    print(f"{'config':24s} {'mean':>6s} {'95% interval':>15s} {'p vs ktnas':>11s} "
          + " ".join(f"{t:>12s}" for t in TASKS) + f" {'s/run':>6s} {'cpu s':>6s}")
    for c in configs:
        mean, lo, hi, p = summary(avg[c], base if c != "ktnas" else None)
        per_task = [np.mean([r["rank"][t] for r in runs if r["config"] == c]) for t in TASKS]
        secs = [np.mean([r[k] for r in runs if r["config"] == c]) for k in ("seconds", "cpu_seconds")]
        print(f"{c:24s} {mean:6.2f} [{lo:6.2f}, {hi:6.2f}] {p:11.2g} "
              + " ".join(f"{v:12.1f}" for v in per_task) + f" {secs[0]:6.2f} {secs[1]:6.2f}")
    print(f"wall {wall:.0f} s with {jobs} job(s) for the runs not already in --out")


if __name__ == "__main__":
    main()
