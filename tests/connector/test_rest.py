"""RestClient against a real aiohttp server on 127.0.0.1: weights, 429, venue errors."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from letrade_cli.connector.rest import RestClient
from letrade_cli.core.errors import ExchangeRejectedError, NetworkUnavailableError, RateLimitedError
from letrade_cli.venues.base import RestRequest


@pytest.fixture
async def server() -> AsyncIterator[str]:
    calls = {"limited": 0}

    async def ok(request: web.Request) -> web.Response:
        return web.json_response(
            {"symbol": request.query.get("symbol")}, headers={"X-MBX-USED-WEIGHT-1M": "42"}
        )

    async def limited(request: web.Request) -> web.Response:
        calls["limited"] += 1
        return web.json_response(
            {"code": -1003, "msg": "Too many requests"}, status=429, headers={"Retry-After": "7"}
        )

    async def limited_briefly(request: web.Request) -> web.Response:
        return web.json_response({"code": -1003}, status=429, headers={"Retry-After": "1"})

    async def binance_error(request: web.Request) -> web.Response:
        return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)

    async def upbit_error(request: web.Request) -> web.Response:
        return web.json_response(
            {"error": {"name": "404", "message": "Code not found"}}, status=404
        )

    async def down(request: web.Request) -> web.Response:
        return web.Response(status=503, text="maintenance")

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>login</html>", content_type="text/html")

    app = web.Application()
    app.add_routes(
        [
            web.get("/ok", ok),
            web.get("/limited", limited),
            web.get("/limited-briefly", limited_briefly),
            web.get("/binance-error", binance_error),
            web.get("/upbit-error", upbit_error),
            web.get("/down", down),
            web.get("/html", html),
        ]
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_json_and_weight_header(server: str) -> None:
    async with RestClient(server, weight_header="X-MBX-USED-WEIGHT-1M") as client:
        assert await client.get_json(RestRequest("/ok", {"symbol": "BTCUSDT"})) == {
            "symbol": "BTCUSDT"
        }
        assert client.used_weight == 42
        assert client.requests == 1


async def test_429_blocks_further_calls_until_retry_after(server: str) -> None:
    async with RestClient(server) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.get_json(RestRequest("/limited", {}))
        assert info.value.retry_after == 7
        assert client.blocked_for_s > 6
        with pytest.raises(RateLimitedError, match="not calling it"):
            await client.get_json(RestRequest("/ok", {}))
        assert client.requests == 1  # the second call never left the machine


async def test_a_brief_back_off_is_waited_out_by_the_next_call(server: str) -> None:
    # Seen in the restart chaos test: Upbit's 429 blocked the client for a fraction of a
    # second, and a start-up call in that moment failed the run ("retry after 0s", exit 3).
    async with RestClient(server) as client:
        with pytest.raises(RateLimitedError):
            await client.get_json(RestRequest("/limited-briefly", {}))
        assert 0 < client.blocked_for_s <= 1
        started = time.monotonic()
        assert await client.get_json(RestRequest("/ok", {"symbol": "X"})) == {"symbol": "X"}
        assert time.monotonic() - started >= 0.9  # it waited as told before calling again
        assert client.requests == 2


async def test_venue_error_codes_are_translated(server: str) -> None:
    async with RestClient(server) as client:
        with pytest.raises(ExchangeRejectedError) as info:
            await client.get_json(RestRequest("/binance-error", {}))
        assert info.value.code == -1121 and "Invalid symbol." in info.value.message
        with pytest.raises(ExchangeRejectedError, match="Code not found"):
            await client.get_json(RestRequest("/upbit-error", {}))


async def test_5xx_and_non_json_are_network_errors(server: str) -> None:
    async with RestClient(server) as client:
        with pytest.raises(NetworkUnavailableError, match="answered 503"):
            await client.get_json(RestRequest("/down", {}))
        with pytest.raises(NetworkUnavailableError, match="not JSON"):
            await client.get_json(RestRequest("/html", {}))


async def test_refused_connection_names_the_host() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with RestClient(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(NetworkUnavailableError, match=f"cannot reach 127.0.0.1:{port}"):
            await client.get_json(RestRequest("/ok", {}))
