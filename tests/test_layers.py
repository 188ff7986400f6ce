"""The package's floor plan, computed from its own imports with `ast`.

Every import counts (module level or inside a function; only `if TYPE_CHECKING:`
blocks are left out, as they never run): no module imports itself back through
others (no circle), and no folder imports one on a higher floor. `FLOORS` is the
plan docs/design.md draws; a new folder or top-level module must take a floor here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "recipe_compiler"

# lowest first; a unit (a folder or a top-level module) may import its own folder
# and any unit on a lower floor, never one on its floor or above
FLOORS = [
    ["problems", "fileio", "_text", "torch_compat"],
    ["hardware", "modifiers"],
    ["loader"],
    ["schedule", "model"],
    ["dialects"],
    ["linter"],
    ["edit"],
    ["views"],
    ["deploy", "planner"],
    ["runner"],
    ["doctor", "lsp"],
    ["__init__"],
    ["cli"],
    ["_console"],
]
FLOOR = {unit: i for i, units in enumerate(FLOORS) for unit in units}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (a name imported from a package
    counts as its submodule when it is one)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_nodes(tree)
        is_package = path.name == "__init__.py"
        found: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")[: None if is_package else -1]
                    base = base[: len(base) - node.level + 1]
                    origin = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    origin = node.module or ""
                for a in node.names:
                    sub = f"{origin}.{a.name}"
                    found.add(sub if sub in modules else origin)
        targets = set()
        for target in found:
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


GRAPH = imports(_modules())


def test_every_unit_has_a_floor():
    assert {unit(m) for m in GRAPH} - set(FLOOR) == set()


def test_no_import_circle():
    assert circles(GRAPH) == []


def test_no_import_from_a_lower_floor_to_a_higher_one():
    upward = sorted(
        f"{a} -> {b}"
        for a, targets in GRAPH.items()
        for b in targets
        if unit(a) != unit(b) and FLOOR[unit(b)] >= FLOOR[unit(a)]
    )
    assert upward == []


def test_the_graph_sees_function_level_imports_and_skips_type_checking(tmp_path):
    """The checks above can fail: a function-level import and a circle through
    one are found; an import under TYPE_CHECKING is not."""
    pkg = tmp_path / "recipe_compiler"
    (pkg / "loader").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "loader" / "__init__.py").write_text("")
    (pkg / "problems.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .cli import x\n"
        "def f():\n    from .loader import a\n"
    )
    (pkg / "loader" / "a.py").write_text("from .. import problems\n")
    (pkg / "cli.py").write_text("")
    mods = {}
    for path in pkg.rglob("*.py"):
        parts = list(path.relative_to(tmp_path).with_suffix("").parts)
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = imports(mods)
    assert graph["recipe_compiler.problems"] == {"recipe_compiler.loader.a"}
    assert circles(graph) == [["recipe_compiler.loader.a", "recipe_compiler.problems"]]


def test_top_level_modules_are_few():
    flat = [
        p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")
    ]
    assert len(flat) <= 8, flat


def test_every_folder_says_what_it_holds_and_may_import():
    for init in PACKAGE.rglob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "May import:" in doc, init.parent.name


@pytest.mark.parametrize(
    "argv",
    [
        ["lint", "recipes", "--model", "yolov5s", "--target-cpu", "auto"],
        ["rescale", "recipes/yolov5s-gmp.md", "--epochs", "300"],
        ["plan", "recipes/yolov5s-gmp.md", "--steps-per-epoch", "100"],
        ["show", "recipes/yolov5s-gmp.md", "--model", "yolov5s"],
    ],
)
def test_the_lint_path_imports_nothing_of_the_runner(argv, tmp_path):
    """In a fresh interpreter: lint, rescale, plan and show leave the runner, torch,
    sparseml and deepsparse unimported."""
    code = (
        "import sys\n"
        "from recipe_compiler.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, 1), e.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'sparseml', 'deepsparse') or m.startswith('recipe_compiler.runner'))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines()[-1] == "HEAVY []"


def test_a_lint_without_model_or_target_imports_no_rule_that_needs_them():
    """The registry skips a rule whose needs are not met before importing it, so
    `recipe lint` without --model or --target-cpu loads no model or sweep code."""
    code = (
        "import sys\n"
        "from recipe_compiler.cli import main\n"
        "try:\n"
        "    main(['lint', 'recipes/yolov5s-gmp.md'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(("
        "'recipe_compiler.linter.rules.rc5', 'recipe_compiler.linter.rules.rc6', "
        "'recipe_compiler.model.', 'recipe_compiler.hardware.')))\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines()[-1] == "LOADED []"
