"""Real training as an evaluator: train the NB201 network of each cell on each task's own data.

:class:`TrainingEvaluator` follows the evaluator protocol (``evaluate(archs, task)``):
it builds the NAS-Bench-201 network for the cell, trains it with SGD (Nesterov
momentum 0.9, weight decay 5e-4) and a per-step cosine schedule on the task's train
split, and scores it by its validation accuracy (%); ``cost_s`` is the measured wall
time.  Test accuracy, parameter count and the per-epoch history are kept in
:meth:`TrainingEvaluator.details`.  With ``cache_dir`` every finished candidate is
written atomically as JSON keyed by (task, cell, training config), so a resumed
search never retrains.  The ``stop`` event is checked before every batch
(:class:`TrainingStopped`).  torch is imported when an evaluator is made, never
when this module is.

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

import dataclasses
import hashlib
import json
import math
import numbers
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..errors import DataIntegrityError, KtnasError, ParameterError, UnknownArchitectureError, UnknownTaskError
from .evaluators import Evaluation

__all__ = ["EpochInfo", "TrainingEvaluator", "TrainingStopped", "training_evaluator_from_config", "CACHE_VERSION"]

#: bumped whenever a change of the training recipe makes cached results stale
CACHE_VERSION = 1
_SPEC_KEYS = ("name", "subset", "valid_fraction", "seed", "root")
_RECORD_KEYS = ("arch", "task", "score", "test_accuracy", "params", "seconds", "epochs", "seed")


class TrainingStopped(KtnasError):
    """Training was cancelled by the stop event; the candidate in training is lost.

    Attributes ``task``, ``arch``, ``epoch`` (0-based) and ``batches_done`` (batches
    this candidate finished before the stop was seen) say where it stopped.
    """

    def __init__(self, message: str, task: str = "", arch: str = "", epoch: int = 0, batches_done: int = 0):
        super().__init__(message)
        self.task, self.arch, self.epoch, self.batches_done = task, arch, epoch, batches_done


@dataclasses.dataclass(frozen=True)
class EpochInfo:
    """Progress after one epoch of one candidate (``epoch`` counts from 1 to ``epochs``)."""

    task: str
    arch: str
    epoch: int
    epochs: int
    train_loss: float
    valid_accuracy: float
    seconds: float


def _int(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ParameterError(f"{name}={value!r} is out of range; allowed: an integer >= {low}")
    return int(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"{name}={value!r} must be True or False")
    return value


def _spec(task: str, value: Any, subset: int | None) -> dict:
    spec = {"name": value} if isinstance(value, str) else dict(value) if isinstance(value, Mapping) else None
    if spec is None or not isinstance(spec.get("name"), str) or set(spec) - set(_SPEC_KEYS):
        raise ParameterError(f"datasets[{task!r}]={value!r} must be a dataset name or a dict with 'name' and "
                             f"optional keys of load_dataset among {list(_SPEC_KEYS[1:])}")
    if isinstance(spec.get("root"), os.PathLike):
        spec["root"] = os.fspath(spec["root"])
    if isinstance(spec.get("subset"), Mapping):
        spec["subset"] = dict(spec["subset"])
    if subset is not None:
        spec.setdefault("subset", subset)
    return spec


def _candidate_seed(seed: int, task: str, arch: str) -> int:
    digest = hashlib.sha256(f"{seed}|{task}|{arch}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


class TrainingEvaluator:
    """Score NB201 cells by training their networks on each task's dataset.

    Parameters
    ----------
    datasets : dict
        Task name -> dataset of :func:`ktnas_core.datasets.load_dataset`: a name (``"digits"``,
        ``"fashion-mnist"``) or a dict ``{"name": ..., "subset": ..., "seed": ..., "valid_fraction": ...,
        "root": ...}`` of its arguments, so that each task of a multi-task search trains on its own data.
    epochs, batch_size : int, default 5, 64
        Training length and mini-batch size.
    lr : float, default 0.05
        Peak learning rate of the cosine schedule.
    C, N : int, default 8, 1
        Channels of the first stage and cells per stage (NAS-Bench-201 itself: 16 and 5).
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
    space : str, default "nb201"
        Only NAS-Bench-201 cells can be trained for now.
    threads : int, default 1
        CPU threads torch uses while training (more only pay for large networks on an idle machine).

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

    def __init__(self, datasets: Mapping[str, Any], *, epochs: int = 5, batch_size: int = 64, lr: float = 0.05,
                 C: int = 8, N: int = 1, device: str = "auto", amp: bool = True, deterministic: bool = False,
                 seed: int = 0, cache_dir: str | os.PathLike | None = None, stop: threading.Event | None = None,
                 on_epoch: Callable[[EpochInfo], Any] | None = None, subset: int | None = None,
                 space: str = "nb201", threads: int = 1):
        if space != "nb201":
            raise ParameterError(f"space={space!r} cannot be trained yet; allowed: 'nb201'")
        if subset is not None and not isinstance(subset, Mapping):
            subset = _int("subset", subset)
        self.subset = dict(subset) if isinstance(subset, Mapping) else subset
        if not isinstance(datasets, Mapping) or not datasets or not all(isinstance(t, str) for t in datasets):
            raise ParameterError(f"datasets={datasets!r} must be a non-empty dict task name -> dataset")
        self.datasets = {t: _spec(t, v, self.subset) for t, v in datasets.items()}
        self.epochs, self.batch_size = _int("epochs", epochs), _int("batch_size", batch_size)
        self.C, self.N, self.seed = _int("C", C), _int("N", N), _int("seed", seed, 0)
        self.threads = _int("threads", threads)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < math.inf:
            raise ParameterError(f"lr={lr!r} is out of range; allowed: a number > 0")
        self.lr = float(lr)
        self.amp, self.deterministic = _flag("amp", amp), _flag("deterministic", deterministic)
        if stop is not None and not callable(getattr(stop, "is_set", None)):
            raise ParameterError(f"stop={stop!r} must be a threading.Event (or have is_set()) or None")
        if on_epoch is not None and not callable(on_epoch):
            raise ParameterError(f"on_epoch={on_epoch!r} must be callable or None")
        self.stop, self.on_epoch = stop, on_epoch
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        import torch

        self.device_request, self.device_note = device, None
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
            if device == "cpu":
                self.device_note = "no GPU: training on CPU will be slow"
        if not isinstance(device, str) or not (device == "cpu" or device == "cuda" or (
                device.startswith("cuda:") and device[5:].isdigit())):
            raise ParameterError(f"device={self.device_request!r} is not known; allowed: 'auto', 'cpu', 'cuda', "
                                 "'cuda:N'")
        if device != "cpu" and not torch.cuda.is_available():
            raise ParameterError(f"device={device!r} but torch sees no CUDA GPU; use 'auto' or 'cpu'")
        self.device = device
        from ..spaces import get_space

        self.space = get_space("nb201")
        self.n_trained, self.n_cached = 0, 0
        self._records: dict[tuple[str, str], dict] = {}
        self._data: dict[str, tuple] = {}

    # -- configuration -------------------------------------------------------------------
    def _training_config(self) -> dict:
        return {"version": CACHE_VERSION, "space": "nb201", "epochs": self.epochs, "batch_size": self.batch_size,
                "lr": self.lr, "C": self.C, "N": self.N, "amp": self.amp, "seed": self.seed}

    def config(self) -> dict:
        """JSON-able description for :func:`training_evaluator_from_config` (without ``stop``, ``on_epoch``)."""
        cfg = self._training_config()
        del cfg["version"]
        return {"kind": "train", **cfg, "datasets": {t: dict(s) for t, s in self.datasets.items()},
                "device": self.device_request, "deterministic": self.deterministic,
                "cache_dir": None if self.cache_dir is None else str(self.cache_dir), "subset": self.subset,
                "threads": self.threads}

    def _cache_path(self, task: str, arch: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps({"task": task, "arch": arch, "data": self.datasets[task], **self._training_config()},
                         sort_keys=True)
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    # -- the protocol -----------------------------------------------------------------------
    def evaluate(self, archs: Sequence[Any], task: str) -> list[Evaluation]:
        """Train (or look up) each cell of ``archs`` on ``task`` and return its :class:`Evaluation`.

        Raises
        ------
        UnknownTaskError
            For a task that ``datasets`` does not name.
        InvalidArchitectureError
            For something that is not an NB201 cell.
        TrainingStopped
            When the stop event is set; cells finished before it stay cached.
        """
        if task not in self.datasets:
            raise UnknownTaskError(f"task {task!r} has no dataset; choose one of {list(self.datasets)}")
        out = []
        for a in archs:
            arch = str(self.space.coerce(a))
            rec = self._lookup(task, arch)
            if rec is None:
                rec = self._train(task, arch)
                self.n_trained += 1
                self._records[(task, arch)] = rec
                path = self._cache_path(task, arch)
                if path is not None:
                    from .checkpoint import atomic_write_json

                    path.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_json(path, rec)
            else:
                self.n_cached += 1
            out.append(Evaluation(arch, task, rec["score"], rec["seconds"], self.source))
        return out

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

    # -- training ------------------------------------------------------------------------------
    def _tensors(self, task: str):
        if task not in self._data:
            import torch

            from ..datasets import load_dataset

            spec = dict(self.datasets[task])
            ds = load_dataset(name := spec.pop("name"), **spec)
            if ds.channels not in (1, 3):
                raise ParameterError(f"dataset {ds.name!r} has {ds.channels} channels; allowed: 1 or 3")
            if len(ds.y_train) < 2 or len(ds.y_valid) < 1:
                raise ParameterError(f"dataset {name!r} of task {task!r} has {len(ds.y_train)} training and "
                                     f"{len(ds.y_valid)} validation images; allowed: at least 2 and 1")
            self._data[task] = tuple(torch.as_tensor(a).to(self.device) for a in (
                ds.x_train, ds.y_train, ds.x_valid, ds.y_valid, ds.x_test, ds.y_test)) + (int(ds.num_classes),)
        return self._data[task]

    def _check_stop(self, task: str, arch: str, epoch: int, batches: int) -> None:
        if self.stop is not None and self.stop.is_set():
            raise TrainingStopped(f"training of {arch!r} on {task!r} stopped in epoch {epoch + 1} after "
                                  f"{batches} batches", task, arch, epoch, batches)

    def _train(self, task: str, arch: str) -> dict:
        from ..networks.nb201 import build_nb201_network, count_parameters
        from ..torch_session import torch_session

        x_tr, y_tr, x_va, y_va, x_te, y_te, num_classes = self._tensors(task)
        cseed = _candidate_seed(self.seed, task, arch)
        t0 = time.perf_counter()
        with torch_session(cseed, threads=self.threads, deterministic=self.deterministic,
                           device=self.device) as torch:
            model = build_nb201_network(arch, C=self.C, N=self.N, num_classes=num_classes).to(self.device)
            params = count_parameters(model)
            cuda = self.device != "cpu"
            amp_dtype = None if not (self.amp and cuda) else (
                torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
            scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype is torch.float16)
            n = len(y_tr)
            bs = min(self.batch_size, n)
            starts = [s for s in range(0, n, bs) if n - s > 1 or s == 0]  # BatchNorm needs 2 samples
            steps = self.epochs * len(starts)
            opt = torch.optim.SGD(model.parameters(), lr=self.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 0.5 * (1 + math.cos(math.pi * i / steps)))
            gen = torch.Generator().manual_seed(cseed)
            losses, valid = [], []
            for epoch in range(self.epochs):
                model.train()
                order = torch.randperm(n, generator=gen).to(self.device)
                total, seen = torch.zeros((), device=self.device), 0
                for b, s in enumerate(starts):
                    self._check_stop(task, arch, epoch, b + epoch * len(starts))
                    idx = order[s:s + bs]
                    with torch.autocast("cuda", dtype=amp_dtype or torch.float16, enabled=amp_dtype is not None):
                        loss = torch.nn.functional.cross_entropy(model(_rgb(x_tr[idx])), y_tr[idx])
                    opt.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.step(opt)
                    scaler.update()
                    sched.step()
                    total += loss.detach().float() * len(idx)
                    seen += len(idx)
                losses.append(float(total) / seen)
                valid.append(_accuracy(model, x_va, y_va, bs, amp_dtype))
                if self.on_epoch is not None:
                    self.on_epoch(EpochInfo(task, arch, epoch + 1, self.epochs, losses[-1], valid[-1],
                                            time.perf_counter() - t0))
            test = _accuracy(model, x_te, y_te, bs, amp_dtype)
        seconds = time.perf_counter() - t0
        return {"arch": arch, "task": task, "score": valid[-1], "test_accuracy": test, "params": params,
                "seconds": seconds, "epochs": self.epochs, "seed": self.seed, "candidate_seed": cseed,
                "train_loss": losses, "valid_accuracy": valid, "device": self.device,
                "dataset": self.datasets[task], "config": self._training_config()}


def _rgb(x):
    """NB201's stem takes 3 channels: repeat a gray channel (a view, no copy)."""
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def _accuracy(model, x, y, batch_size: int, amp_dtype) -> float:
    """Accuracy (%) of ``model`` on (x, y), in eval mode, without gradients (None for an empty split)."""
    import torch

    if len(y) == 0:
        return None
    model.eval()
    correct = 0
    with torch.no_grad(), torch.autocast("cuda", dtype=amp_dtype or torch.float16, enabled=amp_dtype is not None):
        for s in range(0, len(y), 4 * batch_size):
            correct += int((model(_rgb(x[s:s + 4 * batch_size])).argmax(1) == y[s:s + 4 * batch_size]).sum())
    return 100.0 * correct / len(y)


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
