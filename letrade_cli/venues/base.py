"""The interfaces the engine uses to talk to a venue, and a venue's capabilities as data.

A venue package (``venues/<name>/``) declares one ``Venue``: its ``VenueSpec`` endpoints (a main
network, a test network), its ``Capabilities`` and ``SymbolFormat``, and factories for its
market-data ``Dialect``, its ``OrderApi``, its ``RequestSigner`` and its simulator dialect. The
supervisor, the order path and the sim engine read these; none of them names a venue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from letrade_cli.core.errors import ExchangeRejectedError, UsageError
from letrade_cli.core.orders import Balance, Fill, OrderIntent, OrderState, SymbolRules
from letrade_cli.core.tick import Tick


@dataclass(frozen=True, slots=True)
class MarketInfo:
    """One tradable market as the venue lists it (filters as strings, never floats)."""

    symbol: str
    base: str
    quote: str
    status: str = "TRADING"
    tick_size: str | None = None
    step_size: str | None = None
    min_qty: str | None = None
    min_notional: str | None = None


@dataclass(frozen=True, slots=True)
class VenueSpec:
    """A venue's endpoints and limits, declared as data.

    ``live_money`` venues move real money (`letrade trade` asks for ``--live`` and a typed
    confirmation); ``api_key_env``/``secret_env`` name the environment variables that hold the
    keys unless the profile's ``trading.keys`` names others.
    """

    name: str
    dialect: str
    ws_url: str
    rest_url: str
    inbound_msgs_per_s: float
    max_connection_age_s: float
    description: str
    live_money: bool = False
    api_key_env: str = ""
    secret_env: str = ""
    embedded: bool = False  # served by the embedded exchange (URLs filled in when it starts)
    # The authenticated WebSocket (private stream, order entry); a bare path ("/ws-api/v3") is
    # resolved against the REST URL in use, which is how the sim's port is found.
    account_ws_url: str = ""


RestErrorReader = Callable[[Any], "tuple[str, Any] | None"]
"""Reads a venue's REST error answer: ``(message, code)``, or None (``Dialect.rest_error``)."""


class FrameDecoder(Protocol):
    """Turns one WebSocket frame into a Tick (or None for control frames)."""

    def decode(self, frame: bytes | str, recv_ns: int) -> Tick | None:
        """Decode one frame; raise ``DecodeError`` when it is not the venue's dialect."""
        ...


@dataclass(frozen=True, slots=True)
class RestRequest:
    """A REST call described as data so the client stays venue-agnostic.

    Attributes:
        path: Path below the venue's REST base URL (``/api/v3/order``).
        params: Query (GET/DELETE) or body (POST) parameters, in the order they are sent.
        weight: The venue's request weight for this call.
        method: ``GET``, ``POST`` or ``DELETE``.
        signed: Whether the venue's ``RequestSigner`` must sign it (keys required).
        orders: New orders it places (counted in the venue's ``orders`` limits).
    """

    path: str
    params: dict[str, str]
    weight: int = 1
    method: str = "GET"
    signed: bool = False
    orders: int = 0


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What goes on the wire for one call: encoded query, optional body, extra headers."""

    query: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


class RequestSigner(Protocol):
    """A venue's authentication: turns parameters into the exact bytes that are sent."""

    def sign(self, method: str, path: str, params: dict[str, str]) -> SignedRequest:
        """Encode ``params`` and add the venue's signature (query, body and headers)."""
        ...


class Dialect(Protocol):
    """A venue's language: symbols, subscriptions, frames, REST payloads."""

    name: str
    channels: tuple[str, ...]
    # Channels whose sequence numbers step by exactly one (a skipped number is a lost message).
    contiguous_channels: frozenset[str]

    def normalize_symbol(self, raw: str) -> str:
        """``btcusdt``/``BTC/USDT`` -> the venue's own spelling; ``UsageError`` if unparseable."""
        ...

    def markets_request(self) -> RestRequest:
        """The REST call that lists every market (exchangeInfo, /v1/market/all)."""
        ...

    def parse_markets(self, payload: Any) -> dict[str, MarketInfo]:
        """Markets keyed by the venue's symbol."""
        ...

    def ws_path(self, symbols: Sequence[str], channels: Sequence[str]) -> str:
        """Path (and query) to append to the venue's ws_url for this subscription."""
        ...

    def subscribe_messages(
        self, symbols: Sequence[str], channels: Sequence[str], first_id: int
    ) -> list[str]:
        """Text frames to send after connecting, fewest possible (each counts to the limit)."""
        ...

    def decoder(self, venue: str) -> FrameDecoder:
        """A fresh decoder (it may keep per-connection state)."""
        ...

    def price_request(self, symbols: Sequence[str]) -> RestRequest:
        """The REST call that returns current best prices for these symbols (fallback path)."""
        ...

    def parse_prices(self, payload: Any, venue: str, recv_ns: int) -> list[Tick]:
        """Ticks from the price_request answer."""
        ...

    def rest_error(self, payload: Any) -> tuple[str, Any] | None:
        """``(message, code)`` of the venue's error answer; None when ``payload`` is not one."""
        ...

    def change_request(self, symbols: Sequence[str]) -> RestRequest | None:
        """The REST call for these symbols' 24 h change (None: the venue has none)."""
        ...

    def parse_changes(self, payload: Any) -> dict[str, float]:
        """Symbol -> 24 h change in percent, from ``change_request``'s answer."""
        ...


# -- capabilities as data ---------------------------------------------------------------


_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@dataclass(frozen=True, slots=True)
class SymbolFormat:
    """How a venue spells a market: ``BTCUSDT`` (no separator, base first) or ``KRW-BTC``.

    Attributes:
        separator: Between the two assets (``""`` when they are written together).
        quote_first: True when the quote comes first (``KRW-BTC``).
        quotes: Quote assets, most specific first, used to split a concatenated symbol when no
            market list is at hand (``BTCFDUSD`` -> ``BTC`` + ``FDUSD``).
    """

    separator: str = ""
    quote_first: bool = False
    quotes: tuple[str, ...] = ()

    def join(self, base: str, quote: str) -> str:
        """The venue's spelling of ``base``/``quote``."""
        first, second = (quote, base) if self.quote_first else (base, quote)
        return f"{first}{self.separator}{second}"

    def split(
        self, symbol: str, markets: Mapping[str, MarketInfo] | None = None
    ) -> tuple[str, str]:
        """``(base, quote)`` of one of the venue's symbols; the market list wins when given.

        Raises:
            UsageError: The symbol is not in this format (no separator, or no known quote).
        """
        if markets is not None and symbol in markets:
            info = markets[symbol]
            return info.base, info.quote
        if not _ALNUM.issuperset(symbol.replace(self.separator, "") if self.separator else symbol):
            raise UsageError(
                f"{symbol!r} is not written {self.join('BASE', 'QUOTE')}",
                hint=f"letters and digits{f', one {self.separator!r}' if self.separator else ''}",
            )
        if self.separator:
            first, sep, second = symbol.partition(self.separator)
            if not sep or not first or not second:
                example = self.join("BTC", self.quotes[0] if self.quotes else "USDT")
                raise UsageError(
                    f"{symbol!r} is not written {self.join('BASE', 'QUOTE')}",
                    hint=f"write it like {example}",
                )
            return (second, first) if self.quote_first else (first, second)
        for quote in sorted(self.quotes, key=len, reverse=True):
            if symbol.endswith(quote) and len(symbol) > len(quote):
                return symbol[: -len(quote)], quote
        raise UsageError(
            f"cannot tell the quote asset of {symbol!r}",
            hint=f"known quotes: {', '.join(self.quotes) or 'none'}",
        )


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One of a venue's request limits: at most ``limit`` units per ``interval_s``.

    Attributes:
        name: What is counted (``request_weight``, ``orders``, ``requests``, ``ws_messages``).
        limit: Units allowed per interval (request weight, or a count).
        interval_s: The window in seconds.
        scope: Who shares the budget: ``ip``, ``account`` or ``connection``.
        applies_to: Which calls count (``all``, ``orders``, ``public``, ``private``, ``ws``).
    """

    name: str
    limit: int
    interval_s: float
    scope: str = "ip"
    applies_to: str = "all"


@dataclass(frozen=True, slots=True)
class Usage:
    """What an answer reported of one of the venue's limits (headers, ``rateLimits``).

    It names the limit as a :class:`RateLimit` does (``name``, ``interval_s``, ``applies_to``).

    Attributes:
        used: Units used in the current window, when reported.
        remaining: Units left in the current window, when reported instead.
        limit: The venue's limit for this window, when the answer states it (a limit the
            venue announces is paced from then on, even when it was not documented).
    """

    name: str
    interval_s: float
    applies_to: str = "all"
    used: int | None = None
    remaining: int | None = None
    limit: int | None = None


class RateReporter(Protocol):
    """A dialect that reads the usage its venue reports in REST answers."""

    def rate_usage(self, headers: Mapping[str, str], payload: Any) -> list[Usage]:
        """The usage in one answer's headers (and decoded body; None when it has none)."""
        ...


class RatePacer(Protocol):
    """Waits before a request that would go over a limit; learns from what answers report."""

    async def acquire(self, request: RestRequest) -> None:
        """Return when ``request`` fits the limits (counted); ``RateLimitedError`` if too long."""
        ...

    def observe(self, usages: Sequence[Usage]) -> None:
        """Take the usage an answer reported."""
        ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a venue's API can do, read by the engine instead of ``if venue == ...``.

    Attributes:
        server_clock_sync: Signed requests carry our timestamp: measure the server clock at
            start and sign with the offset (Binance ``recvWindow``); False for nonce signing.
        market_buy_by_quote: A market buy is sent as an amount of the quote asset (the engine
            sizes it from the last price); False: by base quantity.
        cancel_completes_later: The cancel answer may still show the order open; read it back.
        fills_in_order_answer: The new-order answer carries the fills of what crossed.
        fills_in_order_query: An order query carries its fills; False: they come from a
            separate trades query (``trades_request``).
        market_order_settles_later: A market order's answer is not final: read it back once.
        public_rules: Trading filters can be read without keys (a dry run uses them).
        test_orders: The venue validates an order without placing it (``--test``).
        order_types: Order types accepted (``OrderType`` values).
        times_in_force: Times in force accepted for limit orders (``TimeInForce`` values).
        weighted_requests: Requests cost a weight (``RestRequest.weight``) against a budget.
        weight_header: The answer header that reports the weight used so far.
        rate_limits: The venue's documented limits.
    """

    server_clock_sync: bool = False
    market_buy_by_quote: bool = False
    cancel_completes_later: bool = False
    fills_in_order_answer: bool = True
    fills_in_order_query: bool = True
    market_order_settles_later: bool = False
    public_rules: bool = True
    test_orders: bool = False
    order_types: frozenset[str] = frozenset({"MARKET", "LIMIT"})
    times_in_force: frozenset[str] = frozenset({"GTC"})
    weighted_requests: bool = False
    weight_header: str = ""
    rate_limits: tuple[RateLimit, ...] = ()
    private_stream: bool = False
    ws_order_entry: bool = False


# -- the order API and the venue package ---------------------------------------------------


class OrderApi(Protocol):
    """A venue's order API: requests as data, answers parsed into ``core.orders`` records.

    Parts some venues need, by capability, are the ``ServerClock`` (``server_clock_sync``),
    ``LastPrices`` (``market_buy_by_quote``) and ``TradesQuery`` (``fills_in_order_query``
    False) protocols below; an order API implements those its capabilities call for.
    """

    venue: str

    def rules_requests(self, symbols: Sequence[str]) -> list[RestRequest]:
        """The calls whose answers hold these symbols' trading filters."""
        ...

    def parse_rules_answers(
        self, answers: Sequence[Any], symbols: Sequence[str]
    ) -> dict[str, SymbolRules]:
        """``SymbolRules`` per symbol from the answers of ``rules_requests`` (same order)."""
        ...

    def is_unknown_symbol(self, error: ExchangeRejectedError) -> bool:
        """Whether a rejection of ``rules_requests`` means "no such market"."""
        ...

    def place_request(
        self, intent: OrderIntent, *, test: bool = False, last_price: Decimal | None = None
    ) -> RestRequest:
        """The new-order call (``last_price`` sizes a market buy by quote amount)."""
        ...

    def get_request(self, symbol: str, client_order_id: str) -> RestRequest:
        """One order by its client id."""
        ...

    def cancel_request(self, symbol: str, client_order_id: str) -> RestRequest:
        """Cancel one order by its client id."""
        ...

    def open_orders_request(self, symbol: str | None) -> RestRequest:
        """Open orders (all symbols when ``symbol`` is None)."""
        ...

    def balances_request(self) -> RestRequest:
        """The account's balances."""
        ...

    def is_unknown_order(self, error: ExchangeRejectedError) -> bool:
        """Whether the venue says it has never seen the order."""
        ...

    def parse_order(self, payload: Any) -> OrderState:
        """An order answer as an ``OrderState``."""
        ...

    def parse_fills(self, payload: Any, state: OrderState) -> list[Fill]:
        """The fills an order answer carries (may be empty)."""
        ...

    def parse_orders(self, payload: Any) -> list[OrderState]:
        """A list of order answers."""
        ...

    def parse_balances(self, payload: Any) -> list[Balance]:
        """Non-zero balances."""
        ...


class ServerClock(Protocol):
    """The server-clock call of a venue whose capabilities say ``server_clock_sync``."""

    def time_request(self) -> RestRequest:
        """The server-clock call."""
        ...

    def parse_time(self, payload: Any) -> int:
        """Server time in ms."""
        ...


class LastPrices(Protocol):
    """Last trade prices, for a venue whose capabilities say ``market_buy_by_quote``."""

    def last_price_request(self, symbols: Sequence[str]) -> RestRequest:
        """Last trade prices of these symbols."""
        ...

    def parse_last_prices(self, payload: Any) -> dict[str, Decimal]:
        """Symbol -> last price."""
        ...


class TradesQuery(Protocol):
    """One order's executions, for a venue whose order query carries no fills."""

    def trades_request(self, symbol: str, venue_order_id: str) -> RestRequest:
        """One order's executions."""
        ...

    def parse_trades(self, payload: Any, state: OrderState) -> list[Fill]:
        """The executions of ``state``'s order."""
        ...


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """One event pushed on a venue's private stream, in the engine's terms.

    Attributes:
        kind: ``order`` (an order changed; ``fill`` is set when a trade caused it),
            ``balances`` (free/locked after a change) or ``terminated`` (the venue ended the
            subscription; the session resubscribes).
        order: The order's state after the event.
        fill: The execution that caused it, with the venue's trade id.
        balances: The balances the event carries.
        venue_ms: The venue's event time.
        recv_ns: When we received it (``time.time_ns()``).
    """

    kind: str
    order: OrderState | None = None
    fill: Fill | None = None
    balances: tuple[Balance, ...] = ()
    venue_ms: int = 0
    recv_ns: int = 0


AccountListener = Callable[[AccountEvent], None]
StateListener = Callable[[bool], None]


@dataclass(slots=True)
class SessionCounters:
    """What an account session has seen: for ``trade watch`` and the notes."""

    events: int = 0
    malformed: int = 0
    unknown: int = 0
    connects: int = 0
    disconnects: int = 0
    pings: int = 0
    requests: int = 0
    timeouts: int = 0
    refusals: int = 0  # answers refusing a request for a rate limit (429) or a ban (418)


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """The keys an account session signs with; ``repr`` never shows them.

    Attributes:
        api_key: The API key (HMAC or Ed25519 type).
        secret: The HMAC secret ("" with an Ed25519 key).
        ed25519_pem: The Ed25519 private key as PEM (None: HMAC only).
        recv_window_ms: The receive window of signed requests.
    """

    api_key: str = field(repr=False)
    secret: str = field(repr=False, default="")
    ed25519_pem: bytes | None = field(repr=False, default=None)
    recv_window_ms: int = 5000


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """How an account session connects, waits and reconnects."""

    request_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 15.0
    max_age_s: float = 24 * 3600.0  # the venue's connection cap
    renew_before_s: float = 600.0  # reconnect this long before the cap
    keepalive_s: float = 60.0  # client pings, for venues that drop idle sockets


class PrivateStream(Protocol):
    """A venue's authenticated push channel: order updates, fills, balances.

    ``start`` connects, authenticates and subscribes once (raising ``ExchangeRejectedError``
    when the venue refuses the keys, ``NetworkUnavailableError`` when it cannot be reached);
    afterwards the session reconnects by itself with backoff and jitter, resubscribes, and
    calls ``on_state(False)``/``on_state(True)`` around each outage.
    """

    connected: bool
    counters: SessionCounters

    def listen(self, on_event: AccountListener, on_state: StateListener | None = None) -> None:
        """Where pushed events and connection changes go (set before ``start``)."""
        ...

    async def start(self) -> None:
        """Connect, authenticate and subscribe; return once the subscription is live."""
        ...

    async def close(self) -> None:
        """Unsubscribe and close; safe to call twice."""
        ...


class OrderTransport(Protocol):
    """Sends an ``OrderApi``'s requests over an open session instead of HTTP.

    The answers are the ones REST would give (so ``OrderApi.parse_*`` read them), and failures
    raise the same errors: ``ExchangeRejectedError`` (with the venue's code),
    ``RateLimitedError``, ``OutcomeUnknownError`` (sent, no answer in time).
    """

    @property
    def ready(self) -> bool:
        """Whether the session is up and can take requests now."""
        ...

    def carries(self, request: RestRequest) -> bool:
        """Whether this request has a session method."""
        ...

    async def send(self, request: RestRequest) -> Any:
        """Send one request over the session and return its result."""
        ...


class AccountSession(PrivateStream, OrderTransport, Protocol):
    """A session that is both: Binance's WebSocket API."""


class ClockedSigner(RequestSigner, Protocol):
    """A signer whose timestamps are corrected by the measured server clock offset."""

    time_offset_ms: int


class HistoryCursor(Protocol):
    """One (kind, symbol, time range) download, paged the way the venue documents it.

    The generic loop asks for the next request, sends it, and hands the answer back; the cursor
    turns it into store columns (``ts`` in ns, decimals as strings) holding only rows with
    ``start <= ts < end``, and decides what comes next (None: the range is done).
    """

    def next_request(self) -> RestRequest | None:
        """The next page's call, or None when the range is complete."""
        ...

    def take(self, payload: Any) -> dict[str, list[Any]]:
        """The rows of one answer as the store kind's columns."""
        ...


class HistoryApi(Protocol):
    """A venue's historical market data over REST (``letrade data download``)."""

    def check(self, kind: str) -> None:
        """Raise ``UsageError`` unless the venue can serve this store kind (``candles_1m``)."""
        ...

    def cursor(self, kind: str, symbol: str, start_ms: int, end_ms: int) -> HistoryCursor:
        """A cursor over ``start_ms <= t < end_ms`` of one symbol."""
        ...

    def is_unknown_symbol(self, error: ExchangeRejectedError) -> bool:
        """Whether a rejection means "no such market"."""
        ...


@dataclass(frozen=True, slots=True)
class Venue:
    """One venue package as the engine sees it: data plus lazy factories.

    ``venues/<name>/__init__.py`` defines ``VENUE = Venue(...)``; the factories import the
    package's heavier modules only when called, so listing venues stays cheap.

    Attributes:
        name: The package's (and dialect's) name.
        specs: The venues it serves (endpoints and limits), e.g. a main and a test network.
        capabilities: What its API can do.
        symbols: How it spells a market.
        dialect: A new market-data ``Dialect``.
        order_api: ``order_api(venue_name)`` -> its ``OrderApi``.
        signer: ``signer(api_key, secret, recv_window_ms)`` -> its ``RequestSigner``.
        sim: ``sim(context)`` -> its dialect of the embedded exchange (None: not simulated).
        recorded_hosts: Substrings of a recorded stream URL that mark this venue's traffic.
        example_symbol: How the venue's symbols look, for help and error messages.
        history: A new ``HistoryApi`` (None: the venue offers no history download).
    """

    name: str
    specs: tuple[VenueSpec, ...]
    capabilities: Capabilities
    symbols: SymbolFormat
    dialect: Callable[[], Dialect]
    order_api: Callable[[str], OrderApi]
    signer: Callable[[str, str, int], RequestSigner]
    # Typed loosely on purpose: base.py sits below the sim engine and names none of its types;
    # each venue's sim package holds its class to ``sim.dialect.SimDialect`` for mypy.
    sim: Callable[[Any], Any] | None = None
    recorded_hosts: tuple[str, ...] = ()
    example_symbol: str = "BTCUSDT"
    # session(url, venue_name, keys, settings) -> its PrivateStream (an AccountSession when the
    # venue also takes orders over it); None: no private stream.
    session: Callable[[str, str, SessionKeys, SessionSettings], PrivateStream] | None = None
    # ed25519_signer(api_key, private_key_material, recv_window_ms) -> a RequestSigner for an
    # Ed25519 API key (ValueError naming what is wrong with the material); None: HMAC/JWT only.
    ed25519_signer: Callable[[str, bytes, int], RequestSigner] | None = None
    # history() -> its HistoryApi (candles, trades over REST); None: no history download.
    history: Callable[[], HistoryApi] | None = None
