"""The project's own set-up files agree with each other and keep the core light."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

UI_AND_HEAVY = ("ipywidgets", "plotly", "IPython", "traitlets", "widgets", "torch", "umap", "sklearn")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_pyproject_dependencies(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    declared = {_name(r): r.replace(" ", "") for r in project["dependencies"]}
    pip_section, in_pip = [], False
    for line in (repo_root / "environment.yml").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("- pip:"):
            in_pip = True
            continue
        if in_pip and stripped.startswith("- ") and line.startswith("      "):
            pip_section.append(stripped[2:].strip())
        elif in_pip and stripped:
            in_pip = False
    conda_pip = {_name(r): r.replace(" ", "") for r in pip_section if not r.startswith("-e")}
    assert conda_pip == declared, "environment.yml and pyproject.toml list different dependencies"
    assert "-e ." in pip_section
    assert "python>=3.10" in (repo_root / "environment.yml").read_text()
    required = {"jupyterlab", "voila", "ipywidgets", "anywidget", "plotly", "torch", "networkx",
                "umap-learn", "scikit-learn", "numpy", "scipy"}
    assert required <= set(declared)


def test_pyproject_declares_packages_script_and_test_extra(repo_root):
    meta = tomllib.loads((repo_root / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "ktnas"
    assert meta["project"]["scripts"]["ktnas"] == "ktnas_core.cli:main"
    assert {"pytest", "hypothesis", "playwright"} <= {_name(r) for r in meta["project"]["optional-dependencies"]["test"]}
    assert meta["tool"]["setuptools"]["packages"]["find"]["include"] == ["ktnas_core*", "widgets*"]


def test_makefile_installs_the_lock_then_the_torch_pin(repo_root):
    text = (repo_root / "Makefile").read_text()
    assert "TORCH_SPEC  ?= torch==2.13.0" in text and "LOCK        := requirements-lock.txt" in text
    recipe = text[text.index("$(STAMP):"):].split("\n\n")[0]
    steps = [line.strip() for line in recipe.splitlines()[1:]]
    assert steps[0].endswith("--require-hashes --no-deps -r $(LOCK)")
    assert steps[1].endswith("$(TORCH_SPEC)") and "--no-deps --no-build-isolation -e ." in steps[2]
    assert steps[3] == "$(BIN)/pip check"
    assert "-m widgets.hosting --host=$(HOST)" in text and "HOST        ?= 127.0.0.1" in text
    ci = (repo_root / ".ci" / "run").read_text()
    assert "make test" in ci and "--durations=25" in ci and "test-latest" not in ci


def _lock(repo_root) -> dict[str, tuple[str, set[str]]]:
    """requirements-lock.txt as {name: (version, {what it is there for})}."""
    pins: dict[str, tuple[str, set[str]]] = {}
    name = None
    for line in (repo_root / "requirements-lock.txt").read_text().splitlines():
        if re.match(r"^[A-Za-z0-9]", line):
            name, version = line.split(" ")[0].split("==")
            name = canonicalize_name(name)
            pins[name] = (version, set())
        elif name and line.strip().startswith("#") and "via" not in line and line.startswith("    #   "):
            pins[name][1].add(line.strip("# ").strip())
        elif name and line.strip().startswith("# via "):
            pins[name][1].add(line.strip()[len("# via "):].strip())
        elif not line.startswith(" "):
            name = None
    return pins


def test_the_lock_pins_exactly_what_pyproject_declares(repo_root):
    from packaging.requirements import Requirement

    meta = tomllib.loads((repo_root / "pyproject.toml").read_text())
    declared = [Requirement(r) for r in meta["project"]["dependencies"] + meta["project"]["optional-dependencies"]["test"]]
    pins = _lock(repo_root)
    direct = {name for name, (_, via) in pins.items() if "ktnas (pyproject.toml)" in via}
    assert direct == {canonicalize_name(r.name) for r in declared} - {"torch"}, "run `make lock`: pyproject.toml and the lock differ"
    for requirement in declared:
        if requirement.name != "torch":
            version = pins[canonicalize_name(requirement.name)][0]
            assert requirement.specifier.contains(version), f"{requirement.name}=={version} is outside {requirement}"
    assert "torch" not in pins  # TORCH_SPEC picks the build; the lock holds its dependencies
    assert {"sympy", "filelock", "jinja2", "fsspec"} <= set(pins) and not any(n.startswith("nvidia") for n in pins)
    assert "setuptools" in pins  # the build backend, for the --no-build-isolation editable install
    text = (repo_root / "requirements-lock.txt").read_text()
    hashed = re.findall(r"^([A-Za-z0-9._-]+)==\S+ \\\n    --hash=sha256:[0-9a-f]{64}", text, flags=re.M)
    assert len(hashed) == len(pins), "every pin carries its hashes"


def test_environment_installed_from_the_lock_matches_it(repo_root):
    """The environment `make test` built holds every pin of the lock (skipped in `make test-latest`)."""
    from importlib.metadata import version

    stamp = Path(sys.prefix) / ".ktnas-installed"
    if not stamp.is_file() or stamp.read_text().strip() != "lock":
        pytest.skip(f"{sys.prefix} was not installed from the lock by make")
    wrong = {name: (pin, version(name)) for name, (pin, _) in _lock(repo_root).items() if version(name) != pin}
    assert not wrong, f"installed versions differ from the lock (run `make install`): {wrong}"


def test_import_ktnas_core_is_light():
    code = (
        "import sys, json, ktnas_core, ktnas_core.spaces, ktnas_core.benchmarks, ktnas_core.disorder, "
        "ktnas_core.cli, ktnas_core.errors, ktnas_core.search\n"
        "ktnas_core.benchmarks.load('nb201')\n"
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = {m.split(".")[0] for m in json.loads(out)}
    assert not loaded & set(UI_AND_HEAVY), loaded & set(UI_AND_HEAVY)


def test_no_module_imports_ui_or_torch_at_import_time():
    code = (
        "import sys, json, ktnas_core.embedding, ktnas_core.predictors, ktnas_core.networks, "
        "ktnas_core.zero_cost, ktnas_core.transfer_rank, ktnas_core.graphs\n"
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = {m.split(".")[0] for m in json.loads(out)}
    assert not loaded & {"ipywidgets", "plotly", "IPython", "traitlets", "widgets", "torch", "umap"}


@pytest.mark.parametrize("name", ["spaces", "benchmarks", "disorder", "errors", "cli", "graphs", "embedding",
                                  "transfer_rank", "predictors", "search", "networks", "zero_cost"])
def test_lazy_submodules(name):
    import ktnas_core

    assert getattr(ktnas_core, name).__name__ == f"ktnas_core.{name}"
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        ktnas_core.nope
