"""Serve the app with Voilà so that it is safe to share: ``python -m widgets.hosting [--demo]``.

What a visitor can reach, and what is shut:

* Voilà runs ``notebooks/app.ipynb`` itself, on the server; the page gets the widgets, never
  the sources (``strip_sources``) nor tracebacks.  Voilà serves one notebook: no file
  browser, no terminals, no contents API; its static-file route serves no file here
  (``file_denylist`` is ``.*``).
* The page talks to its kernel through a websocket.  :class:`WidgetsOnlyConnection` passes on
  only the messages widgets need (``comm_open``, ``comm_msg``, ``comm_close``,
  ``comm_info_request`` and ``kernel_info_request`` on the shell channel); an
  ``execute_request`` (code of the visitor's choosing), ``input_reply`` or any control message
  is dropped before it reaches the kernel, and logged.  Voilà's own list of allowed message
  types does the same a second time.
* It binds 127.0.0.1 unless ``--host`` says otherwise (then put it behind a TLS proxy).
* ``--demo`` (or ``KTNAS_DEMO=1``): each visitor (each kernel) gets its own runs folder and
  the limits of :mod:`ktnas_core.runs.rundirs`; a visitor past ``KTNAS_MAX_VISITORS``
  (default 8 in demo mode) gets a polite 503, and kernels idle for ``KTNAS_IDLE_TIMEOUT``
  seconds (default 1800) are shut down even with their page open.
* Every page is served from this server alone (:class:`AppPageHandler` drops the icon CSS
  Voilà's template asks of a public CDN: the same icons ship in Voilà's own style bundle),
  and plotly's widget code is one cached file (:data:`PLOTLY_BUNDLE_URL`), not a copy inside
  every figure's state.

Kernels come and go with their pages:

* A closing page asks Voilà to shut its kernel down; that request needs the page's ``_xsrf``
  cookie, which Voilà never sets (voila-dashboards/voila#1458), so it was refused.
  :class:`AppPageHandler` sets it.
* As a safety net, a kernel with no page connected for ``KTNAS_UNCONNECTED_TIMEOUT`` seconds
  (default 60; a closed tab, a crashed browser) is shut down; an open page keeps its kernel
  until the idle timeout above.  A page that has not yet connected at all gets
  ``KTNAS_FIRST_CONNECT_TIMEOUT`` seconds (default 180): with several visitors arriving at once
  on a small server, a page's scripts may take over a minute to start.
* ``KTNAS_PREHEAT`` kernels (default 2, at most the visitor limit) wait in a pool with the
  app already built, so a page opens without waiting for Python to import and build it.
  Each still builds its own app (and, in demo mode, its own runs folder) before it is handed
  to one visitor; pooled kernels do not count as visitors.  A kernel started for the pool
  runs at a lower CPU priority (``KTNAS_PREHEAT_NICE``, default 10) until a page connects to
  it, so that refilling the pool right after a visitor arrives does not slow that visitor's
  page down; raising it back needs the right to (root or CAP_SYS_NICE), otherwise it keeps
  the lower priority, as do the refills.
* The page loads only the browser extensions the app needs (:data:`EXTENSION_DENYLIST`
  leaves out plotly's JupyterLab renderer, 4.8 MB of JavaScript the figures do not use).

>>> args = voila_args("app.ipynb", "127.0.0.1", 8866, max_visitors=8, idle_timeout=1800)
>>> "--VoilaConfiguration.strip_sources=True" in args, "--Voila.ip=127.0.0.1" in args
(True, True)
>>> "--VoilaConfiguration.extension_denylist=jupyterlab-plotly" in args, "--LimitedKernelManager.preheat_nice=10" in args
(True, True)
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import sys
import time
import uuid
from pathlib import Path

import plotly
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import PeriodicCallback
from traitlets import Integer
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

__all__ = ["ALLOWED", "AppPageHandler", "KtnasVoila", "LimitedKernelManager", "PLOTLY_BUNDLE_URL",
           "PlotlyBundleHandler", "WidgetsOnlyConnection", "main", "message_route", "voila_args"]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "app.ipynb"
V1 = "v1.kernel.websocket.jupyter.org"
#: (channel, message type) pairs a visitor's page may send to its kernel: what widgets need
ALLOWED = frozenset(("shell", t) for t in ("comm_open", "comm_msg", "comm_close", "comm_info_request",
                                           "kernel_info_request"))
#: server limits in demo mode: kernels at once, and seconds before an idle kernel is shut down
DEMO_MAX_VISITORS, DEMO_IDLE_TIMEOUT = 8, 1800
#: seconds a kernel may have no page connected before it is shut down; preheated kernels kept ready
UNCONNECTED_TIMEOUT, PREHEAT = 60, 2
#: seconds a new visitor's page has to connect to its kernel the first time (with many visitors
#: arriving at once on a small server, a page's scripts can take over a minute to start)
FIRST_CONNECT_TIMEOUT = 180
#: where the page loads plotly's widget code from, relative to the server's base URL (one file
#: for every figure; :class:`widgets.style.FigureWidget` imports it)
PLOTLY_BUNDLE_URL = "ktnas/static/plotly-widget.js"
#: CPU priority (nice) of a kernel started for the pool, until a page connects to it
PREHEAT_NICE = 10
#: JupyterLab extensions the page does not load: plotly's renderer of plotly JSON outputs (the
#: app's FigureWidgets bring their own code, :data:`PLOTLY_BUNDLE_URL`), code highlighting
#: (sources are stripped), the JupyterLab preview button
EXTENSION_DENYLIST = ("jupyterlab-plotly", "jupyterlab_pygments", "@voila-dashboards/jupyterlab-preview")
#: the <link>s of Voilà's lab template that fetch icon CSS from a public CDN
_CDN_LINK = re.compile(r"<link[^>]*https://cdn\.jsdelivr\.net/[^>]*>\s*")


def _offsets(ws_msg: bytes, width: int, order: str, least: int) -> list[int] | None:
    """The part offsets at the start of a binary frame, or None if they cannot be right.

    jupyter_server's own readers trust the count in the first bytes and loop (or build a format
    string) that many times: a frame claiming 2**60 parts would stall the server and eat its memory.
    """
    n = int.from_bytes(ws_msg[:width], order)
    if not least <= n <= len(ws_msg) // width - 1:
        return None
    offsets = [int.from_bytes(ws_msg[width * (i + 1):width * (i + 2)], order) for i in range(n)]
    return offsets if offsets == sorted(offsets) and offsets[-1] <= len(ws_msg) else None


def message_route(ws_msg, subprotocol: str | None) -> tuple[str, str]:
    """``(channel, msg_type)`` of a message from the page, in either websocket protocol of
    jupyter_server; ``("", "")`` when it cannot be read (such a message is dropped)."""
    try:
        if subprotocol == V1:  # offsets (8-byte little-endian): channel, header, parent, metadata, content, ...
            at = _offsets(ws_msg, 8, "little", 3)
            if at is None:
                return "", ""
            channel, header = ws_msg[at[0]:at[1]].decode(), json.loads(ws_msg[at[1]:at[2]])
        else:
            if isinstance(ws_msg, bytes):  # offsets (4-byte big-endian): the JSON message, then buffers
                at = _offsets(ws_msg, 4, "big", 1)
                if at is None:
                    return "", ""
                msg = json.loads(ws_msg[at[0]:at[1] if len(at) > 1 else None])
            else:
                msg = json.loads(ws_msg)
            channel, header = msg.get("channel") or "shell", msg["header"]  # jupyter_server's default: shell
        return str(channel), str(header["msg_type"])
    except Exception:  # noqa: BLE001 - anything unreadable is simply not allowed
        return "", ""


class WidgetsOnlyConnection(ZMQChannelsWebsocketConnection):
    """The kernel websocket of jupyter_server, passing on only the messages in :data:`ALLOWED`.

    Set as ``Voila.kernel_websocket_connection_class``; everything else a page sends (above
    all ``execute_request``) never reaches the kernel.
    """

    def handle_incoming_message(self, incoming_msg) -> None:
        route = message_route(incoming_msg, self.subprotocol)
        if route not in ALLOWED:
            self.log.warning("ktnas: dropped a %r message on the %r channel of kernel %s (only widget "
                             "messages are passed on)", route[1] or "unreadable", route[0], self.kernel_id)
            return
        super().handle_incoming_message(incoming_msg)


class LimitedKernelManager(AsyncMappingKernelManager):
    """Voilà's kernel manager, with a visitor limit and kernels that go when their page goes.

    A visitor is a kernel handed to a page: kernels preheated in Voilà's pool are not counted.
    A kernel that has had no page connected for :attr:`unconnected_timeout` seconds (and is not
    running the notebook, and is not in the pool) is shut down: its page was closed.
    """

    max_kernels = Integer(0, config=True, help="Visitors at once (one kernel each); 0: no limit.")
    preheat_nice = Integer(PREHEAT_NICE, config=True,
                           help="Nice value of a kernel started for the pool until a page connects; 0: no change.")
    first_connect_timeout = Integer(FIRST_CONNECT_TIMEOUT, config=True,
                                    help="Seconds a visitor's page has to connect the first time (at least "
                                         "unconnected_timeout).")
    unconnected_timeout = Integer(UNCONNECTED_TIMEOUT, config=True,
                                  help="Seconds without a connected page before a kernel is shut down; 0: never.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._alone_since: dict[str, float] = {}  # kernel id -> when it last had no page connected
        self._connected_once: set[str] = set()  # kernels a page has connected to
        self._starting_for_pool: set[str] = set()  # pool kernels whose start is under way

    # -- who is a visitor --------------------------------------------------------------
    def pooled_ids(self) -> set[str]:
        """Kernels of Voilà's preheat pool (starting, or waiting for a visitor)."""
        ids = set(self._starting_for_pool)  # a refill being started is no visitor either
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    ids.add(task.result()["kernel_id"])
        return ids

    def visitor_ids(self) -> list[str]:
        """Kernels that belong to a visitor's page."""
        pooled = self.pooled_ids()
        return [k for k in self.list_kernel_ids() if k not in pooled]

    def check_capacity(self) -> None:
        """Raise a 503 :class:`tornado.web.HTTPError` if the visitor limit is reached."""
        if self.max_kernels and len(self.visitor_ids()) >= self.max_kernels:
            raise web.HTTPError(503, f"the app has {self.max_kernels} visitors, the most it serves at once "
                                     "(KTNAS_MAX_VISITORS)",
                                reason="Too many visitors right now; try again in a few minutes")

    async def start_kernel(self, *args, **kwargs):
        preheat = str((kwargs.get("env") or {}).get("VOILA_PREHEAT", "")).lower() == "true"
        if not preheat:  # a kernel for a visitor's page (the pool was empty): one more visitor
            self.check_capacity()
        if preheat:  # its id known before it starts: until it is in the pool, it must not count as a visitor
            self._starting_for_pool.add(kwargs.setdefault("kernel_id", str(uuid.uuid4())))
        try:
            kernel_id = await super().start_kernel(*args, **kwargs)
        finally:
            if preheat:
                self._starting_for_pool.discard(kwargs["kernel_id"])
        self._alone_since[kernel_id] = time.monotonic()
        if preheat and self.preheat_nice:
            self._renice(kernel_id, self.preheat_nice)
        return kernel_id

    def _renice(self, kernel_id: str, nice: int) -> bool:
        """Set the CPU priority of every thread of a kernel's process; False if not allowed."""
        kernel = self._kernels.get(kernel_id)
        pid = getattr(getattr(getattr(kernel, "provisioner", None), "process", None), "pid", None)
        if pid is None:
            return False
        try:
            for _ in range(2):  # threads started while the first pass ran inherit the old value
                for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else [pid]:
                    os.setpriority(os.PRIO_PROCESS, int(tid), nice)
        except PermissionError:
            if not getattr(self, "_renice_refused", False):
                self._renice_refused = True
                self.log.info("ktnas: may not raise a kernel's CPU priority back (needs CAP_SYS_NICE); "
                              "visitors' kernels keep nice %d", self.preheat_nice)
            return False
        except (OSError, ValueError):  # the process is gone
            return False
        self._reniced = getattr(self, "_reniced", set())
        (self._reniced.add if nice else self._reniced.discard)(kernel_id)
        return True

    # -- kernels whose page is gone ----------------------------------------------------
    def notify_connect(self, kernel_id):
        super().notify_connect(kernel_id)
        self._alone_since.pop(kernel_id, None)
        self._connected_once.add(kernel_id)
        if kernel_id in getattr(self, "_reniced", ()):  # a visitor's page: its kernel at full priority
            self._renice(kernel_id, 0)

    def notify_disconnect(self, kernel_id):
        super().notify_disconnect(kernel_id)
        if self._kernel_connections.get(kernel_id, 0) <= 0 and kernel_id in self._kernels:
            self._alone_since[kernel_id] = time.monotonic()

    def ready_ids(self) -> set[str]:
        """Pooled kernels that have built the app (a visitor's page opens at once)."""
        ids = set()
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    content = task.result()
                    if content["task"].done():
                        ids.add(content["kernel_id"])
        return ids

    def _log_pool(self) -> None:
        ready = len(self.ready_ids())
        if ready != getattr(self, "_ready_logged", 0):
            self._ready_logged = ready
            self.log.info("ktnas: %d preheated kernel(s) ready", ready)

    def initialize_culler(self):
        """Jupyter's culler runs only with an idle timeout; ours also culls pageless kernels.
        Also logs how many preheated kernels are ready, as that changes."""
        if getattr(self, "_pool_logger", None) is None:
            self._pool_logger = PeriodicCallback(self._log_pool, 500)
            self._pool_logger.start()
        if not self._initialized_culler and self._culler_callback is None and self.unconnected_timeout > 0 \
                and self.cull_idle_timeout <= 0:
            self._culler_callback = PeriodicCallback(self.cull_kernels, 1000 * max(1, self.cull_interval))
            self._culler_callback.start()
            self._initialized_culler = True
        super().initialize_culler()

    async def cull_kernels(self):
        now = time.monotonic()
        for kernel_id in self.pooled_ids():  # waiting for a visitor is not being abandoned
            self._alone_since[kernel_id] = now
        for kernel_id in list(self._alone_since):
            if kernel_id not in self._kernels:
                self._alone_since.pop(kernel_id, None)
        await super().cull_kernels()

    async def cull_kernel_if_idle(self, kernel_id):
        kernel = self._kernels.get(kernel_id)
        if kernel is None:
            return
        since = self._alone_since.get(kernel_id)
        if since is not None and getattr(kernel, "execution_state", None) == "busy":
            since = self._alone_since[kernel_id] = time.monotonic()  # still running the notebook for its page
        limit = self.unconnected_timeout if kernel_id in self._connected_once else \
            max(self.unconnected_timeout, self.first_connect_timeout)
        if self.unconnected_timeout > 0 and since is not None and self._kernel_connections.get(kernel_id, 0) <= 0 \
                and time.monotonic() - since > limit:
            self.log.info("ktnas: shutting down kernel %s: no page connected for %.0f s (closed)", kernel_id,
                          time.monotonic() - since)
            await self.shutdown_kernel(kernel_id)
            return
        if self.cull_idle_timeout > 0:
            await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        self._alone_since.pop(kernel_id, None)
        self._connected_once.discard(kernel_id)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)


class AppPageHandler(TornadoVoilaHandler):
    """Voilà's page, refused past the visitor limit, with the ``_xsrf`` cookie that the page's
    kernel-shutdown request needs, and nothing fetched from another server."""

    @web.authenticated
    async def get(self, path=None):
        self.kernel_manager.check_capacity()
        self.xsrf_token  # noqa: B018 - reading it sets the _xsrf cookie (voila-dashboards/voila#1458)
        # plotly's code is fetched and run as soon as it arrives, while the page's own scripts load
        # and connect to the kernel; the figures' views then import the module already run
        preload = f'<script type="module" async src="{self.base_url}{PLOTLY_BUNDLE_URL}"></script>\n'
        async for html in self.get_generator(path=path):
            if preload and "<head>" in html:
                html, preload = html.replace("<head>", "<head>\n" + preload, 1), ""
            self.write(_CDN_LINK.sub("", html))
            self.flush()


class PlotlyBundleHandler(web.StaticFileHandler):
    """plotly's widget code (``plotly/package_data/widgetbundle.js``) at :data:`PLOTLY_BUNDLE_URL`:
    one file the browser fetches once, compressed, for every figure."""

    @classmethod
    def get_absolute_path(cls, root, path):
        return os.path.join(root, "widgetbundle.js")

    def set_extra_headers(self, path):
        self.set_header("Content-Type", "text/javascript; charset=utf-8")


class KtnasVoila(Voila):
    """Voilà serving the app: :class:`AppPageHandler` for the page, :class:`PlotlyBundleHandler`,
    and responses compressed."""

    def init_settings(self):
        return {**super().init_settings(), "compress_response": True}

    def init_handlers(self):
        handlers = [(route, AppPageHandler if handler is TornadoVoilaHandler else handler, *rest)
                    for route, handler, *rest in super().init_handlers()]
        bundle = url_path_join(self.server_url, PLOTLY_BUNDLE_URL.replace("plotly-widget.js", r"(plotly-widget\.js)"))
        return [(bundle, PlotlyBundleHandler, {"path": str(Path(plotly.__file__).parent / "package_data")}),
                *handlers]


def voila_args(notebook, host: str, port: int, max_visitors: int = 0, idle_timeout: int = 0,
               unconnected_timeout: int = UNCONNECTED_TIMEOUT, preheat: int = PREHEAT,
               preheat_nice: int = PREHEAT_NICE, first_connect_timeout: int = FIRST_CONNECT_TIMEOUT) -> list[str]:
    """The ``voila`` command-line arguments that serve ``notebook`` locked down (see the module).

    ``preheat`` kernels are kept ready (at most ``max_visitors`` when that is set; 0: none)."""
    here = __name__ if __name__ != "__main__" else "widgets.hosting"
    pool = min(preheat, max_visitors) if max_visitors else preheat
    checks = [t for t in (idle_timeout, unconnected_timeout) if t > 0]
    args = [str(notebook), "--no-browser", f"--Voila.ip={host}", f"--port={port}", "--Voila.port_retries=0",
            "--VoilaConfiguration.strip_sources=True", "--VoilaConfiguration.show_tracebacks=False",
            "--VoilaConfiguration.file_denylist=.*", f"--VoilaConfiguration.preheat_kernel={pool > 0}",
            f"--VoilaConfiguration.default_pool_size={pool}",
            "--VoilaConfiguration.progressive_rendering=False",
            *(f"--VoilaConfiguration.extension_denylist={name}" for name in EXTENSION_DENYLIST),
            f"--Voila.kernel_websocket_connection_class={here}.WidgetsOnlyConnection",
            f"--VoilaConfiguration.multi_kernel_manager_class={here}.LimitedKernelManager",
            f"--LimitedKernelManager.max_kernels={max_visitors}",
            f"--LimitedKernelManager.unconnected_timeout={unconnected_timeout}",
            f"--LimitedKernelManager.preheat_nice={preheat_nice}",
            f"--LimitedKernelManager.first_connect_timeout={first_connect_timeout}"]
    if checks:  # how often kernels are checked: a sixth of the shortest timeout, at most a minute
        args.append(f"--MappingKernelManager.cull_interval={max(1, min(60, min(checks) // 6))}")
    if idle_timeout:
        args += [f"--MappingKernelManager.cull_idle_timeout={idle_timeout}",
                 "--MappingKernelManager.cull_connected=True"]
    return args


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SystemExit(f"{name}={raw!r} is not a count; use a whole number (0: no limit)")
    return int(raw)


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        return False


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m widgets.hosting", description=__doc__.split("\n")[0])
    p.add_argument("--host", "--Voila.ip", dest="host", default=os.environ.get("KTNAS_HOST", "127.0.0.1"),
                   help="address to bind (default 127.0.0.1; 0.0.0.0 exposes it: put a TLS proxy in front); "
                        "--Voila.ip is the same, spelt as for voila")
    p.add_argument("--port", type=int, default=int(os.environ.get("KTNAS_PORT", "8866")), help="default 8866")
    p.add_argument("--runs-dir", default=os.environ.get("KTNAS_RUNS_DIR", "runs"),
                   help="root of every run directory (default $KTNAS_RUNS_DIR, else ./runs)")
    p.add_argument("--demo", action="store_true", default=None,
                   help="a shared demo: a runs folder per visitor and the demo limits (same as KTNAS_DEMO=1)")
    p.add_argument("--notebook", default=str(NOTEBOOK), help="the notebook to serve (default: the app)")
    return p


def main(argv: list[str] | None = None) -> None:
    """Serve the app (see the module); ``argv`` as on the command line."""
    opts = _parser().parse_args(argv)
    demo = opts.demo or os.environ.get("KTNAS_DEMO", "").strip().lower() in ("1", "true", "yes", "on")
    notebook = Path(opts.notebook).resolve()
    if not notebook.is_file():
        raise SystemExit(f"--notebook {opts.notebook!r} is not a file; give the path of a notebook")
    # the kernels inherit this environment: where runs go, demo mode, and where ``widgets`` is
    os.environ["KTNAS_RUNS_DIR"] = str(Path(opts.runs_dir).resolve())
    os.environ["KTNAS_DEMO"] = "1" if demo else "0"
    os.environ["KTNAS_PLOTLY_BUNDLE"] = "1"  # figures import plotly's code from this server (widgets.style)
    os.environ["KTNAS_APP_KERNEL"] = "1"  # the kernels skip an import the app never needs (widgets/__init__)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    from ktnas_core.runs.rundirs import Limits

    limits = Limits.from_env()  # refuses a bad KTNAS_* value before anything starts
    visitors = _env_int("KTNAS_MAX_VISITORS", DEMO_MAX_VISITORS if demo else 0)
    idle = _env_int("KTNAS_IDLE_TIMEOUT", DEMO_IDLE_TIMEOUT if demo else 0)
    unconnected = _env_int("KTNAS_UNCONNECTED_TIMEOUT", UNCONNECTED_TIMEOUT)
    preheat = _env_int("KTNAS_PREHEAT", PREHEAT)
    nice = _env_int("KTNAS_PREHEAT_NICE", PREHEAT_NICE)
    first_connect = _env_int("KTNAS_FIRST_CONNECT_TIMEOUT", FIRST_CONNECT_TIMEOUT)
    if not _is_loopback(opts.host):
        print(f"ktnas: binding {opts.host}: anyone who can reach it can use the app; serve it behind a "
              "TLS reverse proxy", file=sys.stderr)
    mode = f" (demo: {limits}, at most {visitors or 'any number of'} visitors)" if demo else ""
    print(f"ktnas app: http://{opts.host}:{opts.port}/  runs in {os.environ['KTNAS_RUNS_DIR']}{mode}  "
          "(Ctrl-C to stop)", flush=True)
    KtnasVoila.launch_instance(argv=voila_args(notebook, opts.host, opts.port, visitors, idle, unconnected,
                                                   preheat, nice, first_connect))


if __name__ == "__main__":
    main()
