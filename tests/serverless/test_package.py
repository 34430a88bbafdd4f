from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from letrade_cli.core.errors import ConfigError
from letrade_cli.serverless.local.imports import (
    UnresolvedImportError,
    collect_imports,
    layer_top_level_modules,
)
from letrade_cli.serverless.local.package import PackageTooLargeError, package_function
from letrade_cli.serverless.profile import load_lambda_profile
from tests.serverless.lambda_fixtures import write_function, write_profile

REPO = Path(__file__).resolve().parents[2]
LAMBDA_YAML = REPO / "letrade_cli" / "profiles" / "lambda.yaml"
SHIPPED = ["data-collector", "scanner", "orchestrator"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_functions_package_byte_identical_and_under_budget(
    name: str, tmp_path: Path
) -> None:
    profile = load_lambda_profile(str(LAMBDA_YAML))
    first = package_function(profile, name, out_dir=tmp_path / "a")
    second = package_function(profile, name, out_dir=tmp_path / "b")
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()
    assert first.sha256_hex == second.sha256_hex
    assert first.size_bytes <= first.budget_bytes
    with zipfile.ZipFile(first.zip_path) as zf:
        assert zf.namelist() == first.files == [profile.functions[name].source.split("/")[-1]]
    assert not any(m.startswith("letrade_cli") for mods in first.imports.values() for m in mods)


def test_data_collector_budget_is_10_kb() -> None:
    profile = load_lambda_profile(str(LAMBDA_YAML))
    assert profile.function("data-collector").package_budget_bytes == 10240


def fn(tmp_path: Path, files: dict[str, str], **spec: object):  # type: ignore[no-untyped-def]
    source = write_function(tmp_path, "fx", files)
    entry = {"source": str(source.relative_to(tmp_path)), "handler": "handler.handler", **spec}
    return write_profile(tmp_path, {"fx": entry}, **spec.pop("_extra", {}))  # type: ignore[arg-type]


def test_refuses_a_third_party_import_naming_file_and_line(tmp_path: Path) -> None:
    profile = fn(
        tmp_path,
        {
            "handler.py": """
                import json


                def handler(event, context):
                    import pyupbit
                    return json.dumps(pyupbit.get_tickers())
            """
        },
    )
    with pytest.raises(UnresolvedImportError) as info:
        package_function(profile, "fx", out_dir=tmp_path / "out")
    assert "handler.py:5: import 'pyupbit' would fail in Lambda" in str(info.value)
    assert info.value.exit_code == 2
    assert not (tmp_path / "out" / "fx.zip").exists()


def test_refuses_a_missing_local_module_and_a_top_level_relative_import(tmp_path: Path) -> None:
    profile = fn(
        tmp_path,
        {
            "handler.py": """
                from helpers import parse
                from . import sibling


                def handler(event, context):
                    return parse(event)
            """
        },
    )
    with pytest.raises(UnresolvedImportError) as info:
        package_function(profile, "fx", out_dir=tmp_path / "out")
    message = str(info.value)
    assert message.startswith("handler.py:1: import 'helpers'")
    assert "also: .sibling (handler.py:2)" in message


def test_own_modules_packages_relative_imports_and_optional_ones_resolve(tmp_path: Path) -> None:
    profile = fn(
        tmp_path,
        {
            "handler.py": """
                from typing import TYPE_CHECKING

                import boto3
                from lib import venues
                from lib.venues import upbit

                try:
                    import orjson
                except ImportError:
                    orjson = None
                if TYPE_CHECKING:
                    import mypy_boto3_s3


                def handler(event, context):
                    return upbit(), venues
            """,
            "lib/__init__.py": "",
            "lib/venues.py": "from .shared import base\n\ndef upbit():\n    return base\n",
            "lib/shared.py": "base = 1\n",
            "lib/__pycache__/venues.cpython-311.pyc": "junk",
            "tests/test_handler.py": "import pytest\n",
            "test_local.py": "import pytest\n",
        },
    )
    result = package_function(profile, "fx", out_dir=tmp_path / "out")
    assert result.files == ["handler.py", "lib/__init__.py", "lib/shared.py", "lib/venues.py"]
    assert result.imports["own"] == ["lib", "lib.shared", "lib.venues"]
    assert result.imports["runtime"] == ["boto3"]
    assert result.optional_missing == ["orjson (handler.py:8)"]


def test_layer_modules_satisfy_imports(tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    (layer / "python" / "orjson").mkdir(parents=True)
    (layer / "python" / "orjson" / "__init__.py").write_text("")
    files = {"handler.py": "import orjson\n\ndef handler(event, context):\n    return 1\n"}
    profile = fn(tmp_path, files)
    with pytest.raises(UnresolvedImportError):
        package_function(profile, "fx", out_dir=tmp_path / "out")
    result = package_function(profile, "fx", out_dir=tmp_path / "out", extra_layers=[layer])
    assert result.imports["layer:layer"] == ["orjson"]


def test_profile_layer_built_zip_is_read(tmp_path: Path) -> None:
    built = tmp_path / "build" / "layers" / "deps-python3.12-x86_64.zip"
    built.parent.mkdir(parents=True)
    with zipfile.ZipFile(built, "w") as zf:
        zf.writestr("python/fastjson/__init__.py", "")
    files = {"handler.py": "import fastjson\n\ndef handler(event, context):\n    return 1\n"}
    source = write_function(tmp_path, "fx", files)
    profile = write_profile(
        tmp_path,
        {"fx": {"source": "src/fx", "handler": "handler.handler", "layers": ["deps"]}},
        layers={"deps": {"requirements": ["something-else==1.0"]}},
    )
    assert source.is_dir()
    result = package_function(profile, "fx", out_dir=tmp_path / "out")
    assert result.imports["layer:deps"] == ["fastjson"]
    assert result.layers[0].path == built


def test_layer_top_level_modules_from_zip_and_dir(tmp_path: Path) -> None:
    archive = tmp_path / "layer.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in (
            "python/orjson/__init__.py",
            "python/orjson-3.10.7.dist-info/METADATA",
            "python/six.py",
            "python/_cffi_backend.cpython-312-x86_64-linux-gnu.so",
            "python/numpy.libs/libopenblas.so",
            "python/__pycache__/six.cpython-312.pyc",
            "python/bin/f2py",
            "python/lib/python3.12/site-packages/yaml/__init__.py",
        ):
            zf.writestr(name, "")
    expected = {"orjson", "six", "_cffi_backend", "yaml"}
    assert layer_top_level_modules(archive) == expected
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "dir")
    assert layer_top_level_modules(tmp_path / "dir") == expected


def test_removed_stdlib_modules_fail_on_newer_runtimes(tmp_path: Path) -> None:
    files = {"handler.py": "def handler(event, context):\n    import distutils\n"}
    profile = fn(tmp_path, files, runtime="python3.12")
    with pytest.raises(UnresolvedImportError, match=r"handler.py:2: import 'distutils'"):
        package_function(profile, "fx", out_dir=tmp_path / "out")


def test_over_budget_is_an_error(tmp_path: Path) -> None:
    files = {"handler.py": "def handler(event, context):\n    return 1\n", "data.txt": "x" * 5000}
    profile = fn(tmp_path, files, package_budget_bytes=100)
    with pytest.raises(PackageTooLargeError, match="over its budget of 100 bytes"):
        package_function(profile, "fx", out_dir=tmp_path / "out")


def test_missing_handler_function_is_a_config_error(tmp_path: Path) -> None:
    profile = fn(tmp_path, {"handler.py": "def main(event, context):\n    return 1\n"})
    with pytest.raises(ConfigError, match="defines no top-level 'handler'"):
        package_function(profile, "fx", out_dir=tmp_path / "out")


def test_collect_imports_nested_and_relative() -> None:
    uses = collect_imports(
        "pkg/mod.py",
        "import a.b\nfrom .c import d\nfrom .. import e\ndef f():\n    from x import y\n",
    )
    assert [(u.module, u.line) for u in uses] == [("a.b", 1), ("pkg.c", 2), ("..e", 3), ("x", 5)]


def test_cli_json_and_error_exit_code(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok = subprocess.run(
        [sys.executable, "-m", "letrade_cli", "lambda-package", "data-collector",
         "--profile", str(LAMBDA_YAML), "--out", str(out), "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["size_bytes"] == (out / "data-collector.zip").stat().st_size <= 10240
    profile = fn(tmp_path, {"handler.py": "import pyupbit\n\ndef handler(e, c):\n    return 1\n"})
    bad = subprocess.run(
        [sys.executable, "-m", "letrade_cli", "lambda-package", "fx", "--profile", profile.path,
         "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: handler.py:1: import 'pyupbit' would fail in Lambda: no module 'pyupbit' in the"
        " function, its layers, the python3.12 runtime (boto3 & co.) or the standard library"
        " — add the file to the function, the package to a layer, or remove the import"
    ]
