"""Damaged run directories: a bad newest checkpoint or log prefix falls back to the previous checkpoint and
resumes to the uninterrupted result; with no good state left, one typed error names the file and line."""

from __future__ import annotations

import json
import shutil
import threading
import warnings

import pytest

from ktnas_core.cli import main
from ktnas_core.errors import DataIntegrityError, FormatVersionError, RecoveryWarning
from ktnas_core.search import GenerationDone, TableEvaluator, make_strategy, read_events, resume, run_search
from ktnas_core.runs import checkpoint as ck
from ktnas_core.runs.recovery import resume_point
from ktnas_core.runs.runner import resume_run

TASKS = ["cifar10", "cifar100"]
OPTS = dict(max_generations=14, seed=5, checkpoint_seconds=0)


def _strategy():
    return make_strategy("ktnas", "nb201", TASKS)


def _log(path):
    return [e.without_time() for e in read_events(path / ck.EVENTS)]


@pytest.fixture(scope="module")
def ev():
    return TableEvaluator("nb201")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, ev):
    """An uninterrupted run, and a run stopped after generation 8 (its template, copied per test)."""
    root = tmp_path_factory.mktemp("recovery")
    full = run_search(_strategy(), ev, run_dir=root / "full", **OPTS)
    stop = threading.Event()

    def cb(event):
        if isinstance(event, GenerationDone) and event.generation == 8:
            stop.set()
    part = run_search(_strategy(), ev, run_dir=root / "part", callbacks=[cb], stop=stop, **OPTS)
    assert part.reason == "stopped" and (root / "part" / ck.PREV_CHECKPOINT).is_file()
    return full, _log(root / "full"), root / "part"


@pytest.fixture
def part(runs, tmp_path):
    shutil.copytree(runs[2], tmp_path / "part")
    return tmp_path / "part"


def _state(path, name=ck.CHECKPOINT):
    return json.loads((path / name).read_text())


def _covered_line(part):
    """A log line the newest checkpoint covers but the previous one does not."""
    return _state(part, ck.PREV_CHECKPOINT)["n_events"] + 2


def _edit_line(path, n, edit):
    lines = (path / ck.EVENTS).read_bytes().split(b"\n")
    old, lines[n - 1] = lines[n - 1], edit(lines[n - 1])
    assert lines[n - 1] != old
    (path / ck.EVENTS).write_bytes(b"\n".join(lines))


def _resumes_like_full(runs, part, match):
    full, full_log, _ = runs
    with pytest.warns(RecoveryWarning, match=match) as record:
        again = resume(part)
    assert len(record) == 1
    assert again == full and again.recovered == (str(record[0].message),)
    assert "resuming from checkpoint.prev.json" in again.recovered[0]
    assert _log(part) == full_log
    assert (part / ck.REJECTED_CHECKPOINT).exists() or "is missing" in again.recovered[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RecoveryWarning)  # the directory is healed: no second warning
        assert resume(part) == full


def _flip_digit(text):
    i = text.index('"generation":') + len('"generation":')
    return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]


@pytest.mark.parametrize("damage, match", [
    (lambda t: t[:len(t) // 2], r"checkpoint.json is unreadable or corrupted"),
    (_flip_digit, r"checkpoint.json fails its checksum"),
    (lambda t: t.replace('"version":3', '"version":99'), r"checkpoint.json has format version 99"),
    (lambda t: t.replace('"version":3', '"version":2', 1), r"checkpoint.json fails its checksum"),
    (lambda t: "\x00" * len(t), r"checkpoint.json is unreadable or corrupted"),
], ids=["truncated", "flipped digit", "version 99", "version 2 with a seal", "zeroed"])
def test_damaged_newest_checkpoint_falls_back(runs, part, damage, match):
    path = part / ck.CHECKPOINT
    path.write_text(damage(path.read_text()))
    _resumes_like_full(runs, part, match)


def test_missing_newest_checkpoint_falls_back(runs, part):
    (part / ck.CHECKPOINT).unlink()  # a crash between the two renames of a rotation
    _resumes_like_full(runs, part, r"checkpoint.json is missing")


def test_garbled_log_line_after_the_previous_checkpoint(runs, part):
    n = _covered_line(part)
    _edit_line(part, n, lambda line: line[:10] + b"\xff#" + line[12:])
    _resumes_like_full(runs, part, rf"events.jsonl line {n} is corrupted")


def _bump_generation(line, grow=False):
    i = line.index(b'"generation": ') + len(b'"generation": ')
    return line[:i] + (b"1" if grow else b"") + str((int(line[i:i + 1]) + 1) % 10).encode() + line[i + 1:]


@pytest.mark.parametrize("grow, match", [
    (False, r"events.jsonl lines {first}-\d+ differ from what checkpoint.json recorded \(log_sha256 mismatch"),
    (True, r"events.jsonl lines {first}-\d+ changed: the \d+ bytes checkpoint.json covers end inside line \d+"),
])
def test_changed_value_in_the_log_is_found_by_the_checksum(runs, part, grow, match):
    _edit_line(part, _covered_line(part), lambda line: _bump_generation(line, grow))
    first = _state(part, ck.PREV_CHECKPOINT)["n_events"] + 1
    _resumes_like_full(runs, part, match.format(first=first))


def test_truncated_log_after_the_previous_checkpoint(runs, part):
    size = _state(part)["log_bytes"]
    with open(part / ck.EVENTS, "r+b") as f:
        f.truncate(size - 30)
    _resumes_like_full(runs, part, r"events.jsonl was truncated at line \d+")


@pytest.mark.parametrize("damage, match", [
    ("early line", r"events.jsonl line 3 is corrupted .*; no checkpoint of .* verifies, so the run cannot be "
                   r"resumed: restore the damaged files from a backup, or start the run again"),
    ("truncated", r"events.jsonl was truncated at line 3: .*events.jsonl was truncated at line 3"),
])
def test_damage_inside_both_prefixes_is_an_error(part, damage, match):
    if damage == "early line":
        _edit_line(part, 3, lambda line: b"{" + line)
    else:
        with open(part / ck.EVENTS, "r+b") as f:
            f.truncate(len(b"".join((part / ck.EVENTS).read_bytes().split(b"\n", 2)[:2])) + 10)
    before = (part / ck.EVENTS).read_bytes()
    with pytest.raises(DataIntegrityError, match=match):
        resume(part)
    assert (part / ck.EVENTS).read_bytes() == before  # nothing was cut or rewritten
    assert not (part / ck.REJECTED_CHECKPOINT).exists()


def test_both_checkpoints_damaged_is_an_error(part):
    for name in (ck.CHECKPOINT, ck.PREV_CHECKPOINT):
        (part / name).write_text('{"version": 3, "gener')
    with pytest.raises(DataIntegrityError, match=r"checkpoint.json is unreadable .*checkpoint.prev.json is "
                                                 r"unreadable .*cannot be resumed"):
        resume(part)


def test_checkpoints_from_another_version(part):
    for name in (ck.CHECKPOINT, ck.PREV_CHECKPOINT):
        (part / name).write_text(json.dumps({"version": 7, "generation": 1}))
    with pytest.raises(FormatVersionError, match=r"checkpoint.json has format version 7; this ktnas writes "
                                                 r"version 3 and reads versions \[2, 3\].*ktnas version that wrote"):
        resume(part)
    (part / ck.CONFIG).write_text(json.dumps({"version": "0.1"}))
    with pytest.raises(FormatVersionError, match=r"config.json has format version '0.1'"):
        resume(part)


def test_version_2_run_directories_still_resume(runs, part):
    """Before checksums: config and checkpoint without seals and without log_sha256."""
    for name in (ck.CONFIG, ck.CHECKPOINT):
        obj = _state(part, name)
        obj.pop("sha256"), obj.pop("log_sha256", None)
        (part / name).write_text(json.dumps({**obj, "version": 2}))
    (part / ck.PREV_CHECKPOINT).unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RecoveryWarning)
        assert resume(part) == runs[0]
    assert _log(part) == runs[1]


def test_resume_run_handle_and_cli_report_the_recovery(runs, part, tmp_path, capsys):
    other = tmp_path / "other"
    shutil.copytree(part, other)
    (part / ck.CHECKPOINT).write_text("{")
    assert resume_point(part).path.name == ck.PREV_CHECKPOINT
    with pytest.warns(RecoveryWarning):  # issued by the worker thread
        handle = resume_run(part)
        assert handle.wait(60)
    assert handle.state == "finished" and handle.result == runs[0]
    assert len(handle.recovered) == 1 and "checkpoint.json is unreadable" in handle.recovered[0]

    (other / ck.CHECKPOINT).write_text("{")
    assert main(["resume", str(other), "--json"]) == 0
    out = capsys.readouterr()
    warning, = out.err.splitlines()
    assert warning.startswith(f"ktnas: warning: {other / ck.CHECKPOINT} is unreadable or corrupted")
    assert "resuming from checkpoint.prev.json" in warning
    assert [r["evals"] for r in json.loads(out.out)["rows"]] == [runs[0].tasks[t].n_evals for t in TASKS]


def test_no_checkpoint_at_all(part):
    for name in (ck.CHECKPOINT, ck.PREV_CHECKPOINT):
        (part / name).unlink()
    with pytest.raises(DataIntegrityError, match=r"checkpoint.json does not exist: the run ended before its first "
                                                 r"checkpoint, so there is nothing to resume"):
        resume(part)
