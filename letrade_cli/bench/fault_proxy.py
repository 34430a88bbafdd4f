"""A loopback TCP proxy that cuts, stalls and corrupts WebSocket connections on request.

Sits between a client and a WebSocket server on 127.0.0.1 and forwards bytes both ways. It
follows the server's frames (unmasked, after the HTTP 101 answer) so that injected frames land
on frame boundaries:

- ``cut()``: abort every proxied connection, both sides, without a close handshake;
- ``stall(seconds)``: stop reading from the server for that long (the client sees silence;
  the connection stays open);
- ``garbage(frames)``: insert that many well-formed text frames whose payload is not JSON
  (each should become one counted decode error, never a disconnect);
- ``corrupt()``: insert bytes that are not a valid WebSocket frame (the client must drop the
  connection cleanly and reconnect);
- ``down(seconds)``: cut every connection and refuse new ones (accepted, then aborted at once)
  for that long: the network is gone, then back.

Plain HTTP goes through it just as well (REST behind the same proxy).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

GARBAGE_PAYLOAD = b'{"e":"trade","s":garbage #%d'
CORRUPT_BYTES = b"\xf3\x7f\xff\xff\xff\xff\xff\xff\xff\xff"  # RSV bits, reserved opcode, 2**63 len


def text_frame(payload: bytes) -> bytes:
    """An unmasked final text frame (server to client)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    return bytes((0x81, 126)) + n.to_bytes(2, "big") + payload


class FrameCursor:
    """Follows server-to-client WebSocket frames in a byte stream to know where they end."""

    __slots__ = ("head", "http_done", "http_tail", "remaining")

    def __init__(self) -> None:
        self.http_done = False
        self.http_tail = b""
        self.head = bytearray()
        self.remaining = 0

    @property
    def at_boundary(self) -> bool:
        """True between two frames (where an injected frame may go)."""
        return self.http_done and not self.remaining and not self.head

    def boundaries(self, data: bytes) -> list[int]:
        """Advance over ``data``; return the offsets in it where a frame starts or ends."""
        pos, n = 0, len(data)
        out: list[int] = []
        if not self.http_done:
            joined = self.http_tail + data
            end = joined.find(b"\r\n\r\n")
            if end < 0:
                self.http_tail = joined[-3:]
                return out
            self.http_done = True
            pos = end + 4 - len(self.http_tail)
            self.http_tail = b""
            out.append(pos)
        head = self.head
        while pos < n:
            if self.remaining:
                step = min(self.remaining, n - pos)
                pos += step
                self.remaining -= step
                if not self.remaining:
                    out.append(pos)
                continue
            head.append(data[pos])
            pos += 1
            if len(head) < 2:
                continue
            size = head[1] & 0x7F
            need = (
                2 + (2 if size == 126 else 8 if size == 127 else 0) + (4 if head[1] & 0x80 else 0)
            )
            if len(head) < need:
                continue
            if size == 126:
                size = int.from_bytes(head[2:4], "big")
            elif size == 127:
                size = int.from_bytes(head[2:10], "big")
            head.clear()
            self.remaining = size
            if not size:
                out.append(pos)
        return out


class _Pair:
    """One proxied connection: the client's transport, the server's, and what to inject."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.client: Any = None
        self.server: Any = None
        self.cursor = FrameCursor()
        self.inject: list[bytes] = []
        self.pending_up = bytearray()
        self.closed = False

    def to_client(self, data: bytes) -> None:
        if self.closed:
            return
        if not self.inject:
            self.cursor.boundaries(data)
            self.client.write(data)
            return
        cuts = self.cursor.boundaries(data)
        if not cuts:
            self.client.write(data)
            return
        cut = cuts[0]
        self.client.write(data[:cut] + b"".join(self.inject) + data[cut:])
        self.inject.clear()

    def queue(self, payload: bytes) -> None:
        if self.cursor.at_boundary and self.client is not None:
            self.client.write(payload)
        else:
            self.inject.append(payload)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.proxy.pairs.discard(self)
        for t in (self.client, self.server):
            if t is not None:
                t.abort()


class _ServerSide(asyncio.Protocol):
    def __init__(self, pair: _Pair) -> None:
        self.pair = pair

    def connection_made(self, transport: Any) -> None:
        self.pair.server = transport
        if self.pair.pending_up:
            transport.write(bytes(self.pair.pending_up))
            self.pair.pending_up.clear()

    def data_received(self, data: bytes) -> None:
        self.pair.to_client(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.pair.close()


class _ClientSide(asyncio.Protocol):
    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.pair = _Pair(proxy)

    def connection_made(self, transport: Any) -> None:
        self.pair.client = transport
        if asyncio.get_running_loop().time() < self.proxy.down_until:
            self.proxy.refused += 1
            transport.abort()
            return
        self.proxy.pairs.add(self.pair)
        self.proxy.accepted += 1
        task = asyncio.ensure_future(self._connect_upstream())
        self.proxy._tasks.add(task)
        task.add_done_callback(self.proxy._tasks.discard)

    async def _connect_upstream(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(
                lambda: _ServerSide(self.pair), self.proxy.upstream_host, self.proxy.upstream_port
            )
        except OSError:
            self.pair.close()

    def data_received(self, data: bytes) -> None:
        server = self.pair.server
        if server is None:
            self.pair.pending_up += data
        else:
            server.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.pair.close()


class FaultProxy:
    """``await FaultProxy(host, port).start()`` -> listening; ``url`` is where clients go."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.pairs: set[_Pair] = set()
        self.accepted = 0
        self.refused = 0
        self.down_until = 0.0  # loop time until which new connections are refused
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._garbage_ids = itertools.count(1)

    async def start(self) -> FaultProxy:
        """Listen on 127.0.0.1 (a free port)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ClientSide(self), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def cut(self) -> int:
        """Abort every proxied connection; returns how many."""
        pairs = list(self.pairs)
        for pair in pairs:
            pair.close()
        return len(pairs)

    def down(self, seconds: float) -> int:
        """Cut every connection and refuse new ones for ``seconds``; returns how many were cut."""
        self.down_until = asyncio.get_running_loop().time() + seconds
        return self.cut()

    def stall(self, seconds: float) -> int:
        """Hold the server's bytes back for ``seconds``; returns the connections stalled."""
        loop = asyncio.get_running_loop()
        pairs = [p for p in self.pairs if p.server is not None]
        for pair in pairs:
            pair.server.pause_reading()

            def resume(p: _Pair = pair) -> None:
                if not p.closed:
                    with contextlib.suppress(Exception):
                        p.server.resume_reading()

            handle = loop.call_later(seconds, resume)
            self._timers.add(handle)
        return len(pairs)

    def garbage(self, frames: int = 1) -> int:
        """Insert ``frames`` non-JSON text frames per connection; returns frames queued."""
        queued = 0
        for pair in list(self.pairs):
            for _ in range(frames):
                pair.queue(text_frame(GARBAGE_PAYLOAD % next(self._garbage_ids)))
                queued += 1
        return queued

    def corrupt(self) -> int:
        """Insert bytes that are no WebSocket frame; returns the connections hit."""
        pairs = list(self.pairs)
        for pair in pairs:
            pair.queue(CORRUPT_BYTES)
        return len(pairs)

    async def stop(self) -> None:
        """Close the listener and every connection."""
        for handle in self._timers:
            handle.cancel()
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
