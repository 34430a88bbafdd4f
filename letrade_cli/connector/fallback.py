"""REST polling while the stream is not live, behind its own circuit breaker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from letrade_cli.connector.pipeline import IngestPipeline
from letrade_cli.connector.rest import RestClient
from letrade_cli.connector.stats import StreamStats
from letrade_cli.connector.supervisor import StreamSupervisor
from letrade_cli.core.breaker import CircuitBreaker
from letrade_cli.errors import ExchangeRejectedError, NetworkUnavailableError
from letrade_cli.exchanges.base import Dialect


class RestFallback:
    """Serves prices from REST when the stream has not been live for ``grace_s``."""

    def __init__(
        self,
        *,
        rest: RestClient,
        dialect: Dialect,
        venue: str,
        symbols: Sequence[str],
        pipeline: IngestPipeline,
        supervisor: StreamSupervisor,
        breaker: CircuitBreaker,
        stats: StreamStats,
        interval_s: float,
        grace_s: float | None = None,
    ) -> None:
        self.rest = rest
        self.dialect = dialect
        self.venue = venue
        self.symbols = list(symbols)
        self.pipeline = pipeline
        self.supervisor = supervisor
        self.breaker = breaker
        self.stats = stats
        self.interval_s = interval_s
        self.grace_s = interval_s if grace_s is None else grace_s
        self.polls = 0

    async def run(self) -> None:
        """Poll while the stream is down; switch back the moment it is live again."""
        not_live_since: float | None = None
        while True:
            now = time.monotonic()
            if self.supervisor.is_live:
                not_live_since = None
                self._use("stream")
            else:
                not_live_since = not_live_since or now
                if now - not_live_since >= self.grace_s:
                    self._use("rest")
                    await self.poll_once()
            await asyncio.sleep(
                min(self.interval_s, 0.25) if self.stats.source == "stream" else self.interval_s
            )

    async def poll_once(self) -> int:
        """One REST request for every symbol; returns the number of ticks ingested."""
        if not self.breaker.allow():
            return 0
        request = self.dialect.price_request(self.symbols)
        try:
            payload = await self.rest.get_json(request)
        except (NetworkUnavailableError, ExchangeRejectedError) as exc:
            self.breaker.record_failure()
            self.stats.rest_errors += 1
            self.stats.last_exchange_error = str(exc)
            return 0
        finally:
            self.stats.rest_requests = self.rest.requests
            self.stats.rest_weight_used = self.rest.used_weight
        self.breaker.record_success()
        self.polls += 1
        ticks = self.dialect.parse_prices(payload, self.venue, time.time_ns())
        for tick in ticks:
            self.pipeline.ingest_tick(tick)
        self.stats.rest_ticks += len(ticks)
        self.supervisor.notify()
        return len(ticks)

    def _use(self, source: str) -> None:
        if self.stats.source != source:
            self.stats.source = source
            self.stats.source_switches += 1
            self.supervisor.notify()
