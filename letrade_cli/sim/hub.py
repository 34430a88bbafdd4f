"""Connections, their subscriptions, and the loop that releases market data.

Under a light load each event is sent when it is due; under a heavy one, every ``slice_s`` the
hub asks the engine for the events due, formats each wanted stream's payloads once, and writes
each connection's frames with a single ``transport.write``, in event-time order across its
streams (as a venue's combined stream interleaves them), not stream by stream. Frames
are built here (server frames are unmasked and uncompressed), which is what lets one Python
process push 100k+ messages per second; aiohttp still handles the handshake and what clients
send. A connection whose unsent bytes pile up past ``max_write_buffer`` is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from letrade_cli.sim.config import SimConfig, SimStats
from letrade_cli.sim.generator import MarketEngine

log = logging.getLogger("letrade.sim")

OP_TEXT = 0x1
OP_BINARY = 0x2
OP_PING = 0x9

Payloads = dict[str, list[bytes]]
Times = dict[str, list[int]]
"""Per stream key, the event time (ms) of each of its payloads, in the same order."""

LIGHT_RATE_PER_S = 2000.0  # up to this aggregate rate every event is sent when it is due
MAX_IDLE_S = 0.05  # a light loop still wakes this often (new subscriptions, housekeeping)
PERIODIC_S = 0.1  # build_periodic's cadence (100 ms depth streams; the rest once a second)


def _whole_key(key: str) -> str:
    return key


@dataclass(frozen=True, slots=True)
class StreamRules:
    """How the hub treats a dialect's WebSocket connections, as data.

    Attributes:
        opcode: The opcode of its data frames (``OP_TEXT`` or ``OP_BINARY``).
        server_ping: The hub pings its connections every ``ping_interval_s`` and drops those
            that sent no pong for ``pong_timeout_s``.
        key_symbol: The market symbol a stream key of the dialect is about (default: the key
            is the symbol).
    """

    opcode: int = OP_TEXT
    server_ping: bool = False
    key_symbol: Callable[[str], str] = _whole_key


DEFAULT_RULES = StreamRules()


def frame_header(opcode: int, n: int) -> bytes:
    """An unmasked, final WebSocket frame header for a payload of ``n`` bytes."""
    first = 0x80 | opcode
    if n < 126:
        return bytes((first, n))
    if n < 65536:
        return struct.pack("!BBH", first, 126, n)
    return struct.pack("!BBQ", first, 127, n)


class Conn:
    """One WebSocket connection as the hub sees it."""

    def __init__(
        self,
        cid: int,
        dialect: str,
        ws: Any,
        transport: Any,
        combined: bool,
        rules: StreamRules = DEFAULT_RULES,
    ) -> None:
        now = time.monotonic()
        self.id = cid
        self.dialect = dialect
        self.rules = rules
        self.opcode = rules.opcode
        self.ws = ws
        self.transport = transport
        self.combined = combined
        self.streams: dict[str, None] = {}
        self.opened = now
        self.last_pong = now
        self.last_ping = now
        self.inbound: deque[float] = deque()
        self.closed = False
        self.frames = 0
        self.data_format = "DEFAULT"  # a dialect's per-connection message format, if it has one
        self._prefixes: dict[str, bytes] = {}

    def write(self, payloads: list[bytes], opcode: int = OP_TEXT) -> None:
        """Write whole frames for these payloads in one transport call."""
        if self.closed or self.transport is None or self.transport.is_closing():
            return
        buf = bytearray()
        for p in payloads:
            buf += frame_header(opcode, len(p))
            buf += p
        self.transport.write(buf)
        self.frames += len(payloads)

    def push(self, payloads: Payloads, times: Times | None = None) -> None:
        """Write every payload of this slice that belongs to one of our streams.

        Payloads with event times (``times``) go out in time order across streams (ties in
        subscription order; each stream's own order kept), after those without.
        """
        parts: list[bytes] = []
        by_ms: dict[int, list[bytes]] = {}
        for stream in self.streams:
            items = payloads.get(stream)
            if not items:
                continue
            if self.combined:
                prefix = self._prefixes.get(stream)
                if prefix is None:
                    prefix = self._prefixes[stream] = b'{"stream":"%s","data":' % stream.encode()
                items = [prefix + p + b"}" for p in items]
            stamps = times.get(stream) if times else None
            if stamps is None:
                parts.extend(items)
                continue
            last = 0
            for ms, item in zip(stamps, items, strict=True):
                # Never ahead of this stream's earlier payloads: each stream keeps its own
                # order (trade ids stay increasing) whatever the time stamps say.
                last = ms = ms if ms > last else last
                bucket = by_ms.get(ms)
                if bucket is None:
                    by_ms[ms] = [item]
                else:
                    bucket.append(item)
        for ms in sorted(by_ms):
            parts.extend(by_ms[ms])
        if parts:
            self.write(parts, self.opcode)

    def too_chatty(self, limit: int) -> bool:
        """Record one incoming text frame; True when more than ``limit`` arrived within 1 s."""
        now = time.monotonic()
        q = self.inbound
        q.append(now)
        while q and now - q[0] > 1.0:
            q.popleft()
        return len(q) > limit

    def abort(self) -> None:
        """Drop the TCP connection without a close handshake."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class Hub:
    """The sim's live state: connections, stream reference counts, the slice loop."""

    def __init__(
        self,
        config: SimConfig,
        engine: MarketEngine,
        build: Callable[[dict[str, list[tuple[int, ...]]], float], tuple[Payloads, Times]],
        build_periodic: Callable[[float], Payloads],
    ) -> None:
        self.config = config
        self.engine = engine
        self.conns: dict[int, Conn] = {}
        self.refs: Counter[str] = Counter()
        self.paused = False
        self.rest_requests = 0
        self.rate_limited = 0  # requests refused for a rate limit or a ban (dialects count)
        self.total = 0
        self._frames_closed = 0
        self._next_id = 0
        self._build = build
        self._build_periodic = build_periodic
        self._changed = asyncio.Event()
        self.wall_offset = 0.0
        self._closing: set[asyncio.Future[Any]] = set()
        self.stream_rules: dict[str, StreamRules] = {}
        self._key_symbols: dict[str, str] = {}

    def register(self, dialect: str, rules: StreamRules) -> None:
        """Declare how ``dialect``'s connections are treated (before it opens any)."""
        self.stream_rules[dialect] = rules

    @property
    def stats(self) -> SimStats:
        """A snapshot of the counters."""
        return SimStats(
            ws_connections=len(self.conns),
            ws_connections_total=self.total,
            frames_sent=self._frames_closed + sum(c.frames for c in self.conns.values()),
            subscriptions={cid: set(c.streams) for cid, c in self.conns.items()},
            rest_requests=self.rest_requests,
            rate_limited=self.rate_limited,
        )

    def new_conn(self, dialect: str, ws: Any, transport: Any, combined: bool) -> Conn:
        """Register a freshly upgraded connection."""
        self._next_id += 1
        rules = self.stream_rules.get(dialect, DEFAULT_RULES)
        conn = Conn(self._next_id, dialect, ws, transport, combined, rules)
        self.conns[conn.id] = conn
        self.total += 1
        self._notify()
        return conn

    def remove(self, conn: Conn) -> None:
        """Forget a connection and its subscriptions (idempotent)."""
        if self.conns.pop(conn.id, None) is None:
            return
        conn.closed = True
        self._frames_closed += conn.frames
        self.unsubscribe(conn, list(conn.streams))
        self._notify()

    def subscribe(self, conn: Conn, streams: list[str]) -> None:
        """Add streams to a connection."""
        new = [s for s in streams if s not in conn.streams]
        for s in new:
            conn.streams[s] = None
            self.refs[s] += 1
            if s not in self._key_symbols:
                self._key_symbols[s] = conn.rules.key_symbol(s)
        if new:
            self._refresh()

    def unsubscribe(self, conn: Conn, streams: list[str]) -> None:
        """Remove streams from a connection (unknown ones are ignored)."""
        gone = [s for s in streams if s in conn.streams]
        for s in gone:
            del conn.streams[s]
            self.refs[s] -= 1
            if self.refs[s] <= 0:
                del self.refs[s]
                self._key_symbols.pop(s, None)
        if gone:
            self._refresh()

    def drop_all(self) -> int:
        """Abort every connection; returns how many there were."""
        conns = list(self.conns.values())
        for conn in conns:
            conn.abort()
            self.remove(conn)
        return len(conns)

    async def wait_for(self, n: int, timeout: float) -> None:
        """Return once at least ``n`` connections are open; TimeoutError after ``timeout``."""
        async with asyncio.timeout(timeout):
            while len(self.conns) < n:
                await self._changed.wait()

    async def run(self) -> None:
        """The send loop: release, format and send due events; ping; expire connections.

        Under a light load (``rate`` up to ``LIGHT_RATE_PER_S``) it wakes when the next event is
        due and sends it at once, so the exchange->receive latency a client measures on the sim
        is its own, not the sim's. Under a heavy load it batches the events of ``slice_s``
        into one write per connection, which is what sustains 100k+ messages per second.
        """
        loop = asyncio.get_running_loop()
        self.wall_offset = time.time() - loop.time()
        slice_s = self.config.slice_s
        light = self.config.rate <= LIGHT_RATE_PER_S
        next_t = loop.time()
        next_periodic = next_t + PERIODIC_S
        while True:
            if light:
                next_t = min(self.engine.next_due(), next_periodic, loop.time() + MAX_IDLE_S)
            else:
                next_t += slice_s
            delay = next_t - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                next_t = loop.time()
                await asyncio.sleep(0)
            now = loop.time()
            try:
                events = self.engine.step(now, self.wall_offset)
                if events and not light:
                    # Requests that arrived during the generation are answered before the
                    # formatting and sending: an order waits for one phase, not both.
                    await asyncio.sleep(0)
                    await asyncio.sleep(0)
                if events and not self.paused:
                    self._send(*self._build(events, now + self.wall_offset))
                if now >= next_periodic:
                    next_periodic += PERIODIC_S
                    if not self.paused and self.conns:
                        self._send(self._build_periodic(now + self.wall_offset))
                self._housekeeping()
            except Exception:
                log.exception("sim slice failed")

    def _send(self, payloads: Payloads, times: Times | None = None) -> None:
        if not payloads:
            return
        limit = self.config.max_write_buffer
        for conn in list(self.conns.values()):
            conn.push(payloads, times)
            t = conn.transport
            if t is not None and t.get_write_buffer_size() > limit:
                log.warning("dropping slow consumer %s", conn.id)
                conn.abort()
                self.remove(conn)

    def _housekeeping(self) -> None:
        cfg = self.config
        now = time.monotonic()
        for conn in list(self.conns.values()):
            if now - conn.opened > cfg.max_connection_age_s:
                self._close(conn, 1000, b"max connection age")
                continue
            if not conn.rules.server_ping:
                continue
            if now - conn.last_pong > cfg.pong_timeout_s:
                log.info(
                    "connection %s: no pong for %.1fs, disconnecting", conn.id, cfg.pong_timeout_s
                )
                conn.abort()
                self.remove(conn)
            elif now - conn.last_ping >= cfg.ping_interval_s:
                conn.last_ping = now
                conn.write([str(int(now * 1000)).encode()], OP_PING)

    def _close(self, conn: Conn, code: int, reason: bytes) -> None:
        self.remove(conn)
        task = asyncio.ensure_future(conn.ws.close(code=code, message=reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _refresh(self) -> None:
        key_symbols = self._key_symbols
        symbols = {key_symbols[k] for k in self.refs}
        loop_now = asyncio.get_running_loop().time()
        self.engine.set_active(symbols, loop_now, int(time.time() * 1000))

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
