"""The runs table and the transfer lineage in a real browser: run seeds, tick runs to overlay
them (median and IQR band per strategy), open a run's lineage and click a transfer to see its cell."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

from ktnas_core import benchmarks

from .server import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, hosted, wait_for_pool
from .test_app_browser import _field, _tab, js
from .visitors import RENDERED

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KTNAS_RUNS_DIR": str(Path(tmp) / "runs"), "KTNAS_PREHEAT": "1",
               "KTNAS_PREHEAT_FILL_DELAY": "3600"}  # one page: no kernel built for a second visitor
        with hosted(["--demo"], env, Path(tmp) / "voila.log") as url:
            wait_for_pool(Path(tmp) / "voila.log")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
                try:
                    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
                    pg.goto(url, timeout=120_000)
                    pg.wait_for_function(RENDERED, timeout=120_000)
                    yield pg
                finally:
                    browser.close()


def _shot(page, name: str, selector: str) -> None:
    """A 1400-wide screenshot of the element ``selector`` (the view), saved under artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    # Voilà scrolls an inner panel, not the page: grow the viewport to the app's height first
    bottom = page.evaluate("() => Math.max(...[...document.querySelectorAll('.widget-tab')]"
                           ".map(e => e.getBoundingClientRect().bottom))")
    page.set_viewport_size({"width": 1400, "height": int(bottom) + 40})
    page.wait_for_timeout(600)  # plotly's last restyle
    page.locator(selector).first.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


COMPARE = "svgFig('on cifar10 (nb201)')"


def _set(page, label: str, value) -> None:
    box = _field(page, label)
    box.fill(str(value))
    box.press("Enter")


def test_ten_seeds_overlay_as_a_band_beside_another_strategy(page):
    _tab(page, "Search")
    _set(page, "Budget / task", 100)
    _field(page, "Algorithm").select_option("rea")
    page.get_by_role("button", name="Run 10 seeds").click()
    page.get_by_text("10 seeds done").first.wait_for(timeout=120_000)
    _field(page, "Algorithm").select_option("ktnas")
    _set(page, "Seed", 25)
    page.get_by_role("button", name="Start").click()
    page.get_by_text("finished (budget)").first.wait_for(timeout=60_000)
    rows = page.locator(".widget-gridbox .widget-checkbox input")
    page.wait_for_function("() => document.querySelectorAll('.widget-gridbox .widget-checkbox input').length === 11",
                           timeout=15_000)
    # rows by folder name: the KTNAS run first, then the ten REA seeds, ticked as they finished
    assert not rows.nth(0).is_checked() and all(rows.nth(i).is_checked() for i in range(1, 11))
    assert page.locator(".widget-gridbox .widget-html", has_text="ktnas-nb201-s25-1").count() == 1
    rows.nth(0).check()
    page.wait_for_function(js(f"const f = {COMPARE}; return !!f && f.querySelectorAll('path.line').length === 2;"),
                           timeout=15_000)
    lines = page.evaluate(js(f"return [...{COMPARE}.querySelectorAll('path.line')]"
                             ".map(p => [p.dataset.series, p.getAttribute('stroke')]);"))
    names = sorted(n for n, _ in lines)
    assert names == ["ktnas seed 25", "rea · 10 seeds (median, IQR)"], names
    assert len({c for _, c in lines}) == 2  # each its own colour
    assert page.evaluate(js(f"return {COMPARE}.querySelectorAll('path.band').length;")) == 1
    legend = page.evaluate(js(f"return [...{COMPARE}.querySelectorAll('g.legend')].map(e => e.textContent);"))
    assert "rea · 10 seeds (median, IQR)" in legend and "ktnas seed 25" in legend
    results = page.get_by_text("Results of the 11 ticked runs").first
    results.wait_for(timeout=15_000)
    assert page.locator("a[download='selection.csv']").count() == 1
    _shot(page, "runs-compare", ".ktnas-compare")


def test_lineage_click_a_transfer_to_see_its_cell(page):
    _tab(page, "Transfer lineage")
    run = page.locator(".widget-dropdown:visible", has_text="Run").locator("select").first
    option = run.locator("option").filter(has_text=re.compile(r"^ktnas-")).first
    option.wait_for(state="attached", timeout=30_000)  # the list follows the runs folder: it may lag a moment
    run.select_option(label=option.inner_text())
    lineage = "byTitle('Transfer lineage of ktnas')"
    page.wait_for_function(js(f"const f = {lineage}; return !!f && f.data.some(d => d.name && "
                              "d.name.startsWith('from ') && d.x && d.x.length);"), timeout=30_000)
    # the centre of the first transfer from cifar100 (a node), in page pixels
    where = page.evaluate(js(f"""const el = {lineage}, L = el._fullLayout, r = el.getBoundingClientRect();
        const d = el.data.find(t => t.name === 'from cifar100' && t.x.length);
        return [r.left + L.xaxis._offset + L.xaxis.l2p(d.x[0]), r.top + L.yaxis._offset + L.yaxis.l2p(d.y[0]),
                d.text[0]];"""))
    page.mouse.move(where[0], where[1])
    page.wait_for_timeout(300)
    page.mouse.click(where[0], where[1])
    arch = re.search(r"\|[^<]+\|", where[2]).group(0)
    page.get_by_text("went from").first.wait_for(timeout=15_000)
    assert "went from cifar100" in page.locator(".widget-html", has_text="went from").first.inner_text()
    index = benchmarks.load("nb201").index(arch)
    page.get_by_text(f"cell #{index:,}").first.wait_for(timeout=15_000)  # the cell view's title: that cell
    page.get_by_role("button", name="a transfer that helped").click()
    page.get_by_text("Verdict: helped").first.wait_for(timeout=15_000)
    _shot(page, "lineage", ".ktnas-lineage")
