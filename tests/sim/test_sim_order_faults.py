"""Injected faults on order routes: timeout after accepting, 5xx before/after, 429 + Retry-After."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from letrade_cli.sim.server import SimExchange
from tests.sim.conftest import BinanceAccount

LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
         "quantity": "0.01", "price": "30000"}  # fmt: skip


def with_id(cid: str) -> dict[str, str]:
    return {**LIMIT, "newClientOrderId": cid}


async def lookup(binance: BinanceAccount, cid: str) -> tuple[int, object]:
    return await binance.call(
        "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": cid}
    )


async def test_timeout_after_accepting_places_the_order_but_never_answers(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    sim.timeout_next_orders(1, hold_s=30.0)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.5)) as impatient:
        client = BinanceAccount(impatient, sim.rest_url)
        with pytest.raises(asyncio.TimeoutError):
            await client.call("POST", "/api/v3/order", with_id("t-1"))
    status, body = await lookup(binance, "t-1")
    assert status == 200 and body["status"] == "NEW"  # type: ignore[index]
    assert len(await binance.ok("GET", "/api/v3/openOrders")) == 1
    # only the next order request was faulted
    assert (await binance.call("POST", "/api/v3/order", with_id("t-2")))[0] == 200


async def test_dropped_connection_after_accepting(
    sim: SimExchange, binance: BinanceAccount
) -> None:
    sim.timeout_next_orders(1, hold_s=0.0)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await binance.call("POST", "/api/v3/order", with_id("d-1"))
    assert (await lookup(binance, "d-1"))[0] == 200


@pytest.mark.parametrize("after_accept", [False, True])
async def test_5xx_before_or_after_accepting(
    sim: SimExchange, binance: BinanceAccount, after_accept: bool
) -> None:
    sim.fail_next_orders(2, status=503, after_accept=after_accept)
    status, body = await binance.call("POST", "/api/v3/order", with_id("f-1"))
    assert status == 503 and body["code"] == -1001
    status, _ = await lookup(binance, "f-1")
    assert status == (200 if after_accept else 400)
    # a lookup is never faulted; the second fault hits the next order request (a cancel)
    status, _ = await binance.call(
        "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "f-1"}
    )
    assert status == 503
    assert sim.faults.pending() == 0


async def test_429_with_retry_after_places_nothing(
    sim: SimExchange, http: aiohttp.ClientSession, binance: BinanceAccount
) -> None:
    sim.throttle_next_orders(1, retry_after_s=3)
    query = binance.sign(with_id("r-1"))
    headers = {"X-MBX-APIKEY": "letrade-sim-key"}
    async with http.post(f"{sim.rest_url}/api/v3/order?{query}", headers=headers) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "3"
        assert (await resp.json())["code"] == -1015
    assert (await lookup(binance, "r-1"))[0] == 400
    assert (await binance.call("POST", "/api/v3/order", with_id("r-1")))[0] == 200
