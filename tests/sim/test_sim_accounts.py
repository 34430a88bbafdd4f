"""Sim account options: --balance parsing, defaults, and what `letrade sim` starts with."""

from __future__ import annotations

from decimal import Decimal

import pytest

from letrade_cli.sim.accounts import DEFAULT_BINANCE_BALANCES, parse_balances
from letrade_cli.sim.config import SimConfig
from letrade_cli.sim.server import SimExchange
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
    cfg = SimConfig(binance_balances={"USDT": Decimal(5)})
    assert cfg.starting_balances("binance") == {"USDT": Decimal(5)}
    assert cfg.starting_balances("upbit")["KRW"] == Decimal(10_000_000)
    assert "secret" not in repr(cfg)


async def test_custom_keys_and_balances_open_the_account(http) -> None:  # type: ignore[no-untyped-def]
    cfg = SimConfig(api_key="k-1", api_secret="s-1", binance_balances={"USDT": Decimal(123)})
    async with SimExchange(cfg) as sim:
        mine = BinanceAccount(http, sim.rest_url, key="k-1", secret="s-1")
        assert await mine.balances() == {"USDT": ("123.00000000", "0.00000000")}
        default = BinanceAccount(http, sim.rest_url)
        assert (await default.call("GET", "/api/v3/account"))[0] == 401
