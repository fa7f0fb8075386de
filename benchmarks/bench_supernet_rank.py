"""How well does a small weight-sharing supernet rank DARTS-style cells?  Kendall tau against training each alone.

For each task, ``--cells`` random DARTS-style cells are scored two ways on the same real data:

* **supernet**: one :class:`~ktnas_core.evaluation.supernet.SupernetEvaluator` supernet trained
  for ``--supernet-epochs`` epochs, each mini-batch through one of these cells drawn
  uniformly, then each cell scored by its validation accuracy with the shared weights;
* **standalone**: each cell's own network trained from scratch
  (:class:`~ktnas_core.evaluation.training.TrainingEvaluator`, ``--epochs`` epochs), scored by its
  test accuracy.

It prints Kendall's tau between the two orders (1: the supernet ranks cells exactly as
training them does; 0: no relation), and the standalone accuracy of the supernet's top cell
beside the cells' mean and best, so one can see whether weight sharing can pick good cells
at this scale at all.

Usage::

    python benchmarks/bench_supernet_rank.py [--cells 16] [--supernet-epochs 12] [--epochs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path


def rank_study(task: str, cells: list, subset: dict, supernet_epochs: int, epochs: int) -> dict:
    from ktnas_core.disorder import kendall_tau
    from ktnas_core.evaluation.supernet import SupernetEvaluator
    from ktnas_core.evaluation.training import TrainingEvaluator

    t0 = time.perf_counter()
    from ktnas_core.spaces import get_space

    sn = SupernetEvaluator({task: {"name": task, "subset": subset}}, C=8, layers=3, batch_size=32, lr=0.1,
                           schedule_epochs=supernet_epochs, pool_size=len(cells) + supernet_epochs, device="cpu")
    sn._state(task).parents.extend(str(c) for c in cells)  # every epoch trains these cells (drawn per batch)
    for epoch in range(supernet_epochs - 1):  # a throwaway new cell opens each epoch
        sn.begin_generation(epoch)
        sn.evaluate([get_space("darts").sample(10**6 + epoch)], task)
    sn.begin_generation(supernet_epochs - 1)
    supernet = [e.score for e in sn.evaluate(cells, task)]  # the last epoch, then each cell scored
    supernet_s = time.perf_counter() - t0
    tr = TrainingEvaluator({task: {"name": task, "subset": subset}}, space="darts", recipe="basic", epochs=epochs,
                           C=8, N=3, batch_size=32, device="cpu")
    tr.evaluate(cells, task)
    standalone = [tr.details(c, task)["test_accuracy"] for c in cells]
    top = max(range(len(cells)), key=lambda i: supernet[i])
    tau = float(kendall_tau(supernet, standalone))
    return {"task": task, "kendall_tau": None if math.isnan(tau) else tau, "supernet": supernet,
            "standalone": standalone, "top_cell_standalone": standalone[top],
            "standalone_mean": statistics.fmean(standalone), "standalone_best": max(standalone),
            "supernet_seconds": supernet_s, "seconds": time.perf_counter() - t0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=16)
    parser.add_argument("--supernet-epochs", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=3, help="epochs of each standalone training")
    parser.add_argument("--train", type=int, default=1000, help="training images per task (valid: half)")
    parser.add_argument("--tasks", default="mnist,fashion-mnist")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ktnas_core.spaces import get_space

    space = get_space("darts")
    cells = [space.sample(args.seed * 1000 + i) for i in range(args.cells)]
    subset = {"train": args.train, "valid": args.train // 2, "test": 1000}
    out = [rank_study(t, cells, subset, args.supernet_epochs, args.epochs) for t in args.tasks.split(",")]
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"{args.cells} random DARTS-style cells; supernet C=8, 3 cells, {args.supernet_epochs} epochs on "
          f"{args.train} images; standalone C=8, 3 cells, {args.epochs} epochs")
    for r in out:
        tau = "undefined (all scores tie)" if r["kendall_tau"] is None else f"{r['kendall_tau']:+.2f}"
        print(f"{r['task']:<14} Kendall tau {tau}; standalone test accuracy of the supernet's top "
              f"cell {r['top_cell_standalone']:.2f} % (mean of all {r['standalone_mean']:.2f} %, best "
              f"{r['standalone_best']:.2f} %); {r['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
