"""RSI mean reversion on closed bars: a limit entry below the close when oversold, a trailing stop.

The worked example of README's "Writing a strategy": bars of a declared timeframe, an indicator
from talipp fed one closed bar at a time, a post-only limit entry, and an exit held by the engine.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from letrade_cli.trading.strategies.api import Param, Strategy


class RsiReversion(Strategy):
    """Buy below the close when RSI is oversold; a trailing stop (and RSI overbought) exits."""

    name = "rsi-reversion"

    timeframe = Param("1m", help="bar timeframe (1s .. 1d)")
    period = Param(14, min=2, max=200, help="RSI period, in bars")
    oversold = Param(30.0, min=1.0, max=50.0, help="enter when RSI falls below this")
    overbought = Param(70.0, min=50.0, max=99.0, help="exit when RSI rises above this")
    entry_offset_bps = Param(10, min=0, max=500, help="limit entry this far below the close")
    trail_bps = Param(150, min=1, max=2000, help="trailing stop distance (100 = 1%)")
    quote = Param(Decimal("100"), min=Decimal("0"), help="quote amount per entry")

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        super().__init__(params)
        self.timeframes = (self.timeframe,)  # type: ignore[misc]  # the parameter decides
        self.rsi: dict[str, Any] = {}
        self.protected: set[str] = set()  # symbols whose position has its trailing stop

    def on_bar(self, bar: Any, ctx: Any) -> None:
        """One closed bar: update the RSI, then enter, or exit on overbought."""
        from talipp.indicators import RSI

        rsi = self.rsi.get(bar.symbol)
        if rsi is None:
            rsi = self.rsi[bar.symbol] = RSI(self.period)
        rsi.add(bar.close)
        value = rsi[-1] if len(rsi) else None
        if value is None:
            return  # still warming up
        position = ctx.position(bar.symbol)
        waiting = [o for o in ctx.open_orders(bar.symbol) if o.side.value == "BUY"]
        if not position.is_open and not waiting and value < self.oversold:
            price = Decimal(repr(bar.close)) * (1 - Decimal(self.entry_offset_bps) / 10_000)
            ctx.buy(bar.symbol, quote=self.quote, price=price, reason=f"rsi {value:.1f} oversold")
        elif position.is_open and value > self.overbought:
            ctx.close(bar.symbol, reason=f"rsi {value:.1f} overbought")

    def on_fill(self, fill: Any, ctx: Any) -> None:
        """An entry filled: protect it with a trailing stop held by the engine or the venue."""
        if fill.side.value == "BUY" and fill.symbol not in self.protected:
            self.protected.add(fill.symbol)  # one stop for the whole position, partial fills too
            ctx.trailing_stop(fill.symbol, self.trail_bps)
        elif fill.side.value == "SELL" and fill.position == 0:
            self.protected.discard(fill.symbol)
