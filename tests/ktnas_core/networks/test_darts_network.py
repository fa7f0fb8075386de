"""The DARTS-style network and supernet: shapes, parameter counts, extraction, drop-path."""

import pytest

torch = pytest.importorskip("torch")

from ktnas_core.errors import InvalidArchitectureError, ParameterError  # noqa: E402
from ktnas_core.networks import DartsSupernet, build_darts_network, count_parameters  # noqa: E402
from ktnas_core.networks.darts import drop_path  # noqa: E402
from ktnas_core.spaces import get_space  # noqa: E402

DARTS = get_space("darts")
SEP3, SEP5, SEP7, DIL3, DIL5, DIL7, SKIP, MAX, AVG = range(9)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """These tiny networks run 5x faster on one thread on a shared machine (no oversubscription)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def uniform(op: int):
    """Every block reads (0, 1) and uses ``op`` twice, in both cells."""
    return DARTS.make([0, 1, op, op] * 10)


# A tiny genome touching every operation; the parameter count below is worked out by hand.
HAND = DARTS.make(
    [0, 1, SEP3, DIL3, 2, 1, SKIP, MAX, 3, 0, AVG, SEP5, 4, 2, DIL5, SKIP, 5, 3, DIL7, SEP7]
    + [0, 1, SKIP, SEP3, 2, 0, MAX, DIL3, 1, 3, AVG, SKIP, 4, 2, SKIP, SKIP, 0, 5, MAX, SKIP]
)


def test_hand_computed_parameter_count():
    # C=4, layers=3 (cell 0 normal c=4, cells 1 and 2 reduce c=8, 16), 1 input channel, 10 classes.
    # Convs have no bias, BN has 2 params per channel. ReLUConvBN 1x1: cin*cout + 2cout;
    # FactorizedReduce(cin, cout): cin*cout + 2cout; sep_conv_k: 2*(c*k*k + c*c + 2c);
    # dil_conv: c*kernel^2 + c*c + 2c with kernel 2 (3x3), 3 (5x5, 7x7); pools and identity: 0.
    stem = 1 * 12 * 9 + 24  # 132
    # cell 0 (c=4; s0, s1 have 12 channels): pre0 56 + pre1 56 + project 20*4+8 = 88
    # ops: sep3 2*(36+16+8)=120, dil3 16+16+8=40, sep5 2*(100+24)=248, dil5 60, dil7 60, sep7 2*(196+24)=440
    cell0 = 56 + 56 + 88 + 120 + 40 + 248 + 60 + 60 + 440  # 1168
    # cell 1 (reduce, c=8; s0 12, s1 4 channels): pre0 96+16, pre1 32+16, project 320+16
    # ops reading 0/1 have stride 2: skip -> FR(8,8) 64+16=80, sep3 2*(72+64+16)=304, dil3 32+64+16=112
    cell1 = 112 + 48 + 336 + 80 + 304 + 112  # 992
    # cell 2 (reduce after reduce, c=16; s0 4, s1 8 channels): pre0 FR(4,16) 64+32, pre1 128+32,
    # project 1280+32; ops: FR(16,16) 256+32=288, sep3 2*(144+256+32)=864, dil3 64+256+32=352
    cell2 = 96 + 160 + 1312 + 288 + 864 + 352  # 3072
    classifier = 16 * 10 + 10
    assert stem + cell0 + cell1 + cell2 + classifier == 5534
    assert count_parameters(build_darts_network(HAND, C=4, layers=3, in_channels=1)) == 5534


def test_parameters_follow_the_operations():
    counts = {op: count_parameters(build_darts_network(uniform(op), C=8, layers=5)) for op in range(9)}
    assert counts[SEP7] > counts[SEP5] > counts[SEP3] > counts[DIL7] == counts[DIL5] > counts[DIL3]
    assert counts[DIL3] > counts[SKIP]  # skip only adds FactorizedReduce in reduction cells
    assert counts[MAX] == counts[AVG] < counts[SKIP]  # pools have no parameters at all
    assert count_parameters(build_darts_network(HAND, auxiliary=True)) > count_parameters(
        build_darts_network(HAND)
    )


@pytest.mark.parametrize(
    "channels, side, layers, classes",
    [(1, 28, 5, 10), (1, 28, 8, 10), (3, 32, 5, 100), (3, 32, 8, 10), (1, 8, 5, 10), (1, 8, 8, 10),
     (3, 7, 5, 2), (2, 1, 3, 3)],
)
def test_output_shapes(channels, side, layers, classes):
    net = build_darts_network(DARTS.sample(side + layers), C=4, layers=layers, num_classes=classes,
                              in_channels=channels)  # fmt: skip
    assert net(torch.randn(2, channels, side, side)).shape == (2, classes)


@pytest.mark.parametrize("layers, side", [(5, 28), (8, 8), (3, 7)])
def test_reduction_cells_halve_resolution_and_double_channels(layers, side):
    net = build_darts_network(DARTS.sample(3), C=4, layers=layers, in_channels=1)
    shapes = []
    for cell in net.cells:
        cell.register_forward_hook(lambda m, i, out: shapes.append(tuple(out.shape[1:])))
    net(torch.randn(2, 1, side, side))
    r1, r2 = layers // 3, 2 * layers // 3
    assert [c.reduction for c in net.cells] == [i in (r1, r2) for i in range(layers)]
    half, quarter = (side + 1) // 2, ((side + 1) // 2 + 1) // 2
    expected = [(4, side, side)] * r1 + [(8, half, half)] * (r2 - r1) + [(16, quarter, quarter)] * (layers - r2)
    assert shapes == expected


def test_errors_name_the_value():
    g = DARTS.sample(0)
    with pytest.raises(ParameterError, match="C must be a positive integer; got 0"):
        build_darts_network(g, C=0)
    with pytest.raises(ParameterError, match=r"layers must be an integer >= 3 .*; got 2"):
        build_darts_network(g, layers=2)
    with pytest.raises(ParameterError, match="layers must be an integer >= 3 .*; got '8'"):
        build_darts_network(g, layers="8")
    with pytest.raises(ParameterError, match="num_classes must be a positive integer; got -1"):
        build_darts_network(g, num_classes=-1)
    with pytest.raises(ParameterError, match="in_channels must be a positive integer; got True"):
        build_darts_network(g, in_channels=True)
    with pytest.raises(ParameterError, match=r"drop_path_prob must be a number in \[0, 1\); got 1.0"):
        build_darts_network(g, drop_path_prob=1.0)
    with pytest.raises(ParameterError, match="layers must be an integer >= 3 .*; got 0"):
        DartsSupernet(layers=0)
    net = build_darts_network(g, C=4, layers=3)
    with pytest.raises(ParameterError, match="got -0.1"):
        net.drop_path_prob = -0.1


def test_non_darts_architectures_are_rejected():
    nb201 = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"
    with pytest.raises(InvalidArchitectureError):
        build_darts_network(nb201)
    with pytest.raises(InvalidArchitectureError, match="belongs to space 'nb201'"):
        DartsSupernet(C=4, layers=3)(torch.randn(1, 3, 8, 8), get_space("nb201").parse(nb201))
    with pytest.raises(InvalidArchitectureError):
        build_darts_network(12)


def test_string_and_genome_give_the_same_network():
    g = DARTS.sample(5)
    assert build_darts_network(str(g), C=4, layers=3).genome == g
    torch.manual_seed(0)
    a = build_darts_network(str(g), C=4, layers=3).eval()
    torch.manual_seed(0)
    b = build_darts_network(g, C=4, layers=3).eval()
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(a(x), b(x))


def test_extracted_network_matches_the_supernet():
    torch.manual_seed(0)
    supernet = DartsSupernet(C=4, layers=4, num_classes=7, in_channels=1)
    x = torch.randn(3, 1, 8, 8)
    genomes = [DARTS.sample(s) for s in range(3)] + [HAND]
    with torch.no_grad():  # move BatchNorm statistics away from their defaults
        for g in genomes:
            supernet(torch.randn(4, 1, 8, 8) * 3 + 1, g)
    supernet.eval()
    for g in genomes:
        net = supernet.extract(g)
        assert not net.training and net.genome == g
        with torch.no_grad():
            assert torch.allclose(supernet(x, g), net(x), atol=1e-6)
        with torch.no_grad():  # copies, not shared tensors
            net.classifier.weight.add_(1.0)
        assert not torch.equal(net.classifier.weight, supernet.classifier.weight)
    assert count_parameters(supernet.extract(HAND)) == count_parameters(
        build_darts_network(HAND, C=4, layers=4, num_classes=7, in_channels=1)
    )


def test_supernet_runs_only_the_chosen_ops():
    supernet = DartsSupernet(C=4, layers=3, in_channels=1)
    g = DARTS.sample(11)
    supernet(torch.randn(2, 1, 8, 8), g).sum().backward()
    normal, reduce = g.genome[:20], g.genome[20:]
    for cell in supernet.cells:
        genes = reduce if cell.reduction else normal
        chosen = {(k, genes[4 * k + s], genes[4 * k + 2 + s]) for k in range(5) for s in (0, 1)}
        for k, block in enumerate(cell.edges):
            assert len(block) == k + 2 and all(len(ops) == 9 for ops in block)
            for i, ops in enumerate(block):
                for o, op in enumerate(ops):
                    for p in op.parameters():
                        assert (p.grad is not None) == ((k, i, o) in chosen), (k, i, o)
        assert all(p.grad is not None for p in cell.project.parameters())


def test_drop_path_zeroes_whole_samples():
    torch.manual_seed(1)
    x = torch.randn(64, 3, 4, 4) + 5.0
    y = drop_path(x, 0.5)
    kept = (y != 0).flatten(1).all(1)
    assert ((y == 0).flatten(1).all(1) | kept).all() and 0 < int(kept.sum()) < 64
    assert torch.allclose(y[kept], x[kept] * 2)


def test_drop_path_only_in_training_mode():
    torch.manual_seed(0)
    net = build_darts_network(uniform(SEP3), C=4, layers=3, drop_path_prob=0.5)
    x = torch.randn(4, 3, 8, 8)
    net.eval()
    with torch.no_grad():
        ref = net(x)
        net.drop_path_prob = 0.0
        assert torch.equal(net(x), ref)
        net.train()
        plain = net(x)
        assert torch.equal(net(x), plain)  # training mode itself is deterministic
        net.drop_path_prob = 0.5
        assert not torch.allclose(net(x), plain)


def test_drop_path_spares_identity_ops():
    net = build_darts_network(uniform(SKIP), C=4, layers=3).train()
    normal = net.cells[0]
    assert not normal.reduction
    s0, s1 = torch.randn(2, 12, 8, 8), torch.randn(2, 12, 8, 8)
    with torch.no_grad():
        assert torch.equal(normal(s0, s1, 0.9), normal(s0, s1, 0.0))


@pytest.mark.parametrize("side", [8, 28, 32])
def test_auxiliary_logits(side):
    net = build_darts_network(DARTS.sample(2), C=4, layers=5, num_classes=6, auxiliary=True)
    x = torch.randn(2, 3, side, side)
    assert net(x).shape == (2, 6)
    assert net.aux_logits.shape == (2, 6)
    net.eval()
    with torch.no_grad():
        assert net(x).shape == (2, 6)
    assert net.aux_logits is None
    plain = build_darts_network(DARTS.sample(2), C=4, layers=5).train()
    plain(x)
    assert plain.aux_logits is None
