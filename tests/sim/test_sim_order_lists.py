"""The sim's Binance order lists and cancel-replace over REST on 127.0.0.1: OCO (``orderList/oco``,
``orderList``, ``openOrderList``) and ``order/cancelReplace``."""

from __future__ import annotations

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
