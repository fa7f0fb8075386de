"""The Paper tab's tables: the reproduced Table II or III beside the paper's numbers, its CSV and
JSON exports, the shipped ablation, and what the DARTS-style Tables IV-VI need.

Each function renders what it is given (a result of :mod:`ktnas_core.experiments.paper_results` and
its :func:`~ktnas_core.experiments.reproduce_report.summarize` rows) as HTML; :class:`~widgets.paper_view.PaperView`
decides what is shown.

>>> from ktnas_core.experiments.paper_results import load_ablation
>>> quantities({"experiment": "nb201"}), quantities({"experiment": "tnb101"})[-1]
(['cifar10', 'cifar100', 'ImageNet16-120', 'total'], 'rank')
>>> "Ablation" in ablation_html("nb201", load_ablation("nb201")), "--ablation" in ablation_html("nb201", None)
(True, True)
"""

from __future__ import annotations

import csv
import html
import io
import json

from ktnas_core.experiments.catalog import PAPER, PAPER_ALIASES, PAPER_NAMES, experiment, paper_numbers
from ktnas_core.experiments.paper_results import darts_plan
from ktnas_core.experiments.reproduce_report import format_p

from .dashboard_training import link
from .style import COLORS

__all__ = ["COLUMNS", "ablation_html", "darts_html", "exports_html", "long_rows", "quantities", "table_html"]

#: columns of :func:`long_rows` (and of the CSV export)
COLUMNS = ("method", "quantity", "n", "mean", "sd", "median", "ci_low", "ci_high", "reference", "diff",
           "diff_ci_low", "diff_ci_high", "p", "wins", "losses", "paper", "paper_row")


def quantities(shown: dict) -> list[str]:
    """The table's columns of ``shown``: its tasks, then the total (Table II) or the average rank."""
    exp = experiment(shown["experiment"])
    return [*exp.tasks, "total" if exp.stop_on_optimum else "rank"]


def _digits(shown: dict, quantity: str) -> int:
    return 1 if experiment(shown["experiment"]).stop_on_optimum or quantity == "rank" else 2


def _paper_rows_shown(shown: dict) -> set:
    """The paper's rows that a strategy shown stands for."""
    return {PAPER_ALIASES.get(s, s) for s in shown["strategies"]}


def long_rows(shown: dict, rows: list, reference: str) -> list[dict]:
    """The table as one row per strategy and quantity (what the CSV and JSON exports hold); the paper's
    rows that no strategy shown matches come last, with only their paper number."""
    name, out = shown["experiment"], []
    paper = PAPER[name]
    for row in rows:
        for k, q in enumerate(quantities(shown)):
            st, test = row["stats"][q], (row.get("test") or {}).get(q)
            ref = paper_numbers(name, row["method"])
            out.append({"method": row["method"], "quantity": q, "n": st and st["n"],
                        "mean": st and st["mean"], "sd": st and st["sd"], "median": st and st["median"],
                        "ci_low": st and st["ci"][0], "ci_high": st and st["ci"][1],
                        "reference": reference, "diff": test and test["diff"],
                        "diff_ci_low": test and test["ci"][0], "diff_ci_high": test and test["ci"][1],
                        "p": test and test["p"], "wins": test and test["wins"],
                        "losses": test and test["losses"], "paper": ref[k] if ref else None,
                        "paper_row": PAPER_NAMES.get(row["method"]) if ref else None})
    for method, values in paper.items():
        if method not in _paper_rows_shown(shown):
            out += [dict.fromkeys(COLUMNS) | {"method": method, "quantity": q, "paper": values[k],
                                              "paper_row": PAPER_NAMES.get(method)}
                    for k, q in enumerate(quantities(shown))]
    return out


def table_html(shown: dict, rows: list, reference: str) -> str:
    """The table of ``rows`` (:func:`~ktnas_core.experiments.reproduce_report.summarize` of ``shown`` against
    ``reference``) beside the paper's numbers, with the paper's rows none of ours stands for."""
    name, columns = shown["experiment"], quantities(shown)
    exp, paper, last = experiment(name), PAPER[name], columns[-1]
    label = {"total": "total (3 tasks)", "rank": "avg rank (1 = best)"}
    head = ["method", "paper's row", *[label.get(q, q) for q in columns],
            f"{label[last].split(' (')[0]}: vs {reference} [95% CI]", "p (Wilcoxon)"]
    th = "".join(f"<th style='padding:4px 8px;text-align:{'left' if i < 2 else 'right'};"
                 f"border-bottom:2px solid {COLORS['grid']}'>{html.escape(h)}</th>" for i, h in enumerate(head))
    body = []
    for row in rows:
        ref = paper_numbers(name, row["method"])
        cells = [f"<b>{html.escape(row['method'])}</b>" + (
            f"<div style='color:{COLORS['topk']};font-size:11px'>{row['not_found']} optima not found</div>"
            if row.get("not_found") else ""),
            html.escape(PAPER_NAMES.get(row["method"], "–") if ref else "–")]
        for k, q in enumerate(columns):
            st, d = row["stats"][q], _digits(shown, q)
            if st is None:
                cells.append("not found")
                continue
            under = f"median {st['median']:.{d}f}" + (f" · <b>paper {ref[k]:g}</b>" if ref else "")
            cells.append(f"{st['mean']:.{d}f} <span style='color:{COLORS['muted']}'>[{st['ci'][0]:.{d}f}, "
                         f"{st['ci'][1]:.{d}f}]</span><div style='font-size:11px;color:{COLORS['muted']}'>"
                         f"{under}</div>")
        test, d = (row.get("test") or {}).get(last), _digits(shown, last)
        cells.append("reference" if row["method"] == reference else "–" if test is None else
                     f"{test['diff']:+.{d}f} <span style='color:{COLORS['muted']}'>[{test['ci'][0]:+.{d}f}, "
                     f"{test['ci'][1]:+.{d}f}]</span>")
        cells.append("–" if test is None else (f"<b>{format_p(test['p'])}</b>" if test["p"] < 0.05
                                               else format_p(test["p"])))
        body.append(cells)
    for method, values in paper.items():  # the paper's rows none of ours stands for
        if method not in _paper_rows_shown(shown):
            body.append([f"<span style='color:{COLORS['muted']}'>(paper only)</span>",
                         html.escape(PAPER_NAMES.get(method, method)),
                         *[f"<b>paper {v:g}</b>" for v in values], "", ""])
    td = (lambda i: f"<td style='padding:3px 8px;vertical-align:top;text-align:{'left' if i < 2 else 'right'};"
                    f"border-bottom:1px solid {COLORS['grid']}'>")
    trs = "".join("<tr>" + "".join(f"{td(i)}{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in body)
    better = "fewer is better" if exp.stop_on_optimum else "accuracies: higher is better; L2 loss and rank: lower"
    return (f"<div style='font-size:15px;font-weight:600;color:{COLORS['ink']};margin-top:6px'>"
            f"{html.escape(exp.caption)}</div>"
            f"<div style='font-size:12px;color:{COLORS['muted']}'>{shown['seeds']} seeds per strategy; "
            f"{better}; p below 0.05 in bold.</div>"
            f"<table class='ktnas-paper-table' style='border-collapse:collapse;font-size:13px;"
            f"color:{COLORS['ink']};margin-top:4px'><tr>{th}</tr>{trs}</table>")


def exports_html(shown: dict, rows: list, reference: str) -> str:
    """CSV and JSON download links of :func:`long_rows`."""
    table = long_rows(shown, rows, reference)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows({k: "" if r[k] is None else r[k] for k in COLUMNS} for r in table)
    stem = f"{shown['experiment']}-{shown['seeds']}seeds"
    data = {"experiment": shown["experiment"], "seeds": shown["seeds"], "reference": reference,
            "strategies": shown["strategies"], "rows": table}
    return (f"<div style='font-size:13px'>export the table: {link(f'{stem}.csv', 'text/csv', buf.getvalue().encode())}"
            f"{link(f'{stem}.json', 'application/json', json.dumps(data, indent=1).encode())}</div>")


def ablation_html(name: str, result: dict | None) -> str:
    """The shipped ablation of experiment ``name`` (``result``; None: how to make one)."""
    head = f"<div style='font-size:15px;font-weight:600;color:{COLORS['ink']};margin-top:10px'>Ablation</div>"
    if result is None:
        return (head + f"<div style='font-size:13px;color:{COLORS['muted']}'>No ablation result is shipped for "
                f"this table; <code>ktnas reproduce {html.escape(name)} --ablation --out docs/results</code> "
                "writes one.</div>")
    what = ("evaluations to all three optima" if result["quantity"] == "total"
            else "average rank of the found cells (1 = best)")
    rows = []
    for s in result["steps"]:
        st, g = s["stats"], s["gain"]
        rows.append([html.escape(s["label"]), html.escape(s["strategy"]),
                     f"{st['mean']:.1f} <span style='color:{COLORS['muted']}'>[{st['ci'][0]:.1f}, "
                     f"{st['ci'][1]:.1f}]</span> ({st['median']:g})",
                     html.escape(s["compared_with"] or "–"),
                     "–" if g is None else f"{g['diff']:+.1f} <span style='color:{COLORS['muted']}'>"
                                           f"[{g['ci'][0]:+.1f}, {g['ci'][1]:+.1f}]</span>",
                     "–" if g is None else format_p(g["p"])])
    th = "".join(f"<th style='padding:4px 8px;text-align:left;border-bottom:2px solid {COLORS['grid']}'>{h}</th>"
                 for h in ("step", "strategy", "mean [95% CI] (median)", "compared with",
                           "change [95% CI] (negative = better)", "p"))
    trs = "".join("<tr>" + "".join(f"<td style='padding:3px 8px;border-bottom:1px solid {COLORS['grid']}'>{c}</td>"
                                   for c in r) + "</tr>" for r in rows)
    command = f" — <code>{html.escape(result['command'])}</code>" if result.get("command") else ""
    return (head + f"<div style='font-size:12px;color:{COLORS['muted']}'>{what}, {result['seeds']} seeds each; "
            f"each step adds one piece to the step it is compared with, over the same seeds. Shipped "
            f"<code>docs/results/{html.escape(result['source'])}</code>{command}.</div>"
            f"<table style='border-collapse:collapse;font-size:13px;color:{COLORS['ink']}'><tr>{th}</tr>{trs}"
            "</table>")


def darts_html() -> str:
    """Tables IV-VI: what ``ktnas reproduce darts`` runs, the paper's numbers, the CPU-scale result."""
    plan = darts_plan("mnist")
    paper = ", ".join(f"{html.escape(t)} {m:g} ± {s:g} %" for t, (m, s) in plan["paper"].items())
    search = ", ".join(f"{k} {v}" for k, v in plan["search"].items())
    retrain = ", ".join(f"{k} {v}" for k, v in plan["retrain"].items() if v is not None)
    measured = "".join(f"<details style='margin-top:4px'><summary><code>benchmarks/results/{html.escape(n)}"
                       f"</code></summary><pre style='font-size:11px;overflow:auto;max-height:300px'>"
                       f"{html.escape(text)}</pre></details>" for n, text in plan["measured"].items())
    return (f"<div style='font-size:15px;font-weight:600;color:{COLORS['ink']};margin-top:12px'>Tables IV–VI: "
            "the DARTS-style space (not run in this page)</div>"
            f"<div style='font-size:13px;color:{COLORS['ink']};line-height:1.5;max-width:1200px'>"
            f"A multi-task search on one weight-sharing supernet per task ({html.escape(search)}; 20 "
            f"generations of population 20), then each task's best cell and a random control cell retrained "
            f"from scratch ({html.escape(retrain)}) and scored on the official test split. The paper: "
            f"{paper}. It needs a GPU for hours, so this page shows the command, not a button:"
            f"<pre style='background:#f5f7fa;padding:6px 8px;margin:4px 0'>{html.escape(plan['command'])}</pre>"
            f"What a CPU could show at a small scale (supernets of 8 channels and 3 cells, 3 retraining "
            "epochs; <code>python benchmarks/bench_darts_search.py</code>; see docs/results.md):"
            f"{measured or ' no CPU-scale result is shipped with this copy.'}</div>")
