"""Fix 1: a function's layer version matches its runtime *and* architecture (moto)."""

from __future__ import annotations

from pathlib import Path

from letrade_cli.serverless.aws import AwsClients, AwsTarget
from letrade_cli.serverless.layer.publish import publish_layer
from tests.serverless.test_deploy import (
    deploy,
    make_zip,
    write_profile,
)


def publish(endpoint: str, zip_path: Path, digest: str, runtime: str, arch: str) -> str:
    lam = AwsClients(AwsTarget(endpoint_url=endpoint)).client("lambda")
    published = publish_layer(
        lam, "letrade-deps", zip_path, sha256_hex=digest * 64, runtimes=[runtime], arch=arch
    )
    assert published is not None
    return published.version_arn


def test_newer_layer_for_another_runtime_is_not_picked(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    layer_zip = make_zip(tmp_path, "layer")
    for_312 = publish(moto_server, layer_zip, "a", "python3.12", "x86_64")
    publish(moto_server, layer_zip, "b", "python3.11", "x86_64")  # newer, wrong runtime
    publish(moto_server, layer_zip, "c", "python3.12", "arm64")  # newer, wrong architecture
    profile = write_profile(tmp_path, role, layers="[deps]")
    code, data, text = deploy(profile, moto_server, make_zip(tmp_path, "one"), "--plan")
    assert code == 0, text
    assert data["layers"] == [for_312]
    code, data, text = deploy(profile, moto_server, make_zip(tmp_path, "one"))
    assert code == 0, text and data["layers"] == [for_312]


def test_no_version_for_the_runtime_is_refused(tmp_path: Path, moto_server: str, role: str) -> None:
    publish(moto_server, make_zip(tmp_path, "layer"), "b", "python3.11", "x86_64")
    profile = write_profile(tmp_path, role, layers="[deps]")
    for extra in (("--plan",), ()):
        code, _, text = deploy(profile, moto_server, make_zip(tmp_path, "one"), *extra)
        errors = [line for line in text.splitlines() if line.startswith("error:")]
        assert code == 2 and len(errors) == 1
        assert "no published version for python3.12 x86_64" in errors[0]
        assert "--runtime python3.12 --arch x86_64" in errors[0]
