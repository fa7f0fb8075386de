"""Soak the search dashboard: many start / stop / resume cycles, and how much memory each one keeps.

Each cycle starts a KTNAS run on the NB201 table (a budget too large to finish), lets it
run ``--run-seconds``, stops it with the Stop button, resumes it, lets it run again and
stops it again, pumping the dashboard's event queue as the kernel's event loop would.
After every cycle the script collects garbage and reads the process's resident memory
(RSS, from ``/proc/self/statm``) and the Python heap traced by ``tracemalloc``.

It reports the memory after the warm-up cycles, at the end, and the growth per cycle
(least-squares slope over the cycles after the warm-up), so a leak shows as a slope well
above zero while a bounded cache shows as a flat line.

Usage::

    python benchmarks/soak_dashboard.py [--cycles 200] [--warmup 5] [--run-seconds 0.2] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def rss_mb() -> float:
    """Resident memory of this process, MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def slope(ys: list[float]) -> float:
    """Least-squares growth per step of ``ys`` (0 for fewer than two points)."""
    n = len(ys)
    if n < 2:
        return 0.0
    mx, my = (n - 1) / 2, sum(ys) / n
    return sum((i - mx) * (y - my) for i, y in enumerate(ys)) / sum((i - mx) ** 2 for i in range(n))


def _run_for(dash, handle, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and handle.running:
        dash.pump()
        time.sleep(0.02)


def _stop(dash, handle) -> None:
    dash.stop_button.click()
    if not handle.wait(5.0):
        raise RuntimeError("a run did not stop within 5 s")
    while dash.pump():
        pass


def soak(cycles: int, warmup: int, run_seconds: float, runs_dir: Path) -> dict:
    """Drive a :class:`~widgets.search_dashboard.SearchDashboard` through ``cycles`` cycles; memory per cycle."""
    from widgets.search_dashboard import SearchDashboard

    dash = SearchDashboard(runs_dir)
    dash.algorithm.value = "ktnas"
    dash.budget.value = 15_625
    tracemalloc.start()
    rss, heap, seconds = [], [], []
    for cycle in range(cycles):
        t0 = time.perf_counter()
        dash.seed.value = cycle
        handle = dash.start()
        if handle is None:
            raise RuntimeError(f"cycle {cycle}: the dashboard refused to start: {dash.status.value}")
        _run_for(dash, handle, run_seconds)
        _stop(dash, handle)
        resumed = dash.resume(handle.run_dir)
        if resumed is None:
            raise RuntimeError(f"cycle {cycle}: the dashboard refused to resume: {dash.status.value}")
        _run_for(dash, resumed, run_seconds)
        _stop(dash, resumed)
        gc.collect()
        rss.append(rss_mb())
        heap.append(tracemalloc.get_traced_memory()[0] / 2**20)
        seconds.append(time.perf_counter() - t0)
    tracemalloc.stop()
    after = slice(warmup, None)
    return {"cycles": cycles, "warmup": warmup, "run_seconds": run_seconds, "rss_mb": rss, "heap_mb": heap,
            "rss_after_warmup_mb": rss[warmup - 1] if warmup else rss[0], "rss_end_mb": rss[-1],
            "rss_growth_mb_per_cycle": slope(rss[after]), "heap_growth_mb_per_cycle": slope(heap[after]),
            "heap_end_mb": heap[-1], "seconds_per_cycle": sum(seconds) / len(seconds)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5, help="cycles left out of the growth slope")
    parser.add_argument("--run-seconds", type=float, default=0.2, help="how long each run goes before Stop")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.cycles <= args.warmup + 1:
        parser.error(f"--cycles {args.cycles} must exceed --warmup {args.warmup} + 1")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    with tempfile.TemporaryDirectory(prefix="ktnas-soak-") as tmp:
        out = soak(args.cycles, args.warmup, args.run_seconds, Path(tmp))
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"{out['cycles']} start/stop/resume/stop cycles of a KTNAS NB201 run ({out['run_seconds']} s of running "
          f"each way), {out['seconds_per_cycle']:.2f} s per cycle")
    print(f"RSS after {out['warmup']} warm-up cycles {out['rss_after_warmup_mb']:.1f} MB, at the end "
          f"{out['rss_end_mb']:.1f} MB; growth {out['rss_growth_mb_per_cycle'] * 1024:+.1f} KB per cycle")
    print(f"Python heap (tracemalloc) at the end {out['heap_end_mb']:.1f} MB; growth "
          f"{out['heap_growth_mb_per_cycle'] * 1024:+.1f} KB per cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
