"""The paper's table set-ups that ``ktnas reproduce`` runs, and the paper's numbers beside them.

Examples
--------
>>> experiment("nb201").tasks
('cifar10', 'cifar100', 'ImageNet16-120')
>>> experiment("nb301")
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: experiment 'nb301' is not known; choose one of ['nb201', 'tnb101']
"""

from __future__ import annotations

import dataclasses

from ..errors import ParameterError

__all__ = ["Experiment", "EXPERIMENTS", "PAPER", "PAPER_ALIASES", "PAPER_NAMES", "REFERENCE", "experiment", "paper_numbers"]

#: the strategy every other is tested against, seed by seed
REFERENCE = "ktnas"


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One of the paper's table set-ups."""

    benchmark: str
    tasks: tuple
    strategies: tuple
    budget: int
    stop_on_optimum: bool
    caption: str


EXPERIMENTS = {
    "nb201": Experiment("nb201", ("cifar10", "cifar100", "ImageNet16-120"),
                        ("random", "rea", "zero-cost", "predictor", "emtnas", "random-transfer", "best-transfer",
                         "ktnas-onehot", "ktnas-arch2vec", "ktnas", "ktnas-xt"), 15625, True,
                        "NAS-Bench-201: evaluations until each task's best cell (validation accuracy) is found"),
    "tnb101": Experiment("tnb101_micro", ("class_object", "class_scene", "room_layout"),
                         ("random", "rea", "no-transfer", "emtnas", "random-transfer", "best-transfer",
                          "ktnas-onehot", "ktnas-arch2vec", "ktnas", "ktnas-xt"), 50, False,
                         "TransNAS-Bench-101 micro, 50 evaluations per task: validation metric of the best cell "
                         "found (room_layout: L2 loss x 100, lower is better) and its rank among 4,096, "
                         "averaged over tasks"),
}

#: the paper's numbers (PAPER.md section 7), by our strategy name
PAPER = {
    "nb201": {"random": (7782.1, 7621.2, 7726.1, 23129.4), "rea": (563.2, 438.2, 715.1, 1439.6),
              "zero-cost": (230.8, 18.4, 213.0, 462.2), "random-transfer": (106.0, 30.1, 92.3, 228.4),
              "ktnas-arch2vec": (100.7, 27.9, 60.0, 188.5), "ktnas-paper": (105.0, 26.6, 64.4, 196.0)},
    "tnb101": {"ktnas-paper": (46.07, 54.90, 60.10, 5.5), "random-transfer": (46.05, 54.85, 60.07, 5.7),
               "rea": (45.39, 54.62, 61.75, 44.0),
               "random": (45.16, 54.41, 61.48, 57.7), "optimum": (46.32, 54.94, 59.38, 1.0)},
}
#: our names that run the same strategy as a row of PAPER (the default ``ktnas`` is the paper's KTNAS)
PAPER_ALIASES = {"ktnas": "ktnas-paper"}


def paper_numbers(name: str, method: str) -> tuple | None:
    """The paper's numbers for our strategy ``method`` in experiment ``name``, or None.

    >>> paper_numbers("nb201", "ktnas") == paper_numbers("nb201", "ktnas-paper") == PAPER["nb201"]["ktnas-paper"]
    True
    >>> paper_numbers("nb201", "rea")[-1], paper_numbers("nb201", "best-transfer")
    (1439.6, None)
    """
    return PAPER[name].get(PAPER_ALIASES.get(method, method))


#: the paper's row name for our strategies where they correspond
PAPER_NAMES = {"random": "random search", "rea": "REA", "zero-cost": "zero-cost",
               "random-transfer": "MT-NAS (closest)", "ktnas-arch2vec": "KTNAS (arch2vec)",
               "ktnas": "KTNAS (node2vec)", "ktnas-paper": "KTNAS (node2vec)", "optimum": "optimum"}


def experiment(name: str) -> Experiment:
    """The set-up called ``name`` (a :class:`ParameterError` names the known ones)."""
    if name not in EXPERIMENTS:
        raise ParameterError(f"experiment {name!r} is not known; choose one of {list(EXPERIMENTS)}")
    return EXPERIMENTS[name]
