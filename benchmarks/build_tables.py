"""Rebuild ktnas's compact benchmark tables from the real source files.

Reads ``shared/data`` (NAS-Bench-201 and TransNAS-Bench-101 micro files,
see each folder's README for provenance and licence) and writes, byte for
byte reproducibly:

* ``ktnas_core/spaces/data/nb201_order.npy``: the NATS-Bench index order;
* ``ktnas_core/benchmarks/data/nb201.npz`` and ``tnb101_micro.npz``:
  one float64 array per ``task__metric``, in index order.

Usage::

    python benchmarks/build_tables.py                # write into the package
    python benchmarks/build_tables.py --check        # rebuild in a temp dir, compare sha256
    python benchmarks/build_tables.py --data DIR --out DIR

Every derived quantity is checked here (FLOPs/params residuals against
NASLib's 725-cell file, agreement of the CIFAR-10 accuracies of two
sources, index maps) and the build fails loudly if a check fails.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import itertools
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ktnas_core.spaces.cell import decode_codes  # noqa: E402
from ktnas_core.spaces.nb201 import NB201_OPS, NB201Space  # noqa: E402
from ktnas_core.spaces.tnb101 import TNB101MicroSpace  # noqa: E402
from ktnas_core.benchmarks.catalog import TNB_COLUMNS, TNB_FINAL  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
NB201_TASKS = ("cifar10", "cifar100", "ImageNet16-120")
#: training-set sizes (images) behind the 200-epoch training runs of NB201
TRAIN_IMAGES = {"cifar10": 25_000, "cifar100": 50_000, "ImageNet16-120": 151_700}
TNB_MICRO_ROW0 = 3256  # NASGraph files hold the macro space in rows 0..3255


class BuildError(RuntimeError):
    """A source file fails a check."""


def require(ok: bool, message: str) -> None:
    if not ok:
        raise BuildError(message)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def column(rows: list[dict[str, str]], name: str) -> np.ndarray:
    return np.array([float(r[name]) for r in rows], dtype=np.float64)


# -- deterministic writers ---------------------------------------------------------
def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An uncompressed .npz with fixed timestamps, so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, npy_bytes(arrays[name]))


# -- NAS-Bench-201 -------------------------------------------------------------------
def fit_additive(counts: np.ndarray, values: np.ndarray, what: str) -> np.ndarray:
    """Least-squares ``values = base + counts @ per_op``; checks the fit is exact."""
    design = np.hstack([np.ones((len(counts), 1)), counts])
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    resid = np.abs(design @ coef - values).max()
    require(resid < 1e-4, f"{what} is not additive per edge operation (max residual {resid:.3g})")
    return coef


def op_counts(ops: np.ndarray, n_ops: int) -> np.ndarray:
    """Number of edges carrying each operation (columns 1.. of ops; 'none' is the baseline)."""
    return np.stack([(ops == o).sum(axis=1) for o in range(1, n_ops)], axis=1).astype(np.float64)


def build_nb201(data: Path) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, dict]]:
    space = NB201Space()  # parse and code only: the order file is what this builds
    d = data / "nasbench201"
    main = read_csv(d / "nats-bench-landscape" / "nats_bench.csv")
    order = np.array([space.code(space.parse(r["ArchitectureString"])) for r in main], dtype=np.int16)
    require(len(order) == 15625 and len(set(order.tolist())) == 15625, "nats_bench.csv must list 15,625 distinct cells")
    strings = [r["ArchitectureString"] for r in main]

    def same_order(rows, key, what):
        require([r[key] for r in rows] == strings, f"{what} is not in NATS index order")

    arrays: dict[str, np.ndarray] = {}
    arrays["cifar10__test_accuracy"] = column(main, "CIFAR10TestAccuracy200Epochs")
    for task in NB201_TASKS:
        rows = read_csv(d / "NASGraph-Public" / f"nasbench201_{task}.csv")
        same_order(rows, "arch str", f"NASGraph {task}")
        arrays[f"{task}__valid_accuracy"] = column(rows, "validation accuracy")
        arrays[f"{task}__train_accuracy"] = column(rows, "train accuracy")
        test_name = "cifar10__test_accuracy_cifar10_valid" if task == "cifar10" else f"{task}__test_accuracy"
        arrays[test_name] = column(rows, "test accuracy")
    old = read_csv(d / "nats-bench-landscape" / "commit-bca0282b" / "nats_bench.csv")
    same_order(old, "ArchitectureString", "nats_bench.csv@bca0282b")
    for task, col in zip(NB201_TASKS, ("Cifar10", "Cifar100", "ImageNet16")):
        arrays[f"{task}__test_accuracy_12epoch"] = column(old, f"{col}TestAccuracy12Epochs")

    land = read_csv(d / "NAS-Landscapes" / "cifar10_avg.csv")
    same_order(land, "arch_str", "NAS-Landscapes cifar10_avg.csv")
    # The two cifar10-valid sources agree on most rows, not all (different seed sets
    # behind the means); record how far apart they are, and check they are one ordering.
    gap = np.abs(column(land, "valid-accuracy") - arrays["cifar10__valid_accuracy"])
    corr = np.corrcoef(column(land, "valid-accuracy"), arrays["cifar10__valid_accuracy"])[0, 1]
    require(corr > 0.99, f"NAS-Landscapes and NASGraph cifar10-valid accuracies correlate only {corr:.3f}")
    c10_time = column(land, "train-all-time")

    # FLOPs / params: exactly additive per edge operation; fit on NASLib's 725 cells.
    ops = decode_codes(order, len(NB201_OPS))
    counts = op_counts(ops, len(NB201_OPS))
    notes: dict[str, dict] = {"cifar10-valid sources": {
        "rows_equal_within_1e-5": int((gap < 1e-5).sum()), "max_abs_gap": round(float(gap.max()), 6),
        "correlation": round(float(corr), 6)}}
    naslib = json.loads((d / "NASLib-partial" / "zc_nasbench201.json").read_text())
    index_of = {int(c): i for i, c in enumerate(order)}
    for task in NB201_TASKS:
        entries = naslib[task].values()
        idx = np.array([index_of[space.code(space.from_naslib(ast.literal_eval(e["arch"])))] for e in entries])
        for metric in ("flops", "params"):
            values = np.array([e[metric]["score"] for e in entries], dtype=np.float64)
            coef = fit_additive(counts[idx], values, f"NB201 {task} {metric}")
            full = coef[0] + counts @ coef[1:]
            arrays[f"{task}__{metric}"] = np.round(full, 6)
            err = np.abs(arrays[f"{task}__{metric}"][idx] - values).max()
            require(err < 1e-4, f"derived {task} {metric} misses NASLib's values by {err}")
            notes.setdefault(task, {})[metric] = {
                "base": round(float(coef[0]), 6) + 0.0,
                **{op: round(float(c), 6) + 0.0 for op, c in zip(NB201_OPS[1:], coef[1:])},
                "checked_cells": int(len(idx)), "max_abs_error": float(err),
            }
    # simulated cost: measured for cifar10-valid; scaled by images x FLOPs elsewhere
    for task in NB201_TASKS:
        scale = TRAIN_IMAGES[task] / TRAIN_IMAGES["cifar10"] * arrays[f"{task}__flops"] / arrays["cifar10__flops"]
        arrays[f"{task}__train_time"] = c10_time * scale
    return order, arrays, notes


# -- TransNAS-Bench-101 micro --------------------------------------------------------------
def build_tnb101(data: Path) -> dict[str, np.ndarray]:
    space = TNB101MicroSpace()
    d = data / "transnasbench101_micro"
    n = len(space)
    arrays: dict[str, np.ndarray] = {}
    final: dict[str, np.ndarray] = {t: np.full(n, np.nan) for t in TNB_COLUMNS}
    with zipfile.ZipFile(d / "NASLib" / "all_benchmarks_zen.zip") as z:
        for name in sorted(z.namelist()):
            if not name.endswith(".json"):
                continue
            task = name.split("--")[2]
            for e in json.loads(z.read(name)):
                final[task][space.index(space.from_naslib(ast.literal_eval(e["arch"])))] = e["val_accuracy"]
    archs = list(itertools.product(range(4), repeat=6))
    for task in TNB_COLUMNS:
        require(not np.isnan(final[task]).any(), f"NASLib final values miss cells of {task}")
        rows = read_csv(d / "NASGraph-Public" / f"transbench101_{task}.csv")[TNB_MICRO_ROW0:]
        require(len(rows) == n, f"NASGraph {task} must hold {n} micro rows after row {TNB_MICRO_ROW0}")
        require([int(r["file_id"]) for r in rows] == list(range(TNB_MICRO_ROW0, TNB_MICRO_ROW0 + n)),
                f"NASGraph {task} file ids are not consecutive")
        for split, metric in itertools.product(("train", "valid", "test"), TNB_COLUMNS[task]):
            arrays[f"{task}__{split}_{metric}"] = column(rows, f"{split}_{metric}")
        best = arrays[f"{task}__valid_{TNB_FINAL[task]}"]
        require(bool((best >= final[task] - 1e-6).all()), f"{task}: best-over-epochs < final epoch; wrong row map")
        arrays[f"{task}__valid_{TNB_FINAL[task]}_final"] = final[task]
        arrays[f"{task}__train_time"] = column(rows, "time_elapsed")
    require(archs[11] == space.from_index(11).ops, "TNB index order is not itertools.product")
    return arrays


def build(data: Path, out_root: Path) -> dict[str, Path]:
    """Write all tables under ``out_root`` (a package root); return the written paths."""
    order, nb201, notes = build_nb201(data)
    tnb = build_tnb101(data)
    paths = {
        "order": out_root / "ktnas_core" / "spaces" / "data" / "nb201_order.npy",
        "nb201": out_root / "ktnas_core" / "benchmarks" / "data" / "nb201.npz",
        "tnb101_micro": out_root / "ktnas_core" / "benchmarks" / "data" / "tnb101_micro.npz",
        "notes": out_root / "ktnas_core" / "benchmarks" / "data" / "nb201_costs.json",
    }
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    paths["order"].write_bytes(npy_bytes(order))
    write_npz(paths["nb201"], nb201)
    write_npz(paths["tnb101_micro"], tnb)
    paths["notes"].write_text(json.dumps(notes, indent=1, sort_keys=True) + "\n")
    return paths


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared/data folder")
    parser.add_argument("--out", type=Path, default=ROOT, help="package root to write into")
    parser.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare with the shipped files")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"--data {args.data} is not a folder; point it at shared/data")
    if not args.check:
        for name, p in build(args.data, args.out).items():
            print(f"{name:13s} {p.relative_to(args.out)}  {p.stat().st_size:>9,d} B  sha256 {sha256(p)[:16]}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        rebuilt = build(args.data, Path(tmp))
        bad = 0
        for name, p in rebuilt.items():
            shipped = ROOT / p.relative_to(tmp)
            same = shipped.exists() and sha256(shipped) == sha256(p)
            bad += not same
            print(f"{name:13s} {'identical' if same else 'DIFFERS'}  {shipped.relative_to(ROOT)}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
