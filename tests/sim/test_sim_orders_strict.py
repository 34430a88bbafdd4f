"""The sim checks Binance requests as strictly as Binance: each error code, message and status."""

from __future__ import annotations

import hashlib
import hmac
import time
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from letrade_cli.sim.server import SimExchange
from letrade_cli.venues.binance.sim.signing import REJECTED_KEY_MESSAGE
from tests.sim.conftest import BinanceAccount

LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
         "quantity": "0.01", "price": "30000"}  # fmt: skip


def with_(**kw: str) -> dict[str, str]:
    return {**LIMIT, **kw}


def without(*names: str) -> dict[str, str]:
    return {k: v for k, v in LIMIT.items() if k not in names}


async def expect(
    binance: BinanceAccount, code: int, msg: str, method: str, path: str, params: Any, **kw: Any
) -> None:
    status, body = await binance.call(method, path, params, **kw)
    assert body == {"code": code, "msg": msg}, body
    assert status == (401 if code in (-2014, -2015) else 400)


async def test_api_key_header_is_required_and_must_match(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    missing = BinanceAccount(http, sim.rest_url, key="")
    await expect(missing, -2014, "API-key format invalid.", "GET", "/api/v3/account", {})
    wrong = BinanceAccount(http, sim.rest_url, key="someone-else")
    await expect(wrong, -2015, REJECTED_KEY_MESSAGE, "GET", "/api/v3/account", {})
    # Binance's words first; then the sim says which variables must match its --api-key
    assert REJECTED_KEY_MESSAGE.startswith("Invalid API-key, IP, or permissions for action.")
    assert "LETRADE_SIM_API_KEY" in REJECTED_KEY_MESSAGE


async def test_signature_is_hmac_over_the_exact_query_and_body(
    sim: SimExchange, http: aiohttp.ClientSession, binance: BinanceAccount
) -> None:
    wrong = BinanceAccount(http, sim.rest_url, secret="not-the-secret")
    await expect(
        wrong, -1022, "Signature for this request is not valid.", "GET", "/api/v3/account", {}
    )
    # totalParams = query string + body: half the parameters in each, signed together.
    ts = str(time.time_ns() // 1_000_000)
    query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
    body = f"quantity=0.01&price=30000&recvWindow=5000&timestamp={ts}"
    sig = hmac.new(b"letrade-sim-secret", (query + body).encode(), hashlib.sha256).hexdigest()
    headers = {"X-MBX-APIKEY": "letrade-sim-key",
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    url = f"{sim.rest_url}/api/v3/order?{query}"
    async with http.post(url, data=f"{body}&signature={sig}", headers=headers) as resp:
        placed = await resp.json()
    assert resp.status == 200, placed
    assert placed["status"] == "NEW" and placed["price"] == "30000.00000000"
    # The same request with one byte changed after signing is refused.
    async with http.post(url, data=f"{body}&signature={sig}".replace("0.01", "0.02"),
                         headers=headers) as resp:  # fmt: skip
        assert (await resp.json())["code"] == -1022
    await expect(binance, -1102,
                 "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
                 "GET", f"/api/v3/account?timestamp={ts}", {}, signed=False)  # fmt: skip


async def test_timestamp_and_recv_window(binance: BinanceAccount) -> None:
    await expect(binance, -1021, "Timestamp for this request is outside of the recvWindow.",
                 "GET", "/api/v3/account", {}, ts_offset_ms=-6000)  # fmt: skip
    assert (await binance.call("GET", "/api/v3/account", {"recvWindow": "10000"},
                               ts_offset_ms=-6000))[0] == 200  # fmt: skip
    await expect(binance, -1021,
                 "Timestamp for this request was 1000ms ahead of the server's time.",
                 "GET", "/api/v3/account", {}, ts_offset_ms=5000)  # fmt: skip
    await expect(binance, -1131, "recvWindow must be less than 60000.",
                 "GET", "/api/v3/account", {"recvWindow": "60001"})  # fmt: skip


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        (without("quantity"), -1102,
         "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."),
        (without("timeInForce"), -1102,
         "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
        (without("symbol"), -1102,
         "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
        (with_(quantity="1e-2"), -1100, "Illegal characters found in parameter 'quantity'; "
         "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."),
        (with_(symbol="NOPEUSDT"), -1121, "Invalid symbol."),
        (with_(side="LONG"), -1117, "Invalid side."),
        (with_(type="STOP"), -1116, "Invalid orderType."),
        (with_(timeInForce="DAY"), -1115, "Invalid timeInForce."),
        (with_(price="30000.001"), -1013, "Filter failure: PRICE_FILTER"),
        (with_(quantity="0.000001"), -1013, "Filter failure: LOT_SIZE"),
        (with_(quantity="0.00001", price="100"), -1013, "Filter failure: NOTIONAL"),
        (with_(quantity="1"), -2010, "Account has insufficient balance for requested action."),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"}, -1102,
         "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01",
          "price": "30000"}, -1106, "Parameter 'price' sent when not required."),
        (with_(newClientOrderId="has space"), -1100,
         "Illegal characters found in parameter 'newClientOrderId'; "
         "legal range is '^[a-zA-Z0-9-_]{1,36}$'."),
    ],
)  # fmt: skip
async def test_new_order_validation(
    binance: BinanceAccount, params: dict[str, str], code: int, msg: str
) -> None:
    await expect(binance, code, msg, "POST", "/api/v3/order", params)
    if code != -2010:  # order/test checks the request, not the account (as Binance)
        await expect(binance, code, msg, "POST", "/api/v3/order/test", params)
    assert await binance.ok("GET", "/api/v3/openOrders") == []


async def test_duplicate_parameter_is_refused(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    query = f"recvWindow=5000&recvWindow=5000&timestamp={time.time_ns() // 1_000_000}"
    sig = hmac.new(b"letrade-sim-secret", query.encode(), hashlib.sha256).hexdigest()
    url = f"{sim.rest_url}/api/v3/account?{query}&signature={sig}"
    async with http.get(url, headers={"X-MBX-APIKEY": "letrade-sim-key"}) as resp:
        body = await resp.json()
    assert (resp.status, body) == (
        400,
        {"code": -1101, "msg": "Duplicate values for a parameter detected."},
    )


async def test_test_order_validates_without_placing(binance: BinanceAccount) -> None:
    assert await binance.ok("POST", "/api/v3/order/test", LIMIT) == {}
    assert await binance.ok("GET", "/api/v3/openOrders") == []
    assert (await binance.balances())["USDT"] == ("10000.00000000", "0.00000000")


async def test_duplicate_client_id_unknown_orders(binance: BinanceAccount) -> None:
    first = await binance.ok("POST", "/api/v3/order", with_(newClientOrderId="dup-1"))
    await expect(binance, -2010, "Duplicate order sent.", "POST", "/api/v3/order",
                 with_(newClientOrderId="dup-1"))  # fmt: skip
    await expect(binance, -2013, "Order does not exist.", "GET", "/api/v3/order",
                 {"symbol": "BTCUSDT", "orderId": "1"})  # fmt: skip
    await expect(binance, -2013, "Order does not exist.", "GET", "/api/v3/order",
                 {"symbol": "ETHUSDT", "orderId": str(first["orderId"])})  # fmt: skip
    await expect(binance, -1102,
                 "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
                 "GET", "/api/v3/order", {"symbol": "BTCUSDT"})  # fmt: skip
    await expect(binance, -2011, "Unknown order sent.", "DELETE", "/api/v3/order",
                 {"symbol": "BTCUSDT", "origClientOrderId": "never-sent"})  # fmt: skip
    await binance.ok("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "dup-1"})
    await expect(binance, -2011, "Unknown order sent.", "DELETE", "/api/v3/order",
                 {"symbol": "BTCUSDT", "origClientOrderId": "dup-1"})  # fmt: skip
    # Binance: a client order id must be unique among *open* orders; a closed one's can be reused.
    again = await binance.ok("POST", "/api/v3/order", with_(newClientOrderId="dup-1"))
    assert again["orderId"] != first["orderId"]
    await expect(binance, -2011, "Unknown order sent.", "DELETE", "/api/v3/openOrders",
                 {"symbol": "ETHUSDT"})  # fmt: skip
    cancelled = await binance.ok("DELETE", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
    assert [o["status"] for o in cancelled] == ["CANCELED"]
    history = await binance.ok("GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"})
    assert [(o["orderId"], o["status"]) for o in history] == [
        (first["orderId"], "CANCELED"),
        (again["orderId"], "CANCELED"),
    ]


async def test_response_types(binance: BinanceAccount) -> None:
    ack = await binance.ok("POST", "/api/v3/order", with_(newOrderRespType="ACK"))
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    result = await binance.ok("POST", "/api/v3/order", with_(newOrderRespType="RESULT"))
    assert "fills" not in result and result["status"] == "NEW"
    full = await binance.ok("POST", "/api/v3/order", LIMIT)
    assert full["fills"] == [] and Decimal(full["origQty"]) == Decimal("0.01")


async def test_limit_maker_rests_or_is_refused(sim: SimExchange, binance: BinanceAccount) -> None:
    book = sim.engine.feed("BTCUSDT", 0).book
    ask = book.best_ask()
    assert ask is not None
    tick = sim.engine.feeds["BTCUSDT"].market.tick
    maker = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER", "quantity": "0.01"}
    await expect(binance, -2010, "Order would immediately match and take.", "POST",
                 "/api/v3/order", {**maker, "price": str(ask * tick)})  # fmt: skip
    placed = await binance.ok("POST", "/api/v3/order", {**maker, "price": "30000"})
    assert (placed["type"], placed["status"]) == ("LIMIT_MAKER", "NEW")


async def test_order_routes_count_request_weight(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    binance = BinanceAccount(http, sim.rest_url)
    query = binance.sign({})
    headers = {"X-MBX-APIKEY": "letrade-sim-key"}
    async with http.get(f"{sim.rest_url}/api/v3/account?{query}", headers=headers) as resp:
        first = int(resp.headers["X-MBX-USED-WEIGHT-1M"])
    async with http.get(
        f"{sim.rest_url}/api/v3/account?{binance.sign({})}", headers=headers
    ) as resp:
        # the meter is per wall-clock minute: a minute may have just begun
        assert int(resp.headers["X-MBX-USED-WEIGHT-1M"]) in (first + 20, 20)


async def test_a_filled_orders_client_id_is_free_at_once_and_open_orders_stay_exact(
    binance: BinanceAccount,
) -> None:
    # Many orders through one account: the open-order index must agree with what is open.
    market = {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "0.001"}
    for i in range(30):
        side = "BUY" if i % 2 else "SELL"
        params = {**market, "side": side, "newClientOrderId": "reused"}
        body = await binance.ok("POST", "/api/v3/order", params)
        assert body["status"] == "FILLED"  # filled at once: the id is free for the next one
    resting = [await binance.ok("POST", "/api/v3/order", with_(newClientOrderId=f"rest-{i}"))
               for i in range(3)]  # fmt: skip
    await expect(binance, -2010, "Duplicate order sent.", "POST", "/api/v3/order",
                 with_(newClientOrderId="rest-1"))  # fmt: skip
    await binance.ok(
        "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "rest-1"}
    )
    open_ids = [o["clientOrderId"] for o in await binance.ok("GET", "/api/v3/openOrders")]
    assert open_ids == ["rest-0", "rest-2"]  # oldest first, the cancelled and filled ones gone
    assert [r["clientOrderId"] for r in resting] == ["rest-0", "rest-1", "rest-2"]
    again = await binance.ok("POST", "/api/v3/order", with_(newClientOrderId="rest-1"))
    assert again["status"] == "NEW"
