"""WebSocket transport: one small interface, two backends (picows when installed, websockets).

The transport only moves frames: each complete text or binary message is handed to
``on_frame(payload, recv_ns)`` synchronously, stamped with ``time.time_ns()`` as it is read.
Reconnects, subscriptions and watchdogs live in the supervisor, decoding in the pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from letrade_cli.core.errors import NetworkUnavailableError

FrameHandler = Callable[[bytes | str, int], None]

# A graceful close sends what is still buffered first; a peer that stopped reading never takes
# it, and the close would wait for the kernel's TCP timeout (minutes). After this, abort.
CLOSE_GRACE_S = 2.0


class ConnectError(NetworkUnavailableError):
    """The WebSocket could not be opened (refused, DNS, TLS, handshake or HTTP status)."""


class WsConnection(Protocol):
    """An open WebSocket as the supervisor sees it."""

    backend: str
    closed: asyncio.Future[str]
    last_recv_ns: int

    async def send_text(self, text: str) -> None:
        """Send one text frame."""
        ...

    async def close(self) -> None:
        """Close the connection; ``closed`` resolves."""
        ...


def available_backends() -> list[str]:
    """Backends importable here, fastest first."""
    backends = []
    try:
        import picows  # noqa: F401

        backends.append("picows")
    except ImportError:
        pass
    backends.append("websockets")
    return backends


async def open_websocket(
    url: str,
    on_frame: FrameHandler,
    *,
    backend: str = "auto",
    connect_timeout: float = 10.0,
) -> WsConnection:
    """Connect to ``url`` and start delivering frames to ``on_frame``.

    Raises:
        ConnectError: the connection or the WebSocket handshake failed.
    """
    chosen = available_backends()[0] if backend == "auto" else backend
    if chosen == "picows":
        return await _PicowsConnection.connect(url, on_frame, connect_timeout)
    if chosen == "websockets":
        return await _WebsocketsConnection.connect(url, on_frame, connect_timeout)
    raise ValueError(f"unknown WebSocket backend {backend!r}")


def _quiet_picows_logger() -> logging.Logger:
    """A logger that keeps picows' per-error lines off stderr.

    picows logs each parser error at ERROR level; we report them as disconnects instead, and
    they would land on stderr after the summary.
    """
    logger = logging.getLogger("picows.letrade")
    if logger.propagate:
        logger.propagate = False
        logger.addHandler(logging.NullHandler())
    return logger


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _connect_error(url: str, exc: BaseException) -> ConnectError:
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError):
        reason = "timed out"
    return ConnectError(f"cannot open WebSocket to {_host_of(url)}: {reason}")


class _PicowsConnection:
    backend = "picows"

    def __init__(self) -> None:
        self.closed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.last_recv_ns = 0
        self._transport: Any = None
        self._watch: asyncio.Future[Any] | None = None

    @classmethod
    async def connect(cls, url: str, on_frame: FrameHandler, timeout: float) -> _PicowsConnection:
        import picows

        conn = cls()
        text, binary, cont, close = (
            picows.WSMsgType.TEXT,
            picows.WSMsgType.BINARY,
            picows.WSMsgType.CONTINUATION,
            picows.WSMsgType.CLOSE,
        )
        time_ns = time.time_ns

        class Listener(picows.WSListener):
            fragments: list[bytes] | None = None

            def on_ws_frame(self, transport: Any, frame: Any) -> None:
                msg_type = frame.msg_type
                if (msg_type is text or msg_type is binary) and frame.fin:
                    recv_ns = time_ns()
                    conn.last_recv_ns = recv_ns
                    on_frame(frame.get_payload_as_bytes(), recv_ns)
                elif msg_type is text or msg_type is binary:
                    self.fragments = [frame.get_payload_as_bytes()]
                elif msg_type is cont and self.fragments is not None:
                    self.fragments.append(frame.get_payload_as_bytes())
                    if frame.fin:
                        payload, self.fragments = b"".join(self.fragments), None
                        recv_ns = time_ns()
                        conn.last_recv_ns = recv_ns
                        on_frame(payload, recv_ns)
                elif msg_type is close:
                    code = frame.get_close_code()
                    conn._resolve(f"server closed ({int(code)})")
                    transport.send_close(code)
                    transport.disconnect()

            def on_ws_disconnected(self, transport: Any) -> None:
                conn._resolve("connection lost")

        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for loses a cancellation that lands as
            # the handshake completes, and the stream then runs on after Ctrl-C (core.waits).
            async with asyncio.timeout(timeout):
                transport, _ = await picows.ws_connect(
                    Listener,
                    url,
                    websocket_handshake_timeout=timeout,
                    enable_auto_pong=True,
                    disconnect_on_exception=False,
                    logger_name=_quiet_picows_logger(),
                )
        except (OSError, TimeoutError, picows.WSError) as exc:
            raise _connect_error(url, exc) from exc
        conn._transport = transport
        # A protocol error (a corrupt frame) ends the connection with an exception that only
        # wait_disconnected() hands out; await it here, or asyncio prints "Future exception was
        # never retrieved" (with a traceback) when the connection is collected.
        conn._watch = asyncio.ensure_future(transport.wait_disconnected())
        conn._watch.add_done_callback(conn._on_disconnected)
        return conn

    def _on_disconnected(self, future: asyncio.Future[Any]) -> None:
        exc = None if future.cancelled() else future.exception()
        reason = str(exc.args[-1]) if exc is not None and exc.args else type(exc).__name__
        self._resolve(f"protocol error: {reason}" if exc is not None else "connection lost")

    def _resolve(self, reason: str) -> None:
        if not self.closed.done():
            self.closed.set_result(reason)

    async def send_text(self, text: str) -> None:
        import picows

        self._transport.send(picows.WSMsgType.TEXT, text.encode())

    async def close(self) -> None:
        transport = self._transport
        if transport is not None and not transport.is_disconnected:
            transport.send_close()
            transport.disconnect()
            with contextlib.suppress(Exception):
                try:
                    async with asyncio.timeout(CLOSE_GRACE_S):
                        await transport.wait_disconnected()
                except TimeoutError:
                    transport.underlying_transport.abort()  # the peer is not reading
                    await transport.wait_disconnected()
        if self._watch is not None:
            await asyncio.gather(self._watch, return_exceptions=True)
        self._resolve("closed by us")


class _WebsocketsConnection:
    backend = "websockets"

    def __init__(self, ws: Any) -> None:
        self.closed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.last_recv_ns = 0
        self._ws = ws
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(
        cls, url: str, on_frame: FrameHandler, timeout: float
    ) -> _WebsocketsConnection:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, WebSocketException

        try:
            ws = await connect(
                url,
                open_timeout=timeout,
                ping_interval=None,  # the server pings; we answer (websockets does it)
                compression=None,
                max_size=2**24,
            )
        except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as exc:
            raise _connect_error(url, exc) from exc
        conn = cls(ws)
        conn._reader = asyncio.create_task(conn._read(on_frame))
        return conn

    async def _read(self, on_frame: FrameHandler) -> None:
        from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

        time_ns = time.time_ns
        # Text frames as bytes, as picows hands them: no UTF-8 decode here and no re-encode in
        # the decoder's fast path (bad UTF-8 becomes the decoder's counted error, as on picows).
        recv = self._ws.recv
        reason = "connection lost"
        try:
            while True:
                message = await recv(decode=False)
                recv_ns = time_ns()
                self.last_recv_ns = recv_ns
                on_frame(message, recv_ns)
        except ConnectionClosedOK:  # what ended `async for` quietly
            rcvd = self._ws.close_code
            if rcvd is not None:
                reason = f"server closed ({rcvd})"
        except ConnectionClosed as exc:
            if exc.rcvd is not None:
                reason = f"server closed ({exc.rcvd.code})"
        finally:
            if not self.closed.done():
                self.closed.set_result(reason)

    async def send_text(self, text: str) -> None:
        await self._ws.send(text)

    async def close(self) -> None:
        try:
            async with asyncio.timeout(CLOSE_GRACE_S):
                await self._ws.close()
        except TimeoutError:
            self._ws.transport.abort()  # the peer is not reading: nothing more will be sent
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if not self.closed.done():
            self.closed.set_result("closed by us")
