"""layer-build: real pip against a wheelhouse built by the tests (no index, no network)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from letrade_cli.cli.app import app
from letrade_cli.core.errors import LetradeError
from letrade_cli.serverless.layer.build import LayerRequest, LayerTooLargeError, build_layer
from letrade_cli.serverless.layer.pip import (
    NoWheelForPlatformError,
    PipResult,
    pip_failure,
    pip_install_args,
    platform_tags,
)

try:
    from tests.serverless.wheels import build_test_wheelhouse, build_wheel
except ImportError:  # tests/ not a package: pytest put this directory on sys.path
    from wheels import build_test_wheelhouse, build_wheel  # type: ignore[no-redef]

runner = CliRunner()


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_test_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LETRADE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _reqs(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cli(wheelhouse: Path, reqs: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    args = ["layer-build", "deps", "--requirements", str(reqs), "--no-index"]
    args += ["--find-links", str(wheelhouse), "--out", str(out), "--profile", "nope.yaml", *extra]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("arch", "machine"), [("x86_64", "x86_64"), ("arm64", "aarch64")])
def test_arch_picks_that_platforms_wheel(
    wheelhouse: Path, tmp_path: Path, arch: str, machine: str
) -> None:
    reqs = _reqs(tmp_path, "letnative==2.0")
    code, out, err = _cli(wheelhouse, reqs, tmp_path / "out", "--arch", arch, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["arch"] == arch and not data["cached"]
    assert {p["name"] for p in data["packages"]} == {"letnative", "tinyutil"}
    with zipfile.ZipFile(data["zip_path"]) as zf:
        names = zf.namelist()
        assert zf.read("python/letnative/_platform.txt").decode().strip() == machine
    assert "python/tinyutil/__init__.py" in names
    assert "python/tinyutil-1.0.dist-info/METADATA" in names  # metadata kept
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if "/tests/" in n or "/docs/" in n]
    assert "letnative" in err and "unzipped" in err  # the size table on stderr


def test_no_wheel_for_platform_names_the_package(wheelhouse: Path, tmp_path: Path) -> None:
    reqs = _reqs(tmp_path, "tinyutil", "onlyx86")
    code, out, err = _cli(wheelhouse, reqs, tmp_path / "out", "--arch", "arm64")
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert "pip-install" in lines[0] and "'onlyx86'" in lines[0] and "arm64" in lines[0]


def test_two_builds_are_byte_identical_and_second_hits_cache(
    wheelhouse: Path, tmp_path: Path
) -> None:
    reqs = _reqs(tmp_path, "letnative", "tinyutil")
    first = _cli(wheelhouse, reqs, tmp_path / "a", "--json", "--no-cache")
    second = _cli(wheelhouse, reqs, tmp_path / "b", "--json", "--no-cache")
    a, b = json.loads(first[1]), json.loads(second[1])
    assert Path(a["zip_path"]).read_bytes() == Path(b["zip_path"]).read_bytes()
    assert a["sha256"] == b["sha256"]

    filled = json.loads(_cli(wheelhouse, reqs, tmp_path / "c", "--json")[1])
    cached = json.loads(_cli(wheelhouse, reqs, tmp_path / "d", "--json")[1])
    assert not filled["cached"] and cached["cached"]
    assert cached["sha256"] == filled["sha256"] == a["sha256"]
    assert Path(cached["zip_path"]).read_bytes() == Path(a["zip_path"]).read_bytes()
    assert cached["steps_ms"]["pip-install"] < 50  # skipped, not run


def test_cache_hit_never_calls_pip(wheelhouse: Path, tmp_path: Path) -> None:
    request = LayerRequest(
        "deps", ["tinyutil"], out_dir=tmp_path / "out", find_links=[wheelhouse], no_index=True
    )
    first = build_layer(request)

    def no_pip(args: Sequence[str]) -> PipResult:
        raise AssertionError("pip must not run on a cache hit")

    second = build_layer(request, pip=no_pip)
    assert second.cached and second.sha256_hex == first.sha256_hex


def test_fake_pip_writes_files_and_strip_keeps_dist_info(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def fake_pip(args: Sequence[str]) -> PipResult:
        seen.append(list(args))
        target = Path(args[args.index("--target") + 1])
        (target / "pkg" / "tests").mkdir(parents=True)
        (target / "pkg" / "__init__.py").write_text("x = 1\n")
        (target / "pkg" / "tests" / "test_pkg.py").write_text("")
        (target / "pkg" / "mod.pyc").write_bytes(b"\0")
        (target / "bin").mkdir()
        (target / "bin" / "pkg-cli").write_text("#!/bin/sh\n")
        info = target / "pkg-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n")
        (info / "RECORD").write_text("pkg/__init__.py,,\npkg-1.0.dist-info/METADATA,,\n")
        return PipResult(0, "")

    build = build_layer(
        LayerRequest("deps", ["pkg"], arch="arm64", out_dir=tmp_path, use_cache=False),
        pip=fake_pip,
    )
    assert "manylinux_2_34_aarch64" in seen[0] and "x86_64" not in " ".join(seen[0])
    with zipfile.ZipFile(build.zip_path) as zf:
        assert sorted(zf.namelist()) == [
            "python/pkg-1.0.dist-info/METADATA",
            "python/pkg-1.0.dist-info/RECORD",
            "python/pkg/__init__.py",
        ]
    assert [p.name for p in build.packages] == ["pkg"]


def test_size_limit_is_enforced_with_a_clear_message(wheelhouse: Path, tmp_path: Path) -> None:
    request = LayerRequest(
        "deps",
        ["letnative"],
        out_dir=tmp_path,
        find_links=[wheelhouse],
        no_index=True,
        max_unzipped_bytes=100,
    )
    with pytest.raises(LayerTooLargeError) as info:
        build_layer(request)
    assert info.value.message.startswith("check-limits: layer 'deps'")
    assert "unzipped" in info.value.message and "letnative" in str(info.value.hint)


def test_platform_tags_follow_runtime_glibc() -> None:
    assert platform_tags("python3.12", "x86_64") == [
        "manylinux2014_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux_2_28_x86_64",
        "manylinux_2_34_x86_64",
    ]
    assert platform_tags("python3.11", "arm64") == [
        "manylinux2014_aarch64",
        "manylinux_2_17_aarch64",
    ]
    args = pip_install_args(Path("t"), Path("r.txt"), runtime="python3.12", arch="arm64")
    assert args[args.index("--python-version") + 1] == "3.12"
    assert "--only-binary=:all:" in args and args[args.index("--implementation") + 1] == "cp"


RECORDED_PIP = """\
Looking in links: /tmp/wh
Processing /tmp/wh/tinyutil-1.0-py3-none-any.whl
ERROR: Could not find a version that satisfies the requirement orjson==9.9 (from versions: none)
ERROR: No matching distribution found for orjson==9.9
"""
RECORDED_OFFLINE = """\
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after \
connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection>: \
Failed to establish a new connection: [Errno 111] Connection refused')': /simple/orjson/
ERROR: Could not find a version that satisfies the requirement orjson (from versions: none)
"""


def test_pip_failure_parsing() -> None:
    missing = pip_failure(RECORDED_PIP, runtime="python3.12", arch="x86_64")
    assert isinstance(missing, NoWheelForPlatformError)
    assert "'orjson==9.9'" in missing.message and missing.exit_code == 2
    offline = pip_failure(RECORDED_OFFLINE, runtime="python3.12", arch="x86_64")
    assert offline.exit_code == 4
    other = pip_failure("ERROR: something odd\n", runtime="python3.12", arch="x86_64")
    assert type(other) is LetradeError and other.message == "pip failed: something odd"


def test_layer_from_profile(wheelhouse: Path, tmp_path: Path) -> None:
    build_wheel(wheelhouse, "extra-thing", "0.3", {"extra_thing/__init__.py": ""})
    profile = tmp_path / "lambda.yaml"
    profile.write_text(
        "layers:\n  deps:\n    requirements: [extra-thing]\n    architectures: [arm64]\n"
    )
    result = runner.invoke(
        app,
        [
            "layer-build",
            "deps",
            "--profile",
            str(profile),
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "--out",
            str(tmp_path / "out"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["arch"] == "arm64" and data["runtime"] == "python3.12"
    assert Path(data["zip_path"]).name == "deps-python3.12-arm64.zip"


def test_a_wheels_top_level_tests_package_is_stripped(tmp_path: Path) -> None:
    house = tmp_path / "house"
    build_wheel(
        house,
        "sloppy",
        "1.0",
        {"sloppy/__init__.py": "", "tests/__init__.py": "", "tests/test_sloppy.py": "x = 1\n"},
    )
    request = LayerRequest(
        "deps", ["sloppy"], out_dir=tmp_path / "out", find_links=[house], no_index=True
    )
    build = build_layer(request)
    with zipfile.ZipFile(build.zip_path) as zf:
        names = zf.namelist()
    assert "python/sloppy/__init__.py" in names
    assert not [n for n in names if n.startswith("python/tests/")]


def test_unreachable_index_with_retries_off_is_a_network_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: connection refused
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "5")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    reqs = _reqs(tmp_path, "tinyutil")
    args = ["layer-build", "deps", "--requirements", str(reqs), "--out", str(tmp_path / "o")]
    result = runner.invoke(app, [*args, "--profile", "nope.yaml"])
    assert result.exit_code == 4, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot reach the package index" in errors[0]
    assert "no wheel" not in result.stderr


def test_a_layer_is_built_for_the_function_that_uses_it(tmp_path: Path) -> None:
    # Issue 19: the shipped layer was arm64 whatever the functions were; build for the user.
    from letrade_cli.serverless.layer.inputs import layer_inputs

    profile = tmp_path / "lambda.yaml"
    profile.write_text(
        "layers:\n  deps:\n    requirements: [orjson]\n    runtimes: [python3.12]\n"
        "    architectures: [arm64]\n"
        "functions:\n  f:\n    source: f.py\n    handler: f.handler\n    runtime: python3.13\n"
        "    architecture: x86_64\n    layers: [deps]\n",
        encoding="utf-8",
    )
    (tmp_path / "f.py").write_text("import orjson\n\ndef handler(e, c):\n    return 1\n")
    _, lines, runtime, arch = layer_inputs("deps", str(profile), None, None, None)
    assert (lines, runtime, arch) == (["orjson"], "python3.13", "x86_64")
    _, _, runtime, arch = layer_inputs("deps", str(profile), None, "python3.12", "arm64")
    assert (runtime, arch) == ("python3.12", "arm64")  # the flags still win
