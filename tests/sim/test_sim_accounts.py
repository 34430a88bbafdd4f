"""Sim account options: --balance parsing, defaults, and what `letrade sim` starts with."""

from __future__ import annotations

from decimal import Decimal

import pytest

from letrade_cli.sim.accounts import parse_balances
from letrade_cli.sim.config import SimConfig
from letrade_cli.sim.server import SimExchange
from letrade_cli.venues.binance.sim import DEFAULT_BALANCES as DEFAULT_BINANCE_BALANCES
from tests.sim.conftest import BinanceAccount


def test_parse_balances_per_venue_or_both() -> None:
    got = parse_balances(["10000USDT", "0.5btc", "upbit:5000000KRW"])
    assert got["binance"] == {"USDT": Decimal(10000), "BTC": Decimal("0.5")}
    assert got["upbit"] == {"USDT": Decimal(10000), "BTC": Decimal("0.5"), "KRW": Decimal(5000000)}
    assert parse_balances([]) == {}
    for bad in ("USDT", "10 000USDT", "kraken:1BTC", "-5USDT"):
        with pytest.raises(ValueError):
            parse_balances([bad])


def test_defaults_and_overrides() -> None:
    assert SimConfig().starting_balances("binance") == DEFAULT_BINANCE_BALANCES
    cfg = SimConfig(balances={"binance": {"USDT": Decimal(5)}})
    assert cfg.starting_balances("binance") == {"USDT": Decimal(5)}
    assert cfg.starting_balances("upbit")["KRW"] == Decimal(10_000_000)
    assert "secret" not in repr(cfg)


async def test_custom_keys_and_balances_open_the_account(http) -> None:  # type: ignore[no-untyped-def]
    cfg = SimConfig(api_key="k-1", api_secret="s-1", balances={"binance": {"USDT": Decimal(123)}})
    async with SimExchange(cfg) as sim:
        mine = BinanceAccount(http, sim.rest_url, key="k-1", secret="s-1")
        assert await mine.balances() == {"USDT": ("123.00000000", "0.00000000")}
        default = BinanceAccount(http, sim.rest_url)
        assert (await default.call("GET", "/api/v3/account"))[0] == 401


def test_cli_keys_and_balances_reach_the_account() -> None:
    """`letrade sim --api-key --api-secret --balance` in a real process, read with a signed call."""
    import hashlib
    import hmac
    import json
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    argv = [sys.executable, "-m", "letrade_cli", "sim", "--port", "0", "--rate", "50",
            "--api-key", "cli-key", "--api-secret", "cli-secret",
            "--balance", "250USDT", "--balance", "upbit:777000KRW"]  # fmt: skip
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ}, text=True
    )
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        query = f"timestamp={time.time_ns() // 1_000_000}"
        sig = hmac.new(b"cli-secret", query.encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            f"{line['rest_url']}/api/v3/account?{query}&signature={sig}",
            headers={"X-MBX-APIKEY": "cli-key"},
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            balances = json.loads(resp.read())["balances"]
        assert balances == [{"asset": "USDT", "free": "250.00000000", "locked": "0.00000000"}]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "cli-secret" not in out + err
