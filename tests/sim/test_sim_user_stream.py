"""Listen keys are gone (410, as Binance since 2026-02-20); the user data stream is the WS API's."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from letrade_cli.sim.server import SimExchange
from tests.sim.conftest import BinanceAccount
from tests.sim.ws_api_client import WsApiClient, hmac_signed

LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
         "quantity": "0.01", "price": "30000", "newClientOrderId": "us-1"}  # fmt: skip
GONE = (
    "<html>\r\n<head><title>410 Gone</title></head>\r\n<body>\r\n"
    "<center><h1>410 Gone</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_listen_key_routes_answer_nginx_410(
    sim: SimExchange, http: aiohttp.ClientSession, method: str
) -> None:
    url = f"{sim.rest_url}/api/v3/userDataStream"
    if method != "POST":
        url += "?listenKey=" + "x" * 60
    async with http.request(method, url, headers={"X-MBX-APIKEY": "letrade-sim-key"}) as resp:
        assert resp.status == 410
        assert resp.content_type == "text/html"
        assert await resp.text() == GONE


async def test_a_listen_key_path_is_just_a_market_data_connection(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{sim.ws_url}/ws/{'x' * 60}") as ws:
        await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":1}')
        reply = await ws.receive_json(timeout=5)
        assert reply == {"result": [], "id": 1}


async def test_cancel_is_reported_with_the_original_client_id_and_the_released_balance(
    sim: SimExchange, http: aiohttp.ClientSession, binance: BinanceAccount
) -> None:
    async with http.ws_connect(f"{sim.ws_url}/ws-api/v3") as ws:
        api = WsApiClient(ws)
        assert (await api.call("userDataStream.subscribe.signature", hmac_signed({})))[
            "status"
        ] == 200
        placed = await binance.ok("POST", "/api/v3/order", LIMIT)  # REST orders are reported too
        await binance.ok(
            "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": str(placed["orderId"])}
        )
        report = (await api.event(lambda f: f["event"].get("x") == "CANCELED"))["event"]
        assert (report["X"], report["C"], report["i"]) == ("CANCELED", "us-1", placed["orderId"])
        assert report["c"] != "us-1"  # Binance: c is the cancel request's own id
        await api.event(lambda f: f["event"]["e"] == "outboundAccountPosition")  # after NEW
        pos = await api.event(lambda f: f["event"]["e"] == "outboundAccountPosition")
        usdt = next(b for b in pos["event"]["B"] if b["a"] == "USDT")
        assert (Decimal(usdt["f"]), Decimal(usdt["l"])) == (Decimal(10000), Decimal(0))
