"""The one redaction rule: URL credentials, secret query values, JWTs, secret variables."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letrade_cli.core.redact import redact

PART = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-_.~%!$&*+,;", min_size=1)


@given(user=PART, password=PART.filter(lambda p: len(p) >= 3))
def test_no_url_password_survives(user: str, password: str) -> None:
    for text in (
        f"cannot reach http://{user}:{password}@127.0.0.1:8080/api",
        f"cannot reach binance at {user}:{password}@127.0.0.1:1: refused",
    ):
        assert f"{user}:{password}@" not in redact(text)


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("GET /api/v3/order?symbol=BTCUSDT&signature=9f8e7d6c5b4a", "9f8e7d6c5b4a"),
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=abcdef0123&x=1", "abcdef0123"),
        ("bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl", "eyJhbGci"),
    ],
)
def test_secret_query_values_and_jwts_are_masked(text: str, gone: str) -> None:
    assert gone not in redact(text) and "***" in redact(text)


def test_ordinary_text_is_left_alone() -> None:
    text = "error: unknown symbol 'BTCUSD' — e.g. BTCUSDT at 12:30 (see `letrade venues`)"
    assert redact(text) == text


def test_a_password_in_the_rest_url_is_not_printed_back() -> None:
    # Reproduction (issue 19): `cannot reach u:pw@host...` printed the password back.
    env = {**os.environ, "NO_COLOR": "1", "LETRADE_REST_URL": "http://u:s3cr3tpw@127.0.0.1:1",
           "LETRADE_WS_URL": "ws://u:s3cr3tpw@127.0.0.1:1"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "letrade_cli", "stream", "BTCUSDT", "--venue", "binance",
         "--json", "--duration", "2"],
        capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert "s3cr3tpw" not in done.stderr + done.stdout
    assert "error: cannot reach" in done.stderr and "***@127.0.0.1" in done.stderr
