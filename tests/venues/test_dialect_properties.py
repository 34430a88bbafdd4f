"""Property tests: symbol normalisation round trips, decoders exact on valid and safe on garbage."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.venues.base import FrameDecoder
from letrade_cli.venues.binance import BinanceDecoder, BinanceDialect
from letrade_cli.venues.upbit import QUOTES, UpbitDecoder, UpbitDialect

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
asset = st.text(ALNUM, min_size=1, max_size=8)
upbit_base = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=6).filter(
    lambda s: s not in QUOTES
)
case = st.sampled_from([str.upper, str.lower, str.title])
binance = BinanceDialect()
upbit = UpbitDialect()


@FAST
@given(base=asset, quote=asset, sep=st.sampled_from(["", "/", "-", "_"]), style=case)
def test_binance_symbol_round_trip(base: str, quote: str, sep: str, style: Any) -> None:
    got = binance.normalize_symbol(f" {style(base)}{sep}{style(quote)} ")
    assert got == base + quote
    assert binance.normalize_symbol(got) == got


@FAST
@given(base=upbit_base, quote=st.sampled_from(QUOTES), style=case, data=st.data())
def test_upbit_symbol_round_trip(base: str, quote: str, style: Any, data: st.DataObject) -> None:
    raw = data.draw(
        st.sampled_from([f"{base}/{quote}", f"{quote}-{base}", f"{base}{quote}", f"{base}_{quote}"])
    )
    got = upbit.normalize_symbol(style(raw))
    assert got == f"{quote}-{base}"
    assert upbit.normalize_symbol(got) == got


@FAST
@given(st.text(max_size=40))
def test_garbage_symbols_are_usage_errors(raw: str) -> None:
    for dialect in (binance, upbit):
        try:
            got = dialect.normalize_symbol(raw)
        except UsageError:
            continue
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)?", got)


price = st.decimals(min_value="0.00000001", max_value="1000000", places=8).map(str)
qty = st.decimals(min_value=0, max_value="100000000", places=8).map(str)
seq = st.integers(0, 2**62)
millis = st.integers(1_500_000_000_000, 2_000_000_000_000)


@FAST
@given(
    s=asset, u=seq, b=price, a=price, bq=qty, aq=qty, e=st.none() | millis, combined=st.booleans()
)
def test_binance_book_ticker_exact(
    s: str, u: int, b: str, a: str, bq: str, aq: str, e: int | None, combined: bool
) -> None:
    data: dict[str, Any] = {"u": u, "s": s, "b": b, "B": bq, "a": a, "A": aq}
    if e is not None:
        data["E"] = e
    frame = {"stream": f"{s.lower()}@bookTicker", "data": data} if combined else data
    tick = BinanceDecoder("sim").decode(json.dumps(frame).encode(), 42)
    assert tick is not None
    assert (tick.venue, tick.symbol, tick.channel) == ("sim", s, "bookTicker")
    assert (tick.bid, tick.ask, tick.last, tick.size) == (float(b), float(a), None, float(bq))
    assert (tick.event_time_ms, tick.recv_ns, tick.seq) == (e or 0, 42, u)


@FAST
@given(s=asset, t=seq, p=price, q=qty, e=millis, agg=st.booleans(), text=st.booleans())
def test_binance_trade_exact(s: str, t: int, p: str, q: str, e: int, agg: bool, text: bool) -> None:
    kind = "aggTrade" if agg else "trade"
    data = {"e": kind, "E": e, "s": s, ("a" if agg else "t"): t, "p": p, "q": q, "T": e, "m": True}
    raw = json.dumps({"stream": f"{s.lower()}@{kind}", "data": data})
    tick = BinanceDecoder().decode(raw if text else raw.encode(), 1)
    assert tick is not None
    assert (tick.symbol, tick.channel, tick.bid, tick.ask) == (s, kind, None, None)
    assert (tick.last, tick.size, tick.event_time_ms, tick.seq) == (float(p), float(q), e, t)


@FAST
@given(
    code=st.sampled_from(["KRW-BTC", "BTC-ETH", "USDT-XRP"]),
    p=st.floats(1e-8, 1e9),
    v=st.floats(0, 1e9),
    ts=millis,
    sid=seq,
    bp=st.floats(1e-8, 1e9),
    ap=st.floats(1e-8, 1e9),
    simple=st.booleans(),
)
def test_upbit_trade_and_orderbook_exact(
    code: str, p: float, v: float, ts: int, sid: int, bp: float, ap: float, simple: bool
) -> None:
    d = UpbitDecoder()
    if simple:
        trade = {
            "ty": "trade",
            "cd": code,
            "tms": ts,
            "tp": p,
            "tv": v,
            "sid": sid,
            "st": "REALTIME",
        }
        book = {
            "ty": "orderbook",
            "cd": code,
            "tms": ts,
            "obu": [{"ap": ap, "bp": bp, "as": v, "bs": v}],
        }
    else:
        trade = {"type": "trade", "code": code, "timestamp": ts, "trade_price": p,
                 "trade_volume": v, "sequential_id": sid}  # fmt: skip
        unit = {"ask_price": ap, "bid_price": bp, "ask_size": v, "bid_size": v}
        book = {"type": "orderbook", "code": code, "timestamp": ts, "orderbook_units": [unit]}
    tick = d.decode(json.dumps(trade).encode(), 9)
    assert tick is not None
    assert (tick.symbol, tick.channel, tick.last, tick.size, tick.seq) == (code, "trade", p, v, sid)
    assert (tick.event_time_ms, tick.recv_ns, tick.bid, tick.ask) == (ts, 9, None, None)
    tick = d.decode(json.dumps(book), 9)
    assert tick is not None
    assert (tick.symbol, tick.channel, tick.bid, tick.ask, tick.size) == (
        code,
        "orderbook",
        bp,
        ap,
        v,
    )
    assert (tick.event_time_ms, tick.last, tick.seq) == (ts, None, -1)


DECODERS: list[FrameDecoder] = [BinanceDecoder(), UpbitDecoder()]


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_only_decode_error(frame: bytes) -> None:
    for decoder in DECODERS:
        with contextlib.suppress(DecodeError):
            decoder.decode(frame, 1)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=20,
)  # fmt: skip
keys = st.sampled_from(
    ["e", "E", "s", "u", "b", "a", "B", "p", "q", "t", "k", "c", "i", "data", "stream",
     "type", "ty", "cd", "code", "tp", "tv", "tms", "obu", "bp", "ap", "bs", "sid"]
)  # fmt: skip
shaped = st.dictionaries(
    keys,
    json_values
    | st.sampled_from(["trade", "aggTrade", "kline", "24hrTicker", "orderbook", "ticker"]),
    max_size=8,
)


@FAST
@given(st.one_of(json_values, shaped, st.builds(lambda d: {"data": d}, shaped)))
def test_random_json_never_crashes(value: Any) -> None:
    frame = json.dumps(value).encode()
    for decoder in DECODERS:
        with contextlib.suppress(DecodeError, ExchangeRejectedError):
            decoder.decode(frame, 1)


def test_decode_error_is_letrade_error() -> None:
    with pytest.raises(DecodeError) as info:
        UpbitDecoder().decode(b"\x00garbage", 1)
    assert info.value.exit_code == 1
