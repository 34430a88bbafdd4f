"""Upbit's private WebSocket as an account session: ``myOrder`` and ``myAsset`` as AccountEvents.

``wss://api.upbit.com/websocket/v1/private`` takes the REST JWT (``access_key``, ``nonce``, no
query hash) in ``Authorization: Bearer`` on the upgrade; a fresh token is signed for every
connection. After the upgrade one request subscribes both types in ``DEFAULT`` names::

    [{"ticket":"<uuid>"},{"type":"myOrder"},{"type":"myAsset"},{"format":"DEFAULT"}]

Upbit acknowledges nothing on success and answers an error with
``{"error":{"name":"INVALID_AUTH","message":...}}``; since it answers a connection's messages in
order, the request is followed by a text ``PING`` and the subscription counts as live when
``{"status":"UP"}`` comes back. Frames are binary JSON with numbers as JSON numbers; they are
read with ``parse_float=Decimal`` so no price or volume ever passes through a float.

``myOrder`` is an order change: ``state`` ``wait``/``watch``/``trade``/``done``/``cancel``/
``prevented``; a ``trade`` is one execution (``trade_uuid``, ``price`` and ``volume`` of the
trade, ``trade_fee``, ``is_maker``) and becomes one event with a ``Fill`` (each ``trade_uuid``
once, also across a renewal's overlap). ``myAsset`` carries the changed currencies (``balance``
free, ``locked``). Idle connections are closed by Upbit after 120 s: a ``PING`` goes out every
``keepalive_s``; no frame for ``keepalive_s + request_timeout_s`` counts as a dead connection.
A connection is replaced before ``max_age_s - renew_before_s`` (the new one subscribes before
the old one closes); a lost one is reopened with full-jitter backoff, with ``on_state(False)``
and ``on_state(True)`` around the outage. Malformed frames and unknown messages are counted,
never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import orjson

from letrade_cli.core.backoff import Backoff
from letrade_cli.core.errors import (
    DecodeError,
    ExchangeRejectedError,
    LetradeError,
    NetworkUnavailableError,
    RateLimitedError,
)
from letrade_cli.core.orders import (
    ZERO,
    Balance,
    Fill,
    OrderState,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from letrade_cli.venues.base import (
    AccountEvent,
    AccountListener,
    SessionCounters,
    SessionKeys,
    SessionSettings,
    StateListener,
)
from letrade_cli.venues.upbit.auth import UpbitSigner
from letrade_cli.venues.upbit.orders import dec, order_status

log = logging.getLogger("letrade.upbit.private")

REMEMBERED = 4096  # trade ids (duplicates) and limit prices (trade events omit them) kept


class _Conn:
    """One private connection: its reader task, subscription state and clocks (loop time)."""

    __slots__ = ("last_recv", "reader", "ready", "renew_at", "ws")

    def __init__(self, ws: Any, now: float, renew_at: float) -> None:
        self.ws = ws
        self.last_recv = now
        self.renew_at = renew_at
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reader: asyncio.Task[None] | None = None

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)
        if not self.ready.done():
            self.ready.cancel()


class UpbitPrivateStream:
    """Upbit's ``PrivateStream``: order updates, fills and balances pushed on one connection.

    Attributes:
        connected: Whether a subscribed connection is up now.
        counters: Events, malformed and unknown frames, connects, disconnects, pings, timeouts.
    """

    def __init__(self, url: str, venue: str, keys: SessionKeys, settings: SessionSettings) -> None:
        self.url = url
        self.venue = venue
        self.settings = settings
        self.connected = False
        self.counters = SessionCounters()
        self._signer = UpbitSigner(keys.api_key, keys.secret)
        self._on_event: AccountListener | None = None
        self._on_state: StateListener | None = None
        self._conn: _Conn | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._backoff = Backoff(
            settings.backoff_initial_s, max(settings.backoff_max_s, settings.backoff_initial_s)
        )
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._prices: OrderedDict[str, Decimal] = OrderedDict()

    def __repr__(self) -> str:  # never the keys
        return f"UpbitPrivateStream({self.url!r}, venue={self.venue!r})"

    # ---- the protocol ---------------------------------------------------------------------

    def listen(self, on_event: AccountListener, on_state: StateListener | None = None) -> None:
        """Where pushed events and connection changes go (set before ``start``)."""
        self._on_event = on_event
        self._on_state = on_state

    async def start(self) -> None:
        """Connect, authenticate and subscribe; return once the subscription is live.

        Raises:
            ExchangeRejectedError: Upbit refused the keys (``code`` is Upbit's error name).
            NetworkUnavailableError: No subscribed connection within the timeouts.
        """
        if self._task is not None:
            return
        if self._closed:
            raise RuntimeError("the stream was closed")
        self._conn = await self._open()
        self._backoff.on_connected()
        self.connected = True
        self._task = asyncio.create_task(self._supervise(), name="letrade-upbit-private")

    async def close(self) -> None:
        """Close the connection and stop reconnecting; safe to call twice."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()
        self.connected = False

    # ---- connecting -----------------------------------------------------------------------

    def _life_s(self) -> float:
        s = self.settings
        life = s.max_age_s - s.renew_before_s
        return life if life > 0 else s.max_age_s * 0.9

    async def _open(self) -> _Conn:
        """One connection, subscribed (``{"status":"UP"}`` after the request) or an error."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidStatus, WebSocketException

        s = self.settings
        headers = {"Authorization": f"Bearer {self._signer.token({})}"}
        try:
            ws = await connect(
                self.url,
                additional_headers=headers,
                open_timeout=s.connect_timeout_s,
                ping_interval=None,  # text PINGs keep the connection alive (Upbit's rule)
                compression=None,
                max_size=2**20,
                close_timeout=1.0,
            )
        except InvalidStatus as exc:
            raise self._refused(exc) from exc
        except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as exc:
            raise NetworkUnavailableError(
                f"{self.venue}: cannot reach the private stream ({type(exc).__name__})",
                hint="check the network; the session retries by itself once started",
            ) from exc
        loop = asyncio.get_running_loop()
        now = loop.time()
        conn = _Conn(ws, now, now + self._life_s())
        conn.reader = asyncio.create_task(self._read(conn), name="letrade-upbit-private-read")
        try:
            await ws.send(orjson.dumps(self._request()).decode())
            await ws.send("PING")
            self.counters.pings += 1
            await asyncio.wait_for(conn.ready, s.request_timeout_s)
        except LetradeError:
            await conn.close()
            raise
        except TimeoutError as exc:
            await conn.close()
            self.counters.timeouts += 1
            raise NetworkUnavailableError(
                f"{self.venue}: the private stream did not answer within {s.request_timeout_s:g}s"
            ) from exc
        except BaseException as exc:  # closed under us, or cancelled: never leak the socket
            await conn.close()
            if isinstance(exc, Exception):
                raise NetworkUnavailableError(
                    f"{self.venue}: the private stream closed while subscribing"
                ) from exc
            raise
        self.counters.connects += 1
        return conn

    def _request(self) -> list[dict[str, Any]]:
        return [
            {"ticket": str(uuid.uuid4())},
            {"type": "myOrder"},
            {"type": "myAsset"},
            {"format": "DEFAULT"},
        ]

    def _refused(self, exc: Any) -> LetradeError:
        """An HTTP answer instead of the upgrade: Upbit's error body names the reason."""
        status = int(exc.response.status_code)
        name: str | None = None
        with contextlib.suppress(ValueError, TypeError, AttributeError, KeyError):
            name = str(orjson.loads(bytes(exc.response.body))["error"]["name"])
        if status in (401, 403):
            return ExchangeRejectedError(
                f"{self.venue} refused the keys for its private stream ({name or status})",
                code=name or status,
                hint="check the access key, its secret, its permissions and allowed IPs",
            )
        if status == 429:
            return RateLimitedError(
                f"{self.venue}: too many private stream connections", retry_after=1.0, code=429
            )
        return NetworkUnavailableError(
            f"{self.venue}: the private stream answered HTTP {status}{f' ({name})' if name else ''}"
        )

    # ---- running --------------------------------------------------------------------------

    async def _supervise(self) -> None:
        try:
            await self._keep_up()
        except Exception:  # a bug must not end the session silently
            log.exception("%s private stream: the supervisor failed", self.venue)
            self._set_connected(False)

    async def _keep_up(self) -> None:
        conn = self._conn
        loop = asyncio.get_running_loop()
        while not self._closed and conn is not None:
            outcome = await self._watch(conn)
            if self._closed:
                return
            if outcome == "renew":
                try:
                    fresh = await self._open()
                except LetradeError as exc:
                    log.warning("%s private stream: renewal failed (%s)", self.venue, exc)
                    conn.renew_at = loop.time() + max(1.0, self._backoff.next_delay())
                    continue
                old, conn = conn, fresh
                self._conn = conn
                await old.close()
                continue
            self.counters.disconnects += 1
            self._backoff.on_disconnected()
            self._set_connected(False)
            await conn.close()
            conn = await self._reconnect()
            self._conn = conn
            if conn is not None:
                self._set_connected(True)

    async def _watch(self, conn: _Conn) -> str:
        """Ping every ``keepalive_s`` until the connection is lost (``lost``) or due (``renew``)."""
        loop = asyncio.get_running_loop()
        s = self.settings
        reader = conn.reader
        assert reader is not None
        while True:
            now = loop.time()
            if now >= conn.renew_at:
                return "renew"
            await asyncio.wait({reader}, timeout=min(s.keepalive_s, conn.renew_at - now))
            if reader.done():
                return "lost"
            now = loop.time()
            if now >= conn.renew_at:
                return "renew"
            if now - conn.last_recv > s.keepalive_s + s.request_timeout_s:
                self.counters.timeouts += 1
                log.warning("%s private stream: silent, reconnecting", self.venue)
                return "lost"
            try:
                await conn.ws.send("PING")
            except Exception:  # closed under us: the reader ends too
                return "lost"
            self.counters.pings += 1

    async def _reconnect(self) -> _Conn | None:
        while not self._closed:
            await asyncio.sleep(self._backoff.next_delay())
            if self._closed:
                return None
            try:
                conn = await self._open()
            except LetradeError as exc:
                log.warning("%s private stream: reconnect failed (%s)", self.venue, exc)
                continue
            self._backoff.on_connected()
            return conn
        return None

    def _set_connected(self, up: bool) -> None:
        self.connected = up
        if self._on_state is not None:
            try:
                self._on_state(up)
            except Exception:
                log.exception("%s private stream: the state listener failed", self.venue)

    async def _read(self, conn: _Conn) -> None:
        from websockets.exceptions import ConnectionClosed

        loop = asyncio.get_running_loop()
        try:
            async for frame in conn.ws:
                conn.last_recv = loop.time()
                self._frame(conn, frame)
        except ConnectionClosed:
            pass
        finally:
            if not conn.ready.done():
                conn.ready.set_exception(
                    NetworkUnavailableError(f"{self.venue}: the private stream closed")
                )

    # ---- decoding -------------------------------------------------------------------------

    def _frame(self, conn: _Conn, frame: str | bytes) -> None:
        recv_ns = time.time_ns()
        try:
            msg = json.loads(frame, parse_float=Decimal)
        except ValueError:  # bad JSON or bad UTF-8
            self.counters.malformed += 1
            return
        if not isinstance(msg, dict):
            self.counters.malformed += 1
            return
        if msg.get("status") == "UP":
            if not conn.ready.done():
                conn.ready.set_result(None)
            return
        if "error" in msg:
            self._error(conn, msg["error"])
            return
        kind = msg.get("type")
        try:
            if kind == "myOrder":
                event = self._order_event(msg, recv_ns)
            elif kind == "myAsset":
                event = self._asset_event(msg, recv_ns)
            else:
                self.counters.unknown += 1
                return
        except (DecodeError, KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
            self.counters.malformed += 1
            return
        if event is None:
            return
        self.counters.events += 1
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                log.exception("%s private stream: the event listener failed", self.venue)

    def _error(self, conn: _Conn, error: Any) -> None:
        name = str(error.get("name")) if isinstance(error, dict) else None
        if name is None:
            self.counters.malformed += 1
            return
        if not conn.ready.done():
            conn.ready.set_exception(
                ExchangeRejectedError(
                    f"{self.venue} refused the private stream subscription ({name})", code=name
                )
            )
            return
        self.counters.unknown += 1
        log.warning("%s private stream: error %s", self.venue, name)

    def _order_event(self, msg: dict[str, Any], recv_ns: int) -> AccountEvent | None:
        """A ``myOrder`` message; None for a trade already reported."""
        state = str(msg["state"])
        ord_type = str(msg["order_type"])
        code = str(msg["code"])
        venue_id = str(msg["uuid"])
        side_raw = msg["ask_bid"]
        if side_raw not in ("BID", "ASK"):
            raise DecodeError(f"upbit: ask_bid '{side_raw}'")
        side = Side.BUY if side_raw == "BID" else Side.SELL
        executed = dec(msg.get("executed_volume") or 0)
        remaining = msg.get("remaining_volume")
        rest = dec(remaining) if remaining is not None else None
        is_trade = state == "trade"
        limit = ord_type == "limit"
        if is_trade:  # price and volume are the trade's: the order's are not in the message
            quantity = executed + rest if rest is not None else executed
            price = self._prices.get(venue_id) if limit else None
            filled = rest is not None and rest == 0
            status = OrderStatus.FILLED if filled else OrderStatus.PARTIALLY_FILLED
        else:
            volume = msg.get("volume")
            quantity = dec(volume) if volume is not None else executed
            raw_price = msg.get("price")
            price = dec(raw_price) if limit and raw_price is not None else None
            if price is not None:
                _remember(self._prices, venue_id, price)
            status = order_status("cancel" if state == "prevented" else state, ord_type, executed)
        tif_raw = str(msg.get("time_in_force") or "gtc").upper()
        tif = TimeInForce(tif_raw) if tif_raw in TimeInForce.__members__ else TimeInForce.GTC
        quote = code.split("-", 1)[0]
        client_id = str(msg.get("identifier") or venue_id)
        trade_ms = int(msg.get("trade_timestamp") or 0)
        venue_ms = int(msg.get("timestamp") or 0)
        order = OrderState(
            venue=self.venue,
            symbol=code,
            client_order_id=client_id,
            side=side,
            type=OrderType.LIMIT if limit else OrderType.MARKET,
            quantity=quantity,
            status=status,
            price=price,
            time_in_force=tif,
            venue_order_id=venue_id,
            filled_qty=executed,
            quote_qty=dec(msg.get("executed_funds") or 0),
            fee=dec(msg.get("paid_fee") or 0),
            fee_asset=quote,
            created_ms=int(msg.get("order_timestamp") or 0),
            updated_ms=trade_ms or venue_ms,
        )
        fill = None
        if is_trade:
            trade_id = msg.get("trade_uuid")
            if not trade_id:
                raise DecodeError("upbit: a trade without trade_uuid")
            trade_id = str(trade_id)
            if trade_id in self._seen:
                return None
            fill = Fill(
                venue=self.venue,
                symbol=code,
                client_order_id=client_id,
                side=side,
                price=dec(msg["price"]),
                quantity=dec(msg["volume"]),
                fee=dec(msg.get("trade_fee") or ZERO),
                fee_asset=quote,
                trade_id=trade_id,
                ts_ms=trade_ms or venue_ms,
                is_maker=bool(msg.get("is_maker")),
            )
            _remember(self._seen, trade_id, None)
        return AccountEvent("order", order=order, fill=fill, venue_ms=venue_ms, recv_ns=recv_ns)

    def _asset_event(self, msg: dict[str, Any], recv_ns: int) -> AccountEvent:
        """A ``myAsset`` message: the changed currencies' free and locked amounts."""
        rows = msg["assets"]
        if not isinstance(rows, list):
            raise DecodeError("upbit: myAsset assets is not a list")
        balances = tuple(
            Balance(asset=str(a["currency"]), free=dec(a["balance"]), locked=dec(a["locked"]))
            for a in rows
        )
        venue_ms = int(msg.get("asset_timestamp") or msg.get("timestamp") or 0)
        return AccountEvent("balances", balances=balances, venue_ms=venue_ms, recv_ns=recv_ns)


def _remember(memory: OrderedDict[str, Any], key: str, value: Any) -> None:
    memory[key] = value
    memory.move_to_end(key)
    if len(memory) > REMEMBERED:
        memory.popitem(last=False)
