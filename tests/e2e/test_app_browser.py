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
from .visitors import RENDERED

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")  # closed after this module: later tests may run their own event loop
def voila_url(chromium):
    """The app as ``make app`` serves it (``python -m widgets.hosting``), runs in a temporary folder;
    its pool holds the one kernel this module's one page takes and is not refilled (a kernel built
    for no one costs CI's 2 cores about 4 s)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KTNAS_RUNS_DIR": str(Path(tmp) / "runs"), "KTNAS_PREHEAT": "1",
               "KTNAS_PREHEAT_FILL_DELAY": "3600"}
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
            pg.wait_for_function(RENDERED, timeout=60_000)
            pg.render_seconds = time.monotonic() - started
            pg.requests_at_render = len(pg.requests)
            yield pg
        finally:
            browser.close()


# The plotly plot in the page whose first trace has the given type, e.g. plot('heatmap'); the plotly
# plot whose title has the given text; the drawn point cloud (widgets.point_cloud) whose title has it.
JS_PLOT = """const plot = (type) => [...document.querySelectorAll('.js-plotly-plot')]
                 .find(el => el.data && el.data.length && el.data[0].type === type);
             const byTitle = (t) => [...document.querySelectorAll('.js-plotly-plot')]
                 .find(el => el.layout && el.layout.title && String(el.layout.title.text || '').includes(t));
             const cloud = (t) => [...document.querySelectorAll('.ktnas-cloud')].map(el => el.ktnasCloud)
                 .find(c => c && c.count && c.title.includes(t));
             const svgFig = (t) => [...document.querySelectorAll('.ktnas-svg')]
                 .find(el => el.ktnasSvg && el.querySelector('svg') && el.ktnasSvg.title.includes(t));"""
SCATTER, HEATMAP = "cloud('Rank vs rank')", "svgFig('Kendall')"


def js(body: str, arg: str = "") -> str:
    """A page function with ``plot(type)`` in scope."""
    return f"({arg}) => {{ {JS_PLOT} {body} }}"


def test_app_renders_and_reacts(page):
    page.wait_for_function(RENDERED, timeout=60_000)
    n_points = page.evaluate(js(f"const s = {SCATTER}; return [s.values('x').length, s.values('y').length];"))
    assert n_points == [15_625, 15_625]
    assert page.evaluate(js(f"return {HEATMAP}.querySelectorAll('[data-pick]').length;")) == 9  # 3 x 3 pairs
    assert not any("plotly" in u for u in page.requests[:page.requests_at_render])  # the first tab needs none
    assert page.get_by_text("ktnas: cross-task NAS explorer").is_visible()
    assert page.get_by_text("Kendall τ =").first.is_visible()

    scatter_y = js(f"return {SCATTER}.values('y');")
    before = page.evaluate(scatter_y)
    target = page.locator(".widget-dropdown", has_text="Target task").locator("select")
    target.select_option("cifar100")
    changed = f"const y = {SCATTER}.values('y'); return y.length === b.length && y.some((v, i) => v !== b[i]);"
    page.wait_for_function(js(changed, "b"), arg=before, timeout=15_000)
    page.get_by_text("cifar10 → cifar100").first.wait_for(timeout=15_000)
    assert page.evaluate(scatter_y) == benchmarks.load("nb201").ranks("cifar100", "valid_accuracy").tolist()

    ARTIFACTS.mkdir(exist_ok=True)
    # Voilà scrolls an inner panel, not the page: grow the viewport to the app's height instead
    bottom = page.evaluate("() => document.querySelector('.widget-tab').getBoundingClientRect().bottom")
    page.set_viewport_size({"width": 1360, "height": int(bottom) + 40})
    page.wait_for_timeout(500)  # let plotly finish drawing the bump chart and heatmap
    page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)


def test_pointing_at_a_scatter_point_names_that_cell_and_its_ranks(page):
    """The page is not sent 15,625 cell strings: hovering a point asks the kernel, which names the cell."""
    page.wait_for_function(js(f"return !!{SCATTER};"), timeout=60_000)
    where = page.evaluate(js(f"return {SCATTER}.position(1234);"))  # cell 1,234's dot, or one beside it
    page.mouse.move(where["x"], where["y"])
    line = page.locator(".widget-html", has_text="rank").filter(has=page.locator("code")).first
    line.wait_for(timeout=15_000)
    pair = [page.locator(".widget-dropdown", has_text=f"{end} task").locator("select").input_value()
            for end in ("Source", "Target")]  # the pair the earlier tests left
    m = re.search(rf"cell ([\d,]+) (\S+): rank ([\d,]+) on {pair[0]}, ([\d,]+) on {pair[1]}", line.inner_text())
    assert m, (pair, line.inner_text())
    b, index = benchmarks.load("nb201"), int(m.group(1).replace(",", ""))
    assert m.group(2) == str(b.space.from_index(index))
    assert [int(g.replace(",", "")) for g in m.group(3, 4)] == [int(b.ranks(t, "valid_accuracy")[index]) for t in pair]
    label = page.locator(".ktnas-cloud-tip").first.text_content()
    assert f"cell {index:,}" in label and "source rank" in label, label  # the figure's own tooltip, the same cell


def test_heatmap_click_picks_the_pair(page):
    page.wait_for_function(js(f"return !!{HEATMAP};"), timeout=60_000)
    # the centre of row 2 (ImageNet16-120, source) x column 1 (cifar100, target), in page pixels
    xy = page.evaluate(js(f"""const r = {HEATMAP}.querySelector('[data-pick="2,1"] rect').getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2];"""))
    page.mouse.move(*xy)
    tip = page.locator(".ktnas-svg-tip").first
    tip.wait_for(timeout=5_000)
    assert "source ImageNet16-120" in tip.text_content() and "target cifar100" in tip.text_content()
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


MAP = "cloud('of the node2vec embedding, all 15,625')"


def test_clicking_a_map_point_shows_that_cell(page):
    import numpy as np
    from scipy.spatial import cKDTree

    from ktnas_core import projection

    _tab(page, "Cells & embeddings")
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.wait_for_function(js(f"const m = {MAP}; return !!(m && m.count === 15625);"), timeout=30_000)
    xy = np.asarray(projection.project("nb201", "node2vec", "pca"), dtype=float)  # the app opens on the PCA
    gaps = cKDTree(xy).query(xy, k=2)[0][:, 1]
    i = int(np.argmax(gaps))  # the most isolated cell: a click on it can hit no other
    where = page.evaluate(js(f"const p = {MAP}.position(i); return [p.x, p.y];", "i"), i)
    page.mouse.move(*where)
    page.get_by_text(f"cell {i:,} ").first.wait_for(timeout=15_000)  # the pointed-cell line names it
    page.mouse.click(*where)
    page.get_by_text(f"cell #{i:,}").first.wait_for(timeout=15_000)
    _screenshot(page, "cells")


def test_the_map_selects_by_box_and_lasso_zooms_resets_and_saves_a_png(page):
    """The canvas map's toolbar: a box or a lasso lists the cells inside; zoom and reset move the view;
    PNG saves the picture."""
    _tab(page, "Cells & embeddings")
    page.wait_for_function(js(f"const m = {MAP}; return !!(m && m.count === 15625);"), timeout=30_000)
    root = page.locator(".ktnas-cloud:visible").first  # the tab's map (the other tabs' are hidden)
    overlay = root.locator(".ktnas-cloud-overlay")
    box = overlay.bounding_box()
    centre = (box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)

    def drag(points):
        page.mouse.move(*points[0])
        page.mouse.down()
        for p in points[1:]:
            page.mouse.move(*p, steps=4)
        page.mouse.up()

    root.hover()
    root.locator("button", has_text="Box").click()
    drag([(centre[0] - 60, centre[1] - 50), (centre[0] + 60, centre[1] + 50)])
    n = page.evaluate(js(f"return {MAP}.selection;"))  # the page's own count, at once
    assert n > 10
    # the kernel's list of them follows ("no cells selected" is there before: wait for the count)
    page.locator(".widget-html", has_text=f"{n:,} cells selected").first.wait_for(timeout=15_000)
    root.locator("button", has_text="Lasso").click()
    drag([(centre[0], centre[1] - 40), (centre[0] + 40, centre[1] + 30), (centre[0] - 40, centre[1] + 30)])
    page.wait_for_function(js(f"return {MAP}.selection !== n;", "n"), arg=n, timeout=15_000)
    m = page.evaluate(js(f"return {MAP}.selection;"))
    page.locator(".widget-html", has_text=f"{m:,} cells selected").first.wait_for(timeout=15_000)
    assert 0 < m < n  # a triangle inside the box

    before = page.evaluate(js(f"return {MAP}.position(0);"))
    root.locator("button", has_text="Zoom").click()
    drag([(centre[0] - 80, centre[1] - 80), (centre[0] + 80, centre[1] + 80)])
    zoomed = page.evaluate(js(f"return {MAP}.position(0);"))
    assert zoomed != before
    root.locator("button", has_text="Reset").click()
    assert page.evaluate(js(f"return {MAP}.position(0);")) == before
    page.mouse.dblclick(*centre)  # clears the selection
    page.get_by_text("no cells selected").first.wait_for(timeout=15_000)

    with page.expect_download() as download:
        root.locator("button", has_text="PNG").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".png") and Path(path).read_bytes()[:4] == b"\x89PNG"
    assert Path(path).stat().st_size > 20_000


def test_compare_mode_draws_both_cells_at_one_scale(page):
    """Cell B used to be drawn at about half of cell A's size (its panel kept a range widened
    while it was hidden)."""
    _tab(page, "Cells & embeddings")
    page.locator(".widget-checkbox:visible", has_text="compare with").locator("input").check()
    cell = "svgFig('Cell A vs cell B')"
    page.wait_for_function(js(f"const f = {cell}; return !!f && f.querySelectorAll('g.panel').length === 2;"),
                           timeout=15_000)
    # each panel's four nodes as drawn in the page, and the gaps between them: px
    sizes = page.evaluate(js(f"""return [...{cell}.querySelectorAll('g.panel')].map(p => {{
        const boxes = [...p.querySelectorAll('circle')].map(c => c.getBoundingClientRect());
        return boxes.map(r => [r.width, r.height]).concat(boxes.slice(1).map((r, i) => [r.left - boxes[i].left, 0]));
        }});"""))
    a, b = sizes
    assert a == b and a[0][0] > 25 and a[4][0] > 120, sizes  # cell B at cell A's scale, as large as drawn alone
    edge = page.evaluate(js(f"""const r = {cell}.querySelectorAll('g.panel')[1].querySelector('g.edge rect')
        .getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];"""))
    page.mouse.move(*edge)
    page.locator(".ktnas-svg-tip", has_text="edge 0→1:").first.wait_for(timeout=5_000)  # pointing names the edge
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
    drawn = "const f = svgFig('Regret of the best so far'); return f ? f.querySelectorAll('path.line').length : 0;"
    page.wait_for_function(js(drawn.replace("return f ?", "return (f ?").replace(": 0;", ": 0) >= 6;")),
                           timeout=15_000)
    assert page.evaluate(js(drawn)) == 6  # three tasks, against evaluations and against GPU-hours
    tips = page.evaluate(js("return [...svgFig('Regret of the best so far').querySelectorAll('circle[data-tip]')]"
                            ".map(c => c.dataset.tip);"))
    assert any(t.startswith("cifar10 (ktnas seed 0)") and "30 evaluations: regret" in t for t in tips), tips[:3]
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


# the heatmap's numbers and their squares: (left, right, top, bottom) of each
HEATMAP_TEXT = f"""const el = {HEATMAP};
    const box = (e) => {{ const r = e.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; }};
    return [...el.querySelectorAll('[data-pick]')].map(g => [box(g.querySelector('text')), box(g.querySelector('rect'))]);"""


def test_the_transnas_benchmark_redraws_every_figure_and_its_numbers_fit(page):
    _tab(page, "Ranking disorder")
    select = page.locator(".widget-dropdown", has_text="Benchmark").locator("select").first
    select.select_option(label="TransNAS-Bench-101 micro (4,096 cells)")
    titles = js("return [...document.querySelectorAll('.ktnas-cloud')].map(e => e.ktnasCloud.title)"
                ".concat([...document.querySelectorAll('.ktnas-svg')].map(e => e.ktnasSvg.title));")
    page.wait_for_function(js(f"return {HEATMAP}.querySelectorAll('[data-pick]').length === 49;"), timeout=15_000)
    page.wait_for_function(js("const b = svgFig('best 30 cells land'); return !!b && b.ktnasSvg.title.includes('class_object');"),
                           timeout=15_000)
    shown = page.evaluate(titles)
    assert any("4,096 cells" in t for t in shown) and "Where class_object's best 30 cells land" in shown, shown
    bump = page.evaluate(js("return [...svgFig('best 30 cells land').querySelectorAll('text')].map(t => t.textContent);"))
    assert "class_object" in bump and "autoencoder" in bump, bump  # the two columns' names
    boxes = page.evaluate(js(HEATMAP_TEXT))
    assert len(boxes) == 49, len(boxes)
    for i, (a, square) in enumerate(boxes):
        assert square[0] < a[0] and a[1] < square[1] and square[2] < a[2] and a[3] < square[3], (a, square)
        for b, _ in boxes[i + 1:]:
            assert min(a[1], b[1]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[2], b[2]), (a, b)
    _screenshot(page, "disorder-transnas")
    select.select_option(label="NAS-Bench-201 (15,625 cells)")
    page.wait_for_function(js(f"return {HEATMAP}.querySelectorAll('[data-pick]').length === 9;"), timeout=15_000)


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
