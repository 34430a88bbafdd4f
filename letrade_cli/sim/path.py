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
GAMMA = 0x9E3779B97F4A7C15
# (lattice period in seconds, amplitude of log-price)
SCALES: tuple[tuple[int, float], ...] = (
    (60, 0.0008),
    (900, 0.003),
    (14_400, 0.012),
    (259_200, 0.04),
    (2_592_000, 0.12),
)
NOISE = 0.00012  # per-second log-price noise
HOUR_S = 3_600
CACHE_HOURS = 256  # one-second bars, about 0.26 MB an hour
CACHE_MINUTE_HOURS = 16_384  # one-minute aggregates, about 4 KB an hour
CACHE_SUMMARIES = 1_000_000


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


def _unit(key: int, n: int) -> float:
    """A hash of (key, n) as a float in [-1, 1) (the scalar twin of ``_unit_np``)."""
    return _mix((n * GAMMA + key) & MASK64) / 2.0**63 - 1.0


def _hash_np(key: int, n: np.ndarray) -> np.ndarray:
    """64-bit hashes of (key, n), splitmix64 style: one mix per value."""
    import numpy as np

    with np.errstate(over="ignore"):
        return _mix_np(n.astype(np.uint64) * np.uint64(GAMMA) + np.uint64(key))


def _unit_np(key: int, n: np.ndarray) -> np.ndarray:
    """Hashes of (key, n) as floats in [-1, 1)."""
    import numpy as np

    return _hash_np(key, n).astype(np.float64) / 2.0**63 - 1.0


def _fields(h: np.ndarray, shift: int) -> np.ndarray:
    """One 16-bit field of each hash as a float in [0, 1)."""
    import numpy as np

    return ((h >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.float64) / 65_536.0


@dataclass(frozen=True, slots=True)
class HourBars:
    """The 3,600 one-second bars of one UTC hour, as numpy arrays (int64)."""

    open: Any
    high: Any
    low: Any
    close: Any
    volume: Any
    quote_e8: Any
    trades: Any
    taker_volume: Any
    taker_quote_e8: Any


# (open, high, low, close, volume, quote_e8, trades, taker_volume, taker_quote_e8)
Summary = tuple[int, int, int, int, int, int, int, int, int]

_BARS: OrderedDict[tuple[int, str, int, int, int], HourBars] = OrderedDict()
_MINUTES: OrderedDict[tuple[int, str, int, int, int], HourBars] = OrderedDict()
_SUMMARIES: OrderedDict[tuple[int, str, int, int, int], Summary] = OrderedDict()


def _lattice(k: int, q: np.ndarray) -> np.ndarray:
    """``_unit_np(k, q)`` for a sorted run of lattice indices, hashing each index once."""
    import numpy as np

    lo = int(q[0])
    values = _unit_np(k, np.arange(lo, int(q[-1]) + 1, dtype=np.int64))
    return values[q - lo]


def _closes(key: int, start_ticks: int, secs: np.ndarray) -> np.ndarray:
    """The path's close price in ticks at the end of each second in ``secs`` (ascending)."""
    import numpy as np

    total = np.zeros(secs.shape, dtype=np.float64)
    for i, (period, amp) in enumerate(SCALES):
        k = _mix(key + i)
        q = secs // period
        f = (secs % period) / period
        w = f * f * (3 - 2 * f)  # smoothstep: as smooth as a cosine, cheaper
        total += amp * (_lattice(k, q) * (1 - w) + _lattice(k, q + 1) * w)
    total += NOISE * _unit_np(_mix(key ^ 0xA0A0), secs)
    return np.maximum(1, np.rint(start_ticks * np.exp(total))).astype(np.int64)


def hour_bars(market: Market, seed: int, hour: int) -> HourBars:
    """The one-second bars of UTC hour number ``hour`` (hours since 1970-01-01), cached."""
    import numpy as np

    ck = (seed, market.symbol, market.start_ticks, market.qty_e8, hour)
    hit = _BARS.get(ck)
    if hit is not None:
        _BARS.move_to_end(ck)
        return hit
    key = symbol_key(seed, market.symbol)
    secs = np.arange(hour * HOUR_S - 1, (hour + 1) * HOUR_S, dtype=np.int64)
    path = _closes(key, market.start_ticks, secs)
    opens, closes = path[:-1], path[1:]
    s = secs[1:]
    hk = _mix(key ^ 0x5EED)
    h1 = _hash_np(hk, s)  # four 16-bit draws per second: wick up, wick down, trades, size
    h2 = _hash_np(hk ^ 0x7A7A, s)  # taker share
    up = _fields(h1, 0)
    down = _fields(h1, 16)
    hi0 = np.maximum(opens, closes)
    lo0 = np.minimum(opens, closes)
    span = 0.00008
    high = hi0 + np.rint(hi0 * span * up * up).astype(np.int64)
    low = np.maximum(1, lo0 - np.rint(lo0 * span * down * down).astype(np.int64))
    activity = 1.0 + 0.6 * _unit(hk, hour * 8 + 2)  # busier and quieter hours
    jitter = 2 * _fields(h1, 32) - 1
    trades = np.maximum(1, np.rint(activity * (1.2 + jitter))).astype(np.int64)
    usd_per_trade = 900.0 * (1.05 + 2 * _fields(h1, 48) - 1)
    lots = usd_per_trade / max(market.lot_usd, 1e-12)
    volume = np.maximum(trades, np.rint(lots * trades)).astype(np.int64)
    taker = np.rint(volume * _fields(h2, 0)).astype(np.int64)
    px = closes.astype(np.float64) * market.price_e8 / E8
    quote = np.rint(volume.astype(np.float64) * market.qty_e8 * px).astype(np.int64)
    taker_quote = np.rint(taker.astype(np.float64) * market.qty_e8 * px).astype(np.int64)
    bars = HourBars(opens, high, low, closes, volume, quote, trades, taker, taker_quote)
    _BARS[ck] = bars
    if len(_BARS) > CACHE_HOURS:
        _BARS.popitem(last=False)
    return bars


def _aggregate(b: HourBars, i: int, j: int) -> Summary:
    """The aggregate of seconds ``[i, j)`` of one hour."""
    return (
        int(b.open[i]),
        int(b.high[i:j].max()),
        int(b.low[i:j].min()),
        int(b.close[j - 1]),
        int(b.volume[i:j].sum()),
        int(b.quote_e8[i:j].sum()),
        int(b.trades[i:j].sum()),
        int(b.taker_volume[i:j].sum()),
        int(b.taker_quote_e8[i:j].sum()),
    )


def _minutes(b: HourBars) -> HourBars:
    """The 60 one-minute aggregates of one hour's seconds (same fields, one row a minute)."""

    def grid(a: Any) -> Any:
        return a.reshape(60, 60)

    return HourBars(
        grid(b.open)[:, 0].copy(),
        grid(b.high).max(axis=1),
        grid(b.low).min(axis=1),
        grid(b.close)[:, -1].copy(),
        grid(b.volume).sum(axis=1),
        grid(b.quote_e8).sum(axis=1),
        grid(b.trades).sum(axis=1),
        grid(b.taker_volume).sum(axis=1),
        grid(b.taker_quote_e8).sum(axis=1),
    )


def hour_minutes(market: Market, seed: int, hour: int) -> HourBars:
    """One hour's one-minute aggregates, cached long after its seconds are evicted."""
    ck = (seed, market.symbol, market.start_ticks, market.qty_e8, hour)
    hit = _MINUTES.get(ck)
    if hit is not None:
        _MINUTES.move_to_end(ck)
        return hit
    minutes = _MINUTES[ck] = _minutes(hour_bars(market, seed, hour))
    if len(_MINUTES) > CACHE_MINUTE_HOURS:
        _MINUTES.popitem(last=False)
    return minutes


def hour_summary(market: Market, seed: int, hour: int) -> Summary:
    """The aggregate of one whole UTC hour, cached long after its seconds are evicted."""
    ck = (seed, market.symbol, market.start_ticks, market.qty_e8, hour)
    hit = _SUMMARIES.get(ck)
    if hit is not None:
        return hit
    summary = _aggregate(hour_minutes(market, seed, hour), 0, 60)
    _SUMMARIES[ck] = summary
    if len(_SUMMARIES) > CACHE_SUMMARIES:
        _SUMMARIES.popitem(last=False)
    return summary


def price_ticks_at(market: Market, seed: int, t_ms: int) -> int:
    """The path's last price at ``t_ms`` (the close of the second before it), in ticks."""
    import numpy as np

    sec = t_ms // SECOND_MS
    hour, i = divmod(sec, HOUR_S)
    hit = _BARS.get((seed, market.symbol, market.start_ticks, market.qty_e8, hour))
    if hit is not None:
        return int(hit.open[i])
    # One point of the path, not a whole hour: a sim listing hundreds of symbols starts fast.
    key = symbol_key(seed, market.symbol)
    return int(_closes(key, market.start_ticks, np.array([sec - 1], dtype=np.int64))[0])


def candle(
    market: Market, seed: int, open_ms: int, close_ms: int, now_ms: int | None = None
) -> Candle:
    """The exact aggregate of the path's seconds in ``[open_ms, close_ms)`` (whole seconds).

    With ``now_ms``, a candle still open stops at the last second that has passed. Whole hours
    inside the span come from cached hour summaries, so a day or a month costs little.
    """
    first = open_ms // SECOND_MS
    upto = close_ms if now_ms is None else min(close_ms, now_ms)
    last = max(first + 1, -(-upto // SECOND_MS))
    parts: list[Summary] = []
    sec = first
    while sec < last:
        hour, i = divmod(sec, HOUR_S)
        j = min(HOUR_S, i + (last - sec))
        if i == 0 and j == HOUR_S:
            parts.append(hour_summary(market, seed, hour))
        elif i % 60 == 0 and j - i >= 60:
            j -= j % 60  # whole minutes from the minute aggregates, the rest from seconds
            parts.append(_aggregate(hour_minutes(market, seed, hour), i // 60, j // 60))
        else:
            j = min(j, i - i % 60 + 60)
            parts.append(_aggregate(hour_bars(market, seed, hour), i, j))
        sec += j - i
    return Candle(
        open_ms,
        close_ms,
        parts[0][0],
        max(p[1] for p in parts),
        min(p[2] for p in parts),
        parts[-1][3],
        sum(p[4] for p in parts),
        sum(p[5] for p in parts),
        sum(p[6] for p in parts),
        sum(p[7] for p in parts),
        sum(p[8] for p in parts),
    )


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
