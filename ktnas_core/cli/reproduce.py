"""``ktnas reproduce nb201|tnb101|darts``: the paper's Tables II-VI, ours beside theirs.

::

    ktnas reproduce nb201 --jobs 2 --out docs/results           # 100 seeds
    ktnas reproduce nb201 --ablation --jobs 2 --out docs/results
    ktnas reproduce tnb101 --seeds 10 --strategies ktnas,rea,random --json
    ktnas reproduce nb201 --reuse docs/results/nb201.json --reference ktnas-xt   # runs nothing
    ktnas reproduce darts --tasks mnist,fashion-mnist --epochs 600 --device cuda

``darts`` searches the DARTS-style space with one weight-sharing supernet per task and
retrains the found cells (and a random control cell) from scratch
(:mod:`ktnas_core.experiments.reproduce_darts`); its work folder (``--work``) keeps every
run, supernet and retrained cell, so the same command continues after a stop or crash.

``nb201`` and ``tnb101`` print, per strategy and task, the mean, a 95% bootstrap interval of
the mean and the median over 100 seeds, and a paired Wilcoxon signed-rank test against
``ktnas`` (or ``--reference NAME``) over the same seeds (:mod:`ktnas_core.experiments.reproduce_report`);
``--reuse FILE`` reads the runs of an earlier ``--out`` again instead of running them; ``--ablation``
prints the ablation table instead (:mod:`ktnas_core.experiments.ablation`).

With ``--out DIR`` it writes ``DIR/<name>.json`` (every run's record and the summary with its
intervals and p-values), ``DIR/<name>.txt`` (the table and the command) and the SVG charts of
:func:`ktnas_core.experiments.reproduce.plots` (``--ablation``: ``<name>-ablation.json`` and ``.txt``).
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import ParameterError

__all__ = ["add_reproduce_command", "cmd_reproduce"]


def add_reproduce_command(sub: Any) -> None:
    """Register ``reproduce`` on the ``ktnas`` subparsers."""
    from ..experiments.reproduce import EXPERIMENTS

    rep = sub.add_parser("reproduce", help="run every strategy for several seeds and print the paper's table "
                                           "beside ours")
    rep.add_argument("experiment", choices=[*EXPERIMENTS, "darts"])
    rep.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 per strategy (default 100; darts 1, "
                                                              "the paper ran 5)")
    rep.add_argument("--ablation", action="store_true", help="nb201/tnb101: the ablation table (base searcher, "
                                                              "+ warm-up, + proposal, + transfer, + rank, ...)")
    rep.add_argument("--reuse", metavar="FILE", help="take runs from this <experiment>.json of an earlier reproduce "
                                                      "(same seeds): --ablation takes the strategies it names, the "
                                                      "table takes every run and runs nothing")
    rep.add_argument("--reference", default=None, metavar="NAME",
                     help="the strategy every other is tested against, seed by seed (default ktnas)")
    rep.add_argument("--strategies", metavar="A,B", help="comma-separated subset (default: all of the experiment)")
    rep.add_argument("--jobs", type=int, default=1, help="worker processes (default 1; results do not change)")
    rep.add_argument("--out", metavar="DIR", help="write <experiment>.json, <experiment>.txt and SVG charts here")
    rep.add_argument("--json", action="store_true", help="print the summary as JSON")
    darts = rep.add_argument_group("darts only")
    darts.add_argument("--tasks", default="mnist", metavar="A,B",
                       help="data sets searched together, or a group: mnist (MNIST + Fashion-MNIST), cifar, medmnist")
    darts.add_argument("--generations", type=int, default=20, help="GA generations (default 20)")
    darts.add_argument("--population", type=int, default=20, help="population per task (default 20, Table I)")
    darts.add_argument("--search-C", type=int, default=16, help="supernet channels (default 16)")
    darts.add_argument("--search-layers", type=int, default=8, help="supernet cells (default 8)")
    darts.add_argument("--warmup-epochs", type=int, default=0,
                       help="supernet epochs through random cells before the search (default 0, as the paper)")
    darts.add_argument("--epochs", type=int, default=600, help="retraining epochs (default 600, the paper's CIFAR)")
    darts.add_argument("--C", type=int, default=36, help="retrained network channels (default 36)")
    darts.add_argument("--layers", type=int, default=20, help="retrained network cells (default 20)")
    darts.add_argument("--batch-size", type=int, default=96, help="retraining batch size (default 96)")
    darts.add_argument("--recipe", choices=["darts", "basic"], default="darts", help="retraining recipe")
    darts.add_argument("--retrain-seeds", type=int, default=1, help="retrain each cell N times, report the mean")
    darts.add_argument("--subset", type=int, help="keep at most N images per split of every data set")
    darts.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    darts.add_argument("--work", default="runs/reproduce-darts", help="work folder (same folder = continue)")
    rep.set_defaults(func=cmd_reproduce)


class _Bar:
    """A progress bar on stderr (only on a terminal)."""

    def __init__(self, stream: Any):
        self.stream, self.started = stream, time.monotonic()

    def __call__(self, done: int, total: int, label: str) -> None:
        width = 30
        fill = round(width * done / total)
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (total - done)
        self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{total} runs, {elapsed:.0f}s "
                          f"elapsed, ~{eta:.0f}s left  {label}\033[K")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def _write(out: Path | None, arg: str, files: dict[str, str]) -> None:
    if out is None:
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as e:
        raise ParameterError(f"cannot write --out {arg!r}: {e.strerror or e}") from None


def cmd_reproduce_darts(args: Any, strategies: list[str] | None, out: Path | None) -> dict:
    import json

    from ..experiments.reproduce_darts import TASK_SETS, format_darts_table, reproduce_darts, summarize_darts

    tasks = list(TASK_SETS.get(args.tasks, [t.strip() for t in args.tasks.split(",")]))
    progress = None if args.json else (lambda message: print(message, file=sys.stderr, flush=True))
    result = reproduce_darts(tasks, strategies=strategies or ("ktnas", "emtnas"), seeds=args.seeds or 1,
                             generations=args.generations, population_size=args.population,
                             search={"C": args.search_C, "layers": args.search_layers,
                                     "warmup_epochs": args.warmup_epochs},
                             retrain={"epochs": args.epochs, "C": args.C, "N": args.layers,
                                      "batch_size": args.batch_size, "recipe": args.recipe},
                             retrain_seeds=args.retrain_seeds,
                             subset=args.subset, device=args.device, work_dir=args.work, progress=progress)
    table = format_darts_table(result)
    command = "ktnas " + " ".join(shlex.quote(a) for a in getattr(args, "argv", ["reproduce", "darts"]))
    _write(out, args.out, {"darts.json": json.dumps(result, indent=1) + "\n",
                           "darts.txt": f"$ {command}\n{table}\n\n{result['seconds']:.1f} s in all\n"})
    if not args.json:
        print(table)
    return {"experiment": "darts", "seeds": result["seeds"], "seconds": result["seconds"],
            "rows": summarize_darts(result), "runs": result["runs"]}


def cmd_reproduce(args: Any) -> dict:
    import json

    from ..experiments.catalog import REFERENCE
    from ..experiments.reproduce import format_table, plots, reproduce, stored_result, summarize

    strategies = None
    if args.strategies is not None:
        strategies = [s.strip() for s in args.strategies.split(",")]
        if not all(strategies) or len(set(strategies)) != len(strategies):
            raise ParameterError(f"--strategies {args.strategies!r} must name each strategy once, comma-separated")
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise ParameterError(f"--out {args.out!r} is a file; give a directory")
    if args.experiment == "darts":
        return cmd_reproduce_darts(args, strategies, out)
    given_seeds, args.seeds = args.seeds, 100 if args.seeds is None else args.seeds
    if not 1 <= args.seeds <= 10000:
        raise ParameterError(f"--seeds {args.seeds} is out of range; allowed: an integer in [1, 10000]")
    if not 1 <= args.jobs <= 256:
        raise ParameterError(f"--jobs {args.jobs} is out of range; allowed: an integer in [1, 256]")
    progress = _Bar(sys.stderr) if not args.json and sys.stderr.isatty() else None
    if args.ablation:
        if args.reference is not None:
            raise ParameterError("--ablation compares each step with the step it builds on; drop --reference")
        return cmd_ablation(args, strategies, out, progress)
    reference = REFERENCE if args.reference is None else args.reference
    if args.reuse is not None:
        result = stored_result(_read_json(args.reuse), args.experiment, strategies)
        if given_seeds is not None and given_seeds != result["seeds"]:
            raise ParameterError(f"--seeds {given_seeds} does not match the {result['seeds']} seeds stored in "
                                 f"{args.reuse!r}; drop --seeds to read them")
    else:
        result = reproduce(args.experiment, seeds=args.seeds, strategies=strategies, jobs=args.jobs,
                           progress=progress)
    if args.reference is not None and reference not in result["strategies"]:
        raise ParameterError(f"--reference {reference!r} did not run; choose one of {list(result['strategies'])}")
    rows = summarize(result, reference)
    table = format_table(result, reference=reference, rows=rows)
    command = "ktnas " + " ".join(shlex.quote(a) for a in getattr(args, "argv", ["reproduce", args.experiment]))
    footer = (f"\n\n{len(result['runs'])} runs taken from {args.reuse}" if args.reuse is not None
              else f"\n\n{result['seconds']:.1f} s in all, --jobs {args.jobs}")
    name = args.experiment if reference == REFERENCE else f"{args.experiment}-vs-{reference}"
    files = {f"{name}.txt": f"$ {command}\n" + table + footer + "\n"}
    if args.reuse is None:  # the runs themselves and their charts; a re-reading adds only its table
        files.update({f"{name}.json": json.dumps({**result, "summary": rows}, indent=None, allow_nan=True) + "\n",
                      **plots(result)})
    _write(out, args.out, files)
    if not args.json:
        print(table)
        print(f"\n{len(result['runs'])} runs " + (f"from {args.reuse}" if args.reuse is not None
                                                  else f"in {result['seconds']:.1f} s")
              + (f"; files in {out}" if out else ""))
    return {"experiment": args.experiment, "seeds": result["seeds"], "seconds": result["seconds"],
            "reference": reference, "rows": rows}


def _read_json(path: str) -> dict:
    """The JSON file named by ``--reuse``; a one-line error when it cannot be read."""
    import json

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ParameterError(f"cannot read --reuse {path!r}: {getattr(e, 'strerror', None) or e}") from None


def cmd_ablation(args: Any, strategies: list[str] | None, out: Path | None, progress: Any) -> dict:
    import json

    from ..experiments.ablation import ablation, format_ablation

    if strategies is not None:
        raise ParameterError("--ablation runs its own steps; drop --strategies")
    reuse = None if args.reuse is None else _read_json(args.reuse)
    result = ablation(args.experiment, seeds=args.seeds, jobs=args.jobs, progress=progress, reuse=reuse)
    table = format_ablation(result)
    command = "ktnas " + " ".join(shlex.quote(a) for a in getattr(args, "argv", ["reproduce", args.experiment]))
    footer = f"\n\n{result['seconds']:.1f} s in all, --jobs {args.jobs}" + (
        f"; {result['reused']} of {len(result['runs'])} runs taken from {args.reuse}" if args.reuse else "")
    _write(out, args.out, {f"{args.experiment}-ablation.json": json.dumps(result, allow_nan=True) + "\n",
                           f"{args.experiment}-ablation.txt": f"$ {command}\n" + table + footer + "\n"})
    if not args.json:
        print(table)
        print(f"\n{len(result['runs'])} runs in {result['seconds']:.1f} s" + (f"; files in {out}" if out else ""))
    return {"experiment": args.experiment, "seeds": args.seeds, "seconds": result["seconds"],
            "steps": result["steps"]}
