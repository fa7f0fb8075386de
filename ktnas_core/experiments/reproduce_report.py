"""What ``ktnas reproduce`` prints and draws from its runs: statistics, tables and SVG charts.

:func:`summarize` gives, per strategy and per task (and the total, or the average rank),
the mean, standard deviation, median and a 95% bootstrap interval of the mean, and a paired
Wilcoxon signed-rank test against ``ktnas`` over the same seeds (:mod:`~ktnas_core.experiments.stats`);
:func:`format_table` prints them, one line per strategy and quantity, the paper's number beside
ours; :func:`plots` draws the share of runs that found each optimum (with its bootstrap band)
or the best-so-far curves, and the rank of the transferred cells.

Examples
--------
>>> from ktnas_core.experiments.reproduce import reproduce
>>> result = reproduce("nb201", seeds=3, strategies=["ktnas-paper", "ktnas"])
>>> row = summarize(result)[0]
>>> row["method"], sorted(row["stats"]["total"]), sorted(row["test"]["total"])
('ktnas-paper', ['ci', 'mean', 'median', 'n', 'sd'], ['ci', 'diff', 'losses', 'n', 'p', 'same_start', 'wins'])
>>> row["test"]["total"]["same_start"]  # same seed, same base searcher: the same initial populations
1.0
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError
from .catalog import PAPER, PAPER_ALIASES, PAPER_NAMES, REFERENCE, experiment, paper_numbers
from .stats import bootstrap_share, describe, paired_test

__all__ = ["summarize", "format_table", "plots", "per_seed", "paired_by_seed", "format_p"]


def per_seed(result: dict, strategy: str) -> dict[str, dict[int, float]]:
    """``{quantity: {seed: value}}`` of one strategy: each task and ``"total"`` (NB201: evaluations to the
    optimum, runs that found every one) or ``"rank"`` (TNB101: the found cells' mean rank; task values in
    the table's unit, room_layout L2 loss x 100)."""
    exp = experiment(result["experiment"])
    runs = [r for r in result["runs"] if r["strategy"] == strategy]
    out: dict[str, dict[int, float]] = {t: {} for t in exp.tasks}
    if exp.stop_on_optimum:
        out["total"] = {}
        for r in runs:
            for t in exp.tasks:
                if r["optimum_at"][t] is not None:
                    out[t][r["seed"]] = float(r["optimum_at"][t])
            if all(r["optimum_at"][t] is not None for t in exp.tasks):
                out["total"][r["seed"]] = float(sum(r["optimum_at"][t] for t in exp.tasks))
    else:
        out["rank"] = {}
        for r in runs:
            for t in exp.tasks:
                out[t][r["seed"]] = abs(r["value"][t]) * (100.0 if t == "room_layout" else 1.0)
            out["rank"][r["seed"]] = float(np.mean([r["rank"][t] for t in exp.tasks]))
    return out


def _starts(result: dict, strategy: str) -> dict[int, Any]:
    return {r["seed"]: r.get("start") for r in result["runs"] if r["strategy"] == strategy}


def _paired(mine: dict[int, float], ref: dict[int, float], starts: tuple[dict, dict]) -> dict | None:
    """Paired test over the seeds both strategies have; checks that they are the same seeds."""
    if set(mine) != set(ref):
        raise ParameterError(f"paired test needs the same seeds on both sides; got {sorted(set(mine) ^ set(ref))} "
                             "on one side only")
    seeds = sorted(mine)
    if not seeds:
        return None
    test = paired_test([mine[s] for s in seeds], [ref[s] for s in seeds])
    same = [starts[0].get(s) is not None and starts[0].get(s) == starts[1].get(s) for s in seeds]
    test["same_start"] = float(np.mean(same))  # share of seeds whose initial populations coincide
    return test


def paired_by_seed(result: dict, strategy: str, reference: str, quantity: str) -> dict | None:
    """Paired test of ``strategy`` against ``reference`` on ``quantity`` (a key of :func:`per_seed`)."""
    return _paired(per_seed(result, strategy)[quantity], per_seed(result, reference)[quantity],
                   (_starts(result, strategy), _starts(result, reference)))


def summarize(result: dict, reference: str = REFERENCE) -> list[dict]:
    """One row per strategy.

    Each row has ``method``, ``runs``, ``seconds``; ``tasks`` ({task: (mean, sd)}) and ``total`` (NB201)
    or ``rank`` (TNB101) as (mean, sd); ``median`` per task (NB201), ``not_found`` (NB201); ``stats``
    ({quantity: :func:`~ktnas_core.experiments.stats.describe`}); and, when ``reference`` ran, ``test``
    ({quantity: :func:`~ktnas_core.experiments.stats.paired_test` of this strategy against it, plus
    ``same_start``, the share of seeds whose initial populations are identical}; None for the
    reference itself).
    """
    exp = experiment(result["experiment"])
    last = "total" if exp.stop_on_optimum else "rank"
    ref = per_seed(result, reference) if reference in result["strategies"] else None
    rows = []
    for s in result["strategies"]:
        runs = [r for r in result["runs"] if r["strategy"] == s]
        values = per_seed(result, s)
        stats = {k: describe(list(v.values())) if v else None for k, v in values.items()}
        pair = (lambda st: (st["mean"], st["sd"]) if st else (float("nan"), 0.0))
        row: dict[str, Any] = {"method": s, "runs": len(runs), "seconds": sum(r["seconds"] for r in runs),
                               "tasks": {t: pair(stats[t]) for t in exp.tasks}, last: pair(stats[last]),
                               "stats": stats}
        if exp.stop_on_optimum:
            row["median"] = {t: stats[t]["median"] if stats[t] else float("nan") for t in exp.tasks}
            row["not_found"] = sum(len(runs) - len(values[t]) for t in exp.tasks)
        if ref is not None:
            starts = (_starts(result, s), _starts(result, reference))
            row["test"] = None if s == reference else {k: _paired(values[k], ref[k], starts) for k in values}
        rows.append(row)
    return rows


def format_p(p: float) -> str:
    """A p-value for a table: 4 decimals below 0.01, "<1e-4" below that."""
    return "<1e-4" if p < 1e-4 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


def format_table(result: dict, markdown: bool = False, reference: str = REFERENCE,
                 rows: list[dict] | None = None) -> str:
    """The table: per strategy and quantity, mean [95% CI] (median), the paired difference from
    ``reference`` [its CI] with the Wilcoxon p-value, and the paper's number (plain text or Markdown).
    ``rows``: ``summarize(result, reference)`` when the caller has it already (its bootstraps are
    not free)."""
    exp = experiment(result["experiment"])
    paper = PAPER[result["experiment"]]
    quantities = [*exp.tasks, "total" if exp.stop_on_optimum else "avg rank"]
    lines = [exp.caption + f"; {result['seeds']} seeds each: mean [95% bootstrap CI of the mean] (median); "
             f"difference from {reference} over the same seeds [95% CI] and paired Wilcoxon signed-rank p; "
             "the paper's value" + ("" if exp.stop_on_optimum else " (accuracies: higher is better; L2 loss and "
                                                                    "rank: lower is better)")]
    head = ["method", "quantity", "mean [95% CI] (median)", f"vs {reference} [95% CI]", "p", "paper"]
    body = []
    for row in summarize(result, reference) if rows is None else rows:
        ref = paper_numbers(result["experiment"], row["method"])
        for k, q in enumerate(quantities):
            key = "rank" if q == "avg rank" else q
            st = row["stats"][key]
            digits = 1 if exp.stop_on_optimum or key == "rank" else 2
            f = (lambda v: f"{v:.{digits}f}")
            cell = "not found" if st is None else f"{f(st['mean'])} [{f(st['ci'][0])}, {f(st['ci'][1])}] " \
                                                 f"({st['median']:.{digits if key in exp.tasks else 1}f})"
            test = (row.get("test") or {}).get(key)
            vs = "-" if test is None else f"{test['diff']:+.{digits}f} [{test['ci'][0]:+.{digits}f}, " \
                                          f"{test['ci'][1]:+.{digits}f}]"
            name = row["method"] + (f" ({row['not_found']} not found)" if k == 0 and row.get("not_found") else "")
            body.append([name if k == 0 else "", q, cell, vs, "-" if test is None else format_p(test["p"]),
                         (f"{ref[k]:g} ({PAPER_NAMES.get(row['method'], '')})" if k == 0 else f"{ref[k]:g}")
                         if ref else "-"])
    if not exp.stop_on_optimum and "optimum" in paper:
        from .. import benchmarks

        bench = benchmarks.load(exp.benchmark)
        best = [abs(bench.optimum(t).value) * (100 if t == "room_layout" else 1) for t in exp.tasks] + [1.0]
        for k, q in enumerate(quantities):
            body.append(["optimum (table)" if k == 0 else "", q, f"{best[k]:.2f}" if k < 3 else "1.0", "-", "-",
                         f"{paper['optimum'][k]:g}"])
    if markdown:
        rows = [head, ["---", "---", "---:", "---:", "---:", "---:"]] + body
        return "\n".join(lines + [""] + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    for r in [head] + body:
        lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     .rstrip())
    return "\n".join(lines)


def _found_series(runs: Sequence[dict], task: str, budget: int, label: str) -> Any:
    from ..svgplot import Series

    at = np.array([r["optimum_at"][task] or np.inf for r in runs], dtype=float)
    xs = np.unique(np.geomspace(1, budget, 120).round())
    share, low, high = bootstrap_share(at, xs)
    return Series(label, xs.tolist(), share.tolist(), low.tolist(), high.tolist())


def plots(result: dict) -> dict[str, str]:
    """SVG charts by file name: the share of runs that found the optimum per evaluation, with its 95%
    bootstrap band (NB201), or the mean best-so-far (TNB101); and the mean global rank of transferred
    cells per generation."""
    from ..svgplot import PALETTE, Panel, Series, line_chart
    from ..search.presets import STRATEGY_NAMES

    exp, name = experiment(result["experiment"]), result["experiment"]
    by = {s: [r for r in result["runs"] if r["strategy"] == s] for s in result["strategies"]}
    # one look per strategy, the same in every chart: the palette's colours in the presets' order
    # (an alias shares its strategy's), then dark grey lines told apart by their dashes
    names = list(dict.fromkeys(PAPER_ALIASES.get(s, s) for s in STRATEGY_NAMES))
    look = {s: (PALETTE[i], "") if i < len(PALETTE) else ("#333333", ("6,3", "2,2", "")[i % 3])
            for i, s in enumerate(names)}
    colours = {s: look[PAPER_ALIASES.get(s, s)][0] for s in STRATEGY_NAMES}
    dashes = {s: look[PAPER_ALIASES.get(s, s)][1] for s in STRATEGY_NAMES}
    panels = []
    for t in exp.tasks:
        series = []
        for s, runs in by.items():
            if exp.stop_on_optimum:
                series.append(dataclasses.replace(_found_series(runs, t, exp.budget, s), dash=dashes.get(s, "")))
            else:
                curves = np.array([r["best_so_far"][t] for r in runs])
                curves = np.abs(curves) * (100 if t == "room_layout" else 1)
                first = min(10, curves.shape[1])  # from the end of the initial population
                series.append(Series(s, list(range(first, curves.shape[1] + 1)),
                                     curves.mean(axis=0)[first - 1:].tolist(), dash=dashes.get(s, "")))
        panels.append(Panel(t, series))
    charts = {}
    if exp.stop_on_optimum:
        charts[f"{name}-found.svg"] = line_chart(
            panels, title=f"{name}: share of runs that have found the task's best cell (band: 95% bootstrap "
            "interval over runs)", log_x=True, xlabel="evaluations on the task (log scale)",
            ylabel="share of runs", y_range=(0.0, 1.0), colours=colours)
    else:
        charts[f"{name}-best.svg"] = line_chart(
            panels, title=f"{name}: best-so-far validation metric, mean over runs (room_layout: L2 x 100, lower "
            "is better)", xlabel="evaluations on the task", ylabel="best so far", share_y=False, colours=colours)
    panels = []
    for t in exp.tasks:
        series = []
        for s, runs in by.items():
            gens: dict[int, list] = {}
            for r in runs:
                for g, mean_rank, _ in r["transfer_rank"][t]:
                    gens.setdefault(g, []).append(mean_rank)
            if gens:  # generations that at least half of the runs reached
                keep = sorted(g for g in gens if g <= 30 and 2 * len(gens[g]) >= len(runs))
                series.append(Series(s, keep, [float(np.mean(gens[g])) for g in keep], dash=dashes.get(s, "")))
        panels.append(Panel(f"target {t}", series))
    if any(p.series for p in panels):
        charts[f"{name}-transfer-rank.svg"] = line_chart(
            panels, title=f"{name}: mean global rank on the target of the cells transferred to it (1 = best)",
            xlabel="generation (reached by at least half of the runs)", ylabel="global rank (log scale)",
            log_y=True, colours=colours)
    return charts
