"""DARTS-style networks in PyTorch: the discrete network of one genome, and the skeleton and cells it
shares with the one-shot supernet (:mod:`~ktnas_core.networks.darts_supernet`).

This module imports torch.  Written from Liu et al., "DARTS", ICLR 2019
(macro skeleton, operations, drop-path, auxiliary head) and the cell of
EMT-NAS (Liao et al., CVPR 2023) that KTNAS searches (PAPER.md section 6):

* stem: 3x3 convolution (``in_channels -> 3C``, no bias) and BatchNorm;
* ``layers`` cells; the cells at ``layers // 3`` and ``2 * layers // 3`` are
  reduction cells (channels doubled; stride 2 on every op reading the cell's
  inputs 0 or 1), the others normal cells;
* a cell preprocesses its two inputs (the outputs of the two previous cells)
  to its ``c`` channels: ``s0`` by :class:`FactorizedReduce` if the previous
  cell was a reduction cell (``s0`` is then twice as large), else by
  ReLU-1x1 conv-BN; ``s1`` by ReLU-1x1 conv-BN.  Block ``k`` outputs
  ``op_a(state[input_a]) + op_b(state[input_b])``; the cell output
  concatenates the five block outputs and applies ReLU, 1x1 conv (``5c -> c``)
  and BN, so every cell outputs ``c`` channels;
* global average pooling and a linear classifier.

Operations (every convolution has no bias; every BatchNorm is affine):

* ``sep_conv_kxk``: DARTS' SepConv, twice (ReLU, depthwise kxk, pointwise
  1x1, BN), the first depthwise conv carrying the stride;
  ``2 * (c*k*k + c*c + 2c)`` parameters;
* ``dil_conv_*``: ReLU, dilated depthwise conv, pointwise 1x1, BN;
  ``c*kernel**2 + c*c + 2c`` parameters.  The space names them by *receptive
  field* (EMT-NAS), so this module chooses ``dil_conv_3x3`` = kernel 2,
  dilation 2; ``dil_conv_5x5`` = kernel 3, dilation 2 (DARTS' dil_conv_3x3);
  ``dil_conv_7x7`` = kernel 3, dilation 3.  Each covers exactly the field its
  name gives (``dilation * (kernel - 1) + 1``) with symmetric padding, so
  ``dil_conv_5x5`` and ``dil_conv_7x7`` have equal parameter counts;
* ``skip_connect``: identity, or :class:`FactorizedReduce` when stride 2;
* ``max_pool_3x3`` / ``avg_pool_3x3``: padding 1 (average pooling with
  ``count_include_pad=False``).

Stride-2 operations give ``ceil(H / 2)`` for any ``H`` (FactorizedReduce pads
odd inputs), so any input size of at least 1x1 works: 28x28 MNIST, 32x32
CIFAR, 8x8 scikit-learn digits.

Drop-path (DARTS): in training mode, the output of each non-identity op is
zeroed per sample with probability :attr:`drop_path_prob` and the survivors
scaled by ``1 / (1 - p)``; set ``net.drop_path_prob`` each epoch.  The
auxiliary head (DARTS) reads the second reduction cell; its 5x5/stride-3
average pooling is replaced by adaptive average pooling to 2x2, so it works
for any input size.

Examples
--------
>>> import torch
>>> from ktnas_core.networks import count_parameters
>>> from ktnas_core.spaces import get_space
>>> net = build_darts_network(get_space("darts").sample(0), C=8, layers=5, in_channels=1)
>>> count_parameters(net)
64666
>>> with torch.no_grad():
...     net.eval()(torch.zeros(1, 1, 28, 28)).shape
torch.Size([1, 10])
"""

from __future__ import annotations

import numbers

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ParameterError
from ..spaces import get_space
from ..spaces.darts import CELL_LENGTH, DARTS_OPS, N_BLOCKS, DartsGenome
from .nb201 import ReLUConvBN, _positive_int

__all__ = ["BaseCell", "DartsNetwork", "Skeleton", "build_darts_network", "cell_blocks", "coerce_genome", "make_op"]

#: ``dil_conv_*`` name -> (kernel, dilation); receptive field ``dilation * (kernel - 1) + 1``
DIL_CONV_GEOMETRY = {"dil_conv_3x3": (2, 2), "dil_conv_5x5": (3, 2), "dil_conv_7x7": (3, 3)}


# -- operations ---------------------------------------------------------------
class FactorizedReduce(nn.Module):
    """ReLU, two 1x1 stride-2 convs on pixel grids offset by one (outputs
    concatenated), BN.  Odd inputs are zero-padded so both halves give
    ``ceil(H / 2)``; ``c_out`` may be odd (the halves are then uneven)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = self.relu(x)
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]  # x[1::2] and zero past an odd edge
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


def _dw_pw(c: int, kernel: int, stride: int, dilation: int = 1) -> list[nn.Module]:
    """ReLU, depthwise ``kernel`` conv (same padding), pointwise 1x1, BN."""
    return [
        nn.ReLU(inplace=False),
        nn.Conv2d(c, c, kernel, stride=stride, padding=dilation * (kernel - 1) // 2,
                  dilation=dilation, groups=c, bias=False),
        nn.Conv2d(c, c, 1, bias=False),
        nn.BatchNorm2d(c),
    ]  # fmt: skip


def make_op(name: str, c: int, stride: int = 1) -> nn.Module:
    """The DARTS operation ``name`` on ``c`` channels (see module doc)."""
    if name.startswith("sep_conv_"):
        k = int(name[-1])
        return nn.Sequential(*_dw_pw(c, k, stride), *_dw_pw(c, k, 1))
    if name in DIL_CONV_GEOMETRY:
        kernel, dilation = DIL_CONV_GEOMETRY[name]
        return nn.Sequential(*_dw_pw(c, kernel, stride, dilation))
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    raise ParameterError(f"unknown DARTS operation {name!r}; choose one of {list(DARTS_OPS)}")


def drop_path(x, prob: float):
    """Zero each sample of ``x`` with probability ``prob``; scale the rest by ``1/(1-prob)``."""
    keep = 1.0 - prob
    mask = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device)
    return x * mask.bernoulli_(keep) / keep


def _apply(op: nn.Module, x, drop_prob: float):
    y = op(x)
    if drop_prob > 0.0 and not isinstance(op, nn.Identity):
        y = drop_path(y, drop_prob)
    return y


# -- cells --------------------------------------------------------------------
class BaseCell(nn.Module):
    """The cell skeleton shared by the discrete cell and the supernet cell:
    input preprocessing, the five blocks, output projection."""

    def __init__(self, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1)
        self.preprocess1 = ReLUConvBN(c_p, c, 1)
        self.project = ReLUConvBN(N_BLOCKS * c, c, 1)

    def _stride(self, i: int) -> int:
        return 2 if self.reduction and i < 2 else 1

    def _run(self, s0, s1, picks, drop_prob: float):
        """``picks``: ten ``(op, input)`` pairs, block by block, ``a`` then ``b``."""
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for (op_a, ia), (op_b, ib) in zip(picks[::2], picks[1::2]):
            states.append(_apply(op_a, states[ia], drop_prob) + _apply(op_b, states[ib], drop_prob))
        return self.project(torch.cat(states[2:], dim=1))


class DartsCell(BaseCell):
    """A discrete cell: ``blocks`` is five ``(input_a, input_b, op_a, op_b)``."""

    def __init__(self, blocks, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__(c_pp, c_p, c, reduction, reduction_prev)
        edges = [(i, o) for ia, ib, oa, ob in blocks for i, o in ((ia, oa), (ib, ob))]
        self.inputs = [i for i, _ in edges]
        self.ops = nn.ModuleList(make_op(DARTS_OPS[o], c, self._stride(i)) for i, o in edges)

    def forward(self, s0, s1, drop_prob: float = 0.0):
        return self._run(s0, s1, list(zip(self.ops, self.inputs)), drop_prob)


class AuxiliaryHead(nn.Module):
    """DARTS' CIFAR auxiliary head with adaptive 2x2 average pooling (any input size)."""

    def __init__(self, c: int, num_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False), nn.AdaptiveAvgPool2d(2),
            nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(inplace=False),
        )  # fmt: skip
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# -- networks -----------------------------------------------------------------
def cell_blocks(genome: DartsGenome) -> tuple[list, list]:
    """``(normal_blocks, reduce_blocks)``: five ``(input_a, input_b, op_a, op_b)`` each."""
    g = genome.genome
    cells = (g[:CELL_LENGTH], g[CELL_LENGTH:])
    return tuple([tuple(c[4 * k : 4 * k + 4]) for k in range(N_BLOCKS)] for c in cells)


def _check_drop_prob(value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value < 1.0:
        raise ParameterError(f"drop_path_prob must be a number in [0, 1); got {value!r}")
    return float(value)


class Skeleton(nn.Module):
    """The macro skeleton shared by :class:`DartsNetwork` and
    :class:`~ktnas_core.networks.darts_supernet.DartsSupernet`:
    stem, cells (built by ``make_cell``), auxiliary head, pooling, classifier."""

    def __init__(self, make_cell, C, layers, num_classes, in_channels, auxiliary, drop_path_prob):
        super().__init__()
        self.C = _positive_int(C, "C")
        if isinstance(layers, bool) or not isinstance(layers, int) or layers < 3:
            raise ParameterError(f"layers must be an integer >= 3 (two reduction cells); got {layers!r}")
        self.layers = layers
        self.num_classes = _positive_int(num_classes, "num_classes")
        self.in_channels = _positive_int(in_channels, "in_channels")
        self.drop_path_prob = drop_path_prob
        self.reduction_layers = (layers // 3, 2 * layers // 3)
        self.aux_logits = None
        stem_conv = nn.Conv2d(in_channels, 3 * C, 3, padding=1, bias=False)
        self.stem = nn.Sequential(stem_conv, nn.BatchNorm2d(3 * C))
        self.cells = nn.ModuleList()
        c_pp = c_p = 3 * C
        c, reduction_prev = C, False
        for i in range(layers):
            reduction = i in self.reduction_layers
            c = 2 * c if reduction else c
            self.cells.append(make_cell(c_pp, c_p, c, reduction, reduction_prev))
            c_pp, c_p, reduction_prev = c_p, c, reduction
        self.auxiliary_head = AuxiliaryHead(4 * C, num_classes) if auxiliary else None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    @property
    def drop_path_prob(self) -> float:
        """Drop-path probability for the non-identity ops, used in training mode only."""
        return self._drop_path_prob

    @drop_path_prob.setter
    def drop_path_prob(self, value) -> None:
        self._drop_path_prob = _check_drop_prob(value)

    def _run(self, x, call_cell):
        """Forward pass; ``call_cell(cell, s0, s1, drop_prob)`` runs one cell."""
        drop_prob = self.drop_path_prob if self.training else 0.0
        self.aux_logits = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, call_cell(cell, s0, s1, drop_prob)
            if i == self.reduction_layers[1] and self.auxiliary_head is not None and self.training:
                self.aux_logits = self.auxiliary_head(s1)
        return self.classifier(torch.flatten(self.global_pooling(s1), 1))


def coerce_genome(arch) -> DartsGenome:
    return get_space("darts").coerce(arch)


class DartsNetwork(Skeleton):
    """The discrete DARTS-style network of one genome (see module doc and
    :func:`build_darts_network`).

    Attributes
    ----------
    genome : DartsGenome
        The architecture.
    drop_path_prob : float
        Settable (e.g. each epoch); used in training mode only.
    aux_logits : torch.Tensor or None
        The auxiliary head's logits of the last forward pass, set only when
        ``auxiliary=True`` and in training mode; ``None`` otherwise.
    """

    def __init__(self, arch, C: int = 16, layers: int = 8, num_classes: int = 10,
                 in_channels: int = 3, auxiliary: bool = False, drop_path_prob: float = 0.0):  # fmt: skip
        genome = coerce_genome(arch)
        blocks = cell_blocks(genome)

        def make_cell(c_pp, c_p, c, reduction, reduction_prev):
            return DartsCell(blocks[reduction], c_pp, c_p, c, reduction, reduction_prev)

        super().__init__(make_cell, C, layers, num_classes, in_channels, auxiliary, drop_path_prob)
        self.genome = genome

    def forward(self, x):
        return self._run(x, lambda cell, s0, s1, p: cell(s0, s1, p))


def build_darts_network(arch, C: int = 16, layers: int = 8, num_classes: int = 10,
                        in_channels: int = 3, auxiliary: bool = False,
                        drop_path_prob: float = 0.0) -> DartsNetwork:  # fmt: skip
    """The discrete DARTS-style network for ``arch`` (a genome or its string).

    Parameters
    ----------
    arch : DartsGenome or str
        The architecture.
    C : int
        Channels of the first stage (the stem has ``3C``; each reduction cell
        doubles them).  DARTS uses 36 for final CIFAR training; 16 is its
        search width.
    layers : int
        Number of cells, at least 3; reduction cells at ``layers // 3`` and
        ``2 * layers // 3``.
    num_classes, in_channels : int
        Classifier outputs and image channels (1 for MNIST, 3 for CIFAR).
    auxiliary : bool
        Add DARTS' auxiliary head after the second reduction cell; in training
        mode ``forward`` stores its logits in ``net.aux_logits``.
    drop_path_prob : float
        Initial drop-path probability, in [0, 1); settable later.

    Weights get PyTorch's default initialisation from the global torch
    generator: call ``torch.manual_seed`` first for a fixed one.

    Raises
    ------
    InvalidArchitectureError
        If ``arch`` is not a darts architecture.
    ParameterError
        If ``C``, ``num_classes`` or ``in_channels`` is not a positive integer,
        ``layers`` is not an integer >= 3, or ``drop_path_prob`` is not in [0, 1).
    """
    return DartsNetwork(arch, C=C, layers=layers, num_classes=num_classes, in_channels=in_channels,
                        auxiliary=auxiliary, drop_path_prob=drop_path_prob)  # fmt: skip
