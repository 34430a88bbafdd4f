"""The sim's Binance order lists and cancel-replace over REST on 127.0.0.1: OCO (``orderList/oco``,
``orderList``, ``openOrderList``) and ``order/cancelReplace``."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from letrade_cli.sim.server import SimExchange
from tests.sim.conftest import BinanceAccount

SYM = "ETHUSDT"


def scaled(sim: SimExchange, num: int, den: int = 1) -> Decimal:
    """The last price x ``num / den`` on the tick grid."""
    feed = sim.engine.feed(SYM, 0)
    return feed.market.price_decimal(feed.last_price * num // den)


def resting_buy(sim: SimExchange, **kw: str) -> dict[str, str]:
    return {"symbol": SYM, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.01", "price": str(scaled(sim, 1, 2)), **kw}  # fmt: skip


async def test_rest_cancel_replace_cancels_then_places(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    first = await binance.ok("POST", "/api/v3/order", resting_buy(sim, newClientOrderId="a"))
    replace = resting_buy(sim, newClientOrderId="b", price=str(scaled(sim, 1, 3)))
    replace.update(cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=str(first["orderId"]))
    body = await binance.ok("POST", "/api/v3/order/cancelReplace", replace)
    assert (body["cancelResult"], body["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    assert body["cancelResponse"]["status"] == "CANCELED"
    assert body["newOrderResponse"]["clientOrderId"] == "b"
    opened = await binance.ok("GET", "/api/v3/openOrders")
    assert [o["clientOrderId"] for o in opened] == ["b"]


async def test_rest_cancel_replace_failures_carry_both_results(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    code, body = await binance.call("POST", "/api/v3/order/cancelReplace", {
        **resting_buy(sim), "cancelReplaceMode": "STOP_ON_FAILURE",
        "cancelOrderId": "999"})  # fmt: skip
    assert (code, body["code"], body["msg"]) == (400, -2022, "Order cancel-replace failed.")
    assert body["data"]["newOrderResult"] == "NOT_ATTEMPTED"
    assert body["data"]["cancelResponse"]["code"] == -2011
    code, body = await binance.call("POST", "/api/v3/order/cancelReplace", {
        **resting_buy(sim), "cancelReplaceMode": "ALLOW_FAILURE",
        "cancelOrderId": "999"})  # fmt: skip
    assert (code, body["code"]) == (409, -2021)
    data: dict[str, Any] = body["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "SUCCESS")
    code, body = await binance.call("POST", "/api/v3/order/cancelReplace", resting_buy(sim))
    assert (code, body["code"]) == (400, -1102)


def oco(side: str, above: dict[str, str], below: dict[str, str], **kw: str) -> dict[str, str]:
    params = {"symbol": SYM, "side": side, "quantity": "0.01", **kw}
    params.update({f"above{k[0].upper()}{k[1:]}": v for k, v in above.items()})
    params.update({f"below{k[0].upper()}{k[1:]}": v for k, v in below.items()})
    return params


def sell_oco(sim: SimExchange, **kw: str) -> dict[str, str]:
    return oco("SELL", {"type": "LIMIT_MAKER", "price": str(scaled(sim, 2)), "clientOrderId": "up"},
               {"type": "STOP_LOSS", "stopPrice": str(scaled(sim, 1, 2)),
                "clientOrderId": "down"}, **kw)  # fmt: skip


def list_events(sim: SimExchange) -> list[bool]:
    """Whether each list update reports the list done, from now on."""
    out: list[bool] = []
    sim.orders.list_listeners.append(lambda x: out.append(x.done))
    return out


async def order_of(binance: BinanceAccount, cid: str) -> dict[str, Any]:
    return await binance.ok("GET", "/api/v3/order", {"symbol": SYM, "origClientOrderId": cid})


async def test_oco_places_both_legs_under_one_lock(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    body = await binance.ok("POST", "/api/v3/orderList/oco", sell_oco(sim, listClientOrderId="l1"))
    assert (body["contingencyType"], body["listStatusType"], body["listOrderStatus"]) == (
        "OCO", "EXEC_STARTED", "EXECUTING")  # fmt: skip
    assert body["listClientOrderId"] == "l1"
    assert [r["clientOrderId"] for r in body["orderReports"]] == ["up", "down"]
    assert {r["orderListId"] for r in body["orderReports"]} == {body["orderListId"]}
    assert [r["type"] for r in body["orderReports"]] == ["LIMIT_MAKER", "STOP_LOSS"]
    assert (await binance.balances())["ETH"] == ("9.99000000", "0.01000000")
    opened = await binance.ok("GET", "/api/v3/openOrders")
    assert sorted(o["clientOrderId"] for o in opened) == ["down", "up"]
    lists = await binance.ok("GET", "/api/v3/openOrderList")
    assert [x["orderListId"] for x in lists] == [body["orderListId"]]
    got = await binance.ok("GET", "/api/v3/orderList", {"origClientOrderId": "l1"})
    assert got["orderListId"] == body["orderListId"] and len(got["orders"]) == 2


async def test_oco_stop_leg_triggering_cancels_the_limit_leg(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    lists = list_events(sim)
    body = await binance.ok("POST", "/api/v3/orderList/oco", sell_oco(sim))
    sim.orders.feed_price(SYM, scaled(sim, 1, 3))
    assert (await order_of(binance, "down"))["status"] == "FILLED"
    up = await order_of(binance, "up")
    assert (up["status"], up["orderListId"]) == ("CANCELED", body["orderListId"])
    assert (await binance.balances())["ETH"] == ("9.99000000", "0.00000000")
    got = await binance.ok("GET", "/api/v3/orderList", {"orderListId": str(body["orderListId"])})
    assert (got["listStatusType"], got["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    assert await binance.ok("GET", "/api/v3/openOrderList") == []
    assert lists == [False, True]


async def test_oco_limit_leg_filling_cancels_the_stop_leg(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    feed = sim.engine.feed(SYM, 0)
    bids, _ = feed.book.depth(1)
    bid = feed.market.price_decimal(bids[0][0])
    done = asyncio.get_running_loop().create_future()
    sim.orders.list_listeners.append(lambda x: x.done and not done.done() and done.set_result(x))
    await binance.ok("POST", "/api/v3/orderList/oco", oco(
        "BUY", {"type": "STOP_LOSS_LIMIT", "stopPrice": str(scaled(sim, 2)),
                "price": str(scaled(sim, 2)), "timeInForce": "GTC", "clientOrderId": "up"},
        {"type": "LIMIT_MAKER", "price": str(bid), "clientOrderId": "down"}))  # fmt: skip
    assert Decimal((await binance.balances())["USDT"][1]) == scaled(sim, 2) * Decimal("0.01")
    await asyncio.wait_for(done, 30.0)  # the market's sellers reach the bid
    down = await order_of(binance, "down")
    assert down["status"] in ("PARTIALLY_FILLED", "FILLED")
    assert (await order_of(binance, "up"))["status"] == "CANCELED"
    sim.orders.feed_price(SYM, scaled(sim, 3))  # the canceled stop never fires
    assert (await order_of(binance, "up"))["status"] == "CANCELED"


async def test_oco_cancels_as_a_list_and_with_either_leg(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    body = await binance.ok("POST", "/api/v3/orderList/oco", sell_oco(sim))
    gone = await binance.ok(
        "DELETE", "/api/v3/orderList", {"symbol": SYM, "orderListId": str(body["orderListId"])}
    )
    assert gone["listOrderStatus"] == "ALL_DONE"
    assert [r["status"] for r in gone["orderReports"]] == ["CANCELED", "CANCELED"]
    assert (await binance.balances())["ETH"] == ("10.00000000", "0.00000000")
    code, err = await binance.call(
        "DELETE", "/api/v3/orderList", {"symbol": SYM, "orderListId": str(body["orderListId"])}
    )
    assert (code, err["code"]) == (400, -2011)
    again = await binance.ok("POST", "/api/v3/orderList/oco", sell_oco(sim))
    await binance.ok("DELETE", "/api/v3/order", {"symbol": SYM, "origClientOrderId": "down"})
    assert (await order_of(binance, "up"))["status"] == "CANCELED"
    got = await binance.ok("GET", "/api/v3/orderList", {"orderListId": str(again["orderListId"])})
    assert got["listStatusType"] == "ALL_DONE"
    assert await binance.ok("GET", "/api/v3/openOrders") == []


async def test_oco_is_rejected_with_binances_codes(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    up, down = str(scaled(sim, 2)), str(scaled(sim, 1, 2))

    async def code_of(params: dict[str, str]) -> tuple[int, str]:
        status, body = await binance.call("POST", "/api/v3/orderList/oco", params)
        assert status == 400, body
        return body["code"], body["msg"]

    stop = {"type": "STOP_LOSS", "stopPrice": down}
    maker = {"type": "LIMIT_MAKER", "price": up}
    assert (await code_of(oco("SELL", stop, maker)))[0] == -1166
    assert (await code_of(oco("BUY", maker, {"type": "STOP_LOSS", "stopPrice": up})))[0] == -1165
    assert (await code_of(oco("SELL", maker, {"type": "LIMIT_MAKER", "price": down})))[0] == -1168
    assert (await code_of(oco("SELL", maker, {**stop, "type": "LIMIT"})))[0] == -1158
    code, msg = await code_of(oco("SELL", maker, {"type": "STOP_LOSS"}))
    assert code == -1102 and "'belowStopPrice'" in msg
    assert await code_of(oco("SELL", maker, {"type": "STOP_LOSS", "stopPrice": up})) == (
        -2010, "Order would trigger immediately.")  # fmt: skip
    assert await binance.ok("GET", "/api/v3/openOrders") == []
    assert (await binance.balances())["ETH"] == ("10.00000000", "0.00000000")
