"""Check an order's price and quantity against a market's filters before it is sent, in Decimal.

Binance's definitions (PRICE_FILTER, LOT_SIZE, NOTIONAL) are used for every venue: a price is
valid when ``min_price <= price <= max_price`` and ``(price - min_price)`` is a multiple of the
tick size; a quantity likewise with ``min_qty`` and the lot (step) size; ``price * quantity`` must
reach ``min_notional``. A zero tick or step size disables that check. Every failure is a
``UsageError`` (exit 2) naming the nearest valid values, e.g.::

    quantity 0.123456 is not a multiple of the lot size 0.00001: use 0.12345 or 0.12346
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from letrade_cli.errors import UsageError
from letrade_cli.trading.model import ZERO, OrderIntent, OrderType, SymbolRules


def fmt(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros (``1E+2`` -> ``100``)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def fmt_at(value: Decimal, step: Decimal) -> str:
    """``value`` with as many decimals as ``step`` has (``100`` at tick ``0.01`` -> ``100.00``)."""
    places = step.normalize()
    if step <= 0 or places.as_tuple().exponent >= 0:  # type: ignore[operator]
        return fmt(value)
    return format(value.quantize(places), "f")


def floor_to_step(value: Decimal, step: Decimal, base: Decimal = ZERO) -> Decimal:
    """The largest ``base + k * step`` that is <= ``value`` (``value`` when ``step`` is 0)."""
    if step <= 0:
        return value
    k = ((value - base) / step).to_integral_value(rounding=ROUND_FLOOR)
    return base + k * step


def ceil_to_step(value: Decimal, step: Decimal, base: Decimal = ZERO) -> Decimal:
    """The smallest ``base + k * step`` that is >= ``value`` (``value`` when ``step`` is 0)."""
    if step <= 0:
        return value
    k = ((value - base) / step).to_integral_value(rounding=ROUND_CEILING)
    return base + k * step


def is_multiple(value: Decimal, step: Decimal, base: Decimal = ZERO) -> bool:
    """Whether ``value - base`` is a whole number of ``step`` (always True when step is 0)."""
    return step <= 0 or (value - base) % step == 0


def check_price(price: Decimal, rules: SymbolRules) -> None:
    """Raise ``UsageError`` unless ``price`` passes the market's price filter."""
    where = rules.symbol
    if not price.is_finite() or price <= 0:
        raise UsageError(f"price {price} for {where} must be a positive number")
    if rules.min_price > 0 and price < rules.min_price:
        raise UsageError(
            f"price {fmt(price)} is below {where}'s minimum price {fmt(rules.min_price)}",
            hint=f"use {fmt(rules.min_price)} or more",
        )
    if rules.max_price is not None and rules.max_price > 0 and price > rules.max_price:
        raise UsageError(
            f"price {fmt(price)} is above {where}'s maximum price {fmt(rules.max_price)}",
            hint=f"use {fmt(rules.max_price)} or less",
        )
    if not is_multiple(price, rules.tick_size, rules.min_price):
        low = floor_to_step(price, rules.tick_size, rules.min_price)
        high = ceil_to_step(price, rules.tick_size, rules.min_price)
        t = rules.tick_size
        options = f"{fmt_at(low, t)} or {fmt_at(high, t)}" if low > 0 else fmt_at(high, t)
        raise UsageError(
            f"price {fmt(price)} is not a multiple of {where}'s tick size "
            f"{fmt(rules.tick_size)}: use {options}"
        )


def check_quantity(quantity: Decimal, rules: SymbolRules) -> None:
    """Raise ``UsageError`` unless ``quantity`` passes the market's lot-size filter."""
    where = rules.symbol
    if not quantity.is_finite() or quantity <= 0:
        raise UsageError(f"quantity {quantity} for {where} must be a positive number")
    if rules.min_qty > 0 and quantity < rules.min_qty:
        raise UsageError(
            f"quantity {fmt(quantity)} is below {where}'s minimum quantity {fmt(rules.min_qty)}",
            hint=f"use {fmt(rules.min_qty)} or more",
        )
    if rules.max_qty is not None and rules.max_qty > 0 and quantity > rules.max_qty:
        raise UsageError(
            f"quantity {fmt(quantity)} is above {where}'s maximum quantity {fmt(rules.max_qty)}",
            hint=f"use {fmt(rules.max_qty)} or less",
        )
    if not is_multiple(quantity, rules.step_size, rules.min_qty):
        low = floor_to_step(quantity, rules.step_size, rules.min_qty)
        high = ceil_to_step(quantity, rules.step_size, rules.min_qty)
        s = rules.step_size
        options = (
            f"{fmt_at(low, s)} or {fmt_at(high, s)}"
            if low > 0 and low >= rules.min_qty
            else fmt_at(high, s)
        )
        raise UsageError(
            f"quantity {fmt(quantity)} is not a multiple of the lot size "
            f"{fmt(rules.step_size)}: use {options}"
        )


def check_notional(price: Decimal, quantity: Decimal, rules: SymbolRules) -> None:
    """Raise ``UsageError`` when ``price * quantity`` is below the market's minimum notional."""
    if rules.min_notional <= 0:
        return
    notional = price * quantity
    if notional < rules.min_notional:
        need = ceil_to_step(rules.min_notional / price, rules.step_size, rules.min_qty)
        raise UsageError(
            f"order value {fmt(notional)} {rules.quote} is below {rules.symbol}'s minimum "
            f"{fmt(rules.min_notional)} {rules.quote}",
            hint=f"at {fmt(price)} use a quantity of at least {fmt(need)}",
        )


def check_intent(
    intent: OrderIntent, rules: SymbolRules, *, reference_price: Decimal | None = None
) -> None:
    """Check every filter an order must pass before it is sent.

    A limit order needs a price; a market order must not have one. The notional check uses the
    limit price, or ``reference_price`` (a recent market price) for a market order when given.

    Raises:
        UsageError: the first filter the order fails, naming the nearest valid values.
    """
    if intent.type is OrderType.LIMIT:
        if intent.price is None:
            raise UsageError("a limit order needs a price", hint="add --price P")
        check_price(intent.price, rules)
    elif intent.price is not None:
        raise UsageError("a market order takes no price", hint="drop --price or add --type limit")
    check_quantity(intent.quantity, rules)
    price = intent.price if intent.price is not None else reference_price
    if price is not None and price > 0:
        check_notional(price, intent.quantity, rules)
