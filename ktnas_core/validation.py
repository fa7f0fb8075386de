"""Checks of the numbers, flags and choices a caller passes in, with one message style.

Every check returns the value it accepted (converted to the plain Python type)
and raises :class:`~ktnas_core.errors.ParameterError` otherwise, with a
message that names the value and what is allowed::

    budget=0 is out of range; allowed: an integer >= 1
    amp=1 must be True or False

Examples
--------
>>> from ktnas_core.validation import check_choice, check_int, check_rate
>>> check_int("budget", 50, 1), check_rate("rate", 0.5), check_choice("kind", "a", ("a", "b"))
(50, 0.5, 'a')
>>> check_int("budget", 0, 1)
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: budget=0 is out of range; allowed: an integer >= 1
>>> check_flag("amp", 1)
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: amp=1 must be True or False
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from .errors import ParameterError

__all__ = ["is_int", "check_int", "check_rate", "check_choice", "check_flag", "make_rng"]


def is_int(value: Any, low: int, high: int | None = None) -> bool:
    """Whether ``value`` is an integer (not a bool) with ``low <= value <= high`` (no upper bound if None)."""
    return bool(isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low
                and (high is None or value <= high))


def check_int(name: str, value: Any, low: int = 1, high: int | None = None) -> int:
    """Return ``value`` as an int if ``low <= value <= high``, else raise :class:`ParameterError`."""
    if not is_int(value, low, high):
        allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
        raise ParameterError(f"{name}={value!r} is out of range; allowed: {allowed}")
    return int(value)


def check_rate(name: str, value: Any, low_open: bool = False) -> float:
    """Return ``value`` as a float if it is in [0, 1] (or (0, 1]), else raise :class:`ParameterError`."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and (0 < value <= 1 if low_open
                                                                              else 0 <= value <= 1)
    if not ok:
        raise ParameterError(f"{name}={value!r} is out of range; allowed: a number in "
                             f"{'(0, 1]' if low_open else '[0, 1]'}")
    return float(value)


def check_choice(name: str, value: Any, allowed: Sequence) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ParameterError`."""
    if value not in allowed:
        raise ParameterError(f"{name}={value!r} is not known; choose one of {list(allowed)}")
    return value


def check_flag(name: str, value: Any) -> bool:
    """Return ``value`` if it is True or False (not 0 or 1), else raise :class:`ParameterError`."""
    if not isinstance(value, bool):
        raise ParameterError(f"{name}={value!r} must be True or False")
    return value


def make_rng(random_state: Any) -> np.random.Generator:
    """A generator from None, an int seed, a :class:`~numpy.random.SeedSequence` or a generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if is_int(random_state, 0):
        return np.random.default_rng(int(random_state))
    raise ParameterError(f"random_state={random_state!r} is not allowed; pass None, a non-negative int, "
                         "a numpy SeedSequence or a numpy Generator")
