"""A price-time priority limit order book in integer ticks and lots.

Prices are integer ticks and quantities integer lots (the market converts them to decimals), so
matching never touches floats. ``submit`` matches an incoming order against the opposite side,
rests what is left of a limit order and returns the fills; ``cancel`` removes a resting order.
The book is never crossed after a call returns.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from enum import Enum


class Side(Enum):
    """Order side."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(Enum):
    """What to do with an order's unfilled remainder."""

    LIMIT = "LIMIT"
    MARKET = "MARKET"


@dataclass(slots=True)
class Order:
    """An order; ``qty`` is what is still open, ``price`` is None for market orders."""

    id: int
    side: Side
    qty: int
    price: int | None = None
    type: OrderType = OrderType.LIMIT
    owner: str = ""
    seq: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Fill:
    """One match between a resting (maker) and an incoming (taker) order."""

    maker_id: int
    taker_id: int
    price: int
    qty: int
    taker_side: Side
    maker_owner: str
    maker_done: bool


@dataclass(slots=True)
class _Level:
    orders: deque[Order]
    qty: int


class OrderBook:
    """One symbol's book: levels keyed by tick, FIFO inside a level."""

    def __init__(self) -> None:
        self._bids: dict[int, _Level] = {}
        self._asks: dict[int, _Level] = {}
        self._bid_keys: list[int] = []  # negated prices, ascending -> best bid first
        self._ask_keys: list[int] = []
        self._orders: dict[int, Order] = {}
        self._seq = 0
        self.update_id = 0

    def __contains__(self, order_id: int) -> bool:
        return order_id in self._orders

    def get(self, order_id: int) -> Order | None:
        """The resting order with this id, if any."""
        return self._orders.get(order_id)

    def best_bid(self) -> int | None:
        """Best bid price in ticks."""
        return -self._bid_keys[0] if self._bid_keys else None

    def best_ask(self) -> int | None:
        """Best ask price in ticks."""
        return self._ask_keys[0] if self._ask_keys else None

    def top(self) -> tuple[int, int, int, int] | None:
        """``(bid, bid_qty, ask, ask_qty)`` when both sides have orders."""
        if not self._bid_keys or not self._ask_keys:
            return None
        bid = -self._bid_keys[0]
        ask = self._ask_keys[0]
        return bid, self._bids[bid].qty, ask, self._asks[ask].qty

    def depth(self, limit: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Aggregated ``(price, qty)`` levels, best first, at most ``limit`` per side."""
        bids = self._bids
        asks = self._asks
        return (
            [(-k, bids[-k].qty) for k in self._bid_keys[:limit]],
            [(k, asks[k].qty) for k in self._ask_keys[:limit]],
        )

    def level_count(self, side: Side) -> int:
        """How many price levels one side has."""
        return len(self._bids if side is Side.BUY else self._asks)

    def resting(self) -> list[Order]:
        """Every resting order (copies are not made; do not mutate)."""
        return list(self._orders.values())

    def submit(self, order: Order) -> list[Fill]:
        """Match ``order``; rest a limit order's remainder. Returns the fills in match order."""
        if order.qty <= 0:
            raise ValueError("order quantity must be positive")
        if order.type is OrderType.LIMIT and order.price is None:
            raise ValueError("a limit order needs a price")
        if order.id in self._orders:
            raise ValueError(f"duplicate order id {order.id}")
        fills = self._match(order)
        if order.qty and order.type is OrderType.LIMIT:
            self._rest(order)
        self.update_id += 1
        return fills

    def cancel(self, order_id: int) -> Order | None:
        """Remove a resting order; returns it, or None when it is not resting."""
        order = self._orders.pop(order_id, None)
        if order is None:
            return None
        assert order.price is not None
        level = (self._bids if order.side is Side.BUY else self._asks)[order.price]
        level.orders.remove(order)
        level.qty -= order.qty
        if not level.orders:
            self._drop_level(order.side, order.price)
        self.update_id += 1
        return order

    def amend(self, order_id: int, qty: int) -> bool:
        """Change a resting order's open quantity; a larger one loses its time priority."""
        order = self._orders.get(order_id)
        if order is None or qty <= 0:
            return False
        assert order.price is not None
        level = (self._bids if order.side is Side.BUY else self._asks)[order.price]
        if qty > order.qty and level.orders[-1] is not order:
            level.orders.remove(order)
            level.orders.append(order)
            self._seq += 1
            order.seq = self._seq
        level.qty += qty - order.qty
        order.qty = qty
        self.update_id += 1
        return True

    def _match(self, taker: Order) -> list[Fill]:
        fills: list[Fill] = []
        if taker.side is Side.BUY:
            keys, maker_side, sign, levels = self._ask_keys, Side.SELL, 1, self._asks
        else:
            keys, maker_side, sign, levels = self._bid_keys, Side.BUY, -1, self._bids
        limit = taker.price
        while taker.qty and keys:
            price = keys[0] * sign
            if limit is not None and (price > limit if sign == 1 else price < limit):
                break
            level = levels[price]
            queue = level.orders
            while taker.qty and queue:
                maker = queue[0]
                qty = min(maker.qty, taker.qty)
                maker.qty -= qty
                taker.qty -= qty
                level.qty -= qty
                done = maker.qty == 0
                if done:
                    queue.popleft()
                    del self._orders[maker.id]
                fills.append(Fill(maker.id, taker.id, price, qty, taker.side, maker.owner, done))
            if not queue:
                self._drop_level(maker_side, price)
        return fills

    def _rest(self, order: Order) -> None:
        assert order.price is not None
        self._seq += 1
        order.seq = self._seq
        levels = self._bids if order.side is Side.BUY else self._asks
        level = levels.get(order.price)
        if level is None:
            levels[order.price] = _Level(deque([order]), order.qty)
            if order.side is Side.BUY:
                bisect.insort(self._bid_keys, -order.price)
            else:
                bisect.insort(self._ask_keys, order.price)
        else:
            level.orders.append(order)
            level.qty += order.qty
        self._orders[order.id] = order

    def _drop_level(self, side: Side, price: int) -> None:
        if side is Side.BUY:
            del self._bids[price]
            keys, key = self._bid_keys, -price
        else:
            del self._asks[price]
            keys, key = self._ask_keys, price
        if keys and keys[0] == key:
            del keys[0]
        else:
            del keys[bisect.bisect_left(keys, key)]
