"""Upbit's trade ticks (``GET /v1/trades/ticks``), drawn from the deterministic price path.

Every second of a symbol's path (:func:`letrade_cli.sim.path.hour_bars`) holds ``trades``
trades: the last one at the second's close, the others at its high or its low, their volumes
summing to the second's volume, each one the buyer's (``BID``) with the second's taker-buy share.
The times and sides are a hash of (seed, symbol, second), so the same request always answers the
same ticks, and a candle's ``timestamp`` (its last tick) is :func:`last_trade_ms` of its last
second. ``sequential_id`` is ``ms * 1000 + index within the second``, like the ``trade`` stream's.
The live generator walks on its own from the path's price, so these are history, not the trades
the ``trade`` stream sent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from letrade_cli.sim.candles import symbol_key
from letrade_cli.sim.markets import Market
from letrade_cli.sim.path import HOUR_S, SECOND_MS, hour_bars


@dataclass(frozen=True, slots=True)
class TradeTick:
    """One trade: time, id, price in ticks, volume in lots, and whether the seller took."""

    ms: int
    seq: int
    price: int
    volume: int
    ask: bool


def _rng(market: Market, seed: int, sec: int) -> random.Random:
    return random.Random(symbol_key(seed, market.symbol) * 0x1_0000_0000 + sec)


def _last_offset(rng: random.Random) -> int:
    """The ms of the second's last trade: the first draw, whatever the second's trade count."""
    return 500 + rng.randrange(500)


def last_trade_ms(market: Market, seed: int, sec: int) -> int:
    """The time of the last trade of second ``sec`` (every second of the path trades)."""
    return sec * SECOND_MS + _last_offset(_rng(market, seed, sec))


def second_trades(market: Market, seed: int, sec: int) -> list[TradeTick]:
    """The trades of second ``sec`` (seconds since the epoch), oldest first."""
    bars = hour_bars(market, seed, sec // HOUR_S)
    i = sec % HOUR_S
    count, volume = int(bars.trades[i]), int(bars.volume[i])
    buy_share = int(bars.taker_volume[i]) / volume if volume else 0.5
    rng = _rng(market, seed, sec)
    last = _last_offset(rng)
    offsets = [*sorted(rng.sample(range(last), count - 1)), last]
    base, extra = divmod(volume, count)
    high, low = int(bars.high[i]), int(bars.low[i])
    out = []
    for j, offset in enumerate(offsets):
        price = int(bars.close[i]) if j == count - 1 else high if rng.random() < 0.5 else low
        ms = sec * SECOND_MS + offset
        lots = base + (1 if j < extra else 0)
        out.append(TradeTick(ms, ms * 1000 + j, price, lots, rng.random() >= buy_share))
    return out


def ticks_before(
    market: Market, seed: int, end_ms: int, floor_ms: int, count: int, before: int | None = None
) -> list[TradeTick]:
    """Up to ``count`` trades in ``[floor_ms, end_ms)`` with ids under ``before``, newest first."""
    out: list[TradeTick] = []
    sec = (end_ms - 1) // SECOND_MS
    if before is not None:
        sec = min(sec, before // 1000 // SECOND_MS)
    while len(out) < count and sec >= floor_ms // SECOND_MS:
        for tick in reversed(second_trades(market, seed, sec)):
            if floor_ms <= tick.ms < end_ms and (before is None or tick.seq < before):
                out.append(tick)
                if len(out) == count:
                    break
        sec -= 1
    return out
