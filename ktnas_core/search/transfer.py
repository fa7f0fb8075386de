"""Which architectures cross to a target task: the transfer policies of the multi-task search.

* ``"rank"``: transfer rank (PAPER.md section 3): the target's labelled history
  votes on the candidates by cosine similarity of their embeddings
  (:class:`~ktnas_core.transfer_rank.TransferRanker`); random while there is no history;
* ``"random"``: uniformly at random (the "MT-NAS" style of naive transfer);
* ``"best"``: the best of each source population first (by the member's rank in
  its own population, ties at random);
* ``"none"``: no transfer (each task searches alone).

:class:`Features` looks architectures up in one shared embedding of the space.

Examples
--------
>>> import numpy as np
>>> from ktnas_core.spaces import get_space
>>> features = Features(get_space("nb201"), "onehot")
>>> features([0, 1]).shape
(2, 30)
>>> cands = [Candidate("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "cifar100", 0)]
>>> choose("random", cands, n=4, rng=np.random.default_rng(0))
((0,), (0,), (True,))
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError

__all__ = ["TRANSFERS", "EMBEDDINGS", "Candidate", "Features", "candidates_for", "choose", "transfer_roles"]

#: transfer policies
TRANSFERS = ("rank", "random", "best", "none")
#: embedding names -> embedder class name in :mod:`ktnas_core.embedding`
EMBEDDINGS = {"node2vec": "Node2VecEmbedder", "arch2vec": "Arch2VecEmbedder", "onehot": "OneHotEncoder",
              "path": "PathEncoder"}
_STATELESS = ("onehot", "path")  # encodings that need no fitting on the space


def transfer_roles(tasks: Sequence[str], sources: Sequence | None, targets: Sequence | None,
                   transfer: str) -> tuple[tuple, tuple]:
    """The tasks that send and that receive transferred cells (None: every task), in ``tasks``' order.

    Given ``sources`` or ``targets``, each target must have a source other than itself.

    >>> transfer_roles(("a", "b", "c"), ["a"], None, "rank")
    (('a',), ('a', 'b', 'c'))
    >>> transfer_roles(("a", "b"), ["a"], ["a"], "rank")
    Traceback (most recent call last):
    ...
    ktnas_core.errors.ParameterError: targets ['a'] have no source but themselves (sources=['a']); a task does not transfer to itself: add another source, drop it from the targets, or use transfer='none'
    """
    roles = []
    for name, given in (("sources", sources), ("targets", targets)):
        if given is not None and (not isinstance(given, Sequence) or isinstance(given, str)
                                  or any(t not in tasks for t in given)):
            raise ParameterError(f"{name}={given!r} must be a list of the run's tasks {list(tasks)}")
        roles.append(tuple(tasks) if given is None else tuple(t for t in tasks if t in given))
    if transfer != "none" and (sources is not None or targets is not None):
        alone = [t for t in (roles[1] if targets is not None else ()) if not set(roles[0]) - {t}]
        if alone or not any(s != t for s in roles[0] for t in roles[1]):
            raise ParameterError(f"targets {alone or list(roles[1])} have no source but themselves "
                                 f"(sources={list(roles[0])}); a task does not transfer to itself: add another "
                                 "source, drop it from the targets, or use transfer='none'")
    return roles[0], roles[1]


@dataclasses.dataclass(frozen=True)
class Candidate:
    """An architecture of another task's population: its string, that task, and its
    position in that population by score (0 = the source's best)."""

    arch: str
    source: str
    position: int


def candidates_for(target: str, populations: dict, known: set) -> list[Candidate]:
    """The transfer candidates for ``target``: every cell of the other tasks' ``populations``
    (task -> members ``[arch, score, ...]``, best first) not in ``known``, each once, the
    first source in order keeping it.

    >>> pops = {"a": [["x", 1.0], ["y", 0.5]], "b": [["y", 2.0], ["z", 1.0]], "t": [["w", 3.0]]}
    >>> [(c.arch, c.source, c.position) for c in candidates_for("t", pops, {"x"})]
    [('y', 'a', 1), ('z', 'b', 1)]
    """
    out, seen = [], set(known)
    for source, members in populations.items():
        if source == target:
            continue
        for pos, member in enumerate(members):
            if member[0] not in seen:
                seen.add(member[0])
                out.append(Candidate(member[0], source, pos))
    return out


class Features:
    """Embedding vectors of architectures, one shared space (the shipped defaults, seed 0).

    Parameters
    ----------
    space : SearchSpace
    name : {"node2vec", "arch2vec", "onehot", "path"}
        Infinite spaces (DARTS) support only the fit-free ``"onehot"`` and ``"path"``.
    """

    def __init__(self, space: Any, name: str):
        if name not in EMBEDDINGS:
            raise ParameterError(f"embedding={name!r} is not known; choose one of {list(EMBEDDINGS)}")
        if not space.finite and name not in _STATELESS:
            raise ParameterError(f"embedding={name!r} needs a finite space; {space.name!r} is not: "
                                 f"choose one of {list(_STATELESS)}")
        self.space, self.name = space, name
        self._matrix: np.ndarray | None = None

    def _embedder(self) -> Any:
        from .. import embedding

        return getattr(embedding, EMBEDDINGS[self.name])(random_state=0)

    def __call__(self, archs: Sequence[Any]) -> np.ndarray:
        """``(len(archs), d)`` float array; architectures, strings or indices."""
        archs = [self.space.coerce(a) for a in archs]
        if not self.space.finite:
            enc = self._embedder()
            return enc.fit(archs).transform(archs) if archs else np.empty((0, 0))
        if self._matrix is None:
            from ..embedding import embed_space

            self._matrix = embed_space(self._embedder(), self.space)
        return self._matrix[[self.space.index(a) for a in archs]]


def choose(policy: str, candidates: Sequence[Candidate], n: int, rng: np.random.Generator, *,
           memory: Any = None, features: Features | None = None, generation: int = 0,
           skip_nonpositive: bool = False) -> tuple[tuple[int, ...], tuple[int, ...], tuple[bool, ...]]:
    """Choose up to ``n`` of ``candidates`` for one target by ``policy``.

    Returns ``(indices, phi, random_fill)``: the chosen candidates' indices, the
    phi of every candidate (all 0 except for ``"rank"``), and for each chosen one
    whether it came from a random draw rather than its rank.
    ``"rank"`` needs the target's ``memory`` (a :class:`~ktnas_core.transfer_rank.TransferMemory`)
    and the ``features``.
    """
    if policy not in TRANSFERS:
        raise ParameterError(f"transfer={policy!r} is not known; choose one of {list(TRANSFERS)}")
    zero = (0,) * len(candidates)
    if policy == "none" or not candidates:
        return (), zero, ()
    k = min(n, len(candidates))
    if policy == "random":
        picks = sorted(int(i) for i in rng.choice(len(candidates), size=k, replace=False))
        return tuple(picks), zero, (True,) * k
    if policy == "best":
        order = rng.permutation(len(candidates))  # random among equal positions
        order = sorted(order.tolist(), key=lambda i: candidates[i].position)
        return tuple(order[:k]), zero, (False,) * k
    if memory is None or features is None:
        raise ParameterError("transfer='rank' needs the target's TransferMemory and the Features")
    from ..transfer_rank import TransferRanker  # scikit-learn is imported on first use

    keys, X, y = memory.training_set(generation)
    Xc = features([c.arch for c in candidates])
    if not keys:
        X = np.empty((0, Xc.shape[1]))
    ranker = TransferRanker(n_transfer=n, skip_nonpositive=skip_nonpositive, tie_break="first").fit(X, y)
    decision = ranker.select(Xc, rng=rng)
    return (decision.indices, decision.phi, tuple(c.random_fill for c in decision.choices))
