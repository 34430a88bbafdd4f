"""Filter checks in Decimal: valid values pass, invalid ones name the nearest valid values."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letrade_cli.core.errors import UsageError
from letrade_cli.core.orders import OrderIntent, OrderType, Side, SymbolRules
from letrade_cli.trading.filters import (
    ceil_to_step,
    check_intent,
    check_price,
    check_quantity,
    floor_to_step,
    is_multiple,
)

RULES = SymbolRules(
    symbol="BTCUSDT",
    base="BTC",
    quote="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.00001"),
    min_qty=Decimal("0.00001"),
    max_qty=Decimal("9000"),
    min_price=Decimal("0.01"),
    max_price=Decimal("1000000"),
    min_notional=Decimal("5"),
)

steps = st.sampled_from(
    [Decimal(1).scaleb(-e) for e in range(0, 9)] + [Decimal("0.5"), Decimal("5")]
)
values = st.decimals(
    min_value=Decimal("0.00000001"), max_value=Decimal("100000"), places=10, allow_nan=False
)


def test_the_issue_example() -> None:
    with pytest.raises(UsageError) as caught:
        check_quantity(Decimal("0.123456"), RULES)
    assert caught.value.message == (
        "quantity 0.123456 is not a multiple of the lot size 0.00001: use 0.12345 or 0.12346"
    )


def test_price_off_tick_names_both_neighbours() -> None:
    with pytest.raises(UsageError, match=r"tick size 0.01: use 30000.12 or 30000.13"):
        check_price(Decimal("30000.125"), RULES)


def test_bounds_and_notional() -> None:
    with pytest.raises(UsageError, match=r"below BTCUSDT's minimum quantity 0\.00001"):
        check_quantity(Decimal("0.000001"), RULES)
    with pytest.raises(UsageError, match="above BTCUSDT's maximum price"):
        check_price(Decimal("2000000"), RULES)
    intent = OrderIntent("BTCUSDT", Side.BUY, Decimal("0.0001"), OrderType.LIMIT, Decimal("100"))
    with pytest.raises(UsageError) as caught:
        check_intent(intent, RULES)
    assert "order value 0.01 USDT is below BTCUSDT's minimum 5 USDT" in str(caught.value)
    assert "at least 0.05" in str(caught.value)


def test_limit_needs_price_market_takes_none() -> None:
    with pytest.raises(UsageError, match="needs a price"):
        check_intent(OrderIntent("BTCUSDT", Side.BUY, Decimal("1"), OrderType.LIMIT), RULES)
    with pytest.raises(UsageError, match="takes no price"):
        check_intent(
            OrderIntent("BTCUSDT", Side.BUY, Decimal("1"), OrderType.MARKET, Decimal("1")), RULES
        )
    check_intent(OrderIntent("BTCUSDT", Side.BUY, Decimal("0.001")), RULES)


@given(values, steps)
def test_floor_and_ceil_bracket_the_value(value: Decimal, step: Decimal) -> None:
    low, high = floor_to_step(value, step), ceil_to_step(value, step)
    assert low <= value <= high
    assert is_multiple(low, step) and is_multiple(high, step)
    assert high - low in (Decimal(0), step)
    assert (low == high) == is_multiple(value, step)


@given(values, steps)
def test_quantity_error_names_valid_neighbours(value: Decimal, step: Decimal) -> None:
    rules = SymbolRules("X", "A", "B", tick_size=Decimal(0), step_size=step)
    if is_multiple(value, step):
        check_quantity(value, rules)
        return
    with pytest.raises(UsageError) as caught:
        check_quantity(value, rules)
    suggested = re.findall(r"use ([0-9.]+)(?: or ([0-9.]+))?$", caught.value.message)
    assert suggested, caught.value.message
    for text in (s for s in suggested[0] if s):
        candidate = Decimal(text)
        check_quantity(candidate, rules)  # every suggestion passes the filter
        assert abs(candidate - value) < step


@given(values)
def test_price_with_min_price_offset(value: Decimal) -> None:
    rules = SymbolRules("X", "A", "B", tick_size=Decimal("0.5"), step_size=Decimal(0),
                        min_price=Decimal("0.25"))  # fmt: skip
    if value < rules.min_price:
        return
    low = floor_to_step(value, rules.tick_size, rules.min_price)
    check_price(low, rules)
    assert (low - rules.min_price) % rules.tick_size == 0
