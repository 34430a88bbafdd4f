"""Deterministic price history: the same seed, symbol and time always give the same candle.

Every candle is the exact aggregate of the symbol's one-second path (:mod:`letrade_cli.sim.path`),
so candles of different intervals agree with each other and a data collector can fetch the same
window twice and get identical candles. The live generator starts each symbol at the path's
current price, so history and stream meet.
"""

from __future__ import annotations

from letrade_cli.sim.markets import Market
from letrade_cli.sim.path import (
    Candle,
    candle,
    candles_between,
    candles_ending,
    interval_next,
    interval_open,
    price_ticks_at,
    symbol_key,
)

MINUTE_MS = 60_000

__all__ = [
    "Candle",
    "candle",
    "candles_before",
    "candles_between",
    "candles_ending",
    "interval_next",
    "interval_open",
    "price_ticks_at",
    "symbol_key",
]


def candles_before(
    market: Market, seed: int, interval_ms: int, end_ms: int, count: int, now_ms: int | None = None
) -> list[Candle]:
    """``count`` aligned fixed-length candles, oldest first, the last one containing ``end_ms``."""
    last_open = end_ms - end_ms % interval_ms
    first_open = last_open - (count - 1) * interval_ms
    return [
        candle(market, seed, t, t + interval_ms, now_ms)
        for t in range(first_open, last_open + 1, interval_ms)
    ]
