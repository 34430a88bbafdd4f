"""The seam between the order manager and whatever executes orders.

A ``TradingVenue`` is a real venue over signed REST (``trading.live``) or the paper broker
(``trading.paper``); the ``OrderManager`` drives either one the same way, so a strategy that works
on paper runs the same code path for real (freqtrade's principle).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from letrade_cli.core.orders import Balance, Fill, OrderIntent, OrderState, SymbolRules

OrderListener = Callable[[OrderState, Fill | None], None]


class TradingVenue(Protocol):
    """Places, cancels and reads orders and balances on one venue (or on paper).

    Attributes:
        name: Venue name (a registered venue's, or ``paper``).
        live_money: True when orders move real money (needs ``--live`` and a confirmation).
    """

    name: str
    live_money: bool

    async def start(self) -> None:
        """Open connections; measure and apply the server time offset where signing needs it."""
        ...

    async def close(self) -> None:
        """Close connections; safe to call twice."""
        ...

    async def rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """Trading filters for these symbols (``UnknownSymbolError`` for an unlisted one)."""
        ...

    async def place(self, intent: OrderIntent, *, test: bool = False) -> OrderState:
        """Send one order (``intent.client_order_id`` is always set); ``test`` validates only."""
        ...

    async def cancel(self, symbol: str, client_order_id: str) -> OrderState:
        """Cancel an open order by its client id."""
        ...

    async def get_order(self, symbol: str, client_order_id: str) -> OrderState | None:
        """The order with this client id, or None when the venue has never seen it."""
        ...

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Orders still open (all symbols when ``symbol`` is None)."""
        ...

    async def balances(self) -> list[Balance]:
        """Every non-zero balance."""
        ...

    def subscribe(self, listener: OrderListener) -> None:
        """Call ``listener(state, fill)`` on every order update the venue reports after ``place``.

        ``fill`` is the execution that caused the update, or None (a cancel, an expiry).
        """
        ...
