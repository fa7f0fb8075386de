"""Measure how fast the shipped benchmark tables load and answer.

Each cold figure is taken in a fresh Python process (median of ``--repeat``
runs): the time of ``import ktnas_core.benchmarks`` plus ``load(name)``, and
the peak resident memory of a process that loads both tables.  ``scores()``
and ``query()`` are timed in one warm process.

Usage::

    python benchmarks/bench_load.py [--repeat 7] [--json]

Targets (issue "Foundation"): cold load < 0.5 s each, < 150 MB peak RSS for
both, ``scores(task)`` for all cells < 1 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import timeit

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import ktnas_core.benchmarks as B
t1 = time.perf_counter()
out = {"import_s": t1 - t0}
for name in sys.argv[1:]:
    t = time.perf_counter()
    b = B.load(name)
    b.scores(b.tasks[0])
    out[name] = time.perf_counter() - t
out["total_s"] = time.perf_counter() - t0
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

BASELINE = r"""
import json, resource
import numpy
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def fresh(args: list[str], code: str = CHILD) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    result["process_s"] = time.perf_counter() - t0
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    rows = {}
    for name in ("nb201", "tnb101_micro"):
        runs = [fresh([name]) for _ in range(args.repeat)]
        rows[f"cold import + load('{name}')"] = statistics.median(r["total_s"] for r in runs)
        rows[f"  of which load('{name}')"] = statistics.median(r[name] for r in runs)
        rows["  whole process, interpreter start incl."] = statistics.median(r["process_s"] for r in runs)
    both = [fresh(["nb201", "tnb101_micro"]) for _ in range(args.repeat)]
    rss = statistics.median(r["peak_rss_mb"] for r in both)
    base = statistics.median(fresh([], BASELINE)["peak_rss_mb"] for _ in range(3))

    from ktnas_core import benchmarks

    nb = benchmarks.load("nb201")
    arch = nb.space.from_index(11472)
    n = 20000
    scores_us = min(timeit.repeat(lambda: nb.scores("cifar10"), number=n, repeat=5)) / n * 1e6
    query_us = min(timeit.repeat(lambda: nb.query(arch, "cifar10"), number=n, repeat=5)) / n * 1e6
    ranks_ms = min(timeit.repeat(lambda: nb.ranks("cifar100", "test_accuracy_12epoch") is not None,
                                 setup=lambda: nb._ranks.clear(), number=1, repeat=5)) * 1e3

    result = {
        "cold_s": rows,
        "peak_rss_both_mb": rss,
        "peak_rss_python_numpy_mb": base,
        "scores_us": scores_us,
        "query_us": query_us,
        "ranks_first_call_ms": ranks_ms,
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"ktnas table loading, median of {args.repeat} fresh processes ({sys.version.split()[0]})")
    for k, v in rows.items():
        print(f"  {k:38s} {v * 1000:8.1f} ms")
    print(f"  {'peak RSS, both tables loaded':38s} {rss:8.1f} MB   (python + numpy alone: {base:.1f} MB)")
    print(f"  {'scores(task), 15,625 cells':38s} {scores_us:8.2f} us")
    print(f"  {'query(arch, task)':38s} {query_us:8.2f} us")
    print(f"  {'ranks(task), first call (argsort)':38s} {ranks_ms:8.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
