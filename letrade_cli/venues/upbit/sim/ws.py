"""Upbit WebSocket dialect on ``/websocket/v1``: binary frames, ``DEFAULT``/``SIMPLE`` formats.

A request is one JSON array::

    [{"ticket":"t1"},{"type":"trade","codes":["KRW-BTC"]},{"type":"orderbook","codes":["KRW-BTC"]},
     {"format":"SIMPLE"}]

Each request replaces the connection's subscriptions. Ticker and orderbook get a ``SNAPSHOT``
first unless ``isOnlyRealtime``; ``isOnlySnapshot`` sends the snapshot only. Text ``PING``
is answered with ``{"status":"UP"}``. Stream keys are ``<type>:<code>:<format>``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from letrade_cli.sim.generator import TRADE, Event, MarketEngine
from letrade_cli.sim.handshake import accept, gone
from letrade_cli.sim.hub import OP_BINARY, Conn, Hub, Payloads, Times
from letrade_cli.sim.markets import Market
from letrade_cli.venues.upbit.sim.account import UPBIT
from letrade_cli.venues.upbit.sim.format import (
    now_ms,
    orderbook_msg,
    simplify,
    ticker_msg,
    trade_msg,
)

log = logging.getLogger("letrade.sim")

TYPES = ("ticker", "trade", "orderbook")
FORMATS = ("DEFAULT", "SIMPLE")


class UpbitRequestError(ValueError):
    """A request Upbit would refuse; ``name`` is Upbit's error name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def parse_request(
    req: Any, markets: dict[str, Market]
) -> tuple[str, list[tuple[str, str, bool, bool]]]:
    """``(format, [(type, code, only_snapshot, only_realtime)])`` of one request array."""
    if not isinstance(req, list) or not req:
        raise UpbitRequestError("WRONG_FORMAT", "request must be a JSON array")
    fmt = "DEFAULT"
    subs: list[tuple[str, str, bool, bool]] = []
    has_ticket = False
    for item in req:
        if not isinstance(item, dict):
            raise UpbitRequestError("WRONG_FORMAT", "every element must be an object")
        if "ticket" in item:
            has_ticket = True
        elif "format" in item:
            fmt = str(item["format"]).upper()
            if fmt not in FORMATS:
                raise UpbitRequestError("INVALID_PARAM", f"unknown format '{item['format']}'")
        elif "type" in item:
            kind = item["type"]
            if kind not in TYPES:
                raise UpbitRequestError("INVALID_PARAM", f"unknown type '{kind}'")
            codes = item.get("codes")
            if not isinstance(codes, list) or not codes:
                raise UpbitRequestError("NO_CODES", "codes is missing")
            snap = bool(item.get("isOnlySnapshot", False))
            real = bool(item.get("isOnlyRealtime", False))
            for code in codes:
                base = str(code).upper().split(".")[0]
                if base in markets:
                    subs.append((kind, base, snap, real))
    if not has_ticket:
        raise UpbitRequestError("NO_TICKET", "ticket is missing")
    if not subs:
        raise UpbitRequestError("NO_TYPE", "no type with a listed code")
    return fmt, subs


def stream_symbol(key: str) -> str:
    """The market code of a stream key (``trade:KRW-BTC:DEFAULT`` -> ``KRW-BTC``)."""
    return key.split(":")[1]


def _encode(msg: dict[str, Any], fmt: str) -> bytes:
    return orjson.dumps(simplify(msg) if fmt == "SIMPLE" else msg)


class UpbitStreams:
    """Formats the Upbit payloads of one slice and serves Upbit WebSocket connections."""

    def __init__(
        self,
        hub: Hub,
        engine: MarketEngine,
        markets: dict[str, Market],
        seed: int,
        ws_available: Callable[[], bool],
    ) -> None:
        self.hub = hub
        self.engine = engine
        self.markets = markets
        self.seed = seed
        self.ws_available = ws_available

    def build(
        self, events: dict[str, list[Event]], now_s: float, times: Times | None = None
    ) -> Payloads:
        """Payloads per stream key for the Upbit codes among ``events``.

        ``times`` is not filled: a connection gets its Upbit payloads stream by stream.
        """
        refs = self.hub.refs
        now_ms = int(now_s * 1000)
        out: Payloads = {}
        for code, evs in events.items():
            if code not in self.markets:
                continue
            feed = self.engine.feeds[code]
            for fmt in FORMATS:
                key = f"trade:{code}:{fmt}"
                if key in refs:
                    out[key] = [
                        _encode(trade_msg(feed, self.seed, ev, "REALTIME"), fmt)
                        for ev in evs
                        if ev[0] == TRADE
                    ]
            traded = any(ev[0] == TRADE for ev in evs)
            for fmt in FORMATS:
                key = f"orderbook:{code}:{fmt}"
                if key in refs:
                    out[key] = [_encode(orderbook_msg(feed, now_ms, "REALTIME"), fmt)]
                key = f"ticker:{code}:{fmt}"
                if traded and key in refs:
                    out[key] = [_encode(ticker_msg(feed, self.seed, now_ms, "REALTIME"), fmt)]
        return out

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``/websocket/v1``."""
        if not self.ws_available():
            return web.Response(status=503, text="stream unavailable")
        ws = web.WebSocketResponse(compress=False, timeout=2.0, max_msg_size=1 << 16)
        if not await accept(ws, request):
            return gone()
        conn = self.hub.new_conn(UPBIT, ws, request.transport, False)
        limit = self.hub.config.inbound_limit_per_s
        try:
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                if conn.too_chatty(limit):
                    log.info(
                        "connection %s: more than %d messages/s, disconnecting", conn.id, limit
                    )
                    self.hub.remove(conn)
                    await ws.close(code=1008, message=b"Too many requests")
                    break
                data = msg.data if isinstance(msg.data, str) else msg.data.decode(errors="replace")
                self._request(conn, data)
        finally:
            self.hub.remove(conn)
        return ws

    def _request(self, conn: Conn, data: str) -> None:
        if data.strip() == "PING":
            conn.write([b'{"status":"UP"}'], OP_BINARY)
            return
        try:
            fmt, subs = parse_request(orjson.loads(data), self.markets)
        except orjson.JSONDecodeError:
            self._error(conn, "WRONG_FORMAT", "invalid JSON")
            return
        except UpbitRequestError as exc:
            self._error(conn, exc.name, str(exc))
            return
        ms = now_ms()
        snapshots: list[bytes] = []
        keys: list[str] = []
        for kind, code, only_snap, only_real in subs:
            if not only_real and kind != "trade":
                feed = self.engine.feed(code, ms)
                msg = (
                    ticker_msg(feed, self.seed, ms, "SNAPSHOT")
                    if kind == "ticker"
                    else orderbook_msg(feed, ms, "SNAPSHOT")
                )
                snapshots.append(_encode(msg, fmt))
            if not only_snap:
                keys.append(f"{kind}:{code}:{fmt}")
        conn.data_format = fmt
        self.hub.unsubscribe(conn, [k for k in conn.streams if k not in keys])
        self.hub.subscribe(conn, keys)
        if snapshots:
            conn.write(snapshots, OP_BINARY)

    def _error(self, conn: Conn, name: str, message: str) -> None:
        conn.write([orjson.dumps({"error": {"name": name, "message": message}})], OP_BINARY)
