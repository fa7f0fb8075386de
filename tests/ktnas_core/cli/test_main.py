"""The ``ktnas`` command: info and disorder, text and JSON, clear errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from ktnas_core import benchmarks
from ktnas_core.cli import main
from ktnas_core.disorder import kendall_tau


def test_disorder_prints_all_matrices_nb201(capsys):
    assert main(["disorder", "nb201"]) == 0
    out = capsys.readouterr().out
    assert "Kendall tau" in out and "Spearman rho" in out and "top-1% overlap" in out and "best 156 cells" in out
    for task in ("cifar10", "cifar100", "ImageNet16-120"):
        assert task in out
    b = benchmarks.load("nb201")
    tau = kendall_tau(b.scores("cifar10"), b.scores("ImageNet16-120"))
    assert f"{tau:+.3f}" in out


def test_disorder_json_tnb101(capsys):
    assert main(["disorder", "tnb101_micro", "--split", "test", "--statistic", "kendall", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    m = data["matrices"]["kendall"]
    assert m["tasks"] == list(benchmarks.load("tnb101_micro").tasks)
    values = np.array(m["values"])
    assert values.shape == (7, 7) and np.allclose(np.diag(values), 1) and np.allclose(values, values.T)


def test_disorder_topk_count(capsys):
    assert main(["disorder", "nb201", "--statistic", "topk", "--topk", "50", "--json"]) == 0
    values = np.array(json.loads(capsys.readouterr().out)["matrices"]["topk"]["values"])
    assert np.all((0 <= values) & (values <= 1))
    assert np.all(values * 50 == np.round(values * 50))


def test_info(capsys):
    assert main(["info", "nb201"]) == 0
    out = capsys.readouterr().out
    assert "15,625 cells" in out and "index 6111" in out
    assert main(["info", "tnb101_micro", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tasks"]["class_scene"]["optimum"]["value"] == pytest.approx(54.936, abs=1e-3)


def test_errors_are_one_line(capsys):
    assert main(["disorder", "nb201", "--metric", "valid_top1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ktnas: error: metric 'valid_top1' is not recorded for nb201 task 'cifar10'")
    assert "Traceback" not in err
    assert main(["disorder", "nb201", "--statistic", "topk", "--topk", "2.5"]) == 2
    assert "2.5" in capsys.readouterr().err
    # a bad k fails before any matrix is printed
    assert main(["disorder", "nb201", "--topk", "0"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "must lie in (0, 1]; got 0.0" in captured.err


def test_argparse_rejects_unknown_benchmark(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["disorder", "nb301"])
    assert exc.value.code == 2
    assert "invalid choice: 'nb301'" in capsys.readouterr().err


def test_console_script_runs():
    exe = subprocess.run([sys.executable, "-m", "ktnas_core.cli", "--version"], capture_output=True, text=True)
    assert exe.returncode == 0 and exe.stdout.startswith("ktnas ")
