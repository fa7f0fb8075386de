"""Run directories of a shared app: confinement to a root, a folder per visitor, and limits."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ktnas_core.errors import ParameterError
from ktnas_core.runs.checkpoint import CHECKPOINT_VERSION
from ktnas_core.runs.rundirs import (DEMO_LIMITS, Limits, PathEscapeError, RunArea, RunLimitError, run_area)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def area(tmp_path):
    return RunArea(tmp_path / "runs")


def _run_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text(f'{{"version": {CHECKPOINT_VERSION}}}')
    return path


def test_names_and_absolute_paths_inside_the_root_are_accepted(area):
    assert area.confine("rea-nb201-s0-1") == area.path / "rea-nb201-s0-1"
    assert area.confine(area.path / "a" / "b") == area.path / "a" / "b"
    assert area.confine(str(area.path / "x" / "." / "y")) == area.path / "x" / "y"


@pytest.mark.parametrize("bad", ["..", "../other", "a/../../other", "a/../b", "/etc", "/tmp/runs", "", "."])
def test_paths_leaving_the_root_are_refused_naming_the_value(area, bad):
    with pytest.raises(PathEscapeError, match=rf"run directory '{bad}' is outside '.*runs'; choose a folder inside "
                                              r"it \(.*no '\.\.', no symlink leading out\)"):
        area.confine(bad)


def test_an_absolute_path_beside_the_root_with_the_same_prefix_is_refused(area):
    with pytest.raises(PathEscapeError):
        area.confine(str(area.path) + "-evil/run")


def test_a_symlink_leading_out_is_refused_and_not_listed(area, tmp_path):
    outside = _run_dir(tmp_path / "elsewhere" / "secret-run")
    inside = _run_dir(area.path / "mine-1")
    (area.path / "link").symlink_to(outside, target_is_directory=True)
    (area.path / "uplink").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    for bad in ("link", area.path / "link", "uplink/secret-run"):
        with pytest.raises(PathEscapeError, match="outside"):
            area.confine(bad)
    assert [p for p, _ in area.list_runs()] == [inside]
    (area.path / "alias").symlink_to(inside, target_is_directory=True)  # a link that stays inside is fine
    assert area.confine("alias") == area.path / "alias"


def test_labels_hide_the_servers_folders(area, tmp_path):
    assert area.label(area.path / "run-1") == "run-1"
    assert RunArea(tmp_path, visitor="visitor-a").label(tmp_path / "visitor-a" / "r") == "visitor-a/r"
    assert RunArea(tmp_path, confined=False).label(tmp_path / "r") == str(tmp_path / "r")


def test_the_errors_are_parameter_errors(area):
    assert issubclass(PathEscapeError, ParameterError) and issubclass(PathEscapeError, ValueError)
    assert issubclass(RunLimitError, ParameterError)


def test_an_unconfined_area_passes_paths_as_given(tmp_path):
    loose = RunArea(tmp_path, confined=False)
    assert loose.confine("/etc") == Path("/etc") and loose.confine("../x") == Path("../x")


def test_limits_from_the_environment():
    assert Limits.from_env({}) == Limits()  # no limits outside demo mode
    assert Limits.from_env({"KTNAS_DEMO": "1"}) == DEMO_LIMITS == Limits(4, 3000, 20, training=False)
    env = {"KTNAS_DEMO": "yes", "KTNAS_MAX_RUNS": "2", "KTNAS_MAX_EVALS": "0", "KTNAS_ALLOW_TRAINING": "1"}
    assert Limits.from_env(env) == Limits(2, None, 20, training=True)
    assert Limits.from_env({"KTNAS_MAX_EVALS": "500"}).max_evals == 500


@pytest.mark.parametrize("name, value, what", [("KTNAS_MAX_RUNS", "many", "count"), ("KTNAS_MAX_EVALS", "-3", "count"),
                                               ("KTNAS_DEMO", "maybe", "switch")])
def test_bad_limit_values_are_refused_by_name(name, value, what):
    with pytest.raises(ParameterError, match=rf"{name}='{value}' is not a {what}"):
        Limits.from_env({name: value})


def test_demo_mode_gives_each_visitor_its_own_folder(tmp_path):
    env = {"KTNAS_DEMO": "1", "KTNAS_RUNS_DIR": str(tmp_path)}
    a, b = run_area(environ=env), run_area(environ=env)
    assert a.root == b.root == tmp_path and a.path != b.path
    assert a.path.parent == b.path.parent == tmp_path and a.path.name.startswith("visitor-")
    assert a.confine("run-1").parent == a.path
    with pytest.raises(PathEscapeError):  # a visitor cannot reach another's runs
        a.confine(b.path / "run-1")
    with pytest.raises(PathEscapeError):
        a.confine(f"../{b.path.name}/run-1")
    plain = run_area(environ={"KTNAS_RUNS_DIR": str(tmp_path)})
    assert plain.path == tmp_path and plain.confined and plain.limits == Limits()
    assert run_area(tmp_path / "x", environ={}).path == tmp_path / "x"
    with pytest.raises(ParameterError, match="visitor '../up' is not a folder name"):
        RunArea(tmp_path, visitor="../up")


def test_evaluations_per_run_and_training_are_limited(tmp_path):
    area = RunArea(tmp_path, Limits(max_evals=3000, training=False))
    area.check_run(1000, 3)
    with pytest.raises(RunLimitError, match=r"budget 1,001 x 3 tasks = 3,003 evaluations is more than this server "
                                            r"allows per run \(KTNAS_MAX_EVALS=3,000\); lower the budget to at "
                                            r"most 1,000"):
        area.check_run(1001, 3)
    with pytest.raises(RunLimitError, match=r"training candidates is off .*KTNAS_ALLOW_TRAINING=0"):
        area.check_run(10, 1, training=True)
    RunArea(tmp_path).check_run(10**9, 7, training=True)  # no limits


def test_new_run_dirs_are_numbered_and_counted(tmp_path):
    area = RunArea(tmp_path, Limits(max_visitor_runs=2))
    first = area.new_run_dir("rea-nb201-s0")
    assert first == tmp_path / "rea-nb201-s0-1"
    first.mkdir()
    assert area.new_run_dir("rea-nb201-s0") == tmp_path / "rea-nb201-s0-2"
    (tmp_path / "other-1").mkdir()
    with pytest.raises(RunLimitError, match=r"already has 2 run folders.*KTNAS_MAX_VISITOR_RUNS=2"):
        area.new_run_dir("rea-nb201-s0")
    with pytest.raises(ParameterError, match="run name 'a/b' is not a folder name"):
        RunArea(tmp_path).new_run_dir("a/b")


def test_concurrent_runs_take_places_and_give_them_back(tmp_path):
    area = RunArea(tmp_path, Limits(max_runs=2))
    other = RunArea(tmp_path, Limits(max_runs=2), visitor="visitor-b")  # another visitor, same server
    a, b = area.acquire(), other.acquire()
    with pytest.raises(RunLimitError, match=r"this server is running 2 searches, the most it runs at once "
                                            r"\(KTNAS_MAX_RUNS=2\); try again"):
        area.acquire()
    b.release()
    b.release()  # idempotent
    c = area.acquire()
    assert a.held and c.held and not b.held
    a.release(), c.release()
    assert not RunArea(tmp_path).acquire().held  # no limit: a no-op place


def test_a_place_held_by_another_process_counts(tmp_path):
    holder = ("import sys, time; from ktnas_core.runs.rundirs import Limits, RunArea; "
              "s = RunArea(sys.argv[1], Limits(max_runs=1)).acquire(); print(s.held, flush=True); time.sleep(60)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-c", holder, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "True"
        with pytest.raises(RunLimitError):
            RunArea(tmp_path, Limits(max_runs=1)).acquire()
    finally:
        proc.kill()
        proc.wait(10)
    RunArea(tmp_path, Limits(max_runs=1)).acquire().release()  # the dead process's lock is gone


class FakeHandle:
    def __init__(self):
        self.done = threading.Event()

    def wait(self, timeout=None):
        return self.done.wait(timeout)


def test_a_guarded_run_holds_its_place_until_it_ends(tmp_path):
    area = RunArea(tmp_path, Limits(max_runs=1))
    handle = area.guarded(FakeHandle)
    with pytest.raises(RunLimitError):
        area.guarded(FakeHandle)
    handle.done.set()
    for _ in range(200):  # the watcher thread releases the place
        try:
            area.acquire().release()
            break
        except RunLimitError:
            threading.Event().wait(0.01)
    else:
        pytest.fail("the place was not given back when the run ended")

    def failing():
        raise ParameterError("bad settings")

    with pytest.raises(ParameterError, match="bad settings"):
        area.guarded(failing)
    area.acquire().release()  # a start that raised gave its place back at once
