"""The TransNAS-Bench-101 micro classification network in PyTorch (imports torch).

Written from the description in Duan et al., "TransNAS-Bench-101: Improving
Transferability and Generalizability of Cross-Task Neural Architecture
Search", CVPR 2021, and the facts of its public code (github
yawen-d/TransNASBench: ``lib/models/net_infer``, ``configs/train_from_scratch``).
An architecture string ``64-41414-a_bc_def`` reads: base width 64, macro
skeleton ``41414``, cell ``a_bc_def``.

* stem: 3x3 convolution (``in_channels -> C/2``, stride 2, no bias), BatchNorm,
  then ReLU-Conv3x3(``C/2 -> C``, stride 2)-BN: the input shrinks by 4;
* one module per digit of the skeleton, each of ``N = 2`` cells.  Digit 2 or 4
  doubles the width, digit 3 or 4 halves the resolution (1 keeps both), so
  ``41414`` gives C 64 -> 128, 128, 256, 256, 512 and three stride-2 modules.
  The first cell of a module carries the change: its edges leaving node 0 map
  ``C_in -> C_out`` with the module's stride, the other edges keep ``C_out``;
* a cell has 4 nodes; node ``j`` sums ``op_ij(node i)`` over ``i < j``; node 3
  is the output.  Operations: ``none`` (zeros of the output's shape),
  ``skip_connect`` (identity, or a factorized reduction -- ReLU, two 1x1
  stride-2 convolutions on the input and on the input shifted by one pixel,
  concatenated, BN -- where the edge changes width or resolution),
  ``conv1x1`` / ``conv3x3`` (ReLU-Conv-BN, no conv bias, affine BN);
* global average pooling and a linear classifier (no final BN-ReLU).

Heads: the benchmark's training configs use 75 classes for ``class_object``
and 47 for ``class_scene`` (:data:`TNB101_NUM_CLASSES`), on 256x256 inputs.
NASLib's TransNAS model uses 100 and 63 (the full Taskonomy label sets); the
``params``/``flops`` columns of NASLib's ``zc_transbench101_micro.json``
were measured with those heads.  With ``num_classes`` 100 / 63 the parameter
count here equals that file's ``params`` (in millions) exactly, and
:func:`tnb101_flops` on a 1x3x256x256 input its ``flops`` (millions), for all
711 cells of both classification tasks (checked once; the tests keep sample rows).
Convolutions get the benchmark's Kaiming-normal (``fan_out``) initialisation
from the global torch generator; call ``torch.manual_seed`` first.

The resolution is pooled adaptively, so the network also runs on small inputs
(28x28 or 8x8, any ``in_channels``); a small ``C`` makes it cheap on a CPU.

Examples
--------
>>> net = build_tnb101_network("64-41414-1_00_210", num_classes=100)
>>> count_parameters(net)  # NASLib's class_object params for (1, 0, 0, 2, 1, 0): 0.929668 M
929668
>>> tnb101_flops(net)  # and its flops: 263.318016 M
263318016
>>> tiny = build_tnb101_network("64-41414-1_00_210", num_classes=10, in_channels=1, C=8)
>>> import torch
>>> tiny(torch.zeros(2, 1, 28, 28)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ParameterError
from .nb201 import ReLUConvBN, Zero, _positive_int, count_parameters, nb201_flops

__all__ = ["TNB101_NUM_CLASSES", "FactorizedReduce", "TNB101Network", "build_tnb101_network",
           "count_parameters", "tnb101_flops"]

#: classes of the benchmark's classification heads (TransNASBench training configs)
TNB101_NUM_CLASSES = {"class_object": 75, "class_scene": 47}


class FactorizedReduce(nn.Module):
    """The ``skip_connect`` edge that changes width or resolution.

    ReLU, then two bias-free 1x1 convolutions with the given stride, one on
    the input and one on the input shifted by one pixel (zero padded at the
    bottom and right), each giving half of ``c_out`` channels; concatenated,
    then affine BatchNorm.
    """

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        if c_out % 2:
            raise ParameterError(f"a factorized reduction needs an even width; got c_out={c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_a = nn.Conv2d(c_in, c_out // 2, 1, stride=stride, bias=False)
        self.conv_b = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=stride, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = self.relu(x)
        shifted = nn.functional.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_a(x), self.conv_b(shifted)], dim=1))


class ZeroReduce(nn.Module):
    """The ``none`` edge that changes width or resolution: zeros of the output's shape."""

    def __init__(self, c_out: int, stride: int):
        super().__init__()
        self.c_out = c_out
        self.stride = stride

    def forward(self, x):
        n, _, h, w = x.shape
        s = self.stride
        return x.new_zeros((n, self.c_out, (h + s - 1) // s, (w + s - 1) // s))


def _make_op(name: str, c_in: int, c_out: int, stride: int) -> nn.Module:
    same = stride == 1 and c_in == c_out
    if name == "none":
        return Zero() if same else ZeroReduce(c_out, stride)
    if name == "skip_connect":
        return nn.Identity() if same else FactorizedReduce(c_in, c_out, stride)
    if name == "conv1x1":
        return ReLUConvBN(c_in, c_out, 1, stride)
    if name == "conv3x3":
        return ReLUConvBN(c_in, c_out, 3, stride)
    raise ParameterError(f"unknown TransNAS-Bench-101 micro operation {name!r}")


class TNB101Cell(nn.Module):
    """One micro cell: ``edges`` is a list of (from_node, to_node, op_name)."""

    def __init__(self, edges, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.edges = [(i, j) for i, j, _ in edges]
        self.ops = nn.ModuleList(
            _make_op(op, c_in, c_out, stride) if i == 0 else _make_op(op, c_out, c_out, 1)
            for i, _, op in edges
        )

    def forward(self, x):
        nodes = [x]
        for j in range(1, 4):
            nodes.append(sum(op(nodes[i]) for (i, jj), op in zip(self.edges, self.ops) if jj == j))
        return nodes[3]


class TNB101Network(nn.Module):
    """The TransNAS-Bench-101 micro skeleton around one cell (see module)."""

    def __init__(self, edges, num_classes: int = 75, in_channels: int = 3, C: int = 64,
                 macro: str = "41414", N: int = 2):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C // 2, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(C // 2),
            ReLUConvBN(C // 2, C, 3, stride=2),
        )
        layers: list[nn.Module] = []
        c_in = C
        for digit in macro:
            kind = int(digit)
            c_out = 2 * c_in if kind in (2, 4) else c_in
            stride = 2 if kind in (3, 4) else 1
            layers.append(TNB101Cell(edges, c_in, c_out, stride))
            layers.extend(TNB101Cell(edges, c_out, c_out, 1) for _ in range(N - 1))
            c_in = c_out
        self.cells = nn.Sequential(*layers)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_in, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.cells(self.stem(x))
        return self.classifier(torch.flatten(self.global_pooling(x), 1))


def _check_macro(macro) -> str:
    if not isinstance(macro, str) or not macro or set(macro) - set("1234"):
        raise ParameterError(
            f"macro must be a non-empty string of the digits 1-4 (1 keep, 2 double the width, "
            f"3 halve the resolution, 4 both), like '41414'; got {macro!r}"
        )
    return macro


def build_tnb101_network(arch, num_classes: int = 75, in_channels: int = 3, C: int = 64,
                         macro: str = "41414", N: int = 2) -> TNB101Network:
    """The TransNAS-Bench-101 micro classification network for ``arch``.

    Parameters
    ----------
    arch
        A micro cell, its string ``64-41414-a_bc_def`` or its index (turn a
        NASLib op tuple into a cell with the space's ``from_naslib``).
    num_classes
        Classifier outputs: 75 for ``class_object`` and 47 for
        ``class_scene`` as trained by the benchmark; 100 / 63 reproduce the
        parameter counts of NASLib's tables (see module).
    in_channels
        Input channels (3 for Taskonomy RGB, 1 for MNIST-like data).
    C
        Width after the stem (the string's ``64``); an even number >= 2.
    macro
        The module skeleton (the string's ``41414``): one module per digit.
    N
        Cells per module (2 in the benchmark).

    Raises
    ------
    InvalidArchitectureError
        If ``arch`` is not a TransNAS-Bench-101 micro cell.
    ParameterError
        If a size is not a positive integer, ``C`` is odd, or ``macro`` has a
        digit outside 1-4.
    """
    from ..spaces import EDGES, get_space

    cell = get_space("tnb101_micro").coerce(arch)
    num_classes = _positive_int(num_classes, "num_classes")
    in_channels = _positive_int(in_channels, "in_channels")
    C = _positive_int(C, "C")
    if C % 2:
        raise ParameterError(f"C must be even (the stem starts with C/2 channels); got {C}")
    N = _positive_int(N, "N")
    macro = _check_macro(macro)
    edges = [(i, j, op) for (i, j), op in zip(EDGES, cell.op_names)]
    return TNB101Network(edges, num_classes=num_classes, in_channels=in_channels, C=C,
                         macro=macro, N=N)


def tnb101_flops(model: nn.Module, input_shape=(1, 3, 256, 256)) -> int:
    """FLOPs of one forward pass, with the convention of NASLib's TransNAS ``flops``.

    The counting rules are those of :func:`~ktnas_core.networks.nb201_flops`
    (multiply-accumulates of convolutions and the linear layer, 2 per
    BatchNorm output, 1 per ReLU input, ``C*(H+1)*(W+1)`` for the global
    pooling; zeros, identities, padding and node sums are free).  On the
    benchmark's 256x256 RGB input with 100 / 63 classes the count equals the
    ``flops`` column of NASLib's ``zc_transbench101_micro.json`` (millions).
    """
    return nb201_flops(model, input_shape)
