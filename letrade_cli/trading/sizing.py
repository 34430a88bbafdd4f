"""How much an order trades: a quantity, a quote amount, a fraction of equity, or a loss budget.

Every way ends in a base quantity floored to the market's lot size, in Decimal, and checked
against its minimum quantity and notional; an order that cannot meet them is refused with the
reason (:class:`SizingRefused`), never sent to fail a filter.

- ``quantity``: that many units of the base asset.
- ``quote``: that much of the quote asset at ``price`` (a limit price, else the mark).
- ``fraction``: that share (0..1] of the run's equity, at ``price``.
- ``risk``: a loss budget in the quote asset: the quantity whose loss, if the price moves from
  ``price`` to ``stop``, is ``risk`` (``risk / |price - stop|``).
- none: a SELL sells the whole position; a BUY is refused (say how much).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from letrade_cli.core.orders import ZERO, Side, SymbolRules
from letrade_cli.trading.filters import floor_to_step


class SizingRefused(Exception):
    """The order cannot be sized within the market's filters (the message says why)."""


@dataclass(frozen=True, slots=True)
class Size:
    """One way of saying how much (exactly one field set, or none: the whole position)."""

    quantity: Decimal | None = None
    quote: Decimal | None = None
    fraction: Decimal | None = None
    risk: Decimal | None = None
    stop: Decimal | None = None  # the stop price ``risk`` is measured to

    @classmethod
    def of(
        cls,
        *,
        quantity: object = None,
        quote: object = None,
        fraction: object = None,
        risk: object = None,
        stop: object = None,
    ) -> Size:
        """A ``Size`` from numbers of any type (floats through their shortest repr)."""
        given = [v for v in (quantity, quote, fraction, risk) if v is not None]
        if len(given) > 1:
            raise ValueError("give one of quantity=, quote=, fraction=, risk=")
        if risk is not None and stop is None:
            raise ValueError("risk= needs stop= (the price the loss is measured to)")
        return cls(
            *(None if v is None else as_decimal(v) for v in (quantity, quote, fraction, risk, stop))
        )


def as_decimal(value: object) -> Decimal:
    """A finite Decimal of a number given as Decimal, int, str or float (its shortest repr)."""
    number = (
        value
        if isinstance(value, Decimal)
        else Decimal(repr(value) if isinstance(value, float) else str(value))
    )
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def size_quantity(
    size: Size,
    side: Side,
    *,
    price: Decimal,
    equity: Decimal,
    held: Decimal,
    rules: SymbolRules | None,
) -> Decimal:
    """The base quantity ``size`` means at ``price``, on the lot grid; ``SizingRefused`` if none."""
    if price <= 0:
        raise SizingRefused("no price")
    if size.quantity is not None:
        qty = size.quantity
    elif size.quote is not None:
        qty = size.quote / price
    elif size.fraction is not None:
        if not ZERO < size.fraction <= 1:
            raise SizingRefused(f"fraction must be in (0, 1], got {size.fraction}")
        qty = equity * size.fraction / price
    elif size.risk is not None:
        assert size.stop is not None
        distance = abs(price - size.stop)
        if distance == 0:
            raise SizingRefused("the stop is at the entry price: no risk-based size")
        qty = size.risk / distance
    elif side is Side.SELL:
        if held <= 0:
            raise SizingRefused("nothing to sell")
        qty = held
    else:
        raise SizingRefused("a buy needs quantity=, quote=, fraction= or risk=")
    if qty <= 0:
        raise SizingRefused(f"quantity must be positive, got {qty}")
    if side is Side.SELL and held > 0:
        qty = min(qty, held)
    if rules is not None:
        qty = floor_to_step(qty, rules.step_size, rules.min_qty)
        if rules.max_qty is not None and qty > rules.max_qty:
            qty = floor_to_step(rules.max_qty, rules.step_size, rules.min_qty)
        if qty < rules.min_qty or qty <= 0:
            raise SizingRefused(f"quantity is below {rules.symbol}'s minimum {rules.min_qty}")
        if qty * price < rules.min_notional:
            raise SizingRefused(
                f"notional {qty * price} is below {rules.symbol}'s minimum {rules.min_notional}"
            )
    else:
        qty = qty.quantize(Decimal("0.00000001"), rounding="ROUND_DOWN")
        if qty <= 0:
            raise SizingRefused("quantity rounds to zero")
    return qty
