"""Conditional orders the engine holds: stop-loss, take-profit, trailing stops, and OCO pairs.

The engine holds them for every venue (paper included) and sends the order each one becomes
when it triggers; :mod:`letrade_cli.core.triggers` is the rule, the same one the simulator
applies to orders it holds, fed here with each tick's price (last trade, else mid). Behaviour:

- An untriggered order is in the ledger (its own client id, status ``NEW``) but not on the
  venue: it locks nothing there, and a killed run's resume puts it back.
- On trigger, ``STOP_LOSS``/``TAKE_PROFIT`` become a MARKET order, the ``*_LIMIT`` types a
  LIMIT order at their ``price`` with their time in force, under the same client id.
- OCO: two legs sharing a list id. When one triggers, or fills (a resting ``LIMIT_MAKER`` leg is
  on the venue), the other is cancelled.
- The trigger is checked on the tick after the price moved (a stop cannot fill inside the tick
  that triggered it), so on a gap the fill is at the next price, as on an exchange.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from letrade_cli.core.orders import OrderState
from letrade_cli.core.triggers import StopTrigger, stop_trigger


@dataclass(slots=True)
class HeldOrder:
    """A conditional order waiting for its trigger."""

    state: OrderState
    trigger: StopTrigger
    reason: str
    list_id: str | None = None


@dataclass(slots=True)
class ConditionalBook:
    """The run's untriggered conditional orders, by client id; OCO siblings by list id."""

    held: dict[str, HeldOrder] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)  # list id -> its legs' client ids
    # client id -> list id, kept after the list completes: a batched commit stamps it later.
    member_of: dict[str, str] = field(default_factory=dict)

    def add(self, state: OrderState, reason: str, list_id: str | None = None) -> HeldOrder:
        """Hold ``state`` (a conditional type) until it triggers."""
        trigger = stop_trigger(
            state.type.value, state.side.value, state.stop_price, state.trailing_delta
        )
        held = HeldOrder(state, trigger, reason, list_id)
        self.held[state.client_order_id] = held
        if list_id is not None:
            self.link(list_id, state.client_order_id)
        return held

    def link(self, list_id: str, client_order_id: str) -> None:
        """Add a leg the venue holds (an OCO's resting limit) to ``list_id``."""
        self.lists.setdefault(list_id, []).append(client_order_id)
        self.member_of[client_order_id] = list_id

    def on_price(self, symbol: str, price: Decimal) -> list[HeldOrder]:
        """Feed one price; the orders it triggered (removed from the book)."""
        fired = [
            h for h in self.held.values() if h.state.symbol == symbol and h.trigger.update(price)
        ]
        for h in fired:
            del self.held[h.state.client_order_id]
        return fired

    def siblings(self, client_order_id: str, list_id: str | None) -> list[str]:
        """The other legs of ``list_id`` (forgets the list)."""
        if list_id is None:
            return []
        legs = self.lists.pop(list_id, [])
        return [cid for cid in legs if cid != client_order_id]

    def list_of(self, client_order_id: str) -> str | None:
        """The list a leg belongs (or belonged) to, if any."""
        return self.member_of.get(client_order_id)

    def remove(self, client_order_id: str) -> HeldOrder | None:
        """Take one order out (cancelled)."""
        return self.held.pop(client_order_id, None)

    def for_symbol(self, symbol: str | None = None) -> list[HeldOrder]:
        """Held orders, oldest first (all symbols when None)."""
        return [h for h in self.held.values() if symbol is None or h.state.symbol == symbol]
