"""When a conditional order triggers: one rule for the simulator, the paper broker and the engine.

The reference spot rule (API docs, and ``faqs/trailing-stop-faq.md``), on the **last trade price**:

=================  =====  ===========================
type               side   triggers when
=================  =====  ===========================
STOP_LOSS[_LIMIT]  SELL   last <= stop_price
STOP_LOSS[_LIMIT]  BUY    last >= stop_price
TAKE_PROFIT[_LIM]  SELL   last >= stop_price
TAKE_PROFIT[_LIM]  BUY    last <= stop_price
=================  =====  ===========================

Trailing (``trailing_delta`` in BIPS, 100 = 1%): a SELL follows the highest price seen and
triggers once the price falls ``trailing_delta`` below it; a BUY follows the lowest and triggers
once the price rises ``trailing_delta`` above it. Without a ``stop_price`` it follows from the
first price it sees; with one, the ``stop_price`` is the activation price: it starts following once
the table's condition holds, from that price.

A trigger fires once. The simulator feeds it its own trades, the engine (which emulates
conditional orders on venues that do not hold them, and on paper) the ticks' prices, so the same
prices give the same triggers everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

BIPS = Decimal(10_000)


@dataclass(slots=True)
class StopTrigger:
    """The trigger state of one conditional order.

    Attributes:
        stop_loss: True for ``STOP_LOSS[_LIMIT]``, False for ``TAKE_PROFIT[_LIMIT]``.
        sell: The order's side is SELL.
        stop_price: Trigger price, or with ``trailing_delta`` the activation price (may be None).
        trailing_delta: BIPS to trail by, or None for a fixed stop.
        extreme: The best price since trailing began (None: not following yet).
        fired: It has triggered (it never fires again).
    """

    stop_loss: bool
    sell: bool
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    extreme: Decimal | None = None
    fired: bool = False

    def __post_init__(self) -> None:
        if self.stop_price is None and not self.trailing_delta:
            raise ValueError("a conditional order needs a stop price or a trailing delta")

    @property
    def trailing(self) -> bool:
        """Whether it trails the price."""
        return bool(self.trailing_delta)

    def _reached(self, last: Decimal) -> bool:
        stop = self.stop_price
        assert stop is not None
        # stop-loss sell / take-profit buy: at or below; stop-loss buy / take-profit sell: above.
        return last <= stop if self.stop_loss == self.sell else last >= stop

    def update(self, last: Decimal) -> bool:
        """Feed one last-trade price; True exactly once, when the order triggers."""
        if self.fired:
            return False
        if not self.trailing:
            self.fired = self._reached(last)
            return self.fired
        if self.extreme is None:
            if self.stop_price is not None and not self._reached(last):
                return False  # not activated yet
            self.extreme = last
            return False
        delta = Decimal(self.trailing_delta or 0) / BIPS
        if self.sell:
            if last > self.extreme:
                self.extreme = last
            elif last <= self.extreme * (1 - delta):
                self.fired = True
        else:
            if last < self.extreme:
                self.extreme = last
            elif last >= self.extreme * (1 + delta):
                self.fired = True
        return self.fired

    @property
    def trigger_price(self) -> Decimal | None:
        """The price that would trigger it now (None while a trailing stop is not following)."""
        if not self.trailing:
            return self.stop_price
        if self.extreme is None:
            return None
        delta = Decimal(self.trailing_delta or 0) / BIPS
        return self.extreme * (1 - delta) if self.sell else self.extreme * (1 + delta)


def stop_trigger(
    order_type: str, side: str, stop_price: Decimal | None, trailing_delta: int | None
) -> StopTrigger:
    """The trigger of an order of ``order_type`` (``STOP_LOSS`` … ``TAKE_PROFIT_LIMIT``)."""
    if not order_type.startswith(("STOP_LOSS", "TAKE_PROFIT")):
        raise ValueError(f"{order_type} is not a conditional order type")
    return StopTrigger(
        stop_loss=order_type.startswith("STOP_LOSS"),
        sell=side == "SELL",
        stop_price=stop_price,
        trailing_delta=trailing_delta,
    )
