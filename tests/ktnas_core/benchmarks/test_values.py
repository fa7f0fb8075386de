"""Spot checks of the shipped tables against published numbers."""

import numpy as np
import pytest

from ktnas_core import benchmarks

RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"


@pytest.fixture(scope="module")
def nb():
    return benchmarks.load("nb201")


@pytest.fixture(scope="module")
def tnb():
    return benchmarks.load("tnb101_micro")


@pytest.mark.parametrize(
    "task, index, value",
    [("cifar10", 6111, 94.37), ("cifar100", 9930, 73.51), ("ImageNet16-120", 857, 47.31)],
)
def test_nb201_best_test_accuracy(nb, task, index, value):
    best = nb.optimum(task, "test_accuracy")
    assert best.index == index
    assert round(best.value, 2) == value
    assert str(best.arch) == str(nb.space.from_index(index))


def test_resnet_cell(nb):
    assert nb.index(RESNET) == 11472
    assert round(nb.query(RESNET, "cifar10", "test_accuracy"), 2) == 93.91
    assert round(nb.query(RESNET, "cifar100", "test_accuracy"), 2) == 70.89
    assert round(nb.query(RESNET, "ImageNet16-120", "test_accuracy"), 2) == 44.23
    assert round(nb.query(RESNET, "cifar10"), 2) == 90.86  # cifar10-valid validation


def test_nb201_validation_optima(nb):
    # the default metric is validation accuracy (search fitness)
    assert nb.default_metric("cifar10") == "valid_accuracy"
    assert nb.optimum("cifar10").index == 6111
    assert round(nb.optimum("cifar10").value, 4) == 91.6067
    assert nb.optimum("ImageNet16-120").index == 10676


def test_nb201_12_epoch_is_low_fidelity(nb):
    short, full = nb.scores("cifar10", "test_accuracy_12epoch"), nb.scores("cifar10", "test_accuracy")
    assert round(short.max(), 2) == 89.16
    assert (short < full + 1e-9).mean() > 0.99


def test_nb201_flops_params_are_additive(nb):
    space = nb.space
    empty = space.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    conv = space.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    conv2 = space.parse("|none~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|")
    for metric in ("flops", "params"):
        d1 = nb.query(conv, "cifar10", metric) - nb.query(empty, "cifar10", metric)
        d2 = nb.query(conv2, "cifar10", metric) - nb.query(empty, "cifar10", metric)
        assert d1 == pytest.approx(d2) and d1 > 0
    assert nb.query(conv, "cifar10", "params") - nb.query(empty, "cifar10", "params") == pytest.approx(0.24304)
    # ImageNet16-120 images are 16x16: about a quarter of CIFAR's FLOPs
    ratio = nb.scores("ImageNet16-120", "flops") / nb.scores("cifar10", "flops")
    assert 0.24 < ratio.min() and ratio.max() < 0.26


def test_nb201_costs(nb):
    for task in nb.tasks:
        t = nb.scores(task, "train_time")
        assert np.all(t > 0)
    # CIFAR-100: twice the images, same network size apart from the classifier
    r = nb.scores("cifar100", "train_time") / nb.scores("cifar10", "train_time")
    assert 1.99 < r.min() and r.max() < 2.01
    assert nb.cost(RESNET, "cifar10") == nb.query(RESNET, "cifar10", "train_time")


@pytest.mark.parametrize(
    "task, value", [("class_scene", 54.94), ("class_object", 46.32), ("jigsaw", 95.37)]
)
def test_tnb101_best_validation(tnb, task, value):
    assert round(tnb.optimum(task).value, 2) == value


def test_tnb101_metrics_and_directions(tnb):
    assert tnb.default_metric("room_layout") == "valid_neg_loss"
    assert tnb.default_metric("segmentsemantic") == "valid_mIoU"
    assert tnb.default_metric("normal") == "valid_ssim"
    room = tnb.scores("room_layout")
    assert room.max() < 0 and round(room.max(), 3) == -0.594
    ssim = tnb.scores("autoencoder")
    assert 0 < ssim.min() and ssim.max() < 1
    # best over epochs is never below the final epoch
    for task in tnb.tasks:
        final = [m.name for m in tnb.metrics(task) if m.name.endswith("_final")]
        assert len(final) == 1
        base = final[0][: -len("_final")]
        assert np.all(tnb.scores(task, base) >= tnb.scores(task, final[0]) - 1e-6)
    assert all(m.direction == "max" for t in tnb.tasks for m in tnb.metrics(t) if m.name != "train_time")


def test_no_placeholders(nb, tnb):
    for b in (nb, tnb):
        for task in b.tasks:
            for m in b.metrics(task):
                v = b.scores(task, m.name)
                assert np.isfinite(v).all(), (b.name, task, m.name)
                assert not np.any(v == -1) or m.name.endswith("neg_loss"), (b.name, task, m.name)
