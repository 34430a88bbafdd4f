"""Binance's own (deprecated, threaded) ``binance-connector`` WebSocket API client against the sim.

binance-connector 3.x has no ``userDataStream.subscribe.signature`` method (only the retired
``userDataStream.start``), so the subscription is sent through its generic ``send`` with params
signed by its own ``websocket_api_signature``; everything else uses its methods as shipped.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from letrade_cli.sim.server import SimExchange

websocket_api = pytest.importorskip("binance.websocket.spot.websocket_api")
utils = pytest.importorskip("binance.lib.utils")

TIMEOUT = 10.0


async def test_binance_connector_places_queries_cancels_and_subscribes(sim: SimExchange) -> None:
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def on_message(_: Any, message: str) -> None:
        loop.call_soon_threadsafe(inbox.put_nowait, json.loads(message))

    async def answer(rid: str) -> dict[str, Any]:
        async with asyncio.timeout(TIMEOUT):
            while True:
                msg = await inbox.get()
                if msg.get("id") == rid:
                    return msg
                events.append(msg)

    async def event(want: Any) -> dict[str, Any]:
        async with asyncio.timeout(TIMEOUT):
            while True:
                for i, msg in enumerate(events):
                    if want(msg):
                        return events.pop(i)
                events.append(await inbox.get())

    events: list[dict[str, Any]] = []
    client = await asyncio.to_thread(  # its constructor connects (blocking)
        websocket_api.SpotWebsocketAPIClient,
        stream_url=f"{sim.ws_url}/ws-api/v3",
        api_key=sim.config.api_key,
        api_secret=sim.config.api_secret,
        on_message=on_message,
        timeout=TIMEOUT,
    )
    try:
        params = utils.websocket_api_signature(client.api_key, client.api_secret, {})
        client.send({"id": "sub", "method": "userDataStream.subscribe.signature", "params": params})
        sub = await answer("sub")
        assert (sub["status"], sub["result"]) == (200, {"subscriptionId": 0})

        client.new_order(
            id="place", symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
            quantity="0.01", price="30000", newClientOrderId="connector-1",
        )  # fmt: skip
        placed = await answer("place")
        assert placed["status"] == 200, placed
        assert placed["result"]["clientOrderId"] == "connector-1"
        assert {r["rateLimitType"] for r in placed["rateLimits"]} == {"ORDERS", "REQUEST_WEIGHT"}
        oid = placed["result"]["orderId"]

        client.get_order(id="status", symbol="BTCUSDT", orderId=oid)
        got = await answer("status")
        assert (got["status"], got["result"]["status"]) == (200, "NEW")

        client.cancel_order(id="cancel", symbol="BTCUSDT", orderId=oid)
        canceled = await answer("cancel")
        assert (canceled["status"], canceled["result"]["status"]) == (200, "CANCELED")

        client.get_order(id="missing", symbol="BTCUSDT", orderId=987654)
        missing = await answer("missing")
        assert (missing["status"], missing["error"]["code"]) == (400, -2013)

        new = await event(lambda m: m.get("event", {}).get("x") == "NEW")
        assert (new["subscriptionId"], new["event"]["i"]) == (0, oid)
        done = await event(lambda m: m.get("event", {}).get("x") == "CANCELED")
        assert done["event"]["C"] == "connector-1"
        await event(lambda m: m.get("event", {}).get("e") == "outboundAccountPosition")

        client.user_data_start(id="retired")  # listen keys are gone from the WS API too
        retired = await answer("retired")
        assert (retired["status"], retired["error"]["code"]) == (400, -1020)
    finally:
        await asyncio.wait_for(asyncio.to_thread(client.stop), TIMEOUT)
