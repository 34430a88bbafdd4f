"""lambda-logs, lambda-rollback, lambda-destroy, S3 artifacts and deploy --all against moto."""

from __future__ import annotations

import contextlib
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from letrade_cli.cli.app import app
from letrade_cli.serverless import artifact
from letrade_cli.serverless.aws import AwsClients, AwsTarget
from letrade_cli.serverless.deploy.logs import fetch_events, follow_events
from letrade_cli.serverless.layer.publish import publish_layer
from tests.serverless.test_deploy import deploy, lam, make_zip, write_profile

runner = CliRunner()
GROUP = "/aws/lambda/letrade-collector"
COLD = (
    "REPORT RequestId: 11111111-aaaa\tDuration: 12.50 ms\tBilled Duration: 13 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 70 MB\tInit Duration: 245.10 ms\t"
)
WARM = (
    "REPORT RequestId: {id}\tDuration: {d} ms\tBilled Duration: 4 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 71 MB\t"
)


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def put_events(endpoint: str, stream: str, messages: list[str], *, age_ms: int = 0) -> None:
    logs = boto3.client("logs", endpoint_url=endpoint)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=GROUP)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    now = int(time.time() * 1000) - age_ms
    events = [{"timestamp": now + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=events)


def test_logs_parse_report_lines_into_cold_and_warm(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    profile = str(write_profile(tmp_path, role))
    put_events(moto_server, "old", ["hello from an hour ago"], age_ms=3_600_000)
    put_events(
        moto_server,
        "2026/11/23/[$LATEST]abc",
        [
            "START RequestId: 11111111-aaaa Version: $LATEST",
            "hello from the handler",
            COLD,
            WARM.format(id="22222222-bbbb", d="3.10"),
            "something else",
            WARM.format(id="33333333-cccc", d="3.30"),
        ],
    )
    base = ["lambda-logs", "collector", "--profile", profile, "--endpoint-url", moto_server]
    code, out, err = cli(*base, "--since", "10m", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"] == {
        "invocations": 3,
        "cold": 1,
        "warm": 2,
        "init_median_ms": 245.1,
        "cold_duration_median_ms": 12.5,
        "warm_duration_median_ms": 3.3,
        "max_memory_used_mb": 71,
    }
    assert not any("an hour ago" in e["message"] for e in data["events"])
    code, out, err = cli(*base, "--since", "2h", "--filter", "hello")
    assert code == 0, err
    assert [line.split("Z  ", 1)[1] for line in out.splitlines()] == [
        "hello from an hour ago",
        "hello from the handler",
    ]
    assert "cold" in err and "245.10" in err and "warm" in err  # the REPORT table on stderr
    code, _, err = cli(*base, "--since", "ten minutes")
    assert code == 2 and "--since 'ten minutes'" in err


def test_logs_follow_yields_new_events_once(moto_server: str, aws_env: None) -> None:
    put_events(moto_server, "s", ["first"])
    logs = AwsClients(AwsTarget(endpoint_url=moto_server)).client("logs")
    seen: list[str] = []
    waits: list[int] = []

    def wait() -> None:
        waits.append(1)
        if len(waits) == 1:
            put_events(moto_server, "s", ["second", COLD])

    start = int(time.time() * 1000) - 60_000
    for event in follow_events(logs, "letrade-collector", start, stop=lambda: len(seen) >= 3,
                               wait=wait):  # fmt: skip
        seen.append(event.message)
    assert seen == ["first", "second", COLD]
    assert len(fetch_events(logs, "letrade-collector", start)) == 3


def test_missing_log_group_is_a_clear_error(tmp_path: Path, moto_server: str, role: str) -> None:
    profile = str(write_profile(tmp_path, role))
    code, _, err = cli(
        "lambda-logs", "collector", "--profile", profile, "--endpoint-url", moto_server
    )
    assert code == 2 and "no log group /aws/lambda/letrade-collector" in err


def test_rollback_moves_the_alias_back(tmp_path: Path, moto_server: str, role: str) -> None:
    profile = write_profile(tmp_path, role)
    for body in ("one", "two"):
        code, _, text = deploy(profile, moto_server, make_zip(tmp_path, body), "--publish",
                               "--alias", "live")  # fmt: skip
        assert code == 0, text
    base = ["lambda-rollback", "collector", "--alias", "live", "--profile", str(profile)]
    base += ["--endpoint-url", moto_server, "--json"]

    def alias() -> str:
        return str(
            lam(moto_server).get_alias(FunctionName="letrade-collector", Name="live")[
                "FunctionVersion"
            ]
        )

    code, out, err = cli(*base, "--plan")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["actions"] == [{"step": "alias", "change": "update", "detail": "move live 2 -> 1"}]
    assert plan["aws_writes"] == [] and alias() == "2"
    code, out, err = cli(*base)
    run = json.loads(out)
    assert code == 0 and [a["change"] for a in run["actions"]] == ["update"] and alias() == "1"
    code, out, err = cli(*base)
    assert code == 2 and "no earlier version" in err and alias() == "1"
    code, out, err = cli(*base, "--to", "2")
    assert code == 0 and alias() == "2"
    code, out, err = cli(*base, "--to", "9")
    assert code == 2 and "no published version 9" in err


def test_destroy_removes_only_what_letrade_created(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    profile = write_profile(tmp_path, role, schedule="rate(5 minutes)", layers="[deps]")
    clients = AwsClients(AwsTarget(endpoint_url=moto_server))
    layer_zip = make_zip(tmp_path, "layer")
    published = publish_layer(
        clients.client("lambda"),
        "letrade-deps",
        layer_zip,
        sha256_hex="a" * 64,
        runtimes=["python3.12"],
        arch="x86_64",
    )
    assert published is not None
    code, _, text = deploy(profile, moto_server, make_zip(tmp_path, "one"), "--publish",
                           "--alias", "live")  # fmt: skip
    assert code == 0, text
    events = boto3.client("events", endpoint_url=moto_server)
    events.put_rule(Name="someone-elses-rule", ScheduleExpression="rate(1 hour)")
    base = ["lambda-destroy", "collector", "--profile", str(profile), "--endpoint-url", moto_server]
    code, out, err = cli(*base, "--layers", "--plan", "--json")
    assert code == 0, err
    plan = json.loads(out)
    steps = [(a["step"], a["change"]) for a in plan["actions"]]
    assert steps == [
        ("schedule-target", "delete"),
        ("schedule-rule", "delete"),
        ("permission", "delete"),
        ("alias", "delete"),
        ("function", "delete"),
        ("layer-version", "delete"),
    ]
    assert plan["aws_writes"] == []
    code, _, err = cli(*base, "--layers")  # no TTY, no --yes: refused
    assert code == 2 and "pass --yes" in err
    code, out, err = cli(*base, "--layers", "--yes", "--json")
    assert code == 0, err
    assert [(a["step"], a["change"]) for a in json.loads(out)["actions"]] == steps
    assert lam(moto_server).list_functions()["Functions"] == []
    assert [r["Name"] for r in events.list_rules()["Rules"]] == ["someone-elses-rule"]
    assert lam(moto_server).list_layer_versions(LayerName="letrade-deps")["LayerVersions"] == []
    code, out, err = cli(*base, "--yes", "--json")  # again: nothing left, nothing to do
    assert code == 0 and [a["change"] for a in json.loads(out)["actions"]] == ["skip"]


def test_destroy_refuses_a_function_letrade_did_not_create(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    zip_path = make_zip(tmp_path, "one")
    lam(moto_server).create_function(
        FunctionName="letrade-collector", Runtime="python3.12", Role=role,
        Handler="collector.handler", Code={"ZipFile": zip_path.read_bytes()},
    )  # fmt: skip
    profile = write_profile(tmp_path, role)
    code, _, err = cli("lambda-destroy", "collector", "--profile", str(profile), "--endpoint-url",
                       moto_server, "--yes")  # fmt: skip
    assert code == 2 and "not created by letrade" in err
    assert len(lam(moto_server).list_functions()["Functions"]) == 1


def test_large_zip_goes_through_the_artifact_bucket(
    tmp_path: Path, moto_server: str, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(artifact, "DIRECT_UPLOAD_LIMIT", 64)  # every test zip is "large"
    s3 = boto3.client("s3", endpoint_url=moto_server)
    s3.create_bucket(Bucket="artifacts")
    profile = write_profile(tmp_path, role)
    code, _, text = deploy(profile, moto_server, make_zip(tmp_path, "one"))
    assert code == 2 and "artifact_bucket" in text
    assert lam(moto_server).list_functions()["Functions"] == []
    profile.write_text(
        profile.read_text().replace(
            "  name_prefix:", "  artifact_bucket: artifacts\n  name_prefix:"
        )
    )
    for body in ("one", "two"):
        zip_path = make_zip(tmp_path, body)
        code, data, text = deploy(profile, moto_server, zip_path)
        assert code == 0, text
        key = f"letrade-artifacts/functions/{artifact.sha256_hex(zip_path)}.zip"
        assert (
            s3.head_object(Bucket="artifacts", Key=key)["ContentLength"] == zip_path.stat().st_size
        )
        config = lam(moto_server).get_function_configuration(FunctionName="letrade-collector")
        assert config["CodeSha256"] == data["code_sha256"]
    layer = publish_layer(
        lam(moto_server), "letrade-deps", make_zip(tmp_path, "layer"), sha256_hex="b" * 64,
        runtimes=["python3.12"], arch="x86_64",
        upload=lambda p: artifact.upload_artifact(
            AwsClients(AwsTarget(endpoint_url=moto_server)), "artifacts", p, "layers"
        ),
    )  # fmt: skip
    assert layer is not None and layer.published
    assert (
        s3.list_objects_v2(Bucket="artifacts", Prefix="letrade-artifacts/layers/")["KeyCount"] == 1
    )


def test_deploy_all_in_dependency_order(tmp_path: Path, moto_server: str, role: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "orch.py").write_text("def handler(event, context):\n    return 1\n")
    (src / "collector.py").write_text(
        "import tinyutil\n\ndef handler(event, context):\n    return 1\n"
    )
    profile = tmp_path / "lambda.yaml"
    functions: dict[str, Any] = {
        "orch": {"source": "src/orch.py", "handler": "orch.handler", "layers": ["deps"],
                 "environment": {"COLLECTOR_FUNCTION": "letrade-collector"}},
        "collector": {"source": "src/collector.py", "handler": "collector.handler",
                      "layers": ["deps"]},
    }  # fmt: skip
    layers = {"deps": {"requirements": ["tinyutil"]}}
    profile.write_text(json.dumps({"defaults": {"region": "us-east-1", "role_arn": role},
                                   "layers": layers, "functions": functions}))  # fmt: skip
    built = tmp_path / "build" / "layers"
    built.mkdir(parents=True)
    with zipfile.ZipFile(built / "deps-python3.12-x86_64.zip", "w") as zf:
        zf.writestr("python/tinyutil/__init__.py", "VALUE = 1\n")
    base = ["lambda-deploy", "--all", "--profile", str(profile), "--endpoint-url", moto_server]
    code, out, err = cli(*base, "--plan", "--publish", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert [f["function"] for f in plan["functions"]] == ["letrade-collector", "letrade-orch"]
    assert plan["aws_writes"] == [] and [r["change"] for r in plan["layers"]] == ["publish"]
    code, out, err = cli(*base, "--publish", "--json")
    assert code == 0, err
    run = json.loads(out)
    assert [r["change"] for r in run["layers"]] == ["publish"]
    assert [f["function"] for f in run["functions"]] == ["letrade-collector", "letrade-orch"]
    assert [[(a["step"], a["change"]) for a in f["actions"]] for f in plan["functions"]] == [
        [(a["step"], a["change"]) for a in f["actions"]] for f in run["functions"]
    ]
    config = lam(moto_server).get_function_configuration(FunctionName="letrade-collector")
    assert config["Layers"][0]["Arn"].endswith(":layer:letrade-deps:1")
    # orch lists the layer but imports nothing from it: not attached (issue 19), and said so
    orch = lam(moto_server).get_function_configuration(FunctionName="letrade-orch")
    assert orch.get("Layers", []) == []
    assert "layer deps: orch imports none of its modules" in err
    assert [f["version"] for f in run["functions"]] == ["1", "1"]
    assert "lambda-deploy --all" in err and "letrade-orch" in err  # the summary table
    assert {f["FunctionName"] for f in lam(moto_server).list_functions()["Functions"]} == {
        "letrade-collector",
        "letrade-orch",
    }
    code, out, err = cli(*base, "--publish", "--json")
    assert code == 0 and json.loads(out)["aws_writes"] == []


def test_destroy_all_names_every_function_and_removes_roles_and_logs(
    tmp_path: Path, moto_server: str, aws_env: None
) -> None:
    # Reproduction (issue 19): destroy left the roles it created and the log groups, and
    # `--all --plan` merged identical lines across functions ("delete alias live" once).
    src = tmp_path / "src"
    src.mkdir()
    functions: dict[str, Any] = {}
    for name in ("alpha", "beta"):
        (src / f"{name}.py").write_text("def handler(event, context):\n    return 1\n")
        functions[name] = {"source": f"src/{name}.py", "handler": f"{name}.handler",
                           "log_retention_days": 7}  # fmt: skip
    profile = tmp_path / "lambda.yaml"
    profile.write_text(json.dumps({"defaults": {"region": "us-east-1"}, "functions": functions}))
    base = ["--profile", str(profile), "--endpoint-url", moto_server]
    code, out, err = cli("lambda-deploy", "--all", *base, "--create-role", "--publish",
                         "--alias", "live", "--json")  # fmt: skip
    assert code == 0, err
    iam = boto3.client("iam", endpoint_url=moto_server)
    logs = boto3.client("logs", endpoint_url=moto_server)
    assert {r["RoleName"] for r in iam.list_roles()["Roles"]} >= {
        "letrade-alpha-role", "letrade-beta-role"
    }  # fmt: skip
    code, out, err = cli("lambda-destroy", "--all", *base, "--plan", "--json")
    assert code == 0, err
    planned = [
        (a["step"], a["detail"]) for a in json.loads(out)["actions"] if a["change"] != "skip"
    ]
    for name in ("letrade-alpha", "letrade-beta"):
        assert ("alias", f"delete alias {name}:live") in planned
        assert ("role", f"delete role {name}-role ({name})") in planned
        assert ("log-group", f"delete log group /aws/lambda/{name}") in planned
    code, out, err = cli("lambda-destroy", "--all", *base, "--yes", "--json")
    assert code == 0, err
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("letrade-")]
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/letrade-")["logGroups"] == []
    assert lam(moto_server).list_functions()["Functions"] == []


def test_deploy_all_writes_nothing_when_one_function_is_refused(
    tmp_path: Path, moto_server: str, role: str
) -> None:
    # Reproduction (issue 19): `--all` updated and published one function, then stopped with
    # exit 2 on a later one.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("alpha", "beta"):
        (src / f"{name}.py").write_text("def handler(event, context):\n    return 1\n")
    functions: dict[str, Any] = {
        "alpha": {"source": "src/alpha.py", "handler": "alpha.handler", "role_arn": role},
        "beta": {"source": "src/beta.py", "handler": "beta.handler"},  # no role: refused
    }
    profile = tmp_path / "lambda.yaml"
    profile.write_text(json.dumps({"defaults": {"region": "us-east-1"}, "functions": functions}))
    code, _, err = cli("lambda-deploy", "--all", "--profile", str(profile), "--endpoint-url",
                       moto_server, "--publish")  # fmt: skip
    assert code == 2, err
    assert "letrade-beta" in err and "role" in err
    assert lam(moto_server).list_functions()["Functions"] == []  # alpha was not written either
