"""Kernels come and go with their pages (``python -m widgets.hosting``): a closed tab frees its
kernel, so the demo's visitor limit counts people who are there; a page left open keeps it."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .server import LAUNCH_ARGS, hosted, wait_for_pool
from .visitors import RENDERED

pytestmark = pytest.mark.browser

KERNEL_ID = "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTNAS_")}
    return {**env, **extra}


def _alive(url: str, kernel: str) -> bool:
    """Whether the server still runs ``kernel`` (Voilà answers its model, or 404)."""
    try:
        with urllib.request.urlopen(f"{url}api/kernels/{kernel}", timeout=10):
            return True
    except urllib.error.HTTPError as e:
        assert e.code == 404, e.code
        return False


def _wait_gone(url: str, kernels: list[str], timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while (alive := [k for k in kernels if _alive(url, k)]) and time.monotonic() < deadline:
        time.sleep(0.5)
    return alive


def _visit(browser, url: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    response = page.goto(url, timeout=120_000)
    assert response.status == 200, response.status
    page.wait_for_function(RENDERED, timeout=120_000)
    return page, page.evaluate(KERNEL_ID)


def test_closed_tabs_let_the_next_visitors_in(chromium):
    """Demo mode, two visitors at most: two pages opened and closed, then a third gets in.

    The safety net (pageless kernels culled) is off here: only the page's own shutdown
    request, which Voilà refused before (voila-dashboards/voila#1458), can free the kernels.
    """
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "voila.log"
        env = _env(KTNAS_MAX_VISITORS="2", KTNAS_UNCONNECTED_TIMEOUT="0")
        with hosted(["--demo", f"--runs-dir={tmp}/runs"], env, log) as url, sync_playwright() as p:
            wait_for_pool(log)
            browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=LAUNCH_ARGS)
            try:
                closed = []
                for _ in range(2):
                    page, kernel = _visit(browser, url)
                    page.close(run_before_unload=True)  # as a browser closes a tab
                    assert not _wait_gone(url, [kernel], timeout=15), "a closed page kept its kernel"
                    closed.append(kernel)
                page, kernel = _visit(browser, url)  # the third visitor
                assert kernel not in closed
                # and the limit still holds: two visitors at once, a third is refused politely
                second, _ = _visit(browser, url)
                with urllib.request.urlopen(url, timeout=60) as r:
                    pytest.fail(f"a third visitor at once got {r.status}")
            except urllib.error.HTTPError as e:
                assert e.code == 503 and "Too many visitors right now" in e.read().decode()
            finally:
                browser.close()
        text = log.read_text()
    assert "'_xsrf' argument missing" not in text
    assert len(re.findall(r"Kernel shutdown: ", text)) >= 2


def test_ten_visits_leave_no_kernel_behind_and_an_open_page_keeps_its_own(chromium):
    """Without --demo: pages that never come back (fetched and dropped, as a crashed or
    closed browser leaves them) lose their kernels after the unconnected timeout; an open
    page, idle meanwhile, keeps its kernel."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "voila.log"
        env = _env(KTNAS_RUNS_DIR=f"{tmp}/runs", KTNAS_UNCONNECTED_TIMEOUT="6", KTNAS_FIRST_CONNECT_TIMEOUT="6")
        with hosted([], env, log) as url, sync_playwright() as p:
            wait_for_pool(log)
            browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=LAUNCH_ARGS)
            try:
                page, kept = _visit(browser, url)
                visited = []
                for _ in range(10):
                    with urllib.request.urlopen(url, timeout=120) as r:
                        visited.append(re.search(r'"kernelId": "([0-9a-f-]+)"', r.read().decode()).group(1))
                assert len(set(visited)) == 10
                left = _wait_gone(url, visited, timeout=60)
                assert not left, f"{len(left)} of 10 visits left their kernel behind"
                assert _alive(url, kept), "an open page lost its kernel"
                assert page.evaluate(RENDERED)
            finally:
                browser.close()
        text = log.read_text()
    assert text.count("no page connected for") >= 10
    assert json.dumps(kept)[1:-1] not in re.findall(r"shutting down kernel (\S+)", text)


def test_a_kernel_handed_out_is_replaced_after_the_fill_delay():
    """The pool's replacement for a visitor's kernel starts ``KTNAS_PREHEAT_FILL_DELAY`` seconds
    after the hand-out (Voilà's own default, 1 s, put the replacement's start, about 3 s of CPU,
    in the middle of the visitor's page being drawn), and the pool does fill again."""
    delay = 3
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "voila.log"
        env = _env(KTNAS_RUNS_DIR=f"{tmp}/runs", KTNAS_PREHEAT="1", KTNAS_PREHEAT_FILL_DELAY=str(delay))
        with hosted([], env, log) as url:
            wait_for_pool(log)
            started = len(re.findall(r"Kernel started: ", log.read_text()))
            with urllib.request.urlopen(url, timeout=120) as r:  # a visitor takes the pooled kernel
                assert r.status == 200
            handed_out = time.monotonic()
            while len(re.findall(r"Kernel started: ", log.read_text())) == started:
                assert time.monotonic() - handed_out < 60, "the pool was never refilled"
                time.sleep(0.1)
            waited = time.monotonic() - handed_out
            assert waited >= delay - 0.5, f"the replacement started {waited:.1f} s after the hand-out"
            time.sleep(1.5)  # the count drops to 0 before it is back at 1
            wait_for_pool(log, timeout=120)
