"""Mean reversion on a Bollinger band: buy below mean - k·sd, sell back at the mean."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from letrade_cli.core.orders import Side, Signal
from letrade_cli.core.tick import Tick
from letrade_cli.trading.strategies.api import Param, Strategy
from letrade_cli.trading.strategies.base import StrategyContext, signal


class MeanReversion(Strategy):
    """z-score over ``window`` ticks: enter at ``z <= -entry_z``, exit at ``z >= exit_z``."""

    name = "mean-reversion"
    window = Param(20, min=2, max=100_000, help="ticks in the mean and standard deviation")
    entry_z = Param(2.0, min=0.0, max=10.0, help="buy when the z-score falls to -entry_z")
    exit_z = Param(0.0, min=-10.0, max=10.0, help="sell when the z-score is back to exit_z")

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(params)
        self._prices: dict[str, deque[float]] = {}
        self._long: dict[str, bool] = {}

    def on_tick(self, tick: Tick, ctx: StrategyContext) -> Sequence[Signal]:
        """One BUY when the price drops through the lower band, one SELL back at the mean."""
        price = tick.price
        if price is None:
            return ()
        window = self._prices.get(tick.symbol)
        if window is None:
            window = self._prices[tick.symbol] = deque(maxlen=self.window)
        window.append(price)
        if len(window) < self.window:
            return ()
        mean = math.fsum(window) / len(window)
        sd = math.sqrt(math.fsum((p - mean) ** 2 for p in window) / len(window))
        if sd == 0:
            return ()
        z = (price - mean) / sd
        long = self._long.get(tick.symbol, False)
        if not long and z <= -self.entry_z:
            self._long[tick.symbol] = True
            return (signal(tick.symbol, Side.BUY, f"z {z:.2f} below -{self.entry_z:g}", tick),)
        if long and z >= self.exit_z:
            self._long[tick.symbol] = False
            return (signal(tick.symbol, Side.SELL, f"z {z:.2f} back to {self.exit_z:g}", tick),)
        return ()
