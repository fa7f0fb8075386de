"""Compute the synflow zero-cost proxy for every NAS-Bench-201 cell and ship it.

For each cell index ``i`` (NATS-Bench order) and each task, the NAS-Bench-201
network (C=16, N=5; 10 / 100 / 120 classes) is built with PyTorch's default
initialisation after ``torch.manual_seed(i)``, and scored by
:func:`ktnas_core.zero_cost.synflow` (float64, absolute weights, all-ones input
of shape (1, 3, 32, 32), or (1, 3, 16, 16) for ImageNet16-120, BatchNorm
removed).  The seed depends on the cell only, so the network body is the same
for all three tasks; the classifier (and for ImageNet16-120 the input size)
differs.

Writes ``ktnas_core/benchmarks/data/nb201_synflow.npz``: one float64 array
``<task>__synflow`` of raw (not log) scores per task, in index order, byte for
byte reproducible on the same platform (fixed zip timestamps, as
``build_tables.py``).  Cells whose output does not depend on the input score 0.

Usage::

    python benchmarks/compute_synflow.py --time 50     # time 50 cells, project the total, exit
    python benchmarks/compute_synflow.py               # all tasks (resumable), then write the npz
    python benchmarks/compute_synflow.py --tasks cifar10 --threads 1
    python benchmarks/compute_synflow.py --check 20    # recompute 20 cells, compare with the shipped table

Partial results go to ``artifacts/synflow_partial/<task>.npy`` (NaN = not yet
computed) every ``--save-every`` cells; a rerun resumes from them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_tables import write_npz  # noqa: E402

#: task -> (classes, input side)
TASKS = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}
N_CELLS = 15625
OUT = ROOT / "ktnas_core" / "benchmarks" / "data" / "nb201_synflow.npz"
PARTIAL = ROOT / "artifacts" / "synflow_partial"


def score_cell(index: int, task: str) -> float:
    """synflow of cell ``index`` for ``task`` (seeded by the index)."""
    import torch

    from ktnas_core.networks import build_nb201_network
    from ktnas_core.zero_cost import synflow

    classes, side = TASKS[task]
    torch.manual_seed(index)
    net = build_nb201_network(index, num_classes=classes)
    return synflow(net, (1, 3, side, side), inplace=True)


def save_atomic(path: Path, array: np.ndarray) -> None:
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, array, allow_pickle=False)
    os.replace(tmp, path)


def load_partial(path: Path) -> np.ndarray:
    if path.exists():
        a = np.load(path, allow_pickle=False)
        if a.shape == (N_CELLS,) and a.dtype == np.float64:
            return a
        print(f"ignoring {path}: shape {a.shape} dtype {a.dtype}", file=sys.stderr)
    return np.full(N_CELLS, np.nan)


def run_task(task: str, partial_dir: Path, save_every: int) -> np.ndarray:
    partial_dir.mkdir(parents=True, exist_ok=True)
    path = partial_dir / f"{task}.npy"
    values = load_partial(path)
    todo = np.flatnonzero(np.isnan(values))
    print(f"{task}: {N_CELLS - todo.size} done, {todo.size} to go", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    for k, i in enumerate(todo, start=1):
        values[i] = score_cell(int(i), task)
        if k % save_every == 0 or k == todo.size:
            save_atomic(path, values)
            rate = k / (time.perf_counter() - t0)
            eta = (todo.size - k) / rate
            print(f"{task}: {N_CELLS - todo.size + k}/{N_CELLS}  {rate:.1f} cells/s  eta {eta / 60:.1f} min",
                  file=sys.stderr, flush=True)
    return values


def time_sample(n: int, tasks: list[str]) -> None:
    rng = np.random.default_rng(0)
    cells = rng.choice(N_CELLS, size=n, replace=False)
    total = 0.0
    for task in tasks:
        t0 = time.perf_counter()
        for i in cells:
            score_cell(int(i), task)
        per = (time.perf_counter() - t0) / n
        total += per * N_CELLS
        print(f"{task}: {per * 1000:.1f} ms per cell over {n} random cells -> {per * N_CELLS / 60:.1f} min for all")
    print(f"projected total for {tasks}: {total / 60:.1f} min")


def check(n: int, tasks: list[str]) -> int:
    with np.load(OUT) as npz:
        shipped = {t: npz[f"{t}__synflow"] for t in tasks}
    rng = np.random.default_rng(1)
    bad = 0
    for i in rng.choice(N_CELLS, size=n, replace=False):
        for task in tasks:
            v = score_cell(int(i), task)
            ok = v == shipped[task][i] or abs(v - shipped[task][i]) <= 1e-9 * abs(v)
            bad += not ok
            if not ok:
                print(f"{task} cell {i}: recomputed {v!r}, shipped {shipped[task][i]!r}")
    print(f"{n} cells x {len(tasks)} tasks: {'all agree' if not bad else f'{bad} differ'}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated, of {list(TASKS)}")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--partial", type=Path, default=PARTIAL, help="folder for resumable partial results")
    parser.add_argument("--save-every", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--time", type=int, metavar="N", help="time N random cells per task and exit")
    parser.add_argument("--check", type=int, metavar="N", help="recompute N cells and compare with the shipped table")
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        parser.error(f"unknown task(s) {unknown}; choose from {list(TASKS)}")
    import torch

    torch.set_num_threads(args.threads)
    if args.time:
        time_sample(args.time, tasks)
        return 0
    if args.check:
        return check(args.check, tasks)
    arrays = {f"{t}__synflow": run_task(t, args.partial, args.save_every) for t in tasks}
    missing = sorted(set(TASKS) - set(tasks))
    if missing:
        print(f"not writing {args.out}: tasks {missing} not computed in this run", file=sys.stderr)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_npz(args.out, arrays)
    for key, a in arrays.items():
        print(f"{key}: {np.isfinite(a).sum()} finite, {int((a == 0).sum())} zero, "
              f"min>0 {a[a > 0].min():.3e}, max {a.max():.3e}")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} "
          f"({args.out.stat().st_size:,d} B)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
