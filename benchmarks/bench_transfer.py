"""How good are transferred architectures? Transfer rank vs random vs the source's best.

For each ordered (source, target) task pair of a benchmark, two evolutionary
searches run side by side on the real table (validation metric, population
10, tournament 5, one mutation per child, elitist top-10 survival; PAPER.md
Table I without the low-fidelity warm-up).  Every generation, ``n = 4``
architectures of the source's current population are transferred to the
target, chosen by

* ``rank:<embedder>``: transfer rank over that embedding (history of the
  target's labelled transfers, window m = 5, reverse-nearest-neighbour vote);
* ``random``: uniformly at random;
* ``best``: the source's four best (by the source's score).

The target breeds its offspring from its population plus the transferred
cells, which compete for survival.  A transferred cell is *positive* when one
of its children reaches the top r = 20% of the target's next population
(the paper's label).  Reported per method, over all pairs, seeds and
generations: the precision of transfers (positives / labelled), and the
mean global percentile of transferred cells on the target (100 = the
target's best cell of the whole space), and the share of transferred cells that are in
the target's top 1% of the whole space.  The source's search does not depend on the method, so
with the same seed every method chooses from the same candidates.

Usage::

    python benchmarks/bench_transfer.py                 # nb201 and tnb101_micro, 10 seeds, 30 generations
    python benchmarks/bench_transfer.py --seeds 3 --generations 15 --benchmark nb201
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ktnas_core import benchmarks  # noqa: E402
from ktnas_core import embedding as E  # noqa: E402
from ktnas_core.transfer_rank import TransferMemory, TransferRanker, label_transfers  # noqa: E402

TNB_TASKS = ("class_object", "class_scene", "room_layout")
POP, TOURNAMENT, N_TRANSFER, TOP, WINDOW = 10, 5, 4, 0.2, 5


def embedders() -> dict[str, object]:
    """Every embedder, with its defaults and seed 0 (the shipped embeddings)."""
    return {"one-hot": E.OneHotEncoder(random_state=0), "path": E.PathEncoder(random_state=0),
            "node2vec": E.Node2VecEmbedder(random_state=0), "arch2vec": E.Arch2VecEmbedder(random_state=0)}


class Evolution:
    """Regularised-evolution-style search on one task, by index (mutation of tournament winners)."""

    def __init__(self, bench, task, rng):
        self.space, self.scores, self.rng = bench.space, bench.scores(task), rng
        self.pop = [int(i) for i in rng.choice(len(self.space), POP, replace=False)]

    def tournament(self, pool):
        contenders = self.rng.choice(len(pool), min(TOURNAMENT, len(pool)), replace=False)
        return pool[max(contenders, key=lambda c: self.scores[pool[c]])]

    def breed(self, pool):
        """POP children of tournament winners from ``pool``; returns (children, parent of each)."""
        parents = [self.tournament(pool) for _ in range(POP)]
        kids = [self.space.index(self.space.mutate(self.space.from_index(p), self.rng)) for p in parents]
        return kids, parents

    def survive(self, candidates):
        unique = list(dict.fromkeys(candidates))
        unique.sort(key=lambda i: -self.scores[i])
        self.pop = unique[:POP]


def run_pair(bench, source, target, method, emb, seed, generations):
    rng_src, rng_tgt, rng_sel = (np.random.default_rng([seed, k]) for k in range(3))
    src, tgt = Evolution(bench, source, rng_src), Evolution(bench, target, rng_tgt)
    pct = 100.0 * (1 - (bench.ranks(target) - 1) / len(bench))  # 100 = best of the space
    top1 = bench.ranks(target) <= max(1, round(0.01 * len(bench)))
    memory = TransferMemory(window=WINDOW)
    ranker = TransferRanker(n_transfer=N_TRANSFER)
    labels, percentiles, top_hits = [], [], 0
    for gen in range(generations):
        candidates = list(src.pop)
        if method == "random":
            chosen = [candidates[i] for i in rng_sel.choice(len(candidates), N_TRANSFER, replace=False)]
        elif method == "best":
            chosen = sorted(candidates, key=lambda i: -src.scores[i])[:N_TRANSFER]
        else:
            _, X, y = memory.training_set(gen)
            ranker.fit(X if len(y) else np.empty((0, emb.shape[1])), y)
            chosen = [candidates[i] for i in ranker.select(emb[candidates], rng=rng_sel).indices]
        percentiles += [pct[i] for i in chosen]
        top_hits += int(top1[chosen].sum())
        kids, parents = tgt.breed(tgt.pop + chosen)
        tgt.survive(tgt.pop + kids + chosen)
        family: dict[int, list[int]] = {}
        for child, parent in zip(kids, parents):
            family.setdefault(child, []).append(parent)
        lab = label_transfers(chosen, family, {m: tgt.scores[m] for m in tgt.pop}, top=TOP)
        labels += list(lab.values())
        if lab and emb is not None:
            keys = list(lab)
            memory.add(keys, emb[keys], list(lab.values()), gen)
        # the source evolves on its own, identically for every method
        s_kids, _ = src.breed(src.pop)
        src.survive(src.pop + s_kids)
    return labels, percentiles, top_hits


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", choices=("nb201", "tnb101_micro", "both"), default="both")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--generations", type=int, default=30)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "transfer.json")
    args = parser.parse_args(argv)
    names = ("nb201", "tnb101_micro") if args.benchmark == "both" else (args.benchmark,)
    print(f"$ python benchmarks/bench_transfer.py --benchmark {args.benchmark} --seeds {args.seeds} "
          f"--generations {args.generations}")
    results = {}
    for name in names:
        bench = benchmarks.load(name)
        tasks = bench.tasks if name == "nb201" else TNB_TASKS
        embs = {label: E.embed_space(e, name) for label, e in embedders().items()}
        methods = [f"rank:{k}" for k in embs] + ["random", "best"]
        print(f"\n{bench.title}: {len(tasks) * (len(tasks) - 1)} ordered task pairs x {args.seeds} seeds x "
              f"{args.generations} generations, n = {N_TRANSFER}, r = {TOP:.0%}, m = {WINDOW}")
        print(f"{'method':18s} {'precision (95% CI)':>20s} {'labelled':>9s} {'mean pct':>9s} {'in top 1%':>10s} {'time':>7s}")
        results[name] = {}
        for method in methods:
            t0 = time.perf_counter()
            labels, pcts, hits, per_pair = [], [], 0, {}
            for source, target in itertools.permutations(tasks, 2):
                emb = embs[method.split(":", 1)[1]] if method.startswith("rank:") else None
                pair_labels = []
                for seed in range(args.seeds):
                    lab, pct, h = run_pair(bench, source, target, method, emb, seed, args.generations)
                    pair_labels += lab
                    pcts += pct
                    hits += h
                labels += pair_labels
                per_pair[f"{source}->{target}"] = float(np.mean(np.array(pair_labels) > 0)) if pair_labels else None
            y = np.array(labels)
            prec = float((y > 0).mean()) if y.size else float("nan")
            half = 1.96 * np.sqrt(prec * (1 - prec) / max(y.size, 1))  # normal-approximation interval
            results[name][method] = {"precision": prec, "precision_ci95_halfwidth": float(half), "labelled": int(y.size), "mean_percentile": float(np.mean(pcts)),
                                     "top1_hits": hits, "transfers": len(pcts), "per_pair_precision": per_pair}
            print(f"{method:18s} {prec:8.3f} [{prec - half:.3f}, {prec + half:.3f}] {y.size:9d} {np.mean(pcts):9.2f} {hits / len(pcts):10.1%} "
                  f"{time.perf_counter() - t0:6.1f}s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nfull results (per pair): {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
