"""The embedded exchange's settings and its statistics record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from letrade_cli.sim.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET


@dataclass(frozen=True, slots=True)
class SimConfig:
    """How the sim runs; the defaults match the real venues' limits.

    Attributes:
        rate: Aggregate market messages per second across all subscribed symbols.
        seed: Seed of every random walk and of the candle history.
        host: Interface to bind (keep it on loopback).
        port: TCP port; 0 lets the OS pick a free one.
        ping_interval_s: Server ping period on the connections of dialects that ping.
        pong_timeout_s: Disconnect when no pong arrived for this long.
        inbound_limit_per_s: More incoming text frames than this in one second -> disconnect.
        max_connection_age_s: The server closes connections older than this.
        ws_idle_timeout_s: Dialects whose venue closes idle WebSocket connections (no frame
            either way, e.g. a private stream without orders or pings) close them after this.
        weight_limit_per_min: REST request weight allowed per minute (dialects that weigh).
        slice_s: Generator time slice: due events are released and sent this often.
        max_write_buffer: A connection whose unsent bytes exceed this is dropped (slow consumer).
        api_key: The key that opens the sim's accounts (each dialect's API key or access key).
        api_secret: The matching secret (each dialect's signing key).
        balances: Starting balances per account (venue) name; an account absent or empty here
            starts with its dialect's defaults.
        ed25519_keys: More API keys of the accounts: API key -> Ed25519 public key (PEM), for
            dialects that verify Ed25519 signatures (see :mod:`letrade_cli.sim.keys`).
        ws_api_ping_interval_s: Server ping period on WebSocket API connections (20 s, as real).
        ws_api_pong_timeout_s: A WebSocket API connection with no pong for this long is dropped.
        ws_api_max_age_s: The server closes WebSocket API connections older than this (24 h).
        weight_window_s: The request-weight window (a minute).
        order_limit: New orders per ``order_window_s`` per account (dialects that count orders:
            50 per 10 s).
        order_window_s: The short order-count window.
        order_limit_day: New orders per ``order_day_s`` per account (160,000 per day).
        order_day_s: The long order-count window.
        request_groups: Requests per ``group_window_s`` per group, overriding the defaults of
            dialects that count request groups (e.g. ``{"order": 5}``).
        group_window_s: The request-group window (a second).
        ban_after_violations: Requests refused again (429) while a refusal's retry time has not
            passed; this many earn a ban (418). 0: never ban.
        ban_s: The first ban's length; each further ban doubles it.
        ban_max_s: The longest ban (3 days).
    """

    rate: float = 200.0
    seed: int = 7
    host: str = "127.0.0.1"
    port: int = 0
    ping_interval_s: float = 20.0
    pong_timeout_s: float = 60.0
    inbound_limit_per_s: int = 5
    max_connection_age_s: float = 24 * 3600.0
    ws_idle_timeout_s: float = 120.0
    weight_limit_per_min: int = 6000
    slice_s: float = 0.005
    max_write_buffer: int = 64 * 1024 * 1024
    api_key: str = DEFAULT_API_KEY
    api_secret: str = field(default=DEFAULT_API_SECRET, repr=False)
    balances: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    ed25519_keys: dict[str, bytes] = field(default_factory=dict, repr=False)
    ws_api_ping_interval_s: float = 20.0
    ws_api_pong_timeout_s: float = 60.0
    ws_api_max_age_s: float = 24 * 3600.0
    weight_window_s: float = 60.0
    order_limit: int = 50
    order_window_s: float = 10.0
    order_limit_day: int = 160_000
    order_day_s: float = 86_400.0
    request_groups: dict[str, int] = field(default_factory=dict)
    group_window_s: float = 1.0
    ban_after_violations: int = 3
    ban_s: float = 120.0
    ban_max_s: float = 3 * 86_400.0

    def starting_balances(
        self, venue: str, defaults: Mapping[str, Decimal] | None = None
    ) -> dict[str, Decimal]:
        """The starting balances of ``venue``'s account.

        ``balances[venue]`` when set, else ``defaults``, else the defaults of the venue's
        registered sim dialect (none: an empty account).
        """
        chosen = self.balances.get(venue)
        if chosen:
            return dict(chosen)
        if defaults is None:
            defaults = _registered_defaults(venue)
        return dict(defaults)


def _registered_defaults(venue: str) -> Mapping[str, Decimal]:
    """The default balances of ``venue``'s registered sim dialect class, without starting it."""
    from letrade_cli.venues.registry import venues

    found = venues().get(venue)
    load = getattr(found.sim, "load", None) if found is not None else None
    balances: Mapping[str, Decimal] = getattr(load(), "default_balances", {}) if load else {}
    return balances


@dataclass(slots=True)
class SimStats:
    """A snapshot of what the sim has done.

    Attributes:
        ws_connections: WebSocket connections open now.
        ws_connections_total: WebSocket connections accepted since start.
        frames_sent: WebSocket data frames sent (market data and replies).
        subscriptions: Connection id -> the streams it receives now.
        rest_requests: REST requests answered (including errors).
        rate_limited: Requests refused for a rate limit (429) or a ban (418), REST and
            WebSocket API alike.
    """

    ws_connections: int = 0
    ws_connections_total: int = 0
    frames_sent: int = 0
    subscriptions: dict[int, set[str]] = field(default_factory=dict)
    rest_requests: int = 0
    rate_limited: int = 0
