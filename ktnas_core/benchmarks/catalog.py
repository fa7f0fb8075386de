"""What each shipped table holds: tasks, metrics, their direction, unit and source.

The numbers live in ``data/*.npz`` (built by ``benchmarks/build_tables.py``);
this module describes them.  ``DATA.md`` beside it credits the sources.
"""

from __future__ import annotations

import dataclasses

__all__ = ["Metric", "TableSpec", "SPECS"]


@dataclasses.dataclass(frozen=True)
class Metric:
    """One column of a benchmark table.

    Attributes
    ----------
    name : str
        Key used in :meth:`Benchmark.query` and friends.
    direction : {"max", "min"}
        Whether larger values are better.
    unit : str
        Natural unit of the values (``"%"``, ``"SSIM"``, ``"M FLOPs"``...).
    description : str
        What exactly the number is, including the data variant.
    source : str
        Which shipped source file it comes from (see ``DATA.md``).
    """

    name: str
    direction: str
    unit: str
    description: str
    source: str

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "max"


@dataclasses.dataclass(frozen=True)
class TableSpec:
    """Static description of a shipped benchmark table."""

    name: str
    title: str
    space: str
    file: str
    tasks: tuple[str, ...]
    metrics: dict  # task -> tuple[Metric, ...]
    default_metric: dict  # task -> metric name (the validation metric: search fitness)
    test_metric: dict  # task -> metric name reported as "test"
    cost_note: dict  # task -> how the simulated cost was obtained


# -- NAS-Bench-201 ------------------------------------------------------------------
_NG = "NASGraph-Public (Apache-2.0)"
_NATS = "nats-bench-landscape (numbers from NATS-Bench, MIT; repository without a licence file)"
_NASLIB = "derived per edge operation from NASLib zc_nasbench201.json (Apache-2.0)"


def _nb201_metrics(task: str) -> tuple[Metric, ...]:
    c10 = task == "cifar10"
    variant = "cifar10-valid: trained on the 25k train split, validated on the other 25k" if c10 else (
        f"{task}: validation half of the original test set (x-valid)")
    m = [
        Metric("valid_accuracy", "max", "%", f"200-epoch validation accuracy, mean over seeds ({variant})", _NG),
        Metric("test_accuracy", "max", "%",
               "200-epoch test accuracy, mean over seeds (" + (
                   "NATS 'cifar10': trained on train+valid, 50k images)" if c10 else f"{task}: x-test half)"),
               _NATS if c10 else _NG),
        Metric("train_accuracy", "max", "%", f"200-epoch final training accuracy, mean over seeds ({variant})", _NG),
    ]
    if c10:
        m.append(Metric("test_accuracy_cifar10_valid", "max", "%",
                        "200-epoch test accuracy of the cifar10-valid variant (25k train split), mean over seeds",
                        _NG))
    m += [
        Metric("test_accuracy_12epoch", "max", "%",
               "12-epoch test accuracy, a single seed (low fidelity; not a mean)", _NATS + ", commit bca0282b"),
        Metric("flops", "min", "M FLOPs", "forward FLOPs of the whole network (C=16, N=5)", _NASLIB),
        Metric("params", "min", "M params", "parameters of the whole network (C=16, N=5)", _NASLIB),
        Metric("train_time", "min", "s",
               "seconds to train 200 epochs (simulated cost of one evaluation)",
               "NAS-Landscapes cifar10_avg.csv (MIT)" + ("" if c10 else ", scaled: see DATA.md")),
    ]
    return tuple(m)


_NB201_TASKS = ("cifar10", "cifar100", "ImageNet16-120")
NB201 = TableSpec(
    name="nb201",
    title="NAS-Bench-201",
    space="nb201",
    file="nb201.npz",
    tasks=_NB201_TASKS,
    metrics={t: _nb201_metrics(t) for t in _NB201_TASKS},
    default_metric={t: "valid_accuracy" for t in _NB201_TASKS},
    test_metric={t: "test_accuracy" for t in _NB201_TASKS},
    cost_note={
        "cifar10": "measured: cifar10-valid 200-epoch training time (NAS-Landscapes)",
        "cifar100": "derived: cifar10-valid time x 50,000/25,000 images x FLOPs ratio",
        "ImageNet16-120": "derived: cifar10-valid time x 151,700/25,000 images x FLOPs ratio",
    },
)

# -- TransNAS-Bench-101 micro --------------------------------------------------------------
_TNG = "NASGraph-Public (Apache-2.0), best over epochs"
_TNASLIB = "NASLib all_benchmarks_zen.zip (Apache-2.0), final epoch"
_TNB_UNITS = {
    "top1": ("max", "%", "top-1 accuracy"),
    "top5": ("max", "%", "top-5 accuracy"),
    "neg_loss": ("max", "-L2 loss", "negative L2 loss"),
    "mIoU": ("max", "mIoU %", "mean intersection over union"),
    "acc": ("max", "%", "pixel accuracy"),
    "ssim": ("max", "SSIM", "structural similarity"),
}
TNB_COLUMNS = {
    "class_object": ("top1", "top5"),
    "class_scene": ("top1", "top5"),
    "jigsaw": ("top1", "top5"),
    "room_layout": ("neg_loss",),
    "segmentsemantic": ("mIoU", "acc"),
    "normal": ("ssim",),
    "autoencoder": ("ssim",),
}
TNB_FINAL = {"class_object": "top1", "class_scene": "top1", "jigsaw": "top1", "room_layout": "neg_loss",
              "segmentsemantic": "acc", "normal": "ssim", "autoencoder": "ssim"}


def _tnb_metrics(task: str) -> tuple[Metric, ...]:
    out = []
    for split in ("valid", "test", "train"):
        for col in TNB_COLUMNS[task]:
            direction, unit, what = _TNB_UNITS[col]
            out.append(Metric(f"{split}_{col}", direction, unit, f"{split} {what}, best over epochs", _TNG))
    col = TNB_FINAL[task]
    direction, unit, what = _TNB_UNITS[col]
    out.append(Metric(f"valid_{col}_final", direction, unit, f"valid {what} at the final epoch", _TNASLIB))
    out.append(Metric("train_time", "min", "s", "seconds of training (simulated cost of one evaluation)", _TNG))
    return tuple(out)


_TNB_TASKS = tuple(TNB_COLUMNS)
TNB101_MICRO = TableSpec(
    name="tnb101_micro",
    title="TransNAS-Bench-101 micro",
    space="tnb101_micro",
    file="tnb101_micro.npz",
    tasks=_TNB_TASKS,
    metrics={t: _tnb_metrics(t) for t in _TNB_TASKS},
    default_metric={t: f"valid_{TNB_COLUMNS[t][0]}" for t in _TNB_TASKS},
    test_metric={t: f"test_{TNB_COLUMNS[t][0]}" for t in _TNB_TASKS},
    cost_note={t: "measured: time_elapsed of the benchmark's training run" for t in _TNB_TASKS},
)

#: every shipped table by name
SPECS: dict[str, TableSpec] = {s.name: s for s in (NB201, TNB101_MICRO)}
