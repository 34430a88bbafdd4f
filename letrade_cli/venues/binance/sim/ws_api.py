"""Binance's WebSocket API at ``/ws-api/v3``: requests and answers, user data stream events.

Each connection (:class:`~.ws_api_session.WsApiSession`) sends JSON requests in text frames and
gets one answer per request (:mod:`.ws_api_methods`). Every change of a Binance user order is
pushed to each live subscription as ``{"subscriptionId": n, "event": {...}}``:
``executionReport`` then ``outboundAccountPosition`` (:mod:`.events`). Like Binance the server
pings every ``SimConfig.ws_api_ping_interval_s`` (20 s) and drops a connection that leaves a
ping without pong for ``ws_api_pong_timeout_s`` (a minute); it closes connections older than
``ws_api_max_age_s`` (24 h); connecting costs weight 2; ``?returnRateLimits=false`` in the URL
hides ``rateLimits`` by default. When the sim stops, each connection gets ``serverShutdown``
before it is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import orjson
from aiohttp import WSMsgType, web

from letrade_cli.sim.dialect import SimContext
from letrade_cli.sim.handshake import accept, gone
from letrade_cli.sim.orders import OrderList, OrderUpdate, now_ms
from letrade_cli.venues.binance.sim.account import BINANCE
from letrade_cli.venues.binance.sim.events import (
    account_position,
    execution_report,
    list_status_event,
    server_shutdown,
)
from letrade_cli.venues.binance.sim.orders import BinanceOrders
from letrade_cli.venues.binance.sim.rest import BinanceRest
from letrade_cli.venues.binance.sim.ws_api_methods import DROP, WsApiMethods
from letrade_cli.venues.binance.sim.ws_api_session import WsApiSession

log = logging.getLogger("letrade.sim")

WS_API_PATH = "/ws-api/v3"
CONNECT_WEIGHT = 2


class WsApi:
    """The WebSocket API connections of the Binance dialect.

    Attributes:
        methods: The method table and request pipeline.
        sessions: The open connections.
    """

    def __init__(self, context: SimContext, orders: BinanceOrders, rest: BinanceRest) -> None:
        self.config = context.config
        self.ws_available = context.ws_available
        self.engine = context.orders
        self.rest = rest
        self.methods = WsApiMethods(orders, rest, context.faults)
        self.sessions: set[WsApiSession] = set()
        self.engine.listeners.append(self._on_update)
        self.engine.list_listeners.append(self._on_list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one connection until either side closes it (or the watchdog does)."""
        if not self.ws_available():
            return web.Response(status=503, text="service unavailable")
        ws = web.WebSocketResponse(autoping=False, heartbeat=None, max_msg_size=1 << 20)
        if not await accept(ws, request):
            return gone()
        show = request.query.get("returnRateLimits", "true").lower() != "false"
        session = WsApiSession(ws, show)
        self.rest.limits.meter.add(CONNECT_WEIGHT)
        self.sessions.add(session)
        session.sender = asyncio.create_task(self._send(session), name="letrade-sim-ws-api-send")
        watchdog = asyncio.create_task(self._watch(session), name="letrade-sim-ws-api-watch")
        running: set[asyncio.Task[bool]] = set()
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    # Each request runs on its own: one held up (a timeout fault) does not hold
                    # up the look-ups a client sends meanwhile.
                    job = asyncio.create_task(self._request(session, msg.data))
                    running.add(job)
                    job.add_done_callback(running.discard)
                elif msg.type is WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type is WSMsgType.PONG:
                    session.unanswered_ping = None
                elif msg.type is WSMsgType.ERROR:
                    break
        except (ConnectionError, RuntimeError):
            pass
        finally:
            self.sessions.discard(session)
            for pending in list(running):
                pending.cancel()
            watchdog.cancel()
            if session.sender is not None:
                session.sender.cancel()
            for task in (watchdog, session.sender):
                if task is not None:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        return ws

    async def _request(self, session: WsApiSession, text: str) -> bool:
        """Answer one request; False when the connection was dropped instead."""
        session.hold()
        try:
            answer = await self.methods.answer(session, text)
        except Exception:  # a bug must not take the connection handler down
            log.exception("ws-api: request failed: %.200s", text)
            answer = orjson.dumps(
                {
                    "id": None,
                    "status": 500,
                    "error": {"code": -1000, "msg": "An unknown error occurred while processing "
                              "the request."},
                }
            )  # fmt: skip
        if answer is DROP:
            session.abort()
            return False
        assert isinstance(answer, bytes)
        session.send(answer)
        session.release()
        return True

    async def _send(self, session: WsApiSession) -> None:
        while True:
            payload = await session.outbox.get()
            try:
                if payload is None:
                    await session.ws.close()
                    return
                await session.ws.send_str(payload.decode())
            except (ConnectionError, RuntimeError):
                return

    async def _watch(self, session: WsApiSession) -> None:
        """Ping, drop a silent peer, close at the age cap."""
        cfg = self.config
        interval = cfg.ws_api_ping_interval_s
        while True:
            now = time.monotonic()
            if now - session.opened >= cfg.ws_api_max_age_s:
                log.info("ws-api: connection reached its %.0fs cap, closing", cfg.ws_api_max_age_s)
                session.outbox.put_nowait(None)
                return
            pending = session.unanswered_ping
            if pending is not None and now - pending > cfg.ws_api_pong_timeout_s:
                log.info("ws-api: no pong for %.1fs, disconnecting", cfg.ws_api_pong_timeout_s)
                session.abort()
                return
            if now - session.last_ping >= interval:
                session.last_ping = now
                if session.unanswered_ping is None:
                    session.unanswered_ping = now
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await session.ws.ping(str(now_ms()).encode())
            wake = min(
                session.last_ping + interval,
                session.opened + cfg.ws_api_max_age_s,
                (session.unanswered_ping or now) + cfg.ws_api_pong_timeout_s + 0.001,
            )
            await asyncio.sleep(max(0.001, wake - time.monotonic()))

    def _on_update(self, update: OrderUpdate) -> None:
        if update.order.venue != BINANCE or not any(s.subscriptions for s in self.sessions):
            return
        report = orjson.dumps(execution_report(update))
        position = orjson.dumps(account_position(self.engine.accounts[BINANCE], update))
        for session in self.sessions:
            for sid in session.subscriptions:
                head = b'{"subscriptionId":%d,"event":' % sid
                session.push(head + report + b"}")
                session.push(head + position + b"}")

    def _on_list(self, olist: OrderList) -> None:
        if olist.venue != BINANCE or not any(s.subscriptions for s in self.sessions):
            return
        event = orjson.dumps(list_status_event(olist))
        for session in self.sessions:
            for sid in session.subscriptions:
                session.push(b'{"subscriptionId":%d,"event":' % sid + event + b"}")

    async def close_all(self) -> None:
        """``serverShutdown`` to every connection, then close it (the sim is stopping)."""
        shutdown = orjson.dumps({"event": server_shutdown()})
        senders = []
        for session in list(self.sessions):
            session.send(shutdown)
            session.outbox.put_nowait(None)
            if session.sender is not None:
                senders.append(session.sender)
        if senders:
            await asyncio.wait(senders, timeout=1.0)

    def drop_all(self) -> int:
        """Abort every connection (no close handshake); how many."""
        return sum(session.abort() for session in list(self.sessions))
