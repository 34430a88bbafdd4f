"""Keeps one WebSocket subscription alive: connect, subscribe, watch, reconnect.

Venue-agnostic: it is given a URL, the subscription frames to send after each connect and a
frame handler. It never parses frames. Failures (refused connects, drops, stalls) feed a
circuit breaker; while the breaker is open the stream is "down" and readers use REST.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence

from letrade_cli.config.stream import ConnectionSettings
from letrade_cli.connector.stats import StreamStats
from letrade_cli.connector.transport import (
    FrameHandler,
    WsConnection,
    open_websocket,
)
from letrade_cli.core.backoff import Backoff
from letrade_cli.core.breaker import BreakerState, CircuitBreaker
from letrade_cli.core.rate import TokenBucket
from letrade_cli.core.stall import GapEstimator

WATCH_INTERVAL_S = 0.1
CONFIRM_S = 0.02

STARTING, CONNECTING, SUBSCRIBING, LIVE, STALLED, RECONNECTING, DOWN, STOPPED = (
    "starting",
    "connecting",
    "subscribing",
    "live",
    "stalled",
    "reconnecting",
    "down",
    "stopped",
)


class StreamSupervisor:
    """Runs until cancelled; exposes its state for the fallback, the UI and tests."""

    def __init__(
        self,
        url: str,
        subscribe_frames: Sequence[str],
        on_frame: FrameHandler,
        *,
        stats: StreamStats,
        settings: ConnectionSettings,
        breaker: CircuitBreaker,
        backend: str = "auto",
        backoff: Backoff | None = None,
        pacer: TokenBucket | None = None,
        feed: GapEstimator | None = None,
    ) -> None:
        self.url = url
        self.subscribe_frames = list(subscribe_frames)
        self.on_frame = on_frame
        self.stats = stats
        self.settings = settings
        self.breaker = breaker
        self.backend = backend
        self.backoff = backoff or Backoff(
            initial_s=settings.backoff_initial_s,
            max_s=settings.backoff_max_s,
            stable_after_s=settings.stable_after_s,
        )
        # Shared across reconnects: a burst of reconnects must not burst subscriptions.
        self.pacer = pacer or TokenBucket(rate_per_s=settings.inbound_msgs_per_s, burst=1)
        # The connection's rhythm (the pipeline updates it per frame); it sets the stall threshold.
        self.feed = feed or GapEstimator(
            floor_s=settings.stall_timeout_s, ceiling_s=settings.stall_timeout_s
        )
        self.last_stall_silence_s = 0.0
        self.last_error: Exception | None = None
        self.last_disconnect = ""
        self.subscribe_frames_sent = 0
        self._live = asyncio.Event()
        self._changed = asyncio.Event()
        self._connection: WsConnection | None = None
        self._opened_ns = 0

    @property
    def state(self) -> str:
        """One of starting, connecting, subscribing, live, stalled, reconnecting, down, stopped."""
        return self.stats.connection_state

    @property
    def is_live(self) -> bool:
        """True from the first frame on an open connection (before the watchdog notices)."""
        if self._live.is_set():
            return True
        conn = self._connection
        return conn is not None and not conn.closed.done() and conn.last_recv_ns > self._opened_ns

    async def wait_live(self, timeout: float) -> None:
        """Wait until the stream is live; TimeoutError otherwise."""
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
        async with asyncio.timeout(timeout):
            await self._live.wait()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Wait until ``predicate()`` holds, re-checked on every state change."""
        async with asyncio.timeout(timeout):
            while True:
                changed = self._changed
                if predicate():
                    return
                await changed.wait()

    async def wait_changed(self, timeout: float) -> None:
        """Return on the next state change or notify, or after ``timeout`` seconds."""
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await changed.wait()

    async def run(self) -> None:
        """Supervise forever (until cancelled)."""
        try:
            await self._run()
        finally:
            self._set_state(STOPPED)
            if self._connection is not None:
                with contextlib.suppress(Exception):
                    await self._connection.close()

    async def _run(self) -> None:
        ever_connected = False
        while True:
            if not self.breaker.allow():
                self._set_state(DOWN)
                await asyncio.sleep(min(max(self.breaker.retry_after(), 0.05), 1.0))
                continue
            self._set_state(CONNECTING)
            try:
                conn = await open_websocket(
                    self.url,
                    self.on_frame,
                    backend=self.backend,
                    connect_timeout=self.settings.connect_timeout_s,
                )
            except Exception as exc:  # a ConnectError, or a library's surprise: both are failures
                self.last_error = exc
                self.stats.connect_failures += 1
                self.breaker.record_failure()
                await self._pause(DOWN if self.breaker.state is BreakerState.OPEN else RECONNECTING)
                continue
            self._connection = conn
            self.stats.backend = conn.backend
            self.stats.connects += 1
            if ever_connected:
                self.stats.reconnects += 1
            ever_connected = True
            self.backoff.on_connected()
            try:
                reason = await self._serve(conn)
            finally:
                self._live.clear()
                await conn.close()
                self._connection = None
            self.backoff.on_disconnected()
            self.last_disconnect = reason
            if reason == "max-age":
                self.stats.proactive_reconnects += 1
                continue
            self.breaker.record_failure()
            await self._pause(STALLED if reason == "stalled" else RECONNECTING)

    async def _pause(self, state: str) -> None:
        self._set_state(state)
        await asyncio.sleep(self.backoff.next_delay())

    async def _serve(self, conn: WsConnection) -> str:
        self._opened_ns = time.time_ns()
        self._set_state(SUBSCRIBING)
        for frame in self.subscribe_frames:
            await self.pacer.acquire()
            if conn.closed.done():
                return conn.closed.result()
            await conn.send_text(frame)
            self.subscribe_frames_sent += 1
        opened_ns = time.time_ns()
        opened = time.monotonic()
        ceiling_ns = self.feed.ceiling_ns
        feed = self.feed
        feed.restart()  # the outage before this connection is not a gap of the feed
        while True:
            await asyncio.wait({conn.closed}, timeout=WATCH_INTERVAL_S)
            if conn.closed.done():
                return conn.closed.result()
            now_ns = time.time_ns()
            last = conn.last_recv_ns
            if last > opened_ns and not self._live.is_set():
                self.breaker.record_success()
                self._live.set()
                self._set_state(LIVE)
            # Before this connection's first frame the feed's rhythm says nothing: the ceiling.
            limit = feed.threshold_ns() if last > opened_ns else ceiling_ns
            silence = now_ns - max(last, opened_ns)
            if silence > limit:
                # A starved event loop (CPU contention, a long GC) looks like a silent feed:
                # let it read what the socket holds before blaming the venue.
                await asyncio.wait({conn.closed}, timeout=CONFIRM_S)
                if conn.closed.done():
                    return conn.closed.result()
                if conn.last_recv_ns != last:
                    continue
                silence = time.time_ns() - max(last, opened_ns)
                self.stats.stalls += 1
                self.last_stall_silence_s = silence / 1e9
                return "stalled"
            if time.monotonic() - opened >= self.settings.max_connection_age_s:
                return "max-age"

    def _set_state(self, state: str) -> None:
        if self.stats.connection_state != state:
            self.stats.connection_state = state
            self.notify()

    def notify(self) -> None:
        """Wake ``wait_until`` waiters (counters changed outside a state transition)."""
        self._changed.set()
        self._changed = asyncio.Event()
