"""The search-space protocol shared by every space of ktnas.

A space knows how to sample, mutate, cross, parse and print its
architectures.  Architectures are small frozen, hashable values; the space
holds all the logic.  Operators are pure functions of ``(arch, rng)`` and
never use global random state.
"""

from __future__ import annotations

import abc
import numbers
from typing import Any, Iterator

import numpy as np

from ..errors import InvalidArchitectureError, ParameterError

__all__ = ["SearchSpace", "check_rng"]


def check_rng(rng: Any) -> np.random.Generator:
    """Return ``rng`` if it is a :class:`numpy.random.Generator`, else raise.

    Operators take a generator explicitly so that a run is reproducible from
    one root seed; an int seed is accepted for convenience.

    Examples
    --------
    >>> import numpy as np
    >>> int(check_rng(0).integers(10)) == int(np.random.default_rng(0).integers(10))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ParameterError(
        f"rng={rng!r} is not a random generator; pass a numpy.random.Generator "
        "(numpy.random.default_rng(seed)) or a non-negative int seed"
    )


class SearchSpace(abc.ABC):
    """Abstract search space.

    Subclasses set :attr:`name` and :attr:`arch_type` and implement the
    abstract methods.  Finite spaces also implement :meth:`index`,
    :meth:`from_index` and ``__len__``.
    """

    #: short identifier, e.g. ``"nb201"``
    name: str = ""
    #: human-readable title
    title: str = ""
    #: the frozen dataclass of this space's architectures
    arch_type: type = object
    #: whether every architecture has an integer index
    finite: bool = True

    # -- text --------------------------------------------------------------
    @abc.abstractmethod
    def parse(self, text: str):
        """Parse the canonical string of an architecture."""

    def format(self, arch) -> str:
        """Canonical string of ``arch`` (same as ``str(arch)``)."""
        return str(self.coerce(arch))

    # -- NASLib ------------------------------------------------------------
    @abc.abstractmethod
    def to_naslib(self, arch) -> tuple:
        """NASLib's op-index tuple for ``arch``."""

    @abc.abstractmethod
    def from_naslib(self, encoding) -> Any:
        """Inverse of :meth:`to_naslib`."""

    # -- operators ---------------------------------------------------------
    @abc.abstractmethod
    def sample(self, rng) -> Any:
        """A uniformly random architecture."""

    @abc.abstractmethod
    def mutate(self, arch, rng) -> Any:
        """A new architecture that differs from ``arch`` by a mutation."""

    @abc.abstractmethod
    def crossover(self, a, b, rng) -> tuple:
        """Two complementary children of ``a`` and ``b``."""

    # -- finite spaces -----------------------------------------------------
    def index(self, arch) -> int:
        """Index of ``arch`` in the space's canonical order."""
        raise NotImplementedError(f"space {self.name!r} is not indexed")

    def from_index(self, i: int):
        """Architecture at index ``i``."""
        raise NotImplementedError(f"space {self.name!r} is not indexed")

    def __len__(self) -> int:
        raise TypeError(f"space {self.name!r} is too large to count")

    def __iter__(self) -> Iterator:
        for i in range(len(self)):
            yield self.from_index(i)

    def __contains__(self, arch) -> bool:
        return isinstance(arch, self.arch_type)

    def check_index(self, i: Any) -> int:
        """Validate an index and return it as an ``int``."""
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise InvalidArchitectureError(
                f"index {i!r} is not an integer; {self.name} indices are 0..{len(self) - 1}"
            )
        if not 0 <= int(i) < len(self):
            raise InvalidArchitectureError(
                f"index {i} is out of range; {self.name} indices are 0..{len(self) - 1}"
            )
        return int(i)

    def coerce(self, arch: Any):
        """Turn an architecture, its canonical string or (finite spaces) its
        index into an architecture of this space.

        Raises
        ------
        InvalidArchitectureError
            If ``arch`` is none of those, or belongs to another space.
        """
        if isinstance(arch, self.arch_type):
            return arch
        if isinstance(arch, str):
            return self.parse(arch)
        if self.finite and isinstance(arch, numbers.Integral) and not isinstance(arch, bool):
            return self.from_index(arch)
        space = getattr(arch, "space_name", None)
        if space is not None:
            raise InvalidArchitectureError(
                f"architecture {arch} belongs to space {space!r}, not {self.name!r}"
            )
        allowed = "an architecture, its string" + (" or its index" if self.finite else "")
        raise InvalidArchitectureError(
            f"{arch!r} (type {type(arch).__name__}) is not a {self.name} architecture; pass {allowed}"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
