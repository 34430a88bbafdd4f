"""Fills pushed over the venue's account session, once each, also across cuts; orders over it.

Against the sim's Binance WebSocket API (``/ws-api/v3``) on 127.0.0.1, the session optionally
through the fault-injecting proxy; REST goes to the sim directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from letrade_cli.bench.fault_proxy import FaultProxy
from letrade_cli.config.trading import OrderSettings
from letrade_cli.core.errors import ExchangeRejectedError
from letrade_cli.core.orders import OrderIntent, OrderStatus, OrderType, Side, TimeInForce
from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.trading.keys import ApiKeys
from letrade_cli.trading.live import LiveVenue
from letrade_cli.trading.order_manager import OrderManager
from letrade_cli.venues.registry import venue_spec

from .orders_support import SIM_KEYS, Recorder, best_prices

SYM = "ETHUSDT"  # nobody streams it: a resting order keeps its market moving until it fills


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(SimConfig(rate=500.0, seed=11, port=0)) as exchange:
        yield exchange


@pytest.fixture
async def proxy(sim: SimExchange) -> AsyncIterator[FaultProxy]:
    parts = urlsplit(sim.rest_url)
    fault = await FaultProxy(parts.hostname or "127.0.0.1", parts.port or 0).start()
    try:
        yield fault
    finally:
        await fault.stop()


def settings(transport: str = "auto", **kw: object) -> OrderSettings:
    return OrderSettings(
        recv_window_ms=5000,
        timeout_s=float(kw.pop("timeout_s", 2.0)),  # type: ignore[arg-type]
        lookup_attempts=5,
        order_transport=transport,  # type: ignore[arg-type]
    )


def manager_for(
    sim: SimExchange,
    *,
    transport: str = "auto",
    via: FaultProxy | None = None,
    keys: ApiKeys = SIM_KEYS,
    timeout_s: float = 2.0,
) -> OrderManager:
    chosen = settings(transport, timeout_s=timeout_s)
    url = f"ws://127.0.0.1:{via.port}/ws-api/v3" if via is not None else None
    live = LiveVenue(
        venue_spec("sim"), keys, rest_url=sim.rest_url, settings=chosen, account_url=url
    )
    return OrderManager(live, settings=chosen, max_wait_s=2.0)


async def until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait (without sleeping a fixed time) until ``check()`` holds."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def sim_orders(sim: SimExchange, client_id: str) -> list[object]:
    return [o for o in sim.orders.orders["binance"].values() if o.client_id == client_id]


async def test_a_resting_limit_that_fills_later_is_pushed_once(sim: SimExchange) -> None:
    async with manager_for(sim) as manager:
        live = manager.venue
        assert isinstance(live, LiveVenue) and live.stream_state == "up"
        seen = Recorder()
        manager.add_listener(seen)
        bid, _ = await best_prices(manager, SYM)
        intent = OrderIntent(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, bid, TimeInForce.GTC)
        state = await manager.submit(intent)
        assert live.last_transport == "ws"
        cid = state.client_order_id
        await until(lambda: sum(f.quantity for f in seen.fills) >= Decimal("0.01"))
        await until(lambda: manager.orders[cid].status is OrderStatus.FILLED)
        trade_ids = [f.trade_id for f in seen.fills]
        assert len(trade_ids) == len(set(trade_ids)) and all(trade_ids)
        assert sum(f.quantity for f in seen.fills) == Decimal("0.01")
        latency = manager.orders[cid].latency
        assert latency.fill_ns >= latency.ack_ns > 0  # ack -> fill is measured
        assert live.pushed_balances["ETH"].free > 0  # balances follow the account events


async def test_orders_go_over_rest_when_asked_and_fills_still_arrive_pushed(
    sim: SimExchange,
) -> None:
    async with manager_for(sim, transport="rest") as manager:
        live = manager.venue
        assert isinstance(live, LiveVenue)
        seen = Recorder()
        manager.add_listener(seen)
        bid, _ = await best_prices(manager, SYM)
        state = await manager.submit(
            OrderIntent(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, bid, TimeInForce.GTC)
        )
        assert live.last_transport == "rest"
        await until(lambda: sum(f.quantity for f in seen.fills) >= Decimal("0.01"))
        assert len({f.trade_id for f in seen.fills}) == len(seen.fills)
        assert manager.orders[state.client_order_id].filled_qty == Decimal("0.01")


async def test_fills_while_the_stream_is_cut_are_recorded_exactly_once(
    sim: SimExchange, proxy: FaultProxy
) -> None:
    async with manager_for(sim, via=proxy, transport="rest") as manager:
        live = manager.venue
        assert isinstance(live, LiveVenue)
        seen = Recorder()
        manager.add_listener(seen)
        states: list[bool] = []
        assert live.session is not None
        bid, _ = await best_prices(manager, SYM)
        placed = []
        for _ in range(3):
            placed.append(
                await manager.submit(
                    OrderIntent(
                        SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, bid, TimeInForce.GTC
                    )
                )
            )
        # Cut the stream over and over while the orders fill.
        original = live._on_stream_state

        def record(up: bool) -> None:
            states.append(up)
            original(up)

        live.session.listen(live._on_account_event, record)
        total = Decimal("0.03")
        async with asyncio.timeout(40):
            while sum(f.quantity for f in seen.fills) < total:
                proxy.cut()
                await asyncio.sleep(0.05)
                await live.poll_once()
        await until(lambda: live.stream_state == "up")
        ids = [f.trade_id for f in seen.fills]
        assert len(ids) == len(set(ids)), "a fill was reported twice"
        assert sum(f.quantity for f in seen.fills) == total
        venue_trades = [t for t in sim.orders.trades["binance"] if t.symbol == SYM]
        assert len(venue_trades) == len(ids)
        assert False in states and states[-1] is True
        for state in placed:
            assert manager.orders[state.client_order_id].filled_qty == Decimal("0.01")


async def test_an_order_whose_answer_was_cut_off_is_looked_up_never_resent(
    sim: SimExchange, proxy: FaultProxy
) -> None:
    async with manager_for(sim, via=proxy, transport="auto", timeout_s=1.0) as manager:
        live = manager.venue
        assert isinstance(live, LiveVenue) and live.stream_state == "up"
        proxy.stall(30.0)  # the order reaches the sim; its answer never comes back
        intent = OrderIntent("BTCUSDT", Side.BUY, Decimal("0.001"), client_order_id="cut-1")
        submit = asyncio.ensure_future(manager.submit(intent))
        await until(lambda: bool(sim_orders(sim, "cut-1")), timeout=10)
        proxy.cut()
        state = await asyncio.wait_for(submit, 20)
        assert len(sim_orders(sim, "cut-1")) == 1  # exactly one order on the venue
        assert state.status is OrderStatus.FILLED and state.filled_qty == Decimal("0.001")
        assert live.last_transport == "ws"


async def test_ws_only_transport_refuses_to_send_while_the_session_is_down(
    sim: SimExchange, proxy: FaultProxy
) -> None:
    from letrade_cli.core.errors import NetworkUnavailableError

    async with manager_for(sim, via=proxy, transport="ws") as manager:
        live = manager.venue
        assert isinstance(live, LiveVenue)
        await proxy.stop()  # nothing listens on the proxy's port any more
        proxy.cut()
        await until(lambda: live.stream_state == "down")
        with pytest.raises(NetworkUnavailableError, match="nothing was sent"):
            await manager.submit(OrderIntent("BTCUSDT", Side.BUY, Decimal("0.001")))
        assert not [o for o in sim.orders.orders["binance"].values()]


async def test_keys_the_session_refuses_end_with_the_variables_named(sim: SimExchange) -> None:
    wrong = ApiKeys("letrade-sim-key", "not-the-secret", source="$LETRADE_SIM_API_KEY, $X")
    manager = manager_for(sim, keys=wrong)
    with pytest.raises(ExchangeRejectedError) as caught:
        await manager.start()
    await manager.close()
    assert caught.value.code == -1022 and caught.value.exit_code == 3
    assert "$LETRADE_SIM_API_KEY" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
