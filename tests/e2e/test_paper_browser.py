"""The Paper tab in a real browser (demo mode): the shipped Table II opens, a 10-seed run of three
strategies finishes in the page, and its table and chart (ECDF with bootstrap bands) are drawn."""

from __future__ import annotations

import pytest

from .server import ARTIFACTS
from .test_app_browser import _tab, js
from .test_runs_lineage_browser import page  # noqa: F401 - the demo served on a free port, one page open
from .visitors import start_paper_table, wait_paper_finished

pytestmark = pytest.mark.browser

CHOSEN = ["zero-cost", "random-transfer", "ktnas"]
CHART = "svgFig('Share of runs that have evaluated')"


def test_ten_seed_table_ii_in_the_page(page):
    _tab(page, "Paper")
    page.get_by_text("Showing: shipped result").first.wait_for(timeout=180_000)
    page.wait_for_function(js(f"return !!{CHART};"), timeout=30_000)
    random = page.evaluate("""() => [...document.querySelectorAll('.ktnas-paper .widget-checkbox')]
        .filter(b => b.innerText.trim() === 'random').map(b => b.querySelector('input').disabled)""")
    assert random == [True]  # over the demo's evaluations per run
    start_paper_table(page, CHOSEN)
    wait_paper_finished(page, runs=30)
    page.wait_for_function(js(f"return {CHART}.ktnasSvg.title.endsWith(', 10 seeds');"), timeout=30_000)
    rows = page.evaluate("""() => [...document.querySelectorAll('.ktnas-paper-table tr')].slice(1)
        .map(r => [...r.querySelectorAll('td')].map(c => c.innerText))""")
    ours = [r for r in rows if r[0].split("\n")[0] in CHOSEN]
    assert [r[0].split("\n")[0] for r in ours] == CHOSEN
    for r in ours:  # per task and total: mean [interval], median, the paired column and p
        assert all("[" in c and "median" in c for c in r[2:6]), r
    assert ours[-1][6] == "reference" and ours[0][7] not in ("", "–")
    assert any("paper 462.2" in c for c in ours[0])  # zero-cost beside the paper's Zero row
    legend = page.evaluate(js(f"return [...{CHART}.querySelectorAll('g.legend')].map(g => g.textContent);"))
    assert legend == CHOSEN
    lines = page.evaluate(js(f"return [...{CHART}.querySelectorAll('path.line')].map(p => p.dataset.series);"))
    assert lines == CHOSEN * 3  # a line per strategy in each task's panel
    assert page.evaluate(js(f"return {CHART}.querySelectorAll('path.band').length;")) == 3 * len(CHOSEN)
    assert page.locator("a[download='nb201-10seeds.csv']").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    bottom = page.evaluate("() => Math.max(...[...document.querySelectorAll('.widget-tab')]"
                           ".map(e => e.getBoundingClientRect().bottom))")
    page.set_viewport_size({"width": 1400, "height": int(bottom) + 40})
    page.wait_for_timeout(800)
    page.locator(".ktnas-paper").first.screenshot(path=str(ARTIFACTS / "app-paper.png"))  # README: screenshots
    page.set_viewport_size({"width": 1400, "height": 1000})
