from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import boto3
import pytest

from letrade_cli.core.errors import ConfigError
from letrade_cli.serverless.local.imports import UnresolvedImportError
from letrade_cli.serverless.local.invoke import invoke_local, resolve_environment
from tests.serverless.lambda_fixtures import HOST_RUNTIME, write_function, write_profile

PROBE = """
import importlib.util
import os
import sys

STATE = {"calls": 0}


def handler(event, context):
    STATE["calls"] += 1
    print("hello from the handler")
    return {
        "event": event,
        "calls": STATE["calls"],
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 30000,
        "arn": context.invoked_function_arn,
        "log_group": context.log_group_name,
        "env_name": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "greeting": os.environ.get("GREETING"),
        "token": os.environ.get("API_TOKEN"),
        "boto3": importlib.util.find_spec("boto3") is not None,
        "typer": importlib.util.find_spec("typer") is not None,
        "letrade": importlib.util.find_spec("letrade_cli") is not None,
        "task_first": sys.path[0] == os.environ["LAMBDA_TASK_ROOT"],
    }
"""


def profile_with(tmp_path: Path, files: dict[str, str], **spec: object):  # type: ignore[no-untyped-def]
    write_function(tmp_path, "probe", files)
    extra = spec.pop("_profile", {})
    entry = {
        "source": "src/probe",
        "handler": "app.handler",
        "timeout": 30,
        "memory": 128,
        "runtime": HOST_RUNTIME,
        **spec,
    }
    return write_profile(tmp_path, {"probe": entry}, **extra)  # type: ignore[arg-type]


def test_runs_cold_then_warm_in_a_clean_interpreter(tmp_path: Path) -> None:
    profile = profile_with(
        tmp_path,
        {"app.py": PROBE},
        environment={"GREETING": "hi", "API_TOKEN": "env:PROBE_TOKEN"},
    )
    result = invoke_local(
        profile, "probe", event={"x": 1}, warm=2, out_dir=tmp_path / "out",
        caller_env={"PROBE_TOKEN": "s3cr3t", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert [inv.cold for inv in result.invocations] == [True, False, False]
    out = result.result
    assert out["calls"] == 3  # one process: module state survives warm calls
    assert out["event"] == {"x": 1} and out["memory"] == 128
    assert out["function_name"] == out["env_name"] == "letrade-probe"
    assert out["arn"].endswith(":function:letrade-probe") and out["remaining_ok"]
    assert out["log_group"] == "/aws/lambda/letrade-probe"
    assert out["greeting"] == "hi" and out["token"] == "s3cr3t"
    assert out["boto3"] and not out["typer"] and not out["letrade"] and out["task_first"]
    assert result.init_ms > 0 and result.cold_ms > result.init_ms and len(result.warm_ms) == 2
    reports = [inv.report for inv in result.invocations]
    assert all(reports) and reports[0].init_duration_ms is not None  # type: ignore[union-attr]
    assert reports[1].init_duration_ms is None  # type: ignore[union-attr]
    assert "hello from the handler" in result.logs
    assert result.to_dict()["env"] == ["API_TOKEN", "GREETING"]  # names, never values
    assert "s3cr3t" not in str(result.to_dict()["env"])


def test_module_missing_at_run_time_is_a_clear_error(tmp_path: Path) -> None:
    # The layer is not built, so its module names are guessed from requirements: the static check
    # passes, the run fails the way Lambda would.
    profile = profile_with(
        tmp_path,
        {"app.py": "import json\nimport pyupbit\n\ndef handler(e, c):\n    return 1\n"},
        layers=["deps"],
        _profile={"layers": {"deps": {"requirements": ["pyupbit==0.2"]}}},
    )
    with pytest.raises(UnresolvedImportError) as info:
        invoke_local(profile, "probe", event={}, out_dir=tmp_path / "out", caller_env={})
    assert str(info.value).startswith(
        "probe: init failed: app.py:2: ModuleNotFoundError: No module named 'pyupbit'"
    )


def test_handler_exception_is_reported_as_lambda_would(tmp_path: Path) -> None:
    profile = profile_with(
        tmp_path, {"app.py": "def handler(e, c):\n    raise ValueError('bad event')\n"}
    )
    result = invoke_local(profile, "probe", event={}, out_dir=tmp_path / "out", caller_env={})
    error = result.invocations[0].error
    assert error is not None and error["errorType"] == "ValueError"
    assert error["errorMessage"] == "bad event"


def test_layer_dir_is_on_sys_path(tmp_path: Path) -> None:
    layer = tmp_path / "mylayer" / "python" / "fastthing"
    layer.mkdir(parents=True)
    (layer / "__init__.py").write_text("VALUE = 42\n")
    profile = profile_with(
        tmp_path, {"app.py": "import fastthing\n\ndef handler(e, c):\n    return fastthing.VALUE\n"}
    )
    result = invoke_local(
        profile, "probe", event={}, out_dir=tmp_path / "out", caller_env={},
        extra_layers=[tmp_path / "mylayer"],
    )  # fmt: skip
    assert result.result == 42


def test_references_need_a_source() -> None:
    with pytest.raises(ConfigError, match="references env:NOPE, which is not set"):
        resolve_environment({"API_TOKEN": "env:NOPE"}, {}, {}, region="us-east-1")
    with pytest.raises(ConfigError, match="only through a configured endpoint"):
        resolve_environment({"API_TOKEN": "ssm:/letrade/t"}, {}, {}, region="us-east-1")
    overridden = resolve_environment(
        {"API_TOKEN": "ssm:/letrade/t"}, {}, {"API_TOKEN": "given"}, region="us-east-1"
    )
    assert overridden == {"API_TOKEN": "given"}


def test_ssm_reference_is_checked_and_passed_on_not_resolved(
    moto_server: str, aws_env: None
) -> None:
    ssm = boto3.client("ssm", endpoint_url=moto_server, region_name="us-east-1")
    ssm.put_parameter(Name="/letrade/notify/token", Value="tok", Type="SecureString")
    env = resolve_environment(
        {"NOTIFY_TOKEN": "ssm:/letrade/notify/token", "PLAIN": "x"},
        {"AWS_ENDPOINT_URL": moto_server},
        {},
        region="us-east-1",
    )
    assert env == {"NOTIFY_TOKEN": "ssm:/letrade/notify/token", "PLAIN": "x"}  # as in Lambda
    with pytest.raises(ConfigError, match="cannot read ssm:/letrade/none: ParameterNotFound"):
        resolve_environment(
            {"T": "ssm:/letrade/none"}, {"AWS_ENDPOINT_URL": moto_server}, {}, region="us-east-1"
        )


def test_the_scanner_reads_its_token_at_run_time_through_its_endpoint(
    tmp_path: Path, moto_server: str, aws_env: None
) -> None:
    """The shipped scanner, run as Lambda would: its token is read from SSM by the function."""
    ssm = boto3.client("ssm", endpoint_url=moto_server, region_name="us-east-1")
    ssm.put_parameter(Name="/letrade/notify/token", Value="tok-91ab-secret", Type="SecureString")
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    s3.create_bucket(Bucket="data")
    received: list[str] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.headers.get("Authorization", ""))
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        environment = {
            "BUCKET": "data",
            "PREFIX": "raw",
            "NOTIFY_URL": f"http://127.0.0.1:{server.server_port}/hook",
            "NOTIFY_TOKEN": "ssm:/letrade/notify/token",
        }
        spec = {"source": "scanner", "handler": "scanner.handler", "runtime": HOST_RUNTIME,
                "timeout": 30, "environment": environment}  # fmt: skip
        profile = write_profile(tmp_path, {"scanner": spec})
        caller = {
            "AWS_ENDPOINT_URL": moto_server,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "PATH": "/usr/bin:/bin",
        }
        result = invoke_local(
            profile, "scanner", event={}, warm=1, out_dir=tmp_path / "out", caller_env=caller
        )
    finally:
        server.shutdown()
    assert received == ["Bearer tok-91ab-secret"] * 2  # the cold call and the warm one
    assert result.result["markets"] == 0
