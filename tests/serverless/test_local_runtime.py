"""Fix 2/5/7: local runs and import checks follow the function's runtime, not this machine's."""

from __future__ import annotations

import json
import platform
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from letrade_cli.cli.app import app
from letrade_cli.core.errors import ConfigError
from letrade_cli.serverless.local.abi import LayerMismatchError
from letrade_cli.serverless.local.imports import UnresolvedImportError, stdlib_modules
from letrade_cli.serverless.local.interpreter import find_interpreter
from letrade_cli.serverless.local.invoke import invoke_local
from letrade_cli.serverless.local.package import package_function
from tests.serverless.lambda_fixtures import (
    HOST_RUNTIME,
    requires_runtime,
    write_function,
    write_profile,
)
from tests.serverless.wheels import build_wheel

HOST_MACHINE = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(
    platform.machine(), platform.machine()
)
HOST_ARCH = "arm64" if HOST_MACHINE == "aarch64" else "x86_64"
OTHER_RUNTIME = "python3.13" if HOST_RUNTIME != "python3.13" else "python3.12"
VERSION_PROBE = "import sys\n\ndef handler(e, c):\n    return '%d.%d' % sys.version_info[:2]\n"


def fn(tmp_path: Path, code: str, **spec: Any):  # type: ignore[no-untyped-def]
    write_function(tmp_path, "fx", {"app.py": code})
    extra = spec.pop("_profile", {})
    entry = {"source": "src/fx", "handler": "app.handler", "runtime": HOST_RUNTIME, **spec}
    return write_profile(tmp_path, {"fx": entry}, **extra)


def layer_with_wheel(root: Path, tag: str) -> Path:
    """A layer directory holding one compiled distribution with wheel tag ``tag``."""
    wheel = build_wheel(root / "wheels", "natty", "1.0", {"natty/__init__.py": "X = 1\n"}, tag=tag)
    layer = root / "natlayer"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(layer / "python")
    return layer


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12", "python3.13"])
def test_interpreter_of_each_runtime_is_found(runtime: str) -> None:
    try:
        found = find_interpreter(runtime)
    except ConfigError:
        pytest.skip(f"no {runtime} interpreter on this machine")
    assert found.version == runtime.removeprefix("python")


@requires_runtime("python3.12")
def test_python312_function_runs_on_python312(tmp_path: Path) -> None:
    profile = fn(tmp_path, VERSION_PROBE, runtime="python3.12")
    result = invoke_local(profile, "fx", event={}, out_dir=tmp_path / "out", caller_env={})
    assert result.result == "3.12" and result.to_dict()["python_version"] == "3.12"


def test_interpreter_of_another_version_is_refused(tmp_path: Path) -> None:
    profile = fn(tmp_path, VERSION_PROBE, runtime=OTHER_RUNTIME)
    with pytest.raises(ConfigError, match=f"the function runs {OTHER_RUNTIME}"):
        invoke_local(
            profile, "fx", event={}, out_dir=tmp_path / "out", caller_env={},
            python=sys.executable,
        )  # fmt: skip
    result = CliRunner().invoke(
        app,
        ["lambda-invoke", "fx", "--local", "--profile", profile.path, "--python", sys.executable,
         "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 2 and result.stderr.count("error:") == 1
    assert "Traceback" not in result.stderr


def test_no_interpreter_for_the_runtime_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        find_interpreter(OTHER_RUNTIME, environ={"PATH": str(tmp_path), "HOME": str(tmp_path)})
    assert "looked at PATH, pyenv, uv" in info.value.message and "--python" in str(info.value.hint)


def test_layer_compiled_for_another_python_is_refused(tmp_path: Path) -> None:
    machine = HOST_MACHINE
    layer = layer_with_wheel(tmp_path, f"cp39-cp39-manylinux2014_{machine}")
    profile = fn(tmp_path, "import natty\n\ndef handler(e, c):\n    return 1\n",
                 architecture=HOST_ARCH)  # fmt: skip
    with pytest.raises(LayerMismatchError) as info:
        package_function(profile, "fx", out_dir=tmp_path / "o", extra_layers=[layer])
    assert "natty (py3.9" in info.value.message and f"runs {HOST_RUNTIME}" in info.value.message


def test_layer_for_another_architecture_is_not_run_here(tmp_path: Path) -> None:
    other_arch = "x86_64" if HOST_ARCH == "arm64" else "arm64"
    other_machine = "x86_64" if other_arch == "x86_64" else "aarch64"
    cp = "cp" + HOST_RUNTIME.removeprefix("python").replace(".", "")
    layer = layer_with_wheel(tmp_path, f"{cp}-{cp}-manylinux2014_{other_machine}")
    profile = fn(tmp_path, "import natty\n\ndef handler(e, c):\n    return 1\n",
                 architecture=other_arch)  # fmt: skip
    with pytest.raises(LayerMismatchError, match=f"compiled {other_arch} code; this machine is"):
        invoke_local(profile, "fx", event={}, out_dir=tmp_path / "out", caller_env={},
                     extra_layers=[layer])  # fmt: skip
    host_profile = fn(tmp_path, "import natty\n\ndef handler(e, c):\n    return 1\n")
    with pytest.raises(LayerMismatchError, match=f"the function runs {HOST_RUNTIME} on"):
        package_function(host_profile, "fx", out_dir=tmp_path / "o", extra_layers=[layer])


@pytest.mark.parametrize(
    ("runtime", "module", "ok"),
    [
        ("python3.10", "tomllib", False),
        ("python3.11", "tomllib", True),
        ("python3.11", "distutils", True),
        ("python3.12", "distutils", False),
        ("python3.13", "telnetlib", False),
        ("python3.12", "telnetlib", True),
    ],
)
def test_stdlib_is_the_runtimes(runtime: str, module: str, ok: bool, tmp_path: Path) -> None:
    assert (module in stdlib_modules(runtime)) is ok
    profile = fn(
        tmp_path, f"import {module}\n\ndef handler(e, c):\n    return 1\n", runtime=runtime
    )
    if ok:
        package_function(profile, "fx", out_dir=tmp_path / "o")
    else:
        with pytest.raises(UnresolvedImportError, match=f"import '{module}' would fail"):
            package_function(profile, "fx", out_dir=tmp_path / "o")


@pytest.mark.parametrize(
    "call",
    ['importlib.import_module("pyupbit")', '__import__("pyupbit")', 'import_module("pyupbit")'],
)
def test_literal_dynamic_imports_are_checked(call: str, tmp_path: Path) -> None:
    head = "import importlib\nfrom importlib import import_module\n\n\n"
    code = f"{head}def handler(e, c):\n    return {call}\n"
    profile = fn(tmp_path, code)
    with pytest.raises(UnresolvedImportError, match=r"app.py:6: import 'pyupbit' would fail"):
        package_function(profile, "fx", out_dir=tmp_path / "o")


def test_computed_dynamic_imports_warn_and_optional_ones_pass(tmp_path: Path) -> None:
    code = (
        "import importlib\n\n"
        "try:\n    fast = importlib.import_module('orjson')\n"
        "except ImportError:\n    fast = None\n\n"
        "def handler(e, c):\n    return importlib.import_module(e['name']).__name__\n"
    )
    result = package_function(fn(tmp_path, code), "fx", out_dir=tmp_path / "o")
    assert result.warnings == ["app.py:9: dynamic import with a computed name cannot be checked"]
    assert result.optional_missing == ["orjson (app.py:4)"]


def test_unbuilt_layer_is_named_when_an_import_fails(tmp_path: Path) -> None:
    code = "import pyupbit\nimport jwt\n\ndef handler(e, c):\n    return 1\n"
    deps = {"layers": {"deps": {"requirements": ["pyupbit==0.2.34"]}}}
    profile = fn(tmp_path, code, layers=["deps"], _profile=deps)
    with pytest.raises(UnresolvedImportError) as info:
        package_function(profile, "fx", out_dir=tmp_path / "o")
    assert "import 'jwt' would fail" in info.value.message
    assert "layer deps is not built" in info.value.message
    assert "letrade layer-build deps" in str(info.value.hint)
    ok = fn(tmp_path, "import pyupbit\n\ndef handler(e, c):\n    return 1\n", layers=["deps"],
            _profile=deps)  # fmt: skip
    result = package_function(ok, "fx", out_dir=tmp_path / "o")
    assert any("layer deps is not built" in w for w in result.warnings)


@requires_runtime("python3.12")
def test_python_flag_picks_that_interpreter(tmp_path: Path) -> None:
    chosen = find_interpreter("python3.12").path
    profile = fn(tmp_path, VERSION_PROBE, runtime="python3.12")
    result = CliRunner().invoke(
        app,
        ["lambda-invoke", "fx", "--local", "--profile", profile.path, "--python", chosen,
         "--out", str(tmp_path / "out"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["python"] == chosen and data["result"] == "3.12"
