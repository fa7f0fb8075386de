"""Does a search that trains its candidates find better cells than chance, on real data?

For each seed, KTNAS runs on two tasks at once, scikit-learn's digits and Debian's
Fashion-MNIST (small stratified subsets, every candidate trained from scratch on the CPU:
NB201 cell, C=8, N=1), with a small evaluation budget per task.  The cell it finds for a
task (best validation accuracy) is compared on the held-out **test** split with a cell drawn
uniformly at random and trained the same way.  The script prints, per task, how many seeds
the found cell wins, and the mean test accuracies.

This is the CPU analogue of the paper's MNIST / Fashion-MNIST pair (PAPER.md section 6),
with NB201 cells trained one by one instead of a DARTS-space supernet.

Usage::

    python benchmarks/bench_train_search.py [--seeds 5] [--budget 8] [--epochs 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ktnas_core.search import make_strategy, run_search  # noqa: E402
from ktnas_core.evaluation.training import TrainingEvaluator  # noqa: E402
from ktnas_core.spaces import get_space  # noqa: E402

TASKS = ("digits", "fashion-mnist")


def one_seed(seed: int, budget: int, epochs: int, subset: int) -> dict:
    split = {"train": subset, "valid": subset // 3, "test": subset // 3}
    ev = TrainingEvaluator({t: {"name": t, "subset": split} for t in TASKS}, epochs=epochs, C=8, N=1, seed=seed)
    res = run_search(make_strategy("ktnas", "nb201", list(TASKS)), ev, budget=budget, seed=seed)
    out = {}
    random_cell = get_space("nb201").sample(np.random.default_rng([seed, 12345]))
    for t in TASKS:
        found = res.tasks[t].best_arch
        ev.evaluate([random_cell], t)
        out[t] = {"found": found, "found_test": ev.details(found, t)["test_accuracy"],
                  "random": str(random_cell), "random_test": ev.details(random_cell, t)["test_accuracy"]}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--budget", type=int, default=8, help="trained candidates per task")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--subset", type=int, default=600, help="training images per task (valid and test: a third)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    started = time.perf_counter()
    runs = [one_seed(s, args.budget, args.epochs, args.subset) for s in range(args.seeds)]
    summary = {t: {"wins": sum(r[t]["found_test"] > r[t]["random_test"] for r in runs),
                   "ties": sum(r[t]["found_test"] == r[t]["random_test"] for r in runs),
                   "found_test_mean": float(np.mean([r[t]["found_test"] for r in runs])),
                   "random_test_mean": float(np.mean([r[t]["random_test"] for r in runs]))} for t in TASKS}
    result = {"seeds": args.seeds, "budget": args.budget, "epochs": args.epochs, "subset": args.subset,
              "seconds": time.perf_counter() - started, "summary": summary, "runs": runs}
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print("$ python benchmarks/bench_train_search.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))
    print(f"\nKTNAS trains {args.budget} candidates per task ({args.epochs} epochs, {args.subset} training images), "
          f"{args.seeds} seeds, {result['seconds']:.0f} s on the CPU")
    print(f"{'task':<14}{'found cell wins':>16}{'test acc, found':>17}{'test acc, random':>18}")
    for t, s in summary.items():
        print(f"{t:<14}{s['wins']:>10} of {args.seeds:<3}{s['found_test_mean']:>16.2f}%{s['random_test_mean']:>17.2f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
