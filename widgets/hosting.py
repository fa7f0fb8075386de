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
  the limits of :mod:`ktnas_core.search.rundirs`; :class:`LimitedKernelManager` refuses a
  kernel past ``KTNAS_MAX_VISITORS`` (default 8 in demo mode) and kernels idle for
  ``KTNAS_IDLE_TIMEOUT`` seconds (default 1800) are shut down.

>>> args = voila_args("app.ipynb", "127.0.0.1", 8866, max_visitors=8, idle_timeout=1800)
>>> "--VoilaConfiguration.strip_sources=True" in args, "--Voila.ip=127.0.0.1" in args
(True, True)
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from pathlib import Path

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

__all__ = ["ALLOWED", "LimitedKernelManager", "WidgetsOnlyConnection", "main", "message_route", "voila_args"]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "app.ipynb"
V1 = "v1.kernel.websocket.jupyter.org"
#: (channel, message type) pairs a visitor's page may send to its kernel: what widgets need
ALLOWED = frozenset(("shell", t) for t in ("comm_open", "comm_msg", "comm_close", "comm_info_request",
                                           "kernel_info_request"))
#: server limits in demo mode: kernels at once, and seconds before an idle kernel is shut down
DEMO_MAX_VISITORS, DEMO_IDLE_TIMEOUT = 8, 1800


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
    """Voilà's kernel manager, refusing a new kernel (a new visitor) past :attr:`max_kernels`."""

    max_kernels = Integer(0, config=True, help="Kernels running at once (one per visitor); 0: no limit.")

    async def start_kernel(self, *args, **kwargs):
        if self.max_kernels and len(self.list_kernel_ids()) >= self.max_kernels:
            raise web.HTTPError(503, f"the app has {self.max_kernels} visitors, the most it serves at once "
                                     "(KTNAS_MAX_VISITORS)",
                                reason="Too many visitors right now; try again in a few minutes")
        return await super().start_kernel(*args, **kwargs)


def voila_args(notebook, host: str, port: int, max_visitors: int = 0, idle_timeout: int = 0) -> list[str]:
    """The ``voila`` command-line arguments that serve ``notebook`` locked down (see the module)."""
    here = __name__ if __name__ != "__main__" else "widgets.hosting"
    args = [str(notebook), "--no-browser", f"--Voila.ip={host}", f"--port={port}", "--Voila.port_retries=0",
            "--VoilaConfiguration.strip_sources=True", "--VoilaConfiguration.show_tracebacks=False",
            "--VoilaConfiguration.file_denylist=.*", "--VoilaConfiguration.preheat_kernel=False",
            "--VoilaConfiguration.progressive_rendering=False",
            f"--Voila.kernel_websocket_connection_class={here}.WidgetsOnlyConnection",
            f"--VoilaConfiguration.multi_kernel_manager_class={here}.LimitedKernelManager",
            f"--LimitedKernelManager.max_kernels={max_visitors}"]
    if idle_timeout:
        args += [f"--MappingKernelManager.cull_idle_timeout={idle_timeout}",
                 "--MappingKernelManager.cull_connected=True",
                 f"--MappingKernelManager.cull_interval={min(60, idle_timeout)}"]
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
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    from ktnas_core.search.rundirs import Limits

    limits = Limits.from_env()  # refuses a bad KTNAS_* value before anything starts
    visitors = _env_int("KTNAS_MAX_VISITORS", DEMO_MAX_VISITORS if demo else 0)
    idle = _env_int("KTNAS_IDLE_TIMEOUT", DEMO_IDLE_TIMEOUT if demo else 0)
    if not _is_loopback(opts.host):
        print(f"ktnas: binding {opts.host}: anyone who can reach it can use the app; serve it behind a "
              "TLS reverse proxy", file=sys.stderr)
    mode = f" (demo: {limits}, at most {visitors or 'any number of'} visitors)" if demo else ""
    print(f"ktnas app: http://{opts.host}:{opts.port}/  runs in {os.environ['KTNAS_RUNS_DIR']}{mode}  "
          "(Ctrl-C to stop)", flush=True)
    from voila.app import Voila

    Voila.launch_instance(argv=voila_args(notebook, opts.host, opts.port, visitors, idle))


if __name__ == "__main__":
    main()
