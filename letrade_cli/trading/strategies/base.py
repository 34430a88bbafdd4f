"""The strategy interface: ticks in, signals out.

A strategy sees every tick of the symbols it trades (from the bus) and may read the latest price
of any symbol from the ``PriceCache`` through its ``StrategyContext``. It returns the signals the
tick caused; the risk layer decides whether and how much to trade. State must be bounded (deques
with a ``maxlen``), so a 24 h run keeps flat memory, and a pure function of the ticks seen, so a
resumed run rebuilds it by replaying the ticks before its cursor.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from letrade_cli.core.cache import PriceCache
from letrade_cli.core.orders import Side, Signal
from letrade_cli.core.tick import Tick


class StrategyContext:
    """What a strategy may read besides its ticks: the price cache (counted hits/misses)."""

    __slots__ = ("cache", "now_ns")

    def __init__(self, cache: PriceCache) -> None:
        self.cache = cache
        self.now_ns = 0

    def price(self, symbol: str) -> float | None:
        """The freshest price of ``symbol`` from the cache (mid, else last), or None."""
        tick = self.cache.get(symbol, self.now_ns or None)
        return None if tick is None else tick.price


class Strategy(Protocol):
    """Ticks in, signals out. ``name`` is stored in the ledger."""

    name: str

    def on_tick(self, tick: Tick, ctx: StrategyContext) -> Sequence[Signal]:
        """Signals caused by this tick (usually none)."""
        ...


def signal(symbol: str, side: Side, reason: str, tick: Tick) -> Signal:
    """A signal stamped with the tick's receive time and now (latency origin)."""
    return Signal(symbol, side, reason, 1.0, tick.recv_ns, time.perf_counter_ns())


def param(params: Mapping[str, Any], name: str, default: float, *, minimum: float = 0.0) -> float:
    """A numeric parameter from a profile, checked (``ConfigError`` naming the key)."""
    from letrade_cli.core.errors import ConfigError

    value = params.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"trading.strategy.params.{name} must be a number, got {value!r}"
        ) from None
    if number < minimum:
        raise ConfigError(f"trading.strategy.params.{name} must be at least {minimum:g}")
    return number
