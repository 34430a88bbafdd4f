"""Assembles a running stream from settings: markets, supervisor, pipeline, REST fallback.

``StreamService`` is what the CLI (and later dryrun / trade) uses: an async context manager
that exposes the bus to subscribe to, the cache to read and the stats to show.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any

from letrade_cli.config.stream import StreamSettings
from letrade_cli.connector.fallback import RestFallback
from letrade_cli.connector.markets import resolve_symbols
from letrade_cli.connector.pipeline import IngestPipeline
from letrade_cli.connector.recorder import FrameHandler, FrameRecorder
from letrade_cli.connector.rest import RestClient
from letrade_cli.connector.stats import StreamStats
from letrade_cli.connector.supervisor import StreamSupervisor
from letrade_cli.core.breaker import CircuitBreaker
from letrade_cli.core.bus import Bus
from letrade_cli.core.cache import PriceCache
from letrade_cli.core.errors import NetworkUnavailableError
from letrade_cli.core.tick import Tick
from letrade_cli.venues.base import Dialect, MarketInfo, VenueSpec
from letrade_cli.venues.registry import dialect_for, venue_of, venue_spec

DAY_CHANGE_REFRESH_S = 30.0  # the venue's 24 h change, refreshed this often (weight 2-80)


class StreamService:
    """One venue, many symbols: live ticks on ``bus``, latest prices in ``cache``."""

    def __init__(self, settings: StreamSettings, *, backend: str = "auto") -> None:
        self.settings = settings
        self.backend = backend
        self.spec: VenueSpec = venue_spec(settings.venue)
        self.dialect: Dialect = dialect_for(self.spec.dialect)
        self.pipeline = IngestPipeline.for_venue(
            self.dialect,
            self.spec.name,
            max_symbols=settings.cache.max_symbols,
            ttl_ms=settings.cache.ttl_ms,
            stall_floor_s=settings.connection.stall_floor_s,
            stall_ceiling_s=settings.connection.stall_timeout_s,
            stall_factor=settings.connection.stall_factor,
        )
        self.stats: StreamStats = self.pipeline.stats
        self.bus: Bus[Tick] = self.pipeline.bus
        self.cache: PriceCache = self.pipeline.cache
        self.stream_breaker = CircuitBreaker(
            failure_threshold=settings.breaker.failure_threshold,
            reset_timeout_s=settings.breaker.reset_timeout_s,
        )
        self.rest_breaker = CircuitBreaker(
            failure_threshold=settings.breaker.failure_threshold,
            reset_timeout_s=settings.breaker.reset_timeout_s,
        )
        self.symbols: list[str] = []
        self.markets: dict[str, MarketInfo] = {}
        self.sim: Any = None
        self.rest: RestClient | None = None
        self.supervisor: StreamSupervisor | None = None
        self.fallback: RestFallback | None = None
        self._tasks: list[asyncio.Task[None]] = []
        # Set before ``start`` to write every frame received to a file (``--record``).
        self.recorder: FrameRecorder | None = None

    async def __aenter__(self) -> StreamService:
        try:
            await self.start()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Start the sim if asked, check symbols, connect, and start the fallback."""
        ws_url, rest_url = await self._endpoints()
        weight_header = venue_of(self.spec).capabilities.weight_header
        self.rest = RestClient(
            rest_url,
            self.settings.rest,
            weight_header=weight_header,
            read_error=self.dialect.rest_error,
        )
        markets_request = self.dialect.markets_request()
        try:
            payload = await self.rest.get_json(markets_request)
        except NetworkUnavailableError as exc:
            raise NetworkUnavailableError(
                f"cannot reach {self.spec.name} at {self.rest.host}: {_detail(exc)}",
                hint="check your network, or try --venue sim (the embedded exchange)",
            ) from exc
        self.markets = markets = self.dialect.parse_markets(payload)
        self.symbols = resolve_symbols(self.settings.symbols, self.dialect, markets, self.spec.name)
        channels = self.settings.channels
        frames = self.dialect.subscribe_messages(self.symbols, channels, first_id=1)
        connection = replace(
            self.settings.connection,
            inbound_msgs_per_s=min(
                self.settings.connection.inbound_msgs_per_s, self.spec.inbound_msgs_per_s
            ),
            max_connection_age_s=min(
                self.settings.connection.max_connection_age_s, self.spec.max_connection_age_s
            ),
        )
        url = ws_url.rstrip("/") + self.dialect.ws_path(self.symbols, channels)
        on_frame: FrameHandler = self.pipeline.on_frame
        if self.recorder is not None:  # only then is there a step between socket and pipeline
            self.recorder.open(url)
            on_frame = self.recorder.wrap(on_frame)
        self.supervisor = StreamSupervisor(
            url,
            frames,
            on_frame,
            stats=self.stats,
            settings=connection,
            breaker=self.stream_breaker,
            backend=self.backend,
            feed=self.pipeline.feed,
        )
        self.fallback = RestFallback(
            rest=self.rest,
            dialect=self.dialect,
            venue=self.spec.name,
            symbols=self.symbols,
            pipeline=self.pipeline,
            supervisor=self.supervisor,
            breaker=self.rest_breaker,
            stats=self.stats,
            interval_s=self.settings.rest.poll_interval_s,
        )
        self._tasks = [
            asyncio.create_task(self.supervisor.run(), name="letrade-supervisor"),
            asyncio.create_task(self.fallback.run(), name="letrade-rest-fallback"),
            asyncio.create_task(self._day_changes(), name="letrade-day-changes"),
        ]

    async def _day_changes(self) -> None:
        """Keep each symbol's 24 h change from the venue (its own figure, not since start)."""
        from letrade_cli.core.errors import DecodeError, ExchangeRejectedError

        request = self.dialect.change_request(self.symbols)
        if request is None or self.rest is None:
            return
        while True:
            try:
                changes = self.dialect.parse_changes(await self.rest.get_json(request))
            except (NetworkUnavailableError, ExchangeRejectedError, DecodeError):
                changes = {}
            for symbol, pct in changes.items():
                if symbol in self.symbols:
                    self.stats.symbol(symbol).change_24h_pct = pct
            if changes and self.supervisor is not None:
                self.supervisor.notify()
            await asyncio.sleep(DAY_CHANGE_REFRESH_S)

    async def _endpoints(self) -> tuple[str, str]:
        endpoints = self.settings.endpoints
        if self.spec.embedded and not (endpoints.ws_url and endpoints.rest_url):
            from letrade_cli.sim.server import SimConfig, SimExchange

            self.sim = SimExchange(
                SimConfig(rate=self.settings.sim.rate, seed=self.settings.sim.seed, port=0)
            )
            await self.sim.start()
            return self.sim.ws_url, self.sim.rest_url
        return (endpoints.ws_url or self.spec.ws_url, endpoints.rest_url or self.spec.rest_url)

    def price(self, symbol: str) -> Tick | None:
        """The freshest price for ``symbol`` (counted as a cache hit or miss)."""
        return self.cache.get(symbol)

    def summary(self) -> dict[str, Any]:
        """Stats, cache and breaker figures as one JSON-ready dict."""
        snap = self.stats.snapshot(self.cache.stats().as_dict())
        snap["venue"] = self.spec.name
        snap["symbols_requested"] = self.symbols
        snap["breakers"] = {
            "stream": self.stream_breaker.as_dict(),
            "rest": self.rest_breaker.as_dict(),
        }
        return snap

    async def aclose(self) -> None:
        """Stop tasks, close sockets and the sim; safe to call twice."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self.rest is not None:
            await self.rest.close()
        if self.sim is not None:
            await self.sim.stop()
            self.sim = None


def _detail(exc: NetworkUnavailableError) -> str:
    message = exc.message
    return message.split(": ", 1)[1] if ": " in message else message
