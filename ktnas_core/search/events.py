"""Events the search loop emits: small frozen dataclasses, one JSON line each.

Every event carries a ``time`` (seconds since the epoch) that is excluded from
equality, so two runs with the same seed compare equal event by event.

Examples
--------
>>> from ktnas_core.search.events import Evaluated, event_from_json
>>> e = Evaluated("cifar10", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 10.0, 5.0, 1, 0, True)
>>> line = e.to_json()
>>> line.startswith('{"event": "Evaluated"')
True
>>> event_from_json(line) == e
True
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from typing import Any, Callable, Iterable, Iterator

from ..errors import DataIntegrityError

__all__ = ["Event", "RunStarted", "Evaluated", "Transferred", "TransferLabelled", "GenerationDone", "RunFinished",
           "RunFailed", "EVENT_TYPES", "event_from_json", "EventLog", "read_events", "LogSummary", "summarize_log"]

_time = dataclasses.field(default_factory=time.time, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every event; subclasses add their fields before ``time``."""

    def to_json(self) -> str:
        """One JSON line (no newline): ``{"event": <class name>, <fields>..., "time": t}``."""
        d = {"event": type(self).__name__}
        d.update(dataclasses.asdict(self))
        return json.dumps(d, separators=(", ", ": "), allow_nan=False)

    def without_time(self) -> dict:
        """The event as a dict without its ``time``, for determinism checks."""
        d = {"event": type(self).__name__}
        d.update(dataclasses.asdict(self))
        d.pop("time")
        return d

    @classmethod
    def from_json(cls, line: str) -> "Event":
        """Inverse of :meth:`to_json` (dispatches on the ``event`` key)."""
        return event_from_json(line)


@dataclasses.dataclass(frozen=True)
class RunStarted(Event):
    """A run began with this JSON-able configuration."""

    config: dict
    time: float = _time


@dataclasses.dataclass(frozen=True)
class Evaluated(Event):
    """One architecture scored on one task.

    ``new`` is False for a repeated query (free: served from the cache, not
    counted); ``n_evals_task`` is the task's evaluation count after this one.
    """

    task: str
    arch: str
    score: float
    cost_s: float
    n_evals_task: int
    generation: int
    new: bool
    time: float = _time


@dataclasses.dataclass(frozen=True)
class Transferred(Event):
    """A transfer decision on one candidate of another task's population.

    ``phi`` is its transfer rank (0 for policies without one); ``accepted`` says
    whether it was chosen, i.e. queued for evaluation on ``target``.
    ``random_fill`` marks a choice drawn at random from a group of equal phi.
    """

    generation: int
    target: str
    source: str
    arch: str
    phi: int
    accepted: bool
    random_fill: bool
    time: float = _time


@dataclasses.dataclass(frozen=True)
class TransferLabelled(Event):
    """A transferred architecture got its label (+1: a child reached the top r% of the
    target's next population; -1: it had children, none there), which enters the
    target's transfer history. Transfers without children get no label and no event."""

    generation: int
    target: str
    arch: str
    label: int
    time: float = _time


@dataclasses.dataclass(frozen=True)
class GenerationDone(Event):
    """A generation ended; ``best`` maps task -> {"arch", "score", "n_evals"}."""

    generation: int
    best: dict
    time: float = _time


@dataclasses.dataclass(frozen=True)
class RunFinished(Event):
    """The run ended normally: ``reason`` is "optimum", "budget", "generations" or "stopped"."""

    reason: str
    time: float = _time


@dataclasses.dataclass(frozen=True)
class RunFailed(Event):
    """The run ended with an exception (its type and message)."""

    error: str
    time: float = _time


#: event class by name
EVENT_TYPES: dict[str, type[Event]] = {c.__name__: c for c in (RunStarted, Evaluated, Transferred, TransferLabelled,
                                                              GenerationDone, RunFinished, RunFailed)}


_KINDS = {"str": (str,), "float": (int, float), "int": (int,), "bool": (bool,), "dict": (dict,)}


@functools.lru_cache(maxsize=None)
def _field_kinds(cls: type) -> tuple:
    """``(field name, allowed types)`` of an event class (its annotations are strings)."""
    return tuple((f.name, _KINDS[f.type]) for f in dataclasses.fields(cls) if f.type in _KINDS)


def event_from_json(line: str) -> Event:
    """Parse one JSON line written by :meth:`Event.to_json`.

    Raises
    ------
    DataIntegrityError
        If the line is not JSON, names no known event, or has the wrong fields.
    """
    try:
        d = json.loads(line)
        cls = EVENT_TYPES[d.pop("event")]
        event = cls(**d)
        for name, kinds in _field_kinds(cls):
            value = getattr(event, name)
            if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
                raise TypeError(f"field {name}={value!r} is not {kinds[-1].__name__}")
        return event
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        raise DataIntegrityError(f"not an event line: {line[:80]!r} ({type(e).__name__}: {e}); "
                                 f"known events are {list(EVENT_TYPES)}") from None


class EventLog:
    """Append events to a JSON-lines file, flushed after every event.

    Usable as a callback: ``log(event)``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> with EventLog(p) as log:
    ...     log(RunFinished("budget"))
    >>> [e.reason for e in read_events(p)]
    ['budget']
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._sha = hashlib.sha256()
        if os.path.isfile(self.path):  # appending: the digest covers what is already there
            with open(self.path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    self._sha.update(block)
        self._f = open(self.path, "a", encoding="utf-8", newline="\n")

    def __call__(self, event: Event) -> None:
        line = event.to_json() + "\n"
        self._f.write(line)
        self._f.flush()
        self._sha.update(line.encode("utf-8"))

    def tell(self) -> int:
        """Current size of the file in bytes."""
        return self._f.tell()

    def digest(self) -> str:
        """Hex SHA-256 of the file's bytes so far (kept up to date as events are written)."""
        return self._sha.hexdigest()

    def sync(self) -> None:
        """Flush and fsync the file."""
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    def __enter__(self) -> "EventLog":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_events(path: str | os.PathLike, limit: int | None = None) -> Iterator[Event]:
    """Yield the events of a JSON-lines log (the first ``limit`` lines if given).

    Raises
    ------
    DataIntegrityError
        Naming the file and line of the first line that does not parse.
    """
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if limit is not None and n > limit:
                return
            try:
                event = event_from_json(raw.decode("utf-8"))
            except (UnicodeDecodeError, DataIntegrityError) as e:
                raise DataIntegrityError(f"{os.fspath(path)} line {n}: {e}") from None
            yield event


@dataclasses.dataclass
class LogSummary:
    """Per task of a run's event log: the best ``(arch, score)`` (None before any), the
    evaluation count, the summed cost in seconds; and the log's last event (None if empty)."""

    best: dict
    n_evals: dict
    cost_s: dict
    last: Event | None = None


def summarize_log(path: str | os.PathLike, tasks: Iterable[str]) -> LogSummary:
    """Fold the new evaluations of a run's event log into a :class:`LogSummary` of ``tasks``
    (a missing log gives empty counts).

    Raises
    ------
    DataIntegrityError
        For a line that does not parse (see :func:`read_events`).
    """
    tasks = list(tasks)
    out = LogSummary({t: None for t in tasks}, {t: 0 for t in tasks}, {t: 0.0 for t in tasks})
    if not os.path.isfile(path):
        return out
    for e in read_events(path):
        out.last = e
        if isinstance(e, Evaluated) and e.new and e.task in out.best:
            out.n_evals[e.task] = e.n_evals_task
            out.cost_s[e.task] += e.cost_s
            if out.best[e.task] is None or e.score > out.best[e.task][1]:
                out.best[e.task] = (e.arch, e.score)
    return out


Callback = Callable[[Event], None]
