from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.venues.base import Dialect, MarketInfo, RestRequest
from letrade_cli.venues.registry import dialect_for
from letrade_cli.venues.upbit import UpbitDecoder, UpbitDialect


@pytest.fixture
def dialect() -> UpbitDialect:
    return UpbitDialect()


def test_is_a_dialect_from_registry() -> None:
    d: Dialect = dialect_for("upbit")
    assert isinstance(d, UpbitDialect)
    assert d.name == "upbit"
    assert d.channels == ("bookTicker", "trade", "ticker")


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("KRW-BTC", "KRW-BTC"),
        ("krw-btc", "KRW-BTC"),
        ("BTC/KRW", "KRW-BTC"),
        ("BTCKRW", "KRW-BTC"),
        ("btc_krw", "KRW-BTC"),
        ("BTCUSDT", "USDT-BTC"),
        ("BTC-USDT", "USDT-BTC"),
        ("USDT-BTC", "USDT-BTC"),
        ("ETHBTC", "BTC-ETH"),
        ("ETH/BTC", "BTC-ETH"),
        ("BTC-ETH", "BTC-ETH"),
    ],
)
def test_normalize_symbol(dialect: UpbitDialect, raw: str, want: str) -> None:
    assert dialect.normalize_symbol(raw) == want


@pytest.mark.parametrize("raw", ["", "ETHEUR", "FOO-BAR", "KRW", "KRW-KRW", "BTC/", "A B"])
def test_normalize_symbol_rejects(dialect: UpbitDialect, raw: str) -> None:
    with pytest.raises(UsageError):
        dialect.normalize_symbol(raw)


def test_requests_and_ws_path(dialect: UpbitDialect) -> None:
    assert dialect.markets_request() == RestRequest("/v1/market/all", {"isDetails": "false"})
    assert dialect.ws_path(["KRW-BTC"], ["trade"]) == ""
    assert dialect.price_request(["KRW-BTC", "eth/krw", "KRW-BTC"]) == RestRequest(
        "/v1/ticker", {"markets": "KRW-BTC,KRW-ETH"}
    )


def test_parse_markets_real_answer(dialect: UpbitDialect, upbit_market_all: Any) -> None:
    markets = dialect.parse_markets(upbit_market_all)
    assert len(markets) == len(upbit_market_all)
    assert markets["KRW-BTC"] == MarketInfo(symbol="KRW-BTC", base="BTC", quote="KRW")
    assert markets["BTC-ETH"].quote == "BTC"
    assert {m.quote for m in markets.values()} == {"KRW", "BTC", "USDT"}
    warned = dialect.parse_markets([{"market": "KRW-X", "market_warning": "CAUTION"}])
    assert warned["KRW-X"].status == "CAUTION"
    with pytest.raises(DecodeError):
        dialect.parse_markets([{"name": "x"}])


def test_subscribe_one_frame(dialect: UpbitDialect) -> None:
    frames = dialect.subscribe_messages(["krw-btc", "ETH/KRW"], ["bookTicker", "trade"], 1)
    assert len(frames) == 1
    ticket, orderbook, trade, fmt = json.loads(frames[0])
    uuid.UUID(ticket["ticket"])
    assert orderbook == {"type": "orderbook", "codes": ["KRW-BTC.1", "KRW-ETH.1"]}
    assert trade == {"type": "trade", "codes": ["KRW-BTC", "KRW-ETH"]}
    assert fmt == {"format": "DEFAULT"}
    assert (
        json.loads(dialect.subscribe_messages(["KRW-BTC"], ["ticker"], 1)[0])[1]["type"] == "ticker"
    )


def test_kline_is_a_usage_error(dialect: UpbitDialect) -> None:
    with pytest.raises(UsageError) as info:
        dialect.subscribe_messages(["KRW-BTC"], ["kline_1m"], 1)
    assert "kline_1m" in str(info.value) and "ticker" in str(info.value)
    with pytest.raises(UsageError):
        dialect.ws_path(["KRW-BTC"], ["aggTrade"])


def test_parse_prices(dialect: UpbitDialect) -> None:
    answer = [
        {"market": "KRW-BTC", "trade_price": 71000000.0, "timestamp": 1618678262712},
        {"market": "KRW-ETH", "trade_price": 2500000, "timestamp": 1618678262713},
    ]
    ticks = dialect.parse_prices(answer, "upbit", 7)
    assert [(t.symbol, t.channel, t.last, t.event_time_ms, t.recv_ns) for t in ticks] == [
        ("KRW-BTC", "rest", 71000000.0, 1618678262712, 7),
        ("KRW-ETH", "rest", 2500000.0, 1618678262713, 7),
    ]
    assert isinstance(ticks[1].last, float)
    with pytest.raises(DecodeError):
        dialect.parse_prices([{"market": "KRW-BTC"}], "upbit", 1)


def test_decode_default_ticker_and_control() -> None:
    d = UpbitDialect().decoder("upbit")
    assert isinstance(d, UpbitDecoder)
    frame = {
        "type": "ticker", "code": "KRW-BTC", "trade_price": 71000000.0, "trade_volume": 0.1,
        "timestamp": 1618678262712, "stream_type": "REALTIME",
    }  # fmt: skip
    tick = d.decode(json.dumps(frame).encode(), 3)
    assert tick is not None
    assert (tick.channel, tick.last, tick.bid, tick.size, tick.event_time_ms, tick.seq) == (
        "ticker",
        71000000.0,
        None,
        None,
        1618678262712,
        -1,
    )
    assert d.decode(b'{"status":"UP"}', 1) is None
    assert d.decode(b'{"type":"myTrade","code":"KRW-BTC"}', 1) is None
    with pytest.raises(ExchangeRejectedError) as info:
        d.decode(b'{"error":{"name":"INVALID_PARAM","message":"bad codes"}}', 1)
    assert info.value.code == "INVALID_PARAM" and "bad codes" in str(info.value)
    for bad in [b"", b"\xff\xfe", b"[]", b"{}", b'{"ty":"orderbook","cd":"X","tms":1,"obu":[]}',
                b'{"type":"trade","code":"X"}']:  # fmt: skip
        with pytest.raises(DecodeError):
            d.decode(bad, 1)
