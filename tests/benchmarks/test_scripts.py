"""The measurement scripts under benchmarks/ run and report sane figures."""

import json
import subprocess
import sys

import pytest


def run(repo_root, *args, timeout=300):
    proc = subprocess.run([sys.executable, *args], cwd=repo_root, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_bench_load(repo_root):
    data = json.loads(run(repo_root, "benchmarks/bench_load.py", "--repeat", "1", "--json"))
    assert all(0 < v < 2.0 for v in data["cold_s"].values())  # target 0.5 s; slack for a busy CI
    assert 0 < data["peak_rss_both_mb"] < 150
    assert data["scores_us"] < 1000


@pytest.mark.slow
def test_bench_transfer_small(repo_root, tmp_path):
    out = tmp_path / "transfer.json"
    text = run(repo_root, "benchmarks/bench_transfer.py", "--benchmark", "tnb101_micro", "--seeds", "1",
               "--generations", "6", "--json", str(out))
    assert "precision (95% CI)" in text
    result = json.loads(out.read_text())["tnb101_micro"]
    assert {"random", "best", "rank:one-hot", "rank:node2vec", "rank:arch2vec"} <= set(result)
    for method, r in result.items():
        assert r["transfers"] == 6 * 6 * 4  # pairs x generations x n
        assert 0 <= r["precision"] <= 1 and 0 < r["mean_percentile"] <= 100
    assert all(r["labelled"] > 0 for r in result.values())
    # the source's best are good cells of a related task: better on the target than random picks
    assert result["best"]["mean_percentile"] > result["random"]["mean_percentile"]


@pytest.mark.slow
def test_bench_predictors_small(repo_root, tmp_path):
    out, plot = tmp_path / "p.json", tmp_path / "p.svg"
    run(repo_root, "benchmarks/bench_predictors.py", "--seeds", "2", "--sizes", "20", "100",
        "--embedders", "onehot", "node2vec", "--predictors", "rf", "--tasks", "cifar100",
        "--out", str(out), "--plot", str(plot))
    text = out.read_text()
    assert plot.read_text().startswith("<svg")
    data = json.loads(text)
    assert data["protocol"]["sizes"] == [20, 100] and data["protocol"]["seeds"] == 2
    assert "node2vec" in text and "onehot" in text


def test_bench_search_small(repo_root):
    data = json.loads(run(repo_root, "benchmarks/bench_search.py", "--seeds", "2", "--evals", "300", "--json"))
    rows = {r["setting"]: r for r in data["overhead"]}
    assert "KTNAS, 3 tasks, in memory" in rows and "bare Benchmark.query" in rows
    # the loop's own cost per evaluation (target 1 ms; slack for a busy CI machine)
    assert all(0 < r["s_per_eval"] < 0.005 for r in rows.values())
    full = data["full"]
    assert len(full["warm_s"]) == 2 and max(full["warm_s"]) < 30 and max(full["cold_s"]) < 60
    assert all(1 <= g <= 100 for g in full["generations"])


@pytest.mark.training
def test_bench_train_search_small(repo_root):
    """A search that trains its candidates on real data finds better cells than a random one."""
    data = json.loads(run(repo_root, "benchmarks/bench_train_search.py", "--seeds", "2", "--budget", "4",
                          "--epochs", "1", "--subset", "300", "--json"))
    assert data["seeds"] == 2 and len(data["runs"]) == 2
    for task, s in data["summary"].items():
        assert 0 <= s["wins"] + s["ties"] <= 2 and 0 <= s["random_test_mean"] <= 100
    digits = data["summary"]["digits"]
    assert digits["found_test_mean"] > digits["random_test_mean"]


@pytest.mark.slow
def test_soak_dashboard_memory_stays_flat(repo_root):
    """20 start/stop/resume cycles of the dashboard: memory does not grow without bound."""
    data = json.loads(run(repo_root, "benchmarks/soak_dashboard.py", "--cycles", "20", "--warmup", "4",
                          "--run-seconds", "0.05", "--json"))
    assert len(data["rss_mb"]) == 20 and data["seconds_per_cycle"] > 0
    assert data["rss_growth_mb_per_cycle"] < 0.5  # a leak of a run's events or figures would be MBs per cycle
    # the heap at a cycle's end holds that run's results (its event log as a download link), so it wobbles by
    # ~0.1 MB; keeping every run's events would add ~0.5 MB per cycle
    assert data["heap_growth_mb_per_cycle"] < 0.25 and data["heap_mb"][-1] - data["heap_mb"][3] < 4
    assert data["rss_end_mb"] - data["rss_after_warmup_mb"] < 16


@pytest.mark.training
def test_bench_supernet_rank_small(repo_root):
    """Supernet scores against standalone training: a Kendall tau per task and the accuracies it compares."""
    out = json.loads(run(repo_root, "benchmarks/bench_supernet_rank.py", "--cells", "4", "--supernet-epochs", "2",
                         "--epochs", "1", "--train", "100", "--tasks", "mnist", "--json"))
    (r,) = out
    assert r["kendall_tau"] is None or -1 <= r["kendall_tau"] <= 1  # None: every supernet score tied
    assert r["task"] == "mnist" and len(r["supernet"]) == len(r["standalone"]) == 4
    assert r["standalone_best"] >= r["top_cell_standalone"] and 0 <= r["standalone_mean"] <= 100


@pytest.mark.training
def test_bench_train_parallel_paths_agree(repo_root):
    """Serial, process-pool and Dask training give the same scores (the script checks) and a speed-up each."""
    data = json.loads(run(repo_root, "benchmarks/bench_train.py", "--steps", "2", "--candidates", "2",
                          "--epochs", "1", "--settings", "small", "--dask-profiler", "off", "--json"))
    assert [r["setting"] for r in data["results"]] == ["small"] and data["results"][0]["images_per_s"] > 0
    paths = data["parallel"]["paths"]
    assert "dask, no profiler" in paths or "distributed is not installed" in data["parallel"]["skipped"]
    assert {"serial", "process pool"} <= set(paths) and all(p["seconds"] > 0 and p["speedup"] > 0
                                                            for p in paths.values())
    # serially this process trains; on the pool it only waits (and reads progress files)
    assert paths["process pool"]["coordinator_cpu_s"] < paths["serial"]["coordinator_cpu_s"]


@pytest.mark.browser
@pytest.mark.slow
def test_bench_app_smoke(repo_root):
    """bench_app.py against a real server in headless Chromium, one round, one visitor."""
    from tests.e2e.server import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    data = json.loads(run(repo_root, "benchmarks/bench_app.py", "--repeat", "1", "--visitors", "1", "--json",
                          timeout=600))["summary"]
    assert {"first_render_s", "pair_change_s", "map_recolour_s", "first_curve_s"} <= set(data)
    assert all(0 < s["min"] <= s["median"] <= s["max"] < 120 for s in data.values())
    assert data["pair_change_s"]["n"] == 3 and data["map_recolour_s"]["n"] == 3
