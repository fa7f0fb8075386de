"""Measure the architecture embedders on the real benchmark tables.

For each embedder (one-hot, path encoding, node2vec with each token scheme, arch2vec,
and with ``--sweep`` a grid of walk settings) on NB201 and TransNAS micro:

* ``embed s``: time of ``embed_space(embedder, space, use_cache=False)``,
  the whole space from scratch, in this (warm) process;
* ``kNN decile``: how often the 10 cosine-nearest neighbours of a cell (among
  all cells of the space) share its rank decile on a task (validation metric;
  ties at the 10th neighbour are shared fractionally, so the figure does not
  depend on index order); mean over all cells (or ``--queries`` random ones)
  and the tasks; chance is 0.10;
* ``tau RF`` / ``tau kNN``: Kendall tau between the truth and a predictor
  trained on ``--n-train`` random cells, tested on all the others:
  ``RandomForestRegressor(n_estimators=100)`` and a 5-nearest-neighbour
  regressor with cosine distance; mean over ``--seeds`` splits and tasks.

It also checks that the shipped default node2vec embeddings equal a fresh
computation.

Usage::

    python benchmarks/bench_embeddings.py [--spaces nb201 tnb101_micro] [--seeds 5] [--sweep --queries 4096]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.neighbors import KNeighborsRegressor

from ktnas_core import benchmarks
from ktnas_core.disorder import kendall_tau
from ktnas_core.embedding import Arch2VecEmbedder, Node2VecEmbedder, OneHotEncoder, PathEncoder, embed_space
from ktnas_core.embedding.node2vec import TOKEN_SCHEMES


def knn_decile(x: np.ndarray, deciles: list[np.ndarray], queries: int | None, k: int = 10, chunk: int = 512) -> float:
    """Mean share of the k cosine-nearest neighbours (among all cells) in the cell's decile,
    over ``queries`` random cells (all if None) and the tasks."""
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    x = (x / np.where(norm > 0, norm, 1.0)).astype(np.float32)
    n = x.shape[0]
    picked = np.sort(np.random.default_rng(0).permutation(n)[:queries or n])
    member = np.concatenate([np.eye(10)[d] for d in deciles], axis=1)  # (n, 10 * tasks)
    own = np.stack([d + 10 * t for t, d in enumerate(deciles)], axis=1)  # (n, tasks)
    hits = 0.0
    for start in range(0, picked.size, chunk):
        rows = picked[start : start + chunk]
        sim = np.round(x[rows] @ x.T, 5)
        sim[np.arange(rows.size), rows] = -np.inf
        kth = -np.partition(-sim, k - 1, axis=1)[:, k - 1 : k]
        above, tied = sim > kth, sim == kth
        weight = above + tied * ((k - above.sum(1, keepdims=True)) / tied.sum(1, keepdims=True))
        hits += np.take_along_axis(weight @ member, own[rows], axis=1).sum()
    return float(hits / (picked.size * k * len(deciles)))


def predictor_tau(x: np.ndarray, targets: list[np.ndarray], n_train: int, seeds: int) -> tuple[float, float]:
    """Mean Kendall tau of a random forest and of a cosine 5-NN regressor, over seeds and tasks."""
    rf, knn = [], []
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(x.shape[0])
        train, test = order[:n_train], order[n_train:]
        for y in targets:
            model = RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1)
            rf.append(kendall_tau(model.fit(x[train], y[train]).predict(x[test]), y[test]))
            model = KNeighborsRegressor(n_neighbors=5, metric="cosine", weights="distance")
            knn.append(kendall_tau(model.fit(x[train], y[train]).predict(x[test]), y[test]))
    return float(np.nanmean(rf)), float(np.nanmean(knn))


def embedders(sweep: bool) -> list[tuple[str, object]]:
    out = [("one-hot", OneHotEncoder()), ("path", PathEncoder())]
    for drop in (False, True):
        out += [(f"node2vec {t} drop_none={drop}", Node2VecEmbedder(token=t, drop_none=drop, random_state=0))
                for t in TOKEN_SCHEMES]  # fmt: skip
    out.append(("arch2vec (variational GIN autoencoder)", Arch2VecEmbedder(random_state=0)))
    if sweep:  # around the defaults (token="op_inputs", window=1, epochs=100, walk_length=10, ...)
        grid = [
            {"epochs": 1, "learning_rate": 1e-9}, {"epochs": 30}, {"epochs": 300}, {"window": 3},
            {"walk_length": 4}, {"walk_length": 40}, {"walks_per_node": 200}, {"p": 0.25}, {"p": 4.0},
            {"dim": 32}, {"pooling": "mean_max"},
        ]  # fmt: skip
        for change in grid:
            label = ", ".join(f"{k}={v}" for k, v in change.items())
            label = label.replace("epochs=1, learning_rate=1e-09", "untrained (random word vectors)")
            out.append((f"node2vec op_inputs {label}", Node2VecEmbedder(random_state=0, **change)))
    return out


def check_shipped(space: str) -> str:
    """Load time and max |shipped - fresh| of the default node2vec embedding of ``space``."""
    from ktnas_core.embedding.cache import _shipped, cache_key

    embedder = Node2VecEmbedder(random_state=0)
    if _shipped(cache_key("embedding", space, embedder)) is None:
        return f"{space}: no shipped file for the current defaults"
    t0 = time.perf_counter()
    shipped = embed_space(embedder, space)
    load_s = time.perf_counter() - t0
    fresh = embed_space(embedder, space, use_cache=False)
    return f"{space}: load {load_s * 1000:.0f} ms, max |shipped - fresh| = {np.abs(shipped - fresh).max():.3g}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spaces", nargs="+", default=["nb201", "tnb101_micro"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=100)
    parser.add_argument("--queries", type=int, default=None, help="cells whose neighbours are checked (default all)")
    parser.add_argument("--sweep", action="store_true", help="also vary the node2vec walk settings")
    args = parser.parse_args(argv)

    print("$ python " + " ".join(["benchmarks/bench_embeddings.py", *(argv if argv is not None else sys.argv[1:])]))
    print(f"kNN decile: share of the 10 cosine-nearest cells in the same rank decile (chance 0.10); "
          f"tau: Kendall tau of a predictor trained on {args.n_train} random cells, mean of {args.seeds} seeds; "
          "all averaged over the tasks (validation metric)")  # fmt: skip
    header = f"{'space':13s} {'embedder':58s} {'dim':>5s} {'embed s':>8s} {'kNN decile':>10s} {'tau RF':>7s} {'tau kNN':>7s}"
    for name in args.spaces:
        bench = benchmarks.load(name)
        targets = [np.asarray(bench.scores(t), dtype=np.float64) for t in bench.tasks]
        deciles = [(bench.ranks(t) - 1) * 10 // len(bench) for t in bench.tasks]
        print("\n" + header + "\n" + "-" * len(header))
        for label, embedder in embedders(args.sweep):
            t0 = time.perf_counter()
            x = embed_space(embedder, name, use_cache=False).astype(np.float64)
            seconds = time.perf_counter() - t0
            rf, knn = predictor_tau(x, targets, args.n_train, args.seeds)
            print(f"{name:13s} {label:58s} {x.shape[1]:5d} {seconds:8.2f} {knn_decile(x, deciles, args.queries):10.3f} "
                  f"{rf:7.3f} {knn:7.3f}", flush=True)  # fmt: skip
    print("\nshipped default embeddings (Node2VecEmbedder(random_state=0)):")
    for name in args.spaces:
        print("  " + check_shipped(name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
