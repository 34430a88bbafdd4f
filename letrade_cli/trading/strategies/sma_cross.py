"""SMA crossover: buy when the fast average crosses above the slow one, sell on the cross down."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from letrade_cli.core.errors import ConfigError
from letrade_cli.core.orders import Side, Signal
from letrade_cli.core.tick import Tick
from letrade_cli.trading.strategies.api import Param, Strategy
from letrade_cli.trading.strategies.base import StrategyContext, signal


class _Window:
    """A rolling sum over the last ``n`` values (O(1) per value)."""

    __slots__ = ("n", "sum", "values")

    def __init__(self, n: int) -> None:
        self.n = n
        self.values: deque[float] = deque(maxlen=n)
        self.sum = 0.0

    def push(self, value: float) -> float | None:
        if len(self.values) == self.n:
            self.sum -= self.values[0]
        self.values.append(value)
        self.sum += value
        return self.sum / self.n if len(self.values) == self.n else None


class SmaCross(Strategy):
    """Fast/slow simple moving averages of the tick price (params ``fast``, ``slow``)."""

    name = "sma-cross"
    fast = Param(10, min=1, max=10_000, help="fast moving average, in ticks")
    slow = Param(30, min=2, max=100_000, help="slow moving average, in ticks (> fast)")

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(params)
        if self.fast >= self.slow:
            raise ConfigError(
                "trading.strategy.params: fast must be smaller than slow",
                hint=f"fast is {self.fast}, slow is {self.slow}",
            )
        self._state: dict[str, tuple[_Window, _Window, list[int]]] = {}

    def on_tick(self, tick: Tick, ctx: StrategyContext) -> Sequence[Signal]:
        """Signal on the tick where the sign of fast - slow changes."""
        price = tick.price
        if price is None:
            return ()
        state = self._state.get(tick.symbol)
        if state is None:
            state = self._state[tick.symbol] = (_Window(self.fast), _Window(self.slow), [0])
        fast, slow, last = state[0].push(price), state[1].push(price), state[2]
        if fast is None or slow is None:
            return ()
        sign = (fast > slow) - (fast < slow)
        previous, last[0] = last[0], sign or last[0]
        if previous == -1 and sign == 1:
            return (signal(tick.symbol, Side.BUY, f"sma {self.fast}/{self.slow} cross up", tick),)
        if previous == 1 and sign == -1:
            return (
                signal(tick.symbol, Side.SELL, f"sma {self.fast}/{self.slow} cross down", tick),
            )
        return ()
