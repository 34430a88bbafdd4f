from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from letrade_cli.sim.candles import Candle, candle
from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.venues.upbit.sim import rest as upbit_rest

from .conftest import assert_upbit_errors, get_json

DEC = re.compile(r"^-?\d+\.\d{8}$")


async def test_binance_ping_time_and_weight_header(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    status, body, headers = await get_json(http, sim.rest_url + "/api/v3/ping")
    assert (status, body) == (200, {})
    used = int(headers["X-MBX-USED-WEIGHT-1M"])
    status, body, headers = await get_json(http, sim.rest_url + "/api/v3/time")
    assert isinstance(body["serverTime"], int)
    assert int(headers["X-MBX-USED-WEIGHT-1M"]) == used + 1


async def test_exchange_info_filters(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    url = sim.rest_url + '/api/v3/exchangeInfo?symbols=["BTCUSDT","ETHBTC"]'
    status, body, _ = await get_json(http, url)
    assert status == 200
    assert [s["symbol"] for s in body["symbols"]] == ["BTCUSDT", "ETHBTC"]
    btc = body["symbols"][0]
    assert (btc["baseAsset"], btc["quoteAsset"], btc["status"]) == ("BTC", "USDT", "TRADING")
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    assert DEC.match(filters["NOTIONAL"]["minNotional"])
    assert body["rateLimits"][0]["limit"] == 6000
    status, body, _ = await get_json(http, sim.rest_url + "/api/v3/exchangeInfo")
    assert len(body["symbols"]) >= 200 and len({s["symbol"] for s in body["symbols"]}) >= 200
    status, body, _ = await get_json(http, sim.rest_url + "/api/v3/exchangeInfo?symbol=NOPE")
    assert (status, body) == (400, {"code": -1121, "msg": "Invalid symbol."})


async def test_ticker_price_and_book_ticker(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    status, body, _ = await get_json(http, sim.rest_url + "/api/v3/ticker/price?symbol=BTCUSDT")
    assert status == 200 and body["symbol"] == "BTCUSDT" and DEC.match(body["price"])
    url = sim.rest_url + '/api/v3/ticker/bookTicker?symbols=["BTCUSDT","ETHUSDT"]'
    status, body, _ = await get_json(http, url)
    assert [r["symbol"] for r in body] == ["BTCUSDT", "ETHUSDT"]
    for row in body:
        assert all(DEC.match(row[k]) for k in ("bidPrice", "bidQty", "askPrice", "askQty"))
        assert Decimal(row["bidPrice"]) < Decimal(row["askPrice"])
    status, body, _ = await get_json(http, sim.rest_url + "/api/v3/ticker/bookTicker")
    assert len(body) == len(sim.markets("binance"))
    status, body, _ = await get_json(http, sim.rest_url + "/api/v3/ticker/bookTicker?symbols=[BTC")
    assert status == 400 and body["code"] == -1100
    status, body, _ = await get_json(http, sim.rest_url + "/api/v3/ticker/24hr?symbol=ETHUSDT")
    assert status == 200 and DEC.match(body["lastPrice"]) and isinstance(body["count"], int)


async def test_depth_matches_book_ticker(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    status, depth, headers = await get_json(
        http, sim.rest_url + "/api/v3/depth?symbol=SOLUSDT&limit=5"
    )
    assert status == 200 and isinstance(depth["lastUpdateId"], int)
    assert len(depth["bids"]) == 5 and len(depth["asks"]) == 5
    bids = [Decimal(p) for p, _ in depth["bids"]]
    asks = [Decimal(p) for p, _ in depth["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    _, top, _ = await get_json(http, sim.rest_url + "/api/v3/ticker/bookTicker?symbol=SOLUSDT")
    assert [top["bidPrice"], top["bidQty"]] == depth["bids"][0]
    assert [top["askPrice"], top["askQty"]] == depth["asks"][0]
    _, _, h1 = await get_json(http, sim.rest_url + "/api/v3/depth?symbol=SOLUSDT&limit=1000")
    assert int(h1["X-MBX-USED-WEIGHT-1M"]) - int(headers["X-MBX-USED-WEIGHT-1M"]) == 2 + 50
    status, body, _ = await get_json(http, sim.rest_url + "/api/v3/depth")
    assert status == 400 and body["code"] == -1102


async def test_klines_shape_and_determinism(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    url = sim.rest_url + "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1700000000000&limit=3"
    status, rows, _ = await get_json(http, url)
    assert status == 200 and len(rows) == 3
    assert [r[0] for r in rows] == [1699999200000, 1700002800000, 1700006400000]
    for r in rows:
        assert len(r) == 12 and r[6] == r[0] + 3_600_000 - 1 and isinstance(r[8], int)
        o, h, low, c = (Decimal(x) for x in r[1:5])
        assert low <= min(o, c) <= max(o, c) <= h
    _, again, _ = await get_json(http, url)
    assert again == rows
    assert rows[0][4] == rows[1][1]
    for interval in ("1m", "5m", "1d"):
        url = f"{sim.rest_url}/api/v3/klines?symbol=ETHBTC&interval={interval}&limit=4"
        status, rows, _ = await get_json(http, url)
        assert status == 200 and len(rows) == 4
    status, body, _ = await get_json(
        http, sim.rest_url + "/api/v3/klines?symbol=BTCUSDT&interval=7m"
    )
    assert (status, body["code"]) == (400, -1120)


async def test_weight_limit_429_with_retry_after(http: aiohttp.ClientSession) -> None:
    async with SimExchange(SimConfig(weight_limit_per_min=45)) as sim:
        statuses = []
        for _ in range(3):
            async with http.get(sim.rest_url + "/api/v3/exchangeInfo?symbol=BTCUSDT") as resp:
                statuses.append(resp.status)
                headers = resp.headers
                body = await resp.json()
        assert statuses == [200, 200, 429]
        assert int(headers["Retry-After"]) >= 1
        assert int(headers["X-MBX-USED-WEIGHT-1M"]) == 60
        assert body["code"] == -1003


async def test_rest_unavailable(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    sim.set_rest_available(False)
    async with http.get(sim.rest_url + "/api/v3/ping") as resp:
        assert resp.status == 503
    async with http.get(sim.rest_url + "/v1/market/all") as resp:
        assert resp.status == 503
    sim.set_rest_available(True)
    async with http.get(sim.rest_url + "/api/v3/ping") as resp:
        assert resp.status == 200
    assert sim.stats.rest_requests == 3


async def test_upbit_market_ticker_orderbook(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    status, body, _ = await get_json(http, sim.rest_url + "/v1/market/all")
    codes = [r["market"] for r in body]
    assert {"KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL", "BTC-ETH", "USDT-BTC"} <= set(codes)
    assert set(body[0]) == {"market", "korean_name", "english_name"}
    status, body, _ = await get_json(http, sim.rest_url + "/v1/ticker?markets=KRW-BTC,KRW-ETH")
    assert status == 200 and [r["market"] for r in body] == ["KRW-BTC", "KRW-ETH"]
    for key in ("trade_price", "opening_price", "acc_trade_volume_24h", "signed_change_rate"):
        assert isinstance(body[0][key], float)
    assert body[0]["change"] in ("RISE", "EVEN", "FALL")
    status, body, _ = await get_json(http, sim.rest_url + "/v1/orderbook?markets=KRW-XRP")
    units = body[0]["orderbook_units"]
    assert status == 200 and len(units) == 15
    assert set(units[0]) == {"ask_price", "bid_price", "ask_size", "bid_size"}
    assert units[0]["bid_price"] < units[0]["ask_price"]
    assert isinstance(body[0]["total_ask_size"], float)
    status, body, _ = await get_json(http, sim.rest_url + "/v1/ticker?markets=KRW-NOPE")
    assert status == 404 and body == {"error": {"name": 404, "message": "Code not found"}}
    status, body, _ = await get_json(http, sim.rest_url + "/v1/orderbook")
    assert (status, body["error"]["name"]) == (400, 400)


CANDLE_KEYS = {
    "market", "candle_date_time_utc", "candle_date_time_kst", "opening_price", "high_price",
    "low_price", "trade_price", "timestamp", "candle_acc_trade_price", "candle_acc_trade_volume",
}  # fmt: skip


async def test_upbit_candles_deterministic(http: aiohttp.ClientSession) -> None:
    path = "/v1/candles/minutes/5?market=KRW-BTC&count=3&to=2024-01-01T00:00:00Z"
    async with SimExchange(SimConfig(seed=7)) as sim:
        status, first, _ = await get_json(http, sim.rest_url + path)
        _, days, _ = await get_json(
            http, sim.rest_url + "/v1/candles/days?market=KRW-ETH&count=2&to=2024-01-03 00:00:00"
        )
        _, missing, _ = await get_json(http, sim.rest_url + "/v1/candles/days?market=KRW-NOPE")
    async with SimExchange(SimConfig(seed=7)) as sim:
        _, second, _ = await get_json(http, sim.rest_url + path)
    async with SimExchange(SimConfig(seed=8)) as sim:
        _, other, _ = await get_json(http, sim.rest_url + path)
    assert status == 200 and first == second and first != other
    assert [c["candle_date_time_utc"] for c in first] == [
        "2023-12-31T23:55:00", "2023-12-31T23:50:00", "2023-12-31T23:45:00",
    ]  # fmt: skip
    assert first[0]["candle_date_time_kst"] == "2024-01-01T08:55:00"
    assert set(first[0]) == CANDLE_KEYS | {"unit"} and first[0]["unit"] == 5
    assert [c["candle_date_time_utc"] for c in days] == [
        "2024-01-02T00:00:00",
        "2024-01-01T00:00:00",
    ]
    assert set(days[0]) >= CANDLE_KEYS and "prev_closing_price" in days[0]
    assert missing["error"]["message"] == "Code not found"


# Upbit's quotation reference (docs.upbit.com/kr/reference: list-candles-*, recent trades):
# field names, newest first, count up to 200 candles / 500 ticks, and the 400/404 errors whose
# name is the status as a number. The Upbit clock is pinned so every value below is fixed.
NOW = datetime(2026, 11, 22, 12, 34, 56, 789_000, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
MISSING = "Missing request parameter error. Check the required parameters!"
TYPE_MISMATCH = "Type mismatch error. Check the parameters type!"
INVALID = "Invalid parameter. Check the given value!"
DAY_KEYS = {"prev_closing_price", "change_price", "change_rate"}
TICK_KEYS = {
    "market", "trade_date_utc", "trade_time_utc", "timestamp", "trade_price", "trade_volume",
    "prev_closing_price", "change_price", "ask_bid", "sequential_id",
}  # fmt: skip


@pytest.fixture
async def upbit(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SimExchange]:
    """A sim whose Upbit quotation clock reads NOW, with room for many calls a second."""
    monkeypatch.setattr(upbit_rest, "_now_ms", lambda: NOW_MS)
    groups = {"candles": 1000, "crix-trades": 1000}
    async with SimExchange(SimConfig(seed=7, port=0, request_groups=groups)) as sim:
        yield sim


def _utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def _check_candle(row: dict[str, Any], keys: set[str], span_ms: int) -> None:
    """Documented keys and types; KST is UTC + 9 h; the last tick lies inside the candle."""
    assert set(row) == keys, set(row) ^ keys
    opened = _utc(row["candle_date_time_utc"])
    kst = datetime.fromisoformat(row["candle_date_time_utc"]) + timedelta(hours=9)
    assert row["candle_date_time_kst"] == kst.strftime("%Y-%m-%dT%H:%M:%S")
    assert isinstance(row["market"], str) and isinstance(row["timestamp"], int)
    assert opened <= row["timestamp"] < min(opened + span_ms, NOW_MS)
    for key in keys - {"market", "candle_date_time_utc", "candle_date_time_kst", "timestamp"}:
        if key not in ("unit", "first_day_of_period"):
            assert isinstance(row[key], float), key
    assert row["low_price"] <= min(row["opening_price"], row["trade_price"])
    assert max(row["opening_price"], row["trade_price"]) <= row["high_price"]


async def test_upbit_seconds_minutes_days_candles(
    upbit: SimExchange, http: aiohttp.ClientSession
) -> None:
    query = "market=KRW-BTC&count=2&to=2026-11-20T00:00:00Z"
    answers = {}
    for path in ("seconds", "minutes/15", "days"):
        status, rows, headers = await get_json(http, f"{upbit.rest_url}/v1/candles/{path}?{query}")
        assert status == 200 and headers["Remaining-Req"].startswith("group=candles; ")
        answers[path] = rows
    seconds, minutes, days = answers["seconds"], answers["minutes/15"], answers["days"]
    times = [[c["candle_date_time_utc"] for c in rows] for rows in answers.values()]
    assert times == [
        ["2026-11-19T23:59:59", "2026-11-19T23:59:58"],
        ["2026-11-19T23:45:00", "2026-11-19T23:30:00"],
        ["2026-11-19T00:00:00", "2026-11-18T00:00:00"],
    ]  # newest first, each the candle before `to` (exclusive)
    for row in seconds:
        _check_candle(row, CANDLE_KEYS, 1_000)
    for row in minutes:
        _check_candle(row, CANDLE_KEYS | {"unit"}, 15 * 60_000)
        assert row["unit"] == 15
    for row in days:
        _check_candle(row, CANDLE_KEYS | DAY_KEYS, 86_400_000)
    # the three newest candles all end with the second 23:59:59: one close, one last tick
    assert len({rows[0]["trade_price"] for rows in (seconds, minutes, days)}) == 1
    assert len({rows[0]["timestamp"] for rows in (seconds, minutes, days)}) == 1
    newer, older = days
    assert newer["prev_closing_price"] == older["trade_price"]
    change = Decimal(str(newer["trade_price"])) - Decimal(str(newer["prev_closing_price"]))
    assert Decimal(str(newer["change_price"])) == change  # signed, not the absolute change
    assert newer["change_rate"] == pytest.approx(float(change) / newer["prev_closing_price"])


async def test_upbit_day_candles_converting_price_unit(
    upbit: SimExchange, http: aiohttp.ClientSession
) -> None:
    query = "count=1&to=2026-11-20T00:00:00Z"
    url = f"{upbit.rest_url}/v1/candles/days?{query}"
    _, plain, _ = await get_json(http, f"{url}&market=BTC-ETH")
    _, eth, _ = await get_json(http, f"{url}&market=BTC-ETH&converting_price_unit=KRW")
    _, btc, _ = await get_json(http, f"{url}&market=KRW-BTC")
    _, krw, _ = await get_json(http, f"{url}&market=KRW-ETH&convertingPriceUnit=KRW")
    assert "converted_trade_price" not in plain[0]  # only when asked for
    assert eth[0] == {**plain[0], "converted_trade_price": eth[0]["converted_trade_price"]}
    krw_close = eth[0]["trade_price"] * btc[0]["trade_price"]
    assert eth[0]["converted_trade_price"] == pytest.approx(krw_close)
    assert krw[0]["converted_trade_price"] is None  # a KRW market has nothing to convert


async def test_upbit_week_month_year_candles(
    upbit: SimExchange, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = f"{upbit.rest_url}/v1/candles"
    _, weeks, _ = await get_json(http, f"{base}/weeks?market=KRW-BTC&count=2&to=2024-02-19")
    _, months, _ = await get_json(http, f"{base}/months?market=KRW-BTC&to=2024-02-10T00:00:00Z")
    assert [w["candle_date_time_utc"] for w in weeks] == [
        "2024-02-12T00:00:00", "2024-02-05T00:00:00",
    ]  # fmt: skip
    assert [m["candle_date_time_utc"] for m in months] == ["2024-02-01T00:00:00"]  # count=1
    for row, span in ((weeks[0], 7), (weeks[1], 7), (months[0], 29)):
        _check_candle(row, CANDLE_KEYS | {"first_day_of_period"}, span * 86_400_000)
        assert row["first_day_of_period"] == row["candle_date_time_utc"][:10]
    assert all(datetime.fromisoformat(w["first_day_of_period"]).weekday() == 0 for w in weeks)
    month = months[0]  # February holds both weeks
    assert month["high_price"] >= max(w["high_price"] for w in weeks)
    assert month["low_price"] <= min(w["low_price"] for w in weeks)
    assert month["candle_acc_trade_volume"] > sum(w["candle_acc_trade_volume"] for w in weeks)

    # A cold year of history is ~9,000 hour aggregates (seconds of work): stub each year's
    # maths to its first hour and check only the year grid and the fields.
    def first_hour(m: Any, seed: int, opened: int, closed: int, now: int | None = None) -> Candle:
        return candle(m, seed, opened, opened + 3_600_000, now)

    monkeypatch.setattr(upbit_rest, "candle", first_hour)
    _, years, _ = await get_json(http, f"{base}/years?market=KRW-BTC&count=2")
    assert [y["candle_date_time_utc"] for y in years] == [
        "2026-01-01T00:00:00", "2025-01-01T00:00:00",
    ]  # fmt: skip
    assert [y["first_day_of_period"] for y in years] == ["2026-01-01", "2025-01-01"]
    assert all(set(y) == CANDLE_KEYS | {"first_day_of_period"} for y in years)


async def test_upbit_candle_errors_and_count(
    upbit: SimExchange, http: aiohttp.ClientSession
) -> None:
    base = f"{upbit.rest_url}/v1/candles"
    cases = [
        ("minutes/7?market=KRW-BTC", 400, INVALID),
        ("minutes/abc?market=KRW-BTC", 400, TYPE_MISMATCH),
        ("days", 400, MISSING),
        ("weeks?market=KRW-NOPE", 404, "Code not found"),
        ("seconds?market=KRW-BTC&count=abc", 400, TYPE_MISMATCH),
        ("months?market=KRW-BTC&count=0", 400, INVALID),
        ("minutes/1?market=KRW-BTC&to=yesterday", 400, INVALID),
        ("days?market=BTC-ETH&converting_price_unit=USD", 400, INVALID),
    ]
    await assert_upbit_errors(http, base + "/", cases)
    _, rows, _ = await get_json(http, f"{base}/seconds?market=KRW-BTC&count=201")
    assert len(rows) == 200  # over the most: cut to 200, not refused
    opened = [_utc(r["candle_date_time_utc"]) for r in rows]
    assert opened == [opened[0] - 1000 * n for n in range(200)]
    assert rows[0]["candle_date_time_utc"] == "2026-11-22T12:34:55"  # the last whole second
    old = (NOW - timedelta(days=91)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, rows, _ = await get_json(http, f"{base}/seconds?market=KRW-BTC&to={old}")
    assert (status, rows) == (200, [])  # second candles reach back 3 months only
    for unit in upbit_rest.MINUTE_UNITS:
        url = f"{base}/minutes/{unit}?market=KRW-XRP&to=2026-11-20T00:00:00Z"
        status, rows, _ = await get_json(http, url)
        start = datetime.fromisoformat(rows[0]["candle_date_time_utc"])
        assert (status, rows[0]["unit"]) == (200, unit)
        assert start + timedelta(minutes=unit) == datetime(2026, 11, 20)


async def test_upbit_live_candles_end_at_the_last_tick(
    upbit: SimExchange, http: aiohttp.ClientSession
) -> None:
    """The candle still open stops at now: its close and timestamp are the newest tick's."""
    status, ticks, headers = await get_json(
        http, f"{upbit.rest_url}/v1/trades/ticks?market=KRW-SOL"
    )
    assert status == 200 and headers["Remaining-Req"].startswith("group=crix-trades; ")
    [last] = ticks  # count defaults to 1
    assert (last["trade_date_utc"], last["trade_time_utc"]) == ("2026-11-22", "12:34:55")
    opens = {"seconds": "12:34:55", "minutes/1": "12:34:00", "minutes/60": "12:00:00"}
    opens["days"] = "00:00:00"
    for path, opened in opens.items():
        _, [row], _ = await get_json(http, f"{upbit.rest_url}/v1/candles/{path}?market=KRW-SOL")
        assert row["candle_date_time_utc"] == f"2026-11-22T{opened}", path
        assert (row["trade_price"], row["timestamp"]) == (last["trade_price"], last["timestamp"])


async def test_upbit_trade_ticks(upbit: SimExchange, http: aiohttp.ClientSession) -> None:
    url = f"{upbit.rest_url}/v1/trades/ticks?market=KRW-ETH&days_ago=1"
    _, page, _ = await get_json(http, f"{url}&to=13:00:00&count=10")
    assert len(page) == 10
    for row in page:
        assert set(row) == TICK_KEYS, set(row) ^ TICK_KEYS
        at = datetime.fromtimestamp(row["timestamp"] / 1000, UTC)
        assert row["trade_date_utc"] == "2026-11-21" == at.strftime("%Y-%m-%d")
        assert row["trade_time_utc"] == at.strftime("%H:%M:%S") < "13:00:00"
        assert row["ask_bid"] in ("ASK", "BID") and isinstance(row["sequential_id"], int)
        assert all(isinstance(row[k], float) for k in ("trade_price", "trade_volume"))
        change = Decimal(str(row["trade_price"])) - Decimal(str(row["prev_closing_price"]))
        assert Decimal(str(row["change_price"])) == change  # signed
    stamps = [(r["timestamp"], r["sequential_id"]) for r in page]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 10  # newest first
    _, day, _ = await get_json(
        http, f"{upbit.rest_url}/v1/candles/days?market=KRW-ETH&to=2026-11-22T00:00:00Z"
    )
    assert {r["prev_closing_price"] for r in page} == {day[0]["prev_closing_price"]}

    _, first, _ = await get_json(http, f"{url}&to=130000&count=5")
    cursor = first[-1]["sequential_id"]
    _, rest, _ = await get_json(
        http, f"{url.replace('days_ago', 'daysAgo')}&count=5&cursor={cursor}"
    )
    assert first + rest == page  # HHmmss is HH:mm:ss; the cursor goes on just before its trade

    # one second's trades: their volumes sum to that second's candle, the last is its close
    second = datetime.fromtimestamp(page[0]["timestamp"] // 1000, UTC)
    after = (second + timedelta(seconds=1)).strftime("%H%M%S")
    _, trades, _ = await get_json(http, f"{url}&to={after}&count=20")
    trades = [t for t in trades if t["timestamp"] // 1000 == int(second.timestamp())]
    iso = (second + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, [bar], _ = await get_json(
        http, f"{upbit.rest_url}/v1/candles/seconds?market=KRW-ETH&to={iso}"
    )
    volume = sum(Decimal(str(t["trade_volume"])) for t in trades)
    assert volume == Decimal(str(bar["candle_acc_trade_volume"]))
    assert (trades[0]["trade_price"], trades[0]["timestamp"]) == (
        bar["trade_price"],
        bar["timestamp"],
    )

    _, most, _ = await get_json(http, f"{url}&count=501")
    assert len(most) == 500  # cut to 500, not refused
    assert most[0]["trade_time_utc"] == "23:59:59"  # a past day: up to its end
    cases = [
        ("days_ago=8", 400, INVALID),
        ("days_ago=0", 400, INVALID),
        ("days_ago=x", 400, TYPE_MISMATCH),
        ("to=25:00:00", 400, INVALID),
        ("cursor=abc", 400, TYPE_MISMATCH),
    ]
    await assert_upbit_errors(http, f"{upbit.rest_url}/v1/trades/ticks?market=KRW-ETH&", cases)
    got = await get_json(http, f"{upbit.rest_url}/v1/trades/ticks?market=KRW-NOPE")
    assert got[:2] == (404, {"error": {"name": 404, "message": "Code not found"}})
    got = await get_json(http, f"{upbit.rest_url}/v1/trades/ticks")
    assert got[:2] == (400, {"error": {"name": 400, "message": MISSING}})
