"""Helpers for the order-path tests: a LiveVenue + OrderManager over a sim, a recording listener."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from letrade_cli.config.trading import OrderSettings
from letrade_cli.core.orders import Fill, OrderState
from letrade_cli.sim.server import SimExchange
from letrade_cli.trading.keys import ApiKeys
from letrade_cli.trading.live import LiveVenue
from letrade_cli.trading.order_manager import OrderManager
from letrade_cli.venues.base import RestRequest
from letrade_cli.venues.registry import venue_spec

SIM_KEYS = ApiKeys("letrade-sim-key", "letrade-sim-secret")
FAST = OrderSettings(recv_window_ms=5000, timeout_s=0.5, lookup_attempts=3)


@dataclass
class Recorder:
    """An OrderListener that keeps everything it hears (what a ledger would store)."""

    events: list[tuple[OrderState, Fill | None]] = field(default_factory=list)

    def __call__(self, state: OrderState, fill: Fill | None) -> None:
        self.events.append((state, fill))

    @property
    def fills(self) -> list[Fill]:
        return [f for _, f in self.events if f is not None]


def make_manager(
    sim: SimExchange, venue: str = "sim", settings: OrderSettings = FAST
) -> OrderManager:
    live = LiveVenue(venue_spec(venue), SIM_KEYS, rest_url=sim.rest_url, settings=settings)
    return OrderManager(live, settings=settings, max_wait_s=2.0)


async def best_prices(manager: OrderManager, symbol: str) -> tuple[Decimal, Decimal]:
    """(bid, ask) from the sim's Binance bookTicker."""
    live = manager.venue
    assert isinstance(live, LiveVenue)
    payload = await live.client.request(
        RestRequest("/api/v3/ticker/bookTicker", {"symbol": symbol})
    )
    return Decimal(payload["bidPrice"]), Decimal(payload["askPrice"])
