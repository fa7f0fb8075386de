"""The NAS-Bench-201 network in PyTorch (this module imports torch).

Written from the description in Dong & Yang, "NAS-Bench-201", ICLR 2020
(section 2.1 and figure 1):

* stem: 3x3 convolution (3 -> C, no bias) and BatchNorm;
* three stages of ``N`` cells with C, 2C and 4C channels; between stages a
  residual reduction block (the ResNet basic block: ReLU-Conv3x3(stride 2)-BN,
  ReLU-Conv3x3-BN, plus a shortcut of 2x2 average pooling and a 1x1 conv);
* BN-ReLU, global average pooling and a linear classifier.

A cell has 4 nodes; node ``j`` sums ``op_ij(node i)`` over ``i < j``; node 3
is the output.  Operations: ``none`` (multiply by zero), ``skip_connect``
(identity), ``nor_conv_1x1`` / ``nor_conv_3x3`` (ReLU-Conv-BN, no conv bias,
affine BN) and ``avg_pool_3x3`` (stride 1, padding 1, ``count_include_pad=False``).

Parameter counts equal NAS-Bench-201's published ``params`` exactly
(BatchNorm's weight and bias are counted, as NAS-Bench-201 does); the
tests check it against the shipped table.  :func:`nb201_flops` counts
FLOPs with the convention behind the table's ``flops`` column (see there).

Examples
--------
>>> net = build_nb201_network("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
>>> count_parameters(net)  # NB201's params for this cell: 0.559386 M
559386
>>> nb201_flops(net, (1, 3, 32, 32))  # NB201's flops: 79.582912 M
79582912
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ParameterError
from ..validation import is_int

__all__ = ["NB201Network", "build_nb201_network", "count_parameters", "nb201_flops"]


class ReLUConvBN(nn.Sequential):
    """ReLU, convolution without bias, affine BatchNorm."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """The ``none`` operation: an all-zero tensor of the input's shape (keeps the graph)."""

    def forward(self, x):
        return x.mul(0.0)


def _make_op(name: str, channels: int) -> nn.Module:
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ParameterError(f"unknown NB201 operation {name!r}")


class NB201Cell(nn.Module):
    """One NB201 cell: ``edges`` is a list of (from_node, to_node, op_name)."""

    def __init__(self, edges, channels: int):
        super().__init__()
        self.edges = [(i, j) for i, j, _ in edges]
        self.ops = nn.ModuleList(_make_op(op, channels) for _, _, op in edges)

    def forward(self, x):
        nodes = [x]
        for j in range(1, 4):
            nodes.append(sum(op(nodes[i]) for (i, jj), op in zip(self.edges, self.ops) if jj == j))
        return nodes[3]


class ResNetBasicBlock(nn.Module):
    """The reduction block between stages: stride-2 basic block with a pooled 1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, bias=False),
        )

    def forward(self, x):
        return self.conv_b(self.conv_a(x)) + self.downsample(x)


class NB201Network(nn.Module):
    """The NAS-Bench-201 macro skeleton around one cell (see module)."""

    def __init__(self, edges, C: int = 16, N: int = 5, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        c_prev = C
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            if stage:
                layers.append(ResNetBasicBlock(c_prev, c))
            layers.extend(NB201Cell(edges, c) for _ in range(N))
            c_prev = c
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x):
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(torch.flatten(self.global_pooling(x), 1))


def _positive_int(value, name: str) -> int:
    if not is_int(value, 1):
        raise ParameterError(f"{name} must be a positive integer; got {value!r}")
    return value


def build_nb201_network(arch, C: int = 16, N: int = 5, num_classes: int = 10) -> NB201Network:
    """The NAS-Bench-201 network for ``arch`` (a cell, its string or its index).

    Defaults are NAS-Bench-201's: ``C=16`` channels in the first stage,
    ``N=5`` cells per stage, 10 classes (use 100 for CIFAR-100 and 120 for
    ImageNet16-120).  Weights get PyTorch's default initialisation from the
    global torch generator: call ``torch.manual_seed`` first for a fixed one.

    Raises
    ------
    InvalidArchitectureError
        If ``arch`` is not an NB201 cell.
    ParameterError
        If ``C``, ``N`` or ``num_classes`` is not a positive integer.
    """
    from ..spaces import EDGES, get_space

    cell = get_space("nb201").coerce(arch)
    C = _positive_int(C, "C")
    N = _positive_int(N, "N")
    num_classes = _positive_int(num_classes, "num_classes")
    edges = [(i, j, op) for (i, j), op in zip(EDGES, cell.op_names)]
    return NB201Network(edges, C=C, N=N, num_classes=num_classes)


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (all of them, BatchNorm affine ones included)."""
    return int(sum(p.numel() for p in model.parameters()))


def nb201_flops(model: nn.Module, input_shape=(1, 3, 32, 32)) -> int:
    """FLOPs of one forward pass, counted with the convention of NB201's ``flops`` column.

    The shipped table's FLOPs (from NASLib, measured with tensorwatch) count:
    convolution ``k*k*C_in*C_out/groups`` per output position (plus one per
    output if it has a bias), linear ``in*out``, BatchNorm ``2*numel``, ReLU
    ``numel``, average pooling ``k*k`` per output value, global average pooling
    ``C*(H+1)*(W+1)``; additions of node sums, identities and zeros are free.
    With this convention the count equals the table (in units, not millions)
    for every NB201 cell on CIFAR-10, CIFAR-100 and ImageNet16-120 (checked by
    the tests on sample cells).  Divide by ``input_shape[0]`` for a batch.
    """
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        x = inputs[0]
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            per_pos = k * module.in_channels * module.out_channels // module.groups
            positions = output.numel() // module.out_channels
            total += per_pos * positions + (output.numel() if module.bias is not None else 0)
        elif isinstance(module, nn.Linear):
            total += x.shape[0] * module.in_features * module.out_features
        elif isinstance(module, nn.BatchNorm2d):
            total += x.numel() * (2 if module.affine else 1)
        elif isinstance(module, nn.ReLU):
            total += x.numel()
        elif isinstance(module, nn.AvgPool2d):
            k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
            total += k * k * output.numel()
        elif isinstance(module, nn.AdaptiveAvgPool2d):
            n, c, h, w = x.shape
            total += n * c * (h + 1) * (w + 1)

    kinds = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.ReLU, nn.AvgPool2d, nn.AdaptiveAvgPool2d)
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    was_training = model.training
    try:
        model.eval()
        param = next(model.parameters(), None)
        dtype = param.dtype if param is not None else torch.float32
        device = param.device if param is not None else None
        with torch.no_grad():
            model(torch.zeros(tuple(input_shape), dtype=dtype, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return int(total)
