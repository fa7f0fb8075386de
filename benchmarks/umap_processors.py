"""Does the processor move the UMAP map?  Recompute the shipped default map of TransNAS micro /
node2vec with numba compiling for several processor targets (``NUMBA_CPU_NAME``), each in a
fresh process, and compare with the shipped file: equal bit for bit, largest coordinate
difference, and the share of each cell's 10 nearest neighbours that both maps agree on
(another seed shares about 0.4).  Prints the installed versions of the packages that compute it.

Usage::

    python benchmarks/umap_processors.py [--targets host znver3 generic skylake-avx512]

Measured on 2026-12-06 (AMD EPYC with AVX-512; umap-learn 0.5.12, pynndescent 0.7.0, numba
0.68.1, llvmlite 0.50.0, numpy 2.4.6): host, znver2 and znver3 give the shipped map bit for
bit; generic x86-64 gives another map (overlap 0.49), skylake-avx512 too (0.52).  Each target
costs 45-400 s (numba compiles UMAP anew).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

from ktnas_core.projection import load_default

CHILD = ("import sys, numpy as np\n"
         "from ktnas_core.projection import project\n"
         "np.save(sys.argv[1], project('tnb101_micro', 'node2vec', use_cache=False))\n")


def knn_overlap(a: np.ndarray, b: np.ndarray, k: int = 10, queries: int = 600) -> float:
    """Mean share of a cell's k Euclidean-nearest in ``a`` that are among its k nearest in ``b``."""
    rows = np.random.default_rng(0).permutation(len(a))[:queries]

    def nearest(x: np.ndarray) -> np.ndarray:
        d = ((x[rows, None, :].astype(float) - x[None, :, :]) ** 2).sum(-1)
        d[np.arange(rows.size), rows] = np.inf
        return np.argsort(d, axis=1, kind="stable")[:, :k]

    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(nearest(a), nearest(b))]))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", nargs="+", default=["host", "znver3", "generic", "skylake-avx512"])
    args = ap.parse_args(argv)
    print("versions:", ", ".join(f"{p} {version(p)}" for p in
                                 ("umap-learn", "pynndescent", "numba", "llvmlite", "numpy", "scipy")))
    shipped = load_default("tnb101_micro", "node2vec")
    with tempfile.TemporaryDirectory() as tmp:
        for target in args.targets:
            env = {**os.environ, "KTNAS_CACHE_DIR": str(Path(tmp) / "cache")}
            if target != "host":
                env["NUMBA_CPU_NAME"] = target
            out, start = Path(tmp) / f"{target}.npy", time.perf_counter()
            subprocess.run([sys.executable, "-c", CHILD, str(out)], env=env, check=True)
            xy = np.load(out)
            print(f"{target:>16}: equal {str(np.array_equal(xy, shipped)):5}  max |d| {np.abs(xy - shipped).max():7.3f}"
                  f"  neighbour overlap {knn_overlap(xy, shipped):.3f}  ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
