"""Matching in the sim: market orders walk the book, limits rest and fill when crossed, IOC/FOK,
fills on the public trade stream and the WebSocket API's user data stream (real WebSockets on
127.0.0.1)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import orjson

from letrade_cli.sim.server import SimExchange
from tests.sim.conftest import BinanceAccount
from tests.sim.ws_api_client import WsApiClient, hmac_signed

SYM = "ETHUSDT"


def levels(sim: SimExchange, side: str, n: int = 3) -> list[tuple[Decimal, Decimal]]:
    """The book's best ``n`` levels (nobody subscribes in these tests, so the book holds still)."""
    feed = sim.engine.feed(SYM, 0)
    bids, asks = feed.book.depth(n)
    m = feed.market
    return [(m.price_decimal(p), m.step * q) for p, q in (asks if side == "ask" else bids)]


def order(side: str, type_: str = "MARKET", **kw: str) -> dict[str, str]:
    return {"symbol": SYM, "side": side, "type": type_, **kw}


async def test_market_buy_walks_the_ask_levels(sim: SimExchange, binance: BinanceAccount) -> None:
    (p1, q1), (p2, q2), _ = levels(sim, "ask")
    qty = q1 + (q2 / 2).quantize(Decimal("0.0001"))  # ETHUSDT's step
    body = await binance.ok("POST", "/api/v3/order", order("BUY", quantity=str(qty)))
    assert body["status"] == "FILLED"
    assert [(Decimal(f["price"]), Decimal(f["qty"])) for f in body["fills"]] == [
        (p1, q1),
        (p2, qty - q1),
    ]
    assert Decimal(body["cummulativeQuoteQty"]) == p1 * q1 + p2 * (qty - q1)
    ids = [f["tradeId"] for f in body["fills"]]
    assert ids[1] == ids[0] + 1
    mine = await binance.ok("GET", "/api/v3/myTrades", {"symbol": SYM})
    assert [t["id"] for t in mine] == ids
    assert levels(sim, "ask")[0] == (p2, q2 - (qty - q1))


async def test_market_sell_by_quote_amount(sim: SimExchange, binance: BinanceAccount) -> None:
    (bid, bid_qty), *_ = levels(sim, "bid")
    spend = (bid * bid_qty / 2).quantize(Decimal("0.01"))
    body = await binance.ok("POST", "/api/v3/order", order("SELL", quoteOrderQty=str(spend)))
    assert body["status"] == "FILLED"
    assert Decimal(body["origQuoteOrderQty"]) == spend
    assert Decimal(body["cummulativeQuoteQty"]) <= spend
    assert spend - Decimal(body["cummulativeQuoteQty"]) < bid * Decimal("0.0001")
    fee = sum(Decimal(f["commission"]) for f in body["fills"])
    assert body["fills"][0]["commissionAsset"] == "USDT"
    bal = await binance.balances()
    assert Decimal(bal["USDT"][0]) == 10000 + Decimal(body["cummulativeQuoteQty"]) - fee
    assert Decimal(bal["ETH"][0]) == 10 - Decimal(body["executedQty"])


async def test_ioc_fills_what_crosses_and_expires_the_rest(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    (ask, ask_qty), *_ = levels(sim, "ask")
    qty = ask_qty * 2
    body = await binance.ok("POST", "/api/v3/order", order(
        "BUY", "LIMIT", timeInForce="IOC", quantity=str(qty), price=str(ask)))  # fmt: skip
    assert body["status"] == "EXPIRED"
    assert Decimal(body["executedQty"]) == ask_qty
    assert await binance.ok("GET", "/api/v3/openOrders") == []
    bal = await binance.balances()
    assert Decimal(bal["USDT"][1]) == 0  # the lock of the expired remainder is released
    assert Decimal(bal["USDT"][0]) == 10000 - ask * ask_qty


async def test_fok_is_all_or_nothing(sim: SimExchange, binance: BinanceAccount) -> None:
    (ask, ask_qty), (ask2, _), _ = levels(sim, "ask")
    nothing = await binance.ok("POST", "/api/v3/order", order(
        "BUY", "LIMIT", timeInForce="FOK", quantity=str(ask_qty * 2), price=str(ask)))  # fmt: skip
    assert nothing["status"] == "EXPIRED" and nothing["fills"] == []
    assert Decimal(nothing["executedQty"]) == 0
    assert levels(sim, "ask")[0] == (ask, ask_qty)
    everything = await binance.ok("POST", "/api/v3/order", order(
        "BUY", "LIMIT", timeInForce="FOK", quantity=str(ask_qty * 2), price=str(ask2)))  # fmt: skip
    assert everything["status"] == "FILLED"
    assert {Decimal(f["price"]) for f in everything["fills"]} == {ask, ask2}


async def test_crossing_limit_takes_then_rests_the_remainder(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    (ask, ask_qty), *_ = levels(sim, "ask")
    qty = ask_qty + Decimal("0.5")
    body = await binance.ok("POST", "/api/v3/order", order(
        "BUY", "LIMIT", timeInForce="GTC", quantity=str(qty), price=str(ask)))  # fmt: skip
    assert body["status"] == "PARTIALLY_FILLED"
    assert Decimal(body["executedQty"]) == ask_qty
    # The remainder rests at the limit; the symbol is now kept moving, so it may fill any time.
    got = await binance.ok("GET", "/api/v3/order", {"symbol": SYM, "orderId": str(body["orderId"])})
    assert got["status"] in ("PARTIALLY_FILLED", "FILLED")
    assert Decimal(got["executedQty"]) >= ask_qty
    open_ids = [o["orderId"] for o in await binance.ok("GET", "/api/v3/openOrders")]
    assert open_ids in ([], [body["orderId"]])


async def receive(ws: aiohttp.ClientWebSocketResponse, want: Any, timeout: float = 10.0) -> Any:
    """The first JSON message for which ``want(msg)`` is true."""
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            data = orjson.loads(msg.data)
            if want(data):
                return data


async def test_user_data_stream_reports_a_resting_order_filled_by_the_market(
    sim: SimExchange, http: aiohttp.ClientSession, binance: BinanceAccount
) -> None:
    async with http.post(f"{sim.rest_url}/api/v3/userDataStream") as resp:
        assert resp.status == 410  # listen keys retired: the WebSocket API carries the stream
    async with http.ws_connect(f"{sim.ws_url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        sub = await api.call("userDataStream.subscribe.signature", hmac_signed({}))
        assert sub["result"] == {"subscriptionId": 0}
        (bid, _), *_ = levels(sim, "bid")
        placed = await binance.ok("POST", "/api/v3/order", order(
            "BUY", "LIMIT", timeInForce="GTC", quantity="0.01", price=str(bid),
            newClientOrderId="rest-1"))  # fmt: skip
        assert placed["status"] == "NEW"

        async def event(want: Any, timeout: float = 10.0) -> Any:
            return (await api.event(lambda f: want(f["event"]), timeout))["event"]

        new = await event(lambda d: d.get("e") == "executionReport")
        assert (new["x"], new["X"], new["c"], new["i"]) == (
            "NEW",
            "NEW",
            "rest-1",
            placed["orderId"],
        )
        pos = await event(lambda d: d.get("e") == "outboundAccountPosition")
        usdt = next(b for b in pos["B"] if b["a"] == "USDT")
        assert Decimal(usdt["l"]) == bid * Decimal("0.01")
        # Nobody subscribes to ETHUSDT: the resting order keeps the market moving until it fills.
        trade = await event(lambda d: d.get("x") == "TRADE", timeout=20.0)
        assert trade["m"] is True and trade["N"] == "ETH"
        assert Decimal(trade["L"]) == bid
        filled = trade
        while filled["X"] != "FILLED":
            filled = await event(lambda d: d.get("x") == "TRADE", timeout=20.0)
        got = await binance.ok(
            "GET", "/api/v3/order", {"symbol": SYM, "origClientOrderId": "rest-1"}
        )
        assert got["status"] == "FILLED"
        trades = await binance.ok("GET", "/api/v3/myTrades", {"symbol": SYM})
        assert sum(Decimal(t["qty"]) for t in trades) == Decimal("0.01")
        assert all(t["isMaker"] for t in trades)


async def test_user_fill_appears_on_the_public_trade_stream(
    sim: SimExchange, http: aiohttp.ClientSession, binance: BinanceAccount
) -> None:
    async with http.ws_connect(f"{sim.ws_url}/ws/{SYM.lower()}@trade") as ws:
        await sim.wait_for_connections(1)
        body = await binance.ok("POST", "/api/v3/order", order("BUY", quantity="0.01"))
        (fill,) = body["fills"]
        trade = await receive(ws, lambda d: d.get("t") == fill["tradeId"])
        assert (trade["p"], trade["q"], trade["m"]) == (fill["price"], fill["qty"], False)
