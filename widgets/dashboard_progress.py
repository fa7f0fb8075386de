"""The search dashboard's progress line: evaluations done of the run's total, time and time left."""

from __future__ import annotations

from ktnas_core.runs.runner import FINISHED_REASONS

from .style import COLORS

__all__ = ["progress"]


def progress(handle, trace, done0: int = 0) -> tuple[int, int, str]:
    """``(bar maximum, bar value, HTML line)`` for ``trace`` (a RunTrace) of ``handle``'s run.

    ``handle`` is the RunHandle (None for a loaded run); ``done0`` the evaluations it had done when
    it was followed (a resumed run's rate counts only what it did since).

    >>> from ktnas_core.runs.runner import RunTrace
    >>> progress(None, RunTrace(("cifar10",), "a run"))[:2]
    (1, 0)
    """
    done = sum(n for n, _, _ in trace.now.values())
    budget = handle.progress.budget if handle is not None else None
    total = done if not budget or trace.end in FINISHED_REASONS else budget * len(trace.tasks)
    text = f"{done:,} / {total:,} evaluations"
    if handle is not None:
        rate = (done - done0) / handle.elapsed if handle.elapsed > 0 else 0
        left = f" · about {(total - done) / rate:.0f} s left" if handle.running and rate > 0 else ""
        text += f" · {handle.elapsed:.1f} s{left} · {handle.state}"
    return max(total, 1), min(done, total), f"<span style='color:{COLORS['muted']};margin-left:10px'>{text}</span>"
