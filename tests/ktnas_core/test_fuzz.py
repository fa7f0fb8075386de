"""Property-based tests: random text, numbers and configurations get a ktnas result or a typed error.

Whatever the input, the parsers, constructors, ``resume`` and the ``ktnas`` command answer with a
result or with a subclass of :class:`~ktnas_core.errors.KtnasError` (the command: exit status 2 and one
line ``ktnas: error: ...``), never another exception, never a hang (each test has a timeout), and a
refused ``ktnas run`` leaves no files behind.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import shutil
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktnas_core import benchmarks
from ktnas_core.cli import main
from ktnas_core.errors import KtnasError, ParameterError
from ktnas_core.runs import checkpoint as ck
from ktnas_core.search import TableEvaluator, make_strategy, resume, run_search
from ktnas_core.evaluation import evaluator_from_config
from ktnas_core.search.evolution import MultiTaskEvolution
from ktnas_core.search.multitask import MultiTaskStrategy
from ktnas_core.runs.runner import resume_run, run_status
from ktnas_core.spaces import get_space

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
SPACES = ("nb201", "tnb101_micro", "darts")

#: any JSON-like value, small
values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                   max_size=3), max_leaves=6)
finite_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                             | st.text(max_size=12), lambda inner: st.lists(inner, max_size=3), max_leaves=4)


def _typed_or_result(call, *args, **kwargs):
    """The call's result, or None when it raised a KtnasError (anything else fails the test)."""
    try:
        return call(*args, **kwargs)
    except KtnasError:
        return None


# -- architecture strings --------------------------------------------------------------------------
def _valid_string(space, seed):
    return str(space.sample(np.random.default_rng(seed)))


@st.composite
def near_cells(draw, space):
    """A valid cell string with a few random edits (characters of cell strings, mostly)."""
    text = _valid_string(space, draw(st.integers(0, 2**32 - 1)))
    alphabet = st.sampled_from(sorted(set(text)) + [" ", "~", "|", "+", ";", ":", "9", "-", "\n", "é"])
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "replace"]))
        c = draw(alphabet)
        text = (text[:i] + c + text[i:] if how == "insert" else text[:i] + text[i + 1:] if how == "delete"
                else text[:i] + c + text[i + 1:])
    return text


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", SPACES)
@FUZZ
@given(data=st.data())
def test_parse_gives_a_cell_or_an_invalid_architecture_error(name, data):
    space = get_space(name)
    text = data.draw(near_cells(space) | st.text(max_size=60) | values)
    arch = _typed_or_result(space.parse, text)
    if arch is not None:
        assert space.parse(str(arch)) == arch == space.coerce(str(arch))
    _typed_or_result(space.coerce, text)


@FUZZ
@given(values | st.sampled_from(["nb201", "tnb101_micro", "darts", "NB201", " nb201"]))
def test_unknown_spaces_and_benchmarks(name):
    assert _typed_or_result(get_space, name) is None or name in SPACES
    assert _typed_or_result(benchmarks.load, name) is None or name in benchmarks.BENCHMARKS


# -- strategies and evaluators ---------------------------------------------------------------------------
#: keyword arguments of MultiTaskEvolution, with a few allowed values each (and anything else)
KNOBS = {"population_size": [2, 10], "tournament_size": [1, 3], "n_offspring": [None, 4], "mutation_rate": [0.5],
         "crossover_rate": [0.0, 1.0], "selection": ["elitist", "aging"], "transfer": ["rank", "none", "best"],
         "n_transfer": [1, 4], "top": [0.2, 1.0], "window": [1, 5], "skip_nonpositive": [False, True],
         "embedding": ["onehot", "path", "node2vec"], "rmp": [0.0, 0.3], "warmup": ["random", "zero_cost"],
         "warmup_pool": [10, 1000], "screen": [None, "predictor"], "screen_pool": [2], "screen_min": [2, 10],
         "predictor": ["gp"], "predictor_embedding": ["onehot"], "fresh_transfers": [True],
         "sources": [None, ["cifar10"], ["cifar100"], []], "targets": [None, ["cifar10"], ["ImageNet16-120"]],
         "random_state": [None, 0, -1], "name": ["x", ""]}


@st.composite
def knobs(draw):
    keys = draw(st.lists(st.sampled_from(sorted(KNOBS)), max_size=4, unique=True))
    return {k: draw(st.sampled_from(KNOBS[k]) | values) for k in keys}


@pytest.mark.timeout(120)
@FUZZ
@given(st.sampled_from(["ktnas", "rea", "random", "emtnas", "predictor", "no-transfer"]) | values,
       st.sampled_from(SPACES) | values,
       st.sampled_from([["cifar10", "cifar100"], ["cifar10"], []]) | values, knobs())
def test_make_strategy_and_multi_task_evolution(name, space, tasks, kwargs):
    made = _typed_or_result(make_strategy, name, space, tasks, **kwargs)
    assert made is None or isinstance(made, MultiTaskStrategy)
    made = _typed_or_result(MultiTaskEvolution, "nb201", ["cifar10", "cifar100", "ImageNet16-120"], **kwargs)
    if made is not None:
        assert made.get_params()["population_size"] == made.population_size


@FUZZ
@given(values | st.fixed_dictionaries(
    {"kind": st.sampled_from(["table", "train", "supernet", "Table"]) | values},
    optional={"benchmark": st.sampled_from(["nb201", "tnb101_micro", "darts"]) | values,
              "metric": st.sampled_from([None, "valid_accuracy", "train_time", "flops", "bogus"]) | values}))
def test_evaluator_from_config(config):
    ev = _typed_or_result(evaluator_from_config, config)
    if isinstance(ev, TableEvaluator):
        task = ev.benchmark.tasks[0]
        scored = _typed_or_result(ev.evaluate, [0, 1], task)
        assert scored is None or len(scored) == 2


def test_a_task_does_not_transfer_to_itself():
    with pytest.raises(ParameterError, match=r"targets \['cifar10'\] have no source but themselves "
                                             r"\(sources=\['cifar10'\]\); a task does not transfer to itself"):
        MultiTaskEvolution("nb201", ["cifar10", "cifar100"], sources=["cifar10"], targets=["cifar10", "cifar100"])
    with pytest.raises(ParameterError, match=r"targets \['cifar10'\] have no source but themselves"):
        make_strategy("ktnas", "nb201", ["cifar10"], sources=["cifar10"])
    with pytest.raises(ParameterError, match=r"have no source but themselves \(sources=\[\]\)"):
        make_strategy("ktnas", "nb201", ["cifar10", "cifar100"], sources=[])
    with pytest.raises(ParameterError, match=r"targets=False must be a list of the run's tasks"):
        make_strategy("ktnas", "nb201", ["cifar10", "cifar100"], targets=False)
    # allowed: a source that also receives from others; no transfer at all; the default roles
    make_strategy("ktnas", "nb201", ["cifar10", "cifar100"], sources=["cifar10"])
    make_strategy("no-transfer", "nb201", ["cifar10"], sources=["cifar10"], targets=["cifar10"])
    make_strategy("ktnas", "nb201", ["cifar10"])


@pytest.mark.parametrize("call, match", [
    (lambda: benchmarks.load(["nb201"]), r"benchmark \['nb201'\] is not shipped; choose one of"),
    (lambda: make_strategy("ktnas", {"a": 1}, ["cifar10"]), r"space \{'a': 1\} has no preset"),
    (lambda: make_strategy("ktnas", "nb201", 5), r"tasks=5 must be a non-empty list of task names"),
    (lambda: make_strategy(["ktnas"], "nb201", ["cifar10"]), r"strategy \['ktnas'\] is not known"),
    (lambda: make_strategy("rea", "nb201", ["cifar10"], crossover_rate=0.5),
     r"crossover_rate is not a parameter of strategy 'rea'; choose from \['population_size', 'tournament_size', "),
    (lambda: make_strategy("ktnas", "nb201", ["cifar10"], tasks=["a"], bogus=1),
     r"bogus, tasks are not parameters of strategy 'ktnas'; choose from \['name', 'population_size'"),
    (lambda: evaluator_from_config({"kind": "table"}), r"benchmark=None is not a Benchmark"),
    (lambda: evaluator_from_config({"kind": "train"}), r"evaluator config \{'kind': 'train'\} cannot be rebuilt"),
])
def test_gaps_found_by_fuzzing(call, match):
    with pytest.raises(KtnasError, match=match):
        call()


def test_make_strategy_passes_a_name_override_to_the_strategy():
    assert make_strategy("ktnas", "nb201", ["cifar10", "cifar100"], name="mine").label == "mine"


# -- resume on damaged run directories ---------------------------------------------------------------
@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "run"
    run_search(make_strategy("ktnas", "nb201", ["cifar10", "cifar100"]), TableEvaluator("nb201"), max_generations=3,
               seed=0, run_dir=path, checkpoint_seconds=0)
    return path


def _paths(obj, prefix=()):
    """Every key path of a JSON value."""
    yield prefix
    items = obj.items() if isinstance(obj, dict) else enumerate(obj[:3]) if isinstance(obj, list) else ()
    for k, v in items:
        yield from _paths(v, prefix + (k,))


@st.composite
def damage(draw, template):
    """(file name, new bytes): random bytes or JSON, or the file with one value changed and sealed again."""
    name = draw(st.sampled_from([ck.CONFIG, ck.CHECKPOINT, ck.PREV_CHECKPOINT, ck.EVENTS]))
    how = draw(st.sampled_from(["bytes", "json", "edit", "edit"]))
    if how == "bytes":
        return name, draw(st.binary(max_size=100))
    if how == "json":
        return name, json.dumps(draw(values)).encode()
    lines = (template / name).read_text().splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    obj = json.loads(lines[i])
    if name != ck.EVENTS:
        obj.pop("sha256", None)
    *where, key = draw(st.sampled_from(list(_paths(obj))[1:]))
    parent = obj
    for k in where:
        parent = parent[k]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[key]
    else:
        parent[key] = draw(values if name == ck.EVENTS else finite_values)  # a seal needs finite numbers
    lines[i] = json.dumps(obj if name == ck.EVENTS else ck.seal(obj))
    return name, ("\n".join(lines) + "\n").encode()


@pytest.mark.timeout(240)
def test_resume_of_a_damaged_run_directory(template, tmp_path):
    counter = itertools.count()

    @FUZZ
    @given(st.data())
    def check(data):
        run = tmp_path / f"r{next(counter)}"
        shutil.copytree(template, run)
        name, content = data.draw(damage(template))
        (run / name).write_bytes(content)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # RecoveryWarning: recovered from the damage
            _typed_or_result(run_status, run)
            handle = _typed_or_result(resume_run, run)
            if handle is not None:
                assert handle.wait(60)
                assert handle.error is None or isinstance(handle.error, KtnasError), repr(handle.error)
            _typed_or_result(resume, run)
        for argv in (["report", str(run), "--json"], ["resume", str(run), "--json"]):
            status, err = _cli(argv)
            assert status == 0 or (status == 2 and err.startswith("ktnas: error: ") and err.count("\n") == 1), err

    check()


# -- the command line ------------------------------------------------------------------------------------
def _cli(argv):
    """(exit status, stderr) of ``ktnas argv``; an argparse error is status 2 with its own message."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as e:  # argparse: usage line, then "ktnas <command>: error: ..."
            assert e.code == 2 and err.getvalue().splitlines()[-1].startswith("ktnas ")
            assert ": error: " in err.getvalue().splitlines()[-1]
            return 2, "ktnas: error: (argparse)\n"
    return status, err.getvalue()


small = st.integers(-2, 12).map(str)
numbers = st.one_of(small, small, small, st.integers().map(str), st.text(max_size=8),
                    st.sampled_from(["1e3", "0x10", " 5", "nan", "", "٣", "-0"]))
task_lists = st.one_of(st.sampled_from(["cifar10", "cifar10,cifar100", "cifar100,ImageNet16-120", "class_object",
                                        "cifar10,cifar10", "cifar10,", " cifar10", "ImageNet16-120,cifar10"]),
                       st.lists(st.sampled_from(["cifar10", "cifar100", "x", ""]), max_size=3).map(",".join),
                       st.text(max_size=10))
OUTS = ["o", "a b", "ü", "sub/../o", "afile", "afile/sub", "x" * 300, "deep/er/o", "o\x00x", "-o", "nonempty"]


@pytest.mark.timeout(240)
def test_cli_run_with_random_flags(tmp_path):
    counter = itertools.count()

    @FUZZ
    @given(st.sampled_from(["nb201", "nb201", "nb201", "tnb101_micro", "darts", "x"]), task_lists,
           st.sampled_from(["ktnas", "rea", "random", "emtnas", "best-transfer", "no-transfer", "", "REA"])
           | st.text(max_size=8),
           st.fixed_dictionaries({}, optional={**dict.fromkeys(["--budget", "--population", "--seed", "--tournament",
                                                                "--max-generations"], numbers),
                                               "--sources": task_lists, "--targets": task_lists}),
           st.sampled_from(OUTS) | st.text(st.characters(blacklist_characters="/\x00"), min_size=1, max_size=10))
    def check(benchmark, tasks, strategy, flags, out):
        base = tmp_path / f"b{next(counter)}"
        base.mkdir()
        (base / "afile").write_text("keep")
        (base / "nonempty").mkdir()
        (base / "nonempty" / "mine.txt").write_text("keep")
        argv = ["run", "--benchmark", benchmark, "--tasks", tasks, "--strategy", strategy, "--out", str(base / out)]
        argv += [] if "--max-generations" in flags else ["--max-generations", "2"]  # valid runs end quickly
        status, err = _cli(argv + [x for kv in flags.items() for x in kv] + ["--json"])
        assert status in (0, 2), (status, err)
        if status == 2:
            assert err.startswith("ktnas: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
            assert (base / "afile").read_text() == "keep"
            assert [p.name for p in (base / "nonempty").iterdir()] == ["mine.txt"]
            for p in base.rglob("*"):  # whatever the command made is empty
                assert p.is_dir() or p.name in ("afile", "mine.txt"), p

    check()


@pytest.mark.parametrize("argv, message", [
    (["run", "--benchmark", "nb201", "--tasks", "cifar10", "--strategy", "rea", "--out", "x" * 300],
     "--out '" + "x" * 300 + "' is not a usable path (File name too long)"),
    (["run", "--benchmark", "nb201", "--tasks", "cifar10", "--strategy", "rea", "--out", "a\x00b"],
     "cannot create --out 'a\\x00b': embedded null byte"),
    (["resume", "x" * 300], "run directory '" + "x" * 300 + "' is not a usable path (File name too long)"),
    (["report", "a\x00b"], "run directory 'a\\x00b' does not exist"),
])
def test_unusable_paths_are_one_line_errors(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _cli(argv) == (2, f"ktnas: error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_run_into_a_path_under_a_file(tmp_path):
    (tmp_path / "afile").write_text("keep")
    status, err = _cli(["run", "--benchmark", "nb201", "--tasks", "cifar10", "--strategy", "rea", "--out",
                        str(tmp_path / "afile" / "run")])
    assert status == 2 and err.startswith(f"ktnas: error: cannot create --out {str(tmp_path / 'afile' / 'run')!r}")
    assert (tmp_path / "afile").read_text() == "keep"


def test_library_run_dir_errors_are_typed(tmp_path):
    (tmp_path / "afile").write_text("keep")
    for bad in (tmp_path / "afile" / "run", tmp_path / ("x" * 300)):
        with pytest.raises(ParameterError, match=r"run_dir .* (cannot be written|is not usable)"):
            run_search(make_strategy("rea", "nb201", ["cifar10"]), TableEvaluator("nb201"), budget=3, run_dir=bad)
