"""The app in a real browser: Voilà serves notebooks/app.ipynb, headless Chromium drives it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ktnas_core import benchmarks

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = ROOT / "artifacts"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"voila exited with {proc.returncode} before answering:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, whatever the status
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"voila did not answer at {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        msg = f"{CHROMIUM} is missing: install Debian's chromium (make browser)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return CHROMIUM


@pytest.fixture(scope="session")
def voila_url(chromium):
    port = _free_port()
    voila = Path(sys.executable).parent / "voila"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "voila.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(voila), "notebooks/app.ipynb", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
                 "--Voila.port_retries=0"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                url = f"http://127.0.0.1:{port}/"
                _wait_for_http(url, proc, log)
                yield url
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


@pytest.fixture(scope="session")
def page(voila_url, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=LAUNCH_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1360, "height": 1000})
            pg.goto(voila_url, timeout=60_000)
            yield pg
        finally:
            browser.close()


# The plotly plot in the page whose first trace has the given type, e.g. plot('scattergl').
JS_PLOT = """const plot = (type) => [...document.querySelectorAll('.js-plotly-plot')]
                 .find(el => el.data && el.data.length && el.data[0].type === type);"""


def js(body: str, arg: str = "") -> str:
    """A page function with ``plot(type)`` in scope."""
    return f"({arg}) => {{ {JS_PLOT} {body} }}"


def test_app_renders_and_reacts(page):
    rendered = "const s = plot('scattergl'), h = plot('heatmap'); return !!(s && h && s.data[0].x && h.data[0].z);"
    page.wait_for_function(js(rendered), timeout=60_000)
    n_points = page.evaluate(js("const d = plot('scattergl').data[0]; return [d.x.length, d.y.length];"))
    assert n_points == [15_625, 15_625]
    z_shape = page.evaluate(js("const z = plot('heatmap').data[0].z; return [z.length, ...z.map(r => r.length)];"))
    assert z_shape == [3, 3, 3, 3]
    assert page.get_by_text("ktnas: cross-task NAS explorer").is_visible()
    assert page.get_by_text("Kendall τ =").first.is_visible()

    scatter_y = js("return Array.from(plot('scattergl').data[0].y);")
    before = page.evaluate(scatter_y)
    target = page.locator(".widget-dropdown", has_text="Target task").locator("select")
    target.select_option("cifar100")
    changed = "const y = plot('scattergl').data[0].y; return y.length === b.length && y.some((v, i) => v !== b[i]);"
    page.wait_for_function(js(changed, "b"), arg=before, timeout=15_000)
    page.get_by_text("cifar10 → cifar100").first.wait_for(timeout=15_000)
    assert page.evaluate(scatter_y) == benchmarks.load("nb201").ranks("cifar100", "valid_accuracy").tolist()

    ARTIFACTS.mkdir(exist_ok=True)
    # Voilà scrolls an inner panel, not the page: grow the viewport to the app's height instead
    bottom = page.evaluate("() => document.querySelector('.widget-tab').getBoundingClientRect().bottom")
    page.set_viewport_size({"width": 1360, "height": int(bottom) + 40})
    page.wait_for_timeout(500)  # let plotly finish drawing the restyle
    page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)


def test_heatmap_click_picks_the_pair(page):
    page.wait_for_function(js("return !!plot('heatmap');"), timeout=60_000)
    # the centre of row 2 (ImageNet16-120, source) x column 1 (cifar100, target), in page pixels
    xy = page.evaluate(js("""const el = plot('heatmap'), L = el._fullLayout, r = el.getBoundingClientRect();
        return [r.left + L.xaxis._offset + L.xaxis.l2p(1), r.top + L.yaxis._offset + L.yaxis.l2p(2)];"""))
    page.mouse.click(*xy)
    page.get_by_text("ImageNet16-120 → cifar100").first.wait_for(timeout=15_000)
    source = page.locator(".widget-dropdown", has_text="Source task").locator("select")
    assert source.input_value() == "ImageNet16-120"
