"""lambda-deploy against moto's server on 127.0.0.1 (fixtures in conftest.py); no real AWS."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from letrade_cli.cli.app import app
from letrade_cli.serverless.aws import AwsClients, AwsTarget
from letrade_cli.serverless.layer.publish import publish_layer
from letrade_cli.serverless.zipper import lambda_code_sha256, write_deterministic_zip
from tests.serverless.conftest import SECRET_ENV_VALUE, SECRET_SSM_VALUE

runner = CliRunner()
PROFILE = """\
defaults:
  region: us-east-1
  role_arn: {role}
  name_prefix: letrade-
layers:
  deps:
    requirements: [tinyutil]
    architectures: [x86_64]
functions:
  collector:
    source: src/collector.py
    handler: collector.handler
    architecture: x86_64
    memory: {memory}
    timeout: 30
    layers: {layers}
    schedule: {schedule}
    environment:
      VENUE: upbit
      LOG_LEVEL: {log_level}
      API_KEY: env:LETRADE_TEST_API_KEY
      NOTIFY_TOKEN: ssm:/letrade/notify/token
"""


def write_profile(
    tmp_path: Path,
    role: str,
    *,
    memory: int = 256,
    log_level: str = "INFO",
    layers: str = "[]",
    schedule: str = "null",
) -> Path:
    path = tmp_path / "lambda.yaml"
    path.write_text(
        PROFILE.format(
            role=role, memory=memory, log_level=log_level, layers=layers, schedule=schedule
        )
    )
    return path


def make_zip(tmp_path: Path, body: str) -> Path:
    src = tmp_path / f"collector-{abs(hash(body))}.py"
    src.write_text(f"def handler(event, context):\n    return {body!r}\n")
    target = tmp_path / f"{src.stem}.zip"
    write_deterministic_zip([("collector.py", src)], target)
    return target


def deploy(profile: Path, endpoint: str, zip_path: Path, *extra: str) -> tuple[int, Any, str]:
    args = ["lambda-deploy", "collector", "--profile", str(profile), "--endpoint-url", endpoint]
    result = runner.invoke(app, [*args, "--zip", str(zip_path), "--json", *extra])
    data = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, data, result.stdout + result.stderr


def changes(data: dict[str, Any]) -> dict[str, str]:
    return {a["step"]: a["change"] for a in data["actions"]}


def lam(endpoint: str) -> Any:
    return boto3.client("lambda", endpoint_url=endpoint)


def test_create_update_skip_publish_alias(tmp_path: Path, moto_server: str, role: str) -> None:
    profile = write_profile(tmp_path, role)
    zip1, zip2 = make_zip(tmp_path, "one"), make_zip(tmp_path, "two")

    code, data, text = deploy(profile, moto_server, zip1)
    assert code == 0, text
    assert changes(data) == {"create-function": "create"}
    config = lam(moto_server).get_function_configuration(FunctionName="letrade-collector")
    assert config["CodeSha256"] == lambda_code_sha256(zip1)
    assert config["Environment"]["Variables"]["API_KEY"] == SECRET_ENV_VALUE  # resolved
    # Reproduction (issue 19): the SecureString was resolved at deploy and stored in the
    # configuration, readable by anyone with GetFunctionConfiguration. Now only its name is.
    assert config["Environment"]["Variables"]["NOTIFY_TOKEN"] == "ssm:/letrade/notify/token"
    assert SECRET_SSM_VALUE not in json.dumps(config)

    code, data, text = deploy(profile, moto_server, zip2)
    assert changes(data) == {
        "update-code": "update",
        "update-configuration": "skip",
        "tags": "skip",
    }
    assert "lambda.UpdateFunctionCode" in data["aws_writes"]

    code, data, text = deploy(profile, moto_server, zip2)
    assert changes(data) == {"update-code": "skip", "update-configuration": "skip", "tags": "skip"}
    assert data["aws_writes"] == []

    code, data, text = deploy(profile, moto_server, zip2, "--publish", "--alias", "live")
    assert code == 0, text
    assert changes(data)["publish-version"] == "publish" and data["version"] == "1"
    assert changes(data)["alias"] == "create"
    assert (
        lam(moto_server).get_alias(FunctionName="letrade-collector", Name="live")["FunctionVersion"]
        == "1"
    )

    code, data, text = deploy(profile, moto_server, zip1, "--publish", "--alias", "live")
    assert data["version"] == "2" and changes(data)["alias"] == "update"
    assert (
        lam(moto_server).get_alias(FunctionName="letrade-collector", Name="live")["FunctionVersion"]
        == "2"
    )

    code, data, text = deploy(profile, moto_server, zip1, "--publish", "--alias", "live")
    assert changes(data) == {
        "update-code": "skip",
        "update-configuration": "skip",
        "tags": "skip",
        "publish-version": "skip",
        "alias": "skip",
    }
    assert data["aws_writes"] == []


def test_config_change_applied_only_when_different(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    zip1 = make_zip(tmp_path, "one")
    deploy(write_profile(tmp_path, role), moto_server, zip1)
    code, data, text = deploy(
        write_profile(tmp_path, role, memory=512, log_level="DEBUG"), moto_server, zip1
    )
    assert code == 0, text
    assert changes(data) == {
        "update-code": "skip",
        "update-configuration": "update",
        "tags": "skip",
    }
    detail = next(a["detail"] for a in data["actions"] if a["step"] == "update-configuration")
    assert "MemorySize: 256 -> 512" in detail and "Environment.LOG_LEVEL" in detail
    config = lam(moto_server).get_function_configuration(FunctionName="letrade-collector")
    assert config["MemorySize"] == 512
    assert config["Environment"]["Variables"]["LOG_LEVEL"] == "DEBUG"
    assert config["Environment"]["Variables"]["API_KEY"] == SECRET_ENV_VALUE


def test_plan_writes_nothing(tmp_path: Path, moto_server: str, role: str) -> None:
    zip1, zip2 = make_zip(tmp_path, "one"), make_zip(tmp_path, "two")
    profile = write_profile(tmp_path, role, schedule="rate(5 minutes)")
    code, data, text = deploy(profile, moto_server, zip1, "--plan", "--publish", "--alias", "x")
    assert code == 0, text
    assert data["aws_writes"] == [] and data["plan"] is True
    assert changes(data)["create-function"] == "create"
    assert lam(moto_server).list_functions()["Functions"] == []
    events = boto3.client("events", endpoint_url=moto_server)
    assert events.list_rules()["Rules"] == []

    deploy(profile, moto_server, zip1)
    before = lam(moto_server).get_function_configuration(FunctionName="letrade-collector")
    changed = write_profile(tmp_path, role, memory=1024, schedule="rate(1 hour)")
    code, data, text = deploy(changed, moto_server, zip2, "--plan", "--publish", "--alias", "x")
    assert code == 0, text
    assert data["aws_writes"] == []
    assert all(c.split(".")[1].startswith(("Get", "List", "Describe")) for c in data["aws_calls"])
    assert changes(data)["update-code"] == "update"
    assert changes(data)["update-configuration"] == "update"
    assert changes(data)["schedule-rule"] == "update"
    after = lam(moto_server).get_function_configuration(FunctionName="letrade-collector")
    assert after == before | {"ResponseMetadata": after["ResponseMetadata"]}
    rule = events.describe_rule(Name="letrade-collector-schedule")
    assert rule["ScheduleExpression"] == "rate(5 minutes)"


def test_schedule_created_once(tmp_path: Path, moto_server: str, role: str) -> None:
    profile = write_profile(tmp_path, role, schedule="rate(5 minutes)")
    zip1 = make_zip(tmp_path, "one")
    code, data, text = deploy(profile, moto_server, zip1, "--publish", "--alias", "live")
    assert code == 0, text
    assert changes(data)["schedule-rule"] == "create"
    assert changes(data)["schedule-permission"] == "create"
    for _ in range(2):
        code, data, text = deploy(profile, moto_server, zip1, "--publish", "--alias", "live")
        assert code == 0, text
        assert data["aws_writes"] == [], data["actions"]
    events = boto3.client("events", endpoint_url=moto_server)
    assert [r["Name"] for r in events.list_rules()["Rules"]] == ["letrade-collector-schedule"]
    targets = events.list_targets_by_rule(Rule="letrade-collector-schedule")["Targets"]
    assert [t["Arn"] for t in targets] == [data["alias_arn"]]
    policy = lam(moto_server).get_policy(FunctionName="letrade-collector", Qualifier="live")
    statements = json.loads(policy["Policy"])["Statement"]
    assert len(statements) == 1
    assert statements[0]["Principal"] == {"Service": "events.amazonaws.com"}


def test_secrets_never_printed(tmp_path: Path, moto_server: str, role: str) -> None:
    zip1, zip2 = make_zip(tmp_path, "one"), make_zip(tmp_path, "two")
    profile = write_profile(tmp_path, role)
    outputs = []
    for extra in (("--plan",), (), ("--plan",)):
        result = runner.invoke(
            app,
            [
                "lambda-deploy",
                "collector",
                "--profile",
                str(profile),
                "--endpoint-url",
                moto_server,
                "--zip",
                str(zip1),
                *extra,
            ],
        )
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    _, data, text = deploy(write_profile(tmp_path, role, memory=512), moto_server, zip2)
    outputs.append(text)
    assert data["environment"]["API_KEY"] == "****"
    assert data["environment"]["NOTIFY_TOKEN"] == "****"
    assert data["environment"]["VENUE"] == "upbit"
    for text in outputs:
        assert SECRET_ENV_VALUE not in text and SECRET_SSM_VALUE not in text


def test_layer_names_resolve_to_latest_arn(tmp_path: Path, moto_server: str, role: str) -> None:
    layer_zip = make_zip(tmp_path, "layer")
    clients = AwsClients(AwsTarget(endpoint_url=moto_server))
    first = publish_layer(
        clients.client("lambda"),
        "letrade-deps",
        layer_zip,
        sha256_hex="a" * 64,
        runtimes=["python3.12"],
        arch="x86_64",
    )
    again = publish_layer(
        clients.client("lambda"),
        "letrade-deps",
        layer_zip,
        sha256_hex="a" * 64,
        runtimes=["python3.12"],
        arch="x86_64",
    )
    assert first is not None and again is not None
    assert first.published and not again.published
    assert again.version_arn == first.version_arn
    profile = write_profile(tmp_path, role, layers="[deps]")
    code, data, text = deploy(profile, moto_server, make_zip(tmp_path, "one"))
    assert code == 0, text
    assert data["layers"] == [first.version_arn]
    config = lam(moto_server).get_function_configuration(FunctionName="letrade-collector")
    assert [layer["Arn"] for layer in config["Layers"]] == [first.version_arn]


def test_missing_layer_version_is_a_config_error(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    profile = write_profile(tmp_path, role, layers="[deps]")
    code, _, text = deploy(profile, moto_server, make_zip(tmp_path, "one"))
    assert code == 2
    assert "resolve-layers: layer 'letrade-deps' has no published version" in text
    code, _, text = deploy(profile, moto_server, make_zip(tmp_path, "one"), "--plan")
    assert code == 2  # the plan refuses exactly like the run
    assert "has no published version for python3.12 x86_64" in text
    assert lam(moto_server).list_functions()["Functions"] == []


def test_invoke_against_moto_says_no_report(tmp_path: Path, moto_server: str, role: str) -> None:
    profile = write_profile(tmp_path, role)
    code, data, text = deploy(profile, moto_server, make_zip(tmp_path, "one"), "--warm", "2")
    assert code == 0, text
    invoke = data["invoke"]
    assert invoke["invokes"] == 3 and invoke["cold"] is None
    assert invoke["warm_duration_ms"] is None and invoke["round_trip_ms"]["n"] == 3
    assert "no REPORT line" in invoke["note"] and "no REPORT line" in text


def test_unreachable_endpoint_exits_4(
    tmp_path: Path, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    profile = write_profile(tmp_path, "arn:aws:iam::123456789012:role/x")
    result = runner.invoke(
        app,
        [
            "lambda-deploy",
            "collector",
            "--profile",
            str(profile),
            "--zip",
            str(make_zip(tmp_path, "one")),
            "--endpoint-url",
            f"http://127.0.0.1:{port}",
        ],
    )
    assert result.exit_code == 4
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot reach the AWS endpoint" in errors[0]
    assert result.stdout == ""


def test_missing_credentials_exit_2(
    tmp_path: Path, aws_env: None, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    profile = write_profile(tmp_path, "arn:aws:iam::123456789012:role/x")
    code, _, text = deploy(profile, moto_server, make_zip(tmp_path, "one"))
    assert code == 2 and "no AWS credentials found" in text


def test_aws_rejection_exits_3(tmp_path: Path, moto_server: str, role: str) -> None:
    profile = write_profile(tmp_path, "arn:aws:iam::123456789012:role/not-there")
    code, _, text = deploy(profile, moto_server, make_zip(tmp_path, "one"))
    assert code == 3
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith("error: create-function: AWS said InvalidParameterValueException")


def test_alias_without_version_is_a_usage_error(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    profile = write_profile(tmp_path, role)
    zip1 = make_zip(tmp_path, "one")
    deploy(profile, moto_server, zip1)
    before = lam(moto_server).get_function_configuration(FunctionName="letrade-collector")
    for extra in ((), ("--plan",)):
        code, _, text = deploy(
            profile, moto_server, make_zip(tmp_path, "two"), "--alias", "live", *extra
        )
        assert code == 2 and "--alias live needs --publish" in text
    after = lam(moto_server).get_function_configuration(FunctionName="letrade-collector")
    assert after["CodeSha256"] == before["CodeSha256"] == lambda_code_sha256(zip1)  # no write


def test_a_function_deployed_without_the_managed_tag_gets_it(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    zip1 = make_zip(tmp_path, "one")
    lam(moto_server).create_function(
        FunctionName="letrade-collector", Runtime="python3.12", Role=role,
        Handler="collector.handler", Code={"ZipFile": zip1.read_bytes()},
    )  # fmt: skip
    code, data, text = deploy(write_profile(tmp_path, role), moto_server, zip1)
    assert code == 0, text and changes(data)["tags"] == "update"
    arn = lam(moto_server).get_function(FunctionName="letrade-collector")["Configuration"][
        "FunctionArn"
    ]
    assert lam(moto_server).list_tags(Resource=arn)["Tags"]["managed-by"] == "letrade"
