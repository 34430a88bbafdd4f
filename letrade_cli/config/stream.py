"""Settings for the streaming connector, as a profile YAML spells them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from letrade_cli.config.loader import find_profile, from_mapping, load_yaml_mapping
from letrade_cli.core.errors import ConfigError


def venue_names() -> tuple[str, ...]:
    """The venues of the registry (``venues.registry.specs()``: the one list of them)."""
    from letrade_cli.venues.registry import specs

    return tuple(specs())


def is_venue(name: str) -> bool:
    """Whether the registry knows a venue of this name."""
    from letrade_cli.core.errors import UsageError
    from letrade_cli.venues.registry import venue_spec

    try:
        venue_spec(name)
    except UsageError:
        return False
    return True


def default_venue() -> str:
    """The venue a stream uses when neither flag, environment nor profile names one."""
    from letrade_cli.venues.registry import DEFAULT_VENUE

    return DEFAULT_VENUE


def channel_names(venue: str) -> tuple[str, ...]:
    """The channels ``venue``'s dialect can stream (the dialect's ``channels``)."""
    from letrade_cli.venues.registry import dialect_for, venue_spec

    return tuple(dialect_for(venue_spec(venue).dialect).channels)


@dataclass(slots=True)
class CacheSettings:
    """PriceCache sizing."""

    max_symbols: int = 1000
    ttl_ms: int = 500


@dataclass(slots=True)
class BreakerSettings:
    """Circuit breaker in front of REST."""

    failure_threshold: int = 3
    reset_timeout_s: float = 5.0


@dataclass(slots=True)
class ConnectionSettings:
    """WebSocket supervision: backoff, stall watchdog, proactive reconnect."""

    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    stable_after_s: float = 5.0  # a connection that carried data this long resets the backoff
    stall_timeout_s: float = 10.0  # the ceiling: no feed is silent longer than this unnoticed
    stall_floor_s: float = 0.5  # the floor: no busy feed is declared stalled sooner than this
    stall_factor: float = 5.0  # stalled after this many typical gaps (between floor and ceiling)
    max_connection_age_s: float = 23.5 * 3600
    connect_timeout_s: float = 10.0
    inbound_msgs_per_s: float = 4.0


@dataclass(slots=True)
class RestSettings:
    """Pooled REST client used for market lists and as the price fallback."""

    timeout_s: float = 5.0
    pool_limit: int = 20
    pool_limit_per_host: int = 10
    keepalive_s: float = 30.0
    dns_cache_ttl_s: int = 300
    poll_interval_s: float = 1.0
    # The longest a request waits for a rate-limit window to reset; longer: RateLimitedError.
    max_pace_wait_s: float = 60.0


@dataclass(slots=True)
class SimSettings:
    """The embedded exchange started by ``--venue sim``."""

    rate: float = 200.0
    seed: int = 7


@dataclass(slots=True)
class EndpointSettings:
    """Override a venue's URLs (a testnet mirror, a sim on another port)."""

    ws_url: str | None = None
    rest_url: str | None = None


@dataclass(slots=True)
class StreamSettings:
    """Everything `letrade stream` needs, after defaults < profile < env < flags."""

    venue: str = field(default_factory=default_venue)
    symbols: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=lambda: ["bookTicker", "trade"])
    endpoints: EndpointSettings = field(default_factory=EndpointSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    connection: ConnectionSettings = field(default_factory=ConnectionSettings)
    rest: RestSettings = field(default_factory=RestSettings)
    sim: SimSettings = field(default_factory=SimSettings)
    source: str = "defaults"

    def validate(self) -> StreamSettings:
        """Check cross-field rules; return self for chaining."""
        where = self.source
        if not is_venue(self.venue):
            raise ConfigError(
                f"{where}: venue: unknown venue '{self.venue}'",
                hint=f"use one of: {', '.join(venue_names())}",
            )
        channels = channel_names(self.venue)
        for channel in self.channels:
            if channel not in channels:
                raise ConfigError(
                    f"{where}: channels: unknown channel '{channel}' for {self.venue}",
                    hint=f"use one of: {', '.join(channels)}",
                )
        positive = {
            "cache.max_symbols": self.cache.max_symbols,
            "cache.ttl_ms": self.cache.ttl_ms,
            "breaker.failure_threshold": self.breaker.failure_threshold,
            "breaker.reset_timeout_s": self.breaker.reset_timeout_s,
            "connection.backoff_initial_s": self.connection.backoff_initial_s,
            "connection.stall_timeout_s": self.connection.stall_timeout_s,
            "connection.stall_floor_s": self.connection.stall_floor_s,
            "connection.stall_factor": self.connection.stall_factor,
            "connection.inbound_msgs_per_s": self.connection.inbound_msgs_per_s,
            "rest.timeout_s": self.rest.timeout_s,
            "rest.poll_interval_s": self.rest.poll_interval_s,
            "sim.rate": self.sim.rate,
        }
        for key, value in positive.items():
            if value <= 0:
                raise ConfigError(f"{where}: {key}: must be greater than 0, got {value}")
        for key, url, schemes, env in (
            ("endpoints.ws_url", self.endpoints.ws_url, ("ws", "wss"), "LETRADE_WS_URL"),
            ("endpoints.rest_url", self.endpoints.rest_url, ("http", "https"), "LETRADE_REST_URL"),
        ):
            if url is not None:
                check_url(url, schemes, f"{where}: {key} ({env})")
        if self.connection.backoff_max_s < self.connection.backoff_initial_s:
            raise ConfigError(
                f"{where}: connection.backoff_max_s: must be >= connection.backoff_initial_s"
            )
        return self


def check_url(url: str, schemes: tuple[str, str], where: str) -> None:
    """Raise a ConfigError unless ``url`` is ``scheme://host[:port][/path]`` in ``schemes``."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number in range
        ok = parts.scheme in schemes and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(
            f"{where}: '{url}' is not a valid {' or '.join(s + '://' for s in schemes)} URL",
            hint=f"e.g. {schemes[1]}://host:port",
        )


_PROFILE_ONLY_KEYS = {"name", "description", "trading"}


def load_stream_settings(profile: str | None) -> StreamSettings:
    """Defaults, then the profile's keys (if any). Env and flags are applied by the caller."""
    if profile is None:
        return StreamSettings()
    path = find_profile(profile)
    data = load_yaml_mapping(path)
    data = {k: v for k, v in data.items() if k not in _PROFILE_ONLY_KEYS}
    settings = from_mapping(StreamSettings, data, source=str(path))
    settings.source = str(path)
    return settings


def apply_environment(
    settings: StreamSettings, env: dict[str, str] | None = None
) -> StreamSettings:
    """``LETRADE_VENUE``, ``LETRADE_WS_URL``, ``LETRADE_REST_URL`` override the profile."""
    env = dict(os.environ) if env is None else env
    out = settings
    if venue := env.get("LETRADE_VENUE"):
        out = replace(out, venue=venue)
    ws_url = env.get("LETRADE_WS_URL")
    rest_url = env.get("LETRADE_REST_URL")
    if ws_url or rest_url:
        out = replace(
            out,
            endpoints=EndpointSettings(
                ws_url=ws_url or out.endpoints.ws_url,
                rest_url=rest_url or out.endpoints.rest_url,
            ),
        )
    return out


def apply_flags(settings: StreamSettings, **flags: Any) -> StreamSettings:
    """Flags given on the command line (not None) win over everything."""
    given = {k: v for k, v in flags.items() if v is not None and v != []}
    return replace(settings, **given)
