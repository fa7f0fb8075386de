"""Several visitors of the demo at once (``tests/e2e/test_load.py``, ``benchmarks/bench_demo_load.py``):
open the page in separate browser contexts, run a short search or the Paper tab's table in one, read
what the server holds."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from pathlib import Path

#: the disorder tab's three figures are drawn (rank scatter on a canvas, Kendall heatmap and bump chart in SVG)
RENDERED = """() => { const s = [...document.querySelectorAll('.ktnas-cloud')].map(el => el.ktnasCloud)
        .find(c => c && c.count && c.title.includes('Rank vs rank'));
    const svgs = [...document.querySelectorAll('.ktnas-svg')].filter(el => el.querySelector('svg') && el.ktnasSvg)
        .map(el => el.ktnasSvg.title);
    return !!(s && svgs.some(t => t.includes('Kendall')) && svgs.some(t => t.includes('cells land'))); }"""
VIEWPORT = {"width": 1400, "height": 1000}


def open_at_once(browser, url: str, n: int, timeout_s: float = 300) -> tuple[list, list[float]]:
    """``n`` pages in their own browser contexts, their requests sent together; returns the pages and
    each one's seconds from the first request to its figures drawn."""
    pages = [browser.new_context(viewport=VIEWPORT).new_page() for _ in range(n)]
    started = time.perf_counter()
    for page in pages:
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    seconds = []
    for page in pages:
        page.wait_for_function(RENDERED, timeout=timeout_s * 1000, polling=100)
        seconds.append(time.perf_counter() - started)
    return pages, seconds


def _field(page, label: str):
    box = page.locator(f".widget-inline-hbox:visible:has(> label:text-is('{label}'))").first
    return box.locator("input, select").first


def start_search(page, seed: int, budget: int = 30, algorithm: str = "random") -> None:
    """Search tab: a short ``algorithm`` search (``budget`` evaluations per task) on ``seed``; Start."""
    page.locator(".lm-TabBar-tab", has_text="Search").first.click()
    _field(page, "Budget / task").wait_for(timeout=120_000)
    _field(page, "Algorithm").select_option(algorithm)
    for label, value in (("Budget / task", budget), ("Seed", seed)):
        box = _field(page, label)
        box.fill(str(value))
        box.press("Enter")
    page.get_by_role("button", name="Start").click()


def wait_finished(page, timeout_s: float = 120) -> None:
    page.get_by_text("finished (budget)").first.wait_for(timeout=timeout_s * 1000)


def start_paper_table(page, strategies, seeds: int = 10) -> None:
    """Paper tab: once the shipped Table II shows, tick exactly ``strategies`` (the demo disables the
    ones over its evaluation cap), set ``seeds`` and press Run."""
    page.locator(".lm-TabBar-tab", has_text="Paper").first.click()
    page.get_by_text("Showing: shipped result").first.wait_for(timeout=180_000)
    page.evaluate("""(chosen) => [...document.querySelectorAll('.ktnas-paper .widget-checkbox')].forEach(b => {
        const input = b.querySelector('input');
        if (!input.disabled && input.checked !== chosen.includes(b.innerText.trim())) input.click(); })""",
                  list(strategies))
    box = _field(page, "Seeds")
    box.fill(str(seeds))
    box.press("Enter")
    page.get_by_role("button", name="Run").click()


def wait_paper_finished(page, runs: int, seeds: int = 10, timeout_s: float = 400) -> None:
    """Until the page's own ``seeds``-seed run is complete and its status says ``runs`` runs finished."""
    page.get_by_text(f"this page's run: {seeds} of {seeds} seeds complete").first.wait_for(timeout=timeout_s * 1000)
    page.locator(".ktnas-paper-status", has_text=f"finished: {runs} runs").wait_for(timeout=60_000)


def runs_listed(page) -> list[str]:
    """Folder names in the page's runs table (Compare runs, under the Search tab)."""
    page.locator(".lm-TabBar-tab", has_text="Search").first.click()
    page.get_by_role("button", name="refresh").first.wait_for(timeout=120_000)
    page.get_by_role("button", name="refresh").first.click()
    page.wait_for_timeout(500)
    return [t.strip() for t in page.locator(".widget-gridbox .widget-html").all_inner_texts()
            if t.strip().count("-s") and "-nb201-" in t]


def status_of(url: str) -> tuple[int, str]:
    """HTTP status and body of one more page request (a new visitor)."""
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def kernel_pids(server_pid: int) -> list[int]:
    """The server's kernel processes (its children running ipykernel)."""
    pids = []
    for pid in _children(server_pid):
        try:
            if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(pid)
        except OSError:
            pass
    return pids


def nice_of(pid: int) -> int:
    """The nice value of a process (its main thread)."""
    return os.getpriority(os.PRIO_PROCESS, pid)
