"""Zero-cost proxies: scores of an untrained network that need no data.

:func:`synflow` is the "synaptic flow" of Tanaka et al. (NeurIPS 2020), used as
a zero-cost NAS proxy by Abdelfattah et al. (ICLR 2021).  It works on any
``torch.nn.Module``; torch is imported only when it is called.

For the 15,625 NAS-Bench-201 cells the scores are precomputed
(``benchmarks/compute_synflow.py``) and ship as a table: see
:func:`ktnas_core.benchmarks.zero_cost.load_zero_cost`.

Examples
--------
>>> import torch
>>> from ktnas_core.networks import build_nb201_network
>>> _ = torch.manual_seed(0)
>>> net = build_nb201_network("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
>>> s = synflow(net, (1, 3, 32, 32))
>>> s > 0, s == synflow(net, (1, 3, 32, 32))
(True, True)
"""

from __future__ import annotations

import copy
import math

from .errors import ParameterError

__all__ = ["synflow"]

BN_MODES = ("remove", "eval")


def synflow(model, input_shape, *, bn: str = "remove", inplace: bool = False) -> float:
    """The synflow score of ``model``: ``sum(|w| * dR/d|w|)`` over conv and linear weights.

    The standard zero-cost recipe (Abdelfattah et al. 2021; NASLib's
    ``synflow``): the network in float64, every parameter replaced by its
    absolute value, one all-ones input of ``input_shape`` (batch of one,
    e.g. ``(1, 3, 32, 32)``), ``R`` = the sum of the outputs, backpropagate,
    and sum ``weight * grad`` over the weights of all convolution and linear
    layers (biases and normalisation parameters are not scored).

    Parameters
    ----------
    model : torch.nn.Module
        Any network; it is deep-copied first and left untouched, unless
        ``inplace=True`` (faster, but the model's weights are then changed).
    input_shape : tuple of int
        Shape of the all-ones input, batch dimension included.
    bn : {"remove", "eval"}
        ``"remove"`` (default, the standard): BatchNorm layers are replaced
        by the identity, so the score depends on the weights alone.  Keeping
        BN in training mode, as a plain forward pass would, is wrong here: on a
        constant input the batch statistics make every channel constant and
        the BN output is its bias, so the signal is cut.  ``"eval"`` keeps BN
        as an affine map with its running statistics (|gamma|, |beta|).
    inplace : bool
        Work on ``model`` itself instead of a copy.

    Returns
    -------
    float
        The score; 0.0 when the output does not depend on the input (a
        cell whose every path is ``none``), ``inf`` if float64 overflows.

    Raises
    ------
    ParameterError
        If ``input_shape`` is not a tuple of positive integers or ``bn`` is not
        one of the allowed modes.
    """
    import torch
    from torch import nn

    shape = _check_shape(input_shape)
    if bn not in BN_MODES:
        raise ParameterError(f"bn {bn!r} is not a synflow BatchNorm mode; choose one of {list(BN_MODES)}")
    net = model if inplace else copy.deepcopy(model)
    if bn == "remove":
        _replace_batchnorm(net, nn)
    net.double().eval()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    net.zero_grad(set_to_none=True)
    param = next(net.parameters(), None)
    device = param.device if param is not None else None
    with torch.enable_grad():
        out = net(torch.ones(shape, dtype=torch.float64, device=device))
        outputs = out if isinstance(out, (tuple, list)) else (out,)
        total = sum(o.sum() for o in outputs if isinstance(o, torch.Tensor))
        if not isinstance(total, torch.Tensor) or not total.requires_grad:
            return 0.0
        total.backward()
    score = 0.0
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear)) and m.weight.grad is not None:
                score += float((m.weight * m.weight.grad).abs().sum())
    return score if not math.isnan(score) else math.inf


def _check_shape(input_shape) -> tuple[int, ...]:
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if not shape or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape):
        raise ParameterError(
            f"input_shape must be a tuple of positive integers like (1, 3, 32, 32); got {input_shape!r}"
        )
    return shape


def _replace_batchnorm(net, nn) -> None:
    """Swap every BatchNorm submodule for ``nn.Identity`` (in place)."""
    for parent in list(net.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.modules.batchnorm._BatchNorm):
                setattr(parent, name, nn.Identity())
