"""The records every part of the order path shares: intents, order states, fills, balances, rules.

Money is ``Decimal`` end to end (prices, quantities, fees); times are integer ms (venue clocks)
or ns (our ``time.perf_counter_ns`` latency stamps). A strategy emits ``Signal``s; the risk layer
turns them into ``OrderIntent``s; the ``OrderManager`` sends intents to a ``TradingVenue`` (a real
venue or the paper broker) and tracks the ``OrderState`` and ``Fill``s that come back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class Side(StrEnum):
    """Buy or sell."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    """What an order does; the reference venue's names, mapped by others (or engine-emulated).

    ``LIMIT_MAKER`` is a post-only limit (refused when it would take). The four conditional types
    wait for the last trade price to reach ``stop_price`` (or trail it by ``trailing_delta``),
    then become a market order (``STOP_LOSS``, ``TAKE_PROFIT``) or a limit order at ``price``
    (``*_LIMIT``); :mod:`letrade_cli.core.triggers` has the rule.
    """

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"
    STOP_LOSS = "STOP_LOSS"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"

    @property
    def is_conditional(self) -> bool:
        """Whether it waits for a trigger price (stop-loss, take-profit, trailing)."""
        return self in _CONDITIONAL

    @property
    def has_limit_price(self) -> bool:
        """Whether it carries a limit ``price`` (limit, post-only, the two ``*_LIMIT`` types)."""
        return self in _PRICED

    @property
    def triggered_type(self) -> OrderType:
        """What a conditional order becomes when it triggers (itself for the others)."""
        if self in (OrderType.STOP_LOSS, OrderType.TAKE_PROFIT):
            return OrderType.MARKET
        if self in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
            return OrderType.LIMIT
        return self


_CONDITIONAL = frozenset(
    {
        OrderType.STOP_LOSS,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT,
        OrderType.TAKE_PROFIT_LIMIT,
    }
)
_PRICED = frozenset(
    {OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
)


class TimeInForce(StrEnum):
    """What happens to an unfilled limit remainder: rest (GTC), cancel (IOC), all-or-none (FOK)."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    """Order states; each venue maps its own spelling onto them."""

    PENDING = "PENDING"  # committed to the ledger, not yet acknowledged by the venue
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_open(self) -> bool:
        """Whether the order can still fill."""
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)

    @property
    def is_unresolved(self) -> bool:
        """Whether the venue may still act on it: open, or sent with no answer seen yet."""
        return self is OrderStatus.PENDING or self.is_open


@dataclass(frozen=True, slots=True)
class Signal:
    """What a strategy wants: go long/flat/short on a symbol, with the tick that caused it.

    Attributes:
        symbol: The venue's symbol.
        side: BUY to enter/add, SELL to exit/reduce.
        reason: Short human text (``"sma 20/50 cross up"``), stored in the ledger.
        strength: 0..1: a BUY trades this share of the risk layer's ``order_notional``.
        tick_recv_ns: ``Tick.recv_ns`` of the tick that produced the signal (latency origin).
        created_ns: ``time.perf_counter_ns()`` when the strategy emitted it.
        price: A limit price: a BUY becomes a resting GTC limit order there (None: market).
    """

    symbol: str
    side: Side
    reason: str = ""
    strength: float = 1.0
    tick_recv_ns: int = 0
    created_ns: int = 0
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order as a user or the risk layer asks for it, before the venue sees it."""

    symbol: str
    side: Side
    quantity: Decimal
    type: OrderType = OrderType.MARKET
    price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    client_order_id: str | None = None
    stop_price: Decimal | None = None  # conditional types: the trigger (trailing: activation)
    trailing_delta: int | None = None  # conditional types: trail the price by this many BIPS
    quote_quantity: Decimal | None = None  # a MARKET order by quote amount (quantity is then 0)

    def with_client_id(self, client_order_id: str) -> OrderIntent:
        """The same intent under ``client_order_id`` (a direct ``dataclasses.replace``)."""
        return OrderIntent(
            self.symbol, self.side, self.quantity, self.type, self.price, self.time_in_force,
            client_order_id, self.stop_price, self.trailing_delta, self.quote_quantity,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class OcoIntent:
    """Two orders on one symbol and side where one filling or triggering cancels the other.

    The reference venue's ``orderList/oco`` shape: the ``above`` leg sits above the market (for a
    SELL a ``LIMIT_MAKER`` or ``TAKE_PROFIT[_LIMIT]``; for a BUY a ``STOP_LOSS[_LIMIT]``), the
    ``below`` leg under it (for a SELL a ``STOP_LOSS[_LIMIT]``; for a BUY a ``LIMIT_MAKER`` or
    ``TAKE_PROFIT[_LIMIT]``). Both legs are for ``quantity``; their client ids are set by the
    order path, as is ``list_client_id``.
    """

    symbol: str
    side: Side
    quantity: Decimal
    above: OrderIntent
    below: OrderIntent
    list_client_id: str | None = None


@dataclass(slots=True)
class OrderLatency:
    """``perf_counter_ns`` stamps along one order's path (0 = not reached)."""

    signal_ns: int = 0
    send_ns: int = 0
    ack_ns: int = 0
    fill_ns: int = 0

    def as_ms(self) -> dict[str, float | None]:
        """signal→send, send→ack, ack→fill and signal→ack in ms (None when a stamp is missing)."""

        def span(a: int, b: int) -> float | None:
            return (b - a) / 1e6 if a and b else None

        return {
            "signal_to_send_ms": span(self.signal_ns, self.send_ns),
            "send_to_ack_ms": span(self.send_ns, self.ack_ns),
            "ack_to_fill_ms": span(self.ack_ns, self.fill_ns),
            "signal_to_ack_ms": self.signal_to_ack_ms(),
        }

    def signal_to_ack_ms(self) -> float | None:
        """Signal (or send, without a signal) to the venue's ack, in ms; None when unknown."""
        start, ack = self.signal_ns or self.send_ns, self.ack_ns
        return (ack - start) / 1e6 if start and ack else None


@dataclass(slots=True)
class OrderState:
    """An order as the venue last reported it."""

    venue: str
    symbol: str
    client_order_id: str
    side: Side
    type: OrderType
    quantity: Decimal
    status: OrderStatus
    price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    venue_order_id: str | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    order_list_id: str | None = None  # the OCO list it belongs to (the list's client id)
    filled_qty: Decimal = ZERO
    quote_qty: Decimal = ZERO  # sum of price * qty over the fills
    fee: Decimal = ZERO
    fee_asset: str = ""
    created_ms: int = 0
    updated_ms: int = 0
    latency: OrderLatency = field(default_factory=OrderLatency)

    def copy(self) -> OrderState:
        """A copy sharing the latency, like ``dataclasses.replace(self)`` (per order, direct)."""
        return OrderState(
            self.venue, self.symbol, self.client_order_id, self.side, self.type, self.quantity,
            self.status, self.price, self.time_in_force, self.venue_order_id, self.stop_price,
            self.trailing_delta, self.order_list_id, self.filled_qty, self.quote_qty, self.fee,
            self.fee_asset, self.created_ms, self.updated_ms, self.latency,
        )  # fmt: skip

    @classmethod
    def of_intent(
        cls, venue: str, intent: OrderIntent, status: OrderStatus, *, at_ms: int = 0
    ) -> OrderState:
        """An order as its intent describes it, in ``status`` (nothing filled yet)."""
        if intent.client_order_id is None:
            raise ValueError("intent.client_order_id must be set")
        return cls(
            venue=venue,
            symbol=intent.symbol,
            client_order_id=intent.client_order_id,
            side=intent.side,
            type=intent.type,
            quantity=intent.quantity,
            status=status,
            price=intent.price,
            time_in_force=intent.time_in_force,
            stop_price=intent.stop_price,
            trailing_delta=intent.trailing_delta,
            created_ms=at_ms,
            updated_ms=at_ms,
        )

    @property
    def avg_price(self) -> Decimal | None:
        """Average fill price, when anything filled."""
        return self.quote_qty / self.filled_qty if self.filled_qty else None

    @property
    def remaining(self) -> Decimal:
        """Quantity still open."""
        return self.quantity - self.filled_qty


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of one order."""

    venue: str
    symbol: str
    client_order_id: str
    side: Side
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_asset: str
    trade_id: str
    ts_ms: int
    is_maker: bool = False

    @property
    def notional(self) -> Decimal:
        """Price times quantity, in the quote asset."""
        return self.price * self.quantity


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset of an account."""

    asset: str
    free: Decimal
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """Free plus locked."""
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """A market's trading filters (price filter, lot size, notional)."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal = ZERO
    max_qty: Decimal | None = None
    min_price: Decimal = ZERO
    max_price: Decimal | None = None
    min_notional: Decimal = ZERO
