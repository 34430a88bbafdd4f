"""The paper broker: a ``TradingVenue`` that fills orders against the live (or replayed) book.

Fill model (documented for users in the README):

* A buy takes the ask, a sell the bid; when a tick has no book (trades, candles) the last price
  is the touch.
* Depth: the tick's ``size`` (the top-of-book size from bookTicker/orderbook) is what the touch
  can absorb. Beyond it the book is unknown, so we model it: level ``k`` (k = 1, 2, ...) holds the
  same size again at ``touch · (1 ± k · slippage_bps / 10^4)``. An order walks the levels and gets
  one fill per level (partial fills), at most ``MAX_LEVELS`` levels; a market order that does not
  fill within them ends ``EXPIRED`` with what it got. When the size is unknown the whole quantity
  fills at ``touch · (1 ± slippage_bps / 10^4)``.
* A limit order that is marketable on arrival takes what the levels offer at its price or better;
  the rest rests (GTC), expires (IOC), or nothing fills (FOK). With the venue's filters known
  (``venue_rules``), modelled prices are rounded to its tick size against the taker.
* A resting limit fills only when the market trades through it: a later ask (or trade) strictly
  below a buy limit, a bid (or trade) strictly above a sell limit; it fills whole, at its limit
  price, as maker.
* Fees: ``fee_bps`` of the notional, in the quote asset, on every fill (maker and taker alike).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from letrade_cli.core.errors import ExchangeRejectedError, UsageError
from letrade_cli.core.orders import (
    ZERO,
    Balance,
    Fill,
    OrderIntent,
    OrderState,
    OrderStatus,
    OrderType,
    Side,
    SymbolRules,
    TimeInForce,
)
from letrade_cli.core.tick import Tick
from letrade_cli.trading.filters import ceil_to_step, floor_to_step
from letrade_cli.trading.portfolio import Portfolio
from letrade_cli.trading.venue import OrderListener

MAX_LEVELS = 20
KEEP_CLOSED = 1000  # closed orders kept for get_order; older ones are dropped (flat memory)
BPS = Decimal(10_000)
STEP = Decimal("0.00000001")


def to_decimal(value: float) -> Decimal:
    """A float price as the Decimal of its shortest repr (``0.1`` -> ``Decimal('0.1')``)."""
    return Decimal(repr(value))


def no_split(symbol: str) -> tuple[str, str]:
    """The split of a broker that was told no symbol format: a clear error, never a guess."""
    raise UsageError(
        f"cannot tell the base and quote assets of {symbol!r}",
        hint="the paper broker needs the venue's symbol format (PaperBroker(split=...))",
    )


class PaperBroker:
    """A ``TradingVenue`` on paper: the account is a ``Portfolio``; prices come from ``book``.

    Each fill is booked into the portfolio just before listeners hear of it; ``last_pnl`` then
    holds the PnL that fill realised.

    Args:
        portfolio: The account (cash in the quote asset, positions).
        book: ``book(symbol)`` -> the freshest tick of that symbol, or None (a stale cache).
        fee_bps: Fee per fill in basis points of the notional.
        slippage_bps: Price step per modelled depth level (see the module docstring).
        clock_ms: The current time in ms (the replay clock in a replay).
        split: ``split(symbol)`` -> ``(base, quote)`` in the venue's symbol format (the tick
            source's ``split_symbol``); the venue's filters, when known, win.
    """

    name = "paper"
    live_money = False

    def __init__(
        self,
        portfolio: Portfolio,
        book: Callable[[str], Tick | None],
        *,
        fee_bps: Decimal = Decimal(10),
        slippage_bps: Decimal = Decimal(1),
        clock_ms: Callable[[], int] = lambda: 0,
        split: Callable[[str], tuple[str, str]] = no_split,
    ) -> None:
        self.portfolio = portfolio
        self.split = split
        self.book = book
        self.fee_rate = fee_bps / BPS
        self.slip_rate = slippage_bps / BPS
        self.clock_ms = clock_ms
        self.venue_rules: dict[str, SymbolRules] = {}  # the live venue's filters, when known
        self.orders: dict[str, OrderState] = {}
        self._open: dict[str, OrderState] = {}
        self._listeners: list[OrderListener] = []
        self.trade_seq = 0
        self.last_pnl = ZERO  # PnL realised by the fill being reported to listeners

    async def start(self) -> None:
        """Nothing to connect."""

    async def close(self) -> None:
        """Nothing to close."""

    async def rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """The venue's filters when known (``venue_rules``), else permissive: 1e-8 steps."""
        out = {}
        for symbol in symbols:
            known = self.venue_rules.get(symbol)
            if known is None:
                base, quote = self.split(symbol)
                known = SymbolRules(symbol, base, quote, STEP, STEP)
            out[symbol] = known
        return out

    def _base(self, symbol: str) -> str:
        known = self.venue_rules.get(symbol)
        return known.base if known is not None else self.split(symbol)[0]

    def subscribe(self, listener: OrderListener) -> None:
        """Call ``listener(state, fill)`` on every fill, cancel and expiry."""
        self._listeners.append(listener)

    def restore(self, orders: Iterable[OrderState], trade_seq: int) -> None:
        """Put back the open orders and the trade counter of a resumed run."""
        for order in orders:
            self.orders[order.client_order_id] = order
            if order.status.is_open:
                self._open[order.client_order_id] = order
        self.trade_seq = trade_seq

    async def place(self, intent: OrderIntent, *, test: bool = False) -> OrderState:
        """Fill what the book gives now; rest or expire the remainder by type and TIF."""
        client_id = intent.client_order_id or f"paper-{len(self.orders) + 1}"
        if client_id in self.orders:
            raise ExchangeRejectedError(f"paper: duplicate client order id {client_id}", code=-2010)
        if intent.quantity <= 0:
            raise ExchangeRejectedError("paper: quantity must be positive", code=-1013)
        if intent.type.is_conditional:
            raise UsageError(f"paper: {intent.type.value} orders are held by the engine")
        if intent.type.has_limit_price and (intent.price is None or intent.price <= 0):
            raise ExchangeRejectedError("paper: a limit order needs a positive price", code=-1013)
        tick = self.book(intent.symbol)
        if tick is None and intent.type is OrderType.MARKET:
            raise ExchangeRejectedError(f"paper: no fresh price for {intent.symbol}", code=-1013)
        now = self.clock_ms()
        state = OrderState(
            venue=self.name,
            symbol=intent.symbol,
            client_order_id=client_id,
            side=intent.side,
            type=intent.type,
            quantity=intent.quantity,
            status=OrderStatus.NEW,
            price=intent.price,
            time_in_force=intent.time_in_force,
            venue_order_id=client_id,
            fee_asset=self.portfolio.quote,
            created_ms=now,
            updated_ms=now,
        )
        self._check_funds(state, tick)
        if test:
            return state
        levels = self._levels(state, tick) if tick is not None else []
        if state.type is OrderType.LIMIT_MAKER and levels:
            raise ExchangeRejectedError(
                "paper: post-only order would immediately match and take", code=-2010
            )
        self.orders[client_id] = state
        fillable = sum((q for _, q in levels), ZERO)
        if state.time_in_force is TimeInForce.FOK and fillable < state.quantity:
            levels = []
        fills = [self._fill(state, price, qty, maker=False) for price, qty in levels]
        if state.remaining > 0 and (
            state.type is OrderType.MARKET or state.time_in_force is not TimeInForce.GTC
        ):
            state.status = OrderStatus.EXPIRED
        elif state.remaining > 0:
            self._open[client_id] = state
        self._notify(state, fills)
        self._forget_closed()
        return state.copy()

    def _forget_closed(self) -> None:
        orders = self.orders
        while len(orders) > KEEP_CLOSED + len(self._open):
            oldest = next(cid for cid in orders if cid not in self._open)
            del orders[oldest]

    def _check_funds(self, state: OrderState, tick: Tick | None) -> None:
        resting = self._open
        if state.side is Side.SELL:
            held = self.portfolio.quantity(state.symbol)
            if resting:
                held -= sum(
                    (
                        o.remaining
                        for o in resting.values()
                        if o.symbol == state.symbol and o.side is Side.SELL
                    ),
                    ZERO,
                )
            if state.quantity > held:
                raise ExchangeRejectedError(
                    f"paper: insufficient {state.symbol} to sell {state.quantity} (have {held})",
                    code=-2010,
                )
            return
        price = state.price
        if price is None and tick is not None:
            touch = tick.ask if tick.ask is not None else tick.price
            price = to_decimal(touch) * (1 + self.slip_rate) if touch is not None else None
        if price is None:
            return
        locked = ZERO
        if resting:
            locked = sum(
                (
                    (o.price or ZERO) * o.remaining * (1 + self.fee_rate)
                    for o in resting.values()
                    if o.side is Side.BUY
                ),
                ZERO,
            )
        need = price * state.quantity * (1 + self.fee_rate)
        if need > self.portfolio.cash - locked:
            raise ExchangeRejectedError(
                f"paper: insufficient {self.portfolio.quote}: need {need:.8f}, "
                f"have {self.portfolio.cash - locked:.8f}",
                code=-2010,
            )

    def _levels(self, state: OrderState, tick: Tick) -> list[tuple[Decimal, Decimal]]:
        """(price, quantity) the book offers this order now, best first."""
        buy = state.side is Side.BUY
        touch_f = (tick.ask if buy else tick.bid) if tick.bid is not None else None
        if touch_f is None:
            touch_f = tick.price
        if touch_f is None:
            return []
        touch = to_decimal(touch_f)
        sign = 1 if buy else -1
        limit = state.price if state.type.has_limit_price else None
        depth = to_decimal(tick.size) if tick.size and tick.bid is not None else None
        rule = self.venue_rules.get(state.symbol)

        def on_tick_grid(price: Decimal) -> Decimal:
            # A modelled level sits on the venue's price grid, rounded against the taker.
            if rule is None or rule.tick_size <= 0:
                return price
            snap = ceil_to_step if buy else floor_to_step
            return snap(price, rule.tick_size, rule.min_price)

        out: list[tuple[Decimal, Decimal]] = []
        left = state.quantity
        if depth is None:
            price = on_tick_grid(touch * (1 + sign * self.slip_rate))
            if limit is not None and (price > limit if buy else price < limit):
                return []
            return [(price, left)]
        for level in range(MAX_LEVELS):
            price = on_tick_grid(touch * (1 + sign * level * self.slip_rate))
            if limit is not None and (price > limit if buy else price < limit):
                break
            qty = min(left, depth)
            out.append((price, qty))
            left -= qty
            if left <= 0:
                break
        return out

    def on_tick(self, tick: Tick) -> list[Fill]:
        """Fill resting limits the market traded through on this tick."""
        if not self._open:
            return []
        fills: list[Fill] = []
        for order in list(self._open.values()):
            if order.symbol != tick.symbol or order.price is None:
                continue
            limit = float(order.price)
            if order.side is Side.BUY:
                through = tick.ask if tick.ask is not None else tick.last
                crossed = through is not None and through < limit
            else:
                through = tick.bid if tick.bid is not None else tick.last
                crossed = through is not None and through > limit
            if crossed:
                fill = self._fill(order, order.price, order.remaining, maker=True)
                del self._open[order.client_order_id]
                fills.append(fill)
                self._notify(order, [fill])
        return fills

    def _fill(self, state: OrderState, price: Decimal, qty: Decimal, *, maker: bool) -> Fill:
        self.trade_seq += 1
        notional = price * qty
        fee = notional * self.fee_rate
        now = self.clock_ms()
        fill = Fill(
            self.name,
            state.symbol,
            state.client_order_id,
            state.side,
            price,
            qty,
            fee,
            self.portfolio.quote,
            f"T{self.trade_seq}",
            now,
            maker,
        )
        state.filled_qty += qty
        state.quote_qty += notional
        state.fee += fee
        state.updated_ms = now
        state.status = OrderStatus.FILLED if state.remaining <= 0 else OrderStatus.PARTIALLY_FILLED
        return fill

    def _notify(self, state: OrderState, fills: list[Fill]) -> None:
        if not fills:
            for listener in self._listeners:
                listener(state.copy(), None)
            return
        if len(fills) == 1:  # the usual market order: the order as it stands now
            self.last_pnl = self.portfolio.apply(fills[0])
            snapshot = state.copy()
            for listener in self._listeners:
                listener(snapshot, fills[0])
            return
        # Each fill reported with the order as it stood after that fill.
        final_filled, final_quote, final_fee = state.filled_qty, state.quote_qty, state.fee
        final_status = state.status
        filled, quote, fee = (
            final_filled - sum((f.quantity for f in fills), ZERO),
            final_quote - sum((f.notional for f in fills), ZERO),
            final_fee - sum((f.fee for f in fills), ZERO),
        )
        for index, fill in enumerate(fills):
            self.last_pnl = self.portfolio.apply(fill)
            filled, quote, fee = filled + fill.quantity, quote + fill.notional, fee + fill.fee
            last = index == len(fills) - 1
            status = final_status if last else OrderStatus.PARTIALLY_FILLED
            snapshot = state.copy()
            snapshot.filled_qty, snapshot.quote_qty, snapshot.fee = filled, quote, fee
            snapshot.status = status
            for listener in self._listeners:
                listener(snapshot, fill)

    async def cancel(self, symbol: str, client_order_id: str) -> OrderState:
        """Cancel an open order (``-2013`` when it is not open)."""
        order = self._open.pop(client_order_id, None)
        if order is None:
            raise ExchangeRejectedError(f"paper: no open order {client_order_id}", code=-2013)
        order.status = OrderStatus.CANCELED
        order.updated_ms = self.clock_ms()
        self._notify(order, [])
        return order.copy()

    async def get_order(self, symbol: str, client_order_id: str) -> OrderState | None:
        """The order with this client id, or None."""
        order = self.orders.get(client_order_id)
        return None if order is None else order.copy()

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Resting orders."""
        return [o.copy() for o in self._open.values() if symbol is None or o.symbol == symbol]

    async def balances(self) -> list[Balance]:
        """Cash and every non-zero position."""
        out = [Balance(self.portfolio.quote, self.portfolio.cash)]
        for symbol, position in sorted(self.portfolio.positions.items()):
            if position.quantity:
                out.append(Balance(self._base(symbol), position.quantity))
        return out
