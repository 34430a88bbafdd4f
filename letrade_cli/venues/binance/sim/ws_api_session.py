"""One WebSocket API connection's state: its logon, its subscriptions, its ordered outbox.

Answers and events leave through one queue, so they reach the client in the order they were
made; while requests of a connection run (several may: each is answered when done, as Binance
answers them), the events they cause on that connection are held and sent after their answers
(other connections get them at once).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from letrade_cli.sim.orders import now_ms


class WsApiSession:
    """One connection to ``/ws-api/v3``.

    Attributes:
        ws: The server side of the WebSocket.
        api_key: The key of ``session.logon`` (Ed25519), or None.
        authorized_since: When it logged on (ms), or None.
        connected_since: When the connection opened (ms).
        return_rate_limits: The connection's default for ``rateLimits`` in answers.
        subscriptions: Active user data stream subscriptions: id -> True when opened by
            ``userDataStream.subscribe`` (a logon subscription, ended by ``session.logout``).
        outbox: Frames to send; None closes the connection after what precedes it.
    """

    def __init__(self, ws: web.WebSocketResponse, return_rate_limits: bool) -> None:
        self.ws = ws
        self.api_key: str | None = None
        self.authorized_since: int | None = None
        self.connected_since = now_ms()
        self.opened = time.monotonic()
        self.last_ping = self.opened
        self.unanswered_ping: float | None = None  # when the oldest ping without a pong went out
        self.return_rate_limits = return_rate_limits
        self.subscriptions: dict[int, bool] = {}
        self.next_subscription = 0
        self.outbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.sender: asyncio.Task[None] | None = None
        self._held: list[bytes] = []
        self._running = 0  # requests of this connection being answered now

    def send(self, frame: bytes) -> None:
        """Queue ``frame`` after everything queued before it."""
        self.outbox.put_nowait(frame)

    def push(self, frame: bytes) -> None:
        """Queue an event frame, or hold it while a request of this connection runs."""
        if self._running:
            self._held.append(frame)
        else:
            self.outbox.put_nowait(frame)

    def hold(self) -> None:
        """A request starts: hold events until every running request has called release."""
        self._running += 1

    def release(self) -> None:
        """A request's answer is queued: when none runs any more, send the held events."""
        self._running = max(0, self._running - 1)
        if self._running:
            return
        held, self._held = self._held, []
        for frame in held:
            self.outbox.put_nowait(frame)

    def subscribe(self, logon: bool) -> int:
        """A new subscription's id (they count from 0 on each connection)."""
        sid = self.next_subscription
        self.next_subscription += 1
        self.subscriptions[sid] = logon
        return sid

    def status(self) -> dict[str, Any]:
        """The result of ``session.logon`` / ``session.status`` / ``session.logout``."""
        return {
            "apiKey": self.api_key,
            "authorizedSince": self.authorized_since,
            "connectedSince": self.connected_since,
            "returnRateLimits": self.return_rate_limits,
            "serverTime": now_ms(),
            "userDataStream": bool(self.subscriptions),
        }

    def abort(self) -> bool:
        """Drop the connection without a close handshake; False when it is gone already."""
        req = self.ws._req
        transport = req.transport if req is not None else None
        if transport is None or transport.is_closing():
            return False
        transport.abort()
        return True
