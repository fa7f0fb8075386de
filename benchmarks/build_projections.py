"""Build the shipped 2-D maps: the UMAP (default parameters) of the default node2vec and
arch2vec embeddings of NB201 and TransNAS micro, as float16 ``.npy`` files under
``ktnas_core/projection_data/`` (the file stem is :func:`ktnas_core.projection.projection_key`).

Prints, for each map, the time of the UMAP computation (in this process, the first
one including numba's JIT compilation), then the time to load each shipped default
in a fresh process (what the app pays).

Usage::

    python benchmarks/build_projections.py [--spaces nb201 tnb101_micro] [--embeddings node2vec arch2vec]
                                           [--check]

``--check`` recomputes and compares with the shipped files instead of writing them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

from ktnas_core import projection
from ktnas_core.embedding.cache import atomic_save


def knn_overlap(a: np.ndarray, b: np.ndarray, k: int = 10, queries: int = 1000) -> float:
    """Mean share of the k cosine-nearest neighbours in ``a`` that are k Euclidean-nearest in ``b``."""
    rows = np.random.default_rng(0).permutation(len(a))[:queries]
    an = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    sim = an[rows] @ an.T
    sim[np.arange(rows.size), rows] = -np.inf
    near_a = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    d = ((b[rows, None, :] - b[None, :, :]) ** 2).sum(-1)
    d[np.arange(rows.size), rows] = np.inf
    near_b = np.argsort(d, axis=1, kind="stable")[:, :k]
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(near_a, near_b)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spaces", nargs="+", default=["nb201", "tnb101_micro"])
    parser.add_argument("--embeddings", nargs="+", default=["node2vec", "arch2vec"])
    parser.add_argument("--check", action="store_true", help="compare with the shipped files, write nothing")
    args = parser.parse_args(argv)

    from ktnas_core.embedding import embed_space

    projection.DATA_DIR.mkdir(exist_ok=True)
    for space in args.spaces:
        for embedding in args.embeddings:
            if (space, embedding) not in projection.SHIPPED:
                parser.error(f"({space}, {embedding}) is not a shipped map; choose from {projection.SHIPPED}")
            key = projection.projection_key(space, embedding)
            path = projection.DATA_DIR / (key + ".npy")
            start = time.perf_counter()
            xy = projection.project(space, embedding, use_cache=False)
            took = time.perf_counter() - start
            overlap = knn_overlap(embed_space(projection.maps._embedder(embedding), space), xy)
            line = f"{space:<13} {embedding:<9} UMAP {took:6.1f} s  10-NN overlap with the embedding {overlap:.2f}"
            if args.check:
                old = projection.load_default(space, embedding)
                line += f"  max |fresh - shipped| = {np.abs(old - xy).max():.4f}"
            else:
                atomic_save(path, xy.astype(np.float16))
                path.chmod(0o644)  # package data: readable by everyone
                line += f"  -> {path.relative_to(projection.DATA_DIR.parent.parent)} ({path.stat().st_size:,} B)"
            print(line, flush=True)

    for space in args.spaces:
        code = ("import time; t = time.perf_counter(); from ktnas_core.projection import load_default; "
                f"load_default({space!r}); print(time.perf_counter() - t)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        print(f"{space:<13} default map load in a fresh process (import included): {float(out) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
