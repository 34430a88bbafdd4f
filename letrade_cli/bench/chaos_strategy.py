"""An order-heavy strategy for ``letrade bench restart``: market orders and resting limits.

Loaded as ``--strategy letrade_cli.bench.chaos_strategy:Chaos``. On trade ticks, at most one
signal every ``every_ms`` (default 40), in turn: a market BUY, a limit BUY ``depth`` (default
10 %) below the price (it rests on the book until the run cancels it), a market SELL of the
position. Run it with a zero cooldown (``trading.risk.cooldown_s: 0``) so each one is sent.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from letrade_cli.core.orders import Side, Signal
from letrade_cli.trading.strategies.base import StrategyContext, param

CYCLE = ("buy", "limit", "sell")


class Chaos:
    """Market BUY, resting limit BUY, market SELL, again and again."""

    name = "chaos"

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        params = params or {}
        self.every_ns = int(param(params, "every_ms", 40.0) * 1_000_000)
        self.depth = Decimal(str(param(params, "depth", 0.1)))
        self.step = 0
        self.last_ns = 0

    def on_tick(self, tick: Any, ctx: StrategyContext) -> list[Signal]:
        """One signal per ``every_ms`` of trade ticks, the next of ``CYCLE``."""
        if tick.channel != "trade" or tick.price is None:
            return []
        if tick.recv_ns - self.last_ns < self.every_ns:
            return []
        self.last_ns = tick.recv_ns
        kind = CYCLE[self.step % len(CYCLE)]
        self.step += 1
        now = time.perf_counter_ns()
        if kind == "sell":
            return [Signal(tick.symbol, Side.SELL, "chaos sell", 1.0, tick.recv_ns, now)]
        price = None
        if kind == "limit":
            price = Decimal(str(tick.price)) * (1 - self.depth)
        return [Signal(tick.symbol, Side.BUY, f"chaos {kind}", 1.0, tick.recv_ns, now, price)]
