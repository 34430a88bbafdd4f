"""UpbitPrivateStream against the sim's ``/websocket/v1/private`` over real sockets on 127.0.0.1.

Orders go in through Letrade's own signed RestClient and Upbit OrderApi; the stream must report
each trade exactly once, balances, and survive cuts, garbage, idle timeouts and renewals.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest

from letrade_cli.bench.fault_proxy import FaultProxy
from letrade_cli.connector.rest import RestClient
from letrade_cli.core.errors import ExchangeRejectedError, NetworkUnavailableError
from letrade_cli.core.orders import OrderIntent, OrderStatus, OrderType, Side
from letrade_cli.sim.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.venues.base import (
    AccountEvent,
    RestRequest,
    SessionCounters,
    SessionKeys,
    SessionSettings,
)
from letrade_cli.venues.upbit import VENUE
from letrade_cli.venues.upbit.auth import UpbitSigner
from letrade_cli.venues.upbit.orders import UpbitOrders
from letrade_cli.venues.upbit.private_stream import UpbitPrivateStream, _Conn

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:jwt")

KEYS = SessionKeys(api_key=DEFAULT_API_KEY, secret=DEFAULT_API_SECRET)
FAST = SessionSettings(
    request_timeout_s=5.0, connect_timeout_s=5.0, backoff_initial_s=0.05, backoff_max_s=0.2
)
WAIT = 10.0
_ids = itertools.count(1)


class Seen:
    """Collects a stream's events and state changes; ``until`` awaits a condition on them."""

    def __init__(self) -> None:
        self.events: list[AccountEvent] = []
        self.states: list[bool] = []
        self._waiters: list[asyncio.Future[None]] = []

    def on_event(self, event: AccountEvent) -> None:
        self.events.append(event)
        self.wake()

    def on_state(self, up: bool) -> None:
        self.states.append(up)
        self.wake()

    def wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def until(self, done: Callable[[], bool], timeout: float = WAIT) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                fut = asyncio.get_running_loop().create_future()
                self._waiters.append(fut)
                await fut

    def fills(self, order_id: str | None = None) -> list[Any]:
        return [
            e.fill
            for e in self.events
            if e.fill is not None
            and (order_id is None or (e.order and e.order.venue_order_id == order_id))
        ]

    def done(self, order_id: str) -> bool:
        return any(
            e.order is not None
            and e.order.venue_order_id == order_id
            and e.order.status is OrderStatus.FILLED
            and e.fill is None
            for e in self.events
        )


class WatchedCounters(SessionCounters):
    """Counters that wake ``Seen.until`` whenever one changes (pings, malformed frames ...)."""

    __slots__ = ("wake",)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        wake = getattr(self, "wake", None)
        if wake is not None and name != "wake":
            wake()


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(SimConfig(rate=2000.0, seed=7, port=0)) as exchange:
        yield exchange


@pytest.fixture
async def rest(sim: SimExchange) -> AsyncIterator[RestClient]:
    async with RestClient(sim.rest_url, signer=UpbitSigner(KEYS.api_key, KEYS.secret)) as client:
        yield client


def private_url(base: str) -> str:
    return f"{base}/websocket/v1/private"


async def open_stream(
    url: str, settings: SessionSettings = FAST, keys: SessionKeys = KEYS
) -> tuple[UpbitPrivateStream, Seen]:
    stream = UpbitPrivateStream(url, "upbit", keys, settings)
    seen = Seen()
    stream.listen(seen.on_event, seen.on_state)
    counters = WatchedCounters()
    counters.wake = seen.wake
    stream.counters = counters
    await stream.start()
    return stream, seen


async def buy_now(rest: RestClient, qty: str = "0.002") -> Any:
    """A limit buy above the asks (it trades at once); returns Upbit's answer."""
    api = UpbitOrders("upbit")
    ticker = await rest.request(api.ticker_request(["KRW-BTC"]))
    price = api.parse_last_prices(ticker)["KRW-BTC"] * Decimal("1.02") // 1000 * 1000
    intent = OrderIntent(
        "KRW-BTC", Side.BUY, Decimal(qty), OrderType.LIMIT, price,
        client_order_id=f"lt-ps-{next(_ids)}",
    )  # fmt: skip
    return await rest.request(api.place_request(intent))


async def trades_of(rest: RestClient, order_id: str) -> list[str]:
    api = UpbitOrders("upbit")
    answer = await rest.request(RestRequest("/v1/order", {"uuid": order_id}, signed=True))
    return [f.trade_id for f in api.parse_fills(answer, api.parse_order(answer))]


async def test_the_venue_builds_the_stream() -> None:
    assert VENUE.session is not None
    stream = VENUE.session("wss://example.invalid/websocket/v1/private", "upbit", KEYS, FAST)
    assert isinstance(stream, UpbitPrivateStream)
    assert DEFAULT_API_SECRET not in repr(stream) and DEFAULT_API_KEY not in repr(stream)


async def test_each_trade_is_one_fill_and_balances_follow(
    sim: SimExchange, rest: RestClient
) -> None:
    stream, seen = await open_stream(private_url(sim.ws_url))
    assert stream.connected
    placed = await buy_now(rest)
    oid = placed["uuid"]
    await seen.until(lambda: seen.done(oid) and seen.events[-1].kind == "balances")
    orders = [e.order for e in seen.events if e.order is not None]
    assert orders[0].status is OrderStatus.NEW and orders[0].price == Decimal(placed["price"])
    assert orders[0].client_order_id == placed["identifier"]
    fills = seen.fills(oid)
    assert [f.trade_id for f in fills] == await trades_of(rest, oid)  # one per trade, same ids
    assert sum(f.quantity for f in fills) == Decimal("0.002")
    assert all(f.fee > 0 and f.fee_asset == "KRW" and f.side is Side.BUY for f in fills)
    last = next(e for e in reversed(seen.events) if e.kind == "balances")
    balances = {b.asset: b for b in last.balances}
    api = UpbitOrders("upbit")
    for b in api.parse_balances(await rest.request(api.balances_request())):
        assert (balances[b.asset].free, balances[b.asset].locked) == (b.free, b.locked)
    assert stream.counters.malformed == stream.counters.unknown == 0
    assert stream.counters.events == len(seen.events)
    await stream.close()
    await stream.close()  # twice is fine
    assert not stream.connected


async def test_refused_keys_and_an_unreachable_venue(sim: SimExchange) -> None:
    wrong = SessionKeys(api_key=DEFAULT_API_KEY, secret="not-the-secret")
    stream = UpbitPrivateStream(private_url(sim.ws_url), "upbit", wrong, FAST)
    with pytest.raises(ExchangeRejectedError) as info:
        await stream.start()
    assert info.value.code == "jwt_verification"
    assert "not-the-secret" not in str(info.value) and "not-the-secret" not in repr(stream)
    other = SessionKeys(api_key="someone-else", secret=DEFAULT_API_SECRET)
    with pytest.raises(ExchangeRejectedError) as info:
        await UpbitPrivateStream(private_url(sim.ws_url), "upbit", other, FAST).start()
    assert info.value.code == "invalid_access_key"
    port = sim.port
    await sim.stop()
    with pytest.raises(NetworkUnavailableError):
        await UpbitPrivateStream(private_url(f"ws://127.0.0.1:{port}"), "upbit", KEYS, FAST).start()


async def test_a_cut_reconnects_and_later_fills_arrive(sim: SimExchange, rest: RestClient) -> None:
    proxy = await FaultProxy("127.0.0.1", sim.port).start()
    try:
        stream, seen = await open_stream(private_url(f"ws://127.0.0.1:{proxy.port}"))
        first = await buy_now(rest)
        await seen.until(lambda: seen.done(first["uuid"]))
        assert proxy.cut() == 1
        during = await buy_now(rest)  # fills while the stream is down (LiveVenue polls those)
        await seen.until(lambda: seen.states == [False, True])
        assert stream.connected and stream.counters.disconnects == 1
        assert stream.counters.connects == 2
        after = await buy_now(rest)
        await seen.until(lambda: seen.done(after["uuid"]))
        assert [f.trade_id for f in seen.fills(after["uuid"])] == await trades_of(
            rest, after["uuid"]
        )
        ids = [f.trade_id for f in seen.fills()]
        assert len(ids) == len(set(ids))
        assert during["uuid"] != after["uuid"]
        await stream.close()
    finally:
        await proxy.stop()


async def test_garbage_is_counted_not_fatal(sim: SimExchange, rest: RestClient) -> None:
    proxy = await FaultProxy("127.0.0.1", sim.port).start()
    try:
        stream, seen = await open_stream(private_url(f"ws://127.0.0.1:{proxy.port}"))
        assert proxy.garbage(2) == 2
        await seen.until(lambda: stream.counters.malformed == 2)
        placed = await buy_now(rest)
        await seen.until(lambda: seen.done(placed["uuid"]))
        assert stream.counters.disconnects == 0 and seen.states == []
        await stream.close()
    finally:
        await proxy.stop()


async def test_unknown_and_malformed_messages_are_counted() -> None:
    stream = UpbitPrivateStream("ws://127.0.0.1:1/websocket/v1/private", "upbit", KEYS, FAST)
    seen = Seen()
    stream.listen(seen.on_event, seen.on_state)
    conn = _Conn(None, 0.0, 1e9)
    conn.ready.set_result(None)
    for frame in [b'{"type":"ticker","code":"KRW-BTC"}', b'{"ty":"myOrder"}']:
        stream._frame(conn, frame)
    assert stream.counters.unknown == 2  # another type; a SIMPLE message (we ask for DEFAULT)
    for frame in [b"\xff\xfe", b'"text"', b"[1,2]", b'{"type":"myOrder","state":"trade"}',
                  b'{"type":"myAsset","assets":[{"currency":"KRW"}]}',
                  b'{"type":"myOrder","code":"KRW-BTC","uuid":"u","ask_bid":"UP",'
                  b'"order_type":"limit","state":"wait"}']:  # fmt: skip
        stream._frame(conn, frame)
    assert stream.counters.malformed == 6 and seen.events == []
    stream._frame(conn, b'{"error":{"name":"WRONG_FORMAT","message":"x"}}')
    assert stream.counters.unknown == 3  # an error after the subscription: counted, logged


async def test_pings_keep_it_past_the_idle_timeout() -> None:
    config = SimConfig(rate=2000.0, seed=7, port=0, ws_idle_timeout_s=0.5)
    async with SimExchange(config) as sim:
        pinging = SessionSettings(**{**_fields(FAST), "keepalive_s": 0.15})
        stream, seen = await open_stream(private_url(sim.ws_url), pinging)
        await seen.until(lambda: stream.counters.pings >= 15)  # > 4 idle timeouts
        assert stream.connected and stream.counters.disconnects == 0 and seen.states == []
        await stream.close()
        # the control: a keepalive longer than the idle timeout gets the stream dropped
        lazy = SessionSettings(**{**_fields(FAST), "keepalive_s": 5.0})
        stream, seen = await open_stream(private_url(sim.ws_url), lazy)
        await seen.until(lambda: seen.states[:2] == [False, True])
        assert stream.counters.disconnects >= 1
        await stream.close()


async def test_renewal_before_the_age_cap_keeps_every_fill_once(
    sim: SimExchange, rest: RestClient
) -> None:
    renewing = SessionSettings(**{**_fields(FAST), "max_age_s": 0.6, "renew_before_s": 0.3})
    stream, seen = await open_stream(private_url(sim.ws_url), renewing)
    await seen.until(lambda: stream.counters.connects >= 3)
    placed = await buy_now(rest)
    await seen.until(lambda: seen.done(placed["uuid"]))
    assert [f.trade_id for f in seen.fills()] == await trades_of(rest, placed["uuid"])
    assert seen.states == [] and stream.counters.disconnects == 0
    await stream.close()


def _fields(settings: SessionSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in SessionSettings.__slots__}
