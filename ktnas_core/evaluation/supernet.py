"""Weight sharing as an evaluator: one DARTS-style supernet per task (PAPER.md section 6).

:class:`SupernetEvaluator` follows the evaluator protocol.  Once per generation (the loop calls
:meth:`SupernetEvaluator.begin_generation`; used alone, every call is a generation) the task's
supernet (:class:`~ktnas_core.networks.darts_supernet.DartsSupernet`) trains for one epoch on the train
split, each mini-batch through one architecture drawn uniformly from the call's new cells and
the task's last ``pool_size`` scored (the parents); a strategy that evaluates transferred cells
and children in two calls still gets one epoch (with the first call's cells).  Every new cell
is then scored by its own validation accuracy with the shared weights (never counts pooled
across cells), BatchNorm on each batch's statistics (the running averages mix every
architecture), on validation images shuffled once (seeded: batches must mix the classes).

The supernet keeps training, so a parent's old score met less trained weights than its
children's: with ``rescore_parents`` (default) the evaluator says its scores drift
(``scores_drift``) and the search loop has the kept cells scored again (:meth:`rescore`,
cached per epoch) before each selection, as EMT-NAS evaluates parents and offspring every
generation; recorded first scores stay (:meth:`details`).  ``warmup_epochs`` first train the
supernet through uniformly random cells.  With ``state_dir`` each task's supernet, optimiser,
schedule position, parents and scores are saved atomically after every call, so a resumed
search continues with the same weights.  ``stop`` is checked before every batch; a stopped
epoch is dropped (the state before it is reloaded from ``state_dir``, else from memory).

Examples
--------
>>> from ktnas_core.spaces import get_space
>>> ev = SupernetEvaluator({"digits": {"name": "digits", "subset": 200}}, C=4, layers=3, device="cpu")
>>> cells = [get_space("darts").sample(i) for i in range(3)]
>>> evals = ev.evaluate(cells, "digits")
>>> [e.source for e in evals], all(0 <= e.score <= 100 for e in evals), ev.epochs_trained("digits")
(['supernet', 'supernet', 'supernet'], True, 1)
"""

from __future__ import annotations

import collections
import copy
import math
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import DataIntegrityError, ParameterError, UnknownArchitectureError
from ..validation import check_flag, check_int
from .base import Evaluation
from .trainer import EpochInfo, TrainingStopped, _tensors, amp_dtype_for, resolve_device
from .inputs import candidate_seed, check_data_and_hooks, check_task

__all__ = ["SupernetEvaluator", "supernet_evaluator_from_config"]

STATE_VERSION = 1


class _TaskState:
    """One task's supernet, optimiser, epochs trained, parents and scores."""

    def __init__(self, net, opt, epoch: int, parents, scores: dict, trained_in: int | None = None):
        self.net, self.opt, self.epoch = net, opt, epoch
        self.parents = collections.deque(parents)
        self.scores = scores
        self.trained_in = trained_in  # the search generation of the last epoch


class SupernetEvaluator:
    """Score DARTS-style cells with one weight-sharing supernet per task.

    Parameters
    ----------
    datasets : dict
        Task name -> dataset of :func:`ktnas_core.datasets.load_dataset` (as for
        :class:`~ktnas_core.evaluation.training.TrainingEvaluator`).
    C, layers : int, default 8, 5
        Supernet width (first stage channels) and cells in all (DARTS searched with 16 and 8).
    batch_size : int, default 64
    lr : float, default 0.025
        SGD (momentum 0.9, weight decay 3e-4) learning rate, cosine-annealed over ``schedule_epochs``.
    schedule_epochs : int, default 50
        Supernet epochs over which the learning rate anneals (then it stays at its minimum, 0).
        Set it to the number of generations you plan.
    valid_batches : int or None
        Score each cell on the first ``valid_batches`` validation batches (None: all of them).
    pool_size : int, default 20
        Recent cells (parents) that keep training beside each generation's new cells.
    rescore_parents : bool, default True
        Tell the search loop that scores drift, so that parents are scored again with the current weights
        before each selection (False: a cell's first score is final).
    warmup_epochs : int, default 0
        Epochs that train the supernet before the first generation's, each batch through a uniformly random
        cell (as single-path one-shot NAS does), so that no operation starts the search untrained.
    device, amp, seed, subset, threads
        As for :class:`~ktnas_core.evaluation.training.TrainingEvaluator`.
    state_dir : path or None
        Where each task's supernet and scores are saved after every call (needed to resume).
    stop : threading.Event or None
        Checked before every batch; when set, :meth:`evaluate` raises :class:`TrainingStopped`.
    on_epoch : callable or None
        Called with an :class:`EpochInfo` (``arch="supernet"``) after every supernet epoch.
    """

    source = "supernet"

    def __init__(self, datasets: Mapping[str, Any], *, C: int = 8, layers: int = 5, batch_size: int = 64,
                 lr: float = 0.025, schedule_epochs: int = 50, valid_batches: int | None = None,
                 pool_size: int = 20, device: str = "auto", amp: bool = True, seed: int = 0,
                 state_dir: str | os.PathLike | None = None, stop: threading.Event | None = None,
                 on_epoch: Callable[[EpochInfo], Any] | None = None, subset: int | None = None, threads: int = 1,
                 rescore_parents: bool = True, warmup_epochs: int = 0):
        self.datasets, self.subset = check_data_and_hooks(datasets, subset, stop, on_epoch)
        self.C, self.layers = check_int("C", C), check_int("layers", layers, 3)
        self.batch_size = check_int("batch_size", batch_size)
        self.schedule_epochs = check_int("schedule_epochs", schedule_epochs)
        self.valid_batches = None if valid_batches is None else check_int("valid_batches", valid_batches)
        self.warmup_epochs = check_int("warmup_epochs", warmup_epochs, 0)
        self.pool_size, self.seed = check_int("pool_size", pool_size, 0), check_int("seed", seed, 0)
        self.threads = check_int("threads", threads)
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf:
            raise ParameterError(f"lr={lr!r} is out of range; allowed: a number > 0")
        self.lr, self.amp = float(lr), check_flag("amp", amp)
        self.rescore_parents = check_flag("rescore_parents", rescore_parents)
        self.stop, self.on_epoch = stop, on_epoch
        self.state_dir = None if state_dir is None else Path(state_dir)
        self.device_request = device
        self.device, self.device_note = resolve_device(device)
        from ..spaces import get_space

        self.space = get_space("darts")
        self._tasks: dict[str, _TaskState] = {}
        self._generation_now: int | None = None
        self._rescored: dict[tuple, tuple[int, float]] = {}  # (task, cell, all_valid) -> (epoch, score)

    @property
    def scores_drift(self) -> bool:
        """True when the search loop should have parents scored again (``rescore_parents``)."""
        return self.rescore_parents

    def config(self) -> dict:
        """JSON-able description for :func:`supernet_evaluator_from_config` (without ``stop``, ``on_epoch``)."""
        return {"kind": "supernet", "datasets": {t: dict(s) for t, s in self.datasets.items()}, "C": self.C,
                "layers": self.layers, "batch_size": self.batch_size, "lr": self.lr,
                "schedule_epochs": self.schedule_epochs, "valid_batches": self.valid_batches,
                "pool_size": self.pool_size, "device": self.device_request, "amp": self.amp, "seed": self.seed,
                "state_dir": None if self.state_dir is None else str(self.state_dir), "subset": self.subset,
                "threads": self.threads, "rescore_parents": self.rescore_parents,
                "warmup_epochs": self.warmup_epochs}

    # -- state ---------------------------------------------------------------------------------
    def _path(self, task: str) -> Path | None:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in task)[:40]
        tag = candidate_seed(0, task, "") % 16**6
        return None if self.state_dir is None else self.state_dir / f"supernet-{safe}-{tag:06x}.pt"

    def _state(self, task: str) -> _TaskState:
        if task in self._tasks:
            return self._tasks[task]
        import torch

        from ..networks.darts_supernet import DartsSupernet
        from ..torch_session import torch_session

        x_tr, *_, num_classes = _tensors(self.datasets[task], self.device)
        channels = int(x_tr.shape[1])
        with torch_session(candidate_seed(self.seed, task, "supernet"), threads=self.threads):
            net = DartsSupernet(C=self.C, layers=self.layers, num_classes=num_classes, in_channels=channels)
        net = net.to(self.device)
        opt = torch.optim.SGD(net.parameters(), lr=self.lr, momentum=0.9, weight_decay=3e-4)
        state = _TaskState(net, opt, 0, [], {})
        path = self._path(task)
        if path is not None and path.exists():
            try:
                saved = torch.load(path, map_location=self.device, weights_only=True)
                if saved.get("version") != STATE_VERSION or saved.get("task") != task:
                    raise ValueError(f"version {saved.get('version')!r}, task {saved.get('task')!r}")
                net.load_state_dict(saved["net"])
                opt.load_state_dict(saved["opt"])
                state = _TaskState(net, opt, int(saved["epoch"]), saved["parents"], dict(saved["scores"]),
                                   saved.get("trained_in"))
            except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
                raise DataIntegrityError(f"supernet state {str(path)!r} of task {task!r} cannot be read ({exc}); "
                                         "delete it to start this task's supernet afresh") from None
        state.parents = collections.deque(state.parents, maxlen=self.pool_size)
        self._tasks[task] = state
        return state

    def _save(self, task: str, state: _TaskState) -> None:
        path = self._path(task)
        if path is None:
            return
        import torch

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            torch.save({"version": STATE_VERSION, "task": task, "net": state.net.state_dict(),
                        "opt": state.opt.state_dict(), "epoch": state.epoch, "parents": list(state.parents),
                        "trained_in": state.trained_in,
                        "scores": state.scores}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def begin_generation(self, generation: int) -> None:
        """Called by the search loop as each generation starts: the first call of a generation that brings
        new cells trains the epoch; its other calls (a strategy may evaluate transferred cells and children
        apart) score their cells with the same weights."""
        self._generation_now = int(generation)

    def epochs_trained(self, task: str) -> int:
        """Supernet epochs trained so far on ``task`` (saved ones included)."""
        return self._state(task).epoch

    # -- the protocol --------------------------------------------------------------------------
    def evaluate(self, archs: Sequence[Any], task: str) -> list[Evaluation]:
        """Train ``task``'s supernet one epoch over ``archs`` and their parents, then score each new cell.

        Raises
        ------
        UnknownTaskError
            For a task that ``datasets`` does not name.
        InvalidArchitectureError
            For something that is not a DARTS-style cell.
        TrainingStopped
            When the stop event is set (the epoch is dropped; the last saved state stays).
        """
        check_task(self.datasets, task)
        names = [str(self.space.coerce(a)) for a in archs]
        state = self._state(task)
        todo = list(dict.fromkeys(a for a in names if a not in state.scores))
        if todo:
            # with a stop flag but no saved state to reload, keep a copy: a stop must not lose the epochs before it
            kept = copy.deepcopy((state.net.state_dict(), state.opt.state_dict())) if (
                self.stop is not None and self.state_dir is None) else None
            try:
                self._generation(task, state, todo)
            except TrainingStopped:  # the half-trained epoch is not kept
                if kept is None:
                    del self._tasks[task]  # reloaded from state_dir
                else:
                    state.net.load_state_dict(kept[0])
                    state.opt.load_state_dict(kept[1])
                raise
            self._save(task, state)
        return [Evaluation(a, task, state.scores[a]["score"], state.scores[a]["seconds"] if a in todo else 0.0,
                           self.source) for a in names]

    def _generation(self, task: str, state: _TaskState, todo: list[str]) -> None:
        from ..torch_session import torch_session

        x_tr, y_tr, x_va, y_va, *_ = _tensors(self.datasets[task], self.device)
        pool = list(dict.fromkeys(todo + list(state.parents)))
        genomes = {a: self.space.parse(a) for a in pool}
        train = self._generation_now is None or state.trained_in != self._generation_now
        t0 = time.perf_counter()
        with torch_session(candidate_seed(self.seed, task, f"epoch {state.epoch}"), threads=self.threads,
                           device=self.device) as torch:
            amp_dtype = amp_dtype_for(torch, self.device, self.amp)
            bs = min(self.batch_size, len(y_tr))
            while train and state.epoch < self.warmup_epochs:  # SPOS-style: every batch through a random cell
                rng = np.random.default_rng(candidate_seed(self.seed, task, f"warm-up {state.epoch}"))
                loss = self._epoch(torch, state, task, x_tr, y_tr, lambda b: self.space.sample(rng), amp_dtype,
                                   self.lr)
                state.epoch += 1
                self._tell_epoch(task, state, loss, None, t0)
            gen, order = self._shuffle(torch, task, state.epoch, len(y_tr))
            picks = torch.randint(0, len(pool), (math.ceil(len(y_tr) / bs),), generator=gen).tolist()
            done = min(state.epoch - self.warmup_epochs, self.schedule_epochs)
            lr = self.lr * 0.5 * (1 + math.cos(math.pi * done / self.schedule_epochs))
            loss = self._epoch(torch, state, task, x_tr, y_tr, lambda b: genomes[pool[picks[b]]], amp_dtype, lr,
                               order) if train else None
            train_s = time.perf_counter() - t0
            x_va, y_va = self._validation(torch, x_va, y_va, bs)
            for arch in todo:
                t1 = time.perf_counter()
                state.scores[arch] = {"score": self._score(torch, state, genomes[arch], x_va, y_va, bs, amp_dtype),
                                      "epoch": state.epoch + train, "valid_images": len(y_va),
                                      "seconds": train_s / len(todo) + time.perf_counter() - t1}
        state.parents.extend(a for a in todo if a not in state.parents)
        if train:
            state.epoch, state.trained_in = state.epoch + 1, self._generation_now
            self._tell_epoch(task, state, loss, max(state.scores[a]["score"] for a in todo), t0)

    def _epoch(self, torch, state: _TaskState, task: str, x_tr, y_tr, genome_of_batch, amp_dtype, lr: float,
               order=None) -> float:
        """One epoch over the train split (in ``order``, else a seeded shuffle), batch ``b`` through
        ``genome_of_batch(b)``; returns the mean loss."""
        for group in state.opt.param_groups:
            group["lr"] = lr
        n, bs = len(y_tr), min(self.batch_size, len(y_tr))
        order = self._shuffle(torch, task, state.epoch, n)[1] if order is None else order
        scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype is torch.float16)
        state.net.train()
        total, seen = torch.zeros((), device=self.device), 0
        for b, s in enumerate(range(0, n, bs)):
            if n - s < 2 and s:
                break  # BatchNorm needs two samples
            if self.stop is not None and self.stop.is_set():
                raise TrainingStopped(f"supernet training on {task!r} stopped in epoch {state.epoch + 1} after "
                                      f"{b} batches", task, "supernet", state.epoch, b)
            idx = order[s:s + bs]
            with torch.autocast("cuda", dtype=amp_dtype or torch.float16, enabled=amp_dtype is not None):
                loss = torch.nn.functional.cross_entropy(state.net(x_tr[idx], genome_of_batch(b)), y_tr[idx])
            state.opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(state.opt)
            torch.nn.utils.clip_grad_norm_(state.net.parameters(), 5.0)
            scaler.step(state.opt)
            scaler.update()
            total += loss.detach().float() * len(idx)
            seen += len(idx)
        return float(total) / max(seen, 1)

    def _shuffle(self, torch, task: str, epoch: int, n: int) -> tuple:
        """Epoch ``epoch``'s seeded generator and the order of the ``n`` training images it draws first."""
        gen = torch.Generator().manual_seed(candidate_seed(self.seed, task, f"batches {epoch}"))
        return gen, torch.randperm(n, generator=gen).to(self.device)

    def _tell_epoch(self, task: str, state: _TaskState, loss: float, best: float | None, t0: float) -> None:
        if self.on_epoch is not None:
            self.on_epoch(EpochInfo(task, "supernet", state.epoch, self.warmup_epochs + self.schedule_epochs, loss,
                                    best, time.perf_counter() - t0))

    def _validation(self, torch, x_va, y_va, bs: int, every: bool = False) -> tuple:
        """The scoring images: the first ``valid_batches`` batches of one fixed shuffle (seeded). BatchNorm
        normalises each scoring batch by its own statistics, so batches must mix the classes even where a
        data set stores its images sorted by label."""
        n_valid = len(y_va) if self.valid_batches is None or every else min(len(y_va), self.valid_batches * bs)
        mix = torch.randperm(len(y_va), generator=torch.Generator().manual_seed(self.seed))[:n_valid].to(self.device)
        return x_va[mix], y_va[mix]

    @staticmethod
    def _score(torch, state: _TaskState, genome, x_va, y_va, bs: int, amp_dtype) -> float:
        """Validation accuracy (%) of ``genome`` with the shared weights, on its own (train-mode BatchNorm)."""
        correct = 0
        with torch.no_grad(), torch.autocast("cuda", dtype=amp_dtype or torch.float16, enabled=amp_dtype is not None):
            for s in range(0, len(y_va), bs):
                correct += int((state.net(x_va[s:s + bs], genome).argmax(1) == y_va[s:s + bs]).sum())
        return 100.0 * correct / len(y_va)

    def scored_cells(self, task: str) -> list[str]:
        """Every cell scored on ``task`` so far (saved ones included), in the order they were scored."""
        return list(self._state(task).scores)

    def rescore(self, archs: Sequence[Any], task: str, *, all_valid: bool = False) -> list[float]:
        """Each cell's validation accuracy (%) with ``task``'s *current* shared weights, recorded scores left
        as they are: the final ranking of a search's candidates by one and the same supernet (a cell scored in
        an early generation met a less trained supernet than one scored late).  With ``all_valid`` every
        validation image counts, also beyond ``valid_batches`` (a final ranking of a few cells may afford it).

        Raises
        ------
        UnknownTaskError
            For a task that ``datasets`` does not name.
        """
        from ..torch_session import torch_session

        check_task(self.datasets, task)
        genomes = [self.space.coerce(a) for a in archs]
        state = self._state(task)
        every = check_flag("all_valid", all_valid)
        keys = [(task, str(g), every) for g in genomes]
        todo = {k: g for k, g in zip(keys, genomes) if self._rescored.get(k, (None,))[0] != state.epoch}
        if todo:
            x_tr, _, x_va, y_va, *_ = _tensors(self.datasets[task], self.device)
            bs = min(self.batch_size, len(x_tr))
            with torch_session(threads=self.threads, device=self.device) as torch:
                state.net.train()
                x_va, y_va = self._validation(torch, x_va, y_va, bs, every=every)
                amp_dtype = amp_dtype_for(torch, self.device, self.amp)
                for k, g in todo.items():
                    self._rescored[k] = (state.epoch, self._score(torch, state, g, x_va, y_va, bs, amp_dtype))
        return [self._rescored[k][1] for k in keys]

    def details(self, arch: Any, task: str) -> dict:
        """``score`` (validation accuracy with the shared weights, %), ``epoch`` (supernet epoch it was scored
        after), ``seconds`` and ``valid_images`` of a scored cell.

        Raises
        ------
        UnknownArchitectureError
            If the cell was not scored on ``task``.
        """
        key = str(self.space.coerce(arch))
        scores = self._state(task).scores if task in self.datasets else {}
        if key not in scores:
            raise UnknownArchitectureError(f"cell {key!r} has not been scored on task {task!r}; evaluate it first")
        return {"arch": key, "task": task, **scores[key]}


def supernet_evaluator_from_config(config: dict, **kwargs: Any) -> SupernetEvaluator:
    """Rebuild a :class:`SupernetEvaluator` from its :meth:`~SupernetEvaluator.config`; ``kwargs``
    (``stop``, ``on_epoch``, or overrides such as ``device``) are passed on.

    Raises
    ------
    ParameterError
        For a config that is not of kind ``"supernet"``.
    """
    if not isinstance(config, dict) or config.get("kind") != "supernet":
        raise ParameterError(f"evaluator config {config!r} is not of kind 'supernet'")
    config = {"rescore_parents": False, **config}  # runs saved before parents were scored again go on as they began
    return SupernetEvaluator(**{**{k: v for k, v in config.items() if k != "kind"}, **kwargs})
