"""Deterministic price history: the same seed, symbol and time always give the same candle.

The price path is smooth value noise at several time scales, hashed from (seed, symbol, scale,
lattice point), so any past interval can be computed on its own without replaying the market.
A data collector can fetch the same window twice and get byte-identical candles. The live
generator starts each symbol at the path's current price, so history and stream meet.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

from letrade_cli.sim.markets import E8, Market

MASK64 = (1 << 64) - 1
MINUTE_MS = 60_000
# (lattice period in ms, amplitude of log-price)
SCALES: tuple[tuple[int, float], ...] = (
    (60_000, 0.0008),
    (900_000, 0.003),
    (14_400_000, 0.012),
    (259_200_000, 0.04),
    (2_592_000_000, 0.12),
)


def _mix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def _unit(key: int, n: int) -> float:
    """A hash of (key, n) as a float in [-1, 1)."""
    return _mix(key ^ _mix(n & MASK64)) / 2**63 - 1.0


def symbol_key(seed: int, symbol: str) -> int:
    """The hash key of one symbol under one seed."""
    return _mix((seed & 0xFFFFFFFF) << 32 | zlib.crc32(symbol.encode()))


def log_offset(key: int, t_ms: int) -> float:
    """The path's log-price offset from the market's typical price at ``t_ms``."""
    total = 0.0
    for i, (period, amp) in enumerate(SCALES):
        k = _mix(key + i)
        q, r = divmod(t_ms, period)
        f = r / period
        w = (1 - math.cos(math.pi * f)) / 2
        total += amp * (_unit(k, q) * (1 - w) + _unit(k, q + 1) * w)
    return total


def price_ticks_at(market: Market, seed: int, t_ms: int) -> int:
    """The path's price at ``t_ms`` in whole ticks (at least 1)."""
    key = symbol_key(seed, market.symbol)
    return max(1, round(market.start_ticks * math.exp(log_offset(key, t_ms))))


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV bar; prices in ticks, volume in lots, quote volume in 1e-8 units."""

    open_ms: int
    close_ms: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    quote_e8: int
    trades: int
    taker_buy_volume: int


def candle(market: Market, seed: int, open_ms: int, close_ms: int) -> Candle:
    """The candle covering ``[open_ms, close_ms)``; ``close_ms`` is exclusive."""
    key = symbol_key(seed, market.symbol)
    start = market.start_ticks
    o = max(1, round(start * math.exp(log_offset(key, open_ms))))
    c = max(1, round(start * math.exp(log_offset(key, close_ms))))
    minutes = max(1.0, (close_ms - open_ms) / MINUTE_MS)
    span = 0.0006 * math.sqrt(minutes)
    h_key = _mix(key ^ 0x5EED)
    up = (_unit(h_key, open_ms) + 1) / 2
    down = (_unit(h_key, open_ms + 1) + 1) / 2
    high = max(o, c) + round(max(o, c) * span * up)
    low = max(1, min(o, c) - round(min(o, c) * span * down))
    usd_per_min = 400_000 * (0.3 + (_unit(h_key, open_ms + 2) + 1))
    volume = max(1, round(usd_per_min * minutes / max(market.lot_usd, 1e-12)))
    taker = round(volume * (_unit(h_key, open_ms + 3) + 1) / 2)
    mid_e8 = (o + c) * market.price_e8 // 2
    quote_e8 = volume * market.qty_e8 * mid_e8 // E8
    trades = max(1, round(40 * minutes * (1.5 + _unit(h_key, open_ms + 4))))
    return Candle(open_ms, close_ms, o, high, low, c, volume, quote_e8, trades, taker)


def candles_before(
    market: Market, seed: int, interval_ms: int, end_ms: int, count: int
) -> list[Candle]:
    """``count`` aligned candles, oldest first, the last one containing ``end_ms``."""
    last_open = end_ms - end_ms % interval_ms
    first_open = last_open - (count - 1) * interval_ms
    return [
        candle(market, seed, t, t + interval_ms)
        for t in range(first_open, last_open + 1, interval_ms)
    ]
