"""Performance predictors over embeddings, measured with NASLib's protocol.

For every (benchmark task, embedder, predictor) and every training size N:
train on N random cells, predict **all the other cells** of the space, and
score the predictions against the table's validation metric with

* Kendall tau and Spearman rho (``ktnas_core.disorder``);
* precision at top 1%: the share of the true top-1% test cells among the
  predicted top-1% (``topk_overlap(pred, truth, 0.01)``; k = round(1% of the
  test set), ties broken by index).

Each of ``--seeds`` seeds draws one random permutation of the space; the
training sets are its first N cells (nested over N), and the split is shared
by every task, embedder and predictor of that space (paired comparisons).
The predictor's ``random_state`` is the seed.  A constant prediction has no
rank correlation (NaN); it is scored 0 and counted in ``n_constant``.

Intervals: mean over seeds and a two-sided 95% Student-t interval,
``mean +- t(0.975, seeds - 1) * sd / sqrt(seeds)``.

Embeddings: ``embed_space(Embedder(random_state=0), space)`` with each
embedder's defaults (cached on disk after the first run; the time to compute
or load each one is recorded).  Synflow (``ktnas_core.benchmarks.zero_cost``)
needs no training: its score is compared with the truth over all cells.

Writes ``benchmarks/results/predictors.json`` (every per-seed value) and
``docs/img/predictors.svg`` (Kendall tau vs N, one panel per predictor, one
line per embedder, on one task).  Run from the repository root::

    python benchmarks/bench_predictors.py            # 20 seeds (the published table)
    python benchmarks/bench_predictors.py --quick    # 3 seeds, N in (20, 100, 500)
    python benchmarks/bench_predictors.py --jobs 2   # worker processes (same numbers)
    python benchmarks/bench_predictors.py --replot   # reprint tables, refresh synflow, redraw, no fitting

Cost of the default run (4 embedders x 4 predictors x 6 tasks x 6 sizes x 20
seeds = 11,520 fits, each predicting the whole rest of the space): about
1,650 s of CPU, i.e. ~28 min on one free core; measured 879 s (15 min) wall
with ``--jobs 2`` on two cores.  The four predictors cost about the same; the
128-d embeddings (node2vec, arch2vec) twice as much as one-hot / path.
``--quick`` takes one to two minutes.  Embeddings that are not cached are
computed first (arch2vec on NB201: ~1.5 min; the others: seconds).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core per worker
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from ktnas_core import benchmarks  # noqa: E402
from ktnas_core.disorder import kendall_tau, spearman_rho, topk_overlap  # noqa: E402
from ktnas_core.embedding import (  # noqa: E402
    Arch2VecEmbedder, Node2VecEmbedder, OneHotEncoder, PathEncoder, cache_key, embed_space)
from ktnas_core.predictors import make_predictor  # noqa: E402
from ktnas_core.spaces import get_space  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10, 20, 50, 100, 200, 500)
QUICK_SIZES = (20, 100, 500)
TASKS = (("nb201", "cifar10"), ("nb201", "cifar100"), ("nb201", "ImageNet16-120"),
         ("tnb101_micro", "class_object"), ("tnb101_micro", "class_scene"), ("tnb101_micro", "room_layout"))
#: embedder name -> class (each used with its defaults and random_state=0)
EMBEDDERS = {"onehot": OneHotEncoder, "path": PathEncoder, "node2vec": Node2VecEmbedder, "arch2vec": Arch2VecEmbedder}
PREDICTORS = ("gp", "rf", "gbm", "mlp")
METRICS = ("kendall", "spearman", "p_at_1pct")
PLOT_TASK = ("nb201", "cifar100")

#: filled in the parent before the workers fork: space -> {embedder: X}, (space, task) -> y
_DATA: dict = {"X": {}, "y": {}}


# -- data --------------------------------------------------------------------------------
def load_embeddings(names, spaces, notes):
    """space -> {embedder name: (n, d) float32 array}; records time and dimension in ``notes``."""
    out = {s: {} for s in spaces}
    for name in names:
        cls = EMBEDDERS[name]
        for space in spaces:
            start = time.perf_counter()
            embedder = cls(random_state=0)
            X = np.asarray(embed_space(embedder, space))
            how = f"embed_space({cls.__name__}(random_state=0)), cache key {cache_key('embedding', space, embedder)}"
            seconds = time.perf_counter() - start
            out[space][name] = X
            notes.append(f"embedding {name}/{space}: {X.shape[1]}-d, {how}, {seconds:.1f} s (load or compute)")
            print(f"# {notes[-1]}", flush=True)
    return out


def targets(space: str, task: str) -> np.ndarray:
    """The task's validation metric, oriented so that higher is better."""
    bench = benchmarks.load("nb201" if space == "nb201" else "tnb101_micro")
    metric = bench.metric(task)
    y = np.asarray(bench.scores(task), dtype=np.float64)
    return y if metric.higher_is_better else -y


def split_order(space: str, seed: int) -> np.ndarray:
    """The seed's random permutation of the space (training sets are its prefixes)."""
    return np.random.default_rng([seed, len(get_space(space))]).permutation(len(get_space(space)))


# -- one unit of work ------------------------------------------------------------------
def score(pred: np.ndarray, truth: np.ndarray) -> dict:
    constant = bool(np.ptp(pred) == 0)
    tau = 0.0 if constant else kendall_tau(pred, truth)
    rho = 0.0 if constant else spearman_rho(pred, truth)
    return {"kendall": tau, "spearman": rho, "p_at_1pct": topk_overlap(pred, truth, 0.01), "constant": constant}


def run_unit(unit):
    """All predictors x sizes for one (space, task, embedder, seed)."""
    space, task, embedder, seed, sizes, predictors = unit
    X, y = _DATA["X"][space][embedder], _DATA["y"][(space, task)]
    order = split_order(space, seed)
    rows = []
    for name in predictors:
        for n in sizes:
            train, test = order[:n], order[n:]
            start, cpu = time.perf_counter(), time.process_time()
            model = make_predictor(name, random_state=seed).fit(X[train], y[train])
            pred = model.predict(X[test])
            rows.append({"space": space, "task": task, "embedder": embedder, "predictor": name, "n_train": n,
                         "seed": seed, "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
                         **score(pred, y[test])})
    return rows


# -- statistics ---------------------------------------------------------------------------
def interval(values) -> dict:
    v = np.asarray(values, dtype=np.float64)
    mean = float(v.mean())
    half = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else float("nan")
    return {"mean": round(mean, 4), "ci95": [round(mean - half, 4), round(mean + half, 4)],
            "values": [round(float(x), 4) for x in v]}


def aggregate(rows) -> list[dict]:
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["space"], r["task"], r["embedder"], r["predictor"], r["n_train"]), []).append(r)
    out = []
    for (space, task, emb, pred, n), rs in groups.items():
        rs.sort(key=lambda r: r["seed"])
        out.append({"space": space, "task": task, "embedder": emb, "predictor": pred, "n_train": n,
                    "seeds": len(rs), "n_constant": sum(r["constant"] for r in rs),
                    "fit_predict_seconds": round(float(np.mean([r["seconds"] for r in rs])), 4),
                    "fit_predict_cpu_seconds": round(float(np.mean([r["cpu_seconds"] for r in rs])), 4),
                    **{m: interval([r[m] for r in rs]) for m in METRICS}})
    return out


def synflow_rows(tasks, notes) -> list[dict]:
    try:
        from ktnas_core.benchmarks.zero_cost import load_zero_cost
    except ImportError as exc:
        notes.append(f"synflow skipped: ktnas_core.benchmarks.zero_cost not importable ({exc})")
        return []
    out = []
    for space, task in tasks:
        try:
            z = np.asarray(load_zero_cost("nb201" if space == "nb201" else "tnb101_micro", task), dtype=np.float64)
        except Exception as exc:  # noqa: BLE001 - a missing table is reported, not fatal
            notes.append(f"synflow {space}/{task} unavailable: {type(exc).__name__}: {exc}")
            continue
        y = _DATA["y"][(space, task)]
        ok = np.isfinite(z)
        s = score(z[ok], y[ok])
        out.append({"space": space, "task": task, "cells": int(ok.sum()),
                    **{m: round(float(s[m]), 4) for m in METRICS}})
    return out


# -- output ---------------------------------------------------------------------------------
def fmt(stat: dict, width: bool = True) -> str:
    lo, hi = stat["ci95"]
    return f"{stat['mean']:.2f}±{(hi - lo) / 2:.2f}" if width else f"{stat['mean']:.2f}"


def print_tables(summary, synflow, sizes, predictors, embedders, tasks) -> None:
    by = {(r["space"], r["task"], r["embedder"], r["predictor"], r["n_train"]): r for r in summary}
    print("\nKendall tau, mean ± 95% t-half-width over seeds, by training size N (test: all other cells)")
    print(f"{'task':<16} {'embed':<9} {'pred':<4} " + " ".join(f"{'N=' + str(n):>10}" for n in sizes))
    for space, task in tasks:
        for emb in embedders:
            for pred in predictors:
                cells = [by.get((space, task, emb, pred, n)) for n in sizes]
                if all(c is None for c in cells):
                    continue
                print(f"{task[:16]:<16} {emb:<9} {pred:<4} "
                      + " ".join(f"{fmt(c['kendall']) if c else '-':>10}" for c in cells))
    for n in sorted({sizes[len(sizes) // 2], sizes[-1]}):
        print(f"\nMean over the {len(tasks)} tasks at N={n}: Kendall tau / Spearman rho / precision@1%")
        print(f"{'embed':<9} " + " ".join(f"{p:>16}" for p in predictors))
        for emb in embedders:
            cells = []
            for pred in predictors:
                rs = [by.get((s, t, emb, pred, n)) for s, t in tasks]
                rs = [r for r in rs if r]
                cells.append("/".join(f"{np.mean([r[m]['mean'] for r in rs]):.2f}" for m in METRICS) if rs else "-")
            print(f"{emb:<9} " + " ".join(f"{c:>16}" for c in cells))
    if synflow:
        print("\nsynflow alone (no training; all cells): Kendall tau / Spearman rho / precision@1%")
        for r in synflow:
            print(f"{r['task']:<16} " + " / ".join(f"{r[m]:.2f}" for m in METRICS))


def svg_plot(summary, synflow, path: Path, task=PLOT_TASK) -> None:
    """Small self-contained SVG: Kendall tau vs N (log axis), one panel per predictor, one line per embedder."""
    rows = [r for r in summary if (r["space"], r["task"]) == task]
    preds = [p for p in PREDICTORS if any(r["predictor"] == p for r in rows)]
    embs = [e for e in EMBEDDERS if any(r["embedder"] == e for r in rows)]
    if not rows:
        return
    sizes = sorted({r["n_train"] for r in rows})
    colours = {"onehot": "#1f77b4", "path": "#ff7f0e", "node2vec": "#2ca02c", "arch2vec": "#d62728"}
    pw, ph, ml, mt, gap = 225, 190, 48, 40, 18
    width, height = ml + len(preds) * (pw + gap), mt + ph + 64
    lo_n, hi_n = math.log(sizes[0]), math.log(sizes[-1])
    y_lo, y_hi = -0.1, 1.0

    def sx(i: int, n: float) -> float:
        t = 0.5 if hi_n == lo_n else (math.log(n) - lo_n) / (hi_n - lo_n)
        return ml + i * (pw + gap) + 10 + t * (pw - 20)

    def sy(v: float) -> float:
        return mt + ph - (min(max(v, y_lo), y_hi) - y_lo) / (y_hi - y_lo) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{ml}" y="16" font-size="13">Predictor Kendall tau vs training cells N, '
           f'{task[0]} {task[1]} (mean, 95% t-interval)</text>']
    syn = next((r for r in synflow if (r["space"], r["task"]) == task), None)
    for i, pred in enumerate(preds):
        x0 = ml + i * (pw + gap)
        out.append(f'<rect x="{x0}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
        out.append(f'<text x="{x0 + pw / 2}" y="{mt - 6}" text-anchor="middle" font-weight="bold">{pred}</text>')
        for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
            out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#eee"/>')
            if i == 0:
                out.append(f'<text x="{x0 - 4}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
        for n in sizes:
            out.append(f'<text x="{sx(i, n):.1f}" y="{mt + ph + 14}" text-anchor="middle">{n}</text>')
        if syn:
            out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{sy(syn["kendall"]):.1f}" y2="{sy(syn["kendall"]):.1f}" '
                       f'stroke="#555" stroke-dasharray="4 3"/>')
        for emb in embs:
            pts = sorted((r["n_train"], r["kendall"]) for r in rows if r["predictor"] == pred and r["embedder"] == emb)
            if not pts:
                continue
            band = [(sx(i, n), sy(k["ci95"][1])) for n, k in pts] + [(sx(i, n), sy(k["ci95"][0])) for n, k in pts[::-1]]
            out.append('<polygon points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in band)
                       + f'" fill="{colours.get(emb, "#000")}" fill-opacity="0.15" stroke="none"/>')
            line = " ".join(f"{sx(i, n):.1f},{sy(k['mean']):.1f}" for n, k in pts)
            out.append(f'<polyline points="{line}" fill="none" stroke="{colours.get(emb, "#000")}" '
                       'stroke-width="1.8"/>')
            out += [f'<circle cx="{sx(i, n):.1f}" cy="{sy(k["mean"]):.1f}" r="2.5" fill="{colours.get(emb, "#000")}"/>'
                    for n, k in pts]
    out.append(f'<text transform="translate(11,{mt + ph / 2}) rotate(-90)" text-anchor="middle">Kendall tau</text>')
    out.append(f'<text x="{ml + len(preds) * (pw + gap) / 2}" y="{mt + ph + 30}" text-anchor="middle">'
               'N (training cells, log scale)</text>')
    legend = [(e, colours.get(e, "#000"), "") for e in embs]
    legend += [("synflow (no training)", "#555", "4 3")] if syn else []
    for j, (label, colour, dash) in enumerate(legend):
        x = ml + j * 150
        out.append(f'<line x1="{x}" x2="{x + 22}" y1="{mt + ph + 52}" y2="{mt + ph + 52}" stroke="{colour}" '
                   f'stroke-width="2" stroke-dasharray="{dash}"/>')
        out.append(f'<text x="{x + 27}" y="{mt + ph + 56}">{label}</text>')
    out.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def dumps(result: dict) -> str:
    """JSON with one line per result row (readable diffs, a few hundred kB)."""
    rows = result.pop("results")
    head = json.dumps(result, indent=1, ensure_ascii=False)
    body = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in rows)
    return head[:-2] + ',\n "results": [\n' + body + "\n ]\n}\n"


def replot(path: Path, plot: Path) -> int:
    result = json.loads(path.read_text(encoding="utf-8"))
    summary = result["results"]
    tasks = tuple(dict.fromkeys((r["space"], r["task"]) for r in summary))
    _DATA["y"] = {(s, t): targets(s, t) for s, t in tasks}
    notes = [n for n in result["notes"] if not n.startswith("synflow")]
    synflow = synflow_rows(tasks, notes)
    sizes = tuple(sorted({r["n_train"] for r in summary}))
    preds = [p for p in PREDICTORS if any(r["predictor"] == p for r in summary)]
    embs = [e for e in EMBEDDERS if any(r["embedder"] == e for r in summary)]
    print(f"$ {result['command']}   (tables reprinted from {path.name})")
    print_tables(summary, synflow, sizes, preds, embs, tasks)
    for note in notes:
        print(f"# {note}")
    print(f"# runtime {result['runtime_seconds']:.0f} s wall, {result.get('cpu_seconds', float('nan')):.0f} s CPU, "
          f"jobs={result['jobs']}")
    result.update(notes=notes, synflow=synflow, results=summary)
    path.write_text(dumps(result), encoding="utf-8")
    svg_plot(summary, synflow, plot)
    return 0


# -- main ---------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=None, help="seeds per setting (default 20; 3 with --quick)")
    ap.add_argument("--quick", action="store_true", help="3 seeds and N in (20, 100, 500)")
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help=f"training sizes (default {SIZES})")
    ap.add_argument("--embedders", nargs="+", default=list(EMBEDDERS), choices=list(EMBEDDERS))
    ap.add_argument("--predictors", nargs="+", default=list(PREDICTORS), choices=list(PREDICTORS))
    ap.add_argument("--tasks", nargs="+", default=None, help="task names (default: all six)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (results do not depend on it)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "predictors.json")
    ap.add_argument("--plot", type=Path, default=ROOT / "docs" / "img" / "predictors.svg")
    ap.add_argument("--replot", action="store_true",
                    help="no fitting: reprint the tables of --out, refresh its synflow rows, redraw --plot")
    args = ap.parse_args(argv)
    if args.replot:
        return replot(args.out, args.plot)
    seeds = args.seeds if args.seeds is not None else (3 if args.quick else 20)
    sizes = tuple(args.sizes) if args.sizes else (QUICK_SIZES if args.quick else SIZES)
    tasks = tuple(t for t in TASKS if args.tasks is None or t[1] in args.tasks)
    if seeds < 2 or not tasks or args.jobs < 1:
        ap.error("need --seeds >= 2, --jobs >= 1 and at least one known task")
    command = "python benchmarks/bench_predictors.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"$ {command.strip()}", flush=True)
    started = time.perf_counter()
    notes: list[str] = []
    spaces = sorted({s for s, _ in tasks})
    _DATA["X"] = load_embeddings(args.embedders, spaces, notes)
    _DATA["y"] = {(s, t): targets(s, t) for s, t in tasks}
    embed_seconds = time.perf_counter() - started
    embedders = [e for e in args.embedders if all(e in _DATA["X"][s] for s in spaces)]
    units = [(s, t, e, seed, sizes, tuple(args.predictors))
             for s, t in tasks for e in embedders for seed in range(seeds)]
    rows, done, t0 = [], 0, time.perf_counter()
    if args.jobs == 1:
        results = map(run_unit, units)
    else:
        import multiprocessing

        pool = ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("fork"))
        results = pool.map(run_unit, units)
    for unit_rows in results:
        rows += unit_rows
        done += 1
        if done % max(1, len(units) // 20) == 0:
            print(f"# {done}/{len(units)} units, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    if args.jobs > 1:
        pool.shutdown()
    summary = aggregate(rows)
    synflow = synflow_rows(tasks, notes)
    runtime = time.perf_counter() - started
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu_total = sum(u.ru_utime + u.ru_stime for u in usage)
    print_tables(summary, synflow, sizes, args.predictors, embedders, tasks)
    for note in notes:
        print(f"# {note}")
    print(f"# runtime {runtime:.0f} s wall ({embed_seconds:.0f} s embeddings), {cpu_total:.0f} s CPU "
          f"(= the wall time on one free core), {len(rows)} fits, jobs={args.jobs}")
    result = {
        "command": command.strip(),
        "protocol": {"sizes": list(sizes), "seeds": seeds, "test": "all cells not in the training set",
                     "split": "numpy default_rng([seed, len(space)]).permutation; training set = first N (nested)",
                     "target": "validation metric of the table, higher is better",
                     "interval": "two-sided 95% Student-t over seeds",
                     "p_at_1pct": "|true top-1% ∩ predicted top-1%| / k, k = round(1% of test cells)",
                     "constant_predictions": "scored 0 for kendall and spearman, counted in n_constant",
                     "predictor_params": "make_predictor(name, random_state=seed) defaults"},
        "runtime_seconds": round(runtime, 1), "cpu_seconds": round(cpu_total, 1),
        "embedding_seconds": round(embed_seconds, 1), "jobs": args.jobs,
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpu_count": os.cpu_count()},
        "notes": notes, "synflow": synflow, "results": summary,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(result), encoding="utf-8")
    svg_plot(summary, synflow, args.plot)
    print(f"# wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} and {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
