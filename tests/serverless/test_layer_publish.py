"""layer-build --publish against moto: published once, never again while unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from letrade_cli.cli.app import app

try:
    from tests.serverless.wheels import build_test_wheelhouse
except ImportError:  # tests/ not a package: pytest put this directory on sys.path
    from wheels import build_test_wheelhouse  # type: ignore[no-redef]

runner = CliRunner()


def test_publish_once_then_unchanged(
    tmp_path: Path, moto_server: str, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETRADE_CACHE_DIR", str(tmp_path / "cache"))
    wheelhouse = build_test_wheelhouse(tmp_path / "wh")
    profile = tmp_path / "lambda.yaml"
    profile.write_text(
        "defaults:\n  name_prefix: letrade-\n"
        "layers:\n  deps:\n    requirements: [letnative]\n    architectures: [arm64]\n"
    )
    args = ["layer-build", "deps", "--profile", str(profile), "--no-index", "--find-links"]
    args += [str(wheelhouse), "--out", str(tmp_path / "out"), "--publish"]
    args += ["--endpoint-url", moto_server, "--json"]

    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.stderr
    one = json.loads(first.stdout)
    assert one["layer"]["published"] is True and one["layer"]["version"] == 1
    second = runner.invoke(app, args)
    two = json.loads(second.stdout)
    assert two["cached"] is True
    assert two["layer"] == one["layer"] | {"published": False}

    versions = boto3.client("lambda", endpoint_url=moto_server).list_layer_versions(
        LayerName="letrade-deps"
    )["LayerVersions"]
    assert len(versions) == 1
    assert versions[0]["CompatibleArchitectures"] == ["arm64"]
    assert versions[0]["CompatibleRuntimes"] == ["python3.12"]
    assert versions[0]["Description"].startswith(f"letrade sha256={one['sha256']}")

    text = runner.invoke(app, args[:-1])  # without --json: the version ARN on stdout
    assert text.stdout.strip().splitlines()[-1] == one["layer"]["version_arn"]
