"""Computing a map in a separate process that the caller can cancel at once (the app's
"recompute" button), its result landing in :mod:`~ktnas_core.projection.maps`' disk cache."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from concurrent.futures import CancelledError
from multiprocessing.connection import wait as _wait_any
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..spaces import SearchSpace
from .maps import _finish, _key, _lookup, _resolve, project

__all__ = ["ProjectionJob"]


def _job_main(conn, kwargs: dict[str, Any]) -> None:  # runs in the child process
    try:
        if hasattr(os, "nice"):
            os.nice(5)  # leave the kernel (the UI) the CPU it needs
        conn.send(("done", np.asarray(project(**kwargs))))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, not lost
        try:
            conn.send(("failed", exc))
        except Exception:  # unpicklable exception
            conn.send(("failed", RuntimeError(f"{type(exc).__name__}: {exc}")))


class ProjectionJob:
    """Compute :func:`project` in a separate process that :meth:`cancel` stops at once.

    Parameters are those of :func:`project` (validated here, in the caller's process); the
    result is written to the disk cache, so the next :func:`project` call with them is
    instant.  A job whose result is already stored finishes in :meth:`start`, at once.

    Attributes
    ----------
    state : str
        ``"pending"``, ``"running"``, ``"done"``, ``"cancelled"`` or ``"failed"``.
    error : BaseException or None
        What made the job fail.

    Examples
    --------
    >>> job = ProjectionJob("tnb101_micro", "node2vec").start()  # shipped: done at once
    >>> job.state, job.result().shape
    ('done', (4096, 2))
    """

    def __init__(self, space: str | SearchSpace, embedding: str = "node2vec", method: str = "umap",
                 **umap_params: Any):
        space, p = _resolve(space, embedding, method, umap_params)
        self.space, self.key, self._n = space.name, _key(space, p), len(space)
        self.params = {"space": space.name, **p}  #: keyword arguments of project()
        self.error: BaseException | None = None
        self.started: float | None = None
        self._state, self._result, self._process, self._conn = "pending", None, None, None

    def __repr__(self) -> str:
        return f"ProjectionJob({self.space!r}, {self.params}, state={self.state!r})"

    @property
    def state(self) -> str:
        self._update()
        return self._state

    @property
    def elapsed(self) -> float:
        """Seconds since :meth:`start` (0 before)."""
        return time.monotonic() - self.started if self.started else 0.0

    def start(self) -> "ProjectionJob":
        """Start the computation (returns ``self``)."""
        if self._state != "pending":
            raise ParameterError(f"this job is {self._state}; a job starts once (make a new ProjectionJob)")
        self.started = time.monotonic()
        stored = _lookup(self.key, self._n)
        if stored is not None:
            self._result, self._state = _finish(stored), "done"
            return self
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_job_main, args=(child, self.params),
                                    name=f"ktnas-projection-{self.key}", daemon=True)
        self._process.start()
        child.close()
        self._state = "running"
        return self

    def cancel(self) -> bool:
        """Stop the job (terminating its process); False if it had already finished."""
        self._update()
        if self._state in ("done", "failed", "cancelled"):
            return self._state == "cancelled"
        if self._process is not None:
            self._process.terminate()
            self._process.join(1.0)
            if self._process.is_alive():  # SIGTERM ignored: SIGKILL
                self._process.kill()
                self._process.join(1.0)
            self._close()
        self._state = "cancelled"
        return True

    def done(self) -> bool:
        """Whether the job has finished (done, cancelled or failed)."""
        return self.state in ("done", "cancelled", "failed")

    def result(self, timeout: float | None = None) -> np.ndarray:
        """The projection, waiting up to ``timeout`` seconds (None: as long as it takes).

        Raises TimeoutError when it is not ready in time, CancelledError for a cancelled
        job, :class:`ParameterError` for one never started, and the job's error if it failed.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done():
            if self._state == "pending":
                raise ParameterError("this job was never started; call start() first")
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(f"projection {self.key} not ready after {timeout} s (state {self._state})")
            _wait_any([self._conn, self._process.sentinel], timeout=left)
        if self._state == "cancelled":
            raise CancelledError(f"projection {self.key} was cancelled; it has no result")
        if self._state == "failed":
            raise self.error
        return self._result

    # -- internals ---------------------------------------------------------------------
    def _update(self) -> None:
        if self._state != "running":
            return
        if not self._conn.poll() and self._process.is_alive():
            return
        message = None  # a dead process's pipe reads as end-of-file
        with contextlib.suppress(EOFError, OSError):
            if self._conn.poll(0.5):
                message = self._conn.recv()
        self._process.join(5.0)
        if message is not None and message[0] == "done":
            self._result, self._state = _finish(message[1]), "done"
        else:
            err = message[1] if message is not None else None
            if not isinstance(err, BaseException):
                err = RuntimeError(f"projection process ended with exit code {self._process.exitcode} "
                                   "and no result")
            self.error, self._state = err, "failed"
        self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None and not self._process.is_alive():
            self._process.close()
            self._process = None

