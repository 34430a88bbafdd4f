"""``LiveVenue``: a ``TradingVenue`` over a venue's signed REST API (Binance, Upbit, the sim).

The venue's order API (``venues/binance/orders.py`` or ``venues/upbit/orders.py``) builds
the requests and parses the answers; the pooled ``RestClient`` with the venue's signer sends them
and translates every failure into the Letrade error tree. ``start()`` measures the server clock
(Binance ``GET /api/v3/time``: offset = server time - the midpoint of our request) and applies it
to the signer, so ``timestamp`` stays inside ``recvWindow`` even when our clock is off. Upbit's JWT
carries a nonce, not a timestamp: nothing to correct.

Fills: Binance's FULL new-order answer carries the fills of a market order (or of the part of a
limit order that crossed); Upbit's order answer carries ``trades`` (read once after a market order
is placed). Each fill is reported once to the subscribers as ``(state, fill)``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from letrade_cli.config.stream import RestSettings
from letrade_cli.config.trading import OrderSettings
from letrade_cli.connector.rest import RestClient
from letrade_cli.core.orders import (
    Balance,
    Fill,
    OrderIntent,
    OrderState,
    OrderStatus,
    OrderType,
    SymbolRules,
)
from letrade_cli.errors import ExchangeRejectedError, UnknownSymbolError
from letrade_cli.trading.keys import ApiKeys
from letrade_cli.trading.venue import OrderListener
from letrade_cli.venues.base import RestRequest, VenueSpec
from letrade_cli.venues.binance.auth import BinanceSigner
from letrade_cli.venues.binance.orders import UNKNOWN_SYMBOL_CODES, BinanceOrders

if TYPE_CHECKING:  # Upbit's modules (and PyJWT) load only for an Upbit venue
    from letrade_cli.venues.upbit.auth import UpbitSigner
    from letrade_cli.venues.upbit.orders import UpbitOrders


class OrderApi(Protocol):
    """What both venues' order modules provide (requests as data, answers parsed)."""

    def get_request(self, symbol: str, client_order_id: str) -> RestRequest: ...  # noqa: D102
    def cancel_request(self, symbol: str, client_order_id: str) -> RestRequest: ...  # noqa: D102
    def open_orders_request(self, symbol: str | None) -> RestRequest: ...  # noqa: D102
    def balances_request(self) -> RestRequest: ...  # noqa: D102
    def is_unknown_order(self, error: ExchangeRejectedError) -> bool: ...  # noqa: D102
    def parse_order(self, payload: Any) -> OrderState: ...  # noqa: D102
    def parse_fills(self, payload: Any, state: OrderState) -> list[Fill]: ...  # noqa: D102
    def parse_orders(self, payload: Any) -> list[OrderState]: ...  # noqa: D102
    def parse_balances(self, payload: Any) -> list[Balance]: ...  # noqa: D102


class LiveVenue:
    """Places, cancels and reads orders on a real (or simulated) venue over signed REST."""

    def __init__(
        self,
        spec: VenueSpec,
        keys: ApiKeys,
        *,
        rest_url: str | None = None,
        settings: OrderSettings | None = None,
        rest_settings: RestSettings | None = None,
    ) -> None:
        self.settings = settings or OrderSettings()
        self.name = spec.name
        self.live_money = spec.live_money
        self.dialect = spec.dialect
        self.time_offset_ms = 0
        self._binance: BinanceOrders | None = None
        self._upbit: UpbitOrders | None = None
        self._signer: BinanceSigner | None = None
        api: OrderApi
        if spec.dialect == "upbit":
            from letrade_cli.venues.upbit.auth import UpbitSigner
            from letrade_cli.venues.upbit.orders import UpbitOrders

            self._upbit = api = UpbitOrders(spec.name)
            signer: BinanceSigner | UpbitSigner = UpbitSigner(keys.api_key, keys.secret)
        else:
            self._binance = api = BinanceOrders(spec.name)
            signer = self._signer = BinanceSigner(
                keys.api_key, keys.secret, recv_window_ms=self.settings.recv_window_ms
            )
        self.api = api
        rest = rest_settings or RestSettings(timeout_s=self.settings.timeout_s)
        self.client = RestClient(rest_url or spec.rest_url, rest, signer=signer)
        self._listeners: list[OrderListener] = []
        self._seen_trades: set[tuple[str, str]] = set()
        self._reported: dict[str, Decimal] = {}  # client id -> quantity reported as fills

    def __repr__(self) -> str:
        return f"LiveVenue({self.name!r}, {self.client.base_url!r})"

    async def start(self) -> None:
        """Measure the server clock and apply the offset to the signer (Binance)."""
        if self._binance is not None:
            await self.sync_time()

    async def sync_time(self) -> int:
        """Measure server time minus ours (ms) with ``/api/v3/time``; apply it; return it."""
        assert self._binance is not None and self._signer is not None
        before = time.time_ns() // 1_000_000
        payload = await self.client.request(self._binance.time_request())
        after = time.time_ns() // 1_000_000
        self.time_offset_ms = self._binance.parse_time(payload) - (before + after) // 2
        self._signer.time_offset_ms = self.time_offset_ms
        return self.time_offset_ms

    async def close(self) -> None:
        """Close the pooled connections (safe to call twice)."""
        await self.client.close()

    async def rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """The trading filters of these symbols (``UnknownSymbolError`` for an unlisted one)."""
        if self._binance is not None:
            try:
                payload = await self.client.request(self._binance.rules_request(symbols))
            except ExchangeRejectedError as exc:
                if exc.code in UNKNOWN_SYMBOL_CODES:
                    raise UnknownSymbolError(
                        f"{self.name} does not list {', '.join(symbols)}",
                        hint="check the symbol's spelling (BTCUSDT)",
                    ) from None
                raise
            return self._binance.parse_rules(payload, symbols)
        assert self._upbit is not None
        prices = await self._last_prices(symbols)
        out: dict[str, SymbolRules] = {}
        for symbol in symbols:
            chance = await self.client.request(self._upbit.chance_request(symbol))
            out[symbol] = self._upbit.parse_rules(chance, prices.get(symbol))
        return out

    async def _last_prices(self, symbols: Sequence[str]) -> dict[str, Decimal]:
        assert self._upbit is not None
        try:
            payload = await self.client.request(self._upbit.ticker_request(symbols))
        except ExchangeRejectedError:
            raise UnknownSymbolError(
                f"{self.name} does not list {', '.join(symbols)}",
                hint="Upbit spells markets QUOTE-BASE (KRW-BTC)",
            ) from None
        prices = self._upbit.parse_last_prices(payload)
        for symbol in symbols:
            if symbol not in prices:
                raise UnknownSymbolError(f"{self.name} does not list {symbol}")
        return prices

    async def place(self, intent: OrderIntent, *, test: bool = False) -> OrderState:
        """Send one order; ``test`` validates it only (Binance ``/api/v3/order/test``)."""
        if self._binance is not None:
            request = self._binance.place_request(intent, test=test)
        else:
            assert self._upbit is not None
            last: Decimal | None = None
            if not test and intent.type is OrderType.MARKET and intent.side.value == "BUY":
                last = (await self._last_prices([intent.symbol]))[intent.symbol]
            request = self._upbit.place_request(intent, test=test, last_price=last)
        payload = await self.client.request(request)
        if test:
            return _validated(self.name, intent)
        state = self.api.parse_order(payload)
        self._report(state, self.api.parse_fills(payload, state))
        if self._upbit is not None and intent.type is OrderType.MARKET:
            state = await self.get_order(intent.symbol, state.client_order_id) or state
        return state

    async def cancel(self, symbol: str, client_order_id: str) -> OrderState:
        """Cancel an open order by its client id."""
        payload = await self.client.request(self.api.cancel_request(symbol, client_order_id))
        state = self.api.parse_order(payload)
        if self._upbit is not None and state.status.is_open:
            # Upbit answers the cancel request at once and cancels a moment later.
            state = await self.get_order(symbol, client_order_id) or state
        return state

    async def get_order(self, symbol: str, client_order_id: str) -> OrderState | None:
        """The order with this client id, or None when the venue has never seen it."""
        try:
            payload = await self.client.request(self.api.get_request(symbol, client_order_id))
        except ExchangeRejectedError as exc:
            if self.api.is_unknown_order(exc):
                return None
            raise
        state = self.api.parse_order(payload)
        fills = self.api.parse_fills(payload, state)
        if self._binance is not None and state.filled_qty > self._reported.get(client_order_id, 0):
            # A Binance order query has no fills: read them, e.g. after a send timed out.
            trades = await self.client.request(
                self._binance.trades_request(symbol, state.venue_order_id or "")
            )
            fills = self._binance.parse_trades(trades, state)
            state.fee = sum((f.fee for f in fills), state.fee)
            state.fee_asset = state.fee_asset or (fills[0].fee_asset if fills else "")
        self._report(state, fills)
        return state

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Orders still open (all symbols when ``symbol`` is None)."""
        payload = await self.client.request(self.api.open_orders_request(symbol))
        return [s for s in self.api.parse_orders(payload) if s.status.is_open]

    async def balances(self) -> list[Balance]:
        """Every non-zero balance of the account."""
        payload = await self.client.request(self.api.balances_request())
        return self.api.parse_balances(payload)

    def subscribe(self, listener: OrderListener) -> None:
        """Call ``listener(state, fill)`` once for every fill this venue reports."""
        self._listeners.append(listener)

    def _report(self, state: OrderState, fills: list[Fill]) -> None:
        for fill in fills:
            key = (fill.client_order_id, fill.trade_id)
            if fill.trade_id and key in self._seen_trades:
                continue
            self._seen_trades.add(key)
            self._reported[fill.client_order_id] = (
                self._reported.get(fill.client_order_id, Decimal(0)) + fill.quantity
            )
            for listener in self._listeners:
                listener(state, fill)


def _validated(venue: str, intent: OrderIntent) -> OrderState:
    """The state shown for a ``--test`` order the venue accepted (nothing was placed)."""
    assert intent.client_order_id is not None
    return OrderState(
        venue=venue,
        symbol=intent.symbol,
        client_order_id=intent.client_order_id,
        side=intent.side,
        type=intent.type,
        quantity=intent.quantity,
        status=OrderStatus.NEW,
        price=intent.price,
        time_in_force=intent.time_in_force,
    )
