"""The order path against the sim's Upbit dialect: JWT-signed requests, identifier as client id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from letrade_cli.core.errors import UsageError
from letrade_cli.core.orders import OrderIntent, OrderStatus, OrderType, Side
from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.trading.filters import floor_to_step
from letrade_cli.trading.order_manager import OrderManager
from letrade_cli.venues.base import RestRequest

from .orders_support import Recorder, make_manager

# The sim's documented default secret is shorter than PyJWT recommends for HS256.
pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is .* below the minimum")


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(SimConfig(rate=500.0, seed=7, port=0)) as exchange:
        yield exchange


@pytest.fixture
async def manager(sim: SimExchange) -> AsyncIterator[OrderManager]:
    async with make_manager(sim, venue="upbit") as m:
        yield m


def sim_orders(sim: SimExchange, identifier: str) -> list[object]:
    return [o for o in sim.orders.orders["upbit"].values() if o.client_id == identifier]


async def last_price(manager: OrderManager, market: str) -> Decimal:
    live = manager.venue
    payload = await live.client.request(RestRequest("/v1/ticker", {"markets": market}))  # type: ignore[attr-defined]
    return Decimal(str(payload[0]["trade_price"]))


async def test_rules_from_orders_chance(manager: OrderManager) -> None:
    rules = await manager.rules("KRW-BTC")
    assert (rules.base, rules.quote) == ("BTC", "KRW")
    assert rules.min_notional == Decimal(5000)
    assert rules.tick_size == Decimal(1000)  # Upbit's KRW unit above 2,000,000
    assert rules.step_size == Decimal("0.00000001")


async def test_market_buy_limit_status_open_cancel_balances(
    sim: SimExchange, manager: OrderManager
) -> None:
    seen = Recorder()
    manager.add_listener(seen)
    bought = await manager.submit(OrderIntent("KRW-BTC", Side.BUY, Decimal("0.001")))
    assert bought.status is OrderStatus.FILLED and bought.filled_qty > 0
    assert bought.fee > 0 and bought.fee_asset == "KRW"
    assert seen.fills and seen.fills[0].client_order_id == bought.client_order_id
    assert len(sim_orders(sim, bought.client_order_id)) == 1

    rules = await manager.rules("KRW-BTC")
    price = floor_to_step(await last_price(manager, "KRW-BTC") * Decimal("0.8"), rules.tick_size)
    resting = await manager.submit(
        OrderIntent("KRW-BTC", Side.BUY, Decimal("0.001"), OrderType.LIMIT, price)
    )
    assert resting.status is OrderStatus.NEW and resting.price == price
    status = await manager.status("KRW-BTC", resting.client_order_id)
    assert status.venue_order_id == resting.venue_order_id
    assert [o.client_order_id for o in await manager.open_orders("KRW-BTC")] == [
        resting.client_order_id
    ]
    balances = {b.asset: b for b in await manager.balances()}
    assert balances["KRW"].locked > 0 and balances["BTC"].total > Decimal("0.1")
    canceled = await manager.cancel("KRW-BTC", resting.client_order_id)
    assert canceled.status is OrderStatus.CANCELED
    assert await manager.open_orders() == []


async def test_timeout_after_accept_leaves_one_order(
    sim: SimExchange, manager: OrderManager
) -> None:
    await manager.rules("KRW-BTC")
    sim.timeout_next_orders(1, hold_s=3.0)
    state = await manager.submit(OrderIntent("KRW-BTC", Side.SELL, Decimal("0.001")))
    assert state.status is OrderStatus.FILLED
    assert len(sim_orders(sim, state.client_order_id)) == 1


async def test_no_test_endpoint_on_upbit(manager: OrderManager) -> None:
    with pytest.raises(UsageError, match="--test is not available on Upbit"):
        await manager.submit(OrderIntent("KRW-BTC", Side.BUY, Decimal("0.001")), test=True)


async def test_a_resting_limit_fill_arrives_pushed_over_the_private_websocket(
    sim: SimExchange, manager: OrderManager
) -> None:
    import asyncio

    from letrade_cli.trading.live import LiveVenue

    live = manager.venue
    assert isinstance(live, LiveVenue) and live.stream_state == "up"
    seen = Recorder()
    manager.add_listener(seen)
    rules = await manager.rules("KRW-ETH")
    # Nobody streams KRW-ETH: a resting order keeps that market moving until it fills.
    price = floor_to_step(await last_price(manager, "KRW-ETH"), rules.tick_size)
    quantity = floor_to_step(Decimal(10_000) / price + rules.step_size, rules.step_size)
    state = await manager.submit(OrderIntent("KRW-ETH", Side.BUY, quantity, OrderType.LIMIT, price))
    async with asyncio.timeout(30):
        while sum(f.quantity for f in seen.fills) < quantity:
            await asyncio.sleep(0.01)
    ids = [f.trade_id for f in seen.fills]
    assert len(ids) == len(set(ids)) and all(ids)  # one Fill per Upbit trade_uuid
    assert sum(f.quantity for f in seen.fills) == quantity
    assert live.counters.events > 0
    assert "ETH" in live.pushed_balances  # myAsset after the fill
    assert manager.orders[state.client_order_id].filled_qty == quantity
