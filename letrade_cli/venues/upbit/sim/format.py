"""Upbit payloads: the streams in ``DEFAULT`` or ``SIMPLE`` format, and REST candles and ticks.

Upbit sends numbers as JSON numbers. ``SIMPLE`` abbreviates field names, e.g. a trade::

    {"ty":"trade","cd":"KRW-LAMB","tms":1618678262712,"td":"2021-04-17","ttm":"16:51:02",
     "ttms":1618678262000,"tp":127.0,"tv":46.48838371,"ab":"BID","pcp":123.0,"c":"RISE",
     "cp":4.0,"sid":1618678262000003,"st":"REALTIME"}
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from letrade_cli.sim.candles import Candle, candle, price_ticks_at
from letrade_cli.sim.generator import SymbolFeed
from letrade_cli.sim.markets import Market
from letrade_cli.venues.upbit.sim.ticks import TradeTick, last_trade_ms

DAY_MS = 86_400_000
KST = timedelta(hours=9)

SIMPLE: dict[str, str] = {
    "type": "ty", "code": "cd", "timestamp": "tms", "stream_type": "st",
    "trade_date": "td", "trade_time": "ttm", "trade_timestamp": "ttms", "trade_price": "tp",
    "trade_volume": "tv", "ask_bid": "ab", "prev_closing_price": "pcp", "change": "c",
    "change_price": "cp", "sequential_id": "sid", "best_ask_price": "bap",
    "best_ask_size": "bas", "best_bid_price": "bbp", "best_bid_size": "bbs",
    "total_ask_size": "tas", "total_bid_size": "tbs", "orderbook_units": "obu",
    "ask_price": "ap", "bid_price": "bp", "ask_size": "as", "bid_size": "bs", "level": "lv",
    "opening_price": "op", "high_price": "hp", "low_price": "lp",
    "signed_change_price": "scp", "change_rate": "cr", "signed_change_rate": "scr",
    "acc_trade_volume": "atv", "acc_trade_volume_24h": "atv24h", "acc_trade_price": "atp",
    "acc_trade_price_24h": "atp24h", "acc_ask_volume": "aav", "acc_bid_volume": "abv",
    "highest_52_week_price": "h52wp", "highest_52_week_date": "h52wdt",
    "lowest_52_week_price": "l52wp", "lowest_52_week_date": "l52wdt", "market_state": "ms",
    "is_trading_suspended": "its", "delisting_date": "dd", "market_warning": "mw",
}  # fmt: skip


def simplify(msg: dict[str, Any]) -> dict[str, Any]:
    """The ``SIMPLE`` spelling of a ``DEFAULT`` message."""
    out: dict[str, Any] = {}
    for k, v in msg.items():
        if isinstance(v, list):
            v = [simplify(x) if isinstance(x, dict) else x for x in v]
        out[SIMPLE.get(k, k)] = v
    return out


def _day_start(ms: int) -> int:
    return ms - ms % DAY_MS


def _change(price: int, prev: int) -> str:
    return "RISE" if price > prev else "FALL" if price < prev else "EVEN"


def trade_msg(feed: SymbolFeed, seed: int, ev: tuple[int, ...], stream_type: str) -> dict[str, Any]:
    """One ``trade`` message from a generator TRADE event."""
    _, ms, tid, p, q, buyer_maker = ev
    m = feed.market
    prev = price_ticks_at(m, seed, _day_start(ms))
    at = datetime.fromtimestamp(ms / 1000, UTC)
    top = feed.book.top() or (p, 0, p, 0)
    return {
        "type": "trade",
        "code": m.symbol,
        "timestamp": ms,
        "trade_date": at.strftime("%Y-%m-%d"),
        "trade_time": at.strftime("%H:%M:%S"),
        "trade_timestamp": ms,
        "trade_price": m.price_float(p),
        "trade_volume": m.qty_float(q),
        "ask_bid": "ASK" if buyer_maker else "BID",
        "prev_closing_price": m.price_float(prev),
        "change": _change(p, prev),
        "change_price": m.price_float(abs(p - prev)),
        "sequential_id": ms * 1000 + tid % 1000,
        "best_ask_price": m.price_float(top[2]),
        "best_ask_size": m.qty_float(top[3]),
        "best_bid_price": m.price_float(top[0]),
        "best_bid_size": m.qty_float(top[1]),
        "stream_type": stream_type,
    }


def orderbook_msg(
    feed: SymbolFeed, now_ms: int, stream_type: str, units: int = 15
) -> dict[str, Any]:
    """One ``orderbook`` message from the book's top ``units`` levels."""
    m = feed.market
    bids, asks = feed.book.depth(units)
    return {
        "type": "orderbook",
        "code": m.symbol,
        "timestamp": now_ms,
        "total_ask_size": m.qty_float(sum(q for _, q in asks)),
        "total_bid_size": m.qty_float(sum(q for _, q in bids)),
        "orderbook_units": [
            {
                "ask_price": m.price_float(a[0]),
                "bid_price": m.price_float(b[0]),
                "ask_size": m.qty_float(a[1]),
                "bid_size": m.qty_float(b[1]),
            }
            for a, b in zip(asks, bids, strict=False)
        ],
        "stream_type": stream_type,
        "level": 0,
    }


def ticker_fields(feed: SymbolFeed, seed: int, now_ms: int) -> dict[str, Any]:
    """The ticker fields shared by the ``ticker`` stream and ``/v1/ticker``."""
    m = feed.market
    day0 = _day_start(now_ms)
    prev = price_ticks_at(m, seed, day0)
    today = candle(m, seed, day0, max(day0 + 60_000, now_ms))
    day = candle(m, seed, (now_ms - DAY_MS) // 60_000 * 60_000, now_ms)  # whole-minute window
    last = feed.last_price
    high = max(today.high, last)
    low = min(today.low, last)
    at = datetime.fromtimestamp(now_ms / 1000, UTC)
    diff = last - prev
    rate = round(diff / prev, 8) if prev else 0.0
    vol_day = today.volume + feed.stats.volume
    vol_24h = day.volume + feed.stats.volume
    year_hi = max(high, round(prev * 1.6))
    year_lo = min(low, round(prev * 0.55))
    return {
        "opening_price": m.price_float(prev),
        "high_price": m.price_float(high),
        "low_price": m.price_float(low),
        "trade_price": m.price_float(last),
        "prev_closing_price": m.price_float(prev),
        "change": _change(last, prev),
        "change_price": m.price_float(abs(diff)),
        "signed_change_price": m.price_float(diff),
        "change_rate": abs(rate),
        "signed_change_rate": rate,
        "trade_volume": m.qty_float(max(1, feed.last_qty)),
        "acc_trade_volume": m.qty_float(vol_day),
        "acc_trade_volume_24h": m.qty_float(vol_24h),
        "acc_trade_price": (today.quote_e8 + feed.stats.quote_e8) / 1e8,
        "acc_trade_price_24h": (day.quote_e8 + feed.stats.quote_e8) / 1e8,
        "trade_date": at.strftime("%Y%m%d"),
        "trade_time": at.strftime("%H%M%S"),
        "trade_timestamp": now_ms,
        "acc_ask_volume": m.qty_float(vol_day // 2),
        "acc_bid_volume": m.qty_float(vol_day - vol_day // 2),
        "highest_52_week_price": m.price_float(year_hi),
        "highest_52_week_date": (at - timedelta(days=90)).strftime("%Y-%m-%d"),
        "lowest_52_week_price": m.price_float(year_lo),
        "lowest_52_week_date": (at - timedelta(days=300)).strftime("%Y-%m-%d"),
        "timestamp": now_ms,
    }


def ticker_msg(feed: SymbolFeed, seed: int, now_ms: int, stream_type: str) -> dict[str, Any]:
    """One ``ticker`` WebSocket message."""
    fields = ticker_fields(feed, seed, now_ms)
    fields["ask_bid"] = "BID"
    return {
        "type": "ticker",
        "code": feed.market.symbol,
        **fields,
        "market_state": "ACTIVE",
        "is_trading_suspended": False,
        "delisting_date": None,
        "market_warning": "NONE",
        "stream_type": stream_type,
    }


def _iso(ms: int, offset: timedelta = timedelta(0)) -> str:
    return (datetime.fromtimestamp(ms / 1000, UTC) + offset).strftime("%Y-%m-%dT%H:%M:%S")


def candle_fields(m: Market, seed: int, c: Candle, now: int) -> dict[str, Any]:
    """The fields every candle row has; ``timestamp`` is its last tick before ``now``."""
    last_second = min(c.close_ms, now) // 1000 - 1
    return {
        "market": m.symbol,
        "candle_date_time_utc": _iso(c.open_ms),
        "candle_date_time_kst": _iso(c.open_ms, KST),
        "opening_price": m.price_float(c.open),
        "high_price": m.price_float(c.high),
        "low_price": m.price_float(c.low),
        "trade_price": m.price_float(c.close),
        "timestamp": last_trade_ms(m, seed, last_second),
        "candle_acc_trade_price": c.quote_e8 / 1e8,
        "candle_acc_trade_volume": m.qty_float(c.volume),
    }


def trade_tick(m: Market, t: TradeTick, prev: int) -> dict[str, Any]:
    """One ``/v1/trades/ticks`` row; ``change_price`` is signed (``trade_price - prev``)."""
    at = datetime.fromtimestamp(t.ms / 1000, UTC)
    return {
        "market": m.symbol,
        "trade_date_utc": at.strftime("%Y-%m-%d"),
        "trade_time_utc": at.strftime("%H:%M:%S"),
        "timestamp": t.ms,
        "trade_price": m.price_float(t.price),
        "trade_volume": m.qty_float(t.volume),
        "prev_closing_price": m.price_float(prev),
        "change_price": m.price_float(t.price - prev),
        "ask_bid": "ASK" if t.ask else "BID",
        "sequential_id": t.seq,
    }


def now_ms() -> int:
    """Wall clock in ms."""
    return time.time_ns() // 1_000_000
