"""Run-directory files: sealed (checksummed) reads, and the log prefix.

A run directory holds ``config.json`` (written once), ``events.jsonl`` (appended
and flushed per event) and ``checkpoint.json`` (replaced atomically each
generation: temporary file, fsync, rename, fsync of the directory).  The checkpoint
it replaces is kept as ``checkpoint.prev.json``, so that one damaged file never
loses a run (:mod:`ktnas_core.runs.recovery` chooses the newest good one).

``config.json`` and the checkpoints are *sealed*: a ``sha256`` key holds the digest
of the rest of the object (serialised as written), and a checkpoint's ``log_sha256``
the digest of the event-log prefix it covers, so a flipped byte is found on reading.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_json(d / "checkpoint.json", seal({"version": CHECKPOINT_VERSION, "generation": 3}))
>>> read_json(d / "checkpoint.json", required=("generation",))
{'version': 3, 'generation': 3}
>>> text = (d / "checkpoint.json").read_text()
>>> _ = (d / "checkpoint.json").write_text(text.replace('"generation":3', '"generation":4'))
>>> read_json(d / "checkpoint.json")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ktnas_core.errors.DataIntegrityError: .../checkpoint.json fails its checksum (sha256 ...); the file is corrupted
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

from ..atomic import atomic_write_json, dumps as _dumps, fsync_dir as _fsync_dir, write_tmp as _write_tmp
from ..errors import DataIntegrityError, FormatVersionError, ParameterError

__all__ = ["CHECKPOINT_VERSION", "READABLE_VERSIONS", "CONFIG", "EVENTS", "CHECKPOINT", "PREV_CHECKPOINT",
           "REJECTED_CHECKPOINT", "atomic_write_json", "create_run_dir", "read_json", "seal", "truncate_log",
           "write_checkpoint"]

#: format version of config.json and checkpoint.json written by this ktnas (3: sealed, with the log's digest)
CHECKPOINT_VERSION = 3
#: format versions this ktnas reads (2: before checksums; read without verifying)
READABLE_VERSIONS = (2, 3)
CONFIG, EVENTS, CHECKPOINT = "config.json", "events.jsonl", "checkpoint.json"
PREV_CHECKPOINT, REJECTED_CHECKPOINT = "checkpoint.prev.json", "checkpoint.rejected.json"
_SEAL = "sha256"


def _digest(obj: dict) -> str:
    return hashlib.sha256(_dumps(obj).encode("utf-8")).hexdigest()


def seal(obj: dict) -> dict:
    """``obj`` with a ``sha256`` key holding the digest of the rest, checked by :func:`read_json`.

    The digest covers the JSON text as :func:`atomic_write_json` writes it; reading the file back
    and serialising it again gives the same text (keys keep their order, floats round-trip).
    """
    body = {k: v for k, v in obj.items() if k != _SEAL}
    return {**body, _SEAL: _digest(body)}


def create_run_dir(run_dir: str | os.PathLike, config: dict) -> None:
    """Make ``run_dir`` (new or empty) a run directory: write its sealed ``config.json``.

    Raises
    ------
    ParameterError
        If ``run_dir`` is not empty, or cannot be created or written.
    """
    run_dir = Path(run_dir)
    try:
        if run_dir.exists() and any(run_dir.iterdir()):
            raise ParameterError(f"run_dir {str(run_dir)!r} is not empty; choose a new directory or resume() it")
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(run_dir / CONFIG, seal(config))
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
        if isinstance(e, ParameterError):
            raise
        raise ParameterError(f"run_dir {str(run_dir)!r} cannot be written ({getattr(e, 'strerror', None) or e}); "
                             "choose a writable directory") from None


def write_checkpoint(run_dir: str | os.PathLike, state: dict) -> None:
    """Seal ``state`` and make it ``checkpoint.json``, keeping the one it replaces as ``checkpoint.prev.json``.

    The new file is complete on disk before the old one moves, so a crash leaves a good
    ``checkpoint.json`` or (between the two renames) a good ``checkpoint.prev.json``.
    """
    run_dir = Path(run_dir)
    path = run_dir / CHECKPOINT
    tmp = _write_tmp(path, seal(state))
    if path.exists():
        os.replace(path, run_dir / PREV_CHECKPOINT)
    os.replace(tmp, path)
    _fsync_dir(run_dir)


def read_json(path: str | os.PathLike, required: Iterable[str] = (), require_seal: bool = False) -> dict:
    """Read a JSON object written by :func:`atomic_write_json`, checking its version, seal and keys.

    Returns the object without its ``sha256`` seal.  A seal is checked whenever present;
    ``require_seal`` also refuses a version-3 file without one (files of version 2 have none).

    Raises
    ------
    FormatVersionError
        If the file is from a format version this ktnas does not read.
    DataIntegrityError
        If the file is missing, not JSON, fails its checksum, or lacks a key.
    """
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataIntegrityError(f"{path} does not exist; is this a ktnas run directory?") from None
    except (OSError, ValueError, RecursionError) as e:
        raise DataIntegrityError(f"{path} is unreadable or corrupted ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict) or obj.get("version") not in READABLE_VERSIONS:
        got = obj.get("version") if isinstance(obj, dict) else type(obj).__name__
        raise FormatVersionError(f"{path} has format version {got!r}; this ktnas writes version "
                                 f"{CHECKPOINT_VERSION} and reads versions {list(READABLE_VERSIONS)} (was the "
                                 "file written by another ktnas version, or damaged?)")
    if _SEAL in obj or (require_seal and obj["version"] >= 3):
        seal_ = obj.pop(_SEAL, None)
        if seal_ != _digest(obj):
            raise DataIntegrityError(f"{path} fails its checksum ({_SEAL} {str(seal_)[:12]!r}... does not match "
                                     "its content); the file is corrupted")
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
