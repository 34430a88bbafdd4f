"""Breakout momentum: buy a new ``lookback`` high, sell a new ``exit_lookback`` low."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from letrade_cli.core.orders import Side, Signal
from letrade_cli.core.tick import Tick
from letrade_cli.trading.strategies.api import Param, Strategy
from letrade_cli.trading.strategies.base import StrategyContext, signal


class Breakout(Strategy):
    """Donchian-style channel breakout on the tick price."""

    name = "breakout"
    lookback = Param(20, min=1, max=100_000, help="buy above the high of this many ticks")
    exit_lookback = Param(10, min=1, max=100_000, help="sell below the low of this many ticks")

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(params)
        self._prices: dict[str, deque[float]] = {}
        self._long: dict[str, bool] = {}

    def on_tick(self, tick: Tick, ctx: StrategyContext) -> Sequence[Signal]:
        """BUY above the last ``lookback`` high; SELL below the last ``exit_lookback`` low."""
        price = tick.price
        if price is None:
            return ()
        history = self._prices.get(tick.symbol)
        if history is None:
            size = max(self.lookback, self.exit_lookback)
            history = self._prices[tick.symbol] = deque(maxlen=size)
        out: tuple[Signal, ...] = ()
        long = self._long.get(tick.symbol, False)
        if len(history) >= self.lookback and not long:
            high = max(list(history)[-self.lookback :])
            if price > high:
                self._long[tick.symbol] = True
                out = (signal(tick.symbol, Side.BUY, f"breakout above {high:g}", tick),)
        elif len(history) >= self.exit_lookback and long:
            low = min(list(history)[-self.exit_lookback :])
            if price < low:
                self._long[tick.symbol] = False
                out = (signal(tick.symbol, Side.SELL, f"breakdown below {low:g}", tick),)
        history.append(price)
        return out
