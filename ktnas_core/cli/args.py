"""Checks of command-line values shared by the ``ktnas`` subcommands.

Examples
--------
>>> check_positive("--budget", 5), check_positive("--workers", None)
(None, None)
>>> check_positive("--budget", 0)
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: --budget 0 is out of range; allowed: an integer >= 1
"""

from __future__ import annotations

from ..errors import ParameterError

__all__ = ["check_positive"]


def check_positive(flag: str, value: int | None) -> None:
    """Raise :class:`ParameterError` naming ``flag`` unless ``value`` is None or >= 1."""
    if value is not None and value < 1:
        raise ParameterError(f"{flag} {value} is out of range; allowed: an integer >= 1")
