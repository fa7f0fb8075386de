"""``ktnas run``, ``resume`` and ``report``: reports, stop and resume, one-line errors."""

import csv
import json
import signal
import subprocess
import sys
import time

import pytest

from ktnas_core import benchmarks
from ktnas_core.cli import main
from ktnas_core.runs.report import COLUMNS
from ktnas_core.search import TableEvaluator, read_events

RUN = ["run", "--benchmark", "nb201", "--tasks", "cifar10,cifar100", "--strategy", "rea", "--seed", "3"]


def _rows(capsys):
    return json.loads(capsys.readouterr().out)["rows"]


def _strip_run(rows):
    return [{k: v for k, v in r.items() if k not in ("run", "status")} for r in rows]


def _log(path):
    return [e.without_time() for e in read_events(path / "events.jsonl")]


def test_run_text_and_report_json(tmp_path, capsys):
    out = tmp_path / "a"
    assert main(RUN + ["--out", str(out), "--budget", "30"]) == 0
    text = capsys.readouterr()
    assert text.err == ""  # quiet when stderr is not a terminal
    lines = text.out.splitlines()
    assert lines[0].startswith(f"run {out}: ended by budget")
    header = lines[2].split()
    assert header == list(COLUMNS)
    body = [line for line in lines[3:] if line]
    assert len(body) == 2 and "cifar10 " in body[0] and "cifar100" in body[1]

    assert main(["report", str(out), "--json"]) == 0
    rows = _rows(capsys)
    assert [r["task"] for r in rows] == ["cifar10", "cifar100"]
    b = benchmarks.load("nb201")
    for r in rows:
        assert set(r) == set(COLUMNS)
        assert r["strategy"] == "rea" and r["seed"] == 3 and r["status"] == "budget" and r["evals"] == 30
        assert r["valid"] == pytest.approx(b.query(r["best_cell"], r["task"]))
        assert r["test"] == pytest.approx(b.query(r["best_cell"], r["task"], b.test_metric(r["task"])))
        assert r["rank"] == b.rank(r["best_cell"], r["task"]) and r["rank"] >= 1
        assert r["regret"] == pytest.approx(b.optimum(r["task"]).value - r["valid"])
        assert r["gpu_hours"] > 0
    # the run's own --json output is the same report
    assert main(RUN + ["--out", str(tmp_path / "b"), "--budget", "30", "--json"]) == 0
    assert _strip_run(_rows(capsys)) == _strip_run(rows)


def test_random_strategy_and_several_dirs(tmp_path, capsys):
    for name, strategy in (("r", "random"), ("e", "rea")):
        assert main(["run", "--benchmark", "nb201", "--tasks", "ImageNet16-120", "--strategy", strategy,
                     "--out", str(tmp_path / name), "--max-generations", "15", "--json"]) == 0
        capsys.readouterr()
    assert main(["report", str(tmp_path / "r"), str(tmp_path / "e"), "--json"]) == 0
    rows = _rows(capsys)
    assert [r["strategy"] for r in rows] == ["random", "rea"]
    assert all(r["status"] == "generations" for r in rows)


def test_stop_on_optimum_finds_rank_1(tmp_path, capsys):
    assert main(["run", "--benchmark", "nb201", "--tasks", "cifar10", "--strategy", "rea", "--seed", "0",
                 "--out", str(tmp_path / "o"), "--stop-on-optimum", "--budget", "2000", "--json"]) == 0
    row, = _rows(capsys)
    assert row["status"] == "optimum" and row["rank"] == 1 and row["regret"] == 0
    assert row["best_cell"] == str(benchmarks.load("nb201").optimum("cifar10").arch)


def test_report_csv_columns(tmp_path, capsys):
    assert main(RUN + ["--out", str(tmp_path / "a"), "--budget", "12", "--population", "6",
                       "--tournament", "3", "--json"]) == 0
    capsys.readouterr()
    path = tmp_path / "r.csv"
    assert main(["report", str(tmp_path / "a"), "--csv", str(path), "--json"]) == 0
    rows = _rows(capsys)
    with open(path, newline="") as f:
        data = list(csv.DictReader(f))
    assert list(data[0]) == list(COLUMNS) and len(data) == 2
    for got, want in zip(data, rows):
        assert got["best_cell"] == want["best_cell"] and int(got["rank"]) == want["rank"]
        assert float(got["gpu_hours"]) == pytest.approx(want["gpu_hours"])


def _interrupt_after(monkeypatch, n, exc=None):
    """Make the n-th table lookup press Ctrl-C (SIGINT to this process) or raise ``exc``."""
    calls = {"n": 0}
    original = TableEvaluator.evaluate

    def evaluate(self, archs, task):
        calls["n"] += 1
        if calls["n"] == n:
            if exc is not None:
                raise exc
            signal.raise_signal(signal.SIGINT)
        return original(self, archs, task)

    monkeypatch.setattr(TableEvaluator, "evaluate", evaluate)


@pytest.mark.parametrize("how", ["sigint", "keyboardinterrupt"])
def test_ctrl_c_then_resume_equals_uninterrupted(tmp_path, capsys, monkeypatch, how):
    args = RUN + ["--budget", "40"]
    assert main(args + ["--out", str(tmp_path / "full"), "--json"]) == 0
    full = _rows(capsys)
    handler = signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN under nohup

    with monkeypatch.context() as m:
        _interrupt_after(m, 47, None if how == "sigint" else KeyboardInterrupt())
        assert main(args + ["--out", str(tmp_path / "cut"), "--json"]) == 130
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == f"stopped; resume with: ktnas resume {tmp_path / 'cut'}"
    assert signal.getsignal(signal.SIGINT) is handler  # the caller's handler is restored
    assert main(["report", str(tmp_path / "cut"), "--json"]) == 0
    partial = _rows(capsys)
    assert all(r["status"] == "stopped" for r in partial) and sum(r["evals"] for r in partial) < 80

    assert main(["resume", str(tmp_path / "cut"), "--json"]) == 0
    assert _strip_run(_rows(capsys)) == _strip_run(full)
    assert _log(tmp_path / "cut") == _log(tmp_path / "full")


def test_resume_text(tmp_path, capsys, monkeypatch):
    with monkeypatch.context() as m:
        _interrupt_after(m, 5)
        assert main(RUN + ["--out", str(tmp_path / "a"), "--max-generations", "30"]) == 130
    capsys.readouterr()
    assert main(["resume", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"run {tmp_path / 'a'}: ended by generations after 30 generations")


@pytest.mark.parametrize("extra, message", [
    (["--tasks", "cifar10,cifar1000", "--strategy", "rea"],
     "task 'cifar1000' is not in nb201; choose one of ['cifar10', 'cifar100', 'ImageNet16-120']"),
    (["--tasks", "cifar10", "--strategy", "bogus"], "strategy 'bogus' is not known; choose one of ['ktnas', 'ktnas-paper', 'ktnas-xt', 'ktnas-arch2vec'"),
    (["--tasks", "cifar10", "--strategy", "rea", "--budget", "0"],
     "--budget 0 is out of range; allowed: an integer >= 1"),
    (["--tasks", "cifar10", "--strategy", "rea", "--budget", "-5"],
     "--budget -5 is out of range; allowed: an integer >= 1"),
    (["--tasks", "cifar10", "--strategy", "rea", "--max-generations", "0"],
     "--max-generations 0 is out of range"),
    (["--tasks", "cifar10", "--strategy", "rea", "--seed", "-1"], "--seed -1 is out of range"),
    (["--tasks", "cifar10,cifar10", "--strategy", "rea"], "names a task twice"),
    (["--tasks", "cifar10,", "--strategy", "rea"], "has an empty name"),
    (["--tasks", "cifar10", "--strategy", "random", "--population", "5"],
     "--population and --tournament do not apply to --strategy random"),
    (["--tasks", "cifar10", "--strategy", "rea", "--population", "4", "--tournament", "5"],
     "--tournament 5 is out of range; allowed: at most the population (4)"),
])
def test_run_errors_are_one_line(tmp_path, capsys, extra, message):
    out = tmp_path / "new"
    assert main(["run", "--benchmark", "nb201", "--out", str(out)] + extra) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("ktnas: error: ") and message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert not out.exists()  # nothing half-written


def _one_line_error(capsys, message):
    captured = capsys.readouterr()
    assert captured.err == f"ktnas: error: {message}\n", captured.err
    assert captured.out == ""


def test_out_directory_errors(tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(RUN + ["--out", str(other), "--budget", "5"]) == 2
    _one_line_error(capsys, f"--out {str(other)!r} exists and is not empty; choose a new or empty directory")
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]

    afile = tmp_path / "file"
    afile.write_text("x")
    assert main(RUN + ["--out", str(afile), "--budget", "5"]) == 2
    _one_line_error(capsys, f"--out {str(afile)!r} is a file; choose a new or empty directory")

    run = tmp_path / "run"
    assert main(RUN + ["--out", str(run), "--budget", "5", "--json"]) == 0
    capsys.readouterr()
    before = _log(run)
    assert main(RUN + ["--out", str(run), "--budget", "5"]) == 2
    _one_line_error(capsys, f"--out {str(run)!r} already holds a ktnas run; continue it with: "
                            f"ktnas resume {run} (or choose a new directory)")
    assert _log(run) == before

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(RUN + ["--out", str(empty), "--budget", "5", "--json"]) == 0  # an empty directory is fine


def test_resume_and_report_errors(tmp_path, capsys):
    missing = tmp_path / "missing"
    assert main(["resume", str(missing)]) == 2
    _one_line_error(capsys, f"run directory {str(missing)!r} does not exist")
    assert main(["resume", str(tmp_path)]) == 2
    _one_line_error(capsys, f"{str(tmp_path)!r} is not a ktnas run directory (it has no config.json); "
                            "start one with ktnas run")
    afile = tmp_path / "f.txt"
    afile.write_text("x")
    assert main(["resume", str(afile)]) == 2
    _one_line_error(capsys, f"{str(afile)!r} is not a directory; give a run directory made by ktnas run")
    assert main(["report", str(missing)]) == 2
    _one_line_error(capsys, f"run directory {str(missing)!r} does not exist")

    run = tmp_path / "run"
    assert main(RUN + ["--out", str(run), "--budget", "5", "--json"]) == 0
    capsys.readouterr()
    assert main(["report", str(run), "--csv", str(tmp_path / "no" / "such" / "r.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ktnas: error: cannot write --csv") and err.count("\n") == 1
    (run / "config.json").write_text("{not json")
    assert main(["resume", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ktnas: error: ") and "corrupted" in err and err.count("\n") == 1


def test_progress_line_only_on_a_terminal(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert main(RUN + ["--out", str(tmp_path / "a"), "--budget", "20"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("\rgeneration 1  cifar10: ") and err.endswith("\n")


@pytest.mark.parametrize("strategy", ["ktnas", "emtnas", "predictor"])
def test_multi_task_strategies_run_and_report(tmp_path, capsys, strategy):
    out = tmp_path / strategy
    args = ["run", "--benchmark", "tnb101_micro", "--tasks", "class_object,room_layout", "--strategy", strategy,
            "--seed", "2", "--budget", "30", "--out", str(out), "--json"]
    assert main(args) == 0
    rows = _rows(capsys)
    assert [r["task"] for r in rows] == ["class_object", "room_layout"]
    assert all(r["strategy"] == strategy and r["evals"] == 30 and r["rank"] >= 1 for r in rows)
    config = json.loads((out / "config.json").read_text())
    assert config["strategy"]["class"] == "MultiTaskEvolution" and config["strategy"]["params"]["name"] == strategy
    kinds = {type(e).__name__ for e in read_events(out / "events.jsonl")}
    assert ("Transferred" in kinds) == (strategy == "ktnas")
    assert main(["resume", str(out), "--json"]) == 0  # a finished run resumes to the same report
    assert _strip_run(_rows(capsys)) == _strip_run(rows)


def test_population_applies_to_multi_task_strategies(tmp_path, capsys):
    out = tmp_path / "k"
    assert main(["run", "--benchmark", "nb201", "--tasks", "cifar10,cifar100", "--strategy", "ktnas",
                 "--population", "6", "--tournament", "2", "--max-generations", "2", "--out", str(out), "--json"]) == 0
    params = json.loads((out / "config.json").read_text())["strategy"]["params"]
    assert (params["population_size"], params["tournament_size"]) == (6, 2)


def test_sources_and_targets_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "st"
    assert main(["run", "--benchmark", "nb201", "--tasks", "cifar10,cifar100,ImageNet16-120", "--strategy", "ktnas",
                 "--sources", "cifar10", "--targets", "ImageNet16-120", "--max-generations", "4", "--out", str(out),
                 "--json"]) == 0
    transfers = [e for e in read_events(out / "events.jsonl") if type(e).__name__ == "Transferred"]
    assert transfers and {(e.source, e.target) for e in transfers} == {("cifar10", "ImageNet16-120")}
    capsys.readouterr()
    assert main(["run", "--benchmark", "nb201", "--tasks", "cifar10", "--strategy", "rea", "--sources", "cifar10",
                 "--out", str(tmp_path / "x")]) == 2
    assert "--sources applies to the multi-task strategies, not 'rea'" in capsys.readouterr().err


# the real command in a child process; each table look-up sleeps 30 ms so that the run lasts long enough
SLOW_CLI = """
import sys, time
from ktnas_core.search import TableEvaluator
look_up = TableEvaluator.evaluate
TableEvaluator.evaluate = lambda self, archs, task: (time.sleep(0.03), look_up(self, archs, task))[1]
from ktnas_core.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_in_a_child_process_ends_within_2_s_and_resumes(tmp_path, capsys):
    args = ["run", "--benchmark", "nb201", "--tasks", "cifar10,cifar100", "--strategy", "ktnas", "--seed", "4",
            "--budget", "300"]
    cut = tmp_path / "cut"
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", SLOW_CLI, *args, "--out", str(cut), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not (cut / "events.jsonl").is_file() and time.monotonic() - t0 < 60:
        time.sleep(0.05)  # the search (and its Ctrl-C handler) has started
    time.sleep(max(0.2, 1.5 - (time.monotonic() - t0)))
    assert proc.poll() is None, "the run ended before Ctrl-C"
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 2.0
    assert proc.returncode == 130 and out == ""
    assert err.strip() == f"stopped; resume with: ktnas resume {cut}" and "Traceback" not in err

    assert main(args + ["--out", str(tmp_path / "full"), "--json"]) == 0
    full = _rows(capsys)
    assert main(["report", str(cut), "--json"]) == 0
    assert sum(r["evals"] for r in _rows(capsys)) < sum(r["evals"] for r in full)  # really cut short
    assert main(["resume", str(cut), "--json"]) == 0
    assert _strip_run(_rows(capsys)) == _strip_run(full)
    assert _log(cut) == _log(tmp_path / "full")


def test_ctrl_c_before_the_search_starts(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(benchmarks, "load", interrupted)
    assert main(RUN + ["--out", str(tmp_path / "a"), "--budget", "5"]) == 130
    captured = capsys.readouterr()
    assert captured.err == "ktnas: interrupted\n" and captured.out == ""
    assert not (tmp_path / "a").exists()
