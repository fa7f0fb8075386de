"""The project's own set-up files agree with each other and keep the core light."""

import json
import re
import subprocess
import sys
import tomllib

import pytest

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


def test_makefile_installs_the_torch_pin_first(repo_root):
    text = (repo_root / "Makefile").read_text()
    assert "TORCH_SPEC ?= torch==2.13.0" in text
    recipe = text[text.index("$(STAMP):"):]
    assert recipe.index("$(TORCH_SPEC)") < recipe.index('-e ".[test]"')
    assert "-m widgets.hosting --host=$(HOST)" in text and "HOST       ?= 127.0.0.1" in text
    assert "make test" in (repo_root / ".ci" / "run").read_text()


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
