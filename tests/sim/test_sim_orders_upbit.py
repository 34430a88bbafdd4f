"""Upbit exchange routes of the sim: JWT verification failures, order validation, list params."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import unquote, urlencode

import aiohttp
import jwt
import orjson
import pytest

from letrade_cli.sim.server import SimExchange

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:jwt")

KEY = "letrade-sim-key"
SECRET = "letrade-sim-secret"


def token(params: dict[str, str] | None, *, key: str = KEY, secret: str = SECRET,
          nonce: str | None = None, query_hash: str | None = None) -> str:  # fmt: skip
    payload: dict[str, Any] = {"access_key": key, "nonce": nonce or str(uuid.uuid4())}
    if params:
        qs = unquote(urlencode(params, doseq=True))
        payload["query_hash"] = query_hash or hashlib.sha512(qs.encode()).hexdigest()
        payload["query_hash_alg"] = "SHA512"
    return jwt.encode(payload, secret, algorithm="HS256")


async def call(
    http: aiohttp.ClientSession, sim: SimExchange, method: str, path: str,
    params: dict[str, str] | None = None, *, auth: str | None = None,
) -> tuple[int, Any]:  # fmt: skip
    headers = {"Authorization": f"Bearer {auth if auth is not None else token(params)}"}
    url = f"{sim.rest_url}{path}"
    if method == "POST":
        json_headers = {**headers, "Content-Type": "application/json"}
        kw: dict[str, Any] = {"data": orjson.dumps(params or {}), "headers": json_headers}
    else:
        kw = {"params": params or {}, "headers": headers}
    async with http.request(method, url, **kw) as resp:
        return resp.status, await resp.json(content_type=None)


def err(body: Any) -> str:
    return str(body["error"]["name"])


async def test_jwt_failures(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, sim, "GET", "/v1/accounts", auth="")
    assert (status, err(body)) == (401, "jwt_verification")
    status, body = await call(http, sim, "GET", "/v1/accounts", auth=token(None, secret="wrong"))
    assert (status, err(body)) == (401, "jwt_verification")
    status, body = await call(http, sim, "GET", "/v1/accounts", auth=token(None, key="other"))
    assert (status, err(body)) == (401, "invalid_access_key")
    params = {"market": "KRW-BTC"}
    bad_hash = token(params, query_hash="0" * 128)
    status, body = await call(http, sim, "GET", "/v1/orders/chance", params, auth=bad_hash)
    assert (status, err(body)) == (401, "invalid_query_payload")
    no_hash = token(None)
    status, body = await call(http, sim, "GET", "/v1/orders/chance", params, auth=no_hash)
    assert (status, err(body)) == (401, "invalid_query_payload")
    once = token(None, nonce="same-nonce")
    assert (await call(http, sim, "GET", "/v1/accounts", auth=once))[0] == 200
    status, body = await call(http, sim, "GET", "/v1/accounts", auth=once)
    assert (status, err(body)) == (401, "nonce_used")


async def test_accounts_and_chance(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    status, rows = await call(http, sim, "GET", "/v1/accounts")
    assert status == 200
    assert {r["currency"]: r["balance"] for r in rows} == {"KRW": "10000000.0", "BTC": "0.1"}
    status, chance = await call(http, sim, "GET", "/v1/orders/chance", {"market": "KRW-BTC"})
    assert status == 200
    assert chance["bid_fee"] == "0.0005" and chance["market"]["bid"]["min_total"] == "5000.0"
    assert chance["ask_account"]["balance"] == "0.1"


@pytest.mark.parametrize(
    ("params", "status", "name"),
    [
        ({"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "volume": "0.001",
          "price": "1000.5"}, 400, "invalid_price_bid"),
        ({"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "volume": "0.0001",
          "price": "1000"}, 400, "under_min_total_bid"),
        ({"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "volume": "0.000000001",
          "price": "10000000"}, 400, "invalid_volume_bid"),
        ({"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "volume": "1",
          "price": "90000000"}, 400, "insufficient_funds_bid"),
        ({"market": "KRW-BTC", "side": "ask", "ord_type": "market", "volume": "5"},
         400, "insufficient_funds_ask"),
        ({"market": "KRW-BTC", "side": "bid", "ord_type": "market", "volume": "0.01"},
         400, "validation_error"),
        ({"market": "KRW-NOPE", "side": "bid", "ord_type": "price", "price": "10000"},
         404, "market_does_not_exist"),
        ({"side": "bid", "ord_type": "price", "price": "10000"}, 400, "validation_error"),
    ],
)  # fmt: skip
async def test_order_validation(
    sim: SimExchange, http: aiohttp.ClientSession, params: dict[str, str], status: int, name: str
) -> None:
    got, body = await call(http, sim, "POST", "/v1/orders", params)
    assert (got, err(body)) == (status, name), body


async def test_identifier_orders_and_list_params(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    order = {"market": "KRW-BTC", "side": "bid", "ord_type": "limit", "volume": "0.00123457",
             "price": "10000000", "identifier": "mine-1"}  # fmt: skip
    status, placed = await call(http, sim, "POST", "/v1/orders", order)
    assert status == 201, placed  # Created, as Upbit answers
    assert placed["identifier"] == "mine-1" and placed["state"] == "wait"
    assert placed["volume"] == "0.00123457"  # Upbit volumes have 8 decimals
    status, body = await call(http, sim, "POST", "/v1/orders", order)
    assert status == 400  # an identifier is never reused
    status, got = await call(http, sim, "GET", "/v1/order", {"identifier": "mine-1"})
    assert got["uuid"] == placed["uuid"]
    # list parameters: repeated, bracketed or comma-joined
    for query in (f"uuids[]={placed['uuid']}&states[]=wait&states[]=done",
                  f"uuids={placed['uuid']}&states=wait,done"):  # fmt: skip
        qh = hashlib.sha512(query.encode()).hexdigest()
        auth = jwt.encode({"access_key": KEY, "nonce": str(uuid.uuid4()), "query_hash": qh,
                           "query_hash_alg": "SHA512"}, SECRET, algorithm="HS256")  # fmt: skip
        async with http.get(f"{sim.rest_url}/v1/orders?{query}",
                            headers={"Authorization": f"Bearer {auth}"}) as resp:  # fmt: skip
            rows = await resp.json()
        assert resp.status == 200, rows
        assert [r["uuid"] for r in rows] == [placed["uuid"]]
    status, gone = await call(http, sim, "DELETE", "/v1/order", {"uuid": placed["uuid"]})
    assert status == 200 and gone["uuid"] == placed["uuid"]
    status, body = await call(http, sim, "GET", "/v1/order", {"uuid": str(uuid.uuid4())})
    assert (status, err(body)) == (404, "order_not_found")


async def test_quotation_markets_repeated_or_joined(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    for query in ("markets=KRW-BTC&markets=KRW-ETH", "markets=KRW-BTC,KRW-ETH"):
        for path in ("/v1/ticker", "/v1/orderbook"):
            async with http.get(f"{sim.rest_url}{path}?{query}") as resp:
                rows = await resp.json()
            assert [r["market"] for r in rows] == ["KRW-BTC", "KRW-ETH"], (path, query)
