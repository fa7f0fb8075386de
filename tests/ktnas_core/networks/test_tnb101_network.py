"""The TransNAS-Bench-101 micro network: exact parameter and FLOP counts, shapes, errors."""

import pytest

torch = pytest.importorskip("torch")

from ktnas_core.errors import InvalidArchitectureError, ParameterError  # noqa: E402
from ktnas_core.networks.tnb101 import (  # noqa: E402
    TNB101_NUM_CLASSES,
    build_tnb101_network,
    count_parameters,
    tnb101_flops,
)
from ktnas_core.spaces import get_space  # noqa: E402

TNB = get_space("tnb101_micro")

# Rows copied from /work/shared/data/transnasbench101_micro/NASLib-partial/zc_transbench101_micro.json
# (NASLib, commit e5a821c2, Apache-2.0): NASLib arch tuple ->
# (class_object params, class_scene params, class_object flops, class_scene flops), all in millions.
# NASLib's heads have 100 (class_object) and 63 (class_scene) classes.
NASLIB_ROWS = {
    (1, 0, 0, 2, 1, 0): (0.929668, 0.910687, 263.318016, 263.299072),
    (0, 1, 2, 0, 1, 0): (1.1017, 1.082719, 288.254464, 288.23552),
    (0, 1, 3, 1, 1, 1): (8.091268, 8.072287, 1656.515072, 1656.496128),
    (2, 3, 0, 1, 0, 3): (14.727044, 14.708063, 3062.065664, 3062.04672),
    (0, 1, 1, 2, 3, 3): (16.275332, 16.256351, 3288.328704, 3288.30976),
    (1, 3, 3, 2, 2, 3): (23.256964, 23.237983, 4744.899072, 4744.880128),
    (3, 3, 3, 3, 3, 3): (41.462916, 41.443935, 8488.086016, 8488.067072),
}
NASLIB_CLASSES = {"class_object": 100, "class_scene": 63}


@pytest.mark.parametrize("naslib", list(NASLIB_ROWS))
def test_params_equal_naslib_table(naslib):
    co_params, cs_params, _, _ = NASLIB_ROWS[naslib]
    cell = TNB.from_naslib(naslib)
    for task, expected in (("class_object", co_params), ("class_scene", cs_params)):
        net = build_tnb101_network(cell, num_classes=NASLIB_CLASSES[task])
        assert count_parameters(net) == round(expected * 1e6)  # exact, not only within 1%


@pytest.mark.parametrize("naslib", [(0, 1, 2, 0, 1, 0)])
def test_flops_equal_naslib_table_at_256(naslib):
    _, _, co_flops, cs_flops = NASLIB_ROWS[naslib]
    cell = TNB.from_naslib(naslib)
    assert tnb101_flops(build_tnb101_network(cell, num_classes=100)) == round(co_flops * 1e6)
    assert tnb101_flops(build_tnb101_network(cell, num_classes=63)) == round(cs_flops * 1e6)


def test_benchmark_heads_and_width():
    assert TNB101_NUM_CLASSES == {"class_object": 75, "class_scene": 47}
    net = build_tnb101_network("64-41414-3_33_333")
    assert net.classifier.in_features == 512 and net.classifier.out_features == 75
    # the head is the only task-dependent part: 25 classes more cost 25 * (512 + 1) parameters
    assert count_parameters(build_tnb101_network(4095, num_classes=100)) - count_parameters(net) == 25 * 513


def test_forward_on_benchmark_input():
    net = build_tnb101_network("64-41414-1_02_333", num_classes=47).eval()
    with torch.no_grad():
        assert net(torch.randn(1, 3, 64, 64)).shape == (1, 47)


@pytest.mark.parametrize("side", [28, 8])
@pytest.mark.parametrize("cell", ["64-41414-0_00_000", "64-41414-1_11_111", "64-41414-2_13_021", 4095])
def test_small_inputs_one_channel(cell, side):
    net = build_tnb101_network(cell, num_classes=10, in_channels=1, C=8)
    out = net(torch.randn(3, 1, side, side))
    assert out.shape == (3, 10)
    out.sum().backward()  # trains: gradients flow
    assert count_parameters(net) < 1_000_000  # the C=64 network has up to 41 M


def test_none_only_cell_ignores_its_input():
    net = build_tnb101_network("64-41414-0_00_000", num_classes=5, in_channels=1, C=8).eval()
    with torch.no_grad():
        out = net(torch.randn(2, 1, 28, 28))
    assert torch.equal(out[0], out[1])  # only the classifier's bias reaches the output


def test_macro_and_cells_per_module():
    net = build_tnb101_network(4095, num_classes=3, in_channels=1, C=4, macro="12", N=1)
    assert len(net.cells) == 2 and net.classifier.in_features == 8
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_arch_forms_are_equivalent():
    cell = TNB.parse("64-41414-1_02_333")
    counts = {count_parameters(build_tnb101_network(a, C=8)) for a in (cell, str(cell), TNB.index(cell))}
    assert len(counts) == 1


def test_errors_name_the_parameter():
    with pytest.raises(ParameterError, match="C must be even"):
        build_tnb101_network(0, C=5)
    with pytest.raises(ParameterError, match="in_channels must be a positive integer; got 0"):
        build_tnb101_network(0, in_channels=0)
    with pytest.raises(ParameterError, match="num_classes"):
        build_tnb101_network(0, num_classes=2.5)
    with pytest.raises(ParameterError, match="macro must be .* got '4150'"):
        build_tnb101_network(0, macro="4150")
    with pytest.raises(InvalidArchitectureError, match="does not start with the micro skeleton"):
        build_tnb101_network("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(InvalidArchitectureError):
        build_tnb101_network(4096)
