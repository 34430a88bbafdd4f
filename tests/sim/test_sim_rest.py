from __future__ import annotations

import re
from decimal import Decimal

import aiohttp

from letrade_cli.sim.server import SimConfig, SimExchange

from .conftest import get_json

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
    assert status == 404 and body == {"error": {"name": "404", "message": "Code not found"}}


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
