"""Helpers shared by the dry-run tests: ticks, a paper account behind the OrderManager."""

from __future__ import annotations

from decimal import Decimal

from letrade_cli.core.cache import PriceCache
from letrade_cli.core.tick import Tick
from letrade_cli.trading.order_manager import OrderManager
from letrade_cli.trading.paper import PaperBroker
from letrade_cli.trading.portfolio import Portfolio
from letrade_cli.venues.registry import symbol_format

T0_NS = 1_763_769_600_000_000_000


def book(symbol: str, bid: float, ask: float, size: float | None = None, n: int = 0) -> Tick:
    return Tick("binance", symbol, "bookTicker", bid, ask, None, size, 0, T0_NS + n * 10**9, n)


def trade(symbol: str, price: float, n: int = 0) -> Tick:
    return Tick("binance", symbol, "trade", None, None, price, 1.0, 0, T0_NS + n * 10**9, n)


class PaperAccount:
    """A PaperBroker over a real PriceCache, driven through the OrderManager."""

    def __init__(self, cash: str = "10000", fee_bps: str = "10", slippage_bps: str = "10") -> None:
        self.cache = PriceCache(ttl_ns=None)
        self.portfolio = Portfolio("USDT", Decimal(cash))
        self.now_ms = 0
        self.broker = PaperBroker(
            self.portfolio,
            lambda s: self.cache.get(s),
            fee_bps=Decimal(fee_bps),
            slippage_bps=Decimal(slippage_bps),
            clock_ms=lambda: self.now_ms,
            split=symbol_format("binance").split,
        )
        self.manager = OrderManager(self.broker)
        self.events: list[tuple[str, str | None]] = []
        self.manager.add_listener(
            lambda s, f: self.events.append((s.status.value, None if f is None else str(f.price)))
        )

    def tick(self, tick: Tick) -> None:
        self.cache.put(tick.symbol, tick)
        self.now_ms = tick.recv_ns // 1_000_000
        self.broker.on_tick(tick)
