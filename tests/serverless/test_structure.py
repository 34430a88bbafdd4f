"""The serverless package's shape: deploy/, local/ and layer/ import each other in no circle.

Every import of every module under ``letrade_cli/serverless`` is read with ``ast`` (function-level
imports too, so a lazy import cannot hide a circle). The modules at the package's top level
(``artifact``, ``environment``, ``profile``, ``model``, ...) are shared by the subpackages and
import none of them. Only ``letrade_cli/cli`` imports Typer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import letrade_cli.serverless

PACKAGE = "letrade_cli.serverless"
ROOT = Path(letrade_cli.serverless.__file__).resolve().parent
SUBPACKAGES = ("deploy", "layer", "local")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute (``from X import y`` counts as X and X.y)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _owner(module: str) -> str | None:
    """``deploy``/``layer``/``local`` for a module of that subpackage, ``""`` for a shared one."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    rest = module.removeprefix(PACKAGE).lstrip(".").split(".")
    return rest[0] if rest[0] in SUBPACKAGES else ""


def _edges() -> dict[str, set[str]]:
    """Subpackage (or ``""``: the shared modules) -> the subpackages its modules import."""
    edges: dict[str, set[str]] = {name: set() for name in ("", *SUBPACKAGES)}
    for path in sorted(ROOT.rglob("*.py")):
        owner = _owner(_module_name(path))
        assert owner is not None
        for module in _imports(path):
            target = _owner(module)
            if target and target != owner:
                edges[owner].add(target)
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle in the graph, as the list of nodes along it, or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":  # on the current path: a circle
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_cycle_finder_sees_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_import_parser_sees_known_imports() -> None:
    assert "layer" in _edges()["deploy"]  # deploy/function.py: layer.publish.latest_version_arn
    assert f"{PACKAGE}.aws" in _imports(ROOT / "steps.py")  # imported inside a function


def test_serverless_subpackages_import_no_circle() -> None:
    edges = _edges()
    sub = {k: v for k, v in edges.items() if k}
    assert _cycle(sub) is None, f"import circle among serverless subpackages: {sub}"


def test_shared_serverless_modules_import_no_subpackage() -> None:
    assert _edges()[""] == set()


def test_only_the_cli_imports_typer() -> None:
    package = ROOT.parent
    for path in sorted(package.rglob("*.py")):
        if path.is_relative_to(package / "cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "typer" for n in names), path
