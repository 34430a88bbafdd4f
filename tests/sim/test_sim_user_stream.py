"""User data stream: cancel events, unknown listen keys, drops and refusals (real WebSockets)."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from letrade_cli.sim.server import SimExchange
from tests.sim.conftest import BinanceAccount
from tests.sim.test_sim_orders_matching import receive

LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
         "quantity": "0.01", "price": "30000", "newClientOrderId": "us-1"}  # fmt: skip


async def listen_key(binance: BinanceAccount) -> str:
    status, body = await binance.call("POST", "/api/v3/userDataStream", signed=False)
    assert status == 200
    return str(body["listenKey"])


async def test_cancel_is_reported_with_the_original_client_id_and_the_released_balance(
    sim: SimExchange, http: aiohttp.ClientSession, binance: BinanceAccount
) -> None:
    key = await listen_key(binance)
    async with http.ws_connect(f"{sim.ws_url}/ws/{key}") as ws:
        placed = await binance.ok("POST", "/api/v3/order", LIMIT)
        await binance.ok(
            "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": str(placed["orderId"])}
        )
        report = await receive(ws, lambda d: d.get("x") == "CANCELED")
        assert (report["X"], report["C"], report["i"]) == ("CANCELED", "us-1", placed["orderId"])
        assert report["c"] != "us-1"  # Binance: c is the cancel request's own id
        pos = await receive(ws, lambda d: d.get("e") == "outboundAccountPosition")
        usdt = next(b for b in pos["B"] if b["a"] == "USDT")
        assert (Decimal(usdt["f"]), Decimal(usdt["l"])) == (Decimal(10000), Decimal(0))


async def test_listen_key_needs_the_api_key_and_unknown_keys_are_refused(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    nobody = BinanceAccount(http, sim.rest_url, key="")
    status, body = await nobody.call("POST", "/api/v3/userDataStream", signed=False)
    assert (status, body["code"]) == (401, -2014)
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await http.ws_connect(f"{sim.ws_url}/ws/{'x' * 60}")


async def test_drop_and_unavailable_cover_user_streams(
    sim: SimExchange, http: aiohttp.ClientSession, binance: BinanceAccount
) -> None:
    key = await listen_key(binance)
    async with http.ws_connect(f"{sim.ws_url}/ws/{key}") as ws:
        await binance.ok("POST", "/api/v3/order", LIMIT)  # make sure the stream is registered
        await receive(ws, lambda d: d.get("e") == "executionReport")
        assert await sim.drop_connections() >= 1
        msg = await ws.receive(timeout=5)
        while msg.type == aiohttp.WSMsgType.TEXT:  # frames already in flight
            msg = await ws.receive(timeout=5)
        assert msg.type in (
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
            aiohttp.WSMsgType.CLOSE,
        )
    sim.set_ws_available(False)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{sim.ws_url}/ws/{key}")
    assert refused.value.status == 503
