"""synflow: the function, the shipped NB201 table and its loader."""

import ast
import json
import subprocess
import sys

import numpy as np
import pytest

from ktnas_core.benchmarks.zero_cost import load_zero_cost
from ktnas_core.errors import ParameterError, UnknownBenchmarkError, UnknownTaskError
from ktnas_core.spaces import get_space, is_disconnected
from tests.conftest import SHARED_DATA, requires_shared_data

NB = get_space("nb201")
TASKS = ("cifar10", "cifar100", "ImageNet16-120")
RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"


def _score(arch, seed=0, classes=10, side=32, **kw):
    import torch

    from ktnas_core.networks import build_nb201_network
    from ktnas_core.zero_cost import synflow

    torch.manual_seed(seed)
    return synflow(build_nb201_network(arch, num_classes=classes), (1, 3, side, side), **kw)


# -- the function ---------------------------------------------------------------------
def test_synflow_is_deterministic_and_leaves_the_model_alone():
    torch = pytest.importorskip("torch")
    from ktnas_core.networks import build_nb201_network
    from ktnas_core.zero_cost import synflow

    torch.manual_seed(3)
    net = build_nb201_network(RESNET)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    first = synflow(net, (1, 3, 32, 32))
    assert first == synflow(net, (1, 3, 32, 32)) == _score(RESNET, seed=3)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert next(net.parameters()).dtype == torch.float32


def test_synflow_is_positive_and_prefers_convolutions():
    pytest.importorskip("torch")
    conv = _score(NB.make([3] * 6))
    skip = _score(NB.make([1] * 6))
    assert conv > skip > 0
    assert _score(NB.make([0] * 6)) == 0.0  # output independent of the input
    assert _score(RESNET, bn="eval") > 0


def test_synflow_errors():
    pytest.importorskip("torch")
    with pytest.raises(ParameterError, match=r"input_shape must be a tuple of positive integers"):
        _score(RESNET, side=0)
    with pytest.raises(ParameterError, match=r"bn 'train' .* choose one of \['remove', 'eval'\]"):
        _score(RESNET, bn="train")


# -- the shipped table ------------------------------------------------------------------
@pytest.mark.parametrize("task", TASKS)
def test_table_is_complete_and_zero_exactly_on_disconnected_cells(task):
    s = load_zero_cost("nb201", task)
    assert s.shape == (15625,) and s.dtype == np.float64
    assert np.isfinite(s).all() and (s >= 0).all()
    disconnected = np.array([is_disconnected(NB.from_index(i)) for i in range(len(s))])
    assert np.array_equal(s == 0, disconnected)


@pytest.mark.parametrize("task, index", [("cifar10", 11472), ("ImageNet16-120", 6111)])
def test_table_matches_a_fresh_computation(task, index):
    pytest.importorskip("torch")
    classes, side = {"cifar10": (10, 32), "ImageNet16-120": (120, 16)}[task]
    fresh = _score(index, seed=index, classes=classes, side=side)  # the script seeds with the index
    assert fresh == pytest.approx(load_zero_cost("nb201", task)[index], rel=1e-9)


@requires_shared_data
@pytest.mark.parametrize("task", TASKS)
def test_table_agrees_with_naslib_synflow(task):
    from scipy.stats import spearmanr

    data = json.loads((SHARED_DATA / "nasbench201" / "NASLib-partial" / "zc_nasbench201.json").read_text())
    entries = [e for e in data[task].values() if "synflow" in e]
    idx = [NB.index(NB.from_naslib(ast.literal_eval(e["arch"]))) for e in entries]
    theirs = [e["synflow"]["score"] for e in entries]  # NASLib stores log(synflow), 0 for disconnected
    ours = load_zero_cost("nb201", task)[idx]
    assert spearmanr(ours, theirs)[0] > 0.9


# -- the loader -------------------------------------------------------------------------
def test_loader_is_read_only_and_cached():
    s = load_zero_cost("nb201", "cifar100")
    assert s is load_zero_cost("nb201", "cifar100", proxy="synflow")
    with pytest.raises(ValueError):
        s[0] = 1.0


def test_loader_errors():
    with pytest.raises(UnknownBenchmarkError, match=r"'tnb101_micro' has no shipped zero-cost scores; choose one of \['nb201'\]"):
        load_zero_cost("tnb101_micro", "jigsaw")
    with pytest.raises(UnknownTaskError, match=r"task 'cifar1000' is not in nb201; choose one of \['cifar10'"):
        load_zero_cost("nb201", "cifar1000")
    with pytest.raises(ParameterError, match=r"proxy 'snip' is not shipped for nb201; choose one of \['synflow'\]"):
        load_zero_cost("nb201", "cifar10", proxy="snip")


def test_loader_does_not_import_torch():
    code = "import sys; from ktnas_core.benchmarks.zero_cost import load_zero_cost; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
