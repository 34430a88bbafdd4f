"""The Binance WebSocket API client session against the sim: connection life, not orders.

Pings answered, renewal before the age cap without an outage, ``serverShutdown`` followed,
reconnect and resubscribe after a drop, garbage and unknown events counted, never a crash.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import orjson
import pytest

from letrade_cli.bench.fault_proxy import FaultProxy
from letrade_cli.core.errors import ExchangeRejectedError, NetworkUnavailableError
from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.venues.base import AccountEvent, SessionKeys, SessionSettings
from letrade_cli.venues.binance.orders import BinanceOrders
from letrade_cli.venues.binance.ws_api import BinanceWsApiSession

KEYS = SessionKeys("letrade-sim-key", "letrade-sim-secret")
QUICK = SessionSettings(request_timeout_s=2.0, connect_timeout_s=2.0, backoff_initial_s=0.05,
                        backoff_max_s=0.2)  # fmt: skip


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def ws_url(sim: SimExchange, port: int | None = None) -> str:
    parts = urlsplit(sim.rest_url)
    return f"ws://127.0.0.1:{port or parts.port}/ws-api/v3"


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    config = SimConfig(rate=200.0, seed=5, port=0, ws_api_ping_interval_s=0.05,
                       ws_api_pong_timeout_s=0.3)  # fmt: skip
    async with SimExchange(config) as exchange:
        yield exchange


class Events:
    def __init__(self) -> None:
        self.events: list[AccountEvent] = []
        self.states: list[bool] = []

    def on_event(self, event: AccountEvent) -> None:
        self.events.append(event)

    def on_state(self, up: bool) -> None:
        self.states.append(up)


async def started(
    url: str, settings: SessionSettings = QUICK
) -> tuple[BinanceWsApiSession, Events]:
    session = BinanceWsApiSession(url, "sim", KEYS, settings)
    seen = Events()
    session.listen(seen.on_event, seen.on_state)
    await session.start()
    return session, seen


async def place_market(session: BinanceWsApiSession, cid: str) -> object:
    from decimal import Decimal

    from letrade_cli.core.orders import OrderIntent, Side

    intent = OrderIntent("BTCUSDT", Side.BUY, Decimal("0.001"), client_order_id=cid)
    return await session.send(BinanceOrders("sim").place_request(intent))


async def test_server_pings_are_answered_and_the_session_stays_up(sim: SimExchange) -> None:
    session, seen = await started(ws_url(sim))
    try:
        # 0.05 s pings and a 0.3 s pong deadline: a session that did not answer would be dropped
        # long before a round trip made after several deadlines.
        for _ in range(8):
            assert await session.send(BinanceOrders("sim").time_request())
            await asyncio.sleep(0.1)
        assert seen.states == [] and session.connected
    finally:
        await session.close()


async def test_the_session_renews_before_the_cap_without_an_outage(sim: SimExchange) -> None:
    renewing = SessionSettings(request_timeout_s=2.0, connect_timeout_s=2.0, max_age_s=1.3,
                               renew_before_s=1.0)  # fmt: skip
    session, seen = await started(ws_url(sim), renewing)
    try:
        await until(lambda: session.counters.connects >= 3, timeout=10)
        assert seen.states == [], "a renewal must not look like an outage"
        result = await place_market(session, "renewed-1")
        assert isinstance(result, dict) and result["status"] == "FILLED"
        await until(lambda: any(e.order and e.order.client_order_id == "renewed-1"
                                for e in seen.events))  # fmt: skip
    finally:
        await session.close()


async def test_a_dropped_session_reconnects_and_resubscribes(sim: SimExchange) -> None:
    session, seen = await started(ws_url(sim))
    try:
        assert await sim.drop_connections() >= 1
        await until(lambda: seen.states[-2:] == [False, True])
        assert session.counters.disconnects == 1 and session.counters.connects == 2
        await place_market(session, "after-drop")
        await until(lambda: any(e.fill and e.fill.client_order_id == "after-drop"
                                for e in seen.events))  # fmt: skip
    finally:
        await session.close()


async def test_server_shutdown_moves_the_session_to_a_new_socket(sim: SimExchange) -> None:
    session, seen = await started(ws_url(sim))
    try:
        before = session.counters.connects
        conn = session._conn
        assert conn is not None
        session._dispatch(conn, orjson.dumps({"event": {"e": "serverShutdown", "E": 1}}))
        await until(lambda: session.counters.connects >= before + 1)
        assert seen.states == []
    finally:
        await session.close()


async def test_garbage_and_unknown_events_are_counted_never_a_crash(sim: SimExchange) -> None:
    parts = urlsplit(sim.rest_url)
    proxy = await FaultProxy("127.0.0.1", parts.port or 0).start()
    session, seen = await started(ws_url(sim, proxy.port))
    try:
        assert proxy.garbage(3) == 3
        conn = session._conn
        assert conn is not None
        session._dispatch(conn, orjson.dumps({"subscriptionId": 0, "event": {"e": "mystery"}}))
        broken = {"subscriptionId": 0, "event": {"e": "executionReport", "s": 1}}
        session._dispatch(conn, orjson.dumps(broken))
        await until(lambda: session.counters.malformed >= 4)
        assert session.counters.unknown >= 1
        await place_market(session, "after-garbage")
        await until(lambda: any(e.fill for e in seen.events))
        assert session.connected and seen.states == []
    finally:
        await session.close()
        await proxy.stop()


async def test_start_names_the_failure_unreachable_or_refused(sim: SimExchange) -> None:
    with pytest.raises(NetworkUnavailableError, match="cannot reach"):
        await BinanceWsApiSession("ws://127.0.0.1:9/ws-api/v3", "sim", KEYS, QUICK).start()
    wrong = SessionKeys("letrade-sim-key", "not-the-secret")
    session = BinanceWsApiSession(ws_url(sim), "sim", wrong, QUICK)
    with pytest.raises(ExchangeRejectedError) as caught:
        await session.start()
    assert caught.value.code == -1022
    await session.close()
