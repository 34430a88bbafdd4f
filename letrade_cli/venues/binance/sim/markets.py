"""The Binance symbols the sim lists: majors x USDT/FDUSD/USDC/BTC/ETH/BNB, Binance tick sizes."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from letrade_cli.sim.markets import QUOTE_USD, USD_PRICES, Market, make_market, significant_tick
from letrade_cli.venues.binance.sim.account import BINANCE as NAME

BINANCE_QUOTES = ("USDT", "FDUSD", "USDC", "BTC", "ETH", "BNB")


def _binance_tick(price: float) -> Decimal:
    return significant_tick(price)


@cache
def binance_markets() -> dict[str, Market]:
    """Every Binance symbol the sim lists (majors x USDT/FDUSD/USDC/BTC/ETH/BNB)."""
    out: dict[str, Market] = {}
    for base in USD_PRICES:
        for quote in BINANCE_QUOTES:
            if base == quote or (quote in ("ETH", "BNB") and base in ("BTC", "ETH")):
                continue
            price = USD_PRICES[base] / QUOTE_USD[quote]
            if price < 1e-7:
                continue
            out[base + quote] = make_market(base + quote, NAME, base, quote, _binance_tick(price))
    return out
