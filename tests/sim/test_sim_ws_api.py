"""The sim's Binance WebSocket API (/ws-api/v3) against a client written from Binance's docs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.venues.binance.sim.signing import hmac_signature, ws_payload
from tests.sim.ws_api_client import (
    ED_KEY,
    KEY,
    WsApiClient,
    ed_signed,
    hmac_signed,
    public_pem,
)

PATH = "/ws-api/v3"
RESTING = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
           "quantity": "0.01", "price": "30000"}  # fmt: skip
MARKET_BUY = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}


@pytest.fixture
def private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
async def ed_sim(private_key: Ed25519PrivateKey) -> AsyncIterator[SimExchange]:
    config = SimConfig(rate=2000.0, seed=7, ed25519_keys={ED_KEY: public_pem(private_key)})
    async with SimExchange(config) as exchange:
        yield exchange


@pytest.fixture
async def api(sim: SimExchange, http: aiohttp.ClientSession) -> AsyncIterator[WsApiClient]:
    async with http.ws_connect(sim.ws_url + PATH) as ws:
        yield WsApiClient(ws)


@pytest.fixture
async def ed_api(ed_sim: SimExchange, http: aiohttp.ClientSession) -> AsyncIterator[WsApiClient]:
    async with http.ws_connect(ed_sim.ws_url + PATH) as ws:
        yield WsApiClient(ws)


def weight(answer: dict[str, Any]) -> dict[str, Any]:
    (entry,) = [r for r in answer["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT"]
    return entry


def error(answer: dict[str, Any]) -> tuple[int, int]:
    return answer["status"], answer["error"]["code"]


def test_the_documented_hmac_example_signs_to_the_documented_hex() -> None:
    params = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
              "quantity": "0.01000000", "price": "52000.00", "recvWindow": 100,
              "timestamp": 1645423376532,
              "apiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
              "signature": "------ FILL ME ------"}  # fmt: skip
    payload = ws_payload(params)
    assert payload == (
        "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00"
        "&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC"
        "&timestamp=1645423376532&type=LIMIT"
    )
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    assert hmac_signature(secret, payload) == (
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
    )


async def test_general_methods_errors_and_rate_limits(api: WsApiClient) -> None:
    ping = await api.call("ping")
    assert (ping["id"], ping["status"], ping["result"]) == (1, 200, {})
    assert weight(ping) | {"count": 0} == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                           "intervalNum": 1, "limit": 6000, "count": 0}  # fmt: skip
    assert weight(ping)["count"] >= 3  # connecting (2) + ping (1)
    t = await api.call("v3/time")
    assert t["status"] == 200 and t["result"]["serverTime"] > 0
    assert weight(t)["count"] == weight(ping)["count"] + 1
    info = await api.call("exchangeInfo", {"symbols": ["BTCUSDT", "ETHUSDT"]})
    assert [s["symbol"] for s in info["result"]["symbols"]] == ["BTCUSDT", "ETHUSDT"]
    assert weight(info)["count"] == weight(t)["count"] + 20
    one = await api.call("exchangeInfo", {"symbol": "BTCUSDT", "returnRateLimits": False})
    assert "rateLimits" not in one and len(one["result"]["symbols"]) == 1
    assert error(await api.call("exchangeInfo", {"symbol": "NOPE"})) == (400, -1121)
    assert error(await api.call("no.such.method")) == (400, -1020)
    for retired in ("userDataStream.start", "userDataStream.ping", "userDataStream.stop"):
        assert error(await api.call(retired, {"apiKey": KEY})) == (400, -1020)
    await api.send_raw('{"id": 5, "method": "ping"')
    bad = await api.answer(None)
    assert error(bad) == (400, -1135) and bad["id"] is None
    assert error(await api.call("ping", [1, 2])) == (400, -1135)  # type: ignore[arg-type]
    assert (await api.call("ping"))["status"] == 200  # the connection survived it all


async def test_return_rate_limits_false_in_the_url(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(sim.ws_url + PATH + "?returnRateLimits=false") as ws:
        api = WsApiClient(ws)
        assert "rateLimits" not in await api.call("time")
        assert "rateLimits" in await api.call("time", {"returnRateLimits": True})
        status = await api.call("session.status")
        assert status["result"]["returnRateLimits"] is False


async def test_trading_and_account_methods_with_hmac_signatures(api: WsApiClient) -> None:
    placed = await api.call("order.place", hmac_signed({**RESTING, "newClientOrderId": "ws-1"}))
    assert placed["status"] == 200, placed
    order = placed["result"]
    assert (order["symbol"], order["status"], order["clientOrderId"]) == ("BTCUSDT", "NEW", "ws-1")
    assert [(r["rateLimitType"], r["interval"], r["intervalNum"], r["limit"])
            for r in placed["rateLimits"]] == [
        ("ORDERS", "SECOND", 10, 50), ("ORDERS", "DAY", 1, 160000),
        ("REQUEST_WEIGHT", "MINUTE", 1, 6000)]  # fmt: skip
    assert placed["rateLimits"][0]["count"] >= 1
    oid = order["orderId"]
    assert (await api.call("order.test", hmac_signed(RESTING)))["result"] == {}
    got = await api.call("order.status", hmac_signed({"symbol": "BTCUSDT", "orderId": oid}))
    assert got["result"]["orderId"] == oid and got["result"]["status"] == "NEW"
    opened = await api.call("openOrders.status", hmac_signed({"symbol": "BTCUSDT"}))
    assert [o["orderId"] for o in opened["result"]] == [oid]
    everywhere = await api.call("openOrders.status", hmac_signed({}))
    assert weight(everywhere)["count"] == weight(opened)["count"] + 80
    account = await api.call("account.status", hmac_signed({}))
    usdt = next(b for b in account["result"]["balances"] if b["asset"] == "USDT")
    assert Decimal(usdt["locked"]) == Decimal(300)
    trades = await api.call("myTrades", hmac_signed({"symbol": "BTCUSDT"}))
    assert trades["status"] == 200 and trades["result"] == []

    # cancelReplace: both succeed; then the documented failure shapes
    replaced = await api.call("order.cancelReplace", hmac_signed({
        **RESTING, "price": "31000", "cancelReplaceMode": "STOP_ON_FAILURE",
        "cancelOrderId": oid}))  # fmt: skip
    assert replaced["status"] == 200, replaced
    r = replaced["result"]
    assert (r["cancelResult"], r["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    assert r["cancelResponse"]["status"] == "CANCELED" and r["cancelResponse"]["orderId"] == oid
    assert r["newOrderResponse"]["price"] == "31000.00000000"
    assert [e["rateLimitType"] for e in replaced["rateLimits"]][:2] == ["ORDERS", "ORDERS"]
    stopped = await api.call("order.cancelReplace", hmac_signed({
        **RESTING, "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": 999999}))  # fmt: skip
    assert error(stopped) == (400, -2022)
    assert stopped["error"]["data"] == {
        "cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
        "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
        "newOrderResponse": None}  # fmt: skip
    partial = await api.call("order.cancelReplace", hmac_signed({
        **RESTING, "cancelReplaceMode": "ALLOW_FAILURE", "cancelOrderId": 999999}))  # fmt: skip
    assert error(partial) == (409, -2021)
    data = partial["error"]["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "SUCCESS")
    assert data["newOrderResponse"]["status"] == "NEW"

    new_id = r["newOrderResponse"]["orderId"]
    canceled = await api.call("order.cancel", hmac_signed({"symbol": "BTCUSDT", "orderId": new_id}))
    assert canceled["result"]["status"] == "CANCELED"
    swept = await api.call("openOrders.cancelAll", hmac_signed({"symbol": "BTCUSDT"}))
    assert [o["orderId"] for o in swept["result"]] == [data["newOrderResponse"]["orderId"]]

    # errors
    unknown = await api.call("order.status", hmac_signed({"symbol": "BTCUSDT", "orderId": 424242}))
    assert error(unknown) == (400, -2013)
    gone = await api.call("order.cancel", hmac_signed({"symbol": "BTCUSDT", "orderId": 424242}))
    assert error(gone) == (400, -2011)
    assert error(await api.call("order.place", hmac_signed({**RESTING, "symbol": "NOPE"}))) == (
        400, -1121)  # fmt: skip
    tampered = hmac_signed(RESTING)
    tampered["price"] = "30001"
    assert error(await api.call("order.place", tampered)) == (400, -1022)
    old = hmac_signed(RESTING, ts_offset_ms=-60_000)
    assert error(await api.call("order.place", old)) == (400, -1021)
    assert error(await api.call("order.place", hmac_signed(RESTING, key="who-is-this"))) == (
        401, -2015)  # fmt: skip
    wide = hmac_signed({**RESTING, "recvWindow": 70000})
    assert error(await api.call("order.place", wide)) == (400, -1131)
    assert error(await api.call("order.place", {**RESTING, "apiKey": KEY})) == (400, -1102)
    assert error(await api.call("account.status", {"timestamp": 1})) == (400, -1102)  # no apiKey


async def test_signature_subscription_receives_the_account_events(api: WsApiClient) -> None:
    sub = await api.call("userDataStream.subscribe.signature", hmac_signed({}))
    assert (sub["status"], sub["result"]) == (200, {"subscriptionId": 0})
    again = await api.call("userDataStream.subscribe.signature", hmac_signed({}))
    assert error(again) == (400, -2035)
    status = await api.call("session.status")
    assert status["result"]["userDataStream"] is True and status["result"]["apiKey"] is None
    assert (await api.call("session.subscriptions"))["result"] == [{"subscriptionId": 0}]
    placed = await api.call("order.place", hmac_signed(MARKET_BUY))
    assert placed["result"]["status"] == "FILLED"
    oid = placed["result"]["orderId"]
    report = await api.event(lambda f: f["event"]["e"] == "executionReport")
    assert report["subscriptionId"] == 0
    assert (report["event"]["i"], report["event"]["x"]) == (oid, "NEW")
    trade = await api.event(lambda f: f["event"].get("x") == "TRADE")
    assert trade["subscriptionId"] == 0 and trade["event"]["N"] == "ETH"
    position = await api.event(lambda f: f["event"]["e"] == "outboundAccountPosition")
    assert position["subscriptionId"] == 0
    assert {b["a"] for b in position["event"]["B"]} == {"ETH", "USDT"}
    assert (await api.call("userDataStream.unsubscribe", {"subscriptionId": 0}))["result"] == {}
    ended = await api.event(lambda f: f["event"]["e"] == "eventStreamTerminated")
    assert ended["subscriptionId"] == 0
    missing = await api.call("userDataStream.unsubscribe", {"subscriptionId": 0})
    assert error(missing) == (400, -2036)
    resub = await api.call("userDataStream.subscribe.signature", hmac_signed({}))
    assert resub["result"] == {"subscriptionId": 1}  # ids count on per connection


async def test_ed25519_signatures_logon_and_logon_subscription(
    ed_api: WsApiClient, private_key: Ed25519PrivateKey
) -> None:
    placed = await ed_api.call("order.place", ed_signed(RESTING, private_key))
    assert placed["status"] == 200, placed
    tampered = ed_signed(RESTING, private_key)
    tampered["quantity"] = "0.02"
    assert error(await ed_api.call("order.place", tampered)) == (400, -1022)
    other = Ed25519PrivateKey.generate()
    assert error(await ed_api.call("session.logon", ed_signed({}, other))) == (400, -1022)
    assert error(await ed_api.call("session.logon", hmac_signed({}))) == (400, -4056)
    assert error(await ed_api.call("userDataStream.subscribe")) == (401, -1002)

    logon = await ed_api.call("session.logon", ed_signed({}, private_key))
    assert logon["status"] == 200, logon
    assert logon["result"]["apiKey"] == ED_KEY and logon["result"]["authorizedSince"] > 0
    assert set(logon["result"]) == {"apiKey", "authorizedSince", "connectedSince",
                                    "returnRateLimits", "serverTime", "userDataStream"}  # fmt: skip
    # after logon: timestamp only
    oid = placed["result"]["orderId"]
    got = await ed_api.call(
        "order.status", {"symbol": "BTCUSDT", "orderId": oid, "timestamp": _now()}
    )
    assert got["status"] == 200 and got["result"]["orderId"] == oid
    # an explicit signature still overrides: a bad one is refused
    assert error(await ed_api.call("order.status", tampered)) == (400, -1022)

    sub = await ed_api.call("userDataStream.subscribe")
    assert sub["result"] == {"subscriptionId": 0}
    filled = await ed_api.call("order.place", {**MARKET_BUY, "timestamp": _now()})
    assert filled["result"]["status"] == "FILLED"
    report = await ed_api.event(lambda f: f["event"]["e"] == "executionReport")
    assert report["subscriptionId"] == 0 and report["event"]["i"] == filled["result"]["orderId"]
    await ed_api.event(lambda f: f["event"]["e"] == "outboundAccountPosition")

    out = await ed_api.call("session.logout")
    assert (out["result"]["apiKey"], out["result"]["userDataStream"]) == (None, False)
    ended = await ed_api.event(lambda f: f["event"]["e"] == "eventStreamTerminated")
    assert ended["subscriptionId"] == 0
    anonymous = await ed_api.call("order.status", {"symbol": "BTCUSDT", "orderId": oid,
                                                   "timestamp": _now()})  # fmt: skip
    assert error(anonymous) == (400, -1102)


async def test_an_ed25519_key_signs_rest_requests_too(
    ed_sim: SimExchange, http: aiohttp.ClientSession, private_key: Ed25519PrivateKey
) -> None:
    import base64
    from urllib.parse import quote, urlencode

    async def account(tamper: bool) -> tuple[int, Any]:
        query = urlencode({"timestamp": _now(), "omitZeroBalances": "true"})
        sig = base64.b64encode(private_key.sign(query.encode())).decode()
        if tamper:
            query = query.replace("true", "false")
        url = f"{ed_sim.rest_url}/api/v3/account?{query}&signature={quote(sig, safe='')}"
        async with http.get(url, headers={"X-MBX-APIKEY": ED_KEY}) as resp:
            return resp.status, await resp.json()

    status, body = await account(tamper=False)
    assert status == 200 and body["accountType"] == "SPOT"
    status, body = await account(tamper=True)
    assert (status, body["code"]) == (400, -1022)


async def test_weight_limit_answers_429_with_retry_after(http: aiohttp.ClientSession) -> None:
    sim = SimExchange(SimConfig(rate=500.0, weight_limit_per_min=30))
    async with sim, http.ws_connect(sim.ws_url + PATH) as ws:
        api = WsApiClient(ws)
        for _ in range(10):  # two in one wall-clock minute are over the limit
            answer = await api.call("exchangeInfo", {"symbol": "BTCUSDT"})
            if answer["status"] != 200:
                break
        assert error(answer) == (429, -1003)
        data = answer["error"]["data"]
        assert data["retryAfter"] > data["serverTime"]
        assert weight(answer)["count"] > 30


async def test_order_faults_apply_to_order_methods(sim: SimExchange, api: WsApiClient) -> None:
    sim.throttle_next_orders(1, retry_after_s=2)
    throttled = await api.call("order.place", hmac_signed(RESTING))
    assert error(throttled) == (429, -1015) and "retryAfter" in throttled["error"]["data"]
    sim.fail_next_orders(1, status=503, after_accept=True)
    failed = await api.call("order.place", hmac_signed({**RESTING, "newClientOrderId": "lost-1"}))
    assert error(failed) == (503, -1001)
    found = await api.call(
        "order.status", hmac_signed({"symbol": "BTCUSDT", "origClientOrderId": "lost-1"})
    )
    assert found["result"]["status"] == "NEW"  # it was placed; the answer was lost


async def test_server_pings_and_a_silent_client_is_dropped(http: aiohttp.ClientSession) -> None:
    config = SimConfig(rate=500.0, ws_api_ping_interval_s=0.05, ws_api_pong_timeout_s=0.3)
    async with SimExchange(config) as sim:
        async with http.ws_connect(sim.ws_url + PATH, autoping=False) as ws:
            msg = await ws.receive(timeout=5)
            assert msg.type == aiohttp.WSMsgType.PING
            await ws.pong(msg.data)  # one answer, then silence
            async with asyncio.timeout(10):
                while msg.type == aiohttp.WSMsgType.PING:
                    msg = await ws.receive()
            assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR,
                                aiohttp.WSMsgType.CLOSE)  # fmt: skip
        async with http.ws_connect(sim.ws_url + PATH, autoping=True) as ws:  # answers pings
            api = WsApiClient(ws)
            for _ in range(3):
                assert (await api.call("ping"))["status"] == 200


async def test_the_connection_cap_closes_the_socket(http: aiohttp.ClientSession) -> None:
    sim = SimExchange(SimConfig(rate=500.0, ws_api_max_age_s=0.3))
    async with sim, http.ws_connect(sim.ws_url + PATH) as ws:
        msg = await ws.receive(timeout=10)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg


async def test_server_shutdown_event_before_the_close(http: aiohttp.ClientSession) -> None:
    sim = SimExchange(SimConfig(rate=500.0))
    await sim.start()
    try:
        async with http.ws_connect(sim.ws_url + PATH) as ws:
            assert (await WsApiClient(ws).call("ping"))["status"] == 200
            stopping = asyncio.create_task(sim.stop())
            msg = await ws.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.TEXT
            event = msg.json()["event"]
            assert event["e"] == "serverShutdown" and event["E"] > 0
            assert "subscriptionId" not in msg.json()
            msg = await ws.receive(timeout=10)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            await asyncio.wait_for(stopping, 10)
    finally:
        await sim.stop()


async def test_drop_and_unavailable_cover_the_ws_api(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(sim.ws_url + PATH) as ws:
        assert (await WsApiClient(ws).call("ping"))["status"] == 200
        assert await sim.drop_connections() >= 1
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR,
                            aiohttp.WSMsgType.CLOSE)  # fmt: skip
    sim.set_ws_available(False)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(sim.ws_url + PATH)
    assert refused.value.status == 503


def _now() -> int:
    import time

    return time.time_ns() // 1_000_000


@pytest.mark.parametrize("spec", ["nokey", "K=/nonexistent/pub.pem", "K={bad}"])
def test_a_bad_ed25519_key_option_is_one_line_and_exit_2(tmp_path: Any, spec: str) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.pem"
    bad.write_text("not a key\n")
    result = subprocess.run(
        [sys.executable, "-m", "letrade_cli", "sim", "--ed25519-key", spec.format(bad=bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--ed25519-key" in lines[0], result.stderr
