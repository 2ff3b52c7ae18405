"""The package's shape: layers import only downward, no module imports itself through others, the library and the
CLI's first second load nothing of the app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import clv
from clv.models.compare import PURCHASE_MODELS
from clv.settings import PURCHASE_MODEL_NAMES

PACKAGE = Path(clv.__file__).parent
APP_STACK = ("streamlit", "altair", "vl_convert", "docx", "openpyxl")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """The clv modules ``path`` imports when it is imported: module-level imports, not those under
    ``if TYPE_CHECKING:`` nor those inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clv"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("clv"))
    return found


def _import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {
            target
            for target in _runtime_imports(path)
            if target in modules and target != name and not name.startswith(target + ".")
        }
        # importing a.b.c runs a/__init__ and a/b/__init__ first, unless the importer is inside them
        packages = {".".join(t.split(".")[:k]) for t in targets for k in range(2, t.count(".") + 1)}
        graph[name] = (targets | {p for p in packages if not name.startswith(p + ".")}) - {name, "clv"}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_itself_through_others() -> None:
    graph = _import_graph()
    assert len(graph) > 90  # every module was read
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_only_the_faces_import_the_app_stack() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        if name.startswith(("clv.app", "clv.report")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [f"{name}: {n}" for n in names if n.split(".")[0] in APP_STACK]
    # the CLI's `clv app` and `clv report` reach the faces through clv.app / clv.report, inside the command
    assert offenders == []


@pytest.mark.parametrize(
    ("statement", "absent"),
    [
        ("import clv", ("pandas", "numpy", "scipy", *APP_STACK)),
        ("import clv.models", ("lightgbm", "duckdb", "sqlalchemy", *APP_STACK)),
        ("import clv.data", ("scipy", "lightgbm", *APP_STACK)),
        ("from clv.models import BetaGeo; import clv.pipeline", APP_STACK),
        ("import clv.cli", ("pandas", "numpy", "duckdb", "sqlalchemy", *APP_STACK)),
    ],
)
def test_a_fresh_interpreter_loads_only_what_it_needs(statement: str, absent: tuple[str, ...]) -> None:
    check = f"import sys; {statement}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", check], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "clv" in loaded
    assert loaded.isdisjoint(absent), sorted(loaded & set(absent))


def test_the_settings_know_the_purchase_models_by_the_models_names() -> None:
    assert tuple(PURCHASE_MODELS) == PURCHASE_MODEL_NAMES
    assert all(PURCHASE_MODELS[name]().model_type == name for name in PURCHASE_MODEL_NAMES)
