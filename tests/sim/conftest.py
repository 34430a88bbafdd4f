"""Fixtures: a SimExchange on 127.0.0.1 (port 0) and an aiohttp client session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from letrade_cli.sim.server import SimConfig, SimExchange


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(SimConfig(rate=2000.0, seed=7, port=0)) as exchange:
        yield exchange


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get_json(http: aiohttp.ClientSession, url: str) -> tuple[int, Any, Any]:
    async with http.get(url) as resp:
        return resp.status, await resp.json(content_type=None), resp.headers


async def assert_upbit_errors(
    http: aiohttp.ClientSession, prefix: str, cases: list[tuple[str, int, str]]
) -> None:
    """Each ``prefix + suffix`` answers Upbit's error body ``{"error": {"name": status, ...}}``."""
    for suffix, status, message in cases:
        got = await get_json(http, prefix + suffix)
        assert got[:2] == (status, {"error": {"name": status, "message": message}}), suffix


class BinanceAccount:
    """A signed Binance client written from Binance's docs (hmac over totalParams), for tests."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base: str,
        key: str = "letrade-sim-key",
        secret: str = "letrade-sim-secret",
    ) -> None:
        self.http = http
        self.base = base
        self.key = key
        self.secret = secret

    def sign(self, params: dict[str, str], *, ts_offset_ms: int = 0) -> str:
        import hashlib
        import hmac
        import time
        from urllib.parse import urlencode

        full = dict(params)
        full.setdefault("timestamp", str(time.time_ns() // 1_000_000 + ts_offset_ms))
        query = urlencode(full)
        sig = hmac.new(self.secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        return f"{query}&signature={sig}"

    async def call(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        *,
        ts_offset_ms: int = 0,
        signed: bool = True,
    ) -> tuple[int, Any]:
        query = self.sign(params or {}, ts_offset_ms=ts_offset_ms) if signed else ""
        if not signed and params:
            from urllib.parse import urlencode

            query = urlencode(params)
        url = f"{self.base}{path}?{query}" if query else f"{self.base}{path}"
        async with self.http.request(method, url, headers={"X-MBX-APIKEY": self.key}) as resp:
            return resp.status, await resp.json(content_type=None)

    async def ok(self, method: str, path: str, params: dict[str, str] | None = None) -> Any:
        status, body = await self.call(method, path, params)
        assert status == 200, body
        return body

    async def balances(self) -> dict[str, tuple[str, str]]:
        acct = await self.ok("GET", "/api/v3/account")
        return {b["asset"]: (b["free"], b["locked"]) for b in acct["balances"]}


@pytest.fixture
async def binance(sim: SimExchange, http: aiohttp.ClientSession) -> BinanceAccount:
    return BinanceAccount(http, sim.rest_url)
