"""Binance order routes of the sim: placement, lookup, cancel, matching, balances and fees."""

from __future__ import annotations

from decimal import Decimal

from letrade_cli.sim.server import SimExchange
from tests.sim.conftest import BinanceAccount


def top(sim: SimExchange, symbol: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    feed = sim.engine.feed(symbol, 0)
    t = feed.book.top()
    assert t is not None
    m = feed.market
    return m.price_decimal(t[0]), m.step * t[1], m.price_decimal(t[2]), m.step * t[3]


async def test_market_buy_fills_at_the_ask_and_pays_commission_in_base(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    _, _, ask, ask_qty = top(sim, "BTCUSDT")
    qty = min(ask_qty, Decimal("0.01"))
    body = await binance.ok(
        "POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                  "quantity": str(qty)}
    )  # fmt: skip
    assert body["status"] == "FILLED"
    assert [Decimal(f["price"]) for f in body["fills"]] == [ask]
    commission = Decimal(body["fills"][0]["commission"])
    assert commission == qty * Decimal("0.001")
    assert body["fills"][0]["commissionAsset"] == "BTC"
    bal = await binance.balances()
    assert Decimal(bal["BTC"][0]) == 1 + qty - commission
    assert Decimal(bal["USDT"][0]) == 10000 - ask * qty


async def test_limit_order_rests_is_found_by_client_id_and_cancels(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    bid, _, _, _ = top(sim, "BTCUSDT")
    price = bid - 1000
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
              "quantity": "0.01", "price": str(price), "newClientOrderId": "my-1"}  # fmt: skip
    placed = await binance.ok("POST", "/api/v3/order", params)
    assert placed["status"] == "NEW" and placed["clientOrderId"] == "my-1"
    bal = await binance.balances()
    assert Decimal(bal["USDT"][1]) == price * Decimal("0.01")
    got = await binance.ok(
        "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "my-1"}
    )
    assert got["orderId"] == placed["orderId"] and got["status"] == "NEW"
    assert [o["orderId"] for o in await binance.ok("GET", "/api/v3/openOrders")] == [
        placed["orderId"]
    ]
    gone = await binance.ok(
        "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": str(placed["orderId"])}
    )
    assert gone["status"] == "CANCELED" and gone["origClientOrderId"] == "my-1"
    bal = await binance.balances()
    assert bal["USDT"] == ("10000.00000000", "0.00000000")
    assert await binance.ok("GET", "/api/v3/openOrders") == []
