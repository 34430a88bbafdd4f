"""lambda-logs / rollback / destroy on bad targets: one line, deploy's exit codes (issue 19)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

NO_CREDENTIALS = {
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_EC2_METADATA_DISABLED": "true",
}
DUMMY = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **NO_CREDENTIALS}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nobody listens


def letrade(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "letrade_cli", *args],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
        env={**base, "NO_COLOR": "1", "COLUMNS": "200", "AWS_MAX_ATTEMPTS": "1", **env},
    )


@pytest.mark.parametrize(
    "command",
    [
        ("lambda-logs", "data-collector"),
        ("lambda-rollback", "data-collector", "--alias", "live", "--plan"),
        ("lambda-destroy", "data-collector", "--plan"),
    ],
    ids=lambda c: c[0],
)
@pytest.mark.parametrize(
    ("flags", "env", "code", "says"),
    [
        (("--endpoint-url", "garbage"), DUMMY, 2, "--endpoint-url: 'garbage' is not a valid"),
        (("--endpoint-url", "http://127.0.0.1:{port}"), DUMMY, 4, "cannot reach the AWS endpoint"),
        (("--aws-profile", "nope"), NO_CREDENTIALS, 2, "The config profile (nope) could not be"),
        (("--endpoint-url", "http://127.0.0.1:{port}"), NO_CREDENTIALS, 2, "no AWS credentials"),
    ],
    ids=["garbage-endpoint", "endpoint-down", "unknown-aws-profile", "no-credentials"],
)
def test_a_bad_target_is_one_line_and_the_right_exit_code(
    command: tuple[str, ...], flags: tuple[str, ...], env: dict[str, str], code: int, says: str
) -> None:
    port = closed_port()
    done = letrade(*command, *(f.format(port=port) for f in flags), env=env)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], done.stderr


def test_since_reaching_before_1970_is_a_usage_error(tmp_path: Path) -> None:
    done = letrade("lambda-logs", "data-collector", "--since", "99999999d", env=DUMMY)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --since '99999999d' reaches back before 1970")
