"""Risk limits between a strategy's signals and the order manager.

Entries (BUY) pass only when every limit allows them: cooldown since the symbol's last accepted
signal, not halted by the daily loss, the position and the total exposure stay within their
notional limits. Exits (SELL of what is held) always pass except for the cooldown; stop-loss and
take-profit exits are generated here, from each tick, and skip the cooldown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from letrade_cli.config.trading import RiskSettings
from letrade_cli.core.orders import ZERO, OrderIntent, OrderType, Side, Signal, SymbolRules
from letrade_cli.trading.filters import floor_to_step
from letrade_cli.trading.portfolio import Portfolio

DAY_MS = 86_400_000
QTY_STEP = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class Decision:
    """The risk layer's answer to one signal: an intent, or the reason it was refused."""

    signal: Signal
    intent: OrderIntent | None
    reason: str = ""


class RiskManager:
    """Applies ``RiskSettings`` to signals; tracks the halt and cooldowns on the run's clock."""

    def __init__(self, settings: RiskSettings) -> None:
        self.settings = settings
        # Whether any tick can make an exit here (checked before the per-tick work).
        self.has_exits = bool(settings.stop_loss_pct or settings.take_profit_pct)
        self.last_signal_ms: dict[str, int] = {}
        self.day = -1
        self.day_start_equity = ZERO
        self.halted = False

    def new_day(self, now_ms: int, equity: Decimal) -> None:
        """Start the UTC day of ``now_ms`` (the daily loss counts from its first equity)."""
        day = now_ms // DAY_MS
        if day != self.day:
            self.day = day
            self.day_start_equity = equity
            self.halted = False

    def check_daily_loss(self, equity: Decimal) -> bool:
        """Halt new entries when the day's loss reaches the limit; True when it just halted."""
        limit = self.settings.max_daily_loss
        if limit and not self.halted and self.day_start_equity - equity >= Decimal(str(limit)):
            self.halted = True
            return True
        return False

    def decide(
        self,
        signal: Signal,
        now_ms: int,
        portfolio: Portfolio,
        marks: Mapping[str, Decimal],
        *,
        forced: bool = False,
        rules: Mapping[str, SymbolRules] | None = None,
    ) -> Decision:
        """Turn a signal into a market-order intent, or refuse it with a reason.

        With the venue's ``rules`` the quantity is floored to the lot size, and an entry below
        the minimum quantity or notional is refused (never sent to fail a filter).
        """
        s = self.settings
        symbol = signal.symbol
        last = self.last_signal_ms.get(symbol)
        if not forced and last is not None and s.cooldown_s and now_ms - last < s.cooldown_s * 1000:
            return Decision(signal, None, f"cooldown: {s.cooldown_s:g}s since the last signal")
        held = portfolio.quantity(symbol)
        if signal.side is Side.SELL:
            if held <= 0:
                return Decision(signal, None, "nothing to sell")
            rule = rules.get(symbol) if rules else None
            if rule is not None:
                # A fee taken in the base asset leaves a position off the lot grid: sell what
                # the venue accepts, keep the dust (never sent to fail the lot-size filter).
                held = floor_to_step(held, rule.step_size, rule.min_qty)
                if held < rule.min_qty or held <= 0:
                    return Decision(signal, None, f"position is below {symbol}'s minimum quantity")
            self.last_signal_ms[symbol] = now_ms
            return Decision(signal, OrderIntent(symbol, Side.SELL, held))
        if self.halted:
            return Decision(signal, None, f"halted: daily loss reached {s.max_daily_loss:g}")
        mark = marks.get(symbol)
        if mark is None or mark <= 0:
            return Decision(signal, None, "no price")
        # ``strength`` scales the entry: 0.25 buys a quarter of ``order_notional``.
        strength = min(max(signal.strength, 0.0), 1.0)
        if strength <= 0:
            return Decision(signal, None, "strength 0: nothing to buy")
        notional = Decimal(str(s.order_notional)) * Decimal(repr(strength))
        if s.max_position_notional:
            room = Decimal(str(s.max_position_notional)) - held * mark
            if room < notional:
                return Decision(signal, None, f"max position {s.max_position_notional:g} reached")
        if s.max_total_notional:
            exposure = portfolio.exposure(marks)
            if exposure + notional > Decimal(str(s.max_total_notional)):
                return Decision(
                    signal, None, f"max total notional {s.max_total_notional:g} reached"
                )
        rule = rules.get(symbol) if rules else None
        limit = signal.price
        if limit is not None and rule is not None and rule.tick_size:
            limit = floor_to_step(limit, rule.tick_size, rule.min_price)
        at = mark if limit is None else limit
        if at <= 0:
            return Decision(signal, None, "no price")
        quantity = (notional / at).quantize(QTY_STEP, rounding=ROUND_DOWN)
        if rule is not None:
            quantity = floor_to_step(quantity, rule.step_size, rule.min_qty)
            if quantity < rule.min_qty or quantity * at < rule.min_notional:
                return Decision(
                    signal, None, f"order notional {notional} is below {symbol}'s minimum"
                )
        if quantity <= 0:
            return Decision(signal, None, "order notional rounds to zero")
        self.last_signal_ms[symbol] = now_ms
        if limit is not None:
            return Decision(signal, OrderIntent(symbol, Side.BUY, quantity, OrderType.LIMIT, limit))
        return Decision(signal, OrderIntent(symbol, Side.BUY, quantity))

    def exit_signal(
        self, symbol: str, price: Decimal, portfolio: Portfolio, recv_ns: int
    ) -> Signal | None:
        """A SELL when the position's price crosses its stop-loss or take-profit, else None."""
        position = portfolio.positions.get(symbol)
        if position is None or position.quantity <= 0:
            return None
        entry = position.avg_cost
        s = self.settings
        if s.stop_loss_pct and price <= entry * (1 - Decimal(str(s.stop_loss_pct)) / 100):
            return Signal(symbol, Side.SELL, f"stop-loss {s.stop_loss_pct:g}%", 1.0, recv_ns)
        if s.take_profit_pct and price >= entry * (1 + Decimal(str(s.take_profit_pct)) / 100):
            return Signal(symbol, Side.SELL, f"take-profit {s.take_profit_pct:g}%", 1.0, recv_ns)
        return None
