"""The recent trades and aggregate trades of each symbol, for Binance's trade REST endpoints.

The hub hands every released batch of events to :meth:`TradeTape.record`; ``/api/v3/trades``,
``/api/v3/historicalTrades`` and ``/api/v3/aggTrades`` read the last ``keep`` of each kind.
"""

from __future__ import annotations

from collections import deque

from letrade_cli.sim.generator import AGG, TRADE, Event


class TradeTape:
    """Per symbol, the last ``keep`` trade events and aggregate-trade events."""

    def __init__(self, keep: int = 1000) -> None:
        self.keep = keep
        self.trades: dict[str, deque[Event]] = {}
        self.aggs: dict[str, deque[Event]] = {}

    def record(self, events: dict[str, list[Event]]) -> None:
        """Keep the trades among one slice's events."""
        for sym, evs in events.items():
            trades = self.trades.get(sym)
            aggs = self.aggs.get(sym)
            for ev in evs:
                kind = ev[0]
                if kind == TRADE:
                    if trades is None:
                        trades = self.trades[sym] = deque(maxlen=self.keep)
                    trades.append(ev)
                elif kind == AGG:
                    if aggs is None:
                        aggs = self.aggs[sym] = deque(maxlen=self.keep)
                    aggs.append(ev)

    def recent_trades(self, sym: str, limit: int, from_id: int | None = None) -> list[Event]:
        """Up to ``limit`` trades, oldest first: the newest, or those from ``from_id`` on."""
        tape = list(self.trades.get(sym, ()))
        if from_id is not None:
            return [ev for ev in tape if ev[2] >= from_id][:limit]
        return tape[-limit:]

    def recent_aggs(
        self,
        sym: str,
        limit: int,
        from_id: int | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[Event]:
        """Up to ``limit`` aggregate trades, oldest first, filtered like Binance's aggTrades."""
        tape = list(self.aggs.get(sym, ()))
        if from_id is not None:
            return [ev for ev in tape if ev[2] >= from_id][:limit]
        if start_ms is not None or end_ms is not None:
            lo = start_ms if start_ms is not None else 0
            hi = end_ms if end_ms is not None else 1 << 62
            return [ev for ev in tape if lo <= ev[1] <= hi][:limit]
        return tape[-limit:]
