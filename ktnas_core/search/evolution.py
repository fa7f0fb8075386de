"""Multi-task evolution: one population per task, with transfer between them (PAPER.md section 2).

:class:`MultiTaskEvolution` is the engine behind KTNAS, its ablations and the
EMT-NAS-style baseline (:mod:`ktnas_core.search.presets` names them).  A
generation, for every task still running:

1. **transfer** (skipped with ``transfer="none"``): choose up to ``n_transfer``
   cells of the other tasks' populations (:func:`~ktnas_core.search.transfer.choose`)
   and have them evaluated on this task (a :class:`~ktnas_core.search.events.Transferred`
   event per candidate);
2. **breed** ``n_offspring`` children from tournaments over the population plus
   the transferred cells (mutation, optional crossover; with probability ``rmp``
   the parent or the mate comes from another task's population), optionally
   screened (``screen``, :mod:`~ktnas_core.search.proposal`): ``screen_pool`` times
   as many unexplored children are bred and the best kept by a predictor, the
   zero-cost proxy (*move proposal*) or a cross-task surrogate; evaluate them;
3. **select** the next population (``"elitist"``: best ``population_size`` of
   population, transfers and children, the paper's step 4; ``"aging"``: the newest,
   as regularised evolution);
4. **label** this generation's transfers from where their children landed
   (top ``top`` fraction of the next population) and add them to the task's
   history (a :class:`~ktnas_core.search.events.TransferLabelled` event each).

Generation 0 builds the populations: ``population_size`` random cells, or with ``warmup="zero_cost"`` the
best ``population_size`` of ``warmup_pool`` random cells by the zero-cost proxy (free: never an evaluation).

Examples
--------
>>> from ktnas_core.search import TableEvaluator, run_search
>>> s = MultiTaskEvolution("nb201", ["cifar10", "cifar100"], warmup="zero_cost", screen="zero_cost")
>>> res = run_search(s, TableEvaluator("nb201"), max_generations=5, seed=0)
>>> res.generations, all(t.n_evals > 10 for t in res.tasks.values())
(5, True)
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import ParameterError
from ..spaces import get_space
from ..validation import check_choice, check_int, check_rate, make_rng
from . import screening
from .events import Transferred, TransferLabelled
from .multitask import MultiTaskStrategy
from .transfer import EMBEDDINGS, TRANSFERS, Features, candidates_for, choose, transfer_roles

__all__ = ["MultiTaskEvolution", "SELECTIONS", "WARMUPS", "SCREENS"]

SELECTIONS = ("elitist", "aging")
WARMUPS = ("random", "zero_cost")
SCREENS = (None, "predictor", "zero_cost", "cross_task")
SCREEN_TRAIN = 256  # the predictor learns from the task's latest evaluations (a GP fit is cubic in them)
RETRIES, MAX_TRIES = 10, 100  # redraws per extra mutation; redraws per child before a repeat is accepted


class MultiTaskEvolution(MultiTaskStrategy):
    """Evolution on several tasks at once with a pluggable transfer policy.

    Parameters
    ----------
    space : str
        Search space name (``"nb201"``, ``"tnb101_micro"``, ``"darts"``).
    tasks : list of str
        Task names, in run order (at least one; two or more to transfer).
    name : str, default "ktnas"
        Label in reports and plots.
    population_size : int, default 10
        K, per task (Table I: 10 on NB201 and TransNAS micro, 20 on DARTS).
    tournament_size : int, default 5
        Contestants per tournament (Table I: 5, 5, 2); 1..population_size.
    n_offspring : int or None, default None
        Children per task and generation; None means ``population_size``.
    mutation_rate : float in [0, 1], default 1.0
        Probability that a child is mutated (the space's mutation: one edge on a cell space,
        per-gene flips with p = 0.02 on DARTS).
    crossover_rate : float in [0, 1], default 0.0
        Probability that a child comes from crossover of two tournament winners (DARTS GA: 1).
    selection : {"elitist", "aging"}, default "elitist"
    transfer : {"rank", "random", "best", "none"}, default "rank"
    n_transfer : int, default 4
        The paper's n: transferred cells per target and generation.
    top : float in (0, 1], default 0.2
        The paper's r: a transferred cell is positive if a child is in this top fraction.
    window : int, default 5
        The paper's m: generations of negatives kept in a target's history.
    skip_nonpositive : bool, default False
        Transfer nothing to a target when every candidate's phi <= 0 (and it has history).
    embedding : {"node2vec", "arch2vec", "onehot", "path"}, default "node2vec"
        Vectors the transfer rank compares (cosine similarity).
    rmp : float in [0, 1], default 0.0
        Random mating probability (EMT-NAS): chance that a parent (mutation only) or the
        mate (crossover) is a tournament winner of another task's population.
    warmup : {"random", "zero_cost"}, default "random"
    warmup_pool : int, default 1000
        Random cells ranked by the zero-cost proxy for ``warmup="zero_cost"``.
    screen, screen_pool, screen_min : {None, "predictor", "zero_cost", "cross_task"}, int, int; defaults None, 10, 10
        Breed ``screen_pool`` unexplored candidates per child and keep the best by a predictor
        fitted on the task's evaluations (once it has ``screen_min``), by the zero-cost proxy
        (from the first generation; needs a shipped proxy, like ``warmup="zero_cost"``) or by
        :class:`~ktnas_core.search.proposal.CrossTaskGP` (every task's evaluations and the proxy where
        one ships; once the task has ``screen_min``; ``screen_options``: its keyword arguments).
    predictor, predictor_embedding : str, str; defaults "gp", "node2vec"
        Family for :func:`~ktnas_core.predictors.make_predictor` and the vectors it learns from
        (``"gcn"`` reads the cell graph and ignores ``predictor_embedding``).
    predictor_data : {"task", "all"}, default "task"
        The predictor learns from the task's evaluations, or from every task's, each task's
        scores mapped onto the target's mean and spread (:mod:`~ktnas_core.search.screening`).
    transfer_pool : int, default 1
        Above 1, the transfer policy proposes ``transfer_pool * n_transfer`` cells and the
        target's predictor keeps the ``n_transfer`` it rates best (once it can be fitted).
    transfer_eval : {"evaluate", "predict"}, default "evaluate"
        ``"evaluate"``: transferred cells are evaluated on the target (the paper's step 3).
        ``"predict"`` (an alternative, not the paper): they cost no evaluation; they join the
        target's tournaments rated by its predictor and never enter its population themselves.
    fresh_transfers : bool, default True
        Offer a target only cells it has not evaluated.
    sources, targets : list of str or None, default None (every task)
        Tasks whose populations may send cells, and tasks that receive them.
    random_state : None, int or SeedSequence
        Seeds the strategy; a run's root seed replaces it (:meth:`reseed`).
    """

    def __init__(self, space: str, tasks: Sequence[str], *, name: str = "ktnas", population_size: int = 10,
                 tournament_size: int = 5, n_offspring: int | None = None, mutation_rate: float = 1.0,
                 crossover_rate: float = 0.0, selection: str = "elitist", transfer: str = "rank",
                 n_transfer: int = 4, top: float = 0.2, window: int = 5, skip_nonpositive: bool = False,
                 embedding: str = "node2vec", rmp: float = 0.0, warmup: str = "random", warmup_pool: int = 1000,
                 screen: str | None = None, screen_pool: int = 10, screen_min: int = 10,
                 screen_options: dict | None = None, predictor: str = "gp", predictor_embedding: str = "node2vec",
                 fresh_transfers: bool = True, sources: Sequence | None = None, targets: Sequence | None = None,
                 random_state: Any = None, predictor_data: str = "task", transfer_pool: int = 1,
                 transfer_eval: str = "evaluate"):
        self.space = get_space(space)
        if isinstance(tasks, str) or not isinstance(tasks, Sequence) or not tasks:
            raise ParameterError(f"tasks={tasks!r} must be a non-empty list of task names")
        if len(set(tasks)) != len(tasks) or not all(isinstance(t, str) for t in tasks):
            raise ParameterError(f"tasks={list(tasks)!r} must name each task once, as strings")
        if not isinstance(name, str) or not name:
            raise ParameterError(f"name={name!r} must be a non-empty string")
        self.tasks, self.name = tuple(tasks), name
        self.population_size = check_int("population_size", population_size, 2, 10000)
        self.tournament_size = check_int("tournament_size", tournament_size, 1, self.population_size)
        self.n_offspring = self.population_size if n_offspring is None else check_int(
            "n_offspring", n_offspring, 1, 10000)
        self._n_offspring_param = n_offspring
        self.mutation_rate, self.crossover_rate = check_rate("mutation_rate", mutation_rate), check_rate(
            "crossover_rate", crossover_rate)
        if self.mutation_rate == 0 and self.crossover_rate == 0:
            raise ParameterError("mutation_rate=0 and crossover_rate=0 would only clone parents; raise one")
        self.selection = check_choice("selection", selection, SELECTIONS)
        self.transfer = check_choice("transfer", transfer, TRANSFERS)
        self.n_transfer = check_int("n_transfer", n_transfer, 1, 10000)
        self.top = check_rate("top", top, low_open=True)
        self.window = check_int("window", window, 1)
        for flag, value in (("skip_nonpositive", skip_nonpositive), ("fresh_transfers", fresh_transfers)):
            if not isinstance(value, bool):
                raise ParameterError(f"{flag}={value!r} must be True or False")
        self.skip_nonpositive, self.fresh_transfers = skip_nonpositive, fresh_transfers
        self.sources, self.targets = transfer_roles(self.tasks, sources, targets, self.transfer)
        self.embedding = check_choice("embedding", embedding, list(EMBEDDINGS))
        self.rmp = check_rate("rmp", rmp)
        self.warmup = check_choice("warmup", warmup, WARMUPS)
        self.warmup_pool = check_int("warmup_pool", warmup_pool, self.population_size)
        self.screen = check_choice("screen", screen, SCREENS)
        self.screen_pool = check_int("screen_pool", screen_pool, 1, 10000)
        self.screen_min = check_int("screen_min", screen_min, 2)
        from ..predictors import PREDICTORS

        self.predictor = check_choice("predictor", predictor, list(PREDICTORS))
        self.predictor_embedding = check_choice("predictor_embedding", predictor_embedding, list(EMBEDDINGS))
        self.predictor_data = check_choice("predictor_data", predictor_data, screening.PREDICTOR_DATA)
        self.transfer_pool = check_int("transfer_pool", transfer_pool, 1, 10000)
        self.transfer_eval = check_choice("transfer_eval", transfer_eval, screening.TRANSFER_EVALS)
        self._models: dict[str, tuple] = {}  # task -> (archive size, fitted predictor)
        from .proposal import free_scorers

        self.screen_options = None if screen_options is None else dict(screen_options)
        self._zero_cost, self._surrogate = free_scorers(self.space, self.tasks, self.warmup, self.screen,
                                                        self.screen_options)
        if self.transfer == "rank":
            Features(self.space, self.embedding)  # checks the space supports it
        if self.screen == "predictor" or self.transfer_pool > 1 or self.transfer_eval == "predict":
            Features(self.space, screening.predictor_features(self))
        self._features: dict[str, Features] = {}
        self.random_state = random_state
        self.rng = make_rng(random_state)
        self.generation, self.n_told, self._birth, self._phase = 0, 0, 0, "init"
        self.populations: dict[str, list] = {t: [] for t in self.tasks}  # [arch, score, birth], best first
        from ..transfer_rank import TransferMemory  # scikit-learn is imported with the first strategy

        self.memories = {t: TransferMemory(self.window) for t in self.tasks}
        self.archive: dict[str, dict[str, float]] = {t: {} for t in self.tasks}
        self._transferred: dict[str, list] = {}  # target -> [(arch, score, source)]
        self._parents: dict[str, dict[str, list]] = {}
        self._transfer_sources: dict[str, list] = {}
        self._events: list = []
        self.generation_complete = True

    # -- protocol ----------------------------------------------------------------------
    @property
    def label(self) -> str:
        return self.name

    def reseed(self, seed: Any) -> None:
        self.rng = make_rng(np.random.SeedSequence(seed) if isinstance(seed, numbers.Integral) else seed)

    def get_params(self) -> dict:
        return {"space": self.space.name, "tasks": list(self.tasks), "name": self.name,
                "population_size": self.population_size, "tournament_size": self.tournament_size,
                "n_offspring": self._n_offspring_param, "mutation_rate": self.mutation_rate,
                "crossover_rate": self.crossover_rate, "selection": self.selection, "transfer": self.transfer,
                "n_transfer": self.n_transfer, "top": self.top, "window": self.window,
                "skip_nonpositive": self.skip_nonpositive, "embedding": self.embedding, "rmp": self.rmp,
                "warmup": self.warmup, "warmup_pool": self.warmup_pool, "screen": self.screen,
                "screen_pool": self.screen_pool, "screen_min": self.screen_min, "predictor": self.predictor,
                **({"screen_options": self.screen_options} if self.screen_options is not None else {}),
                "predictor_embedding": self.predictor_embedding, "fresh_transfers": self.fresh_transfers,
                "sources": list(self.sources), "targets": list(self.targets), "predictor_data": self.predictor_data,
                "transfer_pool": self.transfer_pool, "transfer_eval": self.transfer_eval}

    def drain_events(self) -> list:
        events, self._events = self._events, []
        return events

    def ask(self, active: Sequence[str]) -> dict[str, list]:
        active = [t for t in self.tasks if t in active]
        if self._phase == "init":
            return {t: self._initial(t) for t in active}
        if self._phase == "transfer":
            asked = {t: self._choose_transfers(t) for t in active} if self.transfer != "none" else {}
            if self.transfer_eval == "predict":  # rated, not evaluated: straight to breeding
                self._transferred, asked = {t: self._transferred.pop(t, []) for t in asked}, {}
            if any(asked.values()):
                return asked
            self._phase = "breed"
        self._parents = {t: self._breed(t) for t in active}
        return {t: list(children) for t, children in self._parents.items()}

    def tell(self, results: Mapping[str, Sequence]) -> None:
        for t, evaluations in results.items():
            self.n_told += len(evaluations)
            self.archive[t].update((e.arch, float(e.score)) for e in evaluations)
        if self._phase == "init":
            for t, evaluations in results.items():
                self.populations[t] = self._select(t, [], evaluations)
            self._end_generation()
        elif self._phase == "transfer":
            self._transferred = {t: [(e.arch, float(e.score), src) for e, (_, src) in
                                     zip(evaluations, self._transfer_sources[t])] for t, evaluations in results.items()}
            self._phase, self.generation_complete = "breed", False
        else:
            for t, evaluations in results.items():
                tp = self._transferred.get(t, [])
                self.populations[t] = self._select(t, tp if self.transfer_eval == "evaluate" else [], evaluations)
                self._label(t, tp, evaluations)
            self._end_generation()

    def refresh_scores(self, score: Callable[[list, str], list]) -> None:
        """Re-score every population member with ``score(archs, task)`` and re-rank (birth breaks ties)."""
        for t, members in self.populations.items():
            fresh = score([m[0] for m in members], t) if members else []
            self.populations[t] = sorted(([a, float(s), b] for (a, _, b), s in zip(members, fresh)),
                                         key=lambda m: (-m[1], m[2]))

    def _end_generation(self) -> None:
        self._transferred, self._parents, self._transfer_sources = {}, {}, {}
        self.generation += 1
        self._phase, self.generation_complete = "transfer", True

    # -- generation 0 -----------------------------------------------------------------------
    def _initial(self, task: str) -> list:
        if self.warmup == "random":
            return [self.space.sample(self.rng) for _ in range(self.population_size)]
        return self._zero_cost.warm_start(task, self.rng, self.warmup_pool, self.population_size)

    # -- transfer ---------------------------------------------------------------------------
    def _feature(self, name: str) -> Features:
        if name not in self._features:
            self._features[name] = Features(self.space, name)
        return self._features[name]

    def _choose_transfers(self, target: str) -> list:
        if target not in self.targets:
            self._transfer_sources[target] = []
            return []
        known = {m[0] for m in self.populations[target]} | (set(self.archive[target]) if self.fresh_transfers else set())
        candidates = candidates_for(target, {t: self.populations[t] for t in self.sources}, known)
        model = screening.fitted(self, target, SCREEN_TRAIN) if (
            self.transfer_pool > 1 or self.transfer_eval == "predict") else None
        pool = self.transfer_pool if model is not None else 1
        picks, phi, fills = choose(self.transfer, candidates, self.n_transfer * pool, self.rng,
                                   memory=self.memories[target], generation=self.generation,
                                   features=self._feature(self.embedding) if self.transfer == "rank" else None,
                                   skip_nonpositive=self.skip_nonpositive)
        if pool > 1:
            kept = screening.screen_transfers(self, model, [candidates[i].arch for i in picks], self.n_transfer)
            picks, fills = tuple(picks[k] for k in kept), tuple(fills[k] for k in kept)
        if self.transfer_eval == "predict":
            chosen = [candidates[i] for i in picks]
            self._transferred[target] = [(c.arch, s, c.source) for c, s in zip(
                chosen, screening.unevaluated_scores(self, model, target, chosen))]
        fill_of = dict(zip(picks, fills))
        for i, c in enumerate(candidates):
            self._events.append(Transferred(self.generation, target, c.source, c.arch, int(phi[i]), i in fill_of,
                                            bool(fill_of.get(i, False))))
        self._transfer_sources[target] = [(candidates[i].arch, candidates[i].source) for i in picks]
        return [candidates[i].arch for i in picks]

    # -- breeding ---------------------------------------------------------------------------
    def _tournament(self, pool: list) -> list:
        picks = self.rng.choice(len(pool), size=min(self.tournament_size, len(pool)), replace=False)
        return max((pool[int(i)] for i in picks), key=lambda m: m[1])  # first best on ties

    def _other_pool(self, task: str) -> list | None:
        others = [t for t in self.tasks if t != task and self.populations[t]]
        if not others or self.rmp == 0 or self.rng.random() >= self.rmp:
            return None
        return self.populations[others[int(self.rng.integers(len(others)))]]

    def _children(self, task: str, pool: list, depth: int) -> list[tuple[Any, list]]:
        """One or two children (crossover gives two) with their parents' strings;
        ``depth`` extra mutations are applied to each (to escape explored neighbourhoods)."""
        if self.crossover_rate and self.rng.random() < self.crossover_rate:
            a = self._tournament(pool)
            b = self._tournament(self._other_pool(task) or pool)
            kids = [(k, [a[0], b[0]]) for k in self.space.crossover(a[0], b[0], self.rng)]
        else:
            a = self._tournament(self._other_pool(task) or pool)
            kids = [(self.space.parse(a[0]), [a[0]])]
        out = []
        for k, p in kids:
            if self.mutation_rate and self.rng.random() < self.mutation_rate:
                k = self.space.mutate(k, self.rng)
            for _ in range(depth):
                k = self.space.mutate(k, self.rng)
            out.append((str(k), p))
        return out

    def _breed(self, task: str) -> dict[str, list]:
        pool = self.populations[task] + [[a, s, -1] for a, s, _ in self._transferred.get(task, [])]
        if not pool:
            return {}
        screened = self.screen == "zero_cost" or (self.screen and len(self.archive[task]) >= self.screen_min)
        wanted = self.n_offspring * (self.screen_pool if screened else 1)
        seen, bred, tries = self.archive[task], {}, 0
        while len(bred) < wanted:
            # children this task has evaluated are drawn again, one mutation deeper every RETRIES tries
            for child, parents in self._children(task, pool, tries // RETRIES):
                if (child not in seen and child not in bred) or tries >= MAX_TRIES * wanted:
                    bred.setdefault(child, [])
                    bred[child] += [p for p in parents if p not in bred[child]]
            tries += 1
        bred = list(bred.items())[:wanted]
        return dict(self._screened(task, bred) if screened else bred)

    def _screened(self, task: str, bred: list) -> list:
        if self.screen == "zero_cost":  # a table look-up: never an evaluation
            predicted = self._zero_cost.scores(task, [c for c, _ in bred])
        elif self.screen == "cross_task":
            bred = bred + self._surrogate.unexplored(self.rng, self.archive[task], bred)
            predicted = self._surrogate.scores(task, [c for c, _ in bred], self.archive)
        else:
            model = screening.fitted(self, task, SCREEN_TRAIN)
            predicted = screening.predict(self, model, [c for c, _ in bred])
        order = np.argsort(-predicted, kind="stable")[:self.n_offspring]
        return [bred[int(i)] for i in sorted(order)]

    # -- selection and labels -------------------------------------------------------------
    def _select(self, task: str, transferred: list, evaluations: Sequence) -> list:
        new = [[a, s, self._next_birth()] for a, s, _ in transferred]
        new += [[e.arch, float(e.score), self._next_birth()] for e in evaluations]
        members = self.populations[task] + new
        if self.selection == "aging":
            members = sorted(members, key=lambda m: m[2])[-self.population_size:]
        else:
            unique = list({m[0]: m for m in reversed(members)}.values())[::-1]  # keep the oldest copy
            members = sorted(unique, key=lambda m: (-m[1], m[2]))[:self.population_size]
        return sorted(members, key=lambda m: (-m[1], m[2]))

    def _next_birth(self) -> int:
        self._birth += 1
        return self._birth

    def _label(self, task: str, transferred: list, evaluations: Sequence) -> None:
        if not transferred:
            return
        from ..transfer_rank import label_transfers

        told = {e.arch for e in evaluations}
        parents = {c: ps for c, ps in self._parents.get(task, {}).items() if c in told}
        scores = {m[0]: m[1] for m in self.populations[task]}
        labels = label_transfers([a for a, _, _ in transferred], parents, scores, top=self.top)
        if not labels:
            return
        keys = list(labels)
        self.memories[task].add(keys, self._feature(self.embedding)(keys) if self.transfer == "rank"
                                else np.zeros((len(keys), 1)), [labels[k] for k in keys], self.generation)
        self._events += [TransferLabelled(self.generation, task, k, labels[k]) for k in keys]

    # -- checkpoints ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "generation": self.generation, "n_told": self.n_told,
                "birth": self._birth, "populations": self.populations,
                "archive": {t: list(a.items()) for t, a in self.archive.items()},
                "memories": {t: [[k, int(lab), int(g)] for k, lab, g in zip(m._keys, m._y, m._gen)]
                             for t, m in self.memories.items()}}

    def load_state_dict(self, state: dict) -> None:
        if self._phase != "init" or self.generation:
            raise ParameterError("load_state_dict needs a freshly built strategy")
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]
        self.generation, self.n_told, self._birth = int(state["generation"]), int(state["n_told"]), int(state["birth"])
        self.populations = {t: [[a, float(s), int(b)] for a, s, b in state["populations"][t]] for t in self.tasks}
        self.archive = {t: {a: float(s) for a, s in state["archive"][t]} for t in self.tasks}
        for t in self.tasks:
            rows = state["memories"][t]
            for gen in sorted({g for _, _, g in rows}):
                keys = [k for k, _, g in rows if g == gen]
                X = (self._feature(self.embedding)(keys) if self.transfer == "rank" else np.zeros((len(keys), 1)))
                self.memories[t].add(keys, X, [lab for _, lab, g in rows if g == gen], gen)
        self._phase = "transfer" if self.generation else "init"
