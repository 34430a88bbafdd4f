"""The sim's order engine: user orders matched in the generator's books, balances, fees, trades.

Each venue's sim dialect validates a request in the venue's terms, then calls
:meth:`OrderEngine.place` on its own account. A user order goes
into the symbol's :class:`~letrade_cli.sim.orderbook.OrderBook` with owner ``user``: a market
order walks the levels; a limit order takes what crosses and rests (GTC) or expires (IOC; FOK
only when it can fill completely). A resting order fills when the generator's takers or the market
maker's requotes cross it: the feed reports every fill to :meth:`OrderEngine.on_fills`, which is
the one place where user orders, balances and trades change. Symbols with resting user orders keep
generating market activity (they are pinned) even when nobody subscribes to them.

How an account is charged and matched comes from its dialect, as
:class:`~letrade_cli.sim.accounts.AccountRules`. Balances: a limit buy locks ``price x qty`` of
the quote asset (plus the fee where the fee is paid in quote, ``fee_in_quote``), a sell locks the
quantity; each fill releases its share of the lock and pays the actual amount; a closed order
releases what is left. Fees: ``fee_rate`` of what is received (base on a buy, quote on a sell),
or with ``fee_in_quote`` of the quote amount, on top of a buy; rounded down to 1e-8. Self-trades:
with ``self_trade_prevention`` a taker expires the account's own resting orders within its reach
(EXPIRE_MAKER, status ``EXPIRED_IN_MATCH``; a market order reaches as deep as its quantity walks
the book without them); without it the account's orders may trade with each other.

Fault injection for the order routes (for the order path's tests) lives on ``SimExchange``:

- ``sim.timeout_next_orders(n=1, hold_s=30.0)``: the next ``n`` order requests are *accepted*
  (the order is placed or cancelled) but get no answer: the response is held ``hold_s`` and the
  connection is then dropped (a client timeout shorter than ``hold_s`` fires first).
- ``sim.fail_next_orders(n=1, status=503, after_accept=False)``: the next ``n`` order requests
  answer ``status``; with ``after_accept=True`` the order was placed first (the 5xx hides it).
- ``sim.throttle_next_orders(n=1, retry_after_s=1)``: the next ``n`` order requests answer 429
  with ``Retry-After`` (in each dialect's own error body); nothing is placed.

"Order requests" are the routes that change orders (each dialect marks its own: placing,
cancelling); lookups (``GET``) are never faulted, so a client can always find out what happened.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid as uuidlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from letrade_cli.core.triggers import StopTrigger
from letrade_cli.sim.accounts import ZERO, Account, AccountRules, InsufficientBalance
from letrade_cli.sim.generator import USER, MarketEngine, SymbolFeed
from letrade_cli.sim.markets import Market
from letrade_cli.sim.orderbook import Fill
from letrade_cli.sim.orderbook import Order as BookOrder
from letrade_cli.sim.orderbook import OrderType as BookType
from letrade_cli.sim.orderbook import Side as BookSide

E8 = Decimal("0.00000001")

BUY = "BUY"
SELL = "SELL"
LIMIT = "LIMIT"
MARKET = "MARKET"

NEW = "NEW"
PARTIALLY_FILLED = "PARTIALLY_FILLED"
FILLED = "FILLED"
CANCELED = "CANCELED"
EXPIRED = "EXPIRED"
EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"
OPEN_STATES = (NEW, PARTIALLY_FILLED)


def now_ms() -> int:
    """Wall-clock ms."""
    return time.time_ns() // 1_000_000


def fee_of(amount: Decimal, rate: Decimal) -> Decimal:
    """``amount x rate`` rounded down to 1e-8."""
    return (amount * rate).quantize(E8, rounding=ROUND_DOWN)


class DuplicateOrder(Exception):
    """An open order already has this client order id."""


@dataclass(slots=True)
class SimTrade:
    """One fill of a user order, as the account's trade list shows it."""

    trade_id: int
    order_id: int
    symbol: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    is_buyer: bool
    is_maker: bool


@dataclass(slots=True)
class SimOrder:
    """A user order and everything that happened to it."""

    venue: str
    order_id: int
    uuid: str
    client_id: str
    market: Market
    side: str
    type: str
    tif: str
    price: Decimal | None
    orig_qty: Decimal
    quote_qty: Decimal
    time_ms: int
    update_ms: int = 0
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    paid_fee: Decimal = ZERO
    status: str = NEW
    book_id: int = 0
    lock_asset: str = ""
    locked_left: Decimal = ZERO
    reserved_fee: Decimal = ZERO
    trades: list[SimTrade] = field(default_factory=list)
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    trigger: StopTrigger | None = None
    working_ms: int = -1
    order_list: OrderList | None = None

    @property
    def order_list_id(self) -> int:
        """The id of its order list, -1 when it is in none."""
        return self.order_list.list_id if self.order_list is not None else -1

    @property
    def untriggered(self) -> bool:
        """A conditional order waiting for its trigger (open, not in the book)."""
        return self.trigger is not None and not self.trigger.fired and self.is_open

    @property
    def symbol(self) -> str:
        """The venue's symbol."""
        return self.market.symbol

    @property
    def is_open(self) -> bool:
        """Whether the order can still fill."""
        return self.status in OPEN_STATES

    @property
    def remaining_qty(self) -> Decimal:
        """Quantity not filled yet."""
        return self.orig_qty - self.executed_qty


@dataclass(slots=True, eq=False)
class OrderList:
    """Two orders where one filling or triggering cancels the other (OCO)."""

    venue: str
    list_id: int
    client_id: str
    symbol: str
    orders: list[SimOrder]
    time_ms: int
    update_ms: int = 0
    done: bool = False

    @property
    def is_open(self) -> bool:
        """Whether a leg can still execute."""
        return not self.done


ListListener = Callable[[OrderList], None]


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What listeners (the user data stream) hear: an order changed, maybe by a trade."""

    order: SimOrder
    exec_type: str
    trade: SimTrade | None
    assets: tuple[str, ...]
    time_ms: int


Listener = Callable[[OrderUpdate], None]


class OrderEngine:
    """Places, matches, cancels and looks up user orders on every venue's account.

    ``accounts`` and their ``rules`` (same keys) open accounts at once; :meth:`open_account`
    opens one more.
    """

    def __init__(
        self,
        market: MarketEngine,
        accounts: Mapping[str, Account] | None = None,
        rules: Mapping[str, AccountRules] | None = None,
    ) -> None:
        self.market = market
        self.accounts: dict[str, Account] = {}
        self.rules: dict[str, AccountRules] = {}
        self.orders: dict[str, dict[int, SimOrder]] = {}
        self.by_uuid: dict[str, SimOrder] = {}
        # venue -> client id -> the open order that has it (oldest first): O(1) duplicate checks
        self._open: dict[str, dict[str, SimOrder]] = {}
        self.trades: dict[str, list[SimTrade]] = {}
        self.order_lists: dict[str, dict[int, OrderList]] = {}
        for name, account in (accounts or {}).items():
            self.open_account(name, account, (rules or {})[name])
        self.listeners: list[Listener] = []
        self.list_listeners: list[ListListener] = []
        self._list_ids = itertools.count(1)
        self._resting: dict[tuple[str, int], SimOrder] = {}
        # symbol -> untriggered conditional orders (oldest first); empty when there are none
        self._stops: dict[str, list[SimOrder]] = {}
        self._ids = itertools.count(10_000)
        self._pins_due = False
        self._pending_list: OrderList | None = None
        market.set_fill_hook(self.on_fills)

    def open_account(self, venue: str, account: Account, rules: AccountRules) -> None:
        """Add ``venue``'s account, charged and matched by ``rules``."""
        if venue in self.accounts:
            raise ValueError(f"the sim already has an account {venue!r}")
        self.accounts[venue] = account
        self.rules[venue] = rules
        self.orders[venue] = {}
        self.order_lists[venue] = {}
        self._open[venue] = {}
        self.trades[venue] = []

    # ---- queries -------------------------------------------------------------------------

    def find(
        self,
        venue: str,
        *,
        symbol: str | None = None,
        order_id: int | None = None,
        client_id: str | None = None,
        uuid: str | None = None,
    ) -> SimOrder | None:
        """The order with this id (or the newest with this client id), on ``symbol`` if given."""
        found: SimOrder | None = None
        if uuid is not None:
            found = self.by_uuid.get(uuid)
            if found is not None and found.venue != venue:
                found = None
        elif order_id is not None:
            found = self.orders[venue].get(order_id)
        elif client_id is not None:
            for o in reversed(self.orders[venue].values()):
                if o.client_id == client_id and (symbol is None or o.symbol == symbol):
                    found = o
                    break
        if found is not None and symbol is not None and found.symbol != symbol:
            return None
        if found is not None and client_id is not None and found.client_id != client_id:
            return None
        return found

    def open_orders(self, venue: str, symbol: str | None = None) -> list[SimOrder]:
        """Open orders, oldest first."""
        return [o for o in self._open[venue].values() if symbol is None or o.symbol == symbol]

    def fee_rate(self, venue: str) -> Decimal:
        """The venue's commission rate (maker = taker)."""
        return self.rules[venue].fee_rate

    def levels(self, market: Market, side: str, venue: str | None = None) -> list[tuple[int, int]]:
        """The ``(ticks, lots)`` levels a ``side`` taker meets, best first.

        With a ``venue`` whose rules prevent self-trades, its own resting orders are left out
        (self-trade prevention expires them instead of trading with them).
        """
        feed = self.market.feed(market.symbol, now_ms())
        bids, asks = feed.book.depth(1 << 30)
        levels = asks if side == BUY else bids
        if venue is None or not self._resting or not self.rules[venue].self_trade_prevention:
            return levels
        own: dict[int, int] = {}
        for o in self._resting.values():
            resting = feed.book.get(o.book_id) if o.symbol == market.symbol else None
            if o.venue == venue and o.side != side and resting is not None and resting.price:
                own[resting.price] = own.get(resting.price, 0) + resting.qty
        if not own:
            return levels
        return [(p, q - own.get(p, 0)) for p, q in levels if q > own.get(p, 0)]

    def walk_cost(
        self, market: Market, side: str, lots: int, limit: int | None, venue: str | None = None
    ) -> Decimal:
        """Quote amount that ``lots`` would trade for against the book now (what is available)."""
        cost = ZERO
        for price, qty in self.levels(market, side, venue):
            if lots <= 0 or (
                limit is not None and (price > limit if side == BUY else price < limit)
            ):
                break
            take = min(qty, lots)
            cost += market.price_decimal(price) * market.step * take
            lots -= take
        return cost

    def available_lots(
        self, market: Market, side: str, limit: int | None, venue: str | None = None
    ) -> int:
        """Lots on the opposite side at ``limit`` or better (everything when None)."""
        total = 0
        for price, qty in self.levels(market, side, venue):
            if limit is not None and (price > limit if side == BUY else price < limit):
                break
            total += qty
        return total

    def lots_for_quote(
        self, market: Market, side: str, quote: Decimal, venue: str | None = None
    ) -> int:
        """How many lots ``quote`` of the quote asset buys (or a sell fetches) walking the book."""
        lots = 0
        left = quote
        for price, qty in self.levels(market, side, venue):
            lot_value = market.price_decimal(price) * market.step
            n = min(qty, int(left / lot_value))
            lots += n
            left -= lot_value * n
            if n < qty:
                break
        return lots

    # ---- commands ------------------------------------------------------------------------

    def place(
        self,
        venue: str,
        market: Market,
        side: str,
        type_: str,
        *,
        qty: Decimal,
        price: Decimal | None = None,
        tif: str = "GTC",
        client_id: str = "",
        quote_qty: Decimal = ZERO,
        lock: Decimal | None = None,
        trigger: StopTrigger | None = None,
    ) -> SimOrder:
        """Accept, match and (for GTC limit orders) rest one order; returns it after matching.

        ``qty`` must be a whole number of lots and ``price`` of ticks (the dialects check the
        filters first). ``lock`` overrides the amount to lock (a market buy: its walk cost).
        With a ``trigger`` the order is conditional: it waits (open, out of the book, its lock
        held) until the symbol's last trade prices fire the trigger, then it is matched as a
        limit order at ``price`` (with ``tif``) or, without a price, as a market order.

        Raises:
            DuplicateOrder: An open order on this venue has ``client_id``.
            InsufficientBalance: The account cannot lock what the order needs.
        """
        account = self.accounts[venue]
        if client_id and client_id in self._open[venue]:
            raise DuplicateOrder(client_id)
        rules = self.rules[venue]
        rate = rules.fee_rate
        fee_in_quote = rules.fee_in_quote
        if side == BUY:
            asset = market.quote
            if lock is None:
                assert price is not None
                lock = price * qty
            reserved = fee_of(lock, rate) if fee_in_quote else ZERO
            amount = lock + reserved
        else:
            asset, amount, reserved = market.base, qty if lock is None else lock, ZERO
        account.lock(asset, amount)  # raises InsufficientBalance
        ms = now_ms()
        oid = next(self._ids)
        order = SimOrder(
            venue=venue,
            order_id=oid,
            uuid=str(uuidlib.uuid4()),
            client_id=client_id or f"sim-{oid}",
            market=market,
            side=side,
            type=type_,
            tif=tif,
            price=price,
            orig_qty=qty,
            quote_qty=quote_qty,
            time_ms=ms,
            update_ms=ms,
            lock_asset=asset,
            locked_left=amount,
            reserved_fee=reserved,
            trigger=trigger,
        )
        pending = self._pending_list
        if pending is not None:
            order.order_list = pending
            pending.orders.append(order)
        if trigger is not None:
            order.stop_price = trigger.stop_price
            order.trailing_delta = trigger.trailing_delta
        self.orders[venue][oid] = order
        self.by_uuid[order.uuid] = order
        self._open[venue][order.client_id] = order
        account.update_ms = ms
        self._emit(order, "NEW", None, ms)
        feed = self.market.feed(market.symbol, ms)
        if trigger is not None:
            if trigger.trailing:  # a trailing stop follows from the last price
                trigger.update(market.price_decimal(feed.last_price))
            if not trigger.fired:
                self._stops.setdefault(market.symbol, []).append(order)
                self._schedule_pins()
                return order
        self._match(order, feed, ms)
        return order

    def _match(self, order: SimOrder, feed: SymbolFeed, ms: int) -> None:
        """Match a working order (rest a GTC limit order, expire what cannot rest)."""
        market, side, price, tif = order.market, order.side, order.price, order.tif
        venue = order.venue
        rules = self.rules[venue]
        order.working_ms = ms
        lots = int(order.remaining_qty / market.step)
        ticks = int(price / market.tick) if price is not None else None
        if rules.self_trade_prevention:
            self._prevent_self_trade(order, feed, lots, ticks, ms)
        if tif == "FOK" and self.available_lots(market, side, ticks, venue) < lots:
            self._close(order, EXPIRED, ms)
            return
        rests = price is not None and tif == "GTC"
        if lots <= 0:
            self._close(order, EXPIRED, ms)
            return
        order.book_id = feed.new_order_id()
        self._resting[(market.symbol, order.book_id)] = order
        book_order = BookOrder(
            order.book_id,
            BookSide.BUY if side == BUY else BookSide.SELL,
            lots,
            ticks,
            BookType.LIMIT if rests else BookType.MARKET,
            USER,
        )
        fills = feed.book.submit(book_order)
        feed.record(fills, ms)  # -> on_fills for this order and any user maker it crossed
        if order.is_open and not (rests and order.book_id in feed.book):
            self._close(order, EXPIRED, ms)
        self._schedule_pins()

    def feed_price(self, symbol: str, price: Decimal) -> None:
        """Test hook: a last trade price for the symbol's conditional orders (nothing trades)."""
        ms = now_ms()
        feed = self.market.feed(symbol, ms)
        self._check_stops(feed, [price], ms)

    def _check_stops(self, feed: SymbolFeed, prices: list[Decimal], ms: int) -> None:
        """Feed the last trade prices to the symbol's triggers; match the orders that fire."""
        waiting = self._stops.get(feed.market.symbol)
        if not waiting:
            return
        fired = []
        for order in list(waiting):
            trigger = order.trigger
            assert trigger is not None
            for p in prices:
                if trigger.update(p):
                    fired.append(order)
                    break
        for order in fired:
            self._trigger(order, feed, ms)

    def _trigger(self, order: SimOrder, feed: SymbolFeed, ms: int) -> None:
        """A conditional order fired: it leaves the waiting list and is matched."""
        self._unstop(order)
        if not order.is_open:
            return
        if order.order_list is not None:
            self._oco_fired(order, ms)
        if order.side == BUY and order.price is None:  # a market buy locks its walk cost now
            account = self.accounts[order.venue]
            lots = int(order.remaining_qty / order.market.step)
            cost = self.walk_cost(order.market, BUY, lots, None, order.venue)
            reserved = fee_of(cost, self.rules[order.venue].fee_rate)
            amount = cost + (reserved if self.rules[order.venue].fee_in_quote else ZERO)
            account.release(order.lock_asset, order.locked_left)
            order.locked_left = ZERO
            try:
                account.lock(order.lock_asset, amount)
            except InsufficientBalance:
                self._close(order, EXPIRED, ms)
                return
            order.locked_left = amount
            order.reserved_fee = reserved if self.rules[order.venue].fee_in_quote else ZERO
        self._match(order, feed, ms)

    def _unstop(self, order: SimOrder) -> None:
        waiting = self._stops.get(order.symbol)
        if waiting is not None and order in waiting:
            waiting.remove(order)
            if not waiting:
                del self._stops[order.symbol]

    def place_oco(
        self, venue: str, market: Market, legs: list[dict[str, object]], client_id: str = ""
    ) -> OrderList:
        """Place two legs (``place`` keyword arguments, ``side`` and ``type_`` included) as an OCO.

        The legs share one lock: the second locks only what it needs beyond the first; when a leg
        fills or triggers, the other is canceled and its lock moves to the executing leg.

        Raises:
            DuplicateOrder, InsufficientBalance: As :meth:`place` (nothing is placed).
        """
        account = self.accounts[venue]
        needs = []
        for leg in legs:
            qty = leg["qty"]
            price = leg.get("price")
            assert isinstance(qty, Decimal)
            if leg["side"] == BUY:
                needs.append(price * qty if isinstance(price, Decimal) else ZERO)
            else:
                needs.append(qty)
        asset = market.quote if legs[0]["side"] == BUY else market.base
        if max(needs) > account.holding(asset).free:
            raise InsufficientBalance(asset)
        ids = [str(leg.get("client_id") or "") for leg in legs]
        if any(c and c in self._open[venue] for c in ids) or (ids[0] and ids[0] == ids[1]):
            raise DuplicateOrder(ids[0])
        ms = now_ms()
        lid = next(self._list_ids)
        olist = OrderList(venue, lid, client_id or f"sim-list-{lid}", market.symbol, [], ms, ms)
        self.order_lists[venue][lid] = olist
        self._pending_list = olist
        try:
            first = dict(legs[0], lock=needs[0])
            second = dict(legs[1], lock=max(ZERO, needs[1] - needs[0]))
            for leg in (first, second):
                side, type_ = leg.pop("side"), leg.pop("type_")
                self.place(venue, market, side, type_, **leg)  # type: ignore[arg-type]
        finally:
            self._pending_list = None
        self._emit_list(olist)
        return olist

    def _oco_fired(self, order: SimOrder, ms: int) -> None:
        """A leg of an open OCO executes: cancel the other leg, moving its lock to this one."""
        olist = order.order_list
        if olist is None or olist.done:
            return
        olist.done = True
        olist.update_ms = ms
        for other in olist.orders:
            if other is order or not other.is_open:
                continue
            if other.lock_asset == order.lock_asset:
                order.locked_left += other.locked_left
                other.locked_left = ZERO
            self._unstop(other)
            if other.book_id:
                self.market.feed(other.symbol, ms).book.cancel(other.book_id)
            self._close(other, CANCELED, ms)
        self._emit_list(olist)

    def cancel_list(self, olist: OrderList) -> OrderList:
        """Cancel every open leg of an order list."""
        ms = now_ms()
        olist.done = True
        olist.update_ms = ms
        for o in olist.orders:
            if o.is_open:
                if o.book_id:
                    self.market.feed(o.symbol, ms).book.cancel(o.book_id)
                self._close(o, CANCELED, ms)
        self._schedule_pins()
        self._emit_list(olist)
        return olist

    def _emit_list(self, olist: OrderList) -> None:
        for listener in list(self.list_listeners):
            listener(olist)

    def _prevent_self_trade(
        self, taker: SimOrder, feed: SymbolFeed, lots: int, ticks: int | None, ms: int
    ) -> None:
        """Self-trade prevention (EXPIRE_MAKER): expire our own resting orders the taker reaches."""
        buy = taker.side == BUY
        reach = ticks
        if reach is None:  # a market order reaches as deep as its quantity walks
            left = lots
            for price, qty in self.levels(taker.market, taker.side, taker.venue):
                reach = price
                left -= qty
                if left <= 0:
                    break
        if reach is None:
            return
        for maker in list(self._resting.values()):
            if maker.venue != taker.venue or maker.symbol != taker.symbol or maker is taker:
                continue
            resting = feed.book.get(maker.book_id)
            if maker.side == taker.side or resting is None or resting.price is None:
                continue
            if (resting.price <= reach) if buy else (resting.price >= reach):
                feed.book.cancel(maker.book_id)
                self._close(maker, EXPIRED_IN_MATCH, ms)

    def cancel(self, order: SimOrder) -> SimOrder:
        """Cancel an open order (a leg of an open list: the whole list); returns it (CANCELED)."""
        if order.order_list is not None and not order.order_list.done:
            self.cancel_list(order.order_list)
            return order
        ms = now_ms()
        feed = self.market.feed(order.symbol, ms)
        if order.book_id:
            feed.book.cancel(order.book_id)
        self._close(order, CANCELED, ms)
        self._schedule_pins()
        return order

    # ---- matching ------------------------------------------------------------------------

    def on_fills(self, feed: SymbolFeed, fills: list[Fill], first_tid: int, ms: int) -> None:
        """The feed's fill hook: apply every fill that involves a user order, then the triggers."""
        if self._stops:
            self._on_fills(feed, fills, first_tid, ms)
            if feed.market.symbol in self._stops:
                price = feed.market.price_decimal
                self._check_stops(feed, [price(f.price) for f in fills], ms)
        elif self._resting:
            self._on_fills(feed, fills, first_tid, ms)

    def _on_fills(self, feed: SymbolFeed, fills: list[Fill], first_tid: int, ms: int) -> None:
        if not self._resting:
            return
        sym = feed.market.symbol
        resting = self._resting
        for i, f in enumerate(fills):
            taker = resting.get((sym, f.taker_id))
            maker = resting.get((sym, f.maker_id)) if f.maker_owner == USER else None
            if taker is None and maker is None:
                continue
            tid = first_tid + i
            price = feed.market.price_decimal(f.price)
            qty = feed.market.step * f.qty
            if maker is not None:
                self._fill(maker, tid, price, qty, True, ms)
            if taker is not None:
                self._fill(taker, tid, price, qty, False, ms)

    def _fill(
        self, order: SimOrder, tid: int, price: Decimal, qty: Decimal, maker: bool, ms: int
    ) -> None:
        if order.order_list is not None and not order.order_list.done:
            self._oco_fired(order, ms)
        account = self.accounts[order.venue]
        m = order.market
        rules = self.rules[order.venue]
        rate = rules.fee_rate
        quote = price * qty
        buy = order.side == BUY
        if buy:
            if not rules.fee_in_quote:
                fee, fee_asset = fee_of(qty, rate), m.base
                cost, release = quote, (order.price * qty if order.price is not None else quote)
                account.note_buy(m.base, qty - fee, price)
                account.credit(m.base, qty - fee)
            else:
                fee, fee_asset = fee_of(quote, rate), m.quote
                cost = quote + fee
                base = order.price * qty if order.price is not None else quote
                release = base + fee_of(base, rate)
                account.note_buy(m.base, qty, price)
                account.credit(m.base, qty)
            release = min(release, order.locked_left)
            order.locked_left -= release
            account.spend_locked(m.quote, release)
            account.credit(m.quote, release - cost)
        else:
            fee, fee_asset = fee_of(quote, rate), m.quote
            release = min(qty, order.locked_left)
            order.locked_left -= release
            account.spend_locked(m.base, release)
            account.credit(m.quote, quote - fee)
        order.executed_qty += qty
        order.cum_quote += quote
        order.paid_fee += fee
        order.update_ms = ms
        account.update_ms = ms
        trade = SimTrade(
            tid, order.order_id, m.symbol, price, qty, quote, fee, fee_asset, ms, buy, maker
        )
        order.trades.append(trade)
        self.trades[order.venue].append(trade)
        if order.executed_qty >= order.orig_qty:
            order.status = FILLED
            self._finish(order)
        else:
            order.status = PARTIALLY_FILLED
        self._emit(order, "TRADE", trade, ms)

    def _close(self, order: SimOrder, status: str, ms: int) -> None:
        order.status = status
        order.update_ms = ms
        self._finish(order)
        self.accounts[order.venue].update_ms = ms
        exec_type = {CANCELED: "CANCELED", EXPIRED_IN_MATCH: "TRADE_PREVENTION"}.get(
            status, "EXPIRED"
        )
        self._emit(order, exec_type, None, ms)

    def _finish(self, order: SimOrder) -> None:
        """Release what is left of the lock; forget the book id and the open client id."""
        self._open[order.venue].pop(order.client_id, None)
        if order.trigger is not None and self._stops:
            self._unstop(order)
        if order.locked_left:
            self.accounts[order.venue].release(order.lock_asset, order.locked_left)
            order.locked_left = ZERO
        self._resting.pop((order.symbol, order.book_id), None)
        self._schedule_pins()

    def _emit(self, order: SimOrder, exec_type: str, trade: SimTrade | None, ms: int) -> None:
        if not self.listeners:
            return
        update = OrderUpdate(order, exec_type, trade, (order.market.base, order.market.quote), ms)
        for listener in list(self.listeners):
            listener(update)

    def _schedule_pins(self) -> None:
        if self._pins_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._pins_due = True
        loop.call_soon(self._update_pins)

    def _update_pins(self) -> None:
        self._pins_due = False
        symbols = {o.symbol for o in self._resting.values()} | set(self._stops)
        self.market.pin(symbols, asyncio.get_running_loop().time(), now_ms())


__all__ = [
    "BUY",
    "CANCELED",
    "EXPIRED",
    "EXPIRED_IN_MATCH",
    "FILLED",
    "LIMIT",
    "MARKET",
    "NEW",
    "PARTIALLY_FILLED",
    "SELL",
    "DuplicateOrder",
    "InsufficientBalance",
    "OrderEngine",
    "OrderList",
    "OrderUpdate",
    "SimOrder",
    "SimTrade",
]
