"""Run directories a shared app may touch: one root, a folder per visitor, and limits.

A :class:`RunArea` is where one front end (one Voilà visitor, one kernel) keeps its runs.
With ``confined`` on (what the app uses), every run directory it is given must lie inside
its folder: a path with ``..``, an absolute path elsewhere, or a symlink leading out is
refused with :class:`PathEscapeError`.  :class:`Limits` bound what a visitor may start:
concurrent runs on the whole server (held as file locks under the root, so every kernel
process counts), evaluations per run, run folders per visitor, and whether candidates
may be trained (:mod:`ktnas_core.runs.limits`).  :func:`run_area` reads the root, the visitor's
folder and the limits from the ``KTNAS_*`` variables that module lists.

Examples
--------
>>> import tempfile
>>> area = run_area(tempfile.mkdtemp(), environ={"KTNAS_DEMO": "1"})
>>> area.path.parent == area.root, area.path.name.startswith("visitor-"), area.limits.max_evals
(True, True, 3000)
>>> area.confine("../elsewhere")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ktnas_core.runs.rundirs.PathEscapeError: run directory '../elsewhere' is outside '...'; choose a folder ...
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import ParameterError
from .limits import DEMO_LIMITS, Limits, RunLimitError, env_flag
from .runner import list_runs

__all__ = ["DEMO_LIMITS", "Limits", "PathEscapeError", "RunArea", "RunLimitError", "RunSlot", "run_area"]

SLOTS = ".ktnas-slots"  # under the root: one lock file per concurrent run


class PathEscapeError(ParameterError):
    """A run directory outside the folder a front end is confined to."""


class RunSlot:
    """One of the server's ``max_runs`` places, held until :meth:`release` (or the process ends)."""

    def __init__(self, file=None):
        self._file, self._lock = file, threading.Lock()

    @property
    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        """Give the place back (idempotent)."""
        with self._lock:
            file, self._file = self._file, None
        if file is not None:
            file.close()  # closing the file drops its lock


def _try_lock(path: Path):
    """The opened ``path`` with an exclusive lock on it, or None when another holder has it."""
    file = path.open("a+b")
    try:
        import fcntl  # POSIX; each open file is its own lock, so threads of one process count too

        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        file.close()
        return None
    except ImportError:  # Windows: a byte-range lock of the same kind
        import msvcrt

        try:
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            file.close()
            return None
    return file


class RunArea:
    """The folder one front end keeps its runs in, with the limits that apply to it.

    Parameters
    ----------
    root : path
        The configured root of every run directory (shared by all visitors).
    limits : Limits, optional
        Default: none.
    visitor : str, optional
        This visitor's folder under ``root`` (``visitor-<id>``); default: the root itself.
    confined : bool, default True
        Whether :meth:`confine` refuses paths outside :attr:`path` (off: it passes them as given).
    """

    def __init__(self, root, limits: Limits | None = None, visitor: str | None = None, confined: bool = True):
        self.root = Path(root).absolute()
        self.limits = Limits() if limits is None else limits
        self.confined = bool(confined)
        if visitor is not None:
            _check_name(visitor, "visitor")
        self.path = self.root / visitor if visitor else self.root

    def __repr__(self) -> str:
        return f"RunArea({str(self.path)!r}, {self.limits}, confined={self.confined})"

    def confine(self, path) -> Path:
        """``path`` (relative ones are taken inside :attr:`path`) if it stays inside :attr:`path`.

        Raises
        ------
        PathEscapeError
            For ``..`` in the path, an absolute path elsewhere, or a symlink that leads out.
        """
        given = Path(path)
        if not self.confined:
            return given
        text = os.fspath(path)
        candidate = Path(os.path.normpath(self.path / given))  # an absolute ``given`` replaces the base
        escapes = ("\0" in text or ".." in given.parts or candidate == self.path
                   or not candidate.is_relative_to(self.path)
                   or not candidate.resolve().is_relative_to(self.path.resolve()))
        if escapes:
            raise PathEscapeError(
                f"run directory {text!r} is outside {str(self.path)!r}; choose a folder inside it "
                "(a name relative to it or an absolute path under it, no '..', no symlink leading out)")
        return candidate

    def label(self, path) -> str:
        """How to show ``path`` to a visitor: relative to the root when confined (no server paths)."""
        p = Path(path)
        return str(p.relative_to(self.root)) if self.confined and p.is_relative_to(self.root) else str(p)

    def list_runs(self) -> list[tuple[Path, str]]:
        """``(run_dir, status)`` of the run directories in :attr:`path` that :meth:`confine` accepts."""
        out = []
        for path, status in list_runs(self.path):
            try:
                out.append((self.confine(path), status))
            except PathEscapeError:
                continue  # e.g. a symlink to a folder elsewhere: not offered
        return out

    def new_run_dir(self, stem: str) -> Path:
        """A fresh ``<stem>-<n>`` folder path in :attr:`path` (not created).

        Raises
        ------
        RunLimitError
            When this visitor already has ``max_visitor_runs`` folders.
        """
        _check_name(stem, "run name")
        limit = self.limits.max_visitor_runs
        if limit is not None and self.path.is_dir():
            n = sum(1 for p in self.path.iterdir() if p.is_dir() and not p.name.startswith("."))
            if n >= limit:
                raise RunLimitError(f"this visitor already has {n} run folders, the most this server keeps "
                                    f"(KTNAS_MAX_VISITOR_RUNS={limit}); resume one of them instead")
        n = 1
        while (self.path / f"{stem}-{n}").exists():
            n += 1
        return self.path / f"{stem}-{n}"  # a checked name of a folder not there yet: no link to follow

    def check_run(self, budget: int, n_tasks: int, training: bool = False) -> None:
        """Refuse a run of ``budget`` evaluations on each of ``n_tasks`` tasks that the limits do not allow."""
        limit = self.limits.max_evals
        if limit is not None and budget * n_tasks > limit:
            raise RunLimitError(f"budget {budget:,} x {n_tasks} tasks = {budget * n_tasks:,} evaluations is more than "
                                f"this server allows per run (KTNAS_MAX_EVALS={limit:,}); lower the budget to at "
                                f"most {max(limit // max(n_tasks, 1), 1):,}")
        if training and not self.limits.training:
            raise RunLimitError("training candidates is off on this server (KTNAS_ALLOW_TRAINING=0); "
                                "choose evaluation 'table look-up'")

    def acquire(self) -> RunSlot:
        """One of the server's ``max_runs`` places for a run (a no-op slot without that limit).

        Raises
        ------
        RunLimitError
            When every place is held by a run going now.
        """
        limit = self.limits.max_runs
        if limit is None:
            return RunSlot()
        folder = self.root / SLOTS
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(limit):
            file = _try_lock(folder / f"slot-{i}")
            if file is not None:
                return RunSlot(file)
        raise RunLimitError(f"this server is running {limit} searches, the most it runs at once "
                            f"(KTNAS_MAX_RUNS={limit}); try again when one ends")

    def guarded(self, start: Callable, *args, **kwargs):
        """``start(*args, **kwargs)`` (a :class:`~ktnas_core.runs.runner.RunHandle` maker) holding a
        place from :meth:`acquire` until the run's worker ends; refused as :meth:`acquire` is."""
        slot = self.acquire()
        try:
            handle = start(*args, **kwargs)
        except BaseException:
            slot.release()
            raise
        if slot.held:
            threading.Thread(target=lambda: (handle.wait(), slot.release()), daemon=True,
                             name="ktnas-run-slot").start()
        return handle


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not name or name in (".", "..") or any(c in name for c in "/\\\0"):
        raise ParameterError(f"{what} {name!r} is not a folder name; use letters, digits, '-' or '_'")


def run_area(root=None, environ: Mapping[str, str] | None = None, visitor: str | None = None) -> RunArea:
    """The confined :class:`RunArea` a new front end (one visitor) uses, as the environment configures it.

    Parameters
    ----------
    root : path, optional
        Default ``$KTNAS_RUNS_DIR``, else ``runs``.
    environ : mapping, optional
        Default :data:`os.environ`; see the module's table.
    visitor : str, optional
        In demo mode, the visitor's folder name; default a new random ``visitor-<16 hex digits>``.
    """
    env = os.environ if environ is None else environ
    limits = Limits.from_env(env)
    demo = env_flag(env, "KTNAS_DEMO", False)
    if demo and visitor is None:
        visitor = f"visitor-{secrets.token_hex(8)}"
    return RunArea(root or env.get("KTNAS_RUNS_DIR") or "runs", limits, visitor if demo else None)
