"""The hand-written copies of orders keep every field (they replace dataclasses.replace)."""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal

from letrade_cli.core.orders import (
    OrderIntent,
    OrderLatency,
    OrderState,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)


def _state() -> OrderState:
    return OrderState(
        "sim", "BTCUSDT", "r1-7", Side.SELL, OrderType.STOP_LOSS_LIMIT, Decimal("0.5"),
        OrderStatus.PARTIALLY_FILLED, Decimal("101.5"), TimeInForce.IOC, "v-9", Decimal("100"),
        25, "list-1", Decimal("0.2"), Decimal("20.3"), Decimal("0.02"), "BNB", 11, 12,
        OrderLatency(1, 2, 3, 4),
    )  # fmt: skip


def test_an_order_state_copy_is_equal_and_independent() -> None:
    state = _state()
    assert all(getattr(state, f.name) != f.default for f in fields(OrderState))  # none default
    copy = state.copy()
    assert copy == replace(state) and copy is not state
    assert copy.latency is state.latency  # shared, as replace shares it
    copy.filled_qty = Decimal(1)
    assert state.filled_qty == Decimal("0.2")


def test_an_intent_with_a_client_id_keeps_every_other_field() -> None:
    intent = OrderIntent(
        "BTCUSDT", Side.BUY, Decimal(0), OrderType.TAKE_PROFIT_LIMIT, Decimal("99"),
        TimeInForce.FOK, None, Decimal("98"), 30, Decimal("250"),
    )  # fmt: skip
    assert all(
        getattr(intent, f.name) != f.default
        for f in fields(OrderIntent)
        if f.name not in ("client_order_id", "quantity")
    )
    assert intent.with_client_id("r1-8") == replace(intent, client_order_id="r1-8")
