"""Train one candidate network: the picklable job that a training evaluator runs here or on a worker.

:class:`TrainJob` says everything a worker needs (cell, space, data set spec, recipe,
device, seeds, where to report progress and where to look for a stop request), and
:func:`train_candidate` trains it and returns a JSON-able record.  Both are top-level
so that any :class:`concurrent.futures.Executor` can run them: a thread, a process
pool (:func:`process_pool`, one worker per GPU) or a Dask cluster
(``distributed.Client(...).get_executor()``).  A worker loads each data set once and
keeps it.  torch is imported when a job runs, never when this module is.

Recipes (``TrainJob.recipe``):

``"basic"``  SGD with Nesterov momentum 0.9, weight decay 5e-4, cosine schedule, no augmentation
            (the short CPU setting; NB201's own recipe trains 200 epochs with augmentation).
``"darts"``  DARTS' retraining recipe (Liu et al., ICLR 2019): SGD momentum 0.9, weight decay 3e-4,
            cosine schedule, gradient clipping at 5, random crop (padding 4), horizontal flips
            (3-channel images only), cutout of half the image side, drop-path growing linearly to
            0.2, auxiliary head weighted 0.4 (DARTS networks only).

Examples
--------
>>> job = TrainJob(task="digits", arch="|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
...                space="nb201", dataset={"name": "digits", "subset": 200}, epochs=1, C=4, N=1, device="cpu")
>>> rec = train_candidate(job)
>>> rec["params"], len(rec["valid_accuracy"]), 0 <= rec["score"] <= 100
(11054, 1, True)
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import KtnasError, ParameterError

__all__ = ["EpochInfo", "RECIPES", "TrainJob", "TrainingStopped", "build_network", "process_pool", "resolve_device",
           "train_candidate"]

#: optimiser and regularisation per recipe (see module doc)
RECIPES = {
    "basic": {"lr": 0.05, "nesterov": True, "weight_decay": 5e-4, "grad_clip": None, "augment": False,
              "cutout": False, "drop_path": 0.0, "auxiliary_weight": 0.0},
    "darts": {"lr": 0.025, "nesterov": False, "weight_decay": 3e-4, "grad_clip": 5.0, "augment": True,
              "cutout": True, "drop_path": 0.2, "auxiliary_weight": 0.4},
}
_DATA: dict[str, tuple] = {}  # this process's loaded data sets, by (spec, device)
_WORKER_DEVICE: list[str] = []  # the device process_pool gave this worker


class TrainingStopped(KtnasError):
    """Training was cancelled by the stop request; the candidate in training is lost.

    Attributes ``task``, ``arch``, ``epoch`` (0-based) and ``batches_done`` (batches
    this candidate finished before the stop was seen) say where it stopped.
    """

    def __init__(self, message: str, task: str = "", arch: str = "", epoch: int = 0, batches_done: int = 0):
        super().__init__(message)
        self.task, self.arch, self.epoch, self.batches_done = task, arch, epoch, batches_done

    def __reduce__(self):  # picklable across processes with its attributes
        return type(self), (str(self), self.task, self.arch, self.epoch, self.batches_done)


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


@dataclasses.dataclass(frozen=True)
class TrainJob:
    """One candidate to train.  ``device="auto"`` means the worker's device (see :func:`process_pool`),
    else CUDA when present, else the CPU.  ``stop_path``: the job stops between two batches once this
    file exists.  ``progress_path``: a JSON line per epoch is appended there."""

    task: str
    arch: str
    space: str
    dataset: dict
    epochs: int = 5
    batch_size: int = 64
    lr: float | None = None
    C: int = 8
    N: int = 1
    recipe: str = "basic"
    amp: bool = True
    seed: int = 0
    candidate_seed: int = 0
    device: str = "cpu"
    threads: int = 1
    deterministic: bool = False
    stop_path: str | None = None
    progress_path: str | None = None


def build_network(space: str, arch: str, *, C: int, N: int, num_classes: int, in_channels: int,
                  auxiliary: bool = False):
    """The network of ``arch``: NB201's skeleton (``N`` cells per stage), TransNAS-Bench-101's micro
    classification backbone (``N`` cells per module), or the DARTS network (``N`` cells in all), with
    ``C`` channels first.

    Raises
    ------
    ParameterError
        For a space that has no network.
    """
    if space == "nb201":
        from ..networks.nb201 import build_nb201_network

        return build_nb201_network(arch, C=C, N=N, num_classes=num_classes)
    if space == "darts":
        from ..networks.darts import build_darts_network

        return build_darts_network(arch, C=C, layers=N, num_classes=num_classes, in_channels=in_channels,
                                   auxiliary=auxiliary)
    if space == "tnb101_micro":
        from ..networks.tnb101 import build_tnb101_network

        return build_tnb101_network(arch, C=C, N=N, num_classes=num_classes, in_channels=in_channels)
    raise ParameterError(f"space={space!r} has no network; allowed: 'nb201', 'tnb101_micro', 'darts'")


def resolve_device(request: Any) -> tuple[str, str | None]:
    """The device ``request`` names (``"auto"``: CUDA when present, else the CPU) and a note for the user.

    Raises
    ------
    ParameterError
        For an unknown device, or CUDA without a GPU.
    """
    import torch

    device, note = request, None
    if request == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
        note = "no GPU: training on CPU will be slow" if device == "cpu" else None
    if not isinstance(device, str) or not (device in ("cpu", "cuda") or (
            device.startswith("cuda:") and device[5:].isdigit())):
        raise ParameterError(f"device={request!r} is not known; allowed: 'auto', 'cpu', 'cuda', 'cuda:N'")
    if device != "cpu" and not torch.cuda.is_available():
        raise ParameterError(f"device={device!r} but torch sees no CUDA GPU; use 'auto' or 'cpu'")
    return device, note


def _device(requested: str) -> str:
    """A job's device: for ``"auto"`` the one :func:`process_pool` gave this worker, else :func:`resolve_device`'s."""
    if requested != "auto":
        return requested
    return _WORKER_DEVICE[0] if _WORKER_DEVICE else resolve_device("auto")[0]


def _tensors(spec: dict, device: str) -> tuple:
    key = json.dumps([spec, device], sort_keys=True)
    if key not in _DATA:
        import torch

        from ..datasets import load_dataset

        args = dict(spec)
        ds = load_dataset(name := args.pop("name"), **args)
        if ds.channels not in (1, 3):
            raise ParameterError(f"dataset {ds.name!r} has {ds.channels} channels; allowed: 1 or 3")
        if len(ds.y_train) < 2 or len(ds.y_valid) < 1:
            raise ParameterError(f"dataset {name!r} has {len(ds.y_train)} training and {len(ds.y_valid)} "
                                 "validation images; allowed: at least 2 and 1")
        if len(_DATA) >= 4:
            _DATA.pop(next(iter(_DATA)))
        _DATA[key] = tuple(torch.as_tensor(a).to(device) for a in (
            ds.x_train, ds.y_train, ds.x_valid, ds.y_valid, ds.x_test, ds.y_test)) + (int(ds.num_classes),)
    return _DATA[key]


def augment(x, gen, *, crop: bool, flip: bool, cutout: int):
    """Random crop (zero padding 4), horizontal flip and cutout of side ``cutout``, per image."""
    import torch

    n, _, h, w = x.shape
    dev = x.device
    if crop:
        pad = torch.nn.functional.pad(x, (4, 4, 4, 4))
        dy, dx = (torch.randint(0, 9, (n,), generator=gen).to(dev) for _ in range(2))
        rows = (dy[:, None] + torch.arange(h, device=dev))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=dev))[:, None, None, :]
        x = pad[torch.arange(n, device=dev)[:, None, None, None], torch.arange(x.shape[1], device=dev)[None, :, None, None],
                rows, cols]
    if flip:
        x = torch.where((torch.rand(n, generator=gen) < 0.5).to(dev)[:, None, None, None], x.flip(3), x)
    if cutout:
        cy, cx = torch.randint(0, h, (n,), generator=gen).to(dev), torch.randint(0, w, (n,), generator=gen).to(dev)
        ys, xs = torch.arange(h, device=dev), torch.arange(w, device=dev)
        inside = ((ys[None, :] - cy[:, None]).abs() <= cutout // 2)[:, :, None] & (
            (xs[None, :] - cx[:, None]).abs() <= cutout // 2)[:, None, :]
        x = x * (~inside)[:, None].to(x.dtype)
    return x


def _rgb(x):
    """NB201's stem takes 3 channels: repeat a gray channel (a view, no copy)."""
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def accuracy(model, x, y, batch_size: int, amp_dtype, prep=lambda v: v) -> float | None:
    """Accuracy (%) of ``model`` on (x, y), in eval mode, without gradients (None for an empty split)."""
    import torch

    if len(y) == 0:
        return None
    model.eval()
    correct = 0
    with torch.no_grad(), torch.autocast("cuda", dtype=amp_dtype or torch.float16, enabled=amp_dtype is not None):
        for s in range(0, len(y), 4 * batch_size):
            correct += int((model(prep(x[s:s + 4 * batch_size])).argmax(1) == y[s:s + 4 * batch_size]).sum())
    return 100.0 * correct / len(y)


def amp_dtype_for(torch, device: str, amp: bool):
    """bfloat16 where the GPU has it, else float16 (with loss scaling); None on the CPU or without amp."""
    if not amp or device == "cpu":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def train_candidate(job: TrainJob, stop: Any = None, on_epoch: Callable[[EpochInfo], Any] | None = None) -> dict:
    """Train ``job``'s network from scratch and return its record (score = final validation accuracy, %).

    Raises
    ------
    TrainingStopped
        When ``stop.is_set()`` or ``job.stop_path`` exists before a batch.
    """
    from ..networks.nb201 import count_parameters
    from ..torch_session import torch_session

    if job.recipe not in RECIPES:
        raise ParameterError(f"recipe={job.recipe!r} is not known; allowed: {sorted(RECIPES)}")
    recipe = RECIPES[job.recipe]
    device = _device(job.device)
    x_tr, y_tr, x_va, y_va, x_te, y_te, num_classes = _tensors(job.dataset, device)
    prep = _rgb if job.space == "nb201" else (lambda v: v)
    t0 = time.perf_counter()

    def stopped(epoch: int, batches: int) -> None:
        if (stop is not None and stop.is_set()) or (job.stop_path is not None and os.path.exists(job.stop_path)):
            raise TrainingStopped(f"training of {job.arch!r} on {job.task!r} stopped in epoch {epoch + 1} after "
                                  f"{batches} batches", job.task, job.arch, epoch, batches)

    with torch_session(job.candidate_seed, threads=job.threads, deterministic=job.deterministic,
                       device=device) as torch:
        aux_weight = recipe["auxiliary_weight"] if job.space == "darts" else 0.0
        model = build_network(job.space, job.arch, C=job.C, N=job.N, num_classes=num_classes,
                              in_channels=int(x_tr.shape[1]), auxiliary=aux_weight > 0).to(device)
        aux_head = getattr(model, "auxiliary_head", None)  # a training aid: not counted, as DARTS reports
        params = count_parameters(model) - (count_parameters(aux_head) if aux_head is not None else 0)
        amp_dtype = amp_dtype_for(torch, device, job.amp)
        scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype is torch.float16)
        n = len(y_tr)
        bs = min(job.batch_size, n)
        starts = [s for s in range(0, n, bs) if n - s > 1 or s == 0]  # BatchNorm needs 2 samples
        steps = job.epochs * len(starts)
        lr = recipe["lr"] if job.lr is None else job.lr
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=recipe["nesterov"],
                              weight_decay=recipe["weight_decay"])
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 0.5 * (1 + math.cos(math.pi * i / steps)))
        gen = torch.Generator().manual_seed(job.candidate_seed)
        side = int(x_tr.shape[-1])
        aug = dict(crop=recipe["augment"] and side >= 16, flip=recipe["augment"] and x_tr.shape[1] == 3,
                   cutout=side // 2 if recipe["cutout"] else 0)
        losses, valid = [], []
        for epoch in range(job.epochs):
            model.train()
            if hasattr(model, "drop_path_prob"):
                model.drop_path_prob = recipe["drop_path"] * epoch / job.epochs
            order = torch.randperm(n, generator=gen).to(device)
            total, seen = torch.zeros((), device=device), 0
            for b, s in enumerate(starts):
                stopped(epoch, b + epoch * len(starts))
                idx = order[s:s + bs]
                xb = augment(x_tr[idx], gen, **aug) if any(aug.values()) else x_tr[idx]
                with torch.autocast("cuda", dtype=amp_dtype or torch.float16, enabled=amp_dtype is not None):
                    logits = model(prep(xb))
                    loss = torch.nn.functional.cross_entropy(logits, y_tr[idx])
                    if aux_weight and getattr(model, "aux_logits", None) is not None:
                        loss = loss + aux_weight * torch.nn.functional.cross_entropy(model.aux_logits, y_tr[idx])
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if recipe["grad_clip"]:
                    scaler.unscale_(opt)
                    torch.nn.utils.clip_grad_norm_(model.parameters(), recipe["grad_clip"])
                scaler.step(opt)
                scaler.update()
                sched.step()
                total += loss.detach().float() * len(idx)
                seen += len(idx)
            losses.append(float(total) / seen)
            valid.append(accuracy(model, x_va, y_va, bs, amp_dtype, prep))
            info = EpochInfo(job.task, job.arch, epoch + 1, job.epochs, losses[-1], valid[-1],
                             time.perf_counter() - t0)
            if on_epoch is not None:
                on_epoch(info)
            if job.progress_path is not None:
                with open(job.progress_path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(dataclasses.asdict(info)) + "\n")
        test = accuracy(model, x_te, y_te, bs, amp_dtype, prep)
    return {"arch": job.arch, "task": job.task, "score": valid[-1], "test_accuracy": test, "params": params,
            "seconds": time.perf_counter() - t0, "epochs": job.epochs, "seed": job.seed,
            "candidate_seed": job.candidate_seed, "train_loss": losses, "valid_accuracy": valid, "device": device,
            "dataset": job.dataset}


def _init_worker(devices) -> None:
    _WORKER_DEVICE[:] = [devices.get()]


def process_pool(workers: int | None = None, devices: list[str] | None = None):
    """A process pool for training evaluators: one worker per device of ``devices`` (default: one per
    visible GPU, else ``workers`` CPU workers, default 2).  Workers start with ``spawn``.

    Examples
    --------
    >>> pool = process_pool(2, devices=["cpu", "cpu"])
    >>> pool.shutdown()
    """
    import concurrent.futures
    import multiprocessing

    if devices is None:
        import torch

        n_gpu = torch.cuda.device_count()
        devices = [f"cuda:{i}" for i in range(n_gpu)] if n_gpu else ["cpu"] * (workers or 2)
    if workers is None:
        workers = len(devices)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= len(devices) * 64:
        raise ParameterError(f"workers={workers!r} is out of range; allowed: an integer >= 1")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    for i in range(workers):
        queue.put(devices[i % len(devices)])
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                                  initargs=(queue,))


def read_progress(path: Path, offset: int) -> tuple[list[EpochInfo], int]:
    """The epochs appended to ``path`` after byte ``offset`` (whole lines only) and the new offset."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    infos = [EpochInfo(**json.loads(line)) for line in data[:end].splitlines() if line.strip()]
    return infos, offset + end
