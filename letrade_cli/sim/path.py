"""One price path per symbol: every candle interval is an exact aggregate of its seconds.

A symbol's market is a sequence of one-second bars (open, high, low, close in ticks; volume and
taker-buy volume in lots; quote volume in 1e-8 units; trade count), a counter-based hash of
(seed, symbol, second): any day can be computed on its own, vectorised with numpy, and is cached.
Each second opens at the previous second's close, so a candle of any length is the plain
aggregate of its seconds (first open, max high, min low, last close, sums) and the 1 d candle
equals the aggregate of that day's 1 h candles, of its 1 m candles and of its seconds.
numpy is imported on first use (the CLI's ``--help`` stays light).
"""

from __future__ import annotations

import calendar
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from letrade_cli.sim.markets import E8, Market

if TYPE_CHECKING:
    import numpy as np

SECOND_MS = 1_000
MINUTE_MS = 60_000
DAY_MS = 86_400_000
DAY_S = 86_400
WEEK_MS = 7 * DAY_MS
MONDAY_OFFSET_MS = 4 * DAY_MS  # 1970-01-01 was a Thursday: weeks open on Monday 00:00 UTC
MASK64 = (1 << 64) - 1
# (lattice period in seconds, amplitude of log-price)
SCALES: tuple[tuple[int, float], ...] = (
    (60, 0.0008),
    (900, 0.003),
    (14_400, 0.012),
    (259_200, 0.04),
    (2_592_000, 0.12),
)
NOISE = 0.00012  # per-second log-price noise
CACHE_DAYS = 512


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
    taker_buy_quote_e8: int = 0


def _mix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def symbol_key(seed: int, symbol: str) -> int:
    """The hash key of one symbol under one seed."""
    return _mix((seed & 0xFFFFFFFF) << 32 | zlib.crc32(symbol.encode()))


def _mix_np(x: np.ndarray) -> np.ndarray:
    import numpy as np

    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _unit_np(key: int, n: np.ndarray) -> np.ndarray:
    """Hashes of (key, n) as floats in [-1, 1)."""
    import numpy as np

    h = _mix_np(np.uint64(key) ^ _mix_np(n.astype(np.uint64)))
    return h.astype(np.float64) / 2.0**63 - 1.0


@dataclass(frozen=True, slots=True)
class DayBars:
    """The 86,400 one-second bars of one UTC day, as numpy arrays (int64)."""

    open: Any
    high: Any
    low: Any
    close: Any
    volume: Any
    quote_e8: Any
    trades: Any
    taker_volume: Any
    taker_quote_e8: Any


_CACHE: OrderedDict[tuple[int, str, int, int, int], DayBars] = OrderedDict()


def _closes(key: int, start_ticks: int, secs: np.ndarray) -> np.ndarray:
    """The path's close price in ticks at the end of each second in ``secs``."""
    import numpy as np

    total = np.zeros(secs.shape, dtype=np.float64)
    for i, (period, amp) in enumerate(SCALES):
        k = _mix(key + i)
        q = secs // period
        f = (secs % period) / period
        w = (1 - np.cos(np.pi * f)) / 2
        total += amp * (_unit_np(k, q) * (1 - w) + _unit_np(k, q + 1) * w)
    total += NOISE * _unit_np(_mix(key ^ 0xA0A0), secs)
    return np.maximum(1, np.rint(start_ticks * np.exp(total))).astype(np.int64)


def day_bars(market: Market, seed: int, day: int) -> DayBars:
    """The one-second bars of UTC day number ``day`` (days since 1970-01-01), cached."""
    import numpy as np

    ck = (seed, market.symbol, market.start_ticks, market.qty_e8, day)
    hit = _CACHE.get(ck)
    if hit is not None:
        _CACHE.move_to_end(ck)
        return hit
    key = symbol_key(seed, market.symbol)
    secs = np.arange(day * DAY_S - 1, (day + 1) * DAY_S, dtype=np.int64)
    path = _closes(key, market.start_ticks, secs)
    opens, closes = path[:-1], path[1:]
    s = secs[1:]
    hk = _mix(key ^ 0x5EED)
    up = (_unit_np(hk, s * 8) + 1) / 2
    down = (_unit_np(hk, s * 8 + 1) + 1) / 2
    hi0 = np.maximum(opens, closes)
    lo0 = np.minimum(opens, closes)
    span = 0.00008
    high = hi0 + np.rint(hi0 * span * up * up).astype(np.int64)
    low = np.maximum(1, lo0 - np.rint(lo0 * span * down * down).astype(np.int64))
    activity = 1.0 + 0.6 * _unit_np(hk, (s // 3600) * 8 + 2)  # busier and quieter hours
    trades = np.maximum(1, np.rint(activity * (1.2 + _unit_np(hk, s * 8 + 3)))).astype(np.int64)
    usd_per_trade = 900.0 * (1.05 + _unit_np(hk, s * 8 + 4))
    lots = usd_per_trade / max(market.lot_usd, 1e-12)
    volume = np.maximum(trades, np.rint(lots * trades)).astype(np.int64)
    taker = np.rint(volume * (_unit_np(hk, s * 8 + 5) + 1) / 2).astype(np.int64)
    px = closes.astype(np.float64) * market.price_e8 / E8
    quote = np.rint(volume.astype(np.float64) * market.qty_e8 * px).astype(np.int64)
    taker_quote = np.rint(taker.astype(np.float64) * market.qty_e8 * px).astype(np.int64)
    bars = DayBars(opens, high, low, closes, volume, quote, trades, taker, taker_quote)
    _CACHE[ck] = bars
    if len(_CACHE) > CACHE_DAYS:
        _CACHE.popitem(last=False)
    return bars


def price_ticks_at(market: Market, seed: int, t_ms: int) -> int:
    """The path's last price at ``t_ms`` (the close of the second before it), in ticks."""
    sec = t_ms // SECOND_MS
    day, i = divmod(sec, DAY_S)
    return int(day_bars(market, seed, day).open[i])


def candle(
    market: Market, seed: int, open_ms: int, close_ms: int, now_ms: int | None = None
) -> Candle:
    """The exact aggregate of the path's seconds in ``[open_ms, close_ms)`` (whole seconds).

    With ``now_ms``, a candle still open stops at the last second that has passed.
    """
    first = open_ms // SECOND_MS
    upto = close_ms if now_ms is None else min(close_ms, now_ms)
    last = max(first + 1, -(-upto // SECOND_MS))
    o = h = lo = c = 0
    vol = quote = trades = taker = taker_q = 0
    sec = first
    while sec < last:
        day, i = divmod(sec, DAY_S)
        j = min(DAY_S, i + (last - sec))
        b = day_bars(market, seed, day)
        if sec == first:
            o, h, lo = int(b.open[i]), int(b.high[i:j].max()), int(b.low[i:j].min())
        else:
            h = max(h, int(b.high[i:j].max()))
            lo = min(lo, int(b.low[i:j].min()))
        c = int(b.close[j - 1])
        vol += int(b.volume[i:j].sum())
        quote += int(b.quote_e8[i:j].sum())
        trades += int(b.trades[i:j].sum())
        taker += int(b.taker_volume[i:j].sum())
        taker_q += int(b.taker_quote_e8[i:j].sum())
        sec += j - i
    return Candle(open_ms, close_ms, o, h, lo, c, vol, quote, trades, taker, taker_q)


def interval_open(interval: str, t_ms: int) -> int:
    """The open time of the ``interval`` candle that contains ``t_ms`` (UTC alignment)."""
    if interval == "1M":
        y, mo = _ym(t_ms)
        return calendar.timegm((y, mo, 1, 0, 0, 0)) * 1000
    if interval == "1w":
        return t_ms - (t_ms - MONDAY_OFFSET_MS) % WEEK_MS
    step = fixed_ms(interval)
    return t_ms - t_ms % step


def interval_next(interval: str, open_ms: int) -> int:
    """The open time of the candle after the one opening at ``open_ms``."""
    if interval == "1M":
        y, mo = _ym(open_ms)
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        return calendar.timegm((y, mo, 1, 0, 0, 0)) * 1000
    if interval == "1w":
        return open_ms + WEEK_MS
    return open_ms + fixed_ms(interval)


def _ym(t_ms: int) -> tuple[int, int]:
    import time

    st = time.gmtime(t_ms // 1000)
    return st.tm_year, st.tm_mon


_UNITS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": DAY_MS, "w": WEEK_MS}


def fixed_ms(interval: str) -> int:
    """The length of a fixed-length interval such as ``"15m"`` (not ``"1M"``)."""
    return int(interval[:-1]) * _UNITS[interval[-1]]


def candles_between(
    market: Market,
    seed: int,
    interval: str,
    start_ms: int,
    end_ms: int,
    limit: int,
    now_ms: int | None = None,
) -> list[Candle]:
    """Up to ``limit`` candles, oldest first, opening in ``[open(start_ms), end_ms]``."""
    out: list[Candle] = []
    t = interval_open(interval, start_ms)
    while t <= end_ms and len(out) < limit:
        nxt = interval_next(interval, t)
        out.append(candle(market, seed, t, nxt, now_ms))
        t = nxt
    return out


def candles_ending(
    market: Market, seed: int, interval: str, end_ms: int, count: int, now_ms: int | None = None
) -> list[Candle]:
    """``count`` candles, oldest first, the last one containing ``end_ms``."""
    if count <= 0:
        return []
    t = interval_open(interval, end_ms)
    opens = [t]
    while len(opens) < count:
        prev = interval_open(interval, opens[-1] - 1)
        opens.append(prev)
    opens.reverse()
    return [candle(market, seed, o, interval_next(interval, o), now_ms) for o in opens]
