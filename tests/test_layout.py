"""The package layout of docs/architecture.md, checked on the source: no import circle inside ktnas_core,
arrows only downward between its layers, and no widget that imports the command line.

The import graph is read with ``ast`` from every ``.py`` file, and it counts *every* import statement,
at module level or inside a function: a function-level import still ties the two modules together
(it is how the circles this test guards against used to hide).  One kind is left out: an import,
inside a function, of a package that encloses the module (``from . import get_space`` in
``ktnas_core.spaces.cell``): the package has finished importing before any function of its submodules
runs, so it cannot close a circle; at module level it would count.  ``from ktnas_core.x import name``
counts as an edge to ``ktnas_core.x.name`` when that is a module, else to ``ktnas_core.x``.
What it does not see are names looked up by string at run time: the lazy ``__getattr__`` of
``ktnas_core`` (its submodules) and of ``ktnas_core.search`` (the run names it re-exports for the
public API).  Those load only when a caller asks for the name, after both packages have been imported,
so they cannot make an import circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: layers from the top down: a module may import its own layer and the layers below it, never one above
LAYERS = ("ktnas_core.cli", "ktnas_core.experiments", "ktnas_core.runs", "ktnas_core.search",
          "ktnas_core.evaluation", "ktnas_core")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: str) -> dict[str, set[str]]:
    """module -> the ktnas_core modules it imports (every import statement, relative ones resolved)."""
    files = {module_name(p): p for p in (ROOT / package).rglob("*.py")}
    known = {module_name(p) for p in (ROOT / "ktnas_core").rglob("*.py")}
    graph = {}
    for name, path in files.items():
        base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        edges = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for n in ast.walk(f) if n is not f}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name.split(".")[0] == "ktnas_core"}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parent = base[:len(base) - node.level + 1]
                    target = ".".join(parent + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "ktnas_core":
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    dest = sub if sub in known else target
                    if id(node) not in in_function or not name.startswith(dest + "."):
                        edges.add(dest)
        graph[name] = edges - {name}
    return graph


def layer(module: str) -> int:
    return next(i for i, top in enumerate(LAYERS) if module == top or module.startswith(top + "."))


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


@pytest.fixture(scope="module")
def graph():
    return import_graph("ktnas_core")


def test_the_graph_sees_function_level_and_relative_imports(graph):
    assert "ktnas_core.evaluation.training" in graph["ktnas_core.evaluation.rebuild"]  # inside a function
    assert "ktnas_core.runs.checkpoint" in graph["ktnas_core.runs.driver"]  # from . import checkpoint as ck
    assert "ktnas_core.search.events" in graph["ktnas_core.runs.trace"]


def test_find_cycle_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circle_in_ktnas_core(graph):
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_arrows_run_down_the_layers(graph):
    upward = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets if layer(b) < layer(a))
    assert not upward, f"imports of a higher layer ({' > '.join(LAYERS)}): {upward}"


def test_no_widget_imports_the_command_line():
    offenders = sorted(f"{name} -> {b}" for name, targets in import_graph("widgets").items() for b in targets
                       if b == "ktnas_core.cli" or b.startswith("ktnas_core.cli."))
    assert not offenders, f"widgets must use the core's API, not the CLI: {offenders}"


def test_the_core_imports_no_widget():
    for path in (ROOT / "ktnas_core").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
        assert not {m for m in names if m.split(".")[0] == "widgets"}, path
