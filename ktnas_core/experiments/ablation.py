"""The ablation tables: KTNAS built up one piece at a time, each step's gain measured seed by seed.

Per benchmark, the steps are (each adds one piece to the step it is compared with):

==================  ====================================  ==========================================
step                NB201                                 TNB101 micro
==================  ====================================  ==========================================
base searcher       elitist evolution, random start       elitist evolution, random start
+ warm-up           zero-cost warm-up (whole space)       (no proxy ships: not applicable)
+ proposal          zero-cost move proposal (k = 10):     predictor screening (GP over node2vec)
                    the paper's "Zero" row
+ random transfer   4 random cells of the other tasks     the same
+ transfer rank     node2vec (the paper's KTNAS);         the same
                    arch2vec and one-hot beside it
+ cross-task        ``ktnas-xt``: children screened by    the same
surrogate           :class:`~ktnas_core.search.proposal.CrossTaskGP`
==================  ====================================  ==========================================

Every step runs on the same seeds; its gain is the paired difference from the step it is
compared with, with a bootstrap interval and a Wilcoxon signed-rank p-value
(:mod:`~ktnas_core.experiments.stats`).  :func:`ablation` returns data (the dashboard reads it);
:func:`format_ablation` prints it.

Examples
--------
>>> result = ablation("nb201", seeds=2, steps=2)
>>> [(s["label"], s["compared_with"]) for s in result["steps"]]
[('base searcher', None), ('+ warm-up', 'base searcher')]
>>> sorted(result["steps"][1]["gain"])
['ci', 'diff', 'losses', 'n', 'p', 'same_start', 'wins']
"""

from __future__ import annotations

import time
from typing import Callable

from ..validation import check_int
from ..errors import ParameterError
from .catalog import experiment
from .reproduce import run_many, stored_result
from .reproduce_report import format_p, paired_by_seed, per_seed
from .stats import describe

__all__ = ["ABLATIONS", "ablation", "format_ablation"]

_BASE = {"warmup": "random", "screen": None}
#: the steps both experiments end with: transfer, transfer rank per embedding, the cross-task surrogate
_TRANSFER_STEPS = [("+ transfer rank, node2vec (KTNAS)", "ktnas", {}, "+ random transfer"),
                   ("+ transfer rank, arch2vec", "ktnas-arch2vec", {}, "+ random transfer"),
                   ("+ transfer rank, one-hot", "ktnas-onehot", {}, "+ random transfer"),
                   ("+ cross-task surrogate (ktnas-xt)", "ktnas-xt", {}, "+ transfer rank, node2vec (KTNAS)")]

#: per experiment: (label, strategy, overrides, label of the step it is compared with)
ABLATIONS: dict[str, list[tuple[str, str, dict, str | None]]] = {
    "nb201": [("base searcher", "no-transfer", _BASE, None),
              ("+ warm-up", "no-transfer", {"screen": None}, "base searcher"),
              ("+ move proposal (Zero)", "zero-cost", {}, "+ warm-up"),
              ("+ random transfer", "random-transfer", {}, "+ move proposal (Zero)"),
              *_TRANSFER_STEPS],
    "tnb101": [("base searcher", "no-transfer", _BASE, None),
               ("+ predictor screening", "no-transfer", {}, "base searcher"),
               ("+ random transfer", "random-transfer", {}, "+ predictor screening"),
               *_TRANSFER_STEPS],
}


def ablation(name: str, seeds: int = 100, jobs: int = 1, steps: int | None = None,
             progress: Callable[[int, int, str], None] | None = None, reuse: dict | None = None) -> dict:
    """Run the ablation of experiment ``name`` (``"nb201"`` or ``"tnb101"``) on seeds ``0..seeds-1``.

    Parameters
    ----------
    name : {"nb201", "tnb101"}
    seeds : int >= 1, default 100
    jobs : int >= 1
        Worker processes (results do not depend on it).
    steps : int or None
        Run only the first ``steps`` steps (None: all).
    progress : callable(done, total, label), optional
    reuse : dict, optional
        A :func:`~ktnas_core.experiments.reproduce.reproduce` result of the same experiment (as its JSON
        file holds it): a step that is a named strategy without overrides takes that strategy's
        records for the seeds it has instead of running them again (runs are deterministic, so
        the records are the same; made by another ktnas version, they may not be).

    Returns
    -------
    dict
        ``{"experiment", "quantity", "seeds", "steps": [{"label", "strategy", "overrides",
        "compared_with", "stats", "gain"}], "runs", "seconds"}``; ``stats`` describes the quantity
        (NB201: evaluations to all three optima; TNB101: the found cells' average rank), ``gain``
        is the paired test of the step against the one it is compared with (None for the first).
    """
    exp = experiment(name)
    seeds = check_int("seeds", seeds, 1, 10000)
    jobs = check_int("jobs", jobs, 1, 256)
    plan = ABLATIONS[name][:None if steps is None else check_int("steps", steps, 1, len(ABLATIONS[name]))]
    started = time.perf_counter()
    if reuse is not None:
        reuse = stored_result(reuse, name)
    done = {(r["strategy"], r["seed"]): r for r in (reuse or {}).get("runs", [])}
    keys = [(label, strategy, overrides, seed) for label, strategy, overrides, _ in plan for seed in range(seeds)]
    todo = [k for k in keys if k[2] or (k[1], k[3]) not in done]
    fresh = iter(run_many([(name, strategy, seed, overrides, label) for label, strategy, overrides, seed in todo],
                          jobs, progress))
    runs = [next(fresh) if k[2] or (k[1], k[3]) not in done else {**done[(k[1], k[3])], "strategy": k[0]}
            for k in keys]
    result = {"experiment": name, "runs": runs}
    quantity = "total" if exp.stop_on_optimum else "rank"
    out = []
    for label, strategy, overrides, base in plan:
        values = per_seed(result, label)[quantity]
        gain = None
        if base is not None:
            if base not in [p[0] for p in plan]:
                raise ParameterError(f"ablation step {label!r} is compared with {base!r}, which did not run")
            gain = paired_by_seed(result, label, base, quantity)
        out.append({"label": label, "strategy": strategy, "overrides": dict(overrides), "compared_with": base,
                    "stats": describe(list(values.values())) if values else None, "gain": gain})
    return {"experiment": name, "quantity": quantity, "seeds": seeds, "steps": out, "runs": runs,
            "reused": len(keys) - len(todo), "seconds": time.perf_counter() - started}


def format_ablation(result: dict, markdown: bool = False) -> str:
    """The ablation table: per step, mean [95% CI] (median) and the gain over the step it builds on
    (paired difference [95% CI], Wilcoxon p)."""
    what = ("evaluations to all three optima" if result["quantity"] == "total"
            else "average rank of the found cells (1 = best)")
    lines = [f"Ablation, {result['experiment']}: {what}, {result['seeds']} seeds each; change from the step it "
             "builds on over the same seeds (negative = better)"]
    head = ["step", "mean [95% CI] (median)", "compared with", "change [95% CI]", "p"]
    body = []
    for s in result["steps"]:
        st, g = s["stats"], s["gain"]
        body.append([s["label"], f"{st['mean']:.1f} [{st['ci'][0]:.1f}, {st['ci'][1]:.1f}] ({st['median']:.1f})",
                     s["compared_with"] or "-",
                     "-" if g is None else f"{g['diff']:+.1f} [{g['ci'][0]:+.1f}, {g['ci'][1]:+.1f}]",
                     "-" if g is None else format_p(g["p"])])
    if markdown:
        rows = [head, ["---", "---:", "---", "---:", "---:"]] + body
        return "\n".join(lines + [""] + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    for r in [head] + body:
        lines.append("  ".join(c.ljust(w) if i in (0, 2) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     .rstrip())
    return "\n".join(lines)
