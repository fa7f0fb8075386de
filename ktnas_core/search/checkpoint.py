"""Run-directory files: atomic JSON writes, checked reads, and the log prefix.

A run directory holds ``config.json`` (written once), ``events.jsonl`` (appended
and flushed per event) and ``checkpoint.json`` (replaced atomically each
generation: temporary file, fsync, rename, fsync of the directory).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_json(d / "checkpoint.json", {"version": CHECKPOINT_VERSION, "generation": 3})
>>> read_json(d / "checkpoint.json", required=("generation",))["generation"]
3
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from ..errors import DataIntegrityError

__all__ = ["CHECKPOINT_VERSION", "CONFIG", "EVENTS", "CHECKPOINT", "atomic_write_json", "read_json",
           "truncate_log"]

#: format version of config.json and checkpoint.json
CHECKPOINT_VERSION = 2
CONFIG, EVENTS, CHECKPOINT = "config.json", "events.jsonl", "checkpoint.json"


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` so that a crash leaves the old or the new file, never half of one."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, allow_nan=False, separators=(",", ":"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_json(path: str | os.PathLike, required: Iterable[str] = ()) -> dict:
    """Read a JSON object written by :func:`atomic_write_json`, checking its version and keys.

    Raises
    ------
    DataIntegrityError
        If the file is missing, not JSON, from another format version, or lacks a key.
    """
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataIntegrityError(f"{path} does not exist; is this a ktnas run directory?") from None
    except (OSError, ValueError) as e:
        raise DataIntegrityError(f"{path} is unreadable or corrupted ({e})") from None
    if not isinstance(obj, dict) or obj.get("version") != CHECKPOINT_VERSION:
        got = obj.get("version") if isinstance(obj, dict) else type(obj).__name__
        raise DataIntegrityError(f"{path} has format version {got!r}; this ktnas reads version {CHECKPOINT_VERSION}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise DataIntegrityError(f"{path} lacks {missing}; the file is corrupted")
    return obj


def truncate_log(path: str | os.PathLike, n_bytes: int, n_lines: int) -> None:
    """Cut the event log back to its first ``n_bytes`` (the checkpoint's prefix) and check it holds ``n_lines``.

    Raises
    ------
    DataIntegrityError
        If the log is shorter than the checkpoint says or the line count differs.
    """
    path = Path(path)
    size = path.stat().st_size if path.exists() else -1
    if size < n_bytes:
        raise DataIntegrityError(f"{path} has {max(size, 0)} bytes but the checkpoint needs {n_bytes}; "
                                 "the event log was truncated")
    with open(path, "r+b") as f:
        f.truncate(n_bytes)
        f.seek(0)
        lines = f.read().count(b"\n")
        f.flush()
        os.fsync(f.fileno())
    if lines != n_lines:
        raise DataIntegrityError(f"{path} holds {lines} lines before byte {n_bytes}; the checkpoint expects "
                                 f"{n_lines}")
