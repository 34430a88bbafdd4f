"""Shared serverless fixtures: a moto server on 127.0.0.1 and dummy AWS credentials.

Nothing here talks to real AWS. Usage::

    def test_something(moto_server: str, aws_env: None) -> None:
        s3 = boto3.client("s3", endpoint_url=moto_server)

``moto_server`` is one ``ThreadedMotoServer`` per test session (port 0: the OS picks a free
port), reset before every test so tests never see each other's buckets or functions. Lambda's
Docker-based invoke is switched off (see /work/shared/NOTES-aws.md): ``lambda.invoke`` answers
``{}``. ``aws_endpoint_env`` also exports ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` so
boto3 clients created without ``endpoint_url`` (and subprocesses) reach moto too.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

DUMMY_REGION = "us-east-1"
SECRET_ENV_VALUE = "s3cr3t-from-env-7f1c"
SECRET_SSM_VALUE = "s3cr3t-from-ssm-91ab"


def _post(url: str, payload: dict[str, object] | None = None) -> None:
    data = json.dumps(payload).encode() if payload is not None else b""
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


@pytest.fixture(scope="session")
def _moto_session_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_server(_moto_session_server: str) -> str:
    """Endpoint URL of a clean moto server (state reset before each test)."""
    _post(f"{_moto_session_server}/moto-api/reset")
    _post(f"{_moto_session_server}/moto-api/config", {"lambda": {"use_docker": False}})
    return _moto_session_server


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Dummy credentials and region; no profile, config file or IMDS lookup can reach real AWS."""
    empty = tmp_path_factory.mktemp("aws-empty")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_REGION", DUMMY_REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", DUMMY_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(Path(empty) / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(Path(empty) / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_endpoint_env(moto_server: str, aws_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """``aws_env`` plus AWS_ENDPOINT_URL(_S3) pointing at moto; yields the endpoint URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server)
    return moto_server


@pytest.fixture
def role(moto_server: str, aws_env: None) -> str:
    """An execution role in moto (and the SSM parameter the test profiles reference)."""
    iam = boto3.client("iam", endpoint_url=moto_server)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn: str = iam.create_role(
        RoleName="letrade-lambda", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    ssm = boto3.client("ssm", endpoint_url=moto_server)
    ssm.put_parameter(Name="/letrade/notify/token", Value=SECRET_SSM_VALUE, Type="SecureString")
    return arn


@pytest.fixture(autouse=True)
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deployer-side value behind the profiles' env:LETRADE_TEST_API_KEY reference."""
    monkeypatch.setenv("LETRADE_TEST_API_KEY", SECRET_ENV_VALUE)
