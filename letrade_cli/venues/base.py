"""What every venue dialect provides, and the registry of venues as data.

A venue (``binance``, ``binance-testnet``, ``upbit``, ``sim``) is endpoints + limits + a dialect.
A dialect (``binance``, ``upbit``) knows the venue's symbols, subscriptions, frames and REST
payloads. The stream supervisor talks only to this interface, never to venue code directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

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
    """

    path: str
    params: dict[str, str]
    weight: int = 1
    method: str = "GET"
    signed: bool = False


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
