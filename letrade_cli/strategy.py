"""What a strategy file imports: ``from letrade_cli.strategy import Strategy, Param, Signal, Side``.

The public, stable names for writing a strategy (``letrade strategy new NAME`` writes one).
"""

from __future__ import annotations

from letrade_cli.core.orders import OrderType, Side, Signal, TimeInForce
from letrade_cli.core.tick import Tick
from letrade_cli.trading.bars import Bar, BarSeries
from letrade_cli.trading.context import FillView, PositionView, RunContext
from letrade_cli.trading.strategies.api import Param, Strategy

__all__ = [
    "Bar",
    "BarSeries",
    "FillView",
    "OrderType",
    "Param",
    "PositionView",
    "RunContext",
    "Side",
    "Signal",
    "Strategy",
    "Tick",
    "TimeInForce",
]
