"""Binance spot payloads built from generator events and feed state (decimals as strings).

Stream payloads are formatted with plain string formatting, the hot path's cheapest option.
Sample ``bookTicker`` (spot has no ``E``)::

    {"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from letrade_cli.sim.candles import candle, price_ticks_at
from letrade_cli.sim.generator import AGG, QUOTE, TRADE, Event, SymbolFeed
from letrade_cli.sim.markets import E8, Market, e8_str

DAY_MS = 86_400_000


def stream_payloads(
    market: Market,
    events: list[Event],
    want_book: bool,
    want_trade: bool,
    want_agg: bool,
    times: dict[str, list[int]] | None = None,
    keys: tuple[str, str, str] = ("bookTicker", "trade", "aggTrade"),
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """``(bookTicker, trade, aggTrade)`` payloads for one symbol's events, only those wanted.

    With ``times``, each payload's event time (ms) is appended to ``times[key]`` (``keys``:
    the three stream keys), so a connection can send several streams in time order.
    """
    book: list[bytes] = []
    trades: list[bytes] = []
    aggs: list[bytes] = []
    book_ms: list[int] = []
    trade_ms: list[int] = []
    agg_ms: list[int] = []
    s = market.symbol
    pe = market.price_e8
    qe = market.qty_e8
    seen: dict[int, str] = {}

    def fmt(v: int) -> str:
        out = seen.get(v)
        if out is None:
            out = seen[v] = e8_str(v)
        return out

    for ev in events:
        kind = ev[0]
        if kind == QUOTE:
            if want_book:
                _, ms, u, b, bq, a, aq = ev
                book_ms.append(ms)
                book.append(
                    f'{{"u":{u},"s":"{s}","b":"{fmt(b * pe)}","B":"{fmt(bq * qe)}",'
                    f'"a":"{fmt(a * pe)}","A":"{fmt(aq * qe)}"}}'.encode()
                )
        elif kind == TRADE:
            if want_trade:
                _, ms, t, p, q, m = ev
                trade_ms.append(ms)
                trades.append(
                    f'{{"e":"trade","E":{ms},"s":"{s}","t":{t},"p":"{fmt(p * pe)}",'
                    f'"q":"{fmt(q * qe)}","T":{ms},"m":{"true" if m else "false"},'
                    f'"M":true}}'.encode()
                )
        elif kind == AGG and want_agg:
            _, ms, a_id, p, q, f, last, m = ev
            agg_ms.append(ms)
            aggs.append(
                f'{{"e":"aggTrade","E":{ms},"s":"{s}","a":{a_id},"p":"{fmt(p * pe)}",'
                f'"q":"{fmt(q * qe)}","f":{f},"l":{last},"T":{ms},'
                f'"m":{"true" if m else "false"},"M":true}}'.encode()
            )
    if times is not None:
        for key, stamps in zip(keys, (book_ms, trade_ms, agg_ms), strict=True):
            if stamps:
                times[key] = stamps
    return book, trades, aggs


def kline_payload(feed: SymbolFeed, now_ms: int) -> dict[str, Any]:
    """The ``@kline_1m`` event for the current minute."""
    m = feed.market
    minute = now_ms - now_ms % 60_000
    bar = feed.bar
    if bar.open_ms != minute:
        p = feed.last_price
        o = h = low = c = p
        v = q = tb = tbq = n = 0
        first = last = -1
    else:
        o, h, low, c = bar.open, bar.high, bar.low, bar.close
        v, q, tb, tbq, n = (
            bar.volume,
            bar.quote_e8,
            bar.taker_buy_volume,
            bar.taker_buy_quote_e8,
            bar.trades,
        )
        first, last = bar.first_id, bar.last_id
    return {
        "e": "kline",
        "E": now_ms,
        "s": m.symbol,
        "k": {
            "t": minute,
            "T": minute + 59_999,
            "s": m.symbol,
            "i": "1m",
            "f": first,
            "L": last,
            "o": m.price_str(o),
            "c": m.price_str(c),
            "h": m.price_str(h),
            "l": m.price_str(low),
            "v": m.qty_str(v),
            "n": n,
            "x": False,
            "q": e8_str(q),
            "V": m.qty_str(tb),
            "Q": e8_str(tbq),
            "B": "0",
        },
    }


def ticker_24h(feed: SymbolFeed, seed: int, now_ms: int) -> dict[str, Any]:
    """The rolling 24 h statistics, as the ``@ticker`` stream and ``/ticker/24hr`` carry them."""
    m = feed.market
    # Binance's rolling window opens on a whole minute (it may be up to 59,999 ms wider).
    window_open = now_ms - DAY_MS - (now_ms - DAY_MS) % 60_000
    day = candle(m, seed, window_open, now_ms)
    open_ = price_ticks_at(m, seed, window_open)
    last = feed.last_price
    high = max(day.high, feed.stats.high, last)
    low = min(day.low, feed.stats.low, last)
    volume = day.volume + feed.stats.volume
    quote_e8 = day.quote_e8 + feed.stats.quote_e8
    change = last - open_
    pct = (Decimal(change) * 100 / Decimal(open_)).quantize(Decimal("0.001"))
    vol_e8 = volume * m.qty_e8
    wavg = e8_str(quote_e8 * E8 // vol_e8) if vol_e8 else m.price_str(last)
    top = feed.book.top() or (last, 0, last, 0)
    count = day.trades + feed.stats.trades
    return {
        "e": "24hrTicker",
        "E": now_ms,
        "s": m.symbol,
        "p": m.price_str(change),
        "P": str(pct),
        "w": wavg,
        "x": m.price_str(open_),
        "c": m.price_str(last),
        "Q": m.qty_str(feed.last_qty),
        "b": m.price_str(top[0]),
        "B": m.qty_str(top[1]),
        "a": m.price_str(top[2]),
        "A": m.qty_str(top[3]),
        "o": m.price_str(open_),
        "h": m.price_str(high),
        "l": m.price_str(low),
        "v": m.qty_str(volume),
        "q": e8_str(quote_e8),
        "O": window_open,
        "C": now_ms,
        "F": feed.trade_id - count + 1,
        "L": feed.trade_id,
        "n": count,
    }


def decimal_str(value: Decimal) -> str:
    """A Decimal as Binance's 8-decimal string."""
    return f"{value:.8f}"
