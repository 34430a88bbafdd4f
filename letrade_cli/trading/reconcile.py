"""Reconciliation: after a start or a restart, the ledger and the venue agree again.

What the ledger may not know after a kill at any instant, and what is done about it:

- an order committed as ``PENDING`` (the intent) that the venue has never seen: it was never
  sent, or the send never arrived; it is marked ``REJECTED`` (nothing to undo);
- an order the ledger holds as pending or open that the venue has moved on (acknowledged,
  filled, cancelled) while we were away: its state and every missed fill are recorded, each fill
  once by the venue's trade id (the look-up reports them through the engine's listener);
- an open order on the venue carrying this run's client-id prefix that the ledger lacks (an
  *orphan*): adopted into the run (a *mismatch*: the ledger should have known it);
- orders without the prefix: someone else's; never touched, only counted;
- a venue balance below what the ledger says the run holds: a *mismatch* (recorded; the run's
  position is left as the ledger has it, and a sell the venue cannot cover is refused by it).

``--on-mismatch halt`` stops the run before it trades when any mismatch is found; ``adopt``
records it and carries on. Everything found is returned (and stored by the engine).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from letrade_cli.core.orders import OrderStatus
from letrade_cli.trading.ledger import Ledger
from letrade_cli.trading.venue import TradingVenue


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing the ledger and the venue disagreed on.

    Attributes:
        kind: ``never_sent``, ``changed``, ``orphan``, ``foreign`` or ``balance``.
        mismatch: True when the ledger cannot explain it (orphans, balances).
    """

    kind: str
    client_order_id: str
    symbol: str
    detail: str
    action: str
    mismatch: bool = False


async def reconcile(
    venue: TradingVenue,
    ledger: Ledger,
    run_id: str,
    *,
    prefix: str,
    positions: Mapping[str, Decimal],
    split: Callable[[str], tuple[str, str]],
) -> list[Difference]:
    """Look up every unresolved order, adopt orphans, compare balances; what differed."""
    found: list[Difference] = []
    known = {o.client_order_id: o for o in ledger.orders(run_id)}
    for order in ledger.orders(run_id, unresolved=True):
        state = await venue.get_order(order.symbol, order.client_order_id)
        if state is None:
            if order.status is OrderStatus.PENDING:
                with ledger.transaction():
                    order.status = OrderStatus.REJECTED
                    ledger.upsert_order(run_id, order)
                found.append(
                    Difference(
                        "never_sent",
                        order.client_order_id,
                        order.symbol,
                        "committed before sending; the venue has never seen it",
                        "marked REJECTED",
                    )
                )
            continue
        if state.status != order.status or state.filled_qty != order.filled_qty:
            with ledger.transaction():
                ledger.upsert_order(run_id, state)
            found.append(
                Difference(
                    "changed",
                    order.client_order_id,
                    order.symbol,
                    f"ledger {order.status.value} {order.filled_qty} filled, venue "
                    f"{state.status.value} {state.filled_qty} filled",
                    "recorded (fills once by trade id)",
                )
            )
    foreign = 0
    for state in await venue.open_orders():
        cid = state.client_order_id
        if not cid.startswith(prefix):
            foreign += 1
            continue
        if cid in known:
            continue
        adopted = await venue.get_order(state.symbol, cid)  # its fills reach the engine
        with ledger.transaction():
            ledger.upsert_order(run_id, adopted or state)
        found.append(
            Difference(
                "orphan",
                cid,
                state.symbol,
                f"open on the venue ({state.side.value} {state.quantity}), not in the ledger",
                "adopted",
                mismatch=True,
            )
        )
    if foreign:
        found.append(
            Difference(
                "foreign",
                "",
                "",
                f"{foreign} open order(s) without the prefix {prefix}",
                "left alone",
            )
        )
    held = {b.asset: b.total for b in await venue.balances()}
    for symbol, quantity in sorted(positions.items()):
        if quantity <= 0:
            continue
        base, _ = split(symbol)
        on_venue = held.get(base, Decimal(0))
        if on_venue < quantity:
            found.append(
                Difference(
                    "balance",
                    "",
                    symbol,
                    f"the run holds {quantity} {base}, the venue {on_venue}",
                    "recorded",
                    mismatch=True,
                )
            )
    return found
