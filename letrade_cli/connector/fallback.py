"""REST polling while the stream is not live, behind its own circuit breaker.

Two triggers: the whole stream is not live (cut, stalled, down) for ``grace_s`` counted from
its last frame, so a stall detected after 0.5 s of silence polls at once; or single symbols
went silent on a live stream past their own thresholds (see ``core.stall``), which are polled
alone, once per ``interval_s``, until the stream speaks for them again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from letrade_cli.connector.pipeline import IngestPipeline
from letrade_cli.connector.rest import RestClient
from letrade_cli.connector.stats import StreamStats
from letrade_cli.connector.supervisor import StreamSupervisor
from letrade_cli.core.breaker import CircuitBreaker
from letrade_cli.core.errors import ExchangeRejectedError, NetworkUnavailableError
from letrade_cli.venues.base import Dialect

WATCH_S = 0.1  # how often a live stream's symbols are checked for silence


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
        self.grace_s = min(interval_s, 0.5) if grace_s is None else grace_s
        self.polls = 0
        self.stale_polls = 0
        self.first_fill_ns = 0  # the first REST fill after the stream stopped being live

    async def run(self) -> None:
        """Poll while the stream is down; switch back the moment it is live again."""
        not_live_since: float | None = None
        next_stale_poll = 0.0
        while True:
            now = time.monotonic()
            if self.supervisor.is_live:
                not_live_since = None
                self.first_fill_ns = 0
                self._use("stream")
                if now >= next_stale_poll:
                    stale = self.stale_symbols()
                    if stale:
                        next_stale_poll = now + self.interval_s
                        self.stale_polls += 1
                        await self.poll_once(stale)
                await self.supervisor.wait_changed(min(self.interval_s, WATCH_S))
                continue
            not_live_since = not_live_since or now
            last_ns = self.pipeline.feed.last_ns
            silent_s = (time.time_ns() - last_ns) / 1e9 if last_ns else now - not_live_since
            if silent_s + 1e-3 >= self.grace_s or self.stats.source == "rest":
                self._use("rest")
                if await self.poll_once() and not self.first_fill_ns:
                    self.first_fill_ns = time.time_ns()
                await self.supervisor.wait_changed(self.interval_s)
            else:
                await self.supervisor.wait_changed(max(0.01, self.grace_s - silent_s))

    def stale_symbols(self) -> list[str]:
        """Symbols whose stream went silent past their own thresholds, on a live stream."""
        now_ns = time.time_ns()
        symbols = self.stats.symbols
        return [s for s in self.symbols if (st := symbols.get(s)) and st.is_stale(now_ns)]

    async def poll_once(self, symbols: Sequence[str] | None = None) -> int:
        """One REST request for ``symbols`` (default: all); returns the ticks ingested."""
        if not self.breaker.allow():
            return 0
        request = self.dialect.price_request(self.symbols if symbols is None else symbols)
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
