"""Binance's WebSocket API as one session: orders and the user data stream over one socket.

``wss://ws-api.binance.com:443/ws-api/v3`` takes ``{"id", "method", "params"}`` text frames and
answers ``{"id", "status", "result" | "error", "rateLimits"}``; user data events arrive as
``{"subscriptionId": n, "event": {...}}``. Since 2026-02-20 this is the only way to receive spot
account events (the listenKey endpoints answer 410 Gone).

The session:

- **authenticates** with ``session.logon`` when the key is Ed25519 (then signed methods need only
  ``timestamp``), else subscribes with ``userDataStream.subscribe.signature`` (HMAC) and signs
  every signed request itself (params sorted by name, :func:`auth.ws_api_payload`);
- **correlates** answers by request id, each with a timeout: no answer in time is an
  ``OutcomeUnknownError`` (the order path then looks the order up by client id, never resends);
- **reconnects** with exponential backoff and full jitter after a drop, logs on and subscribes
  again, and calls ``on_state(False)`` / ``on_state(True)`` around the outage;
- **renews** the socket before Binance's 24 h cap (and on ``serverShutdown``): a new one is
  opened and subscribed before the old one is closed, so no event falls between them (the
  overlap may repeat an event; the listener deduplicates by trade id);
- answers the server's pings (the websockets library does, with the ping's payload);
- **paces** (``pacer``, shared with the REST client): each request waits until it fits the
  limits, and each answer's ``rateLimits`` is fed back (:mod:`.rate_usage`); 429/418 answers
  are counted in ``counters.refusals``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from letrade_cli.core.backoff import Backoff
from letrade_cli.core.errors import (
    DecodeError,
    ExchangeRejectedError,
    NetworkUnavailableError,
    OutcomeUnknownError,
    RateLimitedError,
)
from letrade_cli.venues.base import (
    AccountEvent,
    AccountListener,
    RatePacer,
    RestRequest,
    SessionCounters,
    SessionKeys,
    SessionSettings,
    StateListener,
)
from letrade_cli.venues.binance.auth import load_ed25519_key, ws_api_payload
from letrade_cli.venues.binance.rate_usage import entries_usage
from letrade_cli.venues.binance.user_events import IGNORED, decode_event

log = logging.getLogger("letrade.binance.ws_api")

# REST endpoint -> WebSocket API method: the same parameters, the same answers.
METHODS: dict[tuple[str, str], str] = {
    ("POST", "/api/v3/order"): "order.place",
    ("POST", "/api/v3/order/test"): "order.test",
    ("GET", "/api/v3/order"): "order.status",
    ("DELETE", "/api/v3/order"): "order.cancel",
    ("GET", "/api/v3/openOrders"): "openOrders.status",
    ("DELETE", "/api/v3/openOrders"): "openOrders.cancelAll",
    ("GET", "/api/v3/account"): "account.status",
    ("GET", "/api/v3/myTrades"): "myTrades",
    ("GET", "/api/v3/time"): "time",
}
RENEW_RETRY_S = 30.0  # a renewal that failed is tried again this much later


class _Lost(Exception):
    """The connection a request was waiting on closed."""


@dataclass(eq=False)
class _Conn:
    """One socket with its reader task and the requests waiting for an answer on it."""

    ws: Any
    opened: float
    reader: asyncio.Task[None] | None = None
    pending: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    subscription_id: int | None = None
    logged_on: bool = False


class BinanceWsApiSession:
    """An authenticated WebSocket API session (``PrivateStream`` and ``OrderTransport``)."""

    def __init__(
        self,
        url: str,
        venue: str,
        keys: SessionKeys,
        settings: SessionSettings | None = None,
        *,
        backoff: Backoff | None = None,
    ) -> None:
        self.url = url
        self.venue = venue
        self.host = urlsplit(url).netloc or url
        self.settings = settings or SessionSettings()
        self._keys = keys
        self._ed25519 = load_ed25519_key(keys.ed25519_pem) if keys.ed25519_pem else None
        self._hmac = hmac.new(keys.secret.encode(), digestmod=hashlib.sha256)
        self.counters = SessionCounters()
        self.connected = False
        self.time_offset_ms = 0  # server minus ours, set by whoever measured it
        self.rate_limits: list[dict[str, Any]] = []  # the last answer's rateLimits
        self.pacer: RatePacer | None = None  # set by whoever shares it with the REST client
        self._backoff = backoff or Backoff(
            self.settings.backoff_initial_s, self.settings.backoff_max_s
        )
        self._conn: _Conn | None = None
        self._on_event: AccountListener | None = None
        self._on_state: StateListener | None = None
        self._runner: asyncio.Task[None] | None = None
        self._renew_now = asyncio.Event()
        self._next_id = 0
        self._closing = False

    def __repr__(self) -> str:
        return f"BinanceWsApiSession({self.url!r}, connected={self.connected})"

    # -- PrivateStream ----------------------------------------------------------------------
    def listen(self, on_event: AccountListener, on_state: StateListener | None = None) -> None:
        """Where pushed events and connection changes go."""
        self._on_event = on_event
        self._on_state = on_state

    async def start(self) -> None:
        """Connect, authenticate and subscribe once; then keep the session up in the background.

        Raises:
            NetworkUnavailableError: the WebSocket API cannot be reached.
            ExchangeRejectedError: it refused the keys (code and message as Binance gives them).
        """
        if self._runner is not None:
            return
        self._conn = await self._open()
        self._backoff.on_connected()
        self.connected = True  # on_state is for changes after start
        self._runner = asyncio.create_task(self._run(), name="letrade-binance-ws-api")

    async def close(self) -> None:
        """Unsubscribe, close the socket and stop reconnecting (safe to call twice)."""
        self._closing = True
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await runner
        conn, self._conn = self._conn, None
        if conn is not None:
            if conn.subscription_id is not None:
                with contextlib.suppress(Exception):
                    await self._call(conn, "userDataStream.unsubscribe", {}, timeout_s=1.0)
            await self._retire(conn)
        self.connected = False

    # -- OrderTransport ---------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """Whether the socket is up and authenticated."""
        return self.connected and self._conn is not None

    def carries(self, request: RestRequest) -> bool:
        """Whether the WebSocket API has a method for this REST request."""
        return (request.method, request.path) in METHODS

    async def send(self, request: RestRequest) -> Any:
        """Send ``request`` as its WebSocket API method; the answer's ``result``.

        Raises:
            NetworkUnavailableError: the session is down (nothing was sent).
            OutcomeUnknownError: sent, but no answer within ``request_timeout_s`` or the socket
                closed first.
            RateLimitedError / ExchangeRejectedError: Binance's 429/418 or error answer.
        """
        method = METHODS[(request.method, request.path)]
        if self.pacer is not None and self.connected:
            await self.pacer.acquire(request)
        conn = self._conn
        if conn is None or not self.connected:
            raise NetworkUnavailableError(f"the {self.venue} WebSocket API session is down")
        params: dict[str, Any] = dict(request.params)
        if request.signed:
            self._sign(params, conn)
        return await self._call(conn, method, params)

    # -- requests ---------------------------------------------------------------------------
    def _timestamp_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.time_offset_ms

    def _sign(self, params: dict[str, Any], conn: _Conn) -> None:
        """Add ``timestamp`` (and ``apiKey`` + ``signature`` unless logged on) to ``params``."""
        params.setdefault("recvWindow", self._keys.recv_window_ms)
        params["timestamp"] = self._timestamp_ms()
        if conn.logged_on:
            return
        params["apiKey"] = self._keys.api_key
        payload = ws_api_payload(params)
        if self._ed25519 is not None:
            params["signature"] = self._ed25519.sign(payload)
            return
        mac = self._hmac.copy()  # keyed once: per request only the payload is hashed
        mac.update(payload.encode())
        params["signature"] = mac.hexdigest()

    async def _call(
        self,
        conn: _Conn,
        method: str,
        params: dict[str, Any],
        *,
        timeout_s: float | None = None,
    ) -> Any:
        self._next_id += 1
        request_id = self._next_id
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        conn.pending[request_id] = future
        frame = {"id": request_id, "method": method}
        if params:
            frame["params"] = params
        self.counters.requests += 1
        timeout = timeout_s or self.settings.request_timeout_s
        # One timer on the answer's future (not wait_for + shield: two more futures, more
        # callbacks per request); it ends the wait with a TimeoutError if nothing came.
        timer = loop.call_later(timeout, _expire, future)
        try:
            try:
                await conn.ws.send(orjson.dumps(frame), text=True)  # bytes as a text frame
                answer = await future
            except TimeoutError:
                self.counters.timeouts += 1
                raise OutcomeUnknownError(
                    f"no answer from {self.host} for {method} within {timeout:g}s",
                    hint="its outcome is looked up by client id before anything is resent",
                ) from None
            except (_Lost, OSError) as exc:
                raise OutcomeUnknownError(
                    f"the {self.host} session closed before it answered {method}"
                ) from exc
            except Exception as exc:  # websockets' ConnectionClosed and kin
                if type(exc).__module__.startswith("websockets"):
                    raise OutcomeUnknownError(
                        f"the {self.host} session closed before it answered {method}"
                    ) from exc
                raise
        finally:
            timer.cancel()
            conn.pending.pop(request_id, None)
        return self._result(method, answer)

    def _result(self, method: str, answer: dict[str, Any]) -> Any:
        limits = answer.get("rateLimits")
        if isinstance(limits, list):
            self.rate_limits = limits
            if self.pacer is not None:
                self.pacer.observe(entries_usage(limits))
        status = answer.get("status")
        if status == 200:
            return answer.get("result")
        raw_error = answer.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        code, msg = error.get("code"), error.get("msg", "")
        if status in (418, 429):
            self.counters.refusals += 1
            raw_data = error.get("data")
            data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
            until = data.get("retryAfter")
            wait = (
                max(1.0, (int(until) - time.time_ns() // 1_000_000) / 1000.0)
                if isinstance(until, int)
                else 60.0
            )
            raise RateLimitedError(
                f"{self.host} answered {status} for {method}: {msg} (code {code})",
                retry_after=round(wait, 1),
                code=code,
            )
        if isinstance(status, int) and status >= 500:
            raise OutcomeUnknownError(
                f"{self.host} answered {status} for {method}: {msg}",
                hint="the venue is having trouble; the order's state is looked up",
            )
        raise ExchangeRejectedError(
            f"{self.host} rejected {method}: {msg} (code {code})", code=code
        )

    # -- connections ------------------------------------------------------------------------
    async def _open(self) -> _Conn:
        """A new socket, authenticated and subscribed to the user data stream."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidURI

        timeout = self.settings.connect_timeout_s
        try:
            ws = await asyncio.wait_for(
                connect(self.url, open_timeout=timeout, max_size=2**22, compression=None),
                timeout,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            reason = (
                "timed out" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
            )
            raise NetworkUnavailableError(
                f"cannot reach the {self.venue} WebSocket API at {self.host}: {reason}"
            ) from None
        conn = _Conn(ws=ws, opened=time.monotonic())
        conn.reader = asyncio.create_task(self._read(conn), name="letrade-binance-ws-api-reader")
        self.counters.connects += 1
        try:
            await self._authenticate(conn)
        except BaseException:
            await self._retire(conn)
            raise
        return conn

    async def _authenticate(self, conn: _Conn) -> None:
        if self._ed25519 is not None:
            params: dict[str, Any] = {
                "apiKey": self._keys.api_key,
                "recvWindow": self._keys.recv_window_ms,
                "timestamp": self._timestamp_ms(),
            }
            params["signature"] = self._ed25519.sign(ws_api_payload(params))
            await self._call(conn, "session.logon", params)
            conn.logged_on = True
            result = await self._call(conn, "userDataStream.subscribe", {})
        else:
            params = {}
            self._sign(params, conn)
            result = await self._call(conn, "userDataStream.subscribe.signature", params)
        conn.subscription_id = int(result["subscriptionId"])

    async def _retire(self, conn: _Conn) -> None:
        """Close ``conn``; requests still waiting on it end as outcome-unknown."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.ws.close(), 1.0)
        if conn.reader is not None and conn.reader is not asyncio.current_task():
            conn.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await conn.reader
        _fail_pending(conn)

    async def _read(self, conn: _Conn) -> None:
        try:
            async for raw in conn.ws:
                self._dispatch(conn, raw)
        except Exception as exc:  # the socket broke; the runner reconnects
            log.debug("binance ws-api reader ended: %s", type(exc).__name__)
        finally:
            _fail_pending(conn)

    def _dispatch(self, conn: _Conn, raw: str | bytes) -> None:
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.counters.malformed += 1
            return
        if not isinstance(msg, dict):
            self.counters.malformed += 1
            return
        if "event" in msg:
            self._on_pushed(conn, msg)
            return
        request_id = msg.get("id")
        future = conn.pending.get(request_id) if isinstance(request_id, int) else None
        if future is not None and not future.done():
            future.set_result(msg)
        elif "status" in msg:  # an answer we stopped waiting for, or a revoked session
            self.counters.unknown += 1
            if msg.get("status") == 401:
                log.warning("%s revoked the session: %s", self.host, msg.get("error"))
                self._renew_now.set()
        else:
            self.counters.malformed += 1

    def _on_pushed(self, conn: _Conn, msg: dict[str, Any]) -> None:
        event = msg["event"]
        if not isinstance(event, dict):
            self.counters.malformed += 1
            return
        kind = event.get("e")
        if kind == "serverShutdown":
            self._renew_now.set()
            return
        try:
            decoded = decode_event(self.venue, event)
        except DecodeError:
            self.counters.malformed += 1
            return
        if decoded is None:
            if kind not in IGNORED:
                self.counters.unknown += 1
            return
        self.counters.events += 1
        if decoded.kind == "terminated":
            if conn is self._conn and not self._closing:
                conn.subscription_id = None
                self._renew_now.set()  # subscribe again on a fresh socket
            return
        self._emit(decoded)

    def _emit(self, event: AccountEvent) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:  # a listener's bug must not end the session
            log.exception("account event listener failed")

    def _set_connected(self, up: bool) -> None:
        if up == self.connected:
            return
        self.connected = up
        if not up:
            self.counters.disconnects += 1
        if self._on_state is not None:
            try:
                self._on_state(up)
            except Exception:
                log.exception("session state listener failed")

    async def _run(self) -> None:
        """Keep a socket up: renew before the cap, reconnect with backoff after a drop."""
        while not self._closing:
            conn = self._conn
            assert conn is not None and conn.reader is not None
            renew_at = conn.opened + max(
                1.0, self.settings.max_age_s - self.settings.renew_before_s
            )
            renew = asyncio.create_task(self._renew_now.wait())
            try:
                await asyncio.wait(
                    {conn.reader, renew},
                    timeout=max(0.0, renew_at - time.monotonic()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                renew.cancel()
            self._renew_now.clear()  # consumed here (a request set before the wait still counts)
            if not conn.reader.done():
                await self._renew(conn)
                continue
            self._set_connected(False)
            self._backoff.on_disconnected()
            self._conn = None
            await self._retire(conn)
            self._conn = await self._reconnect()
            self._set_connected(True)

    async def _renew(self, old: _Conn) -> None:
        """Open and subscribe a new socket, then close the old one (no gap in events)."""
        try:
            new = await self._open()
        except (NetworkUnavailableError, ExchangeRejectedError, OutcomeUnknownError) as exc:
            log.warning("renewing the %s session failed (%s); keeping the old one", self.host, exc)
            old.opened = time.monotonic() - self.settings.max_age_s + RENEW_RETRY_S
            return
        self._conn = new
        if old.pending:  # let requests in flight on the old socket finish
            with contextlib.suppress(Exception):
                await asyncio.wait(
                    list(old.pending.values()), timeout=self.settings.request_timeout_s
                )
        await self._retire(old)

    async def _reconnect(self) -> _Conn:
        while True:
            delay = self._backoff.next_delay()
            log.info("reconnecting to %s in %.2fs", self.host, delay)
            await asyncio.sleep(delay)
            try:
                conn = await self._open()
            except (NetworkUnavailableError, ExchangeRejectedError, OutcomeUnknownError) as exc:
                log.warning("reconnecting to %s failed: %s", self.host, exc)
                continue
            self._backoff.on_connected()
            return conn


def _expire(future: asyncio.Future[dict[str, Any]]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def _fail_pending(conn: _Conn) -> None:
    for future in conn.pending.values():
        if not future.done():
            future.set_exception(_Lost())
