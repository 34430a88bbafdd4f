"""The sim's history is one market: every kline interval aggregates the same price path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import aiohttp

from letrade_cli.sim.server import SimExchange
from tests.sim.conftest import get_json

DAY = 1_704_067_200_000  # 2024-01-01 00:00 UTC (a Monday)


async def _klines(
    sim: SimExchange, http: aiohttp.ClientSession, interval: str, start: int, limit: int
) -> list[list[Any]]:
    url = (
        f"{sim.rest_url}/api/v3/klines?symbol=BTCUSDT&interval={interval}"
        f"&startTime={start}&limit={limit}"
    )
    status, body, _ = await get_json(http, url)
    assert status == 200, body
    return list(body)


def _aggregate(rows: list[list[Any]]) -> tuple[Any, ...]:
    return (
        rows[0][1],
        max(Decimal(r[2]) for r in rows),
        min(Decimal(r[3]) for r in rows),
        rows[-1][4],
        sum(Decimal(r[5]) for r in rows),
        sum(int(r[8]) for r in rows),
    )


def _summary(row: list[Any]) -> tuple[Any, ...]:
    return (row[1], Decimal(row[2]), Decimal(row[3]), row[4], Decimal(row[5]), int(row[8]))


async def test_day_agrees_with_its_hours_and_minutes(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    (day,) = await _klines(sim, http, "1d", DAY, 1)
    hours = await _klines(sim, http, "1h", DAY, 24)
    minutes: list[list[Any]] = []
    for i in range(2):
        minutes += await _klines(sim, http, "1m", DAY + i * 1000 * 60_000, 1000)
    minutes = [r for r in minutes if r[0] < DAY + 86_400_000]
    assert len(hours) == 24 and len(minutes) == 1440
    assert _summary(day) == _aggregate(hours) == _aggregate(minutes)


async def test_every_binance_interval_is_accepted_and_aligned(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    start = DAY + 3 * 86_400_000 + 12_345  # a Thursday
    for interval in [
        "1s",
        "1m",
        "3m",
        "5m",
        "15m",
        "30m",
        "1h",
        "2h",
        "4h",
        "6h",
        "8h",
        "12h",
        "1d",
        "3d",
        "1w",
        "1M",
    ]:
        rows = await _klines(sim, http, interval, start, 3)
        assert len(rows) == 3, interval
        opens = [r[0] for r in rows]
        assert opens[0] <= start < rows[0][6] + 1, interval
        assert all(rows[i][6] + 1 == opens[i + 1] for i in range(2)), interval
    weeks = await _klines(sim, http, "1w", start, 2)
    assert dt.datetime.fromtimestamp(weeks[0][0] / 1000, tz=dt.UTC).weekday() == 0
    months = await _klines(sim, http, "1M", DAY + 40 * 86_400_000, 2)
    first = dt.datetime.fromtimestamp(months[0][0] / 1000, tz=dt.UTC)
    assert (first.month, first.day, months[1][0] - months[0][0]) == (2, 1, 29 * 86_400_000)


async def test_ui_klines_equal_klines(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    base = "symbol=BTCUSDT&interval=1h&startTime=1700000000000&limit=5"
    _, a, _ = await get_json(http, f"{sim.rest_url}/api/v3/klines?{base}")
    _, b, _ = await get_json(http, f"{sim.rest_url}/api/v3/uiKlines?{base}")
    assert a == b and len(a) == 5


async def test_pagination_is_contiguous(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    start, seen = DAY, []
    for _ in range(5):
        page = await _klines(sim, http, "1m", start, 1000)
        seen += page
        start = page[-1][0] + 60_000
    opens = [r[0] for r in seen]
    assert opens == list(range(DAY, DAY + 5000 * 60_000, 60_000))
    assert all(seen[i][4] == seen[i + 1][1] for i in range(len(seen) - 1))


async def test_unknown_paths_answer_json(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    status, body, headers = await get_json(http, sim.rest_url + "/api/v3/nothingHere")
    assert status == 404 and isinstance(body["code"], int) and body["msg"]
    assert headers["Content-Type"].startswith("application/json")
    status, body, _ = await get_json(http, sim.rest_url + "/v1/nothing/here")
    assert status == 404 and body["error"]["name"] and body["error"]["message"]
