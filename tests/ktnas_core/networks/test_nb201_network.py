"""The NAS-Bench-201 network: exact parameter and FLOP counts, shapes, errors."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ktnas_core.benchmarks import load  # noqa: E402
from ktnas_core.errors import InvalidArchitectureError, ParameterError  # noqa: E402
from ktnas_core.networks import build_nb201_network, count_parameters, nb201_flops  # noqa: E402
from ktnas_core.spaces import get_space  # noqa: E402

NB = get_space("nb201")
RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"
ALL_NONE = NB.index(NB.make([0] * 6))
ALL_CONV3 = NB.index(NB.make([3] * 6))
CELLS = [ALL_NONE, ALL_CONV3, NB.index(RESNET), 6111, *np.random.default_rng(7).integers(15625, size=4).tolist()]
TASKS = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("index", CELLS)
def test_params_and_flops_equal_nb201_tables(index, task):
    classes, side = TASKS[task]
    net = build_nb201_network(index, num_classes=classes)
    table = load("nb201")
    # exact, not only within 1%: BatchNorm's affine parameters are counted as NB201 does
    assert count_parameters(net) == round(table.scores(task, "params")[index] * 1e6)
    assert nb201_flops(net, (1, 3, side, side)) == round(table.scores(task, "flops")[index] * 1e6)


def test_forward_shapes():
    net = build_nb201_network(RESNET)
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    small = build_nb201_network(6111, C=8, N=1, num_classes=120)
    assert small(torch.randn(2, 3, 16, 16)).shape == (2, 120)
    assert count_parameters(small) < count_parameters(build_nb201_network(6111, num_classes=120))


def test_none_only_cell_runs_and_ignores_its_input():
    net = build_nb201_network(ALL_NONE).eval()
    with torch.no_grad():
        out = net(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10)
    assert torch.equal(out[0], out[1])  # nothing reaches the classifier but its bias


def test_arch_forms_are_equivalent():
    cell = NB.parse(RESNET)
    counts = {count_parameters(build_nb201_network(a)) for a in (cell, RESNET, NB.index(cell))}
    assert len(counts) == 1


def test_errors_name_the_parameter():
    with pytest.raises(ParameterError, match="C must be a positive integer; got 0"):
        build_nb201_network(RESNET, C=0)
    with pytest.raises(ParameterError, match="num_classes"):
        build_nb201_network(RESNET, num_classes=2.5)
    with pytest.raises(InvalidArchitectureError, match="unknown operation 'conv_5x5'"):
        build_nb201_network("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_importing_networks_does_not_import_torch():
    code = "import sys, ktnas_core.networks; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
