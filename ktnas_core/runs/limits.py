"""What a visitor of a shared app may start: the hosted demo's limits, read from the environment.

:class:`Limits` bound concurrent runs on the whole server, evaluations per run, run folders
per visitor, and whether candidates may be trained; a :class:`~ktnas_core.runs.rundirs.RunArea`
enforces them and raises :class:`RunLimitError`.  :meth:`Limits.from_env` reads:


=========================  ==========================================  =================
variable                   meaning                                     demo default
=========================  ==========================================  =================
``KTNAS_RUNS_DIR``         the root of every run directory             ``runs``
``KTNAS_DEMO``             ``1``: each visitor gets ``visitor-<id>/``   off
                           under the root, and the demo defaults
``KTNAS_MAX_RUNS``         runs going at once on the server            4
``KTNAS_MAX_EVALS``        evaluations per run (budget x tasks)        3000
``KTNAS_MAX_VISITOR_RUNS`` run folders a visitor may create            20
``KTNAS_ALLOW_TRAINING``   ``1``: candidates may be trained            0
=========================  ==========================================  =================

Outside demo mode there are no limits unless a variable sets one; ``0`` means no limit.

Examples
--------
>>> Limits.from_env({"KTNAS_DEMO": "1", "KTNAS_MAX_RUNS": "2"})
Limits(max_runs=2, max_evals=3000, max_visitor_runs=20, training=False)
>>> Limits.from_env({})
Limits(max_runs=None, max_evals=None, max_visitor_runs=None, training=True)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from ..errors import ParameterError

__all__ = ["DEMO_LIMITS", "Limits", "RunLimitError", "env_flag"]


class RunLimitError(ParameterError):
    """A run the server's limits do not allow (too many at once, too long, training off)."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one visitor may start; ``None`` is no limit.

    Attributes
    ----------
    max_runs : int or None
        Runs going at once on the whole server (every visitor, every kernel).
    max_evals : int or None
        Evaluations per run: the budget per task times the number of tasks.
    max_visitor_runs : int or None
        Run folders one visitor may create.
    training : bool
        Whether a run may train its candidates (minutes of every core per candidate).
    """

    max_runs: int | None = None
    max_evals: int | None = None
    max_visitor_runs: int | None = None
    training: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The limits set by ``KTNAS_*`` variables, over :data:`DEMO_LIMITS` when ``KTNAS_DEMO`` is on."""
        env = os.environ if environ is None else environ
        base = DEMO_LIMITS if env_flag(env, "KTNAS_DEMO", False) else cls()
        counts = {f: _count(env, v, getattr(base, f)) for f, v in (
            ("max_runs", "KTNAS_MAX_RUNS"), ("max_evals", "KTNAS_MAX_EVALS"),
            ("max_visitor_runs", "KTNAS_MAX_VISITOR_RUNS"))}
        return cls(**counts, training=env_flag(env, "KTNAS_ALLOW_TRAINING", base.training))


#: the limits of demo mode (``KTNAS_DEMO=1``), each overridable by its variable
DEMO_LIMITS = Limits(max_runs=4, max_evals=3000, max_visitor_runs=20, training=False)


def env_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ParameterError(f"{name}={env[name]!r} is not a switch; use 1 or 0")


def _count(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ParameterError(f"{name}={env[name]!r} is not a count; use a whole number >= 1, or 0 for no limit")
    return value or None
