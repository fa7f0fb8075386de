"""Where a run resumes: the newest checkpoint that verifies, together with the event-log prefix it covers.

A run directory keeps two sealed checkpoints, ``checkpoint.json`` and the one before it,
``checkpoint.prev.json`` (:func:`~ktnas_core.runs.checkpoint.write_checkpoint`).  Each
records the size and SHA-256 of the event-log prefix it covers.  :func:`resume_point` takes
the newest checkpoint whose own checksum and whose log prefix both verify; when that is not
``checkpoint.json`` it says what was wrong (naming the file, and for the log the first bad
line) in :attr:`ResumePoint.notes`, and the search redoes the generations after the older
checkpoint, which gives the same result as a run never interrupted.  When no checkpoint
verifies it raises :class:`~ktnas_core.errors.DataIntegrityError`; it never starts over.

Examples
--------
>>> import tempfile
>>> from ktnas_core.search import TableEvaluator, make_strategy, run_search
>>> d = Path(tempfile.mkdtemp()) / "run"
>>> _ = run_search(make_strategy("rea", "nb201", ["cifar10"]), TableEvaluator("nb201"), max_generations=3,
...                seed=0, run_dir=d, checkpoint_seconds=0)
>>> resume_point(d).path.name, resume_point(d).notes
('checkpoint.json', ())
>>> _ = (d / "checkpoint.json").write_text("{\\"version\\": 3, \\"gen")   # torn by a disk fault
>>> p = resume_point(d)
>>> p.path.name, p.state["generation"], p.notes[0].split(";")[-1]
('checkpoint.prev.json', 2, ' resuming from checkpoint.prev.json (generation 2): the generations after it run again')
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from ..errors import DataIntegrityError, FormatVersionError
from . import checkpoint as ck
from ..search.events import event_from_json

__all__ = ["CHECKPOINT_KEYS", "ResumePoint", "adopt", "check_log", "resume_point"]

#: keys every checkpoint holds
CHECKPOINT_KEYS = ("generation", "n_events", "log_bytes", "n_evals", "cost_s", "best", "optimum_at", "strategy")


@dataclasses.dataclass(frozen=True)
class ResumePoint:
    """The checkpoint a run resumes from.

    Attributes
    ----------
    state : dict
        Its content (without the seal).
    path : pathlib.Path
        ``checkpoint.json``, or ``checkpoint.prev.json`` when the newest one failed.
    notes : tuple of str
        What was wrong with the newer state (empty when ``checkpoint.json`` was good), one line each.
    """

    state: dict
    path: Path
    notes: tuple = ()


class _LogMismatch(DataIntegrityError):
    """The log prefix parses but differs from the digest the checkpoint recorded."""


def _int(state: dict, key: str, path: Path) -> int:
    value = state[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DataIntegrityError(f"{path} has {key}={value!r}; the file is corrupted")
    return value


def check_log(log: Path, state: dict, checkpoint: Path) -> None:
    """Check that ``log`` still starts with the prefix ``state`` (read from ``checkpoint``) covers.

    Raises
    ------
    DataIntegrityError
        Naming the log and its first missing or bad line, or the lines that fail the checksum.
    """
    need, n = _int(state, "log_bytes", checkpoint), _int(state, "n_events", checkpoint)
    if not log.is_file():
        raise DataIntegrityError(f"{log} is missing but {checkpoint.name} covers its first {n} lines")
    with open(log, "rb") as f:
        data = f.read(need)
    if len(data) < need:
        whole = data.count(b"\n")
        raise DataIntegrityError(f"{log} was truncated at line {whole + 1}: it holds {len(data)} bytes but "
                                 f"{checkpoint.name} covers {need} bytes ({n} lines)")
    digest = state.get("log_sha256")
    if digest is not None and hashlib.sha256(data).hexdigest() == digest and data.count(b"\n") == n:
        return
    lines = data.split(b"\n")  # the last item is what follows the last newline: b"" when the prefix is whole
    for i, line in enumerate(lines[:-1], 1):
        try:
            event_from_json(line.decode("utf-8"))
        except (UnicodeDecodeError, DataIntegrityError) as e:
            raise DataIntegrityError(f"{log} line {i} is corrupted ({str(e)[:120]}); {checkpoint.name} covers "
                                     f"lines 1-{n}") from None
    if lines[-1]:
        raise _LogMismatch(f"{log} lines 1-{len(lines)} changed: the {need} bytes {checkpoint.name} covers end "
                           f"inside line {len(lines)} (a line before it changed length)")
    if len(lines) - 1 != n:
        raise _LogMismatch(f"{log} lines 1-{len(lines) - 1} changed: the {need} bytes {checkpoint.name} covers "
                           f"hold {len(lines) - 1} lines, not {n}")
    if digest is not None:
        raise _LogMismatch(f"{log} lines 1-{n} differ from what {checkpoint.name} recorded (log_sha256 mismatch: "
                           "a value was changed)")


def resume_point(run_dir: str | os.PathLike) -> ResumePoint:
    """The newest checkpoint of ``run_dir`` that verifies with its log prefix (reads only; see :func:`adopt`).

    Raises
    ------
    FormatVersionError
        If the checkpoints are from another ktnas version.
    DataIntegrityError
        If no checkpoint verifies: naming each file, the first bad log line, and what to do.
    """
    run_dir = Path(run_dir)
    log, errors = run_dir / ck.EVENTS, []
    newest, prev = run_dir / ck.CHECKPOINT, run_dir / ck.PREV_CHECKPOINT
    for path in (newest, prev):
        if not path.exists() and (path == prev or prev.exists()):
            if path == newest:
                errors.append(DataIntegrityError(f"{path} is missing (a crash while checkpoints were rotated?)"))
            continue
        try:
            state = ck.read_json(path, CHECKPOINT_KEYS, require_seal=True)
            check_log(log, state, path)
        except DataIntegrityError as e:
            errors.append(e)
            continue
        notes = ()
        if errors:
            what = "; ".join(_refined(e, state) for e in errors)
            notes = (f"{what}; resuming from {path.name} (generation {state['generation']}): the generations "
                     "after it run again",)
        return ResumePoint(state, path, notes)
    raise _unrecoverable(run_dir, errors)


def _refined(error: DataIntegrityError, good: dict) -> str:
    """A log mismatch found while an older prefix verifies lies after that prefix: say so."""
    text = str(error)
    if isinstance(error, _LogMismatch):
        text = text.replace(" lines 1-", f" lines {int(good['n_events']) + 1}-", 1)
    return text


def _unrecoverable(run_dir: Path, errors: list) -> DataIntegrityError:
    if errors and all(isinstance(e, FormatVersionError) for e in errors):
        return FormatVersionError(f"{errors[0]}; resume this run with the ktnas version that wrote it")
    what = "; ".join(str(e) for e in errors)
    if not (run_dir / ck.CHECKPOINT).exists() and not (run_dir / ck.PREV_CHECKPOINT).exists():
        return DataIntegrityError(f"{run_dir / ck.CHECKPOINT} does not exist: the run ended before its first "
                                  "checkpoint, so there is nothing to resume; start it again in a new directory")
    return DataIntegrityError(f"{what}; no checkpoint of {run_dir} verifies, so the run cannot be resumed: "
                              f"restore the damaged files from a backup, or start the run again in a new "
                              f"directory with the settings in {run_dir / ck.CONFIG}")


def adopt(run_dir: str | os.PathLike, point: ResumePoint) -> None:
    """Make ``point`` the run's ``checkpoint.json`` again when it came from ``checkpoint.prev.json``.

    The checkpoint passed over is kept as ``checkpoint.rejected.json`` (for inspection), so the
    next rotation does not make it the fallback.  The event log is cut back by the search itself.
    """
    run_dir = Path(run_dir)
    newest = run_dir / ck.CHECKPOINT
    if point.path == newest:
        return
    if newest.exists():
        os.replace(newest, run_dir / ck.REJECTED_CHECKPOINT)
    ck.atomic_write_json(newest, ck.seal(point.state))
