"""The sim's Binance dialect as a client that is not ours sees it.

WebSocket: the ``websockets`` library speaking raw Binance JSON. REST: plain aiohttp GETs with
the parameters Binance documents. No letrade code on the client side.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from websockets.asyncio.client import connect

from letrade_cli.sim.server import SimExchange
from tests.sim.conftest import get_json

TIMEOUT = 10.0


async def recv_until(ws: Any, predicate: Any) -> dict[str, Any]:
    async def _recv() -> dict[str, Any]:
        while True:
            msg = json.loads(await ws.recv())
            if predicate(msg):
                return msg

    return await asyncio.wait_for(_recv(), TIMEOUT)


@pytest.mark.parametrize("tail", ["/ws/anything", "/ws/btcusdt@nonsense", "/ws/abcdef0123456789"])
async def test_any_path_after_ws_accepts_live_subscriptions(sim: SimExchange, tail: str) -> None:
    async with connect(sim.ws_url + tail) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 7}))
        reply = await recv_until(ws, lambda m: "id" in m)
        assert reply == {"result": None, "id": 7}
        trade = await recv_until(ws, lambda m: m.get("e") == "trade")
        assert trade["s"] == "BTCUSDT" and Decimal(trade["p"]) > 0
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 8}))
        listed = await recv_until(ws, lambda m: m.get("id") == 8)
        assert listed["result"] == ["btcusdt@trade"]


async def test_stream_names_in_the_ws_path_are_subscribed(sim: SimExchange) -> None:
    async with connect(sim.ws_url + "/ws/ethusdt@bookTicker") as ws:
        book = await recv_until(ws, lambda m: "b" in m and "a" in m)
        assert book["s"] == "ETHUSDT" and Decimal(book["b"]) < Decimal(book["a"])


async def test_recent_trades_historical_trades_and_agg_trades(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    async with connect(sim.ws_url + "/ws/btcusdt@trade") as ws:  # make the market trade
        first = await recv_until(ws, lambda m: m.get("e") == "trade")
        await recv_until(ws, lambda m: m.get("e") == "trade" and m["t"] >= first["t"] + 5)
    base = sim.rest_url + "/api/v3"
    status, trades, headers = await get_json(http, f"{base}/trades?symbol=BTCUSDT&limit=5")
    assert status == 200 and 1 <= len(trades) <= 5
    assert int(headers["X-MBX-USED-WEIGHT-1M"]) >= 25
    ids = [t["id"] for t in trades]
    assert ids == sorted(ids) and first["t"] + 5 <= ids[-1]
    for t in trades:
        assert Decimal(t["quoteQty"]) == (Decimal(t["price"]) * Decimal(t["qty"])).quantize(
            Decimal("1e-8")
        )
        assert isinstance(t["isBuyerMaker"], bool) and t["time"] > 0
    status, hist, _ = await get_json(
        http, f"{base}/historicalTrades?symbol=BTCUSDT&fromId={first['t']}&limit=3"
    )
    assert status == 200 and [t["id"] for t in hist] == [first["t"], first["t"] + 1, first["t"] + 2]
    status, aggs, _ = await get_json(http, f"{base}/aggTrades?symbol=BTCUSDT&limit=10")
    assert status == 200 and aggs
    for a in aggs:
        assert a["f"] <= a["l"] and set(a) == {"a", "p", "q", "f", "l", "T", "m", "M"}
    status, since, _ = await get_json(
        http, f"{base}/aggTrades?symbol=BTCUSDT&fromId={aggs[0]['a']}&limit=2"
    )
    assert [a["a"] for a in since] == [aggs[0]["a"], aggs[1]["a"]] if len(aggs) > 1 else since


async def test_avg_price_and_24hr_ticker(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    base = sim.rest_url + "/api/v3"
    status, avg, _ = await get_json(http, f"{base}/avgPrice?symbol=ETHUSDT")
    assert status == 200 and avg["mins"] == 5 and Decimal(avg["price"]) > 0
    status, day, _ = await get_json(http, f"{base}/ticker/24hr?symbol=ETHUSDT")
    assert status == 200 and day["symbol"] == "ETHUSDT"
    assert Decimal(day["lowPrice"]) <= Decimal(day["lastPrice"]) <= Decimal(day["highPrice"])


async def test_trade_endpoints_name_a_missing_symbol(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    for path in ("trades", "aggTrades", "historicalTrades", "avgPrice"):
        status, body, _ = await get_json(http, f"{sim.rest_url}/api/v3/{path}")
        assert status == 400 and body["code"] == -1102, path
    status, body, _ = await get_json(http, f"{sim.rest_url}/api/v3/trades?symbol=BTCUSDT&limit=0")
    assert status == 400 and body["code"] == -1100


async def test_a_local_order_book_kept_from_diffs_matches_the_venues_book(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    """Binance's documented recipe: buffer diffs, take a snapshot, apply diffs after it."""
    async with connect(sim.ws_url + "/ws/btcusdt@depth@100ms") as ws:
        first = await recv_until(ws, lambda m: m.get("e") == "depthUpdate")
        status, snap, _ = await get_json(
            http, f"{sim.rest_url}/api/v3/depth?symbol=BTCUSDT&limit=1000"
        )
        assert status == 200
        book = {
            side: {Decimal(p): Decimal(q) for p, q in snap[key]}
            for side, key in (("b", "bids"), ("a", "asks"))
        }
        last_id = snap["lastUpdateId"]
        assert first["U"] <= last_id + 1 or first["u"] <= last_id
        applied, prev_u = 0, None
        while applied < 5:
            diff = await recv_until(ws, lambda m: m.get("e") == "depthUpdate")
            if diff["u"] <= last_id:
                continue
            if prev_u is None:
                assert diff["U"] <= last_id + 1 <= diff["u"]
            else:
                assert diff["U"] == prev_u + 1  # no update id skipped between diffs
            for side in ("b", "a"):
                for p, q in diff[side]:
                    if Decimal(q) == 0:
                        book[side].pop(Decimal(p), None)
                    else:
                        book[side][Decimal(p)] = Decimal(q)
            prev_u = diff["u"]
            applied += 1
        status, now, _ = await get_json(
            http, f"{sim.rest_url}/api/v3/depth?symbol=BTCUSDT&limit=20"
        )
        if now["lastUpdateId"] == prev_u:  # the venue's book at the same update id as ours
            for side, key in (("b", "bids"), ("a", "asks")):
                top = sorted(book[side].items(), reverse=side == "b")[:20]
                assert top == [(Decimal(p), Decimal(q)) for p, q in now[key]]
        best_bid, best_ask = max(book["b"]), min(book["a"])
        assert best_bid < best_ask


async def test_partial_book_streams(sim: SimExchange) -> None:
    async with connect(sim.ws_url + "/ws/ethusdt@depth5@100ms") as ws:
        msg = await recv_until(ws, lambda m: "lastUpdateId" in m)
        assert len(msg["bids"]) == 5 and len(msg["asks"]) == 5
        assert Decimal(msg["bids"][0][0]) < Decimal(msg["asks"][0][0])
