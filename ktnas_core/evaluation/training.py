"""Real training as an evaluator: train each cell's network on each task's own data.

:class:`TrainingEvaluator` follows the evaluator protocol (``evaluate(archs, task)``):
it builds the network of each cell (NAS-Bench-201's skeleton, TransNAS-Bench-101's
micro classification backbone or the DARTS network), trains it with a recipe of
:mod:`ktnas_core.evaluation.trainer` on the task's train split, and scores it by its
validation accuracy (%); ``cost_s`` is the measured wall time.  Test accuracy,
parameter count and the per-epoch history are kept in :meth:`TrainingEvaluator.details`.
With ``cache_dir`` every finished candidate is written atomically as JSON keyed by
(task, cell, training config), so a resumed search never retrains.  The ``stop``
event is checked before every batch (:class:`TrainingStopped`).

Candidates of one call train one after another here, or side by side on any
:class:`concurrent.futures.Executor`: ``workers=N`` makes a process pool (one worker per
GPU where there are GPUs), ``scheduler="tcp://host:8786"`` uses an existing Dask
scheduler (``distributed.Client(address).get_executor()``), and ``executor=`` takes any
executor you made, e.g. from a ``distributed.LocalCluster``.  Workers on this machine
report every epoch and honour the stop request between batches through files in a
temporary folder; workers on other machines report when a candidate ends and stop at
the end of it.  torch is imported when an evaluator is made, never when this module is.

Examples
--------
>>> ev = TrainingEvaluator({"digits": {"name": "digits", "subset": 300}}, epochs=1, C=4, device="cpu")
>>> e, = ev.evaluate(["|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"],
...                  "digits")
>>> e.source, 0 <= e.score <= 100, e.cost_s > 0, ev.details(e.arch, "digits")["params"]
('train', True, True, 11054)
>>> training_evaluator_from_config(ev.config()).config() == ev.config()
True
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import math
import numbers
import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..errors import DataIntegrityError, ParameterError, UnknownArchitectureError
from ..validation import check_flag, check_int
from .base import Evaluation
from .inputs import candidate_seed, check_data_and_hooks, check_task
from .trainer import (RECIPES, EpochInfo, TrainJob, TrainingStopped, process_pool, read_progress, resolve_device,
                      train_candidate)

__all__ = ["EpochInfo", "TrainingEvaluator", "TrainingStopped", "training_evaluator_from_config", "CACHE_VERSION"]
#: spaces whose cells can be trained, and the recipe each trains with by default
TRAINABLE_SPACES = {"nb201": "basic", "tnb101_micro": "basic", "darts": "darts"}
#: the cells ``N`` the command line and the dashboard suggest per space (a DARTS network needs at least 3)
DEFAULT_CELLS = {"nb201": 1, "tnb101_micro": 1, "darts": 5}

#: bumped whenever a change of the training recipe makes cached results stale
CACHE_VERSION = 2
_RECORD_KEYS = ("arch", "task", "score", "test_accuracy", "params", "seconds", "epochs", "seed")


class TrainingEvaluator:
    """Score cells by training their networks on each task's dataset.

    Parameters
    ----------
    datasets : dict
        Task name -> dataset of :func:`ktnas_core.datasets.load_dataset`: a name (``"digits"``,
        ``"fashion-mnist"``) or a dict ``{"name": ..., "subset": ..., "seed": ..., "valid_fraction": ...,
        "root": ...}`` of its arguments, so that each task of a multi-task search trains on its own data.
    epochs, batch_size : int, default 5, 64
        Training length and mini-batch size.
    lr : float or None, default None
        Peak learning rate of the cosine schedule (None: the recipe's, 0.05 basic, 0.025 darts).
    C, N : int, default 8, 1
        Channels of the first stage, and cells per stage (``nb201``; NAS-Bench-201 itself: 16 and 5) or
        cells in all (``darts``: DARTS' ``layers``, 8 in its search, 20 in its CIFAR retraining).
    device : str, default "auto"
        ``"auto"`` (CUDA when available, else CPU, see :attr:`device_note`), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
    amp : bool, default True
        Mixed precision (bfloat16 autocast, or float16 with loss scaling), on CUDA only.
    deterministic : bool, default False
        Ask torch for deterministic algorithms (results on CPU are repeatable without it).
    seed : int, default 0
        Root seed; each candidate's weights and batch order come from (seed, task, cell).
    cache_dir : path or None
        Directory of one JSON file per finished candidate; results there are returned without training.
    stop : threading.Event or None
        Checked before every batch; when set, :meth:`evaluate` raises :class:`TrainingStopped`.
    on_epoch : callable or None
        Called with an :class:`EpochInfo` after every epoch.
    subset : int, dict or None
        Default ``subset`` of ``load_dataset`` (images kept per split) for tasks whose dataset sets none.
    space : {"nb201", "tnb101_micro", "darts"}, default "nb201"
        The search space of the cells.
    recipe : {"basic", "darts"} or None
        Training recipe of :mod:`~ktnas_core.evaluation.trainer` (None: ``darts`` for the darts space, else ``basic``).
    threads : int, default 1
        CPU threads torch uses per candidate (more only pay for large networks on an idle machine).
    workers : int or None
        Train this many candidates side by side in a process pool (:func:`~ktnas_core.evaluation.trainer.process_pool`).
    scheduler : str or None
        Address of a running Dask scheduler (``"tcp://host:8786"``): train on its workers (needs ``distributed``).
    executor : concurrent.futures.Executor or None
        Any executor to train on (not saved in :meth:`config`; pass it again to ``resume_run``).

    Attributes
    ----------
    device : str
        The device training runs on.
    device_note : str or None
        ``"no GPU: training on CPU will be slow"`` when ``device="auto"`` found no GPU.
    n_trained, n_cached : int
        Candidates trained by this evaluator, and those answered from the cache instead.
    """

    source = "train"

    def __init__(self, datasets: Mapping[str, Any], *, epochs: int = 5, batch_size: int = 64, lr: float | None = None,
                 C: int = 8, N: int = 1, device: str = "auto", amp: bool = True, deterministic: bool = False,
                 seed: int = 0, cache_dir: str | os.PathLike | None = None, stop: threading.Event | None = None,
                 on_epoch: Callable[[EpochInfo], Any] | None = None, subset: int | None = None,
                 space: str = "nb201", recipe: str | None = None, threads: int = 1, workers: int | None = None,
                 scheduler: str | None = None, executor: concurrent.futures.Executor | None = None):
        if space not in TRAINABLE_SPACES:
            raise ParameterError(f"space={space!r} cannot be trained; allowed: {list(TRAINABLE_SPACES)}")
        recipe = TRAINABLE_SPACES[space] if recipe is None else recipe
        if recipe not in RECIPES:
            raise ParameterError(f"recipe={recipe!r} is not known; allowed: {sorted(RECIPES)} or None")
        self.space_name, self.recipe = space, recipe
        self.datasets, self.subset = check_data_and_hooks(datasets, subset, stop, on_epoch)
        self.epochs, self.batch_size = check_int("epochs", epochs), check_int("batch_size", batch_size)
        self.C, self.N = check_int("C", C), check_int("N", N, 3 if space == "darts" else 1)
        self.seed = check_int("seed", seed, 0)
        self.threads = check_int("threads", threads)
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < math.inf):
            raise ParameterError(f"lr={lr!r} is out of range; allowed: a number > 0, or None for the recipe's")
        self.lr = None if lr is None else float(lr)
        self.amp, self.deterministic = check_flag("amp", amp), check_flag("deterministic", deterministic)
        self.stop, self.on_epoch = stop, on_epoch
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.workers = None if workers is None else check_int("workers", workers)
        if scheduler is not None and not (isinstance(scheduler, str) and scheduler.strip()):
            raise ParameterError(f"scheduler={scheduler!r} must be a Dask scheduler address like "
                                 "'tcp://host:8786', or None")
        if executor is not None and not callable(getattr(executor, "submit", None)):
            raise ParameterError(f"executor={executor!r} is not a concurrent.futures.Executor")
        if sum(x is not None for x in (self.workers, scheduler, executor)) > 1:
            raise ParameterError("give at most one of workers, scheduler and executor")
        self.scheduler, self._executor = scheduler, executor
        self.device_request = device
        self.device, self.device_note = resolve_device(device)
        from ..spaces import get_space

        self.space = get_space(space)
        self.n_trained, self.n_cached = 0, 0
        self._records: dict[tuple[str, str], dict] = {}

    # -- configuration -------------------------------------------------------------------
    def _training_config(self) -> dict:
        return {"version": CACHE_VERSION, "space": self.space_name, "recipe": self.recipe, "epochs": self.epochs,
                "batch_size": self.batch_size, "lr": self.lr, "C": self.C, "N": self.N, "amp": self.amp,
                "seed": self.seed}

    def config(self) -> dict:
        """JSON-able description for :func:`training_evaluator_from_config` (without ``stop``, ``on_epoch``,
        ``executor``)."""
        cfg = self._training_config()
        del cfg["version"]
        return {"kind": "train", **cfg, "datasets": {t: dict(s) for t, s in self.datasets.items()},
                "device": self.device_request, "deterministic": self.deterministic,
                "cache_dir": None if self.cache_dir is None else str(self.cache_dir), "subset": self.subset,
                "threads": self.threads, "workers": self.workers, "scheduler": self.scheduler}

    def _cache_path(self, task: str, arch: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps({"task": task, "arch": arch, "data": self.datasets[task], **self._training_config()},
                         sort_keys=True)
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    @property
    def executor(self) -> concurrent.futures.Executor | None:
        """The executor candidates train on (made on first use from ``workers`` or ``scheduler``), or None."""
        if self._executor is None and self.workers is not None and self.workers > 1:
            devices = [self.device] * self.workers if self.device_request != "auto" else None
            self._executor = process_pool(self.workers, devices)
            weakref.finalize(self, self._executor.shutdown, wait=False, cancel_futures=True)
        elif self._executor is None and self.scheduler is not None:
            try:
                from distributed import Client
            except ImportError:
                raise ParameterError("scheduler= needs Dask's distributed package: pip install distributed") from None
            client = Client(self.scheduler)
            self._executor = client.get_executor()
            weakref.finalize(self, client.close)
        return self._executor

    # -- the protocol -----------------------------------------------------------------------
    def evaluate(self, archs: Sequence[Any], task: str) -> list[Evaluation]:
        """Train (or look up) each cell of ``archs`` on ``task`` and return its :class:`Evaluation`.

        Raises
        ------
        UnknownTaskError
            For a task that ``datasets`` does not name.
        InvalidArchitectureError
            For something that is not a cell of the space.
        TrainingStopped
            When the stop event is set; cells finished before it stay cached.
        """
        check_task(self.datasets, task)
        names = [str(self.space.coerce(a)) for a in archs]
        todo = list(dict.fromkeys(a for a in names if self._lookup(task, a) is None))
        if todo and self.executor is None:
            for arch in todo:
                self._store(train_candidate(self._job(task, arch), self.stop, self.on_epoch))
        elif todo:
            self._train_parallel(task, todo)
        self.n_cached += len(names) - len(todo)
        return [Evaluation(a, task, self._records[(task, a)]["score"], self._records[(task, a)]["seconds"],
                           self.source) for a in names]

    def _job(self, task: str, arch: str, **paths: str) -> TrainJob:
        return TrainJob(task=task, arch=arch, space=self.space_name, dataset=self.datasets[task], epochs=self.epochs,
                        batch_size=self.batch_size, lr=self.lr, C=self.C, N=self.N, recipe=self.recipe,
                        amp=self.amp, seed=self.seed, candidate_seed=candidate_seed(self.seed, task, arch),
                        device="auto" if self.device_request == "auto" and paths else self.device,
                        threads=self.threads, deterministic=self.deterministic, **paths)

    def _store(self, rec: dict) -> None:
        rec = {**rec, "config": self._training_config()}
        key = (rec["task"], rec["arch"])
        self.n_trained += 1
        self._records[key] = rec
        path = self._cache_path(*key)
        if path is not None:
            from ..atomic import atomic_write_json

            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(path, rec)

    def _train_parallel(self, task: str, todo: list[str]) -> None:
        """Train ``todo`` on the executor, forwarding epochs and the stop request; keep what finishes."""
        tmp = Path(tempfile.mkdtemp(prefix="ktnas-train-"))
        stop_path = tmp / "STOP"
        jobs = {arch: self._job(task, arch, stop_path=str(stop_path), progress_path=str(tmp / f"{i}.jsonl"))
                for i, arch in enumerate(todo)}
        futures = {self.executor.submit(train_candidate, job): arch for arch, job in jobs.items()}
        offsets = {arch: 0 for arch in todo}
        pending, error = set(futures), None
        try:
            while pending:
                done, pending = concurrent.futures.wait(pending, timeout=0.2,
                                                        return_when=concurrent.futures.FIRST_COMPLETED)
                for arch in todo:
                    infos, offsets[arch] = read_progress(Path(jobs[arch].progress_path), offsets[arch])
                    for info in infos if self.on_epoch is not None else ():
                        self.on_epoch(info)
                for fut in done:
                    try:
                        self._store(fut.result())
                    except BaseException as exc:  # noqa: BLE001 - the first error ends the call, after the others
                        error = error or exc
                if (error is not None or (self.stop is not None and self.stop.is_set())) and not stop_path.exists():
                    stop_path.touch()
                    for fut in pending:
                        fut.cancel()
        finally:
            if pending:  # interrupted here: let running candidates see the stop file before the folder goes
                stop_path.touch()
                concurrent.futures.wait(pending, timeout=30)
            shutil.rmtree(tmp, ignore_errors=True)
        if error is not None and not isinstance(error, (TrainingStopped, concurrent.futures.CancelledError)):
            raise error
        missing = [a for a in todo if (task, a) not in self._records]
        if missing:
            raise TrainingStopped(f"training on {task!r} stopped with {len(missing)} of {len(todo)} candidates "
                                  "unfinished", task, missing[0])

    def _lookup(self, task: str, arch: str) -> dict | None:
        rec = self._records.get((task, arch))
        path = self._cache_path(task, arch)
        if rec is None and path is not None and path.exists():
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
                ok = isinstance(rec, dict) and all(k in rec for k in _RECORD_KEYS) and (
                    rec["arch"], rec["task"]) == (arch, task)
            except (OSError, ValueError):
                ok = False
            if not ok:
                raise DataIntegrityError(f"cache file {str(path)!r} is not a training record of {arch!r} on "
                                         f"{task!r}; delete it to retrain")
            self._records[(task, arch)] = rec
        return rec

    def details(self, arch: Any, task: str) -> dict:
        """The record of a trained (or cached) cell: score (validation accuracy, %), ``test_accuracy``,
        ``params``, ``seconds``, ``epochs``, ``seed``, per-epoch ``train_loss`` and ``valid_accuracy``.

        Raises
        ------
        UnknownArchitectureError
            If the cell was not evaluated on ``task`` (here or in the cache).
        """
        key = (task, str(self.space.coerce(arch)))
        rec = self._lookup(*key) if task in self.datasets else None
        if rec is None:
            raise UnknownArchitectureError(f"cell {key[1]!r} has not been trained on task {task!r}; "
                                           "evaluate it first")
        return dict(rec)


def training_evaluator_from_config(config: dict, **kwargs: Any) -> TrainingEvaluator:
    """Rebuild a :class:`TrainingEvaluator` from its :meth:`~TrainingEvaluator.config`; ``kwargs``
    (``stop``, ``on_epoch``, or overrides such as ``device``) are passed on.

    Raises
    ------
    ParameterError
        For a config that is not of kind ``"train"``.

    Examples
    --------
    >>> training_evaluator_from_config({"kind": "table", "benchmark": "nb201"})
    Traceback (most recent call last):
    ...
    ktnas_core.errors.ParameterError: evaluator config {'kind': 'table', 'benchmark': 'nb201'} is not of kind 'train'
    """
    if not isinstance(config, dict) or config.get("kind") != "train":
        raise ParameterError(f"evaluator config {config!r} is not of kind 'train'")
    params = {k: v for k, v in config.items() if k != "kind"}
    return TrainingEvaluator(**{**params, **kwargs})
