"""The demo under load: ``--visitors`` (default 8, the demo's cap) open it at once in headless Chromium.

Against ``python -m widgets.hosting --demo`` (its defaults: 8 visitors at most, 2 preheated
kernels), after the pool is ready:

* each visitor's first render (from the moment all requests went out together to its disorder
  tab's three figures drawn);
* the server's memory: resident memory of the server process and of all its kernels, once every
  page is drawn, again after every visitor ran a short search (random search, 30 evaluations
  per task, its own seed), and again after every visitor ran the Paper tab's 10-seed Table II
  (``PAPER_STRATEGIES``, 30 runs per visitor, all visitors at once);
* that each visitor's runs table lists its own run only, and what one more visitor gets (the
  polite 503 when the cap is reached);
* the machine's load average (1 minute) before the server starts and when all is done: the
  figures depend on what else runs on the machine.

    python benchmarks/bench_demo_load.py               # 8 visitors
    python benchmarks/bench_demo_load.py --visitors 4 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.server import CHROMIUM, LAUNCH_ARGS, hosted, wait_for_pool  # noqa: E402
from tests.e2e.visitors import (kernel_pids, open_at_once, rss_mb, runs_listed, start_paper_table,  # noqa: E402
                                start_search, status_of, wait_finished, wait_paper_finished)

#: the Paper tab's table each visitor runs (10 seeds each: 30 runs); within the demo's evaluation cap
PAPER_STRATEGIES = ("zero-cost", "random-transfer", "ktnas")


def memory(pid: int) -> dict:
    kernels = [rss_mb(k) for k in kernel_pids(pid)]
    return {"server_mb": rss_mb(pid), "kernels": len(kernels), "kernels_mb": sum(kernels),
            "per_kernel_mb": statistics.median(kernels) if kernels else 0.0}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--visitors", type=int, default=8, help="visitors opening at once (default 8: the cap)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    from playwright.sync_api import sync_playwright

    out: dict = {"visitors": args.visitors, "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        log, runs = Path(tmp) / "voila.log", Path(tmp) / "runs"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KTNAS_")}
        env.update(KTNAS_RUNS_DIR=str(runs), KTNAS_MAX_VISITORS=str(args.visitors))
        with hosted(["--demo"], env, log, timeout=120) as url, sync_playwright() as p:
            wait_for_pool(log, timeout=300, ready=2)
            out["idle"] = memory(url.pid)
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
            try:
                pages, seconds = open_at_once(browser, url, args.visitors, timeout_s=600)
                out["first_render_s"] = seconds
                out["rendered"] = memory(url.pid)
                out["one_more"] = status_of(url)[0]
                started = time.perf_counter()
                for i, page in enumerate(pages):
                    start_search(page, seed=100 + i)
                for page in pages:
                    wait_finished(page, timeout_s=600)
                out["all_searches_s"] = time.perf_counter() - started
                out["searched"] = memory(url.pid)
                listed = [runs_listed(page) for page in pages]
                out["own_runs_only"] = all(len(names) == 1 and f"-s{100 + i}-" in names[0]
                                           for i, names in enumerate(listed))
                out["visitor_folders"] = sorted(len(list(d.iterdir())) for d in runs.glob("visitor-*"))
                started = time.perf_counter()
                for page in pages:
                    start_paper_table(page, PAPER_STRATEGIES)
                for page in pages:
                    wait_paper_finished(page, runs=10 * len(PAPER_STRATEGIES), timeout_s=900)
                out["all_tables_s"] = time.perf_counter() - started
                out["tabled"] = memory(url.pid)
            finally:
                browser.close()
    out["load_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        s = out["first_render_s"]
        print(f"bench_demo_load: {args.visitors} visitors at once, headless Chromium, {out['cpus']} CPU(s), "
              f"load average {out['load_before']:.1f} before, {out['load_after']:.1f} after")
        print(f"  first render, each visitor: median {statistics.median(s):.1f} s, "
              f"range {min(s):.1f}-{max(s):.1f} s  ({', '.join(f'{x:.1f}' for x in s)})")
        for key, what in (("idle", "pool ready, no visitor"), ("rendered", "every page drawn"),
                          ("searched", "after every visitor's search"),
                          ("tabled", "after every visitor's 10-seed table")):
            m = out[key]
            print(f"  memory, {what:30s}: server {m['server_mb']:.0f} MB + {m['kernels']} kernels "
                  f"{m['kernels_mb']:.0f} MB (median {m['per_kernel_mb']:.0f} MB each) = "
                  f"{m['server_mb'] + m['kernels_mb']:.0f} MB")
        print(f"  {args.visitors} searches started one after another, all finished in {out['all_searches_s']:.1f} s")
        print(f"  {args.visitors} Paper-tab tables ({', '.join(PAPER_STRATEGIES)}; 10 seeds, 30 runs each) "
              f"started one after another, all finished in {out['all_tables_s']:.1f} s")
        print(f"  each visitor's runs table lists only its own run: {out['own_runs_only']}; "
              f"runs per visitor folder: {out['visitor_folders']}")
        print(f"  one more visitor: HTTP {out['one_more']}")
    return out


if __name__ == "__main__":
    main()
