from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
import orjson
import pytest

from letrade_cli.sim.server import SimConfig, SimExchange

DEC = re.compile(r"^\d+\.\d{8}$")


async def recv_json(ws: aiohttp.ClientWebSocketResponse, timeout: float = 3.0) -> Any:
    msg = await asyncio.wait_for(ws.receive(), timeout)
    assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), msg
    return orjson.loads(msg.data)


async def reply(ws: aiohttp.ClientWebSocketResponse, rid: int) -> Any:
    while True:
        data = await recv_json(ws)
        if (
            isinstance(data, dict)
            and data.get("id") == rid
            and ("result" in data or "error" in data)
        ):
            return data


async def until(ws: aiohttp.ClientWebSocketResponse, pred: Any, timeout: float = 5.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            data = await recv_json(ws)
            if pred(data):
                return data


async def test_raw_stream_fields(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.ws_url + "/ws/btcusdt@trade") as ws:
        trades = [await recv_json(ws) for _ in range(3)]
    for t in trades:
        assert set(t) == {"e", "E", "s", "t", "p", "q", "T", "m", "M"}
        assert (t["e"], t["s"]) == ("trade", "BTCUSDT")
        assert DEC.match(t["p"]) and DEC.match(t["q"]) and isinstance(t["m"], bool)
        assert isinstance(t["E"], int) and isinstance(t["T"], int)
    assert [t["t"] for t in trades] == list(range(trades[0]["t"], trades[0]["t"] + 3))


async def test_combined_stream_book_ticker_and_agg(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    url = sim.ws_url + "/stream?streams=ethusdt@bookTicker/ethusdt@aggTrade"
    last_u = 0
    seen = set()
    async with http.ws_connect(url) as ws:
        # A light load is sent in event order, and a fresh book quotes for a while before its
        # first trade: allow for a few hundred messages.
        for _ in range(400):
            msg = await recv_json(ws)
            seen.add(msg["stream"])
            data = msg["data"]
            if msg["stream"] == "ethusdt@bookTicker":
                assert set(data) == {"u", "s", "b", "B", "a", "A"}
                assert data["u"] > last_u and float(data["b"]) < float(data["a"])
                last_u = data["u"]
            else:
                assert data["e"] == "aggTrade" and data["f"] <= data["l"]
                assert set(data) == {"e", "E", "s", "a", "p", "q", "f", "l", "T", "m", "M"}
            if len(seen) == 2 and last_u:
                break
    assert seen == {"ethusdt@bookTicker", "ethusdt@aggTrade"}


async def test_subscribe_unsubscribe_list(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.ws_url + "/ws") as ws:
        await ws.send_str(
            json.dumps(
                {"method": "SUBSCRIBE", "params": ["xrpusdt@trade", "xrpusdt@kline_1m"], "id": 1}
            )
        )
        assert await reply(ws, 1) == {"result": None, "id": 1}
        await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
        assert await reply(ws, 2) == {"result": ["xrpusdt@trade", "xrpusdt@kline_1m"], "id": 2}
        trade = await until(ws, lambda d: d.get("e") == "trade")
        assert trade["s"] == "XRPUSDT"
        kline = await until(ws, lambda d: d.get("e") == "kline")
        assert kline["k"]["i"] == "1m" and DEC.match(kline["k"]["o"]) and kline["k"]["x"] is False
        await ws.send_str(
            json.dumps({"method": "UNSUBSCRIBE", "params": ["xrpusdt@trade"], "id": 3})
        )
        assert await reply(ws, 3) == {"result": None, "id": 3}
        await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 4}))
        assert await reply(ws, 4) == {"result": ["xrpusdt@kline_1m"], "id": 4}
        await ws.send_str(
            json.dumps({"method": "SUBSCRIBE", "params": ["nopeusdt@trade"], "id": 5})
        )
        err = await reply(ws, 5)
        assert err["error"]["code"] == 2 and err["error"]["msg"].startswith("Invalid request")
    async with http.ws_connect(sim.ws_url + "/stream") as ws:
        await ws.send_str("{not json")
        assert (await reply(ws, None))["error"]["code"] == 3
        await ws.send_str(json.dumps({"method": "GET_PROPERTY", "params": ["combined"], "id": 6}))
        assert await reply(ws, 6) == {"result": True, "id": 6}
    assert sim.stats.ws_connections_total == 2


async def test_ticker_stream(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.ws_url + "/ws/bnbusdt@ticker") as ws:
        t = await recv_json(ws, timeout=3.0)
    assert t["e"] == "24hrTicker" and t["s"] == "BNBUSDT"
    assert all(DEC.match(t[k]) for k in ("c", "o", "h", "l", "v", "b", "a"))
    assert isinstance(t["n"], int) and t["L"] >= t["F"]


async def test_unknown_stream_in_a_combined_url_is_rejected(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await http.ws_connect(sim.ws_url + "/stream?streams=nopeusdt@trade")
    assert info.value.status == 400


async def test_trade_ids_continue_globally(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    url = sim.ws_url + "/ws/btcusdt@trade"
    async with http.ws_connect(url) as keeper:
        async with http.ws_connect(url) as first:
            ids = [(await recv_json(first))["t"] for _ in range(3)]
        assert ids == list(range(ids[0], ids[0] + 3))
        await until(keeper, lambda d: d["t"] > ids[-1] + 1)
        async with http.ws_connect(url) as again:
            nxt = (await recv_json(again))["t"]
    assert nxt > ids[-1] + 1


async def test_inbound_limit_disconnects(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.ws_url + "/ws") as ws:
        for i in range(7):
            await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
        async with asyncio.timeout(3):
            while True:
                msg = await ws.receive()
                if msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING,
                ):
                    break
    assert ws.close_code == 1008


async def test_ping_sent_and_pong_timeout(http: aiohttp.ClientSession) -> None:
    cfg = SimConfig(ping_interval_s=0.05, pong_timeout_s=0.3)
    async with SimExchange(cfg) as sim:
        async with http.ws_connect(sim.ws_url + "/ws", autoping=False) as ws:
            msg = await asyncio.wait_for(ws.receive(), 2)
            assert msg.type is aiohttp.WSMsgType.PING
            async with asyncio.timeout(3):
                while msg.type not in (
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.ERROR,
                ):
                    msg = await ws.receive()
        assert sim.stats.ws_connections == 0
        # a client that answers pings stays connected past the timeout
        async with http.ws_connect(sim.ws_url + "/ws", autoping=True) as ws:
            await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
            done = asyncio.get_running_loop().time() + 0.6
            while asyncio.get_running_loop().time() < done:
                try:
                    msg = await asyncio.wait_for(ws.receive(), 0.1)
                except TimeoutError:
                    continue
                assert msg.type is aiohttp.WSMsgType.TEXT
            assert not ws.closed
            assert sim.stats.ws_connections == 1


async def test_max_connection_age(http: aiohttp.ClientSession) -> None:
    async with SimExchange(SimConfig(max_connection_age_s=0.2)) as sim:
        ws = await http.ws_connect(sim.ws_url + "/ws")
        msg = await asyncio.wait_for(ws.receive(), 3)
        assert msg.type is aiohttp.WSMsgType.CLOSE
        await ws.close()


async def test_upbit_default_format(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.ws_url + "/websocket/v1") as ws:
        await ws.send_str(json.dumps([
            {"ticket": "t"}, {"type": "trade", "codes": ["KRW-BTC"]},
            {"type": "orderbook", "codes": ["KRW-BTC"]}, {"type": "ticker", "codes": ["KRW-BTC"]},
        ]))  # fmt: skip
        got: dict[str, Any] = {}
        async with asyncio.timeout(5):
            while len(got) < 3 or "SNAPSHOT" not in {m["stream_type"] for m in got.values()}:
                msg = await ws.receive()
                assert msg.type is aiohttp.WSMsgType.BINARY
                data = orjson.loads(msg.data)
                got.setdefault(data["type"], data)
    trade, book, ticker = got["trade"], got["orderbook"], got["ticker"]
    assert trade["code"] == "KRW-BTC" and trade["ask_bid"] in ("ASK", "BID")
    for key in ("trade_price", "trade_volume", "prev_closing_price"):
        assert isinstance(trade[key], float)
    assert isinstance(trade["trade_timestamp"], int) and isinstance(trade["sequential_id"], int)
    assert trade["stream_type"] == "REALTIME"
    unit = book["orderbook_units"][0]
    assert set(unit) == {"ask_price", "bid_price", "ask_size", "bid_size"}
    assert unit["bid_price"] < unit["ask_price"] and isinstance(book["total_ask_size"], float)
    assert ticker["type"] == "ticker" and isinstance(ticker["trade_price"], float)


async def test_upbit_simple_format_and_ping(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.ws_url + "/websocket/v1") as ws:
        await ws.send_str(json.dumps([
            {"ticket": "t"}, {"type": "trade", "codes": ["KRW-ETH"], "isOnlyRealtime": True},
            {"format": "SIMPLE"},
        ]))  # fmt: skip
        trade = orjson.loads((await asyncio.wait_for(ws.receive(), 3)).data)
        assert {
            "ty",
            "cd",
            "tms",
            "td",
            "ttm",
            "ttms",
            "tp",
            "tv",
            "ab",
            "pcp",
            "c",
            "cp",
            "sid",
            "st",
        } <= set(trade)
        assert trade["ty"] == "trade" and trade["cd"] == "KRW-ETH" and trade["st"] == "REALTIME"
        await ws.send_str("PING")
        async with asyncio.timeout(3):
            while True:
                msg = await ws.receive()
                assert msg.type is aiohttp.WSMsgType.BINARY
                if orjson.loads(msg.data) == {"status": "UP"}:
                    break
        await ws.send_str("[1,2")
        err = await until(ws, lambda d: "error" in d)
        assert err["error"]["name"] == "WRONG_FORMAT"


async def test_a_combined_stream_interleaves_symbols_in_event_time_order(
    http: aiohttp.ClientSession,
) -> None:
    # Heavy load: the sim batches 5 ms of events per write. Within a batch, frames must follow
    # event time across streams (as on Binance), not come stream by stream: a client acting on
    # the first symbol's trade would otherwise always wait for every other symbol's frames.
    symbols = ("btcusdt", "ethusdt", "solusdt", "xrpusdt", "bnbusdt")
    streams = "/".join(f"{s}@trade" for s in symbols)
    sim = SimExchange(SimConfig(rate=20_000.0, seed=3, port=0))
    async with sim, http.ws_connect(f"{sim.ws_url}/stream?streams={streams}") as ws:
        events = [(await recv_json(ws))["data"] for _ in range(600)]
    times = [e["E"] for e in events]
    assert times == sorted(times)
    assert len({e["s"] for e in events[:100]}) == len(symbols)  # interleaved, not one by one
    for symbol in symbols:
        ids = [e["t"] for e in events if e["s"] == symbol.upper()]
        assert ids == sorted(set(ids))  # each stream keeps its own order
