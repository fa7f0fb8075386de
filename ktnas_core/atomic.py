"""Write JSON files so that a crash leaves the old or the new file, never half of one.

A temporary file beside the target is written and fsynced, renamed over the target, and
the directory is fsynced.  Run folders (:mod:`ktnas_core.runs.checkpoint`) and the
training cache (:mod:`ktnas_core.evaluation.training`) write through here.

Examples
--------
>>> import json, pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "a.json"
>>> atomic_write_json(path, {"b": [1, 2.5]})
>>> path.read_text(), sorted(p.name for p in path.parent.iterdir())
('{"b":[1,2.5]}', ['a.json'])
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_json", "dumps", "fsync_dir", "write_tmp"]


def dumps(obj: Any) -> str:
    """The JSON text ktnas writes (compact, no NaN): checkpoint seals are digests of it."""
    return json.dumps(obj, allow_nan=False, separators=(",", ":"))


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (a rename in it) to disk, where the platform allows."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_tmp(path: Path, obj: Any) -> Path:
    """Write ``obj`` to ``<path>.tmp``, fsynced, and return that path."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(dumps(obj))
        f.flush()
        os.fsync(f.fileno())
    return tmp


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` so that a crash leaves the old or the new file, never half of one."""
    path = Path(path)
    os.replace(write_tmp(path, obj), path)
    fsync_dir(path.parent)
