from __future__ import annotations

import json
from typing import Any

import pytest

from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.venues.base import Dialect, MarketInfo, RestRequest
from letrade_cli.venues.binance import BinanceDecoder, BinanceDialect
from letrade_cli.venues.registry import dialect_for


@pytest.fixture
def dialect() -> BinanceDialect:
    return BinanceDialect()


def test_is_a_dialect_from_registry() -> None:
    d: Dialect = dialect_for("binance")
    assert isinstance(d, BinanceDialect)
    assert d.name == "binance"
    assert d.channels == ("bookTicker", "trade", "aggTrade", "kline_1m", "ticker")


@pytest.mark.parametrize(
    "raw", ["BTCUSDT", "btcusdt", "BTC/USDT", "BTC-USDT", "btc_usdt", " Btc/Usdt "]
)
def test_normalize_symbol(dialect: BinanceDialect, raw: str) -> None:
    assert dialect.normalize_symbol(raw) == "BTCUSDT"


@pytest.mark.parametrize("raw", ["", "  ", "BTC USDT", "BTC/US/DT", "BTC/", "-USDT", "BTC$", "бтц"])
def test_normalize_symbol_rejects(dialect: BinanceDialect, raw: str) -> None:
    with pytest.raises(UsageError):
        dialect.normalize_symbol(raw)


def test_markets_request_and_ws_path(dialect: BinanceDialect) -> None:
    assert dialect.markets_request() == RestRequest("/api/v3/exchangeInfo", {}, weight=20)
    assert dialect.ws_path(["BTCUSDT"], ["trade"]) == "/stream"
    with pytest.raises(UsageError):
        dialect.ws_path(["BTCUSDT"], ["depth"])


def test_parse_markets_real_exchange_info(
    dialect: BinanceDialect, binance_exchange_info: Any
) -> None:
    markets = dialect.parse_markets(binance_exchange_info)
    assert len(markets) == len(binance_exchange_info["symbols"]) == 13
    assert markets["ETHBTC"] == MarketInfo(
        symbol="ETHBTC",
        base="ETH",
        quote="BTC",
        status="TRADING",
        tick_size="0.00000100",
        step_size="0.00010000",
        min_qty="0.00010000",
        min_notional="0.00010000",
    )
    assert markets["BTCUSDT"].tick_size == "0.01000000"
    assert markets["BCCBTC"].status == "BREAK"
    for info in markets.values():
        assert info.tick_size and info.step_size and info.min_qty and info.min_notional


def test_parse_markets_prefers_notional_filter(dialect: BinanceDialect) -> None:
    payload = {
        "symbols": [
            {
                "symbol": "BTCUSDT",
                "baseAsset": "BTC",
                "quoteAsset": "USDT",
                "filters": [{"filterType": "NOTIONAL", "minNotional": "5.00000000"}],
            }
        ]
    }
    info = dialect.parse_markets(payload)["BTCUSDT"]
    assert (info.min_notional, info.tick_size, info.status) == ("5.00000000", None, "TRADING")
    with pytest.raises(DecodeError):
        dialect.parse_markets({"nope": 1})


def test_subscribe_messages_fewest_frames(dialect: BinanceDialect) -> None:
    frames = dialect.subscribe_messages(["BTC/USDT", "ethusdt"], ["bookTicker", "trade"], 7)
    assert [json.loads(f) for f in frames] == [
        {
            "method": "SUBSCRIBE",
            "params": [
                "btcusdt@bookTicker",
                "btcusdt@trade",
                "ethusdt@bookTicker",
                "ethusdt@trade",
            ],
            "id": 7,
        }
    ]
    symbols = [f"S{i}USDT" for i in range(150)]
    frames = dialect.subscribe_messages(symbols, ["bookTicker", "aggTrade", "ticker"], 1)
    decoded = [json.loads(f) for f in frames]
    assert [len(f["params"]) for f in decoded] == [200, 200, 50]
    assert [f["id"] for f in decoded] == [1, 2, 3]
    assert len({p for f in decoded for p in f["params"]}) == 450
    assert dialect.subscribe_messages([], ["trade"], 1) == []
    with pytest.raises(UsageError):
        dialect.subscribe_messages(["BTCUSDT"], ["orderbook"], 1)


def test_price_request_and_parse_prices(dialect: BinanceDialect) -> None:
    assert dialect.price_request(["btcusdt", "ETH/USDT"]) == RestRequest(
        "/api/v3/ticker/bookTicker", {"symbols": '["BTCUSDT","ETHUSDT"]'}, weight=4
    )
    answer = [
        {
            "symbol": "BTCUSDT",
            "bidPrice": "4.0",
            "bidQty": "431.0",
            "askPrice": "4.2",
            "askQty": "9.0",
        },
        {
            "symbol": "ETHUSDT",
            "bidPrice": "1.5",
            "bidQty": "2.0",
            "askPrice": "1.6",
            "askQty": "3.0",
        },
    ]
    ticks = dialect.parse_prices(answer, "binance", 99)
    assert [(t.symbol, t.channel, t.bid, t.ask, t.size, t.last, t.recv_ns) for t in ticks] == [
        ("BTCUSDT", "rest", 4.0, 4.2, 431.0, None, 99),
        ("ETHUSDT", "rest", 1.5, 1.6, 2.0, None, 99),
    ]
    assert dialect.parse_prices(answer[0], "sim", 1)[0].venue == "sim"
    with pytest.raises(DecodeError):
        dialect.parse_prices([{"symbol": "X"}], "binance", 1)


def test_decode_trade_and_ticker_raw() -> None:
    d = BinanceDialect().decoder("binance-testnet")
    assert isinstance(d, BinanceDecoder)
    trade = (
        b'{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100",'
        b'"T":1672515782136,"m":true,"M":true}'
    )
    tick = d.decode(trade, 5)
    assert tick is not None
    assert (tick.venue, tick.channel, tick.last, tick.size, tick.seq) == (
        "binance-testnet",
        "trade",
        0.001,
        100.0,
        12345,
    )
    ticker = {
        "e": "24hrTicker", "E": 123456789, "s": "BNBBTC", "p": "0.0015", "c": "0.0025",
        "Q": "10", "b": "0.0024", "B": "10", "a": "0.0026", "A": "100", "L": 18150,
    }  # fmt: skip
    tick = d.decode(json.dumps({"stream": "bnbbtc@ticker", "data": ticker}), 5)
    assert tick is not None
    assert (tick.channel, tick.bid, tick.ask, tick.last, tick.event_time_ms) == (
        "ticker",
        0.0024,
        0.0026,
        0.0025,
        123456789,
    )


def test_decode_control_and_errors() -> None:
    d = BinanceDecoder()
    assert d.decode(b'{"result":null,"id":1}', 1) is None
    assert d.decode('{"lastUpdateId":1,"bids":[],"asks":[]}', 1) is None
    assert d.decode(b'{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[],"a":[]}', 1) is None
    with pytest.raises(ExchangeRejectedError) as info:
        d.decode(b'{"error":{"code":2,"msg":"Invalid request: unknown variant"},"id":3}', 1)
    assert info.value.code == 2 and "Invalid request" in str(info.value)
    with pytest.raises(ExchangeRejectedError) as info:
        d.decode(b'{"code":0,"msg":"Unknown property","id":4}', 1)
    assert info.value.code == 0
    for bad in [b"", b"{", b"not json", b"[1,2]", b"42", b'"s"', b"{}", b'{"e":"trade","s":"X"}',
                b'{"u":1,"s":"X","b":"x","a":"1","B":"1"}', b'{"data":7}']:  # fmt: skip
        with pytest.raises(DecodeError) as err:
            d.decode(bad, 1)
        assert len(str(err.value)) < 120


def test_decode_error_does_not_echo_payload() -> None:
    frame = b'{"e":"trade","s":"' + b"X" * 10_000 + b'"}'
    with pytest.raises(DecodeError) as err:
        BinanceDecoder().decode(frame, 1)
    assert len(str(err.value)) < 120
