"""The app in a real browser: Voilà serves notebooks/app.ipynb, headless Chromium drives it."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pytest

from ktnas_core import benchmarks

from .server import ARTIFACTS, LAUNCH_ARGS, hosted, wait_for_pool

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")  # closed after this module: later tests may run their own event loop
def voila_url(chromium):
    """The app as ``make app`` serves it (``python -m widgets.hosting``), runs in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KTNAS_RUNS_DIR": str(Path(tmp) / "runs")}
        with hosted([], env, Path(tmp) / "voila.log") as url:
            wait_for_pool(Path(tmp) / "voila.log")
            yield url


@pytest.fixture(scope="module")  # closed after this module: later tests may run their own event loop
def page(voila_url, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=LAUNCH_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 1000})
            pg.requests = []  # every URL the page asks for, from the first
            pg.on("request", lambda r: pg.requests.append(r.url))
            pg.console = []  # every console message, from the first: (type, text)
            pg.on("console", lambda m: pg.console.append((m.type, m.text)))
            started = time.monotonic()
            pg.goto(voila_url, timeout=60_000)
            pg.wait_for_function(js("return !!(plot('heatmap') && plot('heatmap').data[0].z);"), timeout=60_000)
            pg.render_seconds = time.monotonic() - started
            yield pg
        finally:
            browser.close()


# The plotly plot in the page whose first trace has the given type, e.g. plot('scattergl').
JS_PLOT = """const plot = (type) => [...document.querySelectorAll('.js-plotly-plot')]
                 .find(el => el.data && el.data.length && el.data[0].type === type);
             const byTitle = (t) => [...document.querySelectorAll('.js-plotly-plot')]
                 .find(el => el.layout && el.layout.title && String(el.layout.title.text || '').includes(t));"""


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


def test_pointing_at_a_scatter_point_names_that_cell_and_its_ranks(page):
    """The page is not sent 15,625 cell strings: hovering a point asks the kernel, which names the cell."""
    page.wait_for_function(js("const s = plot('scattergl'); return !!(s && s.data[0].x);"), timeout=60_000)
    box = page.evaluate(js("const r = plot('scattergl').querySelector('.nsewdrag').getBoundingClientRect(); "
                           "return [r.left, r.top, r.width, r.height];"))
    page.mouse.move(box[0] + box[2] * 0.5, box[1] + box[3] * 0.5)  # the middle of the cloud
    line = page.locator(".widget-html", has_text="rank").filter(has=page.locator("code")).first
    line.wait_for(timeout=15_000)
    pair = [page.locator(".widget-dropdown", has_text=f"{end} task").locator("select").input_value()
            for end in ("Source", "Target")]  # the pair the earlier tests left
    m = re.search(rf"cell ([\d,]+) (\S+): rank ([\d,]+) on {pair[0]}, ([\d,]+) on {pair[1]}", line.inner_text())
    assert m, (pair, line.inner_text())
    b, index = benchmarks.load("nb201"), int(m.group(1).replace(",", ""))
    assert m.group(2) == str(b.space.from_index(index))
    assert [int(g.replace(",", "")) for g in m.group(3, 4)] == [int(b.ranks(t, "valid_accuracy")[index]) for t in pair]
    label = page.locator(".hovertext").first.text_content()
    assert f"cell {index:,}" in label, label  # plotly's own hover label, the same cell


def test_heatmap_click_picks_the_pair(page):
    page.wait_for_function(js("return !!plot('heatmap');"), timeout=60_000)
    # the centre of row 2 (ImageNet16-120, source) x column 1 (cifar100, target), in page pixels
    xy = page.evaluate(js("""const el = plot('heatmap'), L = el._fullLayout, r = el.getBoundingClientRect();
        return [r.left + L.xaxis._offset + L.xaxis.l2p(1), r.top + L.yaxis._offset + L.yaxis.l2p(2)];"""))
    page.mouse.click(*xy)
    page.get_by_text("ImageNet16-120 → cifar100").first.wait_for(timeout=15_000)
    source = page.locator(".widget-dropdown", has_text="Source task").locator("select")
    assert source.input_value() == "ImageNet16-120"


def _tab(page, title: str) -> None:
    page.locator(".lm-TabBar-tab, .p-TabBar-tab", has_text=title).first.click()


def _screenshot(page, name: str) -> None:
    """Grow the viewport to the app's height (Voilà scrolls an inner panel) and save a PNG."""
    ARTIFACTS.mkdir(exist_ok=True)
    bottom = page.evaluate("() => Math.max(...[...document.querySelectorAll('.widget-tab')]"
                           ".map(e => e.getBoundingClientRect().bottom))")
    page.set_viewport_size({"width": 1400, "height": int(bottom) + 40})
    page.mouse.move(2, 2)  # off every figure: no hover label over the picture
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"tab-{name}.png"), full_page=True)


def test_app_renders_within_15_s(page):
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "render_seconds.txt").write_text(f"{page.render_seconds:.2f}\n")
    assert page.render_seconds < 15, f"first render took {page.render_seconds:.1f} s"
    assert "build_app" not in page.content()  # Voilà strips the notebook's sources
    _screenshot(page, "disorder")


MAP = "byTitle('of the node2vec embedding, all 15,625')"


def test_clicking_a_map_point_shows_that_cell(page):
    import numpy as np
    from scipy.spatial import cKDTree

    from ktnas_core import projection

    _tab(page, "Cells & embeddings")
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.wait_for_function(js(f"const m = {MAP}; return !!(m && m.data[0].x && m.data[0].x.length === 15625);"),
                           timeout=30_000)
    xy = np.asarray(projection.project("nb201", "node2vec", "pca"), dtype=float)
    gaps = cKDTree(xy).query(xy, k=2)[0][:, 1]
    i = int(np.argmax(gaps))  # the most isolated cell: a click on it can hit no other
    where = page.evaluate(js(f"""const el = {MAP}, L = el._fullLayout, r = el.getBoundingClientRect();
        return [r.left + L.xaxis._offset + L.xaxis.l2p(p[0]), r.top + L.yaxis._offset + L.yaxis.l2p(p[1])];""", "p"),
                          [float(xy[i, 0]), float(xy[i, 1])])
    page.mouse.move(*where)
    page.wait_for_timeout(300)
    page.mouse.click(*where)
    page.get_by_text(f"cell #{i:,}").first.wait_for(timeout=15_000)
    _screenshot(page, "cells")


def test_compare_mode_draws_both_cells_at_one_scale(page):
    """Cell B used to be drawn at about half of cell A's size (its panel kept a range widened
    while it was hidden)."""
    _tab(page, "Cells & embeddings")
    page.locator(".widget-checkbox:visible", has_text="compare with").locator("input").check()
    page.wait_for_function(js("const f = byTitle('Cell A vs cell B'); return !!(f && f._fullLayout.xaxis2._length > 300);"),
                           timeout=15_000)
    page.wait_for_timeout(500)
    scales = page.evaluate(js("""const L = byTitle('Cell A vs cell B')._fullLayout;
        const s = (a) => a._length / (a.range[1] - a.range[0]);
        return [s(L.xaxis), s(L.yaxis), s(L.xaxis2), s(L.yaxis2)];"""))
    assert max(scales) / min(scales) < 1.01, scales  # px per unit: equal on both axes of both panels
    _screenshot(page, "cells-compare")
    page.locator(".widget-checkbox:visible", has_text="compare with").locator("input").uncheck()


def _field(page, label: str):
    """The input or select of the visible control labelled ``label``."""
    return page.locator(f".widget-inline-hbox:visible:has(> label:text-is('{label}'))").first.locator("input, select").first


def test_a_short_search_reaches_100_percent(page):
    _tab(page, "Search")
    budget = _field(page, "Budget / task")
    budget.fill("30")
    budget.press("Enter")
    page.get_by_role("button", name="Start").click()
    page.get_by_text("90 / 90 evaluations").first.wait_for(timeout=30_000)
    page.get_by_text("finished (budget)").first.wait_for(timeout=15_000)
    page.get_by_text("Results").first.wait_for(timeout=15_000)
    drawn = "const f = byTitle('Regret of the best so far'); return f ? f.data.filter(d => d.x && d.x.length).length : 0;"
    page.wait_for_function(js(drawn.replace("return f ?", "return (f ?").replace(": 0;", ": 0) >= 6;")),
                           timeout=15_000)
    assert page.evaluate(js(drawn)) == 6  # three tasks, against evaluations and against GPU-hours
    _screenshot(page, "search")


def test_stop_ends_a_long_run_within_2_s_and_keeps_its_evaluations(page):
    import re

    _tab(page, "Search")
    _field(page, "Algorithm").select_option("predictor")
    budget = _field(page, "Budget / task")
    budget.fill("15625")
    budget.press("Enter")
    page.get_by_role("button", name="Start").click()  # a GP fit per task and generation: minutes to the end
    page.get_by_text(re.compile(r"[1-9][\d,]* / 46,875 evaluations")).first.wait_for(timeout=30_000)
    started = time.monotonic()
    page.get_by_role("button", name="Stop").click()
    status = page.get_by_text(re.compile(r"stopped after [\d,]+ evaluations")).first
    status.wait_for(timeout=10_000)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"Stop took {elapsed:.2f} s"
    kept = int(re.search(r"stopped after ([\d,]+)", status.inner_text()).group(1).replace(",", ""))
    assert 0 < kept < 46_875
    options = _field(page, "Resumable").locator("option").all_inner_texts()
    assert any("predictor" in o for o in options)


def test_a_supernet_search_trains_in_the_browser(page):
    """Training mode with the DARTS supernet: the controls, the run, its results table."""
    _tab(page, "Search")
    _field(page, "Evaluation").select_option(label="train every candidate")
    _field(page, "Candidates").select_option(label="DARTS supernet (weight sharing)")
    page.locator(".widget-checkbox:visible:has-text('fashion-mnist') input").uncheck()
    for label, value in (("Width C", 4), ("Cells N", 3), ("Train images", 200), ("Valid images", 100),
                         ("Test images", 100), ("Budget / task", 8), ("Population", 4), ("Tournament", 2)):
        box = _field(page, label)
        box.fill(str(value))
        box.press("Enter")
    page.get_by_role("button", name="Start").click()
    page.get_by_text("finished (budget)").first.wait_for(timeout=120_000)
    page.get_by_text("Results").first.wait_for(timeout=15_000)
    assert page.get_by_text("normal:").count() >= 1  # the best DARTS-style cell of digits
    _screenshot(page, "training")


# the heatmap's numbers: (left, right, top, bottom) of each, and of each cell
HEATMAP_TEXT = """const el = plot('heatmap');
    const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; };
    return [...el.querySelectorAll('.heatmaplayer text, g.textpoint text, .texttemplate text')].map(box)
        .filter(b => b[1] > b[0]);"""


def test_the_transnas_benchmark_redraws_every_figure_and_its_numbers_fit(page):
    _tab(page, "Ranking disorder")
    select = page.locator(".widget-dropdown", has_text="Benchmark").locator("select").first
    select.select_option(label="TransNAS-Bench-101 micro (4,096 cells)")
    titles = js("return [...document.querySelectorAll('.js-plotly-plot')].map(e => String(e.layout.title.text || ''));")
    page.wait_for_function(js("const z = plot('heatmap').data[0].z; return z.length === 7;"), timeout=15_000)
    page.wait_for_function(js("return byTitle('best 30 cells land') && "
                              "byTitle('best 30 cells land').layout.title.text.includes('class_object');"),
                           timeout=15_000)
    shown = page.evaluate(titles)
    assert any("4,096 cells" in t for t in shown) and "Where class_object's best 30 cells land" in shown, shown
    bump = page.evaluate(js("return byTitle('best 30 cells land').layout.xaxis.ticktext;"))
    assert bump == ["<b>class_object</b>", "<b>autoencoder</b>"]
    page.wait_for_timeout(500)
    boxes = page.evaluate(js(HEATMAP_TEXT))
    assert len(boxes) == 49, len(boxes)
    width = page.evaluate(js("const L = plot('heatmap')._fullLayout; return L.xaxis._length / 7;"))
    for i, a in enumerate(boxes):
        assert a[1] - a[0] < width - 2, f"a number is wider ({a[1] - a[0]:.0f} px) than its cell ({width:.0f} px)"
        for b in boxes[i + 1:]:
            assert min(a[1], b[1]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[2], b[2]), (a, b)
    _screenshot(page, "disorder-transnas")
    select.select_option(label="NAS-Bench-201 (15,625 cells)")
    page.wait_for_function(js("return plot('heatmap').data[0].z.length === 3;"), timeout=15_000)


def test_every_asset_comes_from_the_server(page, voila_url):
    """No request leaves the server the page came from (no CDN): checked after every tab was open."""
    for title in ("Cells & embeddings", "Search", "Ranking disorder"):
        _tab(page, title)
    page.wait_for_timeout(1000)
    elsewhere = [u for u in page.requests if not u.startswith((voila_url, "blob:", "data:"))]
    assert not elsewhere, elsewhere
    assert any(u.startswith(voila_url) for u in page.requests)


#: what the browser's module loader logs when a widget extension asks for another version of a
#: JupyterLab package than the page ships ("Unsatisfied version 4.2.5 from _JUPYTERLAB.CORE_OUTPUT
#: of shared singleton module @jupyterlab/services (required ^7.6.2)", "No satisfying version ...")
VERSION_MISMATCH = ("Unsatisfied version", "No satisfying version")


def test_the_page_logs_no_version_mismatch(page):
    """Voilà's page and the widget extensions it loads agree on JupyterLab's packages (pyproject.toml
    pins the set): not one mismatch warning in the console."""
    assert any("Starting WebSocket" in text for _, text in page.console)  # the console was heard from the start
    mismatches = [f"{kind}: {text}" for kind, text in page.console if any(m in text for m in VERSION_MISMATCH)]
    assert not mismatches, f"{len(mismatches)} version mismatches:\n" + "\n".join(mismatches)
