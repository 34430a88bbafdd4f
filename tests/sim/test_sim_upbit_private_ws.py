"""Upbit's private WebSocket in the sim: JWT on the upgrade, myOrder/myAsset, PING, idle timeout.

Field names are checked against Upbit's documentation ("내 주문 및 체결 (MyOrder)",
"내 자산 (MyAsset)"), in DEFAULT and SIMPLE spellings; frames are binary as Upbit sends them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from letrade_cli.sim.server import SimConfig, SimExchange
from tests.sim.test_sim_orders_upbit import call, token

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:jwt")

ORDER_DEFAULT = {
    "type", "code", "uuid", "ask_bid", "order_type", "state", "trade_uuid", "price",
    "avg_price", "volume", "remaining_volume", "executed_volume", "trades_count",
    "reserved_fee", "remaining_fee", "paid_fee", "locked", "executed_funds", "time_in_force",
    "trade_fee", "is_maker", "identifier", "smp_type", "prevented_volume", "prevented_locked",
    "trade_timestamp", "order_timestamp", "timestamp", "stream_type",
}  # fmt: skip
ORDER_SIMPLE = {
    "ty", "cd", "uid", "ab", "ot", "s", "tuid", "p", "ap", "v", "rv", "ev", "tc", "rsf", "rmf",
    "pf", "l", "ef", "tif", "tf", "im", "id", "smpt", "pv", "pl", "ttms", "otms", "tms", "st",
}  # fmt: skip
ASSET_DEFAULT = {"type", "asset_uuid", "assets", "asset_timestamp", "timestamp", "stream_type"}
ASSET_SIMPLE = {"ty", "astuid", "ast", "asttms", "tms", "st"}
WAIT = 5.0


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(SimConfig(rate=2000.0, seed=7, port=0, ws_idle_timeout_s=0.5)) as ex:
        yield ex


def private_url(sim: SimExchange) -> str:
    return f"{sim.ws_url}/websocket/v1/private"


async def open_private(sim: SimExchange, *request: dict[str, Any]) -> ClientConnection:
    """A private connection with ``request`` sent, confirmed by a PING's answer."""
    ws = await connect(
        private_url(sim), additional_headers={"Authorization": f"Bearer {token(None)}"}
    )
    if request:
        await ws.send(orjson.dumps([{"ticket": "test"}, *request]).decode())
    await ws.send("PING")
    assert await next_frame(ws) == {"status": "UP"}  # requests are answered in order
    return ws


async def next_frame(ws: ClientConnection) -> Any:
    frame = await asyncio.wait_for(ws.recv(), WAIT)
    assert isinstance(frame, bytes)  # Upbit sends binary frames
    return orjson.loads(frame)


async def frames_until(ws: ClientConnection, done: Any) -> list[Any]:
    """Frames until one for which ``done(frame)`` holds (inclusive)."""
    out: list[Any] = []
    while not out or not done(out[-1]):
        out.append(await next_frame(ws))
    return out


async def best(http: aiohttp.ClientSession, sim: SimExchange, market: str = "KRW-BTC") -> int:
    status, rows = await call(http, sim, "GET", "/v1/ticker", {"markets": market}, auth="x")
    assert status == 200
    return int(rows[0]["trade_price"])


async def place(http: aiohttp.ClientSession, sim: SimExchange, **params: str) -> Any:
    status, body = await call(http, sim, "POST", "/v1/orders", params)
    assert status == 201, body
    return body


async def test_no_or_bad_jwt_is_refused_with_upbits_401(sim: SimExchange) -> None:
    cases = [
        ({}, "jwt_verification"),
        ({"Authorization": f"Bearer {token(None, secret='wrong')}"}, "jwt_verification"),
        ({"Authorization": f"Bearer {token(None, key='other')}"}, "invalid_access_key"),
    ]
    for headers, name in cases:
        with pytest.raises(InvalidStatus) as info:
            await connect(private_url(sim), additional_headers=headers)
        assert info.value.response.status_code == 401
        assert orjson.loads(info.value.response.body)["error"]["name"] == name
    once = token(None, nonce="private-once")
    ws = await connect(private_url(sim), additional_headers={"Authorization": f"Bearer {once}"})
    await ws.close()
    with pytest.raises(InvalidStatus) as info:  # a nonce is never reused
        await connect(private_url(sim), additional_headers={"Authorization": f"Bearer {once}"})
    assert orjson.loads(info.value.response.body)["error"]["name"] == "nonce_used"


async def test_request_errors_in_upbits_names(sim: SimExchange) -> None:
    ws = await open_private(sim)
    for request, name in [
        ('{"ticket":"t"}', "WRONG_FORMAT"),
        ('[{"type":"myOrder"}]', "NO_TICKET"),
        ('[{"ticket":"t"}]', "NO_TYPE"),
        ('[{"ticket":"t"},{"type":"myAsset","codes":["KRW-BTC"]}]', "WRONG_FORMAT"),
        ('[{"ticket":"t"},{"type":"myOrder"},{"format":"XML"}]', "INVALID_PARAM"),
        ("not json", "WRONG_FORMAT"),
    ]:
        await ws.send(request)
        assert (await next_frame(ws))["error"]["name"] == name
    await ws.close()


async def test_my_order_wait_trade_done_and_my_asset_in_default(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    ws = await open_private(sim, {"type": "myOrder"}, {"type": "myAsset"})
    price = (await best(http, sim)) * 102 // 100 // 1000 * 1000  # crosses the asks: fills now
    placed = await place(http, sim, market="KRW-BTC", side="bid", ord_type="limit",
                         volume="0.001", price=str(price), identifier="ws-1")  # fmt: skip
    frames = await frames_until(ws, lambda f: f["type"] == "myAsset")
    orders = [f for f in frames if f["type"] == "myOrder"]
    assert all(set(f) == ORDER_DEFAULT for f in orders)
    states = [f["state"] for f in orders]
    assert states[0] == "wait" and states[-1] == "done" and set(states[1:-1]) == {"trade"}
    wait = orders[0]
    assert (wait["uuid"], wait["identifier"], wait["code"]) == (placed["uuid"], "ws-1", "KRW-BTC")
    assert (wait["ask_bid"], wait["order_type"], wait["price"]) == ("BID", "limit", price)
    assert wait["trade_uuid"] is None and wait["trade_fee"] is None and wait["is_maker"] is None
    trades = orders[1:-1]
    assert sum(Decimal(str(t["volume"])) for t in trades) == Decimal("0.001")
    assert all(t["trade_uuid"] and t["trade_fee"] > 0 and t["is_maker"] is False for t in trades)
    assert len({t["trade_uuid"] for t in trades}) == len(trades)
    assert trades[-1]["remaining_volume"] == 0 and trades[-1]["executed_volume"] == 0.001
    _, got = await call(http, sim, "GET", "/v1/order", {"uuid": placed["uuid"]})
    assert [t["uuid"] for t in got["trades"]] == [t["trade_uuid"] for t in trades]  # same ids
    asset = frames[-1]
    assert set(asset) == ASSET_DEFAULT and asset["stream_type"] == "REALTIME"
    rows = {a["currency"]: a for a in asset["assets"]}
    assert set(rows) == {"BTC", "KRW"} and set(rows["BTC"]) == {"currency", "balance", "locked"}
    _, accounts = await call(http, sim, "GET", "/v1/accounts")
    for row in accounts:
        assert Decimal(str(rows[row["currency"]]["balance"])) == Decimal(row["balance"])
    await ws.close()


async def test_a_resting_order_and_its_cancel_in_simple(
    sim: SimExchange, http: aiohttp.ClientSession
) -> None:
    ws = await open_private(sim, {"type": "myOrder", "codes": ["KRW-BTC"]}, {"type": "myAsset"},
                            {"format": "SIMPLE"})  # fmt: skip
    low = (await best(http, sim)) // 2 // 1000 * 1000  # far below the bids: rests
    placed = await place(http, sim, market="KRW-BTC", side="bid", ord_type="limit",
                         volume="0.001", price=str(low))  # fmt: skip
    frames = await frames_until(ws, lambda f: f["ty"] == "myAsset")
    wait = frames[0]
    assert set(wait) == ORDER_SIMPLE and (wait["s"], wait["uid"]) == ("wait", placed["uuid"])
    assert wait["l"] > 0 and wait["rv"] == 0.001 and wait["id"] is None
    asset = frames[-1]
    assert set(asset) == ASSET_SIMPLE
    krw = next(a for a in asset["ast"] if a["cu"] == "KRW")
    assert set(krw) == {"cu", "b", "l"} and krw["l"] > 0
    status, _ = await call(http, sim, "DELETE", "/v1/order", {"uuid": placed["uuid"]})
    assert status == 200
    frames = await frames_until(ws, lambda f: f["ty"] == "myAsset")
    assert frames[0]["s"] == "cancel" and frames[0]["ev"] == 0
    krw = next(a for a in frames[-1]["ast"] if a["cu"] == "KRW")
    assert krw["l"] == 0
    await ws.close()


async def test_codes_filter_my_order_only(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    eth = await open_private(sim, {"type": "myOrder", "codes": ["KRW-ETH"]})
    everything = await open_private(sim, {"type": "myOrder", "codes": []})
    low = (await best(http, sim)) // 2 // 1000 * 1000
    await place(http, sim, market="KRW-BTC", side="bid", ord_type="limit", volume="0.001",
                price=str(low))  # fmt: skip
    assert (await next_frame(everything))["code"] == "KRW-BTC"
    await eth.send("PING")
    assert await next_frame(eth) == {"status": "UP"}  # nothing for KRW-BTC came before it
    await eth.close()
    await everything.close()


async def test_idle_connections_close_and_pinging_ones_stay(sim: SimExchange) -> None:
    idle = await open_private(sim, {"type": "myOrder"})
    pinging = await open_private(sim, {"type": "myOrder"})
    lasted = asyncio.Event()

    async def keep_alive() -> None:
        for n in range(1, 1000):
            await pinging.send("PING")
            assert await next_frame(pinging) == {"status": "UP"}
            if n == 20:  # 20 x 0.1 s: four idle timeouts of 0.5 s
                lasted.set()
            await asyncio.sleep(0.1)  # paces the pings (not a wait for an event)

    pinger = asyncio.create_task(keep_alive())
    with pytest.raises(ConnectionClosed) as info:
        await asyncio.wait_for(idle.recv(), WAIT)  # closed by the sim's idle timeout (0.5 s)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1000
    await asyncio.wait_for(lasted.wait(), WAIT)
    assert not pinger.done()
    pinger.cancel()
    await asyncio.gather(pinger, return_exceptions=True)
    await pinging.close()


async def test_drop_and_stop_cover_private_connections(sim: SimExchange) -> None:
    ws = await open_private(sim, {"type": "myAsset"})
    assert await sim.drop_connections() >= 1
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), WAIT)
    sim.set_ws_available(False)
    with pytest.raises(InvalidStatus) as info:
        await connect(
            private_url(sim), additional_headers={"Authorization": f"Bearer {token(None)}"}
        )
    assert info.value.response.status_code == 503
