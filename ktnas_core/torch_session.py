"""A reproducible, self-restoring PyTorch context for the estimators that train networks.

torch is imported when the context is entered, never when this module is.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

__all__ = ["torch_session"]


@contextlib.contextmanager
def torch_session(seed: int | None = None, threads: int = 1, deterministic: bool = False,
                  device: str = "cpu") -> Iterator[Any]:
    """Yield ``torch`` with a fixed thread count and a private RNG (seeded when ``seed``
    is given), optionally with deterministic algorithms (only a warning off the CPU, where
    some kernels have no deterministic version); the caller's settings come back on exit.

    Examples
    --------
    >>> from ktnas_core.torch_session import torch_session
    >>> with torch_session(seed=0) as torch:
    ...     a = torch.rand(2)
    >>> with torch_session(seed=0) as torch:
    ...     bool((torch.rand(2) == a).all())
    True
    """
    import torch

    saved_threads = torch.get_num_threads()
    saved_det = torch.are_deterministic_algorithms_enabled()
    saved_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(threads)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=torch.device(device).type != "cpu")
    try:
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            yield torch
    finally:
        torch.set_num_threads(saved_threads)
        torch.use_deterministic_algorithms(saved_det, warn_only=saved_warn)
