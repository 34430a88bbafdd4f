"""Check an order's price and quantity against a market's filters before it is sent, in Decimal.

One set of definitions (price filter, lot size, notional) is used for every venue: a price is
valid when ``min_price <= price <= max_price`` and ``(price - min_price)`` is a multiple of the
tick size; a quantity likewise with ``min_qty`` and the lot (step) size; ``price * quantity`` must
reach ``min_notional``. A zero tick or step size disables that check. Every failure is a
``UsageError`` (exit 2) naming the nearest valid values, e.g.::

    quantity 0.123456 is not a multiple of the lot size 0.00001: use 0.12345 or 0.12346
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from letrade_cli.core.decimals import plain
from letrade_cli.core.errors import UsageError
from letrade_cli.core.orders import ZERO, OrderIntent, SymbolRules

fmt = plain  # messages name values the way venues spell them: no exponent, no trailing zeros


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
    _check_filter(
        "price",
        price,
        rules.symbol,
        (rules.min_price, rules.max_price),
        rules.tick_size,
        f"{rules.symbol}'s tick size",
    )


def check_quantity(quantity: Decimal, rules: SymbolRules) -> None:
    """Raise ``UsageError`` unless ``quantity`` passes the market's lot-size filter."""
    _check_filter(
        "quantity",
        quantity,
        rules.symbol,
        (rules.min_qty, rules.max_qty),
        rules.step_size,
        "the lot size",
    )


def _check_filter(
    what: str,
    value: Decimal,
    where: str,
    bounds: tuple[Decimal, Decimal | None],
    step: Decimal,
    step_name: str,
) -> None:
    """One range-and-step filter: ``minimum <= value <= maximum`` on the step grid."""
    minimum, maximum = bounds
    if not value.is_finite() or value <= 0:
        raise UsageError(f"{what} {value} for {where} must be a positive number")
    if minimum > 0 and value < minimum:
        raise UsageError(
            f"{what} {fmt(value)} is below {where}'s minimum {what} {fmt(minimum)}",
            hint=f"use {fmt(minimum)} or more",
        )
    if maximum is not None and maximum > 0 and value > maximum:
        raise UsageError(
            f"{what} {fmt(value)} is above {where}'s maximum {what} {fmt(maximum)}",
            hint=f"use {fmt(maximum)} or less",
        )
    if not is_multiple(value, step, minimum):
        low = floor_to_step(value, step, minimum)
        high = ceil_to_step(value, step, minimum)
        options = f"{fmt_at(low, step)} or {fmt_at(high, step)}" if low > 0 else fmt_at(high, step)
        raise UsageError(
            f"{what} {fmt(value)} is not a multiple of {step_name} {fmt(step)}: use {options}"
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
    if intent.type.has_limit_price:
        if intent.price is None:
            raise UsageError("a limit order needs a price", hint="add --price P")
        check_price(intent.price, rules)
    elif intent.price is not None:
        raise UsageError("a market order takes no price", hint="drop --price or add --type limit")
    check_quantity(intent.quantity, rules)
    price = intent.price if intent.price is not None else reference_price
    if price is not None and price > 0:
        check_notional(price, intent.quantity, rules)
