"""The sim's rate limits: order counts, weight, bans (Binance), request groups (Upbit).

Windows are stepped with a fake clock set on the dialect's counters, so no test waits for a
window to pass and none straddles a window boundary by chance.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import orjson
import pytest

from letrade_cli.sim.server import SimConfig, SimExchange
from tests.sim.conftest import BinanceAccount
from tests.sim.ws_api_client import WsApiClient, hmac_signed

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:jwt")

RESTING = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
           "quantity": "0.01", "price": "30000"}  # fmt: skip


class Clock:
    """A wall clock the test moves."""

    def __init__(self, t: float = 1_800_000_000.25) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def binance_clock(sim: SimExchange, clock: Clock) -> None:
    limits = sim.dialect("binance").limits
    for window in (limits.meter.window, limits.orders.short, limits.orders.long):
        window.clock = clock
    limits.guard.clock = clock


def upbit_clock(sim: SimExchange, clock: Clock) -> None:
    limits = sim.dialect("upbit").limits
    for window in limits.windows.values():
        window.clock = clock
    limits.ip.clock = limits.pocket.clock = clock


@pytest.fixture
async def small() -> AsyncIterator[SimExchange]:
    config = SimConfig(
        rate=200.0,
        order_limit=5,
        order_window_s=1.0,
        weight_limit_per_min=100,
        ban_after_violations=3,
        request_groups={"order": 3, "ticker": 4},
    )
    async with SimExchange(config) as sim:
        yield sim


async def rest_order(http: aiohttp.ClientSession, sim: SimExchange, cid: str) -> Any:
    account = BinanceAccount(http, sim.rest_url)
    query = account.sign({**RESTING, "newClientOrderId": cid})
    url = f"{sim.rest_url}/api/v3/order?{query}"
    async with http.post(url, headers={"X-MBX-APIKEY": account.key}) as resp:
        return resp.status, await resp.json(), resp.headers


async def test_the_sixth_order_in_a_second_is_refused_over_rest_and_ws_alike(
    small: SimExchange, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    binance_clock(small, clock)
    counts = []
    for i in range(3):
        status, body, headers = await rest_order(http, small, f"r{i}")
        assert status == 200, body
        counts.append((headers["X-MBX-ORDER-COUNT-1S"], headers["X-MBX-ORDER-COUNT-1D"]))
    assert counts == [("1", "1"), ("2", "2"), ("3", "3")]
    async with http.ws_connect(small.ws_url + "/ws-api/v3") as ws:
        api = WsApiClient(ws)
        for i in range(2):  # the 4th and 5th of this second: one count with REST
            answer = await api.call(
                "order.place", hmac_signed({**RESTING, "newClientOrderId": f"w{i}"})
            )
            assert answer["status"] == 200, answer
        orders = [e for e in answer["rateLimits"] if e["rateLimitType"] == "ORDERS"]
        assert [(e["interval"], e["intervalNum"], e["limit"], e["count"]) for e in orders] == [
            ("SECOND", 1, 5, 5),
            ("DAY", 1, 160_000, 5),
        ]
        refused = await api.call("order.place", hmac_signed({**RESTING, "newClientOrderId": "w9"}))
        assert refused["status"] == 429 and refused["error"]["code"] == -1015
        assert refused["error"]["msg"] == (
            "Too many new orders; current limit is 5 orders per 1 SECOND."
        )
        data = refused["error"]["data"]
        assert 0 < data["retryAfter"] - data["serverTime"] <= 1000
    status, body, headers = await rest_order(http, small, "r9")  # the 7th, over REST
    assert (status, body["code"]) == (429, -1015)
    assert headers["Retry-After"] == "1" and headers["X-MBX-ORDER-COUNT-1S"] == "7"
    clock.t += 1.0  # the next second: allowed again
    status, body, headers = await rest_order(http, small, "r10")
    assert status == 200 and headers["X-MBX-ORDER-COUNT-1S"] == "1"
    assert small.stats.rate_limited == 2


async def test_exchange_info_announces_the_configured_limits(
    small: SimExchange, http: aiohttp.ClientSession
) -> None:
    async with http.get(small.rest_url + "/api/v3/exchangeInfo?symbol=BTCUSDT") as resp:
        limits = (await resp.json())["rateLimits"]
    assert [(e["rateLimitType"], e["interval"], e["intervalNum"], e["limit"]) for e in limits][
        :3
    ] == [
        ("REQUEST_WEIGHT", "MINUTE", 1, 100),
        ("ORDERS", "SECOND", 1, 5),
        ("ORDERS", "DAY", 1, 160_000),
    ]


async def test_weight_over_the_limit_is_429_then_repeated_418_bans_that_double(
    small: SimExchange, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    binance_clock(small, clock)
    url = small.rest_url + "/api/v3/exchangeInfo?symbol=BTCUSDT"  # weight 20 of 100

    async def get() -> tuple[int, Any, Any]:
        async with http.get(url) as resp:
            return resp.status, await resp.json(), resp.headers

    statuses = [(await get())[0] for _ in range(5)]
    assert statuses == [200] * 5
    status, body, headers = await get()
    assert (status, body["code"]) == (429, -1003)
    assert int(headers["Retry-After"]) == 60  # the minute's end, from :00.25
    assert "current limit is 100 request weight per 1 MINUTE" in body["msg"]
    assert [(await get())[0] for _ in range(2)] == [429, 429]  # violations 1 and 2
    status, body, headers = await get()  # the 3rd violation: banned
    assert (status, body["code"]) == (418, -1003)
    assert int(headers["Retry-After"]) == 120
    until = int((clock.t + 120) * 1000)
    assert body["msg"] == (
        f"Way too much request weight used; IP banned until {until}. Please use WebSocket "
        "Streams for live updates to avoid bans."
    )
    async with http.ws_connect(small.ws_url + "/ws-api/v3") as ws:  # one IP: WS API too
        answer = await WsApiClient(ws).call("ping")
        assert answer["status"] == 418 and answer["error"]["code"] == -1003
        assert answer["error"]["data"]["retryAfter"] - answer["error"]["data"]["serverTime"] > 0
    clock.t += 121.0  # the ban is over; keep hammering in the next minute
    statuses = [(await get())[0] for _ in range(5)]
    assert statuses == [200] * 5
    assert [(await get())[0] for _ in range(3)] == [429, 429, 429]
    status, _, headers = await get()
    assert status == 418 and int(headers["Retry-After"]) == 240  # twice as long
    guard = small.dialect("binance").limits.guard
    assert guard.bans == 2
    assert min(guard.ban_s * 2**20, guard.max_s) == 3 * 86_400  # capped at 3 days


def upbit_token(params: dict[str, str] | None = None) -> str:
    import hashlib
    from urllib.parse import unquote, urlencode

    payload: dict[str, Any] = {"access_key": "letrade-sim-key", "nonce": str(uuid.uuid4())}
    if params:
        qs = unquote(urlencode(params))
        payload["query_hash"] = hashlib.sha512(qs.encode()).hexdigest()
        payload["query_hash_alg"] = "SHA512"
    return jwt.encode(payload, "letrade-sim-secret", algorithm="HS256")


async def test_upbit_remaining_req_counts_down_then_429_then_418(
    small: SimExchange, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    upbit_clock(small, clock)

    async def ticker() -> tuple[int, Any, str]:
        async with http.get(small.rest_url + "/v1/ticker?markets=KRW-BTC") as resp:
            return resp.status, await resp.json(), resp.headers["Remaining-Req"]

    seen = [await ticker() for _ in range(4)]
    assert [s for s, _, _ in seen] == [200] * 4
    assert [h for _, _, h in seen] == [f"group=ticker; min=240; sec={n}" for n in (3, 2, 1, 0)]
    async with http.get(small.rest_url + "/v1/market/all") as resp:  # its own group
        assert resp.headers["Remaining-Req"] == "group=market; min=600; sec=9"
    status, body, header = await ticker()
    assert status == 429 and header.endswith("sec=0")
    assert body["error"]["name"] == "too_many_requests"
    assert [(await ticker())[0] for _ in range(3)] == [429, 429, 418]
    clock.t += 1.0  # a new second, but the IP is blocked
    status, body, _ = await ticker()
    assert status == 418 and "blocked for 119s" in body["error"]["message"]
    clock.t += 120.0
    assert (await ticker())[0] == 200


async def test_upbit_order_group_is_counted_apart_from_default(
    small: SimExchange, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    upbit_clock(small, clock)
    order = {"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": "50000000",
             "volume": "0.0001"}  # fmt: skip

    async def place(i: int) -> tuple[int, Any, str]:
        params = {**order, "identifier": f"u{i}"}
        headers = {"Authorization": f"Bearer {upbit_token(params)}",
                   "Content-Type": "application/json"}  # fmt: skip
        async with http.post(
            small.rest_url + "/v1/orders", data=orjson.dumps(params), headers=headers
        ) as resp:
            return resp.status, await resp.json(), resp.headers["Remaining-Req"]

    placed = [await place(i) for i in range(3)]
    assert [s for s, _, _ in placed] == [201] * 3, placed
    assert [h for _, _, h in placed][-1] == "group=order; min=180; sec=0"
    headers = {"Authorization": f"Bearer {upbit_token()}"}
    async with http.get(small.rest_url + "/v1/accounts", headers=headers) as resp:
        assert resp.status == 200
        assert resp.headers["Remaining-Req"] == "group=default; min=1800; sec=29"
    status, body, _ = await place(9)
    assert status == 429 and body["error"]["name"] == "too_many_requests"
    clock.t += 1.0
    assert (await place(10))[0] == 201
