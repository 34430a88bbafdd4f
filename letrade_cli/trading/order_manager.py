"""The one order path: `letrade trade` and `letrade dryrun` both send every order through here.

An ``OrderManager`` drives any ``TradingVenue`` (the live venue over signed REST, or the paper
broker) the same way::

    manager = OrderManager(venue, settings=OrderSettings())
    manager.add_listener(ledger.on_order)          # OrderListener: (OrderState, Fill | None)
    await manager.start()                          # venue.start(); subscribes to its updates
    state = await manager.submit(OrderIntent("BTCUSDT", Side.BUY, Decimal("0.001")),
                                 signal=signal)    # filters -> client id -> send -> ack
    await manager.cancel("BTCUSDT", state.client_order_id)
    await manager.status("BTCUSDT", cid); await manager.open_orders(); await manager.balances()
    await manager.close()

What ``submit`` guarantees:

- **A client order id on every order**: ``intent.client_order_id`` when given (checked against
  ``^[.A-Z:/a-z0-9_-]{1,36}$``, which every registered venue accepts as a client id), else a new one
  from :func:`new_client_order_id` (time + 64 random bits: unique across runs). Pass
  ``id_factory`` to make ids deterministic (a replayed dry run).
- **Filters before sending**: price, quantity and notional are checked against the venue's
  ``SymbolRules`` (fetched once per symbol and cached) in Decimal; a failure is a ``UsageError``
  naming the nearest valid values, and nothing is sent.
- **Never a duplicate order**: on ``OutcomeUnknownError`` (timeout, dropped connection, 5xx after
  sending) the order is looked up by its client id before anything is resent; it is resent (same
  client id) only when the venue has never seen it. ``RateLimitedError`` waits ``retry_after``
  (capped by ``max_wait_s``) and tries again. At most ``settings.lookup_attempts`` sends/look-ups;
  when the outcome is still unknown the error is ``OutcomeUnknownError`` naming the client id
  (exit 4) so the user can check it with ``letrade trade status``.
- **Latency stamps**: each order's ``OrderLatency`` gets ``signal_ns`` (``signal.created_ns``, or
  the time ``submit`` was called), ``send_ns`` (just before the first send), ``ack_ns`` (when the
  venue's answer arrived) and ``fill_ns`` (the first fill seen), all ``time.perf_counter_ns()``.
- **Listeners**: every ``OrderListener`` added with :meth:`add_listener` is called as
  ``listener(state, fill)``: ``(state, None)`` when the venue acknowledged an order (or a cancel,
  or a status read found it changed), ``(state, fill)`` for every execution the venue reports.
  A market order's fills can arrive before ``submit`` returns; key records by
  ``state.client_order_id`` and upsert. A listener that raises is logged and does not break the
  order path. ``submit(test=True)`` (validate only) tells no listener.

Orders placed by this manager are kept in :attr:`orders` (client id -> latest ``OrderState``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal

from letrade_cli.config.trading import OrderSettings
from letrade_cli.core.errors import (
    ExchangeRejectedError,
    OutcomeUnknownError,
    RateLimitedError,
    UsageError,
)
from letrade_cli.core.orders import (
    Balance,
    Fill,
    OrderIntent,
    OrderLatency,
    OrderState,
    Signal,
    SymbolRules,
)
from letrade_cli.trading.filters import check_intent
from letrade_cli.trading.venue import OrderListener, TradingVenue

log = logging.getLogger("letrade.orders")

CLIENT_ID_RE = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
DEFAULT_MAX_WAIT_S = 30.0
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_client_order_id(prefix: str = "lt") -> str:
    """A fresh client order id: ``lt-<ms since epoch, base 36>-<16 random hex>`` (<= 36 chars)."""
    ms = time.time_ns() // 1_000_000
    digits = ""
    while ms:
        ms, r = divmod(ms, 36)
        digits = _B36[r] + digits
    return f"{prefix}-{digits}-{os.urandom(8).hex()}"


def check_client_order_id(client_order_id: str) -> str:
    """Return ``client_order_id`` if every registered venue accepts it, else ``UsageError``."""
    if not CLIENT_ID_RE.match(client_order_id):
        raise UsageError(
            f"client order id '{client_order_id}' is not valid",
            hint="use 1 to 36 of the characters A-Z a-z 0-9 . : / _ -",
        )
    return client_order_id


class OrderManager:
    """Sends, tracks and reports orders on one ``TradingVenue`` (see the module docstring)."""

    def __init__(
        self,
        venue: TradingVenue,
        *,
        settings: OrderSettings | None = None,
        id_factory: Callable[[], str] = new_client_order_id,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.venue = venue
        self.settings = settings or OrderSettings()
        self.orders: dict[str, OrderState] = {}
        self._id_factory = id_factory
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self._listeners: list[OrderListener] = []
        self._rules: dict[str, SymbolRules] = {}
        self._latency: dict[str, OrderLatency] = {}
        self._subscribed = False

    def add_listener(self, listener: OrderListener) -> None:
        """Call ``listener(state, fill)`` on every acknowledged order, change and fill."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Start the venue and subscribe to its order updates (idempotent)."""
        await self.venue.start()
        if not self._subscribed:
            self.venue.subscribe(self._on_venue_update)
            self._subscribed = True

    async def close(self) -> None:
        """Close the venue."""
        await self.venue.close()

    async def __aenter__(self) -> OrderManager:
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def rules(self, symbol: str) -> SymbolRules:
        """The market's filters, fetched once and cached."""
        cached = self._rules.get(symbol)
        if cached is None:
            cached = (await self.venue.rules([symbol]))[symbol]
            self._rules[symbol] = cached
        return cached

    async def submit(
        self,
        intent: OrderIntent,
        *,
        signal: Signal | None = None,
        test: bool = False,
        reference_price: Decimal | None = None,
    ) -> OrderState:
        """Check, identify, send and track one order; return the venue's acknowledged state.

        Args:
            intent: What to send; its ``client_order_id`` is filled in when missing.
            signal: The strategy signal behind it (its ``created_ns`` starts the latency clock).
            test: Validate only (venues with ``test_orders``): nothing is placed or reported.
            reference_price: A recent market price, for the notional check of a market order.

        Raises:
            UsageError: the order fails a filter or its client id is malformed (nothing sent).
            ExchangeRejectedError: the venue refused the order (its code and message).
            OutcomeUnknownError: the venue never confirmed or denied it; names the client id.
            NetworkUnavailableError: the venue could not be reached (nothing sent).
        """
        started = time.perf_counter_ns()
        cid = intent.client_order_id or self._id_factory()
        intent = intent.with_client_id(check_client_order_id(cid))
        check_intent(intent, await self.rules(intent.symbol), reference_price=reference_price)
        latency = OrderLatency(signal_ns=(signal.created_ns if signal else 0) or started)
        if not test:
            self._latency[cid] = latency
        state = await self._send(intent, latency, test=test)
        latency.ack_ns = latency.ack_ns or time.perf_counter_ns()
        if latency.fill_ns and latency.fill_ns < latency.ack_ns:
            latency.fill_ns = latency.ack_ns  # fills reported while the ack was on its way
        state.latency = latency
        if not test:
            self._track(state, None)
        return state

    async def _send(self, intent: OrderIntent, latency: OrderLatency, *, test: bool) -> OrderState:
        cid = intent.client_order_id
        assert cid is not None
        attempts = max(1, self.settings.lookup_attempts)
        unknown: OutcomeUnknownError | None = None
        for attempt in range(1, attempts + 1):
            if unknown is not None and not test:
                found = await self._lookup(intent.symbol, cid)
                if found is not None:
                    log.info("order %s found after an unknown outcome", cid)
                    return found
            latency.send_ns = latency.send_ns or time.perf_counter_ns()
            try:
                return await self.venue.place(intent, test=test)
            except RateLimitedError as exc:
                if attempt == attempts:
                    raise
                await self._sleep(min(exc.retry_after, self._max_wait_s))
            except OutcomeUnknownError as exc:
                log.warning("order %s: %s (attempt %d/%d)", cid, exc.message, attempt, attempts)
                unknown = exc
                await self._sleep(min(0.2 * attempt, self._max_wait_s))
            except ExchangeRejectedError:
                # After an unknown outcome a rejection may be "duplicate order": it was placed.
                if unknown is not None and not test:
                    found = await self._lookup(intent.symbol, cid)
                    if found is not None:
                        return found
                raise
        if unknown is not None and not test:
            found = await self._lookup(intent.symbol, cid)
            if found is not None:
                return found
        raise OutcomeUnknownError(
            f"order {cid} on {self.venue.name}: no answer after {attempts} attempts; "
            "it may or may not have been placed",
            hint=f"check it with `letrade trade status {intent.symbol} {cid}`",
        )

    async def _lookup(self, symbol: str, client_order_id: str) -> OrderState | None:
        """The order by client id; None when the venue has never seen it. Raises if unknowable."""
        for attempt in range(1, max(1, self.settings.lookup_attempts) + 1):
            try:
                return await self.venue.get_order(symbol, client_order_id)
            except RateLimitedError as exc:
                await self._sleep(min(exc.retry_after, self._max_wait_s))
            except OutcomeUnknownError:
                await self._sleep(min(0.2 * attempt, self._max_wait_s))
        raise OutcomeUnknownError(
            f"order {client_order_id} on {self.venue.name}: could not look it up; "
            "it may or may not have been placed",
            hint=f"check it with `letrade trade status {symbol} {client_order_id}`",
        )

    async def cancel(self, symbol: str, client_order_id: str) -> OrderState:
        """Cancel an open order by its client id; listeners see the canceled state."""
        state = await self.venue.cancel(symbol, client_order_id)
        self._track(state, None)
        return state

    async def status(self, symbol: str, client_order_id: str) -> OrderState:
        """The order as the venue reports it now (``ExchangeRejectedError`` when unknown)."""
        state = await self.venue.get_order(symbol, client_order_id)
        if state is None:
            raise ExchangeRejectedError(
                f"{self.venue.name} has no order {client_order_id} on {symbol}",
                code="unknown order",
                hint="check the symbol and the client id (`letrade trade open` lists open ones)",
            )
        previous = self.orders.get(client_order_id)
        if previous is not None and (
            previous.status != state.status or previous.filled_qty != state.filled_qty
        ):
            self._track(state, None)
        return state

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Orders still open on the venue (all symbols when ``symbol`` is None)."""
        return await self.venue.open_orders(symbol)

    async def balances(self) -> list[Balance]:
        """Every non-zero balance of the account."""
        return await self.venue.balances()

    async def load_rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """Fetch and cache the filters of several symbols in one call."""
        missing = [s for s in symbols if s not in self._rules]
        if missing:
            self._rules.update(await self.venue.rules(missing))
        return {s: self._rules[s] for s in symbols}

    def _on_venue_update(self, state: OrderState, fill: Fill | None) -> None:
        self._track(state, fill)

    def _track(self, state: OrderState, fill: Fill | None) -> None:
        latency = self._latency.get(state.client_order_id)
        if latency is not None:
            if not latency.fill_ns and (fill is not None or state.filled_qty > 0):
                # A market order's fills come with its ack: never stamp a fill before the ack.
                latency.fill_ns = max(time.perf_counter_ns(), latency.ack_ns)
            state.latency = latency
            if not state.status.is_open:
                self._latency.pop(state.client_order_id, None)
        self.orders[state.client_order_id] = state
        for listener in self._listeners:
            try:
                listener(state, fill)
            except Exception:  # a broken listener must not break the order path
                log.exception("order listener %r failed", listener)
