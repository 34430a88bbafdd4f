"""Binance spot WebSocket dialect on ``/ws``, ``/ws/<streams>``, ``/stream?streams=a/b``.

Live ``SUBSCRIBE``/``UNSUBSCRIBE``/``LIST_SUBSCRIPTIONS``/``SET_PROPERTY``/``GET_PROPERTY``.

Stream names are ``<lowercase symbol>@<kind>``; a reply is ``{"result":null,"id":1}`` and an
error ``{"error":{"code":2,"msg":"Invalid request: ..."},"id":1}``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from letrade_cli.sim.generator import Event, MarketEngine
from letrade_cli.sim.handshake import accept, gone
from letrade_cli.sim.hub import Conn, Hub, Payloads, Times
from letrade_cli.sim.markets import Market
from letrade_cli.venues.binance.sim.account import BINANCE
from letrade_cli.venues.binance.sim.depth_diff import PARTIAL, DepthDiffs, partial
from letrade_cli.venues.binance.sim.format import kline_payload, stream_payloads, ticker_24h

log = logging.getLogger("letrade.sim")

KINDS = (
    "bookTicker",
    "trade",
    "aggTrade",
    "kline_1m",
    "ticker",
    "depth",
    "depth@100ms",
    "depth@1000ms",
    *(f"{name}{speed}" for name in PARTIAL for speed in ("", "@100ms", "@1000ms")),
)
MAX_STREAMS = 1024
PERIODIC_PER_SECOND = 10  # the hub calls build_periodic every 100 ms
TICKER_WARMUPS_PER_CALL = 2


class StreamError(ValueError):
    """A stream name the sim cannot serve."""


def stream_symbol(key: str) -> str:
    """The market symbol of a stream key (``btcusdt@trade`` -> ``BTCUSDT``)."""
    return key.split("@", 1)[0].upper()


def parse_stream(name: str, markets: dict[str, Market]) -> str:
    """Validate ``btcusdt@trade`` and return its canonical key; ``StreamError`` otherwise."""
    if not isinstance(name, str) or "@" not in name:
        raise StreamError(f"Invalid request: invalid stream name '{name}'")
    sym, kind = name.split("@", 1)
    if kind not in KINDS:
        raise StreamError(f"Invalid request: unknown stream type '{kind}' in '{name}'")
    if sym.upper() not in markets:
        raise StreamError(f"Invalid request: unknown symbol '{sym.upper()}' in stream '{name}'")
    return f"{sym.lower()}@{kind}"


class BinanceStreams:
    """Formats the Binance payloads of one slice and serves Binance WebSocket connections."""

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
        self.depth = DepthDiffs()
        self._names: dict[str, tuple[str, str, str]] = {}
        self._ticker_warm: set[str] = set()
        self._periodic_calls = 0

    def build(
        self, events: dict[str, list[Event]], now_s: float, times: Times | None = None
    ) -> Payloads:
        """Payloads per stream key for the Binance symbols among ``events``.

        ``times`` (when given) receives each payload's event time (ms), per stream key.
        """
        refs = self.hub.refs
        out: Payloads = {}
        for sym, evs in events.items():
            market = self.markets.get(sym)
            if market is None:
                continue
            names = self._names.get(sym)
            if names is None:
                low = sym.lower()
                names = self._names[sym] = (f"{low}@bookTicker", f"{low}@trade", f"{low}@aggTrade")
            bt, tr, ag = names
            book, trades, aggs = stream_payloads(
                market, evs, bt in refs, tr in refs, ag in refs, times, names
            )
            if book:
                out[bt] = book
            if trades:
                out[tr] = trades
            if aggs:
                out[ag] = aggs
        return out

    def build_periodic(self, now_s: float) -> Payloads:
        """The payloads of the timed streams that someone wants.

        Called every 100 ms: ``@depth@100ms`` diffs and ``depthN@100ms`` books each time;
        ``@ticker``, ``@kline_1m``, ``@depth`` (1000 ms) and ``depthN`` books once a second.
        """
        self._periodic_calls += 1
        full_second = self._periodic_calls % PERIODIC_PER_SECOND == 0
        now_ms = int(now_s * 1000)
        out: Payloads = {}
        live: set[tuple[str, str]] = set()
        warmups = 0
        for key in list(self.hub.refs):
            sym_low, _, kind = key.partition("@")
            fast = kind.endswith("@100ms")
            if kind == "ticker" and sym_low not in self._ticker_warm:
                # A symbol's first 24 h statistics read a day of its path (about 30 ms): warm
                # two per 100 ms call, so hundreds of new subscriptions never stall the loop.
                if warmups >= TICKER_WARMUPS_PER_CALL:
                    continue
                warmups += 1
                self._ticker_warm.add(sym_low)
                ticker_24h(self.engine.feed(sym_low.upper(), now_ms), self.seed, now_ms)
            if not (fast or full_second):
                if kind == "depth" or kind.startswith("depth"):
                    live.add((sym_low.upper(), "1000ms"))
                continue
            sym = sym_low.upper()
            if kind == "ticker":
                feed = self.engine.feed(sym, now_ms)
                out[key] = [orjson.dumps(ticker_24h(feed, self.seed, now_ms))]
            elif kind == "kline_1m":
                feed = self.engine.feed(sym, now_ms)
                out[key] = [orjson.dumps(kline_payload(feed, now_ms))]
            elif kind.startswith("depth"):
                name, _, speed = kind.partition("@")
                market = self.markets[sym]
                book = self.engine.feed(sym, now_ms).book
                if name in PARTIAL:
                    out[key] = [orjson.dumps(partial(market, book, PARTIAL[name]))]
                    continue
                speed = "100ms" if fast else "1000ms"
                live.add((sym, speed))
                update = self.depth.diff(sym, speed, market, book, now_ms)
                if update is not None:
                    out[key] = [orjson.dumps(update)]
        self.depth.forget(live)
        return out

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``/ws``, ``/ws/<streams>``, ``/stream`` and ``/stream?streams=...``."""
        if not self.ws_available():
            return web.Response(status=503, text="stream unavailable")
        combined = request.path.startswith("/stream")
        if combined:
            try:
                keys = [
                    parse_stream(s, self.markets)
                    for s in request.query.get("streams", "").split("/")
                    if s
                ]
            except StreamError as exc:
                return web.json_response({"code": -1121, "msg": str(exc)}, status=400)
        else:
            # Like Binance, any path after /ws/ opens a connection: the stream names in it are
            # subscribed, anything else (a listen key, a typo) simply carries no data until
            # SUBSCRIBE.
            keys = self._path_streams(request.match_info.get("streams", ""))
        ws = web.WebSocketResponse(
            autoping=False, compress=False, timeout=2.0, max_msg_size=1 << 16
        )
        if not await accept(ws, request):
            return gone()
        conn = self.hub.new_conn(BINANCE, ws, request.transport, combined)
        self.hub.subscribe(conn, keys)
        limit = self.hub.config.inbound_limit_per_s
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    if conn.too_chatty(limit):
                        log.info(
                            "connection %s: more than %d messages/s, disconnecting", conn.id, limit
                        )
                        self.hub.remove(conn)
                        await ws.close(code=1008, message=b"Too many requests")
                        break
                    self._command(conn, msg.data)
                elif msg.type is WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type is WSMsgType.PONG:
                    conn.last_pong = time.monotonic()
        finally:
            self.hub.remove(conn)
        return ws

    def _path_streams(self, tail: str) -> list[str]:
        keys = []
        for name in tail.split("/"):
            try:
                keys.append(parse_stream(name, self.markets))
            except StreamError:
                continue
        return keys

    def _command(self, conn: Conn, text: str) -> None:
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            self._reply(conn, {"error": {"code": 3, "msg": f"Invalid JSON: {exc}"}, "id": None})
            return
        if not isinstance(req, dict):
            self._reply(conn, _error("Invalid request: expected a JSON object", None))
            return
        rid = req.get("id")
        if (rid is not None and not isinstance(rid, (int, str))) or isinstance(rid, bool):
            self._reply(conn, _error("Invalid request: 'id' must be an integer or a string", None))
            return
        try:
            result = self._run(conn, req.get("method"), req.get("params", []))
        except StreamError as exc:
            self._reply(conn, _error(str(exc), rid))
            return
        self._reply(conn, {"result": result, "id": rid})

    def _run(self, conn: Conn, method: Any, params: Any) -> Any:
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not params:
                raise StreamError("Invalid request: 'params' must be a non-empty array")
            keys = [parse_stream(p, self.markets) for p in params]
            if method == "UNSUBSCRIBE":
                self.hub.unsubscribe(conn, keys)
                return None
            if len(set(conn.streams) | set(keys)) > MAX_STREAMS:
                raise StreamError(f"Invalid request: more than {MAX_STREAMS} streams")
            self.hub.subscribe(conn, keys)
            return None
        if method == "LIST_SUBSCRIPTIONS":
            return list(conn.streams)
        if method == "SET_PROPERTY":
            if not (isinstance(params, list) and len(params) == 2 and params[0] == "combined"):
                raise StreamError("Invalid request: unknown property")
            if not isinstance(params[1], bool):
                raise StreamError("Invalid request: 'combined' must be a boolean")
            conn.combined = params[1]
            return None
        if method == "GET_PROPERTY":
            if params != ["combined"]:
                raise StreamError("Invalid request: unknown property")
            return conn.combined
        raise StreamError(f"Invalid request: unknown method '{method}'")

    def _reply(self, conn: Conn, body: dict[str, Any]) -> None:
        conn.write([orjson.dumps(body)])


def _error(msg: str, rid: Any) -> dict[str, Any]:
    return {"error": {"code": 2, "msg": msg}, "id": rid}
