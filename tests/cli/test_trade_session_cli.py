"""`letrade trade` over the account session, as run: Ed25519 keys, refused keys, WS API errors.

Bad input gets one line naming the variable and the fix (exit 2); a venue's refusal exits 3 with
its code and message; no key material is ever printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.cli.test_trade_cli import API_KEY, SECRET, SimThread, letrade, on_sim, one_error_line
from tests.cli.test_trade_cli import profile as profile
from tests.cli.test_trade_cli import sim as sim

ED_API_KEY = "ed-0123456789abcdef0123456789abcdef"


def _pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def ed_profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("profiles") / "ed-sim.yaml"
    path.write_text(
        "venue: sim\n"
        "trading:\n"
        "  keys: {api_key_env: LETRADE_SIM_API_KEY, ed25519_key_env: LETRADE_SIM_ED25519_KEY}\n"
        "  orders: {timeout_s: 3, order_transport: ws}\n"
    )
    return str(path)


def test_an_ed25519_key_logs_on_and_trades_on_the_embedded_sim(ed_profile: str) -> None:
    pem = _pem(Ed25519PrivateKey.generate())
    env = {"LETRADE_SIM_API_KEY": ED_API_KEY, "LETRADE_SIM_ED25519_KEY": pem}
    done = letrade("trade", "buy", "BTCUSDT", "0.001", "--json", "--profile", ed_profile, env=env)
    assert done.returncode == 0, done.stderr
    order = json.loads(done.stdout.splitlines()[-1])
    assert order["status"] == "FILLED"
    for text in (done.stdout, done.stderr):
        assert "PRIVATE KEY" not in text and pem.splitlines()[1] not in text


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "LETRADE_SIM_ED25519_KEY is not set"),
        ("/nowhere/ed25519.pem", "LETRADE_SIM_ED25519_KEY names a key file that does not exist"),
        ("ed448", "LETRADE_SIM_ED25519_KEY does not hold a usable Ed25519 private key"),
        ("not-base64-!!", "LETRADE_SIM_ED25519_KEY does not hold a usable Ed25519 private key"),
    ],
)
def test_a_missing_unreadable_or_wrong_ed25519_key_is_one_line_and_exit_2(
    ed_profile: str, value: str | None, words: str
) -> None:
    env = {"LETRADE_SIM_API_KEY": ED_API_KEY}
    if value == "ed448":
        value = _pem(Ed448PrivateKey.generate())
    if value is not None:
        env["LETRADE_SIM_ED25519_KEY"] = value
    done = letrade("trade", "balance", "--profile", ed_profile, env=env)
    assert done.returncode == 2, done.stderr
    line = one_error_line(done)
    assert words in line
    if value is not None and "PRIVATE" in value:
        assert value.splitlines()[1] not in done.stderr


def test_an_unreadable_key_file_is_named(ed_profile: str, tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads any file: permissions cannot be tested")
    key = tmp_path / "ed25519.pem"
    key.write_text(_pem(Ed25519PrivateKey.generate()))
    key.chmod(0)
    env = {"LETRADE_SIM_API_KEY": ED_API_KEY, "LETRADE_SIM_ED25519_KEY": str(key)}
    done = letrade("trade", "balance", "--profile", ed_profile, env=env)
    assert done.returncode == 2
    assert "cannot be read" in one_error_line(done)


def test_a_session_that_cannot_authenticate_exits_3_naming_the_key_variables(
    sim: SimThread,
) -> None:
    env = {"LETRADE_SIM_API_KEY": API_KEY, "LETRADE_SIM_API_SECRET": "wrong-" + SECRET[6:]}
    done = letrade(
        "trade", "balance", "--profile", sim.profile, "--rest-url", sim.sim.rest_url, env=env
    )
    assert done.returncode == 3, done.stderr
    line = one_error_line(done)
    assert "refused the keys" in line and "$LETRADE_SIM_API_KEY" in line and "-1022" in line
    assert API_KEY not in done.stderr and SECRET[6:] not in done.stderr


def test_a_ws_api_error_answer_exits_3_with_binances_code_and_message(sim: SimThread) -> None:
    done = on_sim(sim, "trade", "sell", "BTCUSDT", "50", "--order-transport", "ws")
    assert done.returncode == 3, done.stderr
    line = one_error_line(done)
    assert "order.place" in line and "-2010" in line and "insufficient balance" in line
