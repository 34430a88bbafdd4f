"""Bad deploy inputs fail in one line before any write; roles from flags, env or --create-role."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from letrade_cli.cli.app import app
from tests.serverless.test_deploy import (
    deploy,
    lam,
    make_zip,
    write_profile,
)

runner = CliRunner()


def one_error(text: str) -> str:
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, text
    assert "Traceback" not in text
    return errors[0]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "nonexistent.zip", "no such file"),
        (lambda d: _text(d / "notes.zip"), "not a zip archive"),
        (lambda d: _zip(d / "other.zip", "other.py"), "holds no collector.py"),
    ],
)
def test_bad_zip_is_refused_before_any_write(
    tmp_path: Path, moto_server: str, role: str, make: object, expected: str
) -> None:
    bad = make(tmp_path)  # type: ignore[operator]
    code, _, text = deploy(write_profile(tmp_path, role), moto_server, bad)
    assert code == 2 and expected in one_error(text)
    assert lam(moto_server).list_functions()["Functions"] == []


def _text(path: Path) -> Path:
    path.write_text("not a zip at all\n")
    return path


def _zip(path: Path, name: str) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(name, "def handler(e, c):\n    return 1\n")
    return path


def test_missing_requirements_file_is_one_line(tmp_path: Path) -> None:
    profile = tmp_path / "profiles" / "lambda.yaml"
    profile.parent.mkdir()
    profile.write_text("layers:\n  deps:\n    requirements_file: reqs/missing.txt\n")
    result = runner.invoke(app, ["layer-build", "deps", "--profile", str(profile)])
    assert result.exit_code == 2
    line = one_error(result.stderr)
    assert "layers.deps.requirements_file" in line and "missing.txt" in line
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_role_arn_flag_and_environment_override_the_profile(
    tmp_path: Path, moto_server: str, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam = boto3.client("iam", endpoint_url=moto_server)
    other = iam.create_role(RoleName="mine", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    profile = write_profile(tmp_path, "arn:aws:iam::123456789012:role/placeholder")
    zip1 = make_zip(tmp_path, "one")
    code, data, text = deploy(profile, moto_server, zip1, "--role-arn", other)
    assert code == 0, text
    assert (
        lam(moto_server).get_function(FunctionName="letrade-collector")["Configuration"]["Role"]
        == other
    )
    monkeypatch.setenv("LETRADE_LAMBDA_ROLE_ARN", role)
    code, data, text = deploy(profile, moto_server, zip1)
    assert code == 0, text
    assert dict((a["step"], a["change"]) for a in data["actions"])["update-configuration"] == (
        "update"
    )
    assert "Role" in next(
        a["detail"] for a in data["actions"] if a["step"] == "update-configuration"
    )


def test_create_role_is_least_privilege_and_idempotent(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    profile = write_profile(tmp_path, "null")
    text = profile.read_text().replace(
        "      VENUE: upbit", "      VENUE: upbit\n      BUCKET: data-bucket\n      PREFIX: raw"
    )
    text = text.replace(
        "      LOG_LEVEL", "      COLLECTOR_FUNCTION: letrade-data-collector\n      LOG_LEVEL"
    )
    profile.write_text(text)
    zip1 = make_zip(tmp_path, "one")
    code, plan, out = deploy(profile, moto_server, zip1, "--create-role", "--plan")
    assert code == 0, out and plan["aws_writes"] == []
    code, data, out = deploy(profile, moto_server, zip1, "--create-role")
    assert code == 0, out
    changes = [(a["step"], a["change"]) for a in data["actions"]]
    assert [(a["step"], a["change"]) for a in plan["actions"]] == changes
    assert ("role", "create") in changes and ("role-policy", "create") in changes
    iam = boto3.client("iam", endpoint_url=moto_server)
    assert data["role_arn"] == iam.get_role(RoleName="letrade-collector-role")["Role"]["Arn"]
    doc = iam.get_role_policy(
        RoleName="letrade-collector-role", PolicyName="letrade-least-privilege"
    )
    statements = {s["Sid"]: s for s in doc["PolicyDocument"]["Statement"]}
    assert set(statements) == {
        "OwnLogs", "DataPrefix", "ListDataPrefix", "InvokeCollector", "ReadParameters"
    }  # fmt: skip
    # the profile's NOTIFY_TOKEN: ssm:/letrade/notify/token, read at run time: that one only
    assert statements["ReadParameters"]["Action"] == "ssm:GetParameter"
    assert statements["ReadParameters"]["Resource"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/letrade/notify/token"
    ]
    assert statements["DataPrefix"]["Resource"] == "arn:aws:s3:::data-bucket/raw/*"
    assert statements["DataPrefix"]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert all(s["Resource"] != "*" for s in statements.values())
    assert statements["InvokeCollector"]["Resource"][0].endswith(":function:letrade-data-collector")
    code, again, out = deploy(profile, moto_server, zip1, "--create-role")
    assert code == 0, out and again["aws_writes"] == []


def test_one_profile_variable_for_every_command(
    tmp_path: Path, moto_server: str, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = write_profile(tmp_path, role)
    src = tmp_path / "src"
    src.mkdir()
    (src / "collector.py").write_text("def handler(event, context):\n    return 1\n")
    monkeypatch.setenv("LETRADE_LAMBDA_PROFILE", str(profile))
    packaged = runner.invoke(
        app, ["lambda-package", "collector", "--out", str(tmp_path / "o"), "--json"]
    )
    assert packaged.exit_code == 0, packaged.stderr
    zip_path = json.loads(packaged.stdout)["zip"]
    deployed = runner.invoke(app, ["lambda-deploy", "collector", "--endpoint-url", moto_server,
                                   "--zip", zip_path, "--plan"])  # fmt: skip
    assert deployed.exit_code == 0, deployed.stderr
