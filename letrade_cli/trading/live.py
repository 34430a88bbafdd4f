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

Pushed updates (``private_stream``): ``start()`` also opens the venue's account session (its
``Venue.session``: a WebSocket API or a private WebSocket). Every order update it pushes goes to
the subscribers;
each fill exactly once, keyed by the venue's trade id, whichever way it arrived (pushed, in an
order answer, in a look-up), also across reconnects. While the stream is down the venue polls the
orders it tracks (order status, then the order's trades) behind a circuit breaker; when the stream
comes back one more poll recovers what was missed, and polling stops.

Rate limits: one ``Pacer`` (the venue's ``Capabilities.rate_limits`` and whatever limits and
usage its answers report, read by its dialect's ``rate_usage``) paces signed REST and the
account session alike, so requests wait for a window to reset instead of being refused;
``pacer.waits`` and ``refusals`` show how often each happened.

Order entry (``ws_order_entry``, ``OrderSettings.order_transport``): ``auto`` sends over the
session when it is up and over signed REST otherwise; ``ws`` only over the session; ``rest`` only
over HTTP. An order whose answer never came (``OutcomeUnknownError``) is never resent: the order
manager looks it up by client id, on whichever transport is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlsplit

from letrade_cli.config.stream import RestSettings
from letrade_cli.config.trading import OrderSettings
from letrade_cli.connector.pacer import Pacer
from letrade_cli.connector.rest import RestClient
from letrade_cli.core.breaker import CircuitBreaker
from letrade_cli.core.errors import (
    ConfigError,
    ExchangeRejectedError,
    LetradeError,
    NetworkUnavailableError,
    OutcomeUnknownError,
    RateLimitedError,
    UnknownSymbolError,
    UsageError,
)
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
from letrade_cli.venues.base import (
    AccountEvent,
    LastPrices,
    OrderApi,
    OrderTransport,
    PrivateStream,
    RequestSigner,
    RestRequest,
    ServerClock,
    SessionCounters,
    SessionKeys,
    SessionSettings,
    TradesQuery,
    VenueSpec,
)
from letrade_cli.venues.registry import venue_of

log = logging.getLogger("letrade.live")

POLL_INTERVAL_S = 1.0  # while the private stream is down
READ_RETRIES = 3  # a read refused for a rate limit (another process shares the budget)
READ_RETRY_MAX_S = 5.0
BalanceListener = Callable[[list[Balance]], None]


def account_ws_url(spec: VenueSpec, rest_url: str | None) -> str:
    """The venue's account WebSocket URL; its path on the REST URL's host when that is overridden.

    A bare path in the spec (the embedded sim's) and any REST override (a running sim, a proxy)
    both put the session on the host that serves REST: ``http://h:p`` -> ``ws://h:p/ws-api/v3``.
    """
    configured = spec.account_ws_url
    if not configured:
        return ""
    base = rest_url if rest_url is not None else spec.rest_url
    if rest_url is None and "://" in configured:
        return configured
    parts = urlsplit(base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = urlsplit(configured).path if "://" in configured else configured
    return f"{scheme}://{parts.netloc}{path}"


class LiveVenue:
    """Places, cancels and reads orders on a real (or simulated) venue; takes its pushed fills."""

    def __init__(
        self,
        spec: VenueSpec,
        keys: ApiKeys,
        *,
        rest_url: str | None = None,
        settings: OrderSettings | None = None,
        rest_settings: RestSettings | None = None,
        account_url: str | None = None,
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
        self._signer = _signer(package, spec, keys, self.settings.recv_window_ms)
        rest = rest_settings or RestSettings(timeout_s=self.settings.timeout_s)
        dialect = self._market = package.dialect()
        self.pacer = Pacer(
            package.capabilities.rate_limits, max_wait_s=rest.max_pace_wait_s, name=spec.name
        )
        self.client = RestClient(
            rest_url or spec.rest_url,
            rest,
            signer=self._signer,
            weight_header=package.capabilities.weight_header,
            read_error=dialect.rest_error,
            pacer=self.pacer,
            read_usage=getattr(dialect, "rate_usage", None),
        )
        self._listeners: list[OrderListener] = []
        self._balance_listeners: list[BalanceListener] = []
        self._seen_trades: set[tuple[str, str]] = set()
        self._seen_updates: set[tuple[str, str, Decimal]] = set()
        self._reported: dict[str, Decimal] = {}  # client id -> quantity reported as fills
        self._fees: dict[str, Decimal] = {}  # client id -> fees of the fills reported
        self._final: set[str] = set()  # client ids seen in a final state (pushes after: stale)
        self.tracked: dict[str, str] = {}  # client id -> symbol, of orders not yet final
        self.pushed_balances: dict[str, Balance] = {}
        self.keys_source = keys.source
        self.transport_mode = self.settings.order_transport
        self.last_transport = ""  # what carried the last order: "ws" or "rest"
        self.session: PrivateStream | None = None
        self._session_keys = SessionKeys(
            keys.api_key, keys.secret, keys.ed25519_pem, self.settings.recv_window_ms
        )
        self._session_url = account_url or account_ws_url(spec, rest_url)
        self._package = package
        self._poller: asyncio.Task[None] | None = None
        self._breaker = CircuitBreaker(
            failure_threshold=3, reset_timeout_s=5.0, ignore=(ExchangeRejectedError,)
        )
        if self.transport_mode == "ws" and not self.capabilities.ws_order_entry:
            raise UsageError(
                f"{self.name} takes no orders over a WebSocket session",
                hint="use --order-transport rest (or auto)",
            )

    def __repr__(self) -> str:
        return f"LiveVenue({self.name!r}, {self.client.base_url!r})"

    @property
    def stream_state(self) -> str:
        """``up``, ``down`` (reconnecting; polling meanwhile) or ``off`` (no private stream)."""
        if self.session is None:
            return "off"
        return "up" if self.session.connected else "down"

    @property
    def refusals(self) -> int:
        """Requests the venue refused for a rate limit or a ban (REST and session)."""
        return self.client.refusals + self.counters.refusals

    @property
    def counters(self) -> SessionCounters:
        """What the private stream has seen (zeros without one)."""
        return self.session.counters if self.session is not None else SessionCounters()

    async def start(self) -> None:
        """Measure the server clock, then open the private stream (where the venue has one).

        Raises:
            ExchangeRejectedError: the venue refused the keys for its private stream (the
                message names the key variables, never their values).
            NetworkUnavailableError: ``order_transport=ws`` and the session cannot be opened.
        """
        if self.capabilities.server_clock_sync:
            await self.sync_time()
        if self.session is None and self._wants_session():
            await self._open_session()

    def _wants_session(self) -> bool:
        return bool(
            self._package.session is not None
            and self._session_url
            and (
                (self.settings.private_stream and self.capabilities.private_stream)
                or (self.transport_mode == "ws")
            )
        )

    async def _open_session(self) -> None:
        assert self._package.session is not None
        settings = SessionSettings(
            request_timeout_s=self.settings.timeout_s,
            connect_timeout_s=min(10.0, self.settings.timeout_s),
        )
        session = self._package.session(self._session_url, self.name, self._session_keys, settings)
        if hasattr(session, "time_offset_ms"):
            session.time_offset_ms = self.time_offset_ms
        if hasattr(session, "pacer"):
            session.pacer = self.pacer  # one budget with signed REST
        session.listen(self._on_account_event, self._on_stream_state)
        try:
            await session.start()
        except ExchangeRejectedError as exc:
            raise ExchangeRejectedError(
                f"{self.name} refused the keys for its account stream: {exc.message}",
                code=exc.code,
                hint=f"check the key in {self.keys_source} (permissions, IP whitelist, type)",
            ) from None
        except NetworkUnavailableError as exc:
            if self.transport_mode == "ws":
                raise
            log.warning("%s; fills are polled until it answers", exc.message)
            self.session = session
            self._start_polling()
            return
        self.session = session

    async def sync_time(self) -> int:
        """Measure server time minus ours (ms); apply it to the signer; return it."""
        before = time.time_ns() // 1_000_000
        clock = cast(ServerClock, self.api)
        payload = await self.client.request(clock.time_request())
        after = time.time_ns() // 1_000_000
        self.time_offset_ms = clock.parse_time(payload) - (before + after) // 2
        self.pacer.offset_s = self.time_offset_ms / 1000  # windows align to the venue's clock
        self._signer.time_offset_ms = self.time_offset_ms  # type: ignore[attr-defined]
        return self.time_offset_ms

    async def close(self) -> None:
        """Stop polling, close the account session and the pooled connections (idempotent)."""
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await poller
        session, self.session = self.session, None
        if session is not None:
            await session.close()
        await self.client.close()

    # -- transports -------------------------------------------------------------------------
    def _order_session(self) -> OrderTransport | None:
        """The session, when it can carry orders now and the transport setting allows it."""
        if self.transport_mode == "rest" or not self.capabilities.ws_order_entry:
            return None
        session = cast(Any, self.session)
        return cast(OrderTransport, session) if session is not None and session.ready else None

    async def _request(self, request: RestRequest, *, placing: bool = False) -> Any:
        """One request; a read refused for a rate limit is tried again after a short wait.

        A new order is not retried here (the order manager decides, by client id).
        """
        for attempt in range(READ_RETRIES + 1):
            try:
                return await self._send(request, placing=placing)
            except RateLimitedError as exc:
                if placing or attempt == READ_RETRIES or exc.retry_after > READ_RETRY_MAX_S:
                    raise
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, request: RestRequest, *, placing: bool = False) -> Any:
        """Send over the session when allowed and up, else over signed REST.

        ``placing``: in ``ws`` mode a new order goes over the session only (a look-up may
        use either transport, so an unanswered order can always be resolved).
        """
        session = self._order_session()
        if session is not None and session.carries(request):
            if placing:
                self.last_transport = "ws"
            try:
                answer = await session.send(request)
            except OutcomeUnknownError:
                raise  # it may have been placed: looked up by client id, never resent here
            except NetworkUnavailableError:
                if placing and self.transport_mode == "ws":
                    raise
                # Nothing was sent (the session went down first): signed REST below.
            else:
                return answer
        elif placing and self.transport_mode == "ws":
            raise NetworkUnavailableError(
                f"the {self.name} WebSocket session is down; nothing was sent",
                hint="retry, or use --order-transport auto to fall back to signed REST",
            )
        if placing:
            self.last_transport = "rest"
        return await self.client.request(request)

    async def rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """The trading filters of these symbols (``UnknownSymbolError`` for an unlisted one)."""
        answers = []
        for request in self.api.rules_requests(symbols):
            try:
                answers.append(await self._request(request))
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

    async def reference_price(self, symbol: str) -> Decimal | None:
        """A current price of ``symbol`` (the mid, else the last trade), or None.

        For a market order's minimum-notional check before it is sent.
        """
        import time

        payload = await self._request(self._market.price_request([symbol]))
        for tick in self._market.parse_prices(payload, self.name, time.time_ns()):
            if tick.symbol == symbol and tick.price:
                return Decimal(repr(tick.price))
        return None

    async def _last_prices(self, symbols: Sequence[str]) -> dict[str, Decimal]:
        api = cast(LastPrices, self.api)
        try:
            payload = await self._request(api.last_price_request(symbols))
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
        assert intent.client_order_id is not None
        if not test:
            self.tracked[intent.client_order_id] = intent.symbol
        payload = await self._request(request, placing=True)
        if test:
            return OrderState.of_intent(self.name, intent, OrderStatus.NEW)  # only validated
        state = self.api.parse_order(payload)
        self._report(state, self.api.parse_fills(payload, state))
        self._untrack_if_final(state)
        if self.capabilities.market_order_settles_later and intent.type is OrderType.MARKET:
            state = await self.get_order(intent.symbol, state.client_order_id) or state
        return state

    async def cancel(self, symbol: str, client_order_id: str) -> OrderState:
        """Cancel an open order by its client id."""
        payload = await self._request(self.api.cancel_request(symbol, client_order_id))
        state = self.api.parse_order(payload)
        if self.capabilities.cancel_completes_later and state.status.is_open:
            # The venue answers the cancel request at once and cancels a moment later.
            state = await self.get_order(symbol, client_order_id) or state
        if not state.status.is_open:
            self._final.add(client_order_id)
        return state

    async def get_order(self, symbol: str, client_order_id: str) -> OrderState | None:
        """The order with this client id, or None when the venue has never seen it."""
        try:
            payload = await self._request(self.api.get_request(symbol, client_order_id))
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
            trades = await self._request(query.trades_request(symbol, state.venue_order_id or ""))
            fills = query.parse_trades(trades, state)
            state.fee = sum((f.fee for f in fills), state.fee)
            state.fee_asset = state.fee_asset or (fills[0].fee_asset if fills else "")
        self._report(state, fills)
        self._untrack_if_final(state)
        return state

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Orders still open (all symbols when ``symbol`` is None)."""
        payload = await self._request(self.api.open_orders_request(symbol))
        return [s for s in self.api.parse_orders(payload) if s.status.is_open]

    async def balances(self) -> list[Balance]:
        """Every non-zero balance of the account."""
        payload = await self._request(self.api.balances_request())
        return self.api.parse_balances(payload)

    def subscribe(self, listener: OrderListener) -> None:
        """Call ``listener(state, fill)`` once per fill, and ``(state, None)`` per pushed update."""
        self._listeners.append(listener)

    def subscribe_balances(self, listener: BalanceListener) -> None:
        """Call ``listener(balances)`` whenever the private stream pushes balances."""
        self._balance_listeners.append(listener)

    def _report(self, state: OrderState, fills: list[Fill]) -> None:
        for fill in fills:
            key = (fill.client_order_id, fill.trade_id)
            if fill.trade_id and key in self._seen_trades:
                continue
            self._seen_trades.add(key)
            cid = fill.client_order_id
            self._reported[cid] = self._reported.get(cid, Decimal(0)) + fill.quantity
            self._fees[cid] = self._fees.get(cid, Decimal(0)) + fill.fee
            self._tell(state, fill)

    def _tell(self, state: OrderState, fill: Fill | None) -> None:
        for listener in self._listeners:
            try:
                listener(state, fill)
            except Exception:  # one listener's bug must not lose the others' updates
                log.exception("order listener failed")

    def _untrack_if_final(self, state: OrderState) -> None:
        if not state.status.is_open:
            self._final.add(state.client_order_id)
        if not state.status.is_open and self._reported.get(state.client_order_id, Decimal(0)) >= (
            state.filled_qty
        ):
            self.tracked.pop(state.client_order_id, None)

    # -- the private stream -----------------------------------------------------------------
    def _on_account_event(self, event: AccountEvent) -> None:
        if event.kind == "balances":
            for balance in event.balances:
                self.pushed_balances[balance.asset] = balance
            for listener in self._balance_listeners:
                try:
                    listener(list(event.balances))
                except Exception:
                    log.exception("balance listener failed")
            return
        state = event.order
        if event.kind != "order" or state is None:
            return
        if event.fill is not None:
            state.fee = self._fees.get(state.client_order_id, Decimal(0)) + event.fill.fee
            self._report(state, [event.fill])
        elif self._stale(state):
            return  # pushed after a newer state was reported (e.g. NEW after the fills)
        else:
            key = (state.client_order_id, state.status.value, state.filled_qty)
            if key not in self._seen_updates:
                self._seen_updates.add(key)
                self._tell(state, None)
        if state.status.is_open and state.client_order_id not in self.tracked:
            self.tracked[state.client_order_id] = state.symbol
        self._untrack_if_final(state)

    def _stale(self, state: OrderState) -> bool:
        """An update older than what was already reported: fewer fills, or open after final."""
        cid = state.client_order_id
        if state.filled_qty < self._reported.get(cid, Decimal(0)):
            return True
        return state.status.is_open and cid in self._final

    def _on_stream_state(self, up: bool) -> None:
        if up:
            log.info("%s account stream is back: one catch-up poll", self.name)
        else:
            log.warning("%s account stream is down: polling order status meanwhile", self.name)
        self._start_polling()

    def _start_polling(self) -> None:
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="letrade-live-poll")

    async def _poll(self) -> None:
        """Poll tracked orders while the stream is down; once more after it is back."""
        while True:
            await self.poll_once()
            if self.session is not None and self.session.connected:
                return
            await asyncio.sleep(POLL_INTERVAL_S)

    async def poll_once(self) -> int:
        """Look up every tracked order once (fills missed are reported, once); how many read."""
        read = 0
        for cid, symbol in list(self.tracked.items()):
            if not self._breaker.allow():
                break
            try:
                await self.get_order(symbol, cid)
            except ExchangeRejectedError:
                self._breaker.record_success()  # it answered
            except LetradeError as exc:
                self._breaker.record_failure()
                log.debug("polling %s failed: %s", cid, exc)
            else:
                self._breaker.record_success()
                read += 1
        return read


def _signer(package: Any, spec: VenueSpec, keys: ApiKeys, recv_window_ms: int) -> RequestSigner:
    """The venue's signer for these keys: Ed25519 when the keys are, else its own kind.

    Raises:
        ConfigError: an Ed25519 key the venue cannot use, or material that is not one (the
            message names the variable, never the key).
    """
    if keys.ed25519_pem is None:
        return cast(RequestSigner, package.signer(keys.api_key, keys.secret, recv_window_ms))
    variable = keys.ed25519_variable or "the Ed25519 key variable"
    if package.ed25519_signer is None:
        raise ConfigError(
            f"{spec.name} does not take Ed25519 keys ({variable} is set)",
            hint="remove trading.keys.ed25519_key_env from the profile for this venue",
        )
    try:
        return cast(
            RequestSigner, package.ed25519_signer(keys.api_key, keys.ed25519_pem, recv_window_ms)
        )
    except ValueError as exc:
        raise ConfigError(
            f"{variable} does not hold a usable Ed25519 private key: {exc}",
            hint=f"set {variable} to the key's PEM text, its PEM file's path, or base64 of it",
        ) from None
