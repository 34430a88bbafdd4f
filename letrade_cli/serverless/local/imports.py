"""Resolve every import a function's code makes against what Lambda will have at run time.

Sources of modules, in the runtime's order: the function's own files (/var/task), its layers'
``python/`` trees (/opt/python), the runtime-provided packages (boto3 & co. in /var/runtime) and
the standard library **of the target runtime**: this interpreter's ``sys.stdlib_module_names``
adjusted by the tables below (``tomllib`` is not there for python3.10; ``distutils`` is gone from
python3.12), so the answer does not depend on the host's Python.

Imports guarded by ``try: ... except ImportError`` are optional and only reported; imports under
``if TYPE_CHECKING:`` are skipped. Dynamic imports with a literal name
(``importlib.import_module("x")``, ``import_module("x")``, ``__import__("x")``) are checked like
``import x``; with a computed name they cannot be checked and become a warning.
"""

from __future__ import annotations

import ast
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from letrade_cli.core.errors import ConfigError
from letrade_cli.core.files import read_utf8

RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "awslambdaric"}
)
REMOVED_IN_312 = frozenset({"distutils", "imp", "asynchat", "asyncore", "smtpd"})
REMOVED_IN_313 = REMOVED_IN_312 | frozenset(
    {
        "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "lib2to3", "mailcap",
        "msilib", "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau",
        "telnetlib", "uu", "xdrlib",
    }
)  # fmt: skip
REMOVED_IN: dict[str, tuple[int, int]] = {
    **{name: (3, 13) for name in REMOVED_IN_313 - REMOVED_IN_312},
    **{name: (3, 12) for name in REMOVED_IN_312},
}
ADDED_IN: dict[str, tuple[int, int]] = {"tomllib": (3, 11)}
DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__"})
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


class UnresolvedImportError(ConfigError):
    """A module the function imports would not be found in Lambda (exit 2)."""


@dataclass(slots=True, frozen=True)
class ImportUse:
    """One import statement: the module it needs and where it is written."""

    module: str
    file: str
    line: int
    optional: bool = False
    dynamic: bool = False

    @property
    def where(self) -> str:
        """``file:line`` of the statement."""
        return f"{self.file}:{self.line}"


@dataclass(slots=True)
class Resolution:
    """Each import and the source that satisfies it (``stdlib``, ``runtime``, ``own``, layer)."""

    resolved: dict[ImportUse, str] = field(default_factory=dict)
    missing: list[ImportUse] = field(default_factory=list)
    optional_missing: list[ImportUse] = field(default_factory=list)
    runtime: str = ""
    stdlib_from: str = ""
    warnings: list[str] = field(default_factory=list)


def stdlib_modules(runtime: str) -> frozenset[str]:
    """Top-level stdlib names of ``runtime`` (not of the interpreter running this check)."""
    version = tuple(int(p) for p in runtime.removeprefix("python").split("."))
    names = set(sys.stdlib_module_names) | set(REMOVED_IN)
    names = {n for n in names if not (n in REMOVED_IN and version >= REMOVED_IN[n])}
    return frozenset(n for n in names if not (n in ADDED_IN and version < ADDED_IN[n]))


def layer_top_level_modules(path: Path) -> set[str]:
    """Top-level importable names in a layer (a directory or a zip holding ``python/...``)."""
    names: list[str] = []
    if path.is_dir():
        for site in (path / "python", *sorted(path.glob("python/lib/python3*/site-packages"))):
            if site.is_dir():
                names.extend(p.name for p in site.iterdir())
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for entry in zf.namelist():
                parts = entry.split("/")
                if parts[0] != "python" or len(parts) < 2:
                    continue
                if len(parts) >= 5 and parts[1] == "lib" and parts[3] == "site-packages":
                    names.append(parts[4])
                else:
                    names.append(parts[1])
    return {m for m in (_module_name(n) for n in names) if m}


def _module_name(entry: str) -> str | None:
    if entry in ("__pycache__", "bin", "lib") or entry.startswith("."):
        return None
    if entry.endswith((".dist-info", ".egg-info", ".pth", ".data", ".libs")):
        return None
    if "." not in entry:
        return entry  # a package directory (regular or namespace)
    if entry.endswith((".py", ".pyc", ".so", ".pyd")):
        return entry.split(".", 1)[0]  # foo.py, foo.cpython-312-x86_64-linux-gnu.so
    return None


def function_files(source: Path) -> list[tuple[str, Path]]:
    """The function's own files as ``(archive_name, path)``: no caches, no tests."""
    if source.is_file():
        return [(source.name, source)]
    if not source.is_dir():
        raise ConfigError(f"function source {source} does not exist", hint="check source:")
    entries: list[tuple[str, Path]] = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if not path.is_file() or _excluded(rel):
            continue
        entries.append((rel.as_posix(), path))
    return entries


def _excluded(rel: Path) -> bool:
    parts = rel.parts
    if any(p in ("__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache") for p in parts):
        return True
    name = parts[-1]
    return (
        name.endswith((".pyc", ".pyo"))
        or name.startswith(("test_", "."))
        or name in ("conftest.py", "py.typed")
        or name.endswith("_test.py")
    )


def collect_imports(archive_name: str, text: str) -> list[ImportUse]:
    """Every import in a module (nested ones included); relative ones made absolute."""
    tree = ast.parse(text, filename=archive_name)
    package = _package_of(archive_name)
    uses: list[ImportUse] = []

    def visit(node: ast.AST, optional: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child, optional)
            return
        if isinstance(node, ast.Try) and _catches_import_error(node):
            for child in node.body:
                visit(child, True)
            rest: list[ast.AST] = [*node.handlers, *node.orelse, *node.finalbody]
            for part in rest:
                visit(part, optional)
            return
        if isinstance(node, ast.Call) and _dynamic_importer(node.func):
            uses.append(_dynamic_use(node, archive_name, optional))
        if isinstance(node, ast.Import):
            uses.extend(ImportUse(a.name, archive_name, node.lineno, optional) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            uses.extend(_from_uses(node, package, archive_name, optional))
        for sub in ast.iter_child_nodes(node):
            visit(sub, optional)

    visit(tree, False)
    return uses


def _dynamic_importer(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in DYNAMIC_IMPORTERS
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "import_module"
        and isinstance(func.value, ast.Name)
        and func.value.id == "importlib"
    )


def _dynamic_use(node: ast.Call, file: str, optional: bool) -> ImportUse:
    arg = node.args[0] if node.args else None
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
        if arg.value.startswith("."):  # relative to a package argument: cannot place statically
            return ImportUse("", file, node.lineno, optional, dynamic=True)
        return ImportUse(arg.value, file, node.lineno, optional, dynamic=True)
    return ImportUse("", file, node.lineno, optional, dynamic=True)


def _from_uses(
    node: ast.ImportFrom, package: str | None, file: str, optional: bool
) -> list[ImportUse]:
    if node.level == 0:
        base = node.module or ""
    else:
        parts = package.split(".") if package else []
        if package is None or node.level - 1 >= len(parts):
            # Beyond the top: Lambda imports the handler as a top-level module, with no package.
            dots = "." * node.level
            names = [node.module] if node.module else [a.name for a in node.names]
            return [ImportUse(dots + name, file, node.lineno, optional) for name in names]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, *([node.module] if node.module else [])])
    if node.level and node.module is None:
        # `from . import a, b`: each name is a submodule or an attribute of the package.
        return [ImportUse(f"{base}.{a.name}?", file, node.lineno, optional) for a in node.names]
    return [ImportUse(base, file, node.lineno, optional)]


def _package_of(archive_name: str) -> str | None:
    parts = archive_name.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts) if parts else None
    return ".".join(parts[:-1]) if len(parts) > 1 else None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(t, ast.Name) and t.id in IMPORT_ERRORS for t in types):
            return True
    return False


def resolve_imports(
    files: list[tuple[str, Path]],
    *,
    runtime: str,
    layers: dict[str, set[str]] | None = None,
) -> Resolution:
    """Match every import in ``files`` to a module source; collect the ones that fail."""
    layers = layers or {}
    own = _own_modules(name for name, _ in files)
    stdlib = stdlib_modules(runtime)
    result = Resolution(runtime=runtime, stdlib_from=f"{runtime} (host stdlib + version table)")
    for name, path in files:
        if not name.endswith(".py"):
            continue
        try:
            uses = collect_imports(name, read_utf8(path, "function source"))
        except SyntaxError as exc:
            raise ConfigError(f"{name}:{exc.lineno}: syntax error: {exc.msg}") from exc
        for use in uses:
            if use.dynamic and not use.module:
                result.warnings.append(
                    f"{use.where}: dynamic import with a computed name cannot be checked"
                )
                continue
            source = _source_of(use.module, own, stdlib, layers)
            if source is not None:
                result.resolved[use] = source
            elif use.optional:
                result.optional_missing.append(use)
            else:
                result.missing.append(use)
    return result


def _own_modules(names: object) -> set[str]:
    modules: set[str] = set()
    for name in names:  # type: ignore[attr-defined]
        if not str(name).endswith(".py"):
            continue
        parts = str(name).removesuffix(".py").split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for i in range(1, len(parts) + 1):  # packages (incl. namespace ones) and the module
            modules.add(".".join(parts[:i]))
    return modules


def _source_of(
    module: str, own: set[str], stdlib: frozenset[str], layers: dict[str, set[str]]
) -> str | None:
    if module.startswith("."):
        return None
    maybe_attribute = module.endswith("?")
    module = module.rstrip("?")
    top = module.split(".", 1)[0]
    if top in own:
        if module in own:
            return "own"
        if maybe_attribute and module.rsplit(".", 1)[0] in own:
            return "own"  # an attribute of the package's __init__ (cannot tell statically)
        return None
    if top in stdlib:
        return "stdlib"
    if top in RUNTIME_PROVIDED:
        return "runtime"
    for layer_name, names in layers.items():
        if top in names:
            return f"layer:{layer_name}"
    return None


def check_imports(resolution: Resolution, unbuilt_layers: list[str] | None = None) -> None:
    """Raise UnresolvedImportError naming each missing import and its ``file:line``.

    ``unbuilt_layers``: layers whose modules were guessed from requirement names; the error then
    says so, since the missing module may well be inside such a layer once it is built.
    """
    if not resolution.missing:
        return
    first = resolution.missing[0]
    others = ", ".join(f"{u.module} ({u.where})" for u in resolution.missing[1:])
    name = first.module.rstrip("?")
    reason = (
        "a relative import in a top-level module (Lambda imports the handler without a package)"
        if name.startswith(".")
        else f"no module '{name}' in the function, its layers, the {resolution.runtime} runtime"
        " (boto3 & co.) or the standard library"
    )
    hint = "add the file to the function, the package to a layer, or remove the import"
    if unbuilt_layers and not name.startswith("."):
        layers = ", ".join(unbuilt_layers)
        reason += f"; layer {layers} is not built, so only its requirement names were known"
        hint = f"build it first: letrade layer-build {unbuilt_layers[0]} (then package again)"
    raise UnresolvedImportError(
        f"{first.where}: import '{name}' would fail in Lambda: {reason}"
        + (f"; also: {others}" if others else ""),
        hint=hint,
    )
