"""The shared demo (``python -m widgets.hosting --demo``): what a visitor can and cannot do.

A visitor's page talks to its kernel through ``/api/kernels/<id>/channels``; anyone can open
that websocket by hand.  Code sent there (``execute_request``) must not run, while the widget
messages keep working; nothing but the app is served; two visitors at once each run searches
in their own folder and do not see each other's.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

jupyter_server = pytest.importorskip("jupyter_server")
from jupyter_server.services.kernels.connection.base import (deserialize_msg_from_ws_v1,  # noqa: E402
                                                             serialize_binary_message, serialize_msg_to_ws_v1)
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection  # noqa: E402
from tornado import web  # noqa: E402

from widgets import hosting  # noqa: E402

from .server import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, ROOT, hosted  # noqa: E402
from .visitors import RENDERED  # noqa: E402
SESSION = uuid.uuid4().hex


def _msg(msg_type: str, content: dict, channel: str = "shell") -> dict:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": SESSION, "username": "visitor",
              "date": "2025-01-01T00:00:00Z", "version": "5.3"}
    return {"channel": channel, "header": header, "parent_header": {}, "metadata": {}, "content": content,
            "buffers": []}


def _execute(code: str, channel: str = "shell") -> dict:
    return _msg("execute_request", {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                                    "allow_stdin": False, "stop_on_error": True}, channel)


def _v1(msg: dict) -> bytes:
    parts = [json.dumps(msg[k]).encode() for k in ("header", "parent_header", "metadata", "content")]
    return serialize_msg_to_ws_v1(parts + list(msg["buffers"]), msg["channel"])


def _json(msg: dict) -> str:
    return json.dumps({k: v for k, v in msg.items() if k != "buffers"})


# ---------------------------------------------------------------- the parts, without a server


@pytest.mark.parametrize("encode, protocol", [(_json, None), (serialize_binary_message, None),
                                              (_v1, hosting.V1)])
def test_message_route_reads_every_protocol(encode, protocol):
    for msg in (_execute("1"), _msg("comm_msg", {}), _msg("interrupt_request", {}, "control")):
        assert hosting.message_route(encode(msg), protocol) == (msg["channel"], msg["header"]["msg_type"])
    with_buffers = {**_msg("comm_msg", {}), "buffers": [b"abc", b"de"]}
    assert hosting.message_route(encode(with_buffers), protocol) == ("shell", "comm_msg")
    assert hosting.message_route(json.dumps({"header": {"msg_type": "comm_msg"}}), None) == ("shell", "comm_msg")


def test_frames_with_impossible_part_counts_are_dropped_at_once():
    # jupyter_server's readers trust the count at the start of a binary frame: 2**62 parts would stall the
    # server and take all memory.  Checked in a child process with capped memory, in case it ever regressed.
    probe = (
        "import resource; resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))\n"
        "from widgets.hosting import V1, message_route\n"
        "frames = [(2**62).to_bytes(8, 'little') + bytes(40), b'\\x7f\\xff\\xff\\xff' + bytes(12), b'\\x00garbage',"
        " b'', bytes(8) + b'{}', (3).to_bytes(8, 'little') + (99).to_bytes(8, 'little') * 3]\n"
        "print(sorted({message_route(f, p) for f in frames for p in (V1, None)}))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[('', '')]"


class _Connection(hosting.WidgetsOnlyConnection):
    kernel_id, subprotocol = "k-1", None  # what the websocket handler would give


def test_only_widget_messages_reach_the_kernel(monkeypatch):
    passed = []
    monkeypatch.setattr(ZMQChannelsWebsocketConnection, "handle_incoming_message",
                        lambda self, m: passed.append(json.loads(m)["header"]["msg_type"]))
    conn = _Connection()
    sent = [_execute("open('x', 'w')"), _execute("1", "control"), _msg("input_reply", {}, "stdin"),
            _msg("shutdown_request", {}, "control"), _msg("kernel_info_request", {}, "control"),
            *(_msg(t, {}) for t in ("comm_open", "comm_msg", "comm_close", "comm_info_request", "kernel_info_request",
                                    "inspect_request", "complete_request", "history_request"))]
    for m in sent:
        conn.handle_incoming_message(json.dumps(m))
    assert passed == ["comm_open", "comm_msg", "comm_close", "comm_info_request", "kernel_info_request"]


def test_a_visitor_past_the_limit_gets_no_kernel():
    km = hosting.LimitedKernelManager(max_kernels=1)
    km.list_kernel_ids = lambda: ["k-1"]
    with pytest.raises(web.HTTPError, match="the most it serves at once") as err:
        asyncio.run(km.start_kernel())
    assert err.value.status_code == 503 and "try again" in err.value.reason


def test_the_hosting_command_defaults_to_loopback_and_locks_voila_down(monkeypatch):
    for name in ("KTNAS_HOST", "KTNAS_PORT"):
        monkeypatch.delenv(name, raising=False)
    opts = hosting._parser().parse_args([])
    assert (opts.host, opts.port, opts.demo) == ("127.0.0.1", 8866, None)
    args = hosting.voila_args("app.ipynb", opts.host, opts.port, max_visitors=3, idle_timeout=600)
    for expected in ("--Voila.ip=127.0.0.1", "--VoilaConfiguration.strip_sources=True",
                     "--VoilaConfiguration.show_tracebacks=False", "--VoilaConfiguration.file_denylist=.*",
                     "--Voila.kernel_websocket_connection_class=widgets.hosting.WidgetsOnlyConnection",
                     "--LimitedKernelManager.max_kernels=3", "--MappingKernelManager.cull_idle_timeout=600"):
        assert expected in args
    with pytest.raises(SystemExit, match="--notebook 'nope.ipynb' is not a file"):
        hosting.main(["--notebook", "nope.ipynb"])


def test_a_server_setting_that_is_not_a_count_is_refused_with_what_0_means(monkeypatch):
    for name in ("KTNAS_RUNS_DIR", "KTNAS_DEMO", "KTNAS_PLOTLY_BUNDLE", "KTNAS_APP_KERNEL", "PYTHONPATH"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # main() sets them for its kernels: restored after
    for name, zero in (("KTNAS_PREHEAT_FILL_DELAY", "refill at once"), ("KTNAS_PREHEAT", "no pool"),
                       ("KTNAS_MAX_VISITORS", "no limit")):
        monkeypatch.setenv(name, "soon")
        with pytest.raises(SystemExit, match=rf"{name}='soon' is not a count; use a whole number \(0: {zero}\)"):
            hosting.main([])
        monkeypatch.delenv(name)


# ---------------------------------------------------------------- the real server


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.fixture(scope="module")
def demo():
    """``python -m widgets.hosting --demo`` on a free port: (url, runs root, log file)."""
    with tempfile.TemporaryDirectory() as tmp:
        runs, log = Path(tmp) / "runs", Path(tmp) / "voila.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KTNAS_")}  # the documented defaults
        with hosted(["--demo", f"--runs-dir={runs}"], env, log) as url:
            yield url, runs, log


def _kernel_of_a_new_visitor(url: str) -> str:
    """Open the page as a new visitor would (Voilà starts a kernel and runs the app); its kernel id."""
    with urllib.request.urlopen(url, timeout=60) as r:
        page = r.read().decode()
    assert "build_app" not in page  # sources stripped
    return re.search(r'"kernelId": "([0-9a-f-]+)"', page).group(1)


def _read(raw, protocol) -> dict:
    if protocol == hosting.V1:
        channel, parts = deserialize_msg_from_ws_v1(raw)
        return {"channel": channel, "header": json.loads(parts[0]), "parent_header": json.loads(parts[1]),
                "content": json.loads(parts[3])}
    return json.loads(raw)


def _exchange(url: str, kernel: str, protocol, msgs: list[dict], until, timeout: float = 20.0) -> list[dict]:
    """Send ``msgs`` through the kernel's websocket; what comes back until ``until(message)`` is true."""
    from websockets.sync.client import connect

    encode = _v1 if protocol == hosting.V1 else _json
    ws_url = url.replace("http://", "ws://") + f"api/kernels/{kernel}/channels?session_id={SESSION}"
    got = []
    with connect(ws_url, subprotocols=[protocol] if protocol else None, open_timeout=10) as ws:
        assert ws.subprotocol == protocol
        for m in msgs:
            ws.send(encode(m))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not any(until(m) for m in got):
            try:
                got.append(_read(ws.recv(timeout=1), protocol))
            except TimeoutError:
                continue
    return got


@pytest.mark.parametrize("protocol", [hosting.V1, None], ids=["v1-as-the-page", "legacy-json"])
def test_code_sent_to_the_kernel_does_not_run_but_widgets_answer(demo, protocol, tmp_path):
    url, _, log = demo
    kernel = _kernel_of_a_new_visitor(url)
    flag = tmp_path / "pwned"
    attack = [_execute(f"open({str(flag)!r}, 'w').write('ran')"),
              _execute(f"open({str(flag)!r}, 'w').write('ran')", "control"),
              _msg("comm_info_request", {})]
    got = _exchange(url, kernel, protocol, attack, until=lambda m: m["header"]["msg_type"] == "comm_info_reply")
    comms = next(m["content"]["comms"] for m in got if m["header"]["msg_type"] == "comm_info_reply")
    assert len(comms) > 20  # the app's widgets live in this kernel
    # a widget message passes: asking one widget for its state gets its state back
    widget = next(c for c, info in comms.items() if info["target_name"] == "jupyter.widget")
    def state_of_widget(m):
        return m["header"]["msg_type"] == "comm_msg" and m["content"]["comm_id"] == widget and \
            m["content"]["data"]["method"] == "update"

    ask = _msg("comm_msg", {"comm_id": widget, "data": {"method": "request_state"}})
    got += _exchange(url, kernel, protocol, [ask], until=state_of_widget)
    assert any(state_of_widget(m) for m in got)
    time.sleep(1.0)  # what the kernel would have done, it has done by now
    assert not flag.exists()
    assert not [m for m in got if m["parent_header"].get("msg_type") == "execute_request"]  # no reply, no output
    assert "dropped a 'execute_request' message on the 'control' channel" in log.read_text()


def test_nothing_but_the_app_is_served(demo):
    url, _, _ = demo
    assert _status(url + "voila/files/docs/img/app-search.png") == 403  # plain Voilà serves images from its root
    for path in ("api/contents", "api/terminals", "terminals/1", "tree", "lab", "api/kernels", "api/sessions",
                 "voila/files/notebooks/app.ipynb", "voila/files/README.md", "voila/tree"):
        assert _status(url + path) in (403, 404, 405), path


def _page_within(url: str, seconds: float) -> tuple[int, str] | None:
    """Status and body of ``url``, or None if the whole answer takes longer than ``seconds`` (Voilà
    keeps a page it cannot build open with a heartbeat every few seconds: no read times out)."""
    got = []

    def fetch():
        with urllib.request.urlopen(url, timeout=seconds) as r:
            got.append((r.status, r.read().decode()))

    reader = threading.Thread(target=fetch, daemon=True)
    reader.start()
    reader.join(seconds)
    return got[0] if got else None


@pytest.mark.parametrize("query", ["?template=nope", "?template=../../../../../../tmp", "?theme=../../nope"])
def test_a_visitor_cannot_pick_the_template_or_theme(demo, query):
    """The app's own page, whatever the URL asks for: an unknown template used to leave the page
    loading forever while its kernel waited three minutes to be culled."""
    url, _, log = demo
    answer = _page_within(url + query, 150)
    assert answer is not None, f"{query}: no page within 150 s"
    status, page = answer
    assert status == 200 and "application/vnd.jupyter.widget-view+json" in page, query
    assert "TemplateNotFound" not in log.read_text()


# ---------------------------------------------------------------- two visitors in a real browser


def _field(page, label: str):
    box = page.locator(f".widget-inline-hbox:visible:has(> label:text-is('{label}'))").first
    return box.locator("input, select").first


def _open_search(page, url: str) -> None:
    page.goto(url, timeout=90_000)
    page.wait_for_function(RENDERED, timeout=90_000)
    page.locator(".lm-TabBar-tab, .p-TabBar-tab", has_text="Search").first.click()
    _field(page, "Budget / task").wait_for(timeout=30_000)


@pytest.mark.browser
def test_two_visitors_run_at_once_and_do_not_see_each_others_runs(demo):
    url, runs, log = demo
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    logged = len(log.read_text())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            pages = [browser.new_context(viewport={"width": 1400, "height": 1400}).new_page() for _ in range(2)]
            frames = []  # (websocket url, whether the frame is binary) of what the first page sends

            def watch(ws):
                ws.on("framesent", lambda payload: frames.append((ws.url, isinstance(payload, bytes))))

            pages[0].on("websocket", watch)
            for page in pages:
                _open_search(page, url)
            # the page sends through /api/kernels/<id>/channels in binary frames: the v1 protocol the test above uses
            sent = [binary for u, binary in frames if re.search(r"/api/kernels/[0-9a-f-]+/channels", u)]
            assert sent and all(sent)
            assert _field(pages[0], "Evaluation").is_disabled()  # no training on the demo
            budget = _field(pages[0], "Budget / task")
            budget.fill("5000")
            budget.press("Enter")
            pages[0].get_by_role("button", name="Start").click()
            pages[0].get_by_text("lower the budget to at most 1,000").first.wait_for(timeout=15_000)
            for seed, page in enumerate(pages):  # a GP fit per generation: both go for minutes unless stopped
                _field(page, "Algorithm").select_option("predictor")
                _field(page, "Seed").fill(str(seed))
                _field(page, "Seed").press("Enter")
                budget = _field(page, "Budget / task")
                budget.fill("1000")
                budget.press("Enter")
                page.get_by_role("button", name="Start").click()
            names = []
            for seed, page in enumerate(pages):
                shown = re.compile(rf"visitor-[0-9a-f]+/predictor-nb201-s{seed}-1")
                running = page.get_by_text(re.compile("running " + shown.pattern)).first
                running.wait_for(timeout=30_000)
                names.append(shown.search(running.inner_text()).group(0))
                page.get_by_text(re.compile(r"[1-9][\d,]* / 3,000 evaluations")).first.wait_for(timeout=60_000)
            assert all("· running" in page.locator(".widget-html", has_text="evaluations").first.inner_text()
                       for page in pages)  # both going at the same time
            for page in pages:
                page.get_by_role("button", name="Stop").click()
            for page in pages:
                page.get_by_text(re.compile(r"stopped after [\d,]+ evaluations")).first.wait_for(timeout=30_000)
            listed = [[o.replace("\xa0", " ") for o in _field(page, "Resumable").locator("option").all_inner_texts()]
                      for page in pages]
            _screenshot(pages[1])
        finally:
            browser.close()
    assert names[0].split("/")[0] != names[1].split("/")[0]  # a folder per visitor
    for own, options in zip(names, listed):  # each lists its own stopped run, not the other's
        assert options == [f"{own.split('/')[1]} (stopped)"]
    on_disk = sorted(str(p.relative_to(runs)) for p in runs.glob("visitor-*/*") if p.is_dir())
    assert on_disk == sorted(names)
    assert "dropped" not in log.read_text()[logged:]  # the filter let through everything the real pages sent


def _screenshot(page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-visitor.png"), full_page=True)
