"""Package one function from the Lambda profile into a deterministic zip, under its budget.

Steps: collect the function's own files, check the handler exists, resolve every import (see
``imports.py``), write the zip with fixed timestamps and modes, check the size budget.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.core.files import read_utf8, write_failed
from letrade_cli.serverless.artifact import find_layer_artifact
from letrade_cli.serverless.local.abi import check_layer_abi
from letrade_cli.serverless.local.imports import (
    check_imports,
    function_files,
    layer_top_level_modules,
    resolve_imports,
)
from letrade_cli.serverless.model import LayerSource, PackageResult
from letrade_cli.serverless.profile import FunctionSpec, LambdaProfile
from letrade_cli.serverless.zipper import lambda_code_sha256, write_deterministic_zip

LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # direct-upload limit for a zipped deployment package
DEFAULT_OUT_DIR = Path("build/lambda")


class PackageTooLargeError(UsageError):
    """The zip is over its budget (exit 2: trim the function or raise the budget)."""


def function_source(profile: LambdaProfile, spec: FunctionSpec) -> Path:
    """The function's source path, resolved against the profile's base directory."""
    source = Path(spec.source)
    return source if source.is_absolute() else profile.base_dir / source


def requirement_modules(requirements: list[str]) -> set[str]:
    """Module names guessed from requirement names (``PyYAML==6`` -> ``pyyaml``, ``yaml``)."""
    names: set[str] = set()
    for line in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match:
            name = match.group(1).lower().replace("-", "_").replace(".", "_")
            names.add(name)
    return names


def function_layers(
    profile: LambdaProfile, spec: FunctionSpec, extra: list[Path] | None = None
) -> list[LayerSource]:
    """The layers a function runs with: profile layers (built or not) and extra directories."""
    layers: list[LayerSource] = []
    for ref in spec.layers:
        if ref.startswith("arn:"):
            layers.append(LayerSource(ref, None, set()))
            continue
        path = find_layer_artifact(profile, ref, spec.runtime, spec.architecture)
        if path is not None:
            check_layer_abi(ref, path, spec.runtime, spec.architecture)
            layers.append(LayerSource(ref, path, layer_top_level_modules(path)))
        else:
            layer = profile.layer(ref)
            layers.append(LayerSource(ref, None, requirement_modules(layer.requirements)))
    for path in extra or []:
        if not path.exists():
            raise ConfigError(f"layer {path} does not exist", hint="pass a directory or a zip")
        check_layer_abi(path.name, path, spec.runtime, spec.architecture)
        layers.append(LayerSource(path.name, path, layer_top_level_modules(path)))
    return layers


def package_function(
    profile: LambdaProfile,
    name: str,
    *,
    out_dir: Path = DEFAULT_OUT_DIR,
    extra_layers: list[Path] | None = None,
) -> PackageResult:
    """Build ``out_dir/NAME.zip`` for function ``name``; raise if an import or the size fails."""
    spec = profile.function(name)
    files = function_files(function_source(profile, spec))
    check_handler(spec.handler, files)
    layers = function_layers(profile, spec, extra_layers)
    resolution = resolve_imports(
        files, runtime=spec.runtime, layers={layer.name: layer.modules for layer in layers}
    )
    unbuilt = [layer.name for layer in layers if layer.path is None and layer.modules]
    check_imports(resolution, unbuilt)
    warnings = list(resolution.warnings)
    warnings += [
        f"layer {n} is not built for {spec.runtime} {spec.architecture}: its imports were checked"
        f" against its requirement names only (letrade layer-build {n})"
        for n in unbuilt
    ]
    zip_path = out_dir / f"{name}.zip"
    try:
        digest = write_deterministic_zip(files, zip_path)
    except OSError as exc:
        raise write_failed(zip_path, exc, "the package") from exc
    size = zip_path.stat().st_size
    budget = spec.package_budget_bytes or LAMBDA_ZIP_LIMIT
    by_source: dict[str, set[str]] = {}
    for use, source in resolution.resolved.items():
        by_source.setdefault(source, set()).add(use.module.rstrip("?"))
    unused = [
        layer.name
        for layer in layers
        if layer.modules and f"layer:{layer.name}" not in by_source and layer.name in spec.layers
    ]
    warnings += [
        f"layer {n}: {name} imports none of its modules, so a deploy does not attach it"
        for n in unused
    ]
    result = PackageResult(
        function=name,
        handler=spec.handler,
        runtime=spec.runtime,
        zip_path=zip_path,
        sha256_hex=digest,
        code_sha256=lambda_code_sha256(zip_path),
        size_bytes=size,
        budget_bytes=budget,
        files=[arcname for arcname, _ in files],
        imports={k: sorted(v) for k, v in sorted(by_source.items())},
        optional_missing=[f"{u.module} ({u.where})" for u in resolution.optional_missing],
        layers=layers,
        stdlib_from=resolution.stdlib_from,
        warnings=warnings,
        unused_layers=unused,
    )
    if size > budget:
        raise PackageTooLargeError(
            f"{name}: {zip_path} is {size:,} bytes, over its budget of {budget:,} bytes",
            hint="trim the function or raise package_budget_bytes in the profile",
        )
    return result


def check_handler(handler: str, files: list[tuple[str, Path]]) -> None:
    """The handler's module is one of the function's files and defines the handler function."""
    module, _, func = handler.rpartition(".")
    rel = module.replace(".", "/")
    paths = dict(files)
    path = paths.get(f"{rel}.py") or paths.get(f"{rel}/__init__.py")
    if path is None:
        raise ConfigError(
            f"handler '{handler}': no module '{module}' among the function's files",
            hint=f"files: {', '.join(sorted(paths)) or 'none'}",
        )
    tree = ast.parse(read_utf8(path, "function source"))
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    } | {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    if func not in defined:
        raise ConfigError(f"handler '{handler}': {module} defines no top-level '{func}'")
