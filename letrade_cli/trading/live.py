"""``LiveVenue``: a ``TradingVenue`` over a venue's signed REST API (any registered venue).

The venue's ``OrderApi`` builds the requests and parses the answers; the pooled ``RestClient``
with the venue's signer sends them and translates every failure into the Letrade error tree.
What differs between venues is read from their ``Capabilities``, never from their names:

- ``server_clock_sync``: ``start()`` measures the server clock (offset = server time - the
  midpoint of our request) and applies it to the signer, so a signed timestamp stays inside the
  venue's window even when our clock is off. Nonce-signed venues have nothing to correct.
- ``market_buy_by_quote``: a market buy is sent as a quote amount sized from the last price.
- ``fills_in_order_query``: False means an order query has no fills: after a look-up that shows
  more filled than reported, the order's trades are read.
- ``market_order_settles_later`` / ``cancel_completes_later``: the answer is read back once.

Each fill is reported once to the subscribers as ``(state, fill)``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal
from typing import cast

from letrade_cli.config.stream import RestSettings
from letrade_cli.config.trading import OrderSettings
from letrade_cli.connector.rest import RestClient
from letrade_cli.core.errors import ExchangeRejectedError, UnknownSymbolError, UsageError
from letrade_cli.core.orders import (
    Balance,
    Fill,
    OrderIntent,
    OrderState,
    OrderStatus,
    OrderType,
    Side,
    SymbolRules,
)
from letrade_cli.trading.keys import ApiKeys
from letrade_cli.trading.venue import OrderListener
from letrade_cli.venues.base import LastPrices, OrderApi, ServerClock, TradesQuery, VenueSpec
from letrade_cli.venues.registry import venue_of


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
        package = venue_of(spec)
        self.capabilities = package.capabilities
        self.example_symbol = package.example_symbol
        self.api: OrderApi = package.order_api(spec.name)
        self._signer = package.signer(keys.api_key, keys.secret, self.settings.recv_window_ms)
        rest = rest_settings or RestSettings(timeout_s=self.settings.timeout_s)
        self.client = RestClient(
            rest_url or spec.rest_url,
            rest,
            signer=self._signer,
            weight_header=package.capabilities.weight_header,
            read_error=package.dialect().rest_error,
        )
        self._listeners: list[OrderListener] = []
        self._seen_trades: set[tuple[str, str]] = set()
        self._reported: dict[str, Decimal] = {}  # client id -> quantity reported as fills

    def __repr__(self) -> str:
        return f"LiveVenue({self.name!r}, {self.client.base_url!r})"

    async def start(self) -> None:
        """Measure the server clock and apply the offset to the signer (where signing needs it)."""
        if self.capabilities.server_clock_sync:
            await self.sync_time()

    async def sync_time(self) -> int:
        """Measure server time minus ours (ms); apply it to the signer; return it."""
        before = time.time_ns() // 1_000_000
        clock = cast(ServerClock, self.api)
        payload = await self.client.request(clock.time_request())
        after = time.time_ns() // 1_000_000
        self.time_offset_ms = clock.parse_time(payload) - (before + after) // 2
        self._signer.time_offset_ms = self.time_offset_ms  # type: ignore[attr-defined]
        return self.time_offset_ms

    async def close(self) -> None:
        """Close the pooled connections (safe to call twice)."""
        await self.client.close()

    async def rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """The trading filters of these symbols (``UnknownSymbolError`` for an unlisted one)."""
        answers = []
        for request in self.api.rules_requests(symbols):
            try:
                answers.append(await self.client.request(request))
            except ExchangeRejectedError as exc:
                if self.api.is_unknown_symbol(exc):
                    raise self._unknown(symbols) from None
                raise
        return self.api.parse_rules_answers(answers, symbols)

    def _unknown(self, symbols: Sequence[str]) -> UnknownSymbolError:
        return UnknownSymbolError(
            f"{self.name} does not list {', '.join(symbols)}",
            hint=f"check the symbol's spelling ({self.example_symbol})",
        )

    async def _last_prices(self, symbols: Sequence[str]) -> dict[str, Decimal]:
        api = cast(LastPrices, self.api)
        try:
            payload = await self.client.request(api.last_price_request(symbols))
        except ExchangeRejectedError:
            raise self._unknown(symbols) from None
        prices = api.parse_last_prices(payload)
        for symbol in symbols:
            if symbol not in prices:
                raise UnknownSymbolError(f"{self.name} does not list {symbol}")
        return prices

    def check_supported(self, intent: OrderIntent, *, test: bool = False) -> None:
        """Refuse what the venue's capabilities say it does not take, before anything is sent.

        Raises:
            UsageError: An order type, a time in force or ``test`` the venue does not support.
        """
        caps = self.capabilities
        if intent.type.value not in caps.order_types:
            raise UsageError(
                f"{self.name} does not take {intent.type.value} orders",
                hint=f"it takes {', '.join(sorted(caps.order_types))}",
            )
        if intent.type is OrderType.LIMIT and intent.time_in_force.value not in caps.times_in_force:
            raise UsageError(
                f"{self.name} does not take time in force {intent.time_in_force.value}",
                hint=f"use --tif {' or '.join(sorted(caps.times_in_force))}",
            )
        if test and not caps.test_orders:
            raise UsageError(
                f"--test is not available on {self.name} (it has no order-test endpoint)",
                hint="use --venue sim or a venue with test orders (`letrade venues --json`)",
            )

    async def place(self, intent: OrderIntent, *, test: bool = False) -> OrderState:
        """Send one order; ``test`` validates it only (where the venue can)."""
        if test and not self.capabilities.test_orders:
            self.api.place_request(intent, test=True)  # the venue's own words, if it has them
        self.check_supported(intent, test=test)
        last: Decimal | None = None
        if (
            self.capabilities.market_buy_by_quote
            and not test
            and intent.type is OrderType.MARKET
            and intent.side is Side.BUY
        ):
            last = (await self._last_prices([intent.symbol]))[intent.symbol]
        request = self.api.place_request(intent, test=test, last_price=last)
        payload = await self.client.request(request)
        if test:
            return _validated(self.name, intent)
        state = self.api.parse_order(payload)
        self._report(state, self.api.parse_fills(payload, state))
        if self.capabilities.market_order_settles_later and intent.type is OrderType.MARKET:
            state = await self.get_order(intent.symbol, state.client_order_id) or state
        return state

    async def cancel(self, symbol: str, client_order_id: str) -> OrderState:
        """Cancel an open order by its client id."""
        payload = await self.client.request(self.api.cancel_request(symbol, client_order_id))
        state = self.api.parse_order(payload)
        if self.capabilities.cancel_completes_later and state.status.is_open:
            # The venue answers the cancel request at once and cancels a moment later.
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
        if not self.capabilities.fills_in_order_query and state.filled_qty > self._reported.get(
            client_order_id, 0
        ):
            # The order query has no fills: read them, e.g. after a send timed out.
            query = cast(TradesQuery, self.api)
            trades = await self.client.request(
                query.trades_request(symbol, state.venue_order_id or "")
            )
            fills = query.parse_trades(trades, state)
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
