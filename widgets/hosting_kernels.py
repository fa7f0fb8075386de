"""The served app's kernels: a visitor limit, a preheated pool, and kernels that go when their page goes.

:class:`LimitedKernelManager` is Voilà's kernel manager with these rules (``python -m
widgets.hosting`` sets it and its limits, :func:`widgets.hosting.voila_args`):

* A visitor is a kernel handed to a page; past ``max_kernels`` visitors a new page gets a 503.
  Kernels preheated in Voilà's pool are not counted.
* A kernel with no page connected for ``unconnected_timeout`` seconds (default 60; a closed tab,
  a crashed browser) is shut down; an open page keeps its kernel until the idle timeout.  A page
  that has not yet connected at all gets ``first_connect_timeout`` seconds (default 180): with
  several visitors arriving at once on a small server, a page's scripts may take over a minute to
  start.
* Preheated kernels wait in a pool with the app already built, so a page opens without waiting
  for Python to import and build it; each still builds its own app (and, in demo mode, its own
  runs folder) before it is handed to one visitor.  A kernel started for the pool runs at a lower
  CPU priority (``preheat_nice``, default 10) until a page connects to it, so that refilling the
  pool right after a visitor arrives does not slow that visitor's page down; raising it back needs
  the right to (root or CAP_SYS_NICE), otherwise it keeps the lower priority, as do the refills.
  Voilà starts the replacement ``fill_delay`` seconds after it hands a kernel out;
  :func:`widgets.hosting.voila_args` sets :data:`PREHEAT_FILL_DELAY` (Voilà's default is 1 s), so
  that the replacement's start, about 3 s of CPU, comes after the visitor's page is drawn.

>>> km = LimitedKernelManager(max_kernels=2)
>>> km.visitor_ids(), km.unconnected_timeout, km.preheat_nice
([], 60, 10)
"""

from __future__ import annotations

import os
import time
import uuid

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from tornado.ioloop import PeriodicCallback
from traitlets import Integer

__all__ = ["FIRST_CONNECT_TIMEOUT", "LimitedKernelManager", "PREHEAT_FILL_DELAY", "PREHEAT_NICE",
           "UNCONNECTED_TIMEOUT"]

#: seconds a kernel may have no page connected before it is shut down
UNCONNECTED_TIMEOUT = 60
#: seconds a new visitor's page has to connect to its kernel the first time (with many visitors
#: arriving at once on a small server, a page's scripts can take over a minute to start)
FIRST_CONNECT_TIMEOUT = 180
#: CPU priority (nice) of a kernel started for the pool, until a page connects to it
PREHEAT_NICE = 10
#: seconds between handing a pooled kernel to a visitor and starting its replacement: a page takes
#: about 3 s to draw on a 2-core server that also runs the visitor's browser, and a replacement
#: started 1 s after the hand-out (Voilà's default) drew it 0.4 s later (bench_app: 3.25 s against
#: 2.82 s; two visitors at once 6.10 s against 4.72 s; README: "Performance")
PREHEAT_FILL_DELAY = 10


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
