"""The notebooks stay thin (imports plus one builder call) and execute headless without error."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_expected_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == ["01_ranking_disorder.ipynb", "02_architecture_embeddings.ipynb",
                                           "03_multitask_search.ipynb", "app.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_and_stripped(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1, "one code cell: imports and one call that builds the view"
    for cell in code:
        assert not cell.outputs and cell.execution_count is None, "outputs must be stripped before commit"
        body = ast.parse(cell.source).body
        imports = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom))]
        calls = [s for s in body if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)]
        assert len(imports) + len(calls) == len(body) and len(calls) == 1
        assert all(isinstance(s, ast.ImportFrom) and s.module.split(".")[0] == "widgets" for s in imports)
        assert not calls[0].value.args or all(isinstance(a, ast.Constant) for a in calls[0].value.args)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, monkeypatch, tmp_path):
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.chdir(tmp_path)  # a search started by a lesson writes its runs here, not in the repo
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1, "the builder's widget is displayed"
