"""The market generator: per symbol, a seeded random walk quoted by a market maker into the book.

Each symbol's :class:`SymbolFeed` owns an :class:`OrderBook`. A market maker keeps an inner
bid/ask around a fair value that walks in whole ticks, plus a ladder of deeper levels on a grid;
takers send market orders of bursty sizes that fill against the book. Every event is a tuple:

- ``(QUOTE, ms, u, bid, bid_qty, ask, ask_qty)`` after the top of book changed,
- ``(TRADE, ms, trade_id, price, qty, buyer_is_maker)`` for each fill,
- ``(AGG, ms, agg_id, price, qty, first_id, last_id, buyer_is_maker)`` per taker and price.

A symbol's events depend only on (seed, symbol), never on timing or on which other symbols are
active; the engine only decides *when* they are released, in time slices. User orders (the sim's
order routes, :mod:`letrade_cli.sim.orders`) rest in the same book with owner ``user``: every fill
is reported to the engine's ``fill_hook``, and the trades of user orders sent outside a slice are
queued (``record``) and released with the symbol's next events, so they reach the public streams.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from letrade_cli.sim.candles import price_ticks_at, symbol_key
from letrade_cli.sim.markets import Market
from letrade_cli.sim.orderbook import Fill, Order, OrderBook, OrderType, Side

QUOTE = 0
TRADE = 1
AGG = 2

Event = tuple[int, ...]

MM_INNER = "mm"
MM_LADDER = "mm-ladder"
TAKER = "taker"
USER = "user"

FillHook = Callable[["SymbolFeed", list[Fill], int, int], None]
"""Called as ``hook(feed, fills, first_trade_id, ms)`` after the fills got their trade ids."""


@dataclass(slots=True)
class Bar:
    """The live candle of the current minute (prices in ticks, volume in lots)."""

    open_ms: int = 0
    open: int = 0
    high: int = 0
    low: int = 0
    close: int = 0
    volume: int = 0
    quote_e8: int = 0
    taker_buy_volume: int = 0
    taker_buy_quote_e8: int = 0
    trades: int = 0
    first_id: int = -1
    last_id: int = -1


@dataclass(slots=True)
class FeedStats:
    """Running totals since the feed started."""

    trades: int = 0
    volume: int = 0
    quote_e8: int = 0
    high: int = 0
    low: int = 0
    first_id: int = -1


@dataclass(slots=True)
class _Ladder:
    prices: deque[int] = field(default_factory=deque)
    ids: dict[int, int] = field(default_factory=dict)


class SymbolFeed:
    """One symbol's market: book, market maker, takers, ids and the live candle."""

    def __init__(self, market: Market, seed: int, now_ms: int, levels: int = 20) -> None:
        self.market = market
        self.book = OrderBook()
        self.rng = random.Random(symbol_key(seed, market.symbol))
        self.levels = levels
        self.fv = price_ticks_at(market, seed, now_ms)
        self.sigma = max(0.7, self.fv * 1.2e-5)
        self.grid = max(1, round(self.fv * 8e-5))
        self.trade_lots = max(1.0, 400.0 / market.lot_usd)
        self.depth_lots = max(2.0, 4000.0 / market.lot_usd)
        self.trade_id = 1_000_000 + self.rng.randrange(1_000_000)
        self.agg_id = self.trade_id // 2
        self.last_price = self.fv
        self.last_qty = 0
        self.bar = Bar()
        self.stats = FeedStats(high=self.fv, low=self.fv)
        self.t_next = 0.0
        self.rate = 1.0
        self.idle_since: float | None = None
        self.active = False
        self.fill_hook: FillHook | None = None
        self.pending: list[Event] = []
        self._next_id = 1
        self._burst = False
        self._bid_id = 0
        self._ask_id = 0
        self._bids = _Ladder()
        self._asks = _Ladder()
        self._holes: list[int] = []
        self._last_top: tuple[int, int, int, int] | None = None
        self._requote(now_ms, [])
        self._last_top = self.book.top()

    def new_order_id(self) -> int:
        """A fresh order id for this book."""
        self._next_id += 1
        return self._next_id

    def skip_idle(self, now: float) -> None:
        """On reactivation, advance the ids past the trades nobody was listening to."""
        if self.idle_since is not None:
            missed = max(1, int((now - self.idle_since) * self.rate * 0.3))
            self.trade_id += missed
            self.agg_id += max(1, missed // 2)
            self.idle_since = None
        self.t_next = now

    def advance(self, now: float, wall_offset: float, max_events: int) -> list[Event]:
        """Release every event due by loop time ``now`` (at most ``max_events``)."""
        events: list[Event] = []
        if self.pending:
            events, self.pending = self.pending, events
        if self.t_next > now:
            return events
        rng = self.rng
        expo = rng.expovariate
        rand = rng.random
        inv_rate = 1.0 / self.rate
        t = self.t_next
        n = 0
        while t <= now and n < max_events:
            ms = int((t + wall_offset) * 1000)
            r = rand()
            if r < 0.3:
                self._trade(ms, events)
            elif r < 0.7:
                self._resize(ms, events)
            else:
                self._requote(ms, events)
            if rand() < 0.02:
                self._burst = not self._burst
            t += expo(1.0) * (0.25 if self._burst else 1.75) * inv_rate
            n += 1
        self.t_next = t if t > now else now
        return events

    def apply_fills(self, fills: list[Fill], ms: int, events: list[Event]) -> None:
        """Turn fills into trade and aggTrade events; update last price, candle and totals."""
        if not fills:
            return
        hook_first_id = self.trade_id + 1
        bar = self.bar
        stats = self.stats
        minute = ms - ms % 60_000
        if bar.open_ms != minute:
            self.bar = bar = Bar(minute, fills[0].price, fills[0].price, fills[0].price)
        price_e8 = self.market.price_e8
        qty_e8 = self.market.qty_e8
        group_start = 0
        for i, f in enumerate(fills):
            tid = self.trade_id = self.trade_id + 1
            buyer_maker = f.taker_side is Side.SELL
            events.append((TRADE, ms, tid, f.price, f.qty, buyer_maker))
            if f.maker_done and f.maker_owner == MM_LADDER:
                self._holes.append(f.price)
            p = f.price
            quote_e8 = f.qty * qty_e8 * p * price_e8 // 100_000_000
            if p > bar.high:
                bar.high = p
            if p < bar.low or bar.low == 0:
                bar.low = p
            bar.close = p
            bar.volume += f.qty
            bar.quote_e8 += quote_e8
            if not buyer_maker:
                bar.taker_buy_volume += f.qty
                bar.taker_buy_quote_e8 += quote_e8
            bar.trades += 1
            if bar.first_id < 0:
                bar.first_id = tid
            bar.last_id = tid
            stats.trades += 1
            stats.volume += f.qty
            stats.quote_e8 += quote_e8
            stats.high = max(stats.high, p)
            stats.low = min(stats.low, p)
            if stats.first_id < 0:
                stats.first_id = tid
            last = i + 1 == len(fills) or fills[i + 1].price != p
            if last:
                qty = sum(x.qty for x in fills[group_start : i + 1])
                self.agg_id += 1
                first_tid = tid - (i - group_start)
                events.append((AGG, ms, self.agg_id, p, qty, first_tid, tid, buyer_maker))
                group_start = i + 1
        self.last_price = fills[-1].price
        self.last_qty = fills[-1].qty
        if self.fill_hook is not None:
            self.fill_hook(self, fills, hook_first_id, ms)

    def record(self, fills: list[Fill], ms: int) -> None:
        """Account for fills made outside a slice (a user order): queue their events if active."""
        events: list[Event] = self.pending if self.active else []
        self.apply_fills(fills, ms, events)
        self._emit_top(ms, events)

    def _emit_top(self, ms: int, events: list[Event]) -> None:
        top = self.book.top()
        if top is not None and top != self._last_top:
            self._last_top = top
            events.append((QUOTE, ms, self.book.update_id, *top))

    def _trade(self, ms: int, events: list[Event]) -> None:
        rng = self.rng
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        size = self.trade_lots * rng.expovariate(1.0)
        if rng.random() < 0.04:
            size *= 25
        order = Order(self.new_order_id(), side, max(1, int(size)), None, OrderType.MARKET, TAKER)
        if not self.book.top():
            return
        self.apply_fills(self.book.submit(order), ms, events)
        self._emit_top(ms, events)

    def _resize(self, ms: int, events: list[Event]) -> None:
        oid = self._bid_id if self.rng.random() < 0.5 else self._ask_id
        if not self.book.amend(oid, self._size(1.0)):
            self._requote(ms, events)
            return
        self._emit_top(ms, events)

    def _size(self, scale: float) -> int:
        return max(1, int(self.depth_lots * scale * (0.2 + self.rng.random() * 1.6)))

    def _requote(self, ms: int, events: list[Event]) -> None:
        rng = self.rng
        self.fv = max(10, self.fv + round(rng.gauss(0.0, self.sigma)))
        spread = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
        bid = self.fv - spread // 2
        ask = bid + spread
        book = self.book
        self._trim_ladders(bid, ask)
        old_ask = book.get(self._ask_id)
        old_bid = book.get(self._bid_id)
        new_ask = old_ask is None or old_ask.price != ask
        new_bid = old_bid is None or old_bid.price != bid
        if new_ask:
            book.cancel(self._ask_id)
        if new_bid:
            book.cancel(self._bid_id)
        fills: list[Fill] = []
        if new_ask:
            self._ask_id = self.new_order_id()
            fills += book.submit(
                Order(self._ask_id, Side.SELL, self._size(0.5), ask, owner=MM_INNER)
            )
        if new_bid:
            self._bid_id = self.new_order_id()
            fills += book.submit(
                Order(self._bid_id, Side.BUY, self._size(0.5), bid, owner=MM_INNER)
            )
        self._fill_ladders(bid, ask)
        self.apply_fills(fills, ms, events)
        self._emit_top(ms, events)

    def _trim_ladders(self, bid: int, ask: int) -> None:
        book = self.book
        bids, asks = self._bids, self._asks
        while bids.prices and bids.prices[0] >= bid:
            book.cancel(bids.ids.pop(bids.prices.popleft()))
        while asks.prices and asks.prices[0] <= ask:
            book.cancel(asks.ids.pop(asks.prices.popleft()))

    def _fill_ladders(self, bid: int, ask: int) -> None:
        g = self.grid
        n = self.levels
        book = self.book
        for ladder, sign, top in (
            (self._bids, -1, (bid - 1) // g * g),
            (self._asks, 1, (ask // g + 1) * g),
        ):
            prices, ids = ladder.prices, ladder.ids
            p = prices[0] - sign * g if prices else top + sign * g * (n - 1)
            while (p <= top) if sign < 0 else (p >= top):
                if p > 0:
                    prices.appendleft(p)
                    ids[p] = self._place(Side.BUY if sign < 0 else Side.SELL, p)
                p -= sign * g
            while len(prices) > n:
                book.cancel(ids.pop(prices.pop()))
        for p in self._holes:
            ladder = self._bids if p < bid else self._asks
            oid = ladder.ids.get(p)
            if oid is not None and oid not in book:
                ladder.ids[p] = self._place(Side.BUY if p < bid else Side.SELL, p)
        self._holes.clear()

    def _place(self, side: Side, price: int) -> int:
        oid = self.new_order_id()
        self.book.submit(Order(oid, side, self._size(1.0), price, owner=MM_LADDER))
        return oid


class MarketEngine:
    """Every symbol's feed, and the share of the aggregate rate each active one gets."""

    def __init__(self, markets: dict[str, Market], seed: int, rate: float) -> None:
        self.markets = markets
        self.seed = seed
        self.rate = max(1.0, rate)
        self.feeds: dict[str, SymbolFeed] = {}
        self.active: set[str] = set()
        self.wanted: set[str] = set()
        self.pinned: set[str] = set()
        self.fill_hook: FillHook | None = None

    def feed(self, symbol: str, now_ms: int) -> SymbolFeed:
        """The feed of a listed symbol, created on first use."""
        feed = self.feeds.get(symbol)
        if feed is None:
            feed = self.feeds[symbol] = SymbolFeed(self.markets[symbol], self.seed, now_ms)
            feed.fill_hook = self.fill_hook
        return feed

    def set_fill_hook(self, hook: FillHook | None) -> None:
        """Report every fill of every feed (existing and future) to ``hook``."""
        self.fill_hook = hook
        for feed in self.feeds.values():
            feed.fill_hook = hook

    def pin(self, symbols: set[str], now: float, now_ms: int) -> None:
        """Keep these symbols generating (they have resting user orders) even if nobody listens."""
        if symbols != self.pinned:
            self.pinned = set(symbols)
            self.set_active(self.wanted, now, now_ms)

    def set_active(self, symbols: set[str], now: float, now_ms: int) -> None:
        """Generate for these symbols (plus the pinned ones) from loop time ``now`` on."""
        self.wanted = set(symbols)
        symbols = self.wanted | self.pinned
        for sym in self.active - symbols:
            self.feeds[sym].idle_since = now
            self.feeds[sym].active = False
        for sym in symbols - self.active:
            feed = self.feed(sym, now_ms)
            feed.skip_idle(now)
            feed.active = True
        self.active = set(symbols)
        per_symbol = self.rate / max(1, len(self.active))
        for sym in self.active:
            self.feeds[sym].rate = per_symbol

    def step(
        self, now: float, wall_offset: float, max_backlog_s: float = 0.25
    ) -> dict[str, list[Event]]:
        """Events due by loop time ``now`` for each active symbol that has any."""
        out: dict[str, list[Event]] = {}
        for sym in self.active:
            feed = self.feeds[sym]
            events = feed.advance(now, wall_offset, int(feed.rate * max_backlog_s) + 2)
            if events:
                out[sym] = events
        return out
