"""A paced client is never refused: it waits for the venue's windows instead.

The sim is configured with small limits (3 orders per 1-second window) and the client submits
three times as many orders as fast as it can; the sim must refuse none and place all.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.config.trading import OrderSettings
from letrade_cli.connector.pacer import START_GUARD_S, Pacer, Window
from letrade_cli.core.errors import RateLimitedError
from letrade_cli.core.orders import OrderIntent, OrderType, Side, TimeInForce
from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.trading.live import LiveVenue
from letrade_cli.trading.order_manager import OrderManager
from letrade_cli.venues.base import RateLimit, RestRequest, Usage
from letrade_cli.venues.registry import venue_spec

from .orders_support import SIM_KEYS, best_prices

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is .* below the minimum")

LIMIT = 3


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    config = SimConfig(
        rate=300.0, order_limit=LIMIT, order_window_s=1.0, request_groups={"order": LIMIT}
    )
    async with SimExchange(config) as exchange:
        yield exchange


def manager_for(sim: SimExchange, venue: str, transport: str) -> OrderManager:
    chosen = OrderSettings(
        timeout_s=5.0,
        order_transport=transport,  # type: ignore[arg-type]
        private_stream=transport != "rest",
    )
    live = LiveVenue(venue_spec(venue), SIM_KEYS, rest_url=sim.rest_url, settings=chosen)
    return OrderManager(live, settings=chosen, max_wait_s=2.0)


@pytest.mark.parametrize("transport", ["rest", "ws"])
async def test_binance_orders_three_times_the_limit_at_once_are_paced_not_refused(
    sim: SimExchange, transport: str
) -> None:
    async with manager_for(sim, "sim", transport) as manager:
        live = manager.venue
        assert isinstance(live, LiveVenue)
        await manager.rules("BTCUSDT")  # exchangeInfo announces the sim's order limit
        bid, _ = await best_prices(manager, "BTCUSDT")
        price = (bid * Decimal("0.7")).quantize(Decimal("0.01"))
        intents = [
            OrderIntent("BTCUSDT", Side.BUY, Decimal("0.001"), OrderType.LIMIT, price)
            for _ in range(3 * LIMIT)
        ]
        async with asyncio.timeout(30):
            placed = await asyncio.gather(*(manager.submit(i) for i in intents))
        assert len({p.client_order_id for p in placed}) == 3 * LIMIT
        assert all(p.status.is_open for p in placed)
        assert sim.stats.rate_limited == 0 and live.refusals == 0
        assert live.pacer.waits >= 2  # two windows were waited for
        if transport == "ws":
            assert live.last_transport == "ws"
        orders = [o for o in sim.orders.orders["binance"].values() if o.price == price]
        assert len(orders) == 3 * LIMIT


async def test_upbit_orders_paced_by_remaining_req(sim: SimExchange) -> None:
    async with manager_for(sim, "upbit", "rest") as manager:
        live = manager.venue
        assert isinstance(live, LiveVenue)
        intent = OrderIntent(
            "KRW-BTC", Side.BUY, Decimal("0.0001"), OrderType.LIMIT, Decimal("50000000"),
            TimeInForce.GTC,
        )  # fmt: skip
        async with asyncio.timeout(30):
            placed = [await manager.submit(intent) for _ in range(3 * LIMIT)]
        assert len({p.client_order_id for p in placed}) == 3 * LIMIT
        assert sim.stats.rate_limited == 0 and live.refusals == 0
        assert live.pacer.waits >= 2  # the documented 12/s learnt down to the sim's 3/s


async def test_a_wait_beyond_the_cap_raises_rate_limited() -> None:
    day = RateLimit("orders", 2, 86_400.0, applies_to="orders")
    pacer = Pacer([day], max_wait_s=5.0, clock=lambda: 1_800_000_000.0)
    order = RestRequest("/o", {}, method="POST", signed=True, orders=1)
    await pacer.acquire(order)
    await pacer.acquire(order)
    with pytest.raises(RateLimitedError) as info:
        await pacer.acquire(order)
    assert info.value.retry_after > 5.0
    await pacer.acquire(RestRequest("/look-up", {}, signed=True))  # not an order: no wait


async def test_reported_usage_and_announced_limits_are_paced() -> None:
    now = [1_800_000_000.5]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    pacer = Pacer([RateLimit("request_weight", 100, 60.0)], clock=lambda: now[0], sleep=sleep)
    pacer.observe([Usage("request_weight", 60.0, used=95)])  # another client used the budget
    await pacer.acquire(RestRequest("/x", {}, weight=10))
    assert slept == [pytest.approx(59.5 + START_GUARD_S)] and pacer.waits == 1
    pacer.observe([Usage("orders", 1.0, "orders", used=2, limit=2)])  # announced: paced now
    await pacer.acquire(RestRequest("/o", {}, method="POST", signed=True, orders=1))
    assert len(slept) == 2 and now[0] == pytest.approx(1_800_000_061.0)


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(1, 20),
    interval=st.sampled_from([1.0, 10.0, 60.0]),
    steps=st.lists(st.tuples(st.floats(0, 30, allow_nan=False), st.integers(1, 20)), max_size=60),
)
def test_window_arithmetic_never_lets_a_window_go_over(
    limit: int, interval: float, steps: list[tuple[float, int]]
) -> None:
    window = Window(limit, interval)
    now = 1_700_000_000.0
    spent: dict[int, int] = {}
    for advance, cost in steps:
        cost = min(cost, limit)
        now += advance
        wait = window.wait(cost, now)
        # two windows when the next one starts with an edge carried; a guard past the boundary
        assert 0 <= wait <= 2 * interval + 0.1
        if wait == 0:
            index = math.floor(now / interval)
            assert spent.get(index, 0) + cost <= limit  # it fits: said so only when true
        now += wait
        again = window.wait(cost, now)  # after the wait it fits (bar float rounding)
        assert again <= 1e-3
        now += again
        window.add(cost, now)
        index = math.floor(now / interval)
        spent[index] = spent.get(index, 0) + cost
        assert spent[index] <= limit
