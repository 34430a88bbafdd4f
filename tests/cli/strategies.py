"""Strategies for the CLI tests (loaded with --strategy tests.cli.strategies:Name)."""

from __future__ import annotations

from typing import Any

from letrade_cli.core.orders import Side
from letrade_cli.trading.strategies.api import Strategy
from letrade_cli.trading.strategies.base import StrategyContext, signal


class EveryTick:
    """Buys on the first tick of each symbol, then sells on the next: orders at once."""

    name = "every-tick"

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        self.side: dict[str, Side] = {}

    def on_tick(self, tick: Any, ctx: StrategyContext) -> list[Any]:
        if tick.channel != "trade":
            return []
        side = Side.SELL if self.side.get(tick.symbol) is Side.BUY else Side.BUY
        self.side[tick.symbol] = side
        return [signal(tick.symbol, side, "every tick", tick)]


class Raises:
    """Fails on the third tick it sees."""

    name = "raises"

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        self.seen = 0

    def on_tick(self, tick: Any, ctx: StrategyContext) -> list[Any]:
        self.seen += 1
        if self.seen == 3:
            return [1 // 0]
        return []


class BuyThenStop(Strategy):
    """Buys 0.001 at market on the first trade, with a stop-loss above the market: it triggers
    on the next trade, so the engine's held stop becomes a market sell on the venue."""

    name = "buy-then-stop"

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        super().__init__(params)
        self.done = False
        self.fills: list[Any] = []

    def on_tick(self, tick: Any, ctx: Any) -> None:
        if self.done or tick.channel != "trade":
            return
        self.done = True
        ctx.buy(tick.symbol, quantity="0.001", reason="entry")
        ctx.stop_loss(tick.symbol, round(tick.price * 1.01, 2))
