"""Typed errors of ktnas.

Every error ktnas raises on bad input derives from :class:`KtnasError` and
from the builtin exception it refines, so ``except ValueError`` and
``except KeyError`` keep working for callers who do not know ktnas.

Messages name the offending value and what is allowed.

Examples
--------
>>> from ktnas_core.errors import KtnasError, UnknownTaskError
>>> err = UnknownTaskError("task 'cifar1000' is not in nb201; choose one of ['cifar10']")
>>> isinstance(err, KeyError) and isinstance(err, KtnasError)
True
>>> str(err)
"task 'cifar1000' is not in nb201; choose one of ['cifar10']"
"""

from __future__ import annotations

__all__ = [
    "KtnasError",
    "InvalidArchitectureError",
    "UnknownArchitectureError",
    "UnknownBenchmarkError",
    "UnknownTaskError",
    "UnknownMetricError",
    "UnknownSpaceError",
    "ParameterError",
    "FeatureTypeError",
    "DataIntegrityError",
    "FormatVersionError",
    "KtnasWarning",
    "RecoveryWarning",
]


class KtnasError(Exception):
    """Root of every error raised by ktnas."""

    def __str__(self) -> str:  # KeyError would quote the message; we never want that.
        return str(self.args[0]) if self.args else ""


class InvalidArchitectureError(KtnasError, ValueError):
    """A string, tuple or genome that is not a valid cell of the search space."""


class UnknownArchitectureError(KtnasError, KeyError):
    """A valid-looking architecture that the benchmark or space does not hold."""


class UnknownBenchmarkError(KtnasError, KeyError):
    """A benchmark name that ktnas does not ship."""


class UnknownTaskError(KtnasError, KeyError):
    """A task name that the benchmark does not have."""


class UnknownMetricError(KtnasError, KeyError):
    """A metric name that the task does not have."""


class UnknownSpaceError(KtnasError, KeyError):
    """A search-space name that ktnas does not know."""


class ParameterError(KtnasError, ValueError):
    """A parameter value outside its allowed range or set."""


class FeatureTypeError(ParameterError, TypeError):
    """Input data of the wrong type (objects or strings where numbers are needed)."""


class DataIntegrityError(KtnasError, RuntimeError):
    """A shipped or rebuilt table that fails its checks (shape, checksum, schema)."""


class FormatVersionError(DataIntegrityError):
    """A run-directory file written by another version of ktnas (its format version is not one this ktnas reads)."""


class KtnasWarning(UserWarning):
    """Root of the warnings ktnas issues (the ``ktnas`` command prints them as ``ktnas: warning: ...``)."""


class RecoveryWarning(KtnasWarning):
    """A resumed run found a damaged checkpoint or event log and continued from an earlier good state."""
