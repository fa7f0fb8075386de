"""Serve the app with Voilà so that it is safe to share: ``python -m widgets.hosting [--demo]``.

What a visitor can reach, and what is shut:

* Voilà runs ``notebooks/app.ipynb`` itself, on the server; the page gets the widgets, never
  the sources (``strip_sources``) nor tracebacks.  Voilà serves one notebook: no file
  browser, no terminals, no contents API; its static-file route serves no file here
  (``file_denylist`` is ``.*``).  A visitor cannot pick another template or theme by URL
  (``?template=``, ``?theme=`` are ignored): an unknown template left the page loading forever
  while a kernel was held for it, and Voilà 0.5.8 (pyproject.toml pins it) does not check a
  template's name for a path.
* The page talks to its kernel through a websocket that passes on only the messages widgets
  need (:class:`~widgets.hosting_gate.WidgetsOnlyConnection`): an ``execute_request`` (code of
  the visitor's choosing), ``input_reply`` or any control message is dropped before it reaches
  the kernel, and logged.  Voilà's own list of allowed message types does the same a second time.
* It binds 127.0.0.1 unless ``--host`` says otherwise (then put it behind a TLS proxy).
* ``--demo`` (or ``KTNAS_DEMO=1``): each visitor (each kernel) gets its own runs folder and
  the limits of :mod:`ktnas_core.runs.rundirs`; a visitor past ``KTNAS_MAX_VISITORS``
  (default 8 in demo mode) gets a polite 503, and kernels idle for ``KTNAS_IDLE_TIMEOUT``
  seconds (default 1800) are shut down even with their page open.
* Every page is served from this server alone (:class:`AppPageHandler` drops the icon CSS
  Voilà's template asks of a public CDN: the same icons ship in Voilà's own style bundle),
  and plotly's widget code is one cached file (:data:`PLOTLY_BUNDLE_URL`), not a copy inside
  every figure's state, fetched once the first tab (which needs none) is drawn.

Kernels come and go with their pages (:class:`~widgets.hosting_kernels.LimitedKernelManager`):

* A closing page asks Voilà to shut its kernel down; that request needs the page's ``_xsrf``
  cookie, which Voilà never sets (voila-dashboards/voila#1458), so it was refused.
  :class:`AppPageHandler` sets it.
* As a safety net, a kernel with no page connected for ``KTNAS_UNCONNECTED_TIMEOUT`` seconds
  (default 60) is shut down; a page that has not yet connected at all gets
  ``KTNAS_FIRST_CONNECT_TIMEOUT`` seconds (default 180).
* ``KTNAS_PREHEAT`` kernels (default 2, at most the visitor limit) wait in a pool with the
  app already built; pooled kernels do not count as visitors and run at a lower CPU priority
  (``KTNAS_PREHEAT_NICE``, default 10) until a page connects to them; a kernel handed to a visitor
  is replaced ``KTNAS_PREHEAT_FILL_DELAY`` seconds later (default 10), once the visitor's page is
  drawn.
* The page loads only the browser extensions the app needs (:data:`EXTENSION_DENYLIST`
  leaves out plotly's JupyterLab renderer, 4.8 MB of JavaScript the figures do not use).
* A page's HTML waits for all of the notebook's output, however far it trails the cell's
  reply on a loaded server (:data:`IOPUB_TIMEOUT`): the output (the app's widgets and their
  state) comes on the kernel's IOPub channel, apart from the reply, and nbclient's default wait
  of 4 s left it out of the page when 8 visitors arrived at once on 2 cores: pages that never
  drew (README: "Under load").

This module is the server and its command line; the message gate and the kernel manager it sets
live in :mod:`widgets.hosting_gate` and :mod:`widgets.hosting_kernels` (their names are
importable from here too).

>>> args = voila_args("app.ipynb", "127.0.0.1", 8866, max_visitors=8, idle_timeout=1800)
>>> "--VoilaConfiguration.strip_sources=True" in args, "--Voila.ip=127.0.0.1" in args
(True, True)
>>> "--VoilaConfiguration.extension_denylist=jupyterlab-plotly" in args, "--LimitedKernelManager.preheat_nice=10" in args
(True, True)
>>> "--VoilaExecutor.iopub_timeout=120" in args, "--LimitedKernelManager.fill_delay=10" in args
(True, True)
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import sys
from pathlib import Path

import plotly
from jupyter_server.utils import url_path_join
from tornado import web
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from .hosting_gate import ALLOWED, V1, WidgetsOnlyConnection, message_route
from .hosting_kernels import (FIRST_CONNECT_TIMEOUT, PREHEAT_FILL_DELAY, PREHEAT_NICE, UNCONNECTED_TIMEOUT,
                              LimitedKernelManager)

__all__ = ["ALLOWED", "AppPageHandler", "KtnasVoila", "LimitedKernelManager", "PLOTLY_BUNDLE_URL",
           "PlotlyBundleHandler", "V1", "WidgetsOnlyConnection", "main", "message_route", "voila_args"]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "app.ipynb"
#: server limits in demo mode: kernels at once, and seconds before an idle kernel is shut down
DEMO_MAX_VISITORS, DEMO_IDLE_TIMEOUT = 8, 1800
#: preheated kernels kept ready (at most the visitor limit)
PREHEAT = 2
#: where the page loads plotly's widget code from, relative to the server's base URL (one file
#: for every figure; :class:`widgets.plotly_figure.FigureWidget` imports it)
PLOTLY_BUNDLE_URL = "ktnas/static/plotly-widget.js"
#: JupyterLab extensions the page does not load: plotly's renderer of plotly JSON outputs (the
#: app's FigureWidgets bring their own code, :data:`PLOTLY_BUNDLE_URL`), code highlighting
#: (sources are stripped), the JupyterLab preview button
EXTENSION_DENYLIST = ("jupyterlab-plotly", "jupyterlab_pygments", "@voila-dashboards/jupyterlab-preview")
#: seconds the server waits, after a cell's reply, for the rest of the cell's output (nbclient's
#: ``iopub_timeout``, default 4): past it, what has not arrived is left out of the page
IOPUB_TIMEOUT = 120
#: the <link>s of Voilà's lab template that fetch icon CSS from a public CDN
_CDN_LINK = re.compile(r"<link[^>]*https://cdn\.jsdelivr\.net/[^>]*>\s*")


class AppPageHandler(TornadoVoilaHandler):
    """Voilà's page, refused past the visitor limit, with the ``_xsrf`` cookie that the page's
    kernel-shutdown request needs, and nothing fetched from another server."""

    @web.authenticated
    async def get(self, path=None):
        self.kernel_manager.check_capacity()
        self.xsrf_token  # noqa: B018 - reading it sets the _xsrf cookie (voila-dashboards/voila#1458)
        async for html in self.get_generator(path=path):
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
               preheat_nice: int = PREHEAT_NICE, first_connect_timeout: int = FIRST_CONNECT_TIMEOUT,
               iopub_timeout: int = IOPUB_TIMEOUT, fill_delay: int = PREHEAT_FILL_DELAY) -> list[str]:
    """The ``voila`` command-line arguments that serve ``notebook`` locked down (see the module).

    ``preheat`` kernels are kept ready (at most ``max_visitors`` when that is set; 0: none);
    ``iopub_timeout``: seconds to wait for a cell's output after its reply; ``fill_delay``: seconds
    from handing a pooled kernel out to starting its replacement."""
    here = __name__ if __name__ != "__main__" else "widgets.hosting"
    pool = min(preheat, max_visitors) if max_visitors else preheat
    checks = [t for t in (idle_timeout, unconnected_timeout) if t > 0]
    args = [str(notebook), "--no-browser", f"--Voila.ip={host}", f"--port={port}", "--Voila.port_retries=0",
            "--VoilaConfiguration.strip_sources=True", "--VoilaConfiguration.show_tracebacks=False",
            "--VoilaConfiguration.file_denylist=.*", "--VoilaConfiguration.allow_template_override=NO",
            "--VoilaConfiguration.allow_theme_override=NO", f"--VoilaConfiguration.preheat_kernel={pool > 0}",
            f"--VoilaConfiguration.default_pool_size={pool}",
            "--VoilaConfiguration.progressive_rendering=False", f"--VoilaExecutor.iopub_timeout={iopub_timeout}",
            *(f"--VoilaConfiguration.extension_denylist={name}" for name in EXTENSION_DENYLIST),
            f"--Voila.kernel_websocket_connection_class={here}.WidgetsOnlyConnection",
            f"--VoilaConfiguration.multi_kernel_manager_class={here}.LimitedKernelManager",
            f"--LimitedKernelManager.max_kernels={max_visitors}",
            f"--LimitedKernelManager.unconnected_timeout={unconnected_timeout}",
            f"--LimitedKernelManager.preheat_nice={preheat_nice}",
            f"--LimitedKernelManager.first_connect_timeout={first_connect_timeout}",
            f"--LimitedKernelManager.fill_delay={fill_delay}"]
    if checks:  # how often kernels are checked: a sixth of the shortest timeout, at most a minute
        args.append(f"--MappingKernelManager.cull_interval={max(1, min(60, min(checks) // 6))}")
    if idle_timeout:
        args += [f"--MappingKernelManager.cull_idle_timeout={idle_timeout}",
                 "--MappingKernelManager.cull_connected=True"]
    return args


def _env_int(name: str, default: int, zero: str = "no limit") -> int:
    """The whole number in environment variable ``name`` (``default`` when unset); ``zero`` says what
    0 means, for the message that refuses anything else."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SystemExit(f"{name}={raw!r} is not a count; use a whole number (0: {zero})")
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
    os.environ["KTNAS_PLOTLY_BUNDLE"] = "1"  # figures import plotly's code from this server (widgets.plotly_figure)
    os.environ["KTNAS_APP_KERNEL"] = "1"  # the kernels skip an import the app never needs (widgets/__init__)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    from ktnas_core.runs.rundirs import Limits

    limits = Limits.from_env()  # refuses a bad KTNAS_* value before anything starts
    visitors = _env_int("KTNAS_MAX_VISITORS", DEMO_MAX_VISITORS if demo else 0)
    idle = _env_int("KTNAS_IDLE_TIMEOUT", DEMO_IDLE_TIMEOUT if demo else 0)
    unconnected = _env_int("KTNAS_UNCONNECTED_TIMEOUT", UNCONNECTED_TIMEOUT)
    preheat = _env_int("KTNAS_PREHEAT", PREHEAT, zero="no pool")
    nice = _env_int("KTNAS_PREHEAT_NICE", PREHEAT_NICE, zero="no change")
    first_connect = _env_int("KTNAS_FIRST_CONNECT_TIMEOUT", FIRST_CONNECT_TIMEOUT)
    fill_delay = _env_int("KTNAS_PREHEAT_FILL_DELAY", PREHEAT_FILL_DELAY, zero="refill at once")
    if not _is_loopback(opts.host):
        print(f"ktnas: binding {opts.host}: anyone who can reach it can use the app; serve it behind a "
              "TLS reverse proxy", file=sys.stderr)
    mode = f" (demo: {limits}, at most {visitors or 'any number of'} visitors)" if demo else ""
    print(f"ktnas app: http://{opts.host}:{opts.port}/  runs in {os.environ['KTNAS_RUNS_DIR']}{mode}  "
          "(Ctrl-C to stop)", flush=True)
    KtnasVoila.launch_instance(argv=voila_args(notebook, opts.host, opts.port, visitors, idle, unconnected,
                                                   preheat, nice, first_connect, fill_delay=fill_delay))


if __name__ == "__main__":
    main()
