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
