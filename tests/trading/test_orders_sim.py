"""The order path against the sim's Binance dialect: real HTTP on 127.0.0.1, signed requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from letrade_cli.config.trading import OrderSettings
from letrade_cli.core.errors import (
    ExchangeRejectedError,
    OutcomeUnknownError,
    UnknownSymbolError,
    UsageError,
)
from letrade_cli.core.orders import OrderIntent, OrderStatus, OrderType, Side, Signal, TimeInForce
from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.trading.filters import floor_to_step
from letrade_cli.trading.live import LiveVenue
from letrade_cli.trading.order_manager import CLIENT_ID_RE, OrderManager

from .orders_support import Recorder, best_prices, make_manager


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(SimConfig(rate=500.0, seed=7, port=0)) as exchange:
        yield exchange


@pytest.fixture
async def manager(sim: SimExchange) -> AsyncIterator[OrderManager]:
    async with make_manager(sim) as m:
        yield m


def sim_orders(sim: SimExchange, client_id: str) -> list[object]:
    return [o for o in sim.orders.orders["binance"].values() if o.client_id == client_id]


async def test_rules_and_time_offset(manager: OrderManager) -> None:
    rules = await manager.rules("BTCUSDT")
    assert rules.base == "BTC" and rules.quote == "USDT"
    assert rules.tick_size > 0 and rules.step_size > 0 and rules.min_notional > 0
    live = manager.venue
    assert isinstance(live, LiveVenue)
    assert abs(live.time_offset_ms) < 1000  # the sim shares our clock
    with pytest.raises(UnknownSymbolError):
        await manager.rules("NOPEUSDT")


async def test_market_buy_fills_and_is_reported(manager: OrderManager) -> None:
    seen = Recorder()
    manager.add_listener(seen)
    signal = Signal("BTCUSDT", Side.BUY, "test", created_ns=0)
    state = await manager.submit(OrderIntent("BTCUSDT", Side.BUY, Decimal("0.01")), signal=signal)
    assert CLIENT_ID_RE.match(state.client_order_id)
    assert state.status is OrderStatus.FILLED
    assert state.filled_qty == Decimal("0.01") and state.avg_price is not None
    lat = state.latency
    assert 0 < lat.signal_ns <= lat.send_ns <= lat.ack_ns <= lat.fill_ns
    assert seen.fills and sum(f.quantity for f in seen.fills) == Decimal("0.01")
    assert seen.events[-1][0].status is OrderStatus.FILLED  # the ack is reported too
    balances = {b.asset: b for b in await manager.balances()}
    assert balances["BTC"].free > Decimal(1)  # 1 BTC to start, plus the buy less its fee
    assert balances["USDT"].free < Decimal(10000)


async def test_limit_rests_then_status_open_cancel(manager: OrderManager) -> None:
    bid, _ = await best_prices(manager, "BTCUSDT")
    rules = await manager.rules("BTCUSDT")
    price = floor_to_step(bid * Decimal("0.8"), rules.tick_size)
    intent = OrderIntent("BTCUSDT", Side.BUY, Decimal("0.01"), OrderType.LIMIT, price)
    placed = await manager.submit(intent)
    assert placed.status is OrderStatus.NEW and placed.price == price
    status = await manager.status("BTCUSDT", placed.client_order_id)
    assert status.venue_order_id == placed.venue_order_id and status.status.is_open
    open_ids = [o.client_order_id for o in await manager.open_orders("BTCUSDT")]
    assert placed.client_order_id in open_ids
    assert placed.client_order_id in [o.client_order_id for o in await manager.open_orders()]
    locked = {b.asset: b.locked for b in await manager.balances()}
    assert locked["USDT"] >= price * Decimal("0.01")
    canceled = await manager.cancel("BTCUSDT", placed.client_order_id)
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.client_order_id == placed.client_order_id
    assert await manager.open_orders("BTCUSDT") == []


async def test_crossing_limit_ioc_takes_liquidity(manager: OrderManager) -> None:
    _, ask = await best_prices(manager, "ETHUSDT")
    rules = await manager.rules("ETHUSDT")
    price = floor_to_step(ask * Decimal("1.05"), rules.tick_size)
    intent = OrderIntent(
        "ETHUSDT", Side.BUY, Decimal("0.1"), OrderType.LIMIT, price, TimeInForce.IOC
    )
    state = await manager.submit(intent)
    assert state.status in (OrderStatus.FILLED, OrderStatus.EXPIRED, OrderStatus.PARTIALLY_FILLED)
    assert state.filled_qty > 0
    assert state.avg_price is not None and state.avg_price <= price


async def test_test_order_places_nothing(sim: SimExchange, manager: OrderManager) -> None:
    seen = Recorder()
    manager.add_listener(seen)
    state = await manager.submit(OrderIntent("BTCUSDT", Side.BUY, Decimal("0.01")), test=True)
    assert sim_orders(sim, state.client_order_id) == []
    assert seen.events == []


async def test_filters_refuse_before_sending(sim: SimExchange, manager: OrderManager) -> None:
    await manager.rules("BTCUSDT")
    before = sim.stats.rest_requests
    with pytest.raises(UsageError, match="not a multiple of the lot size"):
        await manager.submit(OrderIntent("BTCUSDT", Side.BUY, Decimal("0.0100001")))
    assert sim.stats.rest_requests == before  # nothing sent (the rules are cached)


async def test_venue_rejection_carries_its_code(manager: OrderManager) -> None:
    with pytest.raises(ExchangeRejectedError) as caught:
        await manager.submit(OrderIntent("BTCUSDT", Side.SELL, Decimal("50")))
    assert caught.value.code == -2010
    with pytest.raises(ExchangeRejectedError):
        await manager.status("BTCUSDT", "never-placed")


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda sim: sim.timeout_next_orders(1, hold_s=3.0), id="timeout-after-accept"),
        pytest.param(
            lambda sim: sim.fail_next_orders(1, 503, after_accept=True), id="503-accepted"
        ),
        pytest.param(lambda sim: sim.fail_next_orders(2, 500), id="500-not-placed-twice"),
    ],
)
async def test_unknown_outcome_never_duplicates(
    sim: SimExchange, manager: OrderManager, inject: object
) -> None:
    inject(sim)  # type: ignore[operator]
    seen = Recorder()
    manager.add_listener(seen)
    state = await manager.submit(OrderIntent("BTCUSDT", Side.BUY, Decimal("0.01")))
    assert state.status is OrderStatus.FILLED
    assert len(sim_orders(sim, state.client_order_id)) == 1  # exactly one order on the sim
    assert sum(f.quantity for f in seen.fills) == Decimal("0.01")  # each fill reported once


async def test_rate_limited_send_waits_and_retries(sim: SimExchange, manager: OrderManager) -> None:
    sim.throttle_next_orders(1, retry_after_s=1)
    state = await manager.submit(OrderIntent("BTCUSDT", Side.BUY, Decimal("0.01")))
    assert state.status is OrderStatus.FILLED
    assert len(sim_orders(sim, state.client_order_id)) == 1


async def test_outcome_still_unknown_names_the_client_id(sim: SimExchange) -> None:
    rest_only = OrderSettings(recv_window_ms=5000, timeout_s=0.5, lookup_attempts=3,
                              order_transport="rest")  # fmt: skip
    async with make_manager(sim, settings=rest_only) as manager:
        await manager.rules("BTCUSDT")
        sim.set_rest_available(False)
        intent = OrderIntent("BTCUSDT", Side.BUY, Decimal("0.01"), client_order_id="my-order-1")
        with pytest.raises(OutcomeUnknownError) as caught:
            await manager.submit(intent)
        assert "my-order-1" in str(caught.value)
        assert caught.value.exit_code == 4
        sim.set_rest_available(True)
        assert sim_orders(sim, "my-order-1") == []  # the sim was down: nothing was placed


async def test_duplicate_client_id_is_rejected(manager: OrderManager) -> None:
    bid, _ = await best_prices(manager, "BTCUSDT")
    rules = await manager.rules("BTCUSDT")
    price = floor_to_step(bid * Decimal("0.8"), rules.tick_size)
    intent = OrderIntent(
        "BTCUSDT", Side.BUY, Decimal("0.01"), OrderType.LIMIT, price, client_order_id="dup-1"
    )
    await manager.submit(intent)
    with pytest.raises(ExchangeRejectedError):
        await manager.submit(intent)
    with pytest.raises(UsageError, match="client order id"):
        await manager.submit(
            OrderIntent("BTCUSDT", Side.BUY, Decimal("0.01"), client_order_id="a b")
        )


async def test_server_time_offset_is_measured_and_applied(sim: SimExchange) -> None:
    manager = make_manager(sim)
    live = manager.venue
    assert isinstance(live, LiveVenue) and live._signer is not None
    try:
        live._signer.time_offset_ms = -120_000  # as if our clock ran two minutes behind
        with pytest.raises(ExchangeRejectedError) as caught:
            await live.balances()
        assert caught.value.code == -1021  # timestamp outside recvWindow
        await manager.start()  # measures /api/v3/time and corrects the signer
        assert abs(live._signer.time_offset_ms) < 1000
        assert await live.balances()
    finally:
        await manager.close()


async def test_a_failing_listener_does_not_break_the_order_path(manager: OrderManager) -> None:
    def broken(state: object, fill: object) -> None:
        raise RuntimeError("ledger is down")

    seen = Recorder()
    manager.add_listener(broken)
    manager.add_listener(seen)
    state = await manager.submit(OrderIntent("BTCUSDT", Side.BUY, Decimal("0.01")))
    assert state.status is OrderStatus.FILLED
    assert seen.fills  # later listeners still hear everything
    assert manager.orders[state.client_order_id] is state
