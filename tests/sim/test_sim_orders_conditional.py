"""Conditional orders in the sim's Binance dialect: STOP_LOSS[_LIMIT], TAKE_PROFIT[_LIMIT] with a
stop price or a trailing delta, over real HTTP on 127.0.0.1. Prices are driven with the engine's
``feed_price`` test hook (a last trade price for the triggers); the generator's own trades stay
far from the stop prices used here, or the symbol's generator is held still."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp

from letrade_cli.sim.orders import OrderUpdate
from letrade_cli.sim.server import SimExchange
from letrade_cli.venues.binance.sim.events import execution_report
from tests.sim.conftest import BinanceAccount
from tests.sim.ws_api_client import WsApiClient, hmac_signed

SYM = "ETHUSDT"
QTY = "0.01"


def last(sim: SimExchange) -> Decimal:
    feed = sim.engine.feed(SYM, 0)
    return feed.market.price_decimal(feed.last_price)


def scaled(sim: SimExchange, num: int, den: int = 1) -> Decimal:
    """``last x num / den`` on the tick grid."""
    feed = sim.engine.feed(SYM, 0)
    return feed.market.price_decimal(feed.last_price * num // den)


def order(side: str, type_: str, **kw: str) -> dict[str, str]:
    return {"symbol": SYM, "side": side, "type": type_, "quantity": QTY, **kw}


def reports(sim: SimExchange) -> list[dict[str, Any]]:
    """Every executionReport from now on (built from the engine's order updates)."""
    out: list[dict[str, Any]] = []

    def listen(update: OrderUpdate) -> None:
        out.append(execution_report(update))

    sim.orders.listeners.append(listen)
    return out


async def status(binance: BinanceAccount, oid: int) -> dict[str, Any]:
    return await binance.ok("GET", "/api/v3/order", {"symbol": SYM, "orderId": str(oid)})


async def rejected(binance: BinanceAccount, params: dict[str, str]) -> tuple[int, str]:
    code, body = await binance.call("POST", "/api/v3/order", params)
    assert code == 400, body
    return body["code"], body["msg"]


async def hold_still(sim: SimExchange) -> None:
    """Stop the symbol's generator (after its pin is applied): only feed_price moves triggers."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    sim.engine.feed(SYM, 0).t_next = float("inf")


async def test_exchange_info_advertises_the_conditional_types_and_trailing_filter(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{sim.rest_url}/api/v3/exchangeInfo?symbol={SYM}") as resp:
        info = (await resp.json())["symbols"][0]
    assert {"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"} <= set(
        info["orderTypes"]
    )
    trailing = next(f for f in info["filters"] if f["filterType"] == "TRAILING_DELTA")
    assert (trailing["minTrailingAboveDelta"], trailing["maxTrailingBelowDelta"]) == (10, 2000)


async def test_stop_loss_sell_waits_locks_the_quantity_then_triggers_as_market(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    events = reports(sim)
    stop = scaled(sim, 1, 2)
    placed = await binance.ok("POST", "/api/v3/order", order(
        "SELL", "STOP_LOSS", stopPrice=str(stop), newClientOrderId="sl-1"))  # fmt: skip
    assert (placed["status"], placed["type"], placed["stopPrice"]) == (
        "NEW", "STOP_LOSS", f"{stop:.8f}")  # fmt: skip
    assert placed["fills"] == [] and placed["workingTime"] == -1
    assert (await binance.balances())["ETH"][1] == "0.01000000"
    got = await status(binance, placed["orderId"])
    assert got["isWorking"] is False and got["stopPrice"] == f"{stop:.8f}"
    assert [o["orderId"] for o in await binance.ok("GET", "/api/v3/openOrders")] == [
        placed["orderId"]
    ]
    sim.orders.feed_price(SYM, stop + 1)
    assert (await status(binance, placed["orderId"]))["status"] == "NEW"
    sim.orders.feed_price(SYM, stop)
    got = await status(binance, placed["orderId"])
    assert (got["status"], got["type"], got["clientOrderId"]) == ("FILLED", "STOP_LOSS", "sl-1")
    assert got["isWorking"] is True
    assert (await binance.balances())["ETH"] == ("9.99000000", "0.00000000")
    new, trade = events[0], events[-1]
    assert (new["x"], new["X"], new["o"], new["P"], new["w"]) == (
        "NEW", "NEW", "STOP_LOSS", f"{stop:.8f}", False)  # fmt: skip
    assert (trade["x"], trade["X"], trade["o"], trade["i"]) == (
        "TRADE", "FILLED", "STOP_LOSS", placed["orderId"])  # fmt: skip


async def test_take_profit_buy_triggers_as_a_market_buy(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    stop = scaled(sim, 1, 2)
    placed = await binance.ok(
        "POST", "/api/v3/order", order("BUY", "TAKE_PROFIT", stopPrice=str(stop))
    )
    assert placed["status"] == "NEW"
    sim.orders.feed_price(SYM, stop - 1)
    got = await status(binance, placed["orderId"])
    assert (got["status"], got["executedQty"]) == ("FILLED", "0.01000000")
    assert (await binance.balances())["USDT"][1] == "0.00000000"


async def test_stop_loss_limit_buy_locks_price_times_qty_and_fills_at_its_limit(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    stop = scaled(sim, 2)
    price = scaled(sim, 21, 10)
    placed = await binance.ok("POST", "/api/v3/order", order(
        "BUY", "STOP_LOSS_LIMIT", stopPrice=str(stop), price=str(price),
        timeInForce="GTC"))  # fmt: skip
    assert (placed["status"], placed["timeInForce"]) == ("NEW", "GTC")
    assert Decimal((await binance.balances())["USDT"][1]) == price * Decimal(QTY)
    sim.orders.feed_price(SYM, stop)
    got = await status(binance, placed["orderId"])
    assert (got["status"], got["type"]) == ("FILLED", "STOP_LOSS_LIMIT")
    assert Decimal(got["cummulativeQuoteQty"]) < price * Decimal(QTY)  # at the ask, not the limit
    assert (await binance.balances())["USDT"][1] == "0.00000000"


async def test_take_profit_limit_sell_triggers_into_the_book_and_cancels(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    events = reports(sim)
    stop = scaled(sim, 2)
    price = scaled(sim, 3)
    placed = await binance.ok("POST", "/api/v3/order", order(
        "SELL", "TAKE_PROFIT_LIMIT", stopPrice=str(stop), price=str(price),
        timeInForce="GTC"))  # fmt: skip
    sim.orders.feed_price(SYM, stop)
    got = await status(binance, placed["orderId"])
    assert (got["status"], got["isWorking"], got["type"]) == ("NEW", True, "TAKE_PROFIT_LIMIT")
    feed = sim.engine.feed(SYM, 0)
    _, asks = feed.book.depth(1 << 20)
    assert int(price / feed.market.tick) in {p for p, _ in asks}  # resting at its limit
    gone = await binance.ok(
        "DELETE", "/api/v3/order", {"symbol": SYM, "orderId": str(placed["orderId"])}
    )
    assert (gone["status"], gone["stopPrice"]) == ("CANCELED", f"{stop:.8f}")
    assert (await binance.balances())["ETH"] == ("10.00000000", "0.00000000")
    assert [e["x"] for e in events] == ["NEW", "CANCELED"]


async def test_an_untriggered_order_cancels_and_releases_its_lock(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    placed = await binance.ok("POST", "/api/v3/order", order(
        "SELL", "STOP_LOSS_LIMIT", stopPrice=str(scaled(sim, 1, 2)),
        price=str(scaled(sim, 1, 2)), timeInForce="GTC"))  # fmt: skip
    assert (await binance.balances())["ETH"][1] == "0.01000000"
    gone = await binance.ok(
        "DELETE", "/api/v3/order", {"symbol": SYM, "orderId": str(placed["orderId"])}
    )
    assert gone["status"] == "CANCELED"
    assert (await binance.balances())["ETH"] == ("10.00000000", "0.00000000")
    assert await binance.ok("GET", "/api/v3/openOrders") == []
    sim.orders.feed_price(SYM, scaled(sim, 1, 4))
    assert (await status(binance, placed["orderId"]))["status"] == "CANCELED"


async def test_trailing_take_profit_follows_the_price_and_fires_once(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    events = reports(sim)
    activation = scaled(sim, 2)
    placed = await binance.ok("POST", "/api/v3/order", order(
        "SELL", "TAKE_PROFIT", stopPrice=str(activation), trailingDelta="100"))  # fmt: skip
    assert (placed["trailingDelta"], placed["stopPrice"]) == (100, f"{activation:.8f}")
    await hold_still(sim)
    oid = placed["orderId"]
    sim.orders.feed_price(SYM, activation)  # activated: follows from here
    high = activation * Decimal("1.1")
    sim.orders.feed_price(SYM, high)  # a new high
    sim.orders.feed_price(SYM, high * Decimal("0.995"))  # 0.5% off the high: not yet
    assert (await status(binance, oid))["status"] == "NEW"
    sim.orders.feed_price(SYM, activation * Decimal("1.01"))  # 1% below 2x, but not the high's
    sim.orders.feed_price(SYM, high * Decimal("0.99"))
    got = await status(binance, oid)
    assert (got["status"], got["trailingDelta"]) == ("FILLED", 100)
    trades = [e for e in events if e["x"] == "TRADE"]
    assert trades and trades[-1]["d"] == 100 and trades[-1]["o"] == "TAKE_PROFIT"
    n = len(events)
    sim.orders.feed_price(SYM, high * 2)
    sim.orders.feed_price(SYM, high / 2)
    assert len(events) == n  # fired once


async def test_trailing_stop_without_a_stop_price_follows_from_the_last_price(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    placed = await binance.ok(
        "POST", "/api/v3/order", order("SELL", "STOP_LOSS", trailingDelta="2000")
    )
    await hold_still(sim)
    start = last(sim)
    assert placed["status"] == "NEW" and "stopPrice" not in placed
    sim.orders.feed_price(SYM, start * Decimal("0.81"))
    assert (await status(binance, placed["orderId"]))["status"] == "NEW"
    sim.orders.feed_price(SYM, start * Decimal("0.8"))
    assert (await status(binance, placed["orderId"]))["status"] == "FILLED"


async def test_conditional_orders_are_rejected_with_binances_codes(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    half, double = str(scaled(sim, 1, 2)), str(scaled(sim, 2))
    both = "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!"
    assert await rejected(binance, order("SELL", "STOP_LOSS")) == (-1102, both)
    code, msg = await rejected(binance, order(
        "SELL", "STOP_LOSS_LIMIT", stopPrice=half, timeInForce="GTC"))  # fmt: skip
    assert code == -1102 and "'price'" in msg
    code, msg = await rejected(binance, order(
        "SELL", "TAKE_PROFIT_LIMIT", stopPrice=double, price=double))  # fmt: skip
    assert code == -1102 and "'timeInForce'" in msg
    code, msg = await rejected(binance, order("SELL", "STOP_LOSS", stopPrice=half, price=half))
    assert (code, msg) == (-1106, "Parameter 'price' sent when not required.")
    assert await rejected(binance, order("SELL", "STOP_LOSS", stopPrice=double)) == (
        -2010, "Order would trigger immediately.")  # fmt: skip
    assert await rejected(binance, order("BUY", "TAKE_PROFIT", stopPrice=double)) == (
        -2010, "Order would trigger immediately.")  # fmt: skip
    for delta in ("9", "2001"):
        assert await rejected(binance, order("SELL", "STOP_LOSS", trailingDelta=delta)) == (
            -1013, "Filter failure: TRAILING_DELTA")  # fmt: skip
    code, _ = await rejected(binance, order("SELL", "LIMIT", timeInForce="GTC", price=double,
                                            stopPrice=half))  # fmt: skip
    assert code == -1106
    assert await binance.ok("GET", "/api/v3/openOrders") == []
    assert (await binance.balances())["ETH"] == ("10.00000000", "0.00000000")


async def test_ws_api_order_place_takes_a_stop_order(
    sim: SimExchange, http: aiohttp.ClientSession, binance: BinanceAccount
) -> None:
    stop = str(scaled(sim, 1, 2))
    async with http.ws_connect(f"{sim.ws_url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        await api.call("userDataStream.subscribe.signature", hmac_signed({}))
        placed = await api.call("order.place", hmac_signed(order(
            "SELL", "STOP_LOSS_LIMIT", stopPrice=stop, price=stop, timeInForce="GTC")))  # fmt: skip
        assert placed["status"] == 200, placed
        result = placed["result"]
        assert (result["status"], result["stopPrice"]) == ("NEW", f"{Decimal(stop):.8f}")
        report = await api.event(lambda f: f["event"].get("e") == "executionReport", 5.0)
        event = report["event"]
        assert (event["o"], event["P"], event["x"], event["w"]) == (
            "STOP_LOSS_LIMIT", f"{Decimal(stop):.8f}", "NEW", False)  # fmt: skip
        await binance.ok(
            "DELETE", "/api/v3/order", {"symbol": SYM, "orderId": str(result["orderId"])}
        )
        canceled = await api.event(lambda f: f["event"].get("x") == "CANCELED", 5.0)
        assert canceled["event"]["i"] == result["orderId"]
