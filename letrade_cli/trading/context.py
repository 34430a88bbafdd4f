"""What a strategy sees and does during a run: ``ctx`` in every hook.

Reads: the clock, prices, the run's own position (quantity, average entry, unrealised PnL),
cash, equity and balances, its open orders (on the venue and held by the engine), closed bars,
and the venue's filters. Writes: order requests (``buy``, ``sell``, ``close``, ``cancel``,
``replace``, ``stop_loss``, ``take_profit``, ``trailing_stop``, ``oco``), each returning the
client order id it will carry. Requests are queued and sent by the engine right after the hook
returns, through the same risk limits and order path as every other order; what happened to
them comes back through ``on_order`` and ``on_fill``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from letrade_cli.core.orders import (
    ZERO,
    OrderState,
    OrderType,
    Side,
    SymbolRules,
    TimeInForce,
)
from letrade_cli.trading.sizing import Size, as_decimal
from letrade_cli.trading.strategies.base import StrategyContext

if TYPE_CHECKING:
    from letrade_cli.trading.dryrun import DryRun


@dataclass(frozen=True, slots=True)
class PositionView:
    """The run's position in one symbol (spot: long or flat)."""

    symbol: str
    quantity: Decimal
    avg_entry: Decimal  # cost per unit, buy fees included (0 when flat)
    mark: Decimal  # the latest price (0 when none seen yet)
    unrealized_pnl: Decimal
    realized_pnl: Decimal

    @property
    def is_open(self) -> bool:
        """Whether anything is held."""
        return self.quantity > 0


@dataclass(frozen=True, slots=True)
class FillView:
    """One fill of the run's orders, as ``on_fill`` gets it."""

    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    fee: Decimal
    client_order_id: str
    reason: str  # why the order was placed (the strategy's text, or stop-loss, take-profit ...)
    realized_pnl: Decimal
    position: Decimal  # quantity held after this fill
    ts_ms: int


@dataclass(slots=True)
class OrderRequest:
    """One order action a strategy asked for, sent by the engine after the hook returns."""

    action: str  # place | cancel | replace | oco
    symbol: str
    client_order_id: str = ""
    side: Side = Side.BUY
    type: OrderType = OrderType.MARKET
    size: Size = field(default_factory=Size)
    price: Decimal | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reason: str = ""
    target: str = ""  # cancel/replace: the order's client id
    legs: tuple[OrderRequest, ...] = ()  # oco: (above, below)
    list_id: str = ""


def _dec(value: Any) -> Decimal | None:
    return None if value is None else as_decimal(value)


_TIFS = {t.value: t for t in TimeInForce}


class RunContext(StrategyContext):
    """The ``ctx`` of a run (see the module docstring); built by the engine."""

    __slots__ = ("_run", "requests")

    def __init__(self, run: DryRun) -> None:
        super().__init__(run.source.cache)
        self._run = run
        self.requests: list[OrderRequest] = []

    # -- reads ---------------------------------------------------------------------------------
    @property
    def now_ms(self) -> int:
        """The run's clock in ms since the epoch (the replay's clock in a replay)."""
        return self._run.now_ms

    @property
    def cash(self) -> Decimal:
        """The run's cash in its quote asset."""
        return self._run.portfolio.cash

    @property
    def quote(self) -> str:
        """The run's quote asset."""
        return self._run.portfolio.quote

    @property
    def equity(self) -> Decimal:
        """Cash plus the positions at their latest prices."""
        return self._run.portfolio.equity(self._run.marks)

    def mark(self, symbol: str) -> Decimal | None:
        """The latest price of a traded symbol as a Decimal (None before its first tick)."""
        return self._run.marks.get(symbol)

    def position(self, symbol: str) -> PositionView:
        """The run's own position in ``symbol``."""
        p = self._run.portfolio.positions.get(symbol)
        mark = self._run.marks.get(symbol, ZERO)
        if p is None or p.quantity <= 0:
            return PositionView(symbol, ZERO, ZERO, mark, ZERO, p.realized if p else ZERO)
        unrealized = p.quantity * mark - p.cost if mark else ZERO
        return PositionView(symbol, p.quantity, p.avg_cost, mark, unrealized, p.realized)

    def balances(self) -> dict[str, Decimal]:
        """The run's holdings by asset: its cash and each position's base asset."""
        out = {self.quote: self.cash}
        split = self._run.source.split_symbol
        for symbol, p in self._run.portfolio.positions.items():
            if p.quantity:
                base = (
                    self._run.rules[symbol].base if symbol in self._run.rules else split(symbol)[0]
                )
                out[base] = out.get(base, ZERO) + p.quantity
        return out

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """The run's open orders: on the venue, and the conditional ones the engine holds."""
        return self._run.open_orders(symbol)

    def rules(self, symbol: str) -> SymbolRules | None:
        """The venue's filters for ``symbol`` (tick size, lot size, minimum notional)."""
        return self._run.rules.get(symbol)

    def bars(self, symbol: str, timeframe: str) -> Any:
        """The closed bars of ``symbol`` at a declared ``timeframe`` (a ``BarSeries``)."""
        return self._run.bar_series(symbol, timeframe)

    # -- orders --------------------------------------------------------------------------------
    def _request(self, request: OrderRequest) -> str:
        if not request.client_order_id and request.action in ("place", "replace"):
            request.client_order_id = self._run.next_client_id()
        self.requests.append(request)
        return request.client_order_id

    def _place(
        self,
        side: Side,
        symbol: str,
        *,
        quantity: Any,
        quote: Any,
        fraction: Any,
        risk: Any,
        stop: Any,
        price: Any,
        tif: str,
        post_only: bool,
        reason: str,
    ) -> str:
        limit = _dec(price)
        if tif not in _TIFS:
            raise ValueError(f"tif must be one of {', '.join(_TIFS)}, got {tif!r}")
        order_type = OrderType.MARKET
        if limit is not None:
            order_type = OrderType.LIMIT_MAKER if post_only else OrderType.LIMIT
        elif post_only:
            raise ValueError("post_only needs a limit price=")
        size = Size.of(quantity=quantity, quote=quote, fraction=fraction, risk=risk, stop=stop)
        return self._request(
            OrderRequest(
                "place",
                symbol,
                side=side,
                type=order_type,
                size=size,
                price=limit,
                time_in_force=_TIFS[tif],
                reason=reason or f"{side.value.lower()} {symbol}",
            )
        )

    def buy(
        self,
        symbol: str,
        *,
        quantity: Any = None,
        quote: Any = None,
        fraction: Any = None,
        risk: Any = None,
        stop: Any = None,
        price: Any = None,
        tif: str = "GTC",
        post_only: bool = False,
        reason: str = "",
    ) -> str:
        """Buy: market (no ``price``) or limit at ``price`` (``tif`` GTC/IOC/FOK, ``post_only``).

        Size by one of ``quantity`` (base units), ``quote`` (quote amount), ``fraction`` (of
        equity) or ``risk`` (a loss budget to ``stop``). Returns the order's client id.
        """
        return self._place(
            Side.BUY,
            symbol,
            quantity=quantity,
            quote=quote,
            fraction=fraction,
            risk=risk,
            stop=stop,
            price=price,
            tif=tif,
            post_only=post_only,
            reason=reason,
        )

    def sell(
        self,
        symbol: str,
        *,
        quantity: Any = None,
        quote: Any = None,
        fraction: Any = None,
        price: Any = None,
        tif: str = "GTC",
        post_only: bool = False,
        reason: str = "",
    ) -> str:
        """Sell (the whole position when no size is given); market or limit as :meth:`buy`."""
        return self._place(
            Side.SELL,
            symbol,
            quantity=quantity,
            quote=quote,
            fraction=fraction,
            risk=None,
            stop=None,
            price=price,
            tif=tif,
            post_only=post_only,
            reason=reason,
        )

    def close(self, symbol: str, reason: str = "close") -> str:
        """Sell the whole position at market and cancel the symbol's other orders."""
        self.cancel_all(symbol)
        return self.sell(symbol, reason=reason)

    def cancel(self, client_order_id: str) -> None:
        """Cancel one of the run's orders (on the venue, or held by the engine)."""
        self._request(OrderRequest("cancel", "", target=client_order_id))

    def cancel_all(self, symbol: str | None = None) -> None:
        """Cancel every open order of the run (on ``symbol`` only, when given)."""
        for order in self.open_orders(symbol):
            self.cancel(order.client_order_id)

    def replace(self, client_order_id: str, *, price: Any = None, quantity: Any = None) -> str:
        """Cancel an open limit order and place it again with a new price and/or quantity.

        Returns the new order's client id. The new order is placed only once the cancel is
        confirmed, so both never rest at once.
        """
        return self._request(
            OrderRequest(
                "replace",
                "",
                target=client_order_id,
                price=_dec(price),
                size=Size.of(quantity=quantity),
            )
        )

    def _conditional(
        self,
        symbol: str,
        kind: str,
        *,
        stop: Any,
        limit: Any,
        trailing_bps: int | None,
        quantity: Any,
        side: Side,
        tif: str,
        reason: str,
    ) -> OrderRequest:
        base = OrderType.STOP_LOSS if kind == "stop" else OrderType.TAKE_PROFIT
        limit_price = _dec(limit)
        if limit_price is not None:
            base = OrderType(base.value + "_LIMIT")
        stop_price = _dec(stop)
        if stop_price is None and not trailing_bps:
            raise ValueError("give stop= (a price) or trailing_bps=")
        if trailing_bps is not None and not 1 <= int(trailing_bps) <= 2000:
            raise ValueError(f"trailing_bps must be 1..2000 (0.01%..20%), got {trailing_bps}")
        return OrderRequest(
            "place",
            symbol,
            side=side,
            type=base,
            size=Size.of(quantity=quantity),
            price=limit_price,
            stop_price=stop_price,
            trailing_delta=None if trailing_bps is None else int(trailing_bps),
            time_in_force=_TIFS[tif],
            reason=reason,
        )

    def stop_loss(
        self,
        symbol: str,
        stop: Any,
        *,
        limit: Any = None,
        quantity: Any = None,
        tif: str = "GTC",
        reason: str = "stop-loss",
    ) -> str:
        """Sell (the whole position by default) once the price falls to ``stop``.

        At market, or as a limit order at ``limit`` (stop-limit).
        """
        return self._request(
            self._conditional(
                symbol, "stop", stop=stop, limit=limit, trailing_bps=None,
                quantity=quantity, side=Side.SELL, tif=tif, reason=reason,
            )
        )  # fmt: skip

    def take_profit(
        self,
        symbol: str,
        stop: Any,
        *,
        limit: Any = None,
        quantity: Any = None,
        tif: str = "GTC",
        reason: str = "take-profit",
    ) -> str:
        """Sell once the price rises to ``stop``: at market, or a limit at ``limit``."""
        return self._request(
            self._conditional(
                symbol, "take", stop=stop, limit=limit, trailing_bps=None,
                quantity=quantity, side=Side.SELL, tif=tif, reason=reason,
            )
        )  # fmt: skip

    def trailing_stop(
        self,
        symbol: str,
        trailing_bps: int,
        *,
        activation: Any = None,
        limit: Any = None,
        quantity: Any = None,
        reason: str = "trailing-stop",
    ) -> str:
        """Sell once the price falls ``trailing_bps`` (100 = 1%) below its highest since placing.

        With ``activation``, it starts following only once the price has risen to it
        (a trailing take-profit).
        """
        kind = "take" if activation is not None else "stop"
        return self._request(
            self._conditional(
                symbol, kind, stop=activation, limit=limit, trailing_bps=trailing_bps,
                quantity=quantity, side=Side.SELL, tif="GTC", reason=reason,
            )
        )  # fmt: skip

    def oco(
        self,
        symbol: str,
        *,
        take_profit: Any,
        stop: Any,
        stop_limit: Any = None,
        quantity: Any = None,
        reason: str = "oco",
    ) -> tuple[str, str]:
        """Exit a long two ways at once; one filling or triggering cancels the other.

        A post-only limit sell at ``take_profit`` and a stop at ``stop`` (a stop-limit at
        ``stop_limit``). Returns the two legs' client ids (take-profit, stop).
        """
        above = OrderRequest(
            "place",
            symbol,
            side=Side.SELL,
            type=OrderType.LIMIT_MAKER,
            size=Size.of(quantity=quantity),
            price=_dec(take_profit),
            reason="take-profit",
        )
        below = self._conditional(
            symbol, "stop", stop=stop, limit=stop_limit, trailing_bps=None,
            quantity=quantity, side=Side.SELL, tif="GTC", reason="stop-loss",
        )  # fmt: skip
        above.client_order_id = self._run.next_client_id()
        below.client_order_id = self._run.next_client_id()
        self.requests.append(
            OrderRequest(
                "oco", symbol, legs=(above, below), reason=reason, list_id=above.client_order_id
            )
        )
        return above.client_order_id, below.client_order_id


OnRequest = Callable[[OrderRequest], None]
