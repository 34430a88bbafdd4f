"""Upbit's private WebSocket on ``/websocket/v1/private``: ``myOrder`` and ``myAsset``.

The upgrade carries ``Authorization: Bearer <JWT>``, the REST JWT without a query hash; a missing
or bad token is refused before the upgrade with HTTP 401 and the REST error body
(``{"error":{"name":"jwt_verification","message":...}}``, ``invalid_access_key``, ...). A request
is one JSON array, as on the public WebSocket::

    [{"ticket":"t1"},{"type":"myOrder","codes":["KRW-BTC"]},{"type":"myAsset"},
     {"format":"SIMPLE"}]

``myOrder`` without ``codes`` (or with ``[]``) is every market; ``myAsset`` takes no ``codes``
(``WRONG_FORMAT``). Every change of an Upbit order is pushed as a ``myOrder`` (``state`` ``wait``
when placed, ``trade`` per execution with ``trade_uuid``, ``trade_fee``, ``is_maker``, then
``done`` or ``cancel``), and after the balances changed a ``myAsset`` with the order's two
currencies. Frames are binary, field names Upbit's (``DEFAULT``, or abbreviated in ``SIMPLE``;
``JSON_LIST``/``SIMPLE_LIST`` wrap each message in an array). A ``myOrder`` trade, abridged::

    {"type":"myOrder","code":"KRW-BTC","uuid":"ac2dc2a3-...","ask_bid":"BID",
     "order_type":"limit","state":"trade","trade_uuid":"68315169-...","price":0.001453,
     "volume":30925891.29839369,"remaining_volume":29968038.09235948,"trade_fee":22.46766,
     "is_maker":true,"identifier":"test-1","trade_timestamp":1710751590421,...}

Text ``PING`` is answered ``{"status":"UP"}``. A connection with no frame either way (data,
``PING`` text or ping frames) for ``SimConfig.ws_idle_timeout_s`` (Upbit: 120 s) is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid as uuidlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from letrade_cli.sim.handshake import accept, gone
from letrade_cli.sim.orders import OrderEngine, OrderUpdate, now_ms
from letrade_cli.venues.upbit.sim.account import UPBIT
from letrade_cli.venues.upbit.sim.order_format import ord_type, trade_uuid, upbit_state
from letrade_cli.venues.upbit.sim.orders import UpbitOrders
from letrade_cli.venues.upbit.sim.rest import UpbitApiError, json_response
from letrade_cli.venues.upbit.sim.ws import UpbitRequestError

log = logging.getLogger("letrade.sim")

FORMATS = ("DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST")
TYPES = ("myOrder", "myAsset")

# Upbit's abbreviations (docs: "내 주문 및 체결 (MyOrder)", "내 자산 (MyAsset)").
SIMPLE_ORDER: dict[str, str] = {
    "type": "ty", "code": "cd", "uuid": "uid", "ask_bid": "ab", "order_type": "ot",
    "state": "s", "trade_uuid": "tuid", "price": "p", "avg_price": "ap", "volume": "v",
    "remaining_volume": "rv", "executed_volume": "ev", "trades_count": "tc",
    "reserved_fee": "rsf", "remaining_fee": "rmf", "paid_fee": "pf", "locked": "l",
    "executed_funds": "ef", "time_in_force": "tif", "trade_fee": "tf", "is_maker": "im",
    "identifier": "id", "smp_type": "smpt", "prevented_volume": "pv",
    "prevented_locked": "pl", "trade_timestamp": "ttms", "order_timestamp": "otms",
    "timestamp": "tms", "stream_type": "st",
}  # fmt: skip
SIMPLE_ASSET: dict[str, str] = {
    "type": "ty", "asset_uuid": "astuid", "assets": "ast", "asset_timestamp": "asttms",
    "timestamp": "tms", "stream_type": "st",
}  # fmt: skip
SIMPLE_ASSET_ROW: dict[str, str] = {"currency": "cu", "balance": "b", "locked": "l"}


def _f(value: Decimal | None) -> float | None:
    """A Decimal as Upbit's JSON number (Double); None stays None."""
    return None if value is None else float(value)


def order_message(update: OrderUpdate, state: str, ms: int) -> dict[str, Any]:
    """One ``myOrder`` (DEFAULT names) for an order update in ``state``."""
    o = update.order
    t = update.trade if state == "trade" else None
    kind = ord_type(o)
    if t is not None:
        price: Decimal | None = t.price
        volume: Decimal | None = t.qty
    else:
        price = o.quote_qty if kind == "price" else o.price
        volume = None if kind == "price" else o.orig_qty
    avg = o.cum_quote / o.executed_qty if o.executed_qty else Decimal(0)
    remaining_fee = max(o.reserved_fee - o.paid_fee, Decimal(0)) if o.is_open else Decimal(0)
    identifier = o.client_id if o.client_id and not o.client_id.startswith("sim-") else None
    return {
        "type": "myOrder",
        "code": o.symbol,
        "uuid": o.uuid,
        "ask_bid": "BID" if o.side == "BUY" else "ASK",
        "order_type": kind,
        "state": state,
        "trade_uuid": trade_uuid(o, t) if t is not None else None,
        "price": _f(price),
        "avg_price": _f(avg),
        "volume": _f(volume),
        "remaining_volume": None if kind == "price" else _f(o.remaining_qty),
        "executed_volume": _f(o.executed_qty),
        "trades_count": len(o.trades),
        "reserved_fee": _f(o.reserved_fee),
        "remaining_fee": _f(remaining_fee),
        "paid_fee": _f(o.paid_fee),
        "locked": _f(o.locked_left),
        "executed_funds": _f(o.cum_quote),
        "time_in_force": None if o.tif == "GTC" else o.tif.lower(),
        "trade_fee": _f(t.commission) if t is not None else None,
        "is_maker": t.is_maker if t is not None else None,
        "identifier": identifier,
        "smp_type": None,
        "prevented_volume": 0.0,
        "prevented_locked": 0.0,
        "trade_timestamp": t.time_ms if t is not None else None,
        "order_timestamp": o.time_ms,
        "timestamp": ms,
        "stream_type": "REALTIME",
    }


def order_states(update: OrderUpdate) -> list[str]:
    """The ``myOrder`` states one update is pushed as (a completing trade: ``trade``, ``done``)."""
    if update.exec_type == "NEW":
        return ["wait"]
    if update.trade is not None:
        return ["trade"] if update.order.is_open else ["trade", upbit_state(update.order)]
    return [upbit_state(update.order)]


def simplify(msg: dict[str, Any]) -> dict[str, Any]:
    """The ``SIMPLE`` spelling of a ``myOrder`` or ``myAsset`` message."""
    if msg["type"] == "myAsset":
        out = {SIMPLE_ASSET.get(k, k): v for k, v in msg.items()}
        out["ast"] = [{SIMPLE_ASSET_ROW.get(k, k): v for k, v in a.items()} for a in msg["assets"]]
        return out
    return {SIMPLE_ORDER.get(k, k): v for k, v in msg.items()}


def encode(msg: dict[str, Any], fmt: str) -> bytes:
    """One message in a connection's format."""
    body = simplify(msg) if fmt.startswith("SIMPLE") else msg
    return orjson.dumps([body] if fmt.endswith("_LIST") else body)


def parse_request(req: Any) -> tuple[str, frozenset[str] | None, bool, bool]:
    """``(format, myOrder codes (None: every market), myOrder?, myAsset?)`` of one request."""
    if not isinstance(req, list) or not req:
        raise UpbitRequestError("WRONG_FORMAT", "Format 이 맞지 않습니다.")
    fmt = "DEFAULT"
    codes: set[str] | None = set()
    want_order = want_asset = has_ticket = False
    for item in req:
        if not isinstance(item, dict):
            raise UpbitRequestError("WRONG_FORMAT", "Format 이 맞지 않습니다.")
        if "ticket" in item:
            has_ticket = bool(item["ticket"])
        elif "format" in item:
            fmt = str(item["format"]).upper()
            if fmt not in FORMATS:
                message = f"{item['format']}은 지원하지 않는 포맷입니다."
                raise UpbitRequestError("INVALID_PARAM", message)
        elif "type" in item:
            kind = item["type"]
            if kind not in TYPES:
                raise UpbitRequestError("INVALID_PARAM", f"unknown type '{kind}'")
            if kind == "myAsset":
                if "codes" in item:
                    raise UpbitRequestError("WRONG_FORMAT", "Format 이 맞지 않습니다.")
                want_asset = True
                continue
            want_order = True
            listed = item.get("codes")
            if listed is not None and not isinstance(listed, list):
                raise UpbitRequestError("WRONG_FORMAT", "Format 이 맞지 않습니다.")
            if not listed:
                codes = None
            elif codes is not None:
                codes.update(str(c) for c in listed)
    if not has_ticket:
        raise UpbitRequestError("NO_TICKET", "티켓이 존재하지 않거나, 유효하지 않습니다.")
    if not (want_order or want_asset):
        raise UpbitRequestError("NO_TYPE", "type 필드가 존재하지 않습니다.")
    return fmt, (None if codes is None else frozenset(codes)), want_order, want_asset


class PrivateConn:
    """One private connection: what it subscribed to and when a frame last went either way."""

    __slots__ = ("codes", "fmt", "last_frame", "queue", "want_asset", "want_order", "ws")

    def __init__(self, ws: web.WebSocketResponse, now: float) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.fmt = "DEFAULT"
        self.codes: frozenset[str] | None = None
        self.want_order = False
        self.want_asset = False
        self.last_frame = now

    def wants_order(self, code: str) -> bool:
        """Whether a ``myOrder`` for ``code`` goes to this connection."""
        return self.want_order and (self.codes is None or code in self.codes)


class UpbitPrivateStreams:
    """The ``/websocket/v1/private`` connections, fed by the order engine's listeners."""

    def __init__(
        self,
        engine: OrderEngine,
        orders: UpbitOrders,
        idle_timeout_s: float,
        ws_available: Callable[[], bool],
    ) -> None:
        self.engine = engine
        self.orders = orders
        self.idle_timeout_s = idle_timeout_s
        self.ws_available = ws_available
        self.conns: set[PrivateConn] = set()
        self.asset_uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, "letrade-sim/upbit/assets"))
        self._dirty: set[str] = set()
        self._flush_due = False
        engine.listeners.append(self._on_update)

    # ---- connections ----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``/websocket/v1/private``: verify the JWT, then serve until either side closes."""
        if not self.ws_available():
            return web.Response(status=503, text="stream unavailable")
        try:
            self.orders.verify_token(request)
        except UpbitApiError as exc:
            body = {"error": {"name": exc.name, "message": exc.message}}
            return json_response(body, exc.status)
        ws = web.WebSocketResponse(
            autoping=False, heartbeat=None, compress=False, max_msg_size=1 << 16
        )
        if not await accept(ws, request):
            return gone()
        loop = asyncio.get_running_loop()
        conn = PrivateConn(ws, loop.time())
        self.conns.add(conn)
        sender = asyncio.create_task(self._send(conn), name="letrade-sim-upbit-private")
        try:
            while True:
                left = conn.last_frame + self.idle_timeout_s - loop.time()
                if left <= 0:
                    log.info("upbit private connection idle for %gs, closing", self.idle_timeout_s)
                    await ws.close(code=1000, message=b"idle timeout")
                    break
                try:
                    msg = await ws.receive(timeout=left)
                except TimeoutError:
                    continue
                if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                    break
                if msg.type == WSMsgType.ERROR:
                    break
                conn.last_frame = loop.time()
                if msg.type == WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    data = msg.data
                    self._request(
                        conn, data if isinstance(data, str) else data.decode("utf-8", "replace")
                    )
        finally:
            self.conns.discard(conn)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        return ws

    async def _send(self, conn: PrivateConn) -> None:
        loop = asyncio.get_running_loop()
        while True:
            payload = await conn.queue.get()
            try:
                await conn.ws.send_bytes(payload)
            except (ConnectionError, RuntimeError):
                return
            conn.last_frame = loop.time()

    def _request(self, conn: PrivateConn, data: str) -> None:
        if data.strip() == "PING":
            conn.queue.put_nowait(b'{"status":"UP"}')
            return
        try:
            conn.fmt, conn.codes, conn.want_order, conn.want_asset = parse_request(
                orjson.loads(data)
            )
        except orjson.JSONDecodeError:
            self._error(conn, "WRONG_FORMAT", "Format 이 맞지 않습니다.")
        except UpbitRequestError as exc:
            self._error(conn, exc.name, str(exc))

    def _error(self, conn: PrivateConn, name: str, message: str) -> None:
        conn.queue.put_nowait(orjson.dumps({"error": {"name": name, "message": message}}))

    def drop_all(self) -> int:
        """Abort every private connection (no close handshake); returns how many."""
        n = 0
        for conn in list(self.conns):
            req = conn.ws._req
            transport = req.transport if req is not None else None
            if transport is not None:
                transport.abort()
                n += 1
        return n

    async def close_all(self) -> None:
        """Close every private connection (the sim is stopping)."""
        for conn in list(self.conns):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(), 1.0)

    # ---- events ---------------------------------------------------------------------------

    def _on_update(self, update: OrderUpdate) -> None:
        if not self.conns or update.order.venue != UPBIT:
            return
        code = update.order.symbol
        targets = [c for c in self.conns if c.wants_order(code)]
        if targets:
            ms = now_ms()
            for state in order_states(update):
                msg = order_message(update, state, ms)
                cache: dict[str, bytes] = {}
                for conn in targets:
                    if conn.fmt not in cache:
                        cache[conn.fmt] = encode(msg, conn.fmt)
                    conn.queue.put_nowait(cache[conn.fmt])
        self._dirty.update(update.assets)
        self._schedule_assets()

    def _schedule_assets(self) -> None:
        """One ``myAsset`` per burst of updates (a place that trades at once changes twice)."""
        if self._flush_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush_assets()
            return
        self._flush_due = True
        loop.call_soon(self._flush_assets)

    def _flush_assets(self) -> None:
        self._flush_due = False
        assets, self._dirty = sorted(self._dirty), set()
        targets = [c for c in self.conns if c.want_asset]
        if not assets or not targets:
            return
        account = self.engine.accounts[UPBIT]
        rows = []
        for asset in assets:
            h = account.holding(asset)
            rows.append({"currency": asset, "balance": _f(h.free), "locked": _f(h.locked)})
        ms = now_ms()
        msg = {
            "type": "myAsset",
            "asset_uuid": self.asset_uuid,
            "assets": rows,
            "asset_timestamp": account.update_ms or ms,
            "timestamp": ms,
            "stream_type": "REALTIME",
        }
        cache: dict[str, bytes] = {}
        for conn in targets:
            if conn.fmt not in cache:
                cache[conn.fmt] = encode(msg, conn.fmt)
            conn.queue.put_nowait(cache[conn.fmt])
