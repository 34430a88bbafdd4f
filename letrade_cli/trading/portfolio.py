"""Cash, positions and PnL of a paper account, in Decimal.

A position's ``cost`` includes the buy fees, so a sell realises ``proceeds - sell fee - cost of the
quantity sold`` and the sum of realised PnL over a flat account equals its cash change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from letrade_cli.core.orders import ZERO, Fill, Side


@dataclass(slots=True)
class Position:
    """Quantity held and what it cost (fees included)."""

    symbol: str
    quantity: Decimal = ZERO
    cost: Decimal = ZERO
    realized: Decimal = ZERO

    @property
    def avg_cost(self) -> Decimal:
        """Cost per unit, fees included (0 when flat)."""
        return self.cost / self.quantity if self.quantity else ZERO


class Portfolio:
    """A quote-currency cash balance and long positions (spot: no shorting)."""

    def __init__(self, quote: str, cash: Decimal) -> None:
        self.quote = quote
        self.initial_cash = cash
        self.cash = cash
        self.positions: dict[str, Position] = {}
        self.fees = ZERO
        self.realized = ZERO

    def apply(self, fill: Fill) -> Decimal:
        """Book one fill (fee in the quote asset); returns the PnL it realised (0 for a buy)."""
        position = self.positions.get(fill.symbol)
        if position is None:
            position = self.positions[fill.symbol] = Position(fill.symbol)
        notional = fill.price * fill.quantity
        self.fees += fill.fee
        if fill.side is Side.BUY:
            self.cash -= notional + fill.fee
            position.quantity += fill.quantity
            position.cost += notional + fill.fee
            return ZERO
        quantity = min(fill.quantity, position.quantity)
        cost = position.avg_cost * quantity
        pnl = notional - fill.fee - cost
        self.cash += notional - fill.fee
        position.quantity -= fill.quantity
        position.cost = position.cost - cost if position.quantity > 0 else ZERO
        position.realized += pnl
        self.realized += pnl
        return pnl

    def apply_base_fee(self, fill: Fill) -> Decimal:
        """Book a buy whose fee was taken out of the base asset received (some venues do)."""
        position = self.positions.get(fill.symbol)
        if position is None:
            position = self.positions[fill.symbol] = Position(fill.symbol)
        notional = fill.price * fill.quantity
        self.fees += fill.fee * fill.price
        self.cash -= notional
        position.quantity += fill.quantity - fill.fee
        position.cost += notional
        return ZERO

    def quantity(self, symbol: str) -> Decimal:
        """Quantity held of ``symbol``."""
        position = self.positions.get(symbol)
        return position.quantity if position is not None else ZERO

    def exposure(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Market value of every position at ``marks`` (cost where no mark is known)."""
        total = ZERO
        for symbol, position in self.positions.items():
            if position.quantity:
                mark = marks.get(symbol)
                total += position.quantity * mark if mark is not None else position.cost
        return total

    def unrealized(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Mark-to-market gain over cost of the open positions."""
        return self.exposure(marks) - sum(
            (p.cost for p in self.positions.values() if p.quantity), ZERO
        )

    def equity(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Cash plus the market value of the positions."""
        return self.cash + self.exposure(marks)
