"""``ktnas reproduce nb201|tnb101``: the paper's Tables II and III, ours beside theirs.

::

    ktnas reproduce nb201 --seeds 10 --jobs 2 --out docs/results
    ktnas reproduce tnb101 --seeds 10 --strategies ktnas,rea,random --json

With ``--out DIR`` it writes ``DIR/<name>.json`` (every run's record),
``DIR/<name>.txt`` (the table and the command) and the SVG charts of
:func:`ktnas_core.search.reproduce.plots`.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Any

from .errors import ParameterError

__all__ = ["add_reproduce_command", "cmd_reproduce"]


def add_reproduce_command(sub: Any) -> None:
    """Register ``reproduce`` on the ``ktnas`` subparsers."""
    from .search.reproduce import EXPERIMENTS

    rep = sub.add_parser("reproduce", help="run every strategy for several seeds and print the paper's table "
                                           "beside ours")
    rep.add_argument("experiment", choices=list(EXPERIMENTS))
    rep.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 per strategy (default 10)")
    rep.add_argument("--strategies", metavar="A,B", help="comma-separated subset (default: all of the experiment)")
    rep.add_argument("--jobs", type=int, default=1, help="worker processes (default 1; results do not change)")
    rep.add_argument("--out", metavar="DIR", help="write <experiment>.json, <experiment>.txt and SVG charts here")
    rep.add_argument("--json", action="store_true", help="print the summary as JSON")
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


def cmd_reproduce(args: Any) -> dict:
    import json

    from .search.reproduce import format_table, plots, reproduce, summarize

    strategies = None
    if args.strategies is not None:
        strategies = [s.strip() for s in args.strategies.split(",")]
        if not all(strategies) or len(set(strategies)) != len(strategies):
            raise ParameterError(f"--strategies {args.strategies!r} must name each strategy once, comma-separated")
    if not 1 <= args.seeds <= 10000:
        raise ParameterError(f"--seeds {args.seeds} is out of range; allowed: an integer in [1, 10000]")
    if not 1 <= args.jobs <= 256:
        raise ParameterError(f"--jobs {args.jobs} is out of range; allowed: an integer in [1, 256]")
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise ParameterError(f"--out {args.out!r} is a file; give a directory")
    progress = _Bar(sys.stderr) if not args.json and sys.stderr.isatty() else None
    result = reproduce(args.experiment, seeds=args.seeds, strategies=strategies, jobs=args.jobs, progress=progress)
    table = format_table(result)
    command = "ktnas " + " ".join(shlex.quote(a) for a in getattr(args, "argv", ["reproduce", args.experiment]))
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{args.experiment}.json").write_text(json.dumps(result, indent=None, allow_nan=True) + "\n",
                                                         encoding="utf-8")
            footer = f"\n\n{result['seconds']:.1f} s in all, --jobs {args.jobs}"
            (out / f"{args.experiment}.txt").write_text(
                f"$ {command}\n" + table + footer + "\n", encoding="utf-8")
            for name, svg in plots(result).items():
                (out / name).write_text(svg, encoding="utf-8")
        except OSError as e:
            raise ParameterError(f"cannot write --out {args.out!r}: {e.strerror or e}") from None
    if not args.json:
        print(table)
        print(f"\n{len(result['runs'])} runs in {result['seconds']:.1f} s" + (f"; files in {out}" if out else ""))
    return {"experiment": args.experiment, "seeds": args.seeds, "seconds": result["seconds"],
            "rows": summarize(result)}
