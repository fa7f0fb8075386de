"""Transfer rank: which architectures of the other tasks to transfer to a target.

PAPER.md section 3 in three pieces: :func:`label_transfers` (+1 / -1 from where the
children landed), :class:`TransferMemory` (one target's history) and
:class:`TransferRanker` (the reverse-nearest-neighbour vote and the group-wise
selection, returning a :class:`TransferDecision` that can explain itself).

Examples
--------
>>> import numpy as np
>>> from ktnas_core.transfer_rank import TransferRanker
>>> ranker = TransferRanker(n_transfer=1, random_state=0).fit([[1.0, 0.1], [0.1, 1.0]], [1, -1])
>>> candidates = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
>>> ranker.rank(candidates).tolist()
[1, -1, 0]
>>> decision = ranker.select(candidates)
>>> decision.indices
(0,)
>>> print(decision.explain(0))
candidate 0 was transferred: phi = +1 from 1 vote (positive: history 0)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from .errors import ParameterError
from .spaces.base import check_rng
from .validation import is_int

__all__ = ["LABEL_POPULATIONS", "TIE_BREAKS", "TransferChoice", "TransferDecision", "TransferMemory",
           "TransferRanker", "label_transfers", "top_count"]  # fmt: skip

#: populations :func:`label_transfers` can rank children in
LABEL_POPULATIONS = ("population", "offspring")
#: tie-breaks between equally similar candidates
TIE_BREAKS = ("first", "random")
_TIE_TOL = 1e-12  # similarities within this of the best count as equal


def _int(value: Any, name: str, low: int) -> int:
    if not is_int(value, low):
        raise ParameterError(f"{name}={value!r} is not allowed; {name} must be an integer >= {low}")
    return int(value)


def top_count(size: int, top: float = 0.2) -> int:
    """How many members form the top ``top`` fraction of ``size``: ``max(1, ceil(top * size))``.

    ``top * size`` is rounded to 9 decimals first, so ``0.3 * 10`` counts 3, not 4.

    >>> top_count(10), top_count(11), top_count(3), top_count(10, 0.3)
    (2, 3, 1, 3)
    """
    if isinstance(top, bool) or not isinstance(top, numbers.Real) or not 0 < top <= 1:
        raise ParameterError(f"top={top!r} is not allowed; top must be a fraction in (0, 1]")
    return max(1, math.ceil(round(float(top) * _int(size, "size", 0), 9))) if size else 0


def _parents_of(child: Hashable, value: Any) -> list:
    if isinstance(value, (str, bytes)):
        return [value]
    if not isinstance(value, Iterable):
        raise ParameterError(f"parents[{child!r}]={value!r} is not a collection of parent keys; wrap it: [{value!r}]")
    return list(value)


def label_transfers(transferred: Iterable[Hashable], parents: Mapping[Hashable, Iterable[Hashable]],
                    scores: Mapping[Hashable, float], *, top: float = 0.2, among: str = "population",
                    offspring_scores: Mapping[Hashable, float] | None = None) -> dict[Hashable, int]:
    """Label last generation's transferred architectures from their children.

    Returns ``{key: +1 or -1}`` in the order of ``transferred`` (duplicates once):
    +1 if at least one of its children is in the top ``top`` fraction of the
    reference population, -1 if it had children but none there; one without
    children gets no label (it is left out).

    Parameters
    ----------
    transferred : iterable of hashable
        Keys of the architectures transferred to the target last generation.
    parents : mapping
        Every child bred last generation -> its parents' keys (a collection; a ``str``
        counts as one key). A child counts for each of its parents.
    scores : mapping
        The target's next population -> score on the target (higher is better).
    top : float in (0, 1]
        The paper's r. The top holds :func:`top_count` members (``ceil``, at least 1);
        members tied with the last of them are in the top too.
    among : {"population", "offspring"}
        Rank children within the target's next population (the paper's rule, default)
        or within last generation's offspring only (every child of ``parents``).
    offspring_scores : mapping, optional
        With ``among="offspring"``: scores of the children (looked up here first,
        then in ``scores``); every child needs one.

    Examples
    --------
    >>> parents = {"c1": ["s1", "p"], "c2": ["s2"], "c3": ["s2", "s1"]}
    >>> scores = {"c1": 9.0, "c2": 1.0, "c3": 2.0, "p": 5.0, "q": 0.0}
    >>> label_transfers(["s1", "s2", "s3"], parents, scores)  # top 20% of 5 = c1
    {'s1': 1, 's2': -1}
    """
    if among not in LABEL_POPULATIONS:
        raise ParameterError(f"among={among!r} is not allowed; choose one of {list(LABEL_POPULATIONS)}")
    family = {child: _parents_of(child, ps) for child, ps in parents.items()}
    if among == "population":
        reference = dict(scores)
    else:
        extra = dict(offspring_scores or {})
        missing = [c for c in family if c not in extra and c not in scores]
        if missing:
            raise ParameterError(f"child {missing[0]!r} has no score; with among='offspring' pass "
                                 "offspring_scores covering every child of parents")
        reference = {c: extra[c] if c in extra else scores[c] for c in family}
    try:
        values = np.array(list(reference.values()), dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"scores must be real numbers; got {list(reference.values())[:5]!r}...") from None
    if not np.isfinite(values).all():
        raise ParameterError(f"scores must be finite; got {values[~np.isfinite(values)][0]}")
    k = top_count(values.size, top)
    cut = np.sort(values)[::-1][k - 1] if k else np.inf
    best = {key for key, v in zip(reference, values) if v >= cut}
    children: dict[Hashable, list] = {}
    for child, ps in family.items():
        for p in ps:
            children.setdefault(p, []).append(child)
    return {s: 1 if any(c in best for c in children[s]) else -1
            for s in dict.fromkeys(transferred) if s in children}


def _history(X: Any, y: Any, dim: int | None = None, name: str = "X") -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(X, y)``: X 2-D finite float64, y int64 in {-1, +1}, same length."""
    try:
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a 2-D array of numbers; got {exc}") from None
    if y.ndim != 1:
        raise ParameterError(f"y must be 1-D; got shape {y.shape}")
    if X.size == 0 and y.size == 0:  # empty history: no information
        return np.empty((0, dim or (X.shape[1] if X.ndim == 2 else 0))), np.empty(0, np.int64)
    if X.ndim != 2:
        raise ParameterError(f"{name} must be 2-D (one row per architecture); got shape {X.shape}")
    if X.shape[0] != y.size:
        raise ParameterError(f"X and y must have the same length; got {X.shape[0]} rows and {y.size} labels")
    if dim and X.shape[1] != dim:
        raise ParameterError(f"{name} must have {dim} columns like the history; got {X.shape[1]}")
    if not np.isfinite(X).all():
        row = np.argwhere(~np.isfinite(X))[0, 0]
        raise ParameterError(f"{name} must be finite; got {X[~np.isfinite(X)][0]} in row {row}")
    if y.dtype.kind not in "iuf" or not np.isin(y, (-1, 1)).all():
        bad = (y[~np.isin(y, (-1, 1))] if y.dtype.kind in "iuf" else y)[0].item()
        raise ParameterError(f"y must hold labels -1 or +1; got {bad!r}")
    return X, y.astype(np.int64)


class TransferMemory:
    """One target task's history: every positive so far plus the recent negatives.

    Parameters
    ----------
    window : int >= 1
        The paper's m: :meth:`training_set` at generation ``t`` keeps the negatives
        labelled at generations ``t - window + 1 .. t`` (the current one included).

    Examples
    --------
    >>> memory = TransferMemory(window=2)
    >>> memory.add(["a", "b"], [[1.0, 0.0], [0.0, 1.0]], [1, -1], generation=0)
    >>> memory.add(["c"], [[1.0, 1.0]], [-1], generation=1)
    >>> memory.training_set(1)[0], memory.training_set(2)[0]
    (['a', 'b', 'c'], ['a', 'c'])
    """

    def __init__(self, window: int = 5):
        self.window = _int(window, "window", 1)
        self._keys: list = []
        self._X, self._y, self._gen = np.empty((0, 0)), np.empty(0, np.int64), np.empty(0, np.int64)

    def add(self, keys: Sequence[Hashable], X: Any, y: Any, generation: int) -> None:
        """Add labelled examples (keys, embedding rows, labels in {-1, +1}) of ``generation``."""
        generation = _int(generation, "generation", 0)
        X, y = _history(X, y, self._X.shape[1] if len(self._keys) else None)
        if len(keys) != y.size:
            raise ParameterError(f"keys and y must have the same length; got {len(keys)} and {y.size}")
        self._keys += list(keys)
        self._X = np.vstack([self._X, X]) if self._X.size else X.copy()
        self._y = np.concatenate([self._y, y])
        self._gen = np.concatenate([self._gen, np.full(y.size, generation)])

    def training_set(self, generation: int) -> tuple[list, np.ndarray, np.ndarray]:
        """``(keys, X, y)``: positives of generations ``<= generation``, negatives of the last ``window``."""
        generation = _int(generation, "generation", 0)
        keep = (self._gen <= generation) & ((self._y > 0) | (self._gen > generation - self.window))
        return [k for k, m in zip(self._keys, keep) if m], self._X[keep], self._y[keep]

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"TransferMemory(window={self.window}) with {len(self)} examples"


@dataclasses.dataclass(frozen=True)
class TransferChoice:
    """One chosen candidate: its index, phi, the history members that voted on it
    (their indices and labels), and whether it came from the random fill."""

    index: int
    phi: int
    voters: tuple[int, ...]
    labels: tuple[int, ...]
    random_fill: bool


@dataclasses.dataclass(frozen=True)
class TransferDecision:
    """What :meth:`TransferRanker.select` chose and why.

    ``choices`` in order (whole groups by descending phi, then the random fill,
    each by index); ``phi`` of every candidate; ``vote_targets[j]``: the candidate
    history member ``j`` voted on, ``history_labels[j]`` its label; ``fill_group``:
    the group of equal phi the random fill drew from; ``skipped``: every phi <= 0
    and ``skip_nonpositive`` was on, so nothing was chosen.
    """

    choices: tuple[TransferChoice, ...]
    phi: tuple[int, ...]
    vote_targets: tuple[int, ...]
    history_labels: tuple[int, ...]
    n: int
    fill_group: tuple[int, ...] = ()
    skipped: bool = False

    @property
    def indices(self) -> tuple[int, ...]:
        """Indices of the chosen candidates."""
        return tuple(c.index for c in self.choices)

    def voters(self, index: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """History members that voted on candidate ``index`` and their labels."""
        who = tuple(j for j, t in enumerate(self.vote_targets) if t == index)
        return who, tuple(self.history_labels[j] for j in who)

    def explain(self, index: int, names: Sequence[str] | None = None,
                history_names: Sequence[str] | None = None) -> str:
        """One sentence on why candidate ``index`` was (not) transferred.

        ``names`` / ``history_names`` label candidates and history members
        (default ``"candidate i"`` / ``"history j"``).
        """
        if not 0 <= _int(index, "index", 0) < len(self.phi):
            raise ParameterError(f"index={index} is out of range; candidates are 0..{len(self.phi) - 1}")
        phi_text = f"{self.phi[index]:+d}" if self.phi[index] else "0"
        name = names[index] if names is not None else f"candidate {index}"
        hname = (lambda j: history_names[j]) if history_names is not None else (lambda j: f"history {j}")
        who, labels = self.voters(index)
        sides = [f"{side}: {', '.join(hname(j) for j, lab in zip(who, labels) if lab == sign)}"
                 for side, sign in (("positive", 1), ("negative", -1)) if sign in labels]
        votes = (f"phi = {phi_text} from {len(who)} vote{'s' * (len(who) != 1)}"
                 f" ({'; '.join(sides)})" if who else "no votes, phi = 0")
        chosen = {c.index: c for c in self.choices}
        if index not in chosen:
            why = "every phi <= 0 and skip_nonpositive is on; " if self.skipped else ""
            lost = "; not drawn in the random fill" if index in self.fill_group else ""
            return f"{name} was not transferred: {why}{votes}{lost}"
        if chosen[index].random_fill:
            fills = sum(c.random_fill for c in self.choices)
            return (f"{name} was transferred by random fill ({fills} of {self.n} places drawn from the "
                    f"{len(self.fill_group)} candidates with phi = {phi_text}): {votes}")
        return f"{name} was transferred: {votes}"


class TransferRanker(BaseEstimator):
    """Reverse-nearest-neighbour vote that ranks transfer candidates (PAPER.md section 3).

    Parameters
    ----------
    n_transfer : int >= 1
        How many candidates :meth:`select` chooses by default (the paper's n = 4).
    skip_nonpositive : bool
        Transfer nothing when every phi <= 0 (applies only with a non-empty history:
        with none, selection is random as the paper prescribes). Off by default.
    tie_break : {"first", "random"}
        Which of several equally similar candidates (cosine within 1e-12 of the best)
        a history member votes on: the lowest index, or one uniformly at random.
        A zero vector has cosine 0 with everything (so a zero history vector ties
        every candidate and votes by ``tie_break``).
    random_state : None, int or numpy.random.Generator
        Seeds the random fill (and random tie-breaks); turned into a generator in
        :meth:`fit`, which later calls draw from. Pass ``rng`` to :meth:`select` to
        draw from a search's own generator instead.

    Attributes
    ----------
    history_X_ : ndarray (n_history, d)
    history_y_ : ndarray of int (n_history,), labels in {-1, +1}

    Examples
    --------
    >>> ranker = TransferRanker(n_transfer=2, random_state=0).fit([[0.0, 1.0]], [1])
    >>> ranker.select([[1.0, 0.0], [0.2, 1.0], [0.0, 0.0]]).indices[0]
    1
    """

    def __init__(self, n_transfer: int = 4, skip_nonpositive: bool = False, tie_break: str = "first",
                 random_state: Any = None):
        self.n_transfer = n_transfer
        self.skip_nonpositive = skip_nonpositive
        self.tie_break = tie_break
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "TransferRanker":
        """Store the history (embedding rows, labels in {-1, +1}); empty means "no information"."""
        _int(self.n_transfer, "n_transfer", 1)
        if not isinstance(self.skip_nonpositive, (bool, np.bool_)):
            raise ParameterError(f"skip_nonpositive={self.skip_nonpositive!r} is not allowed; pass True or False")
        if self.tie_break not in TIE_BREAKS:
            raise ParameterError(f"tie_break={self.tie_break!r} is not allowed; choose one of {list(TIE_BREAKS)}")
        self._rng = np.random.default_rng() if self.random_state is None else check_rng(self.random_state)
        self.history_X_, self.history_y_ = _history(X, y)
        self.n_features_in_ = self.history_X_.shape[1]
        return self

    def _candidates(self, X: Any) -> np.ndarray:
        if not hasattr(self, "history_X_"):
            raise NotFittedError("this TransferRanker is not fitted yet; call fit(X_history, y_history) first")
        X = np.asarray(X, dtype=np.float64)
        if X.size == 0:
            return np.empty((0, self.n_features_in_))
        return _history(X, np.ones(X.shape[0] if X.ndim else 1), self.n_features_in_, "X_candidates")[0]

    def _targets(self, C: np.ndarray, rng: Any) -> np.ndarray:
        if not C.shape[0] or not self.history_y_.size:
            return np.full(self.history_y_.size, -1, np.int64)
        def unit(A: np.ndarray) -> np.ndarray:
            norm = np.linalg.norm(A, axis=1, keepdims=True)
            return np.divide(A, norm, out=np.zeros_like(A), where=norm > 0)
        sims = unit(self.history_X_) @ unit(C).T
        ties = sims >= sims.max(axis=1, keepdims=True) - _TIE_TOL
        if self.tie_break == "first":
            return ties.argmax(axis=1).astype(np.int64)
        gen = self._rng if rng is None else check_rng(rng)
        return np.array([gen.choice(np.flatnonzero(row)) for row in ties], dtype=np.int64)

    def _phi(self, targets: np.ndarray, size: int) -> np.ndarray:
        return np.bincount(targets[targets >= 0], self.history_y_[targets >= 0], size).astype(np.int64)

    def vote_targets(self, X_candidates: Any, rng: Any = None) -> np.ndarray:
        """Index of the candidate each history member votes on (-1 when there are no candidates)."""
        return self._targets(self._candidates(X_candidates), rng)

    def rank(self, X_candidates: Any, rng: Any = None) -> np.ndarray:
        """phi of every candidate: the sum of the labels voted onto it (0 if none)."""
        C = self._candidates(X_candidates)
        return self._phi(self._targets(C, rng), C.shape[0])

    decision_function = rank

    def select(self, X_candidates: Any, n: int | None = None, rng: Any = None) -> TransferDecision:
        """Choose up to ``n`` candidates (default ``n_transfer``) by phi, as PAPER.md section 3.

        Whole groups of equal phi are taken from the top while the count stays within
        ``n``; the rest is drawn uniformly from the next group. ``n`` larger than the
        number of candidates chooses them all.
        """
        C = self._candidates(X_candidates)  # raises NotFittedError first
        n = self.n_transfer if n is None else _int(n, "n", 1)
        gen = self._rng if rng is None else check_rng(rng)
        targets = self._targets(C, gen)
        phi = self._phi(targets, C.shape[0])
        skipped = bool(self.skip_nonpositive and self.history_y_.size and phi.size and (phi <= 0).all())
        whole, fill, group = [], [], np.empty(0, np.int64)
        for value in ([] if skipped else np.unique(phi)[::-1]):
            group, room = np.flatnonzero(phi == value), n - len(whole)
            if group.size > room:
                fill = sorted(int(i) for i in gen.choice(group, size=room, replace=False)) if room else []
                break
            whole += group.tolist()
        voters = [np.flatnonzero(targets == i) for i in whole + fill]
        choices = tuple(TransferChoice(i, int(phi[i]), tuple(w.tolist()), tuple(self.history_y_[w].tolist()),
                                       random_fill=k >= len(whole))
                        for k, (i, w) in enumerate(zip(whole + fill, voters)))
        return TransferDecision(choices, tuple(phi.tolist()), tuple(targets.tolist()),
                                tuple(self.history_y_.tolist()), n, tuple(group.tolist()) if fill else (), skipped)
