"""toyx's dialect of the embedded exchange: ``/toyx/ws`` streams and the ``/toyx/...`` REST routes.

:class:`ToyxSimDialect` satisfies :class:`letrade_cli.sim.dialect.SimDialect`: three markets in
the shared market engine, one account (``toyx``) in the shared order engine, JSON text frames
formatted from the engine's events, and the signed order routes of :mod:`tests.venues.toyx.orders`.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import WSMsgType, web

from letrade_cli.core.decimals import plain
from letrade_cli.sim.accounts import AccountRules, InsufficientBalance
from letrade_cli.sim.dialect import SimContext
from letrade_cli.sim.faults import Fault
from letrade_cli.sim.generator import QUOTE, TRADE, Event
from letrade_cli.sim.handshake import accept, gone
from letrade_cli.sim.hub import OP_TEXT, Conn, Payloads, StreamRules, Times
from letrade_cli.sim.markets import Market, make_market
from letrade_cli.sim.orders import (
    BUY,
    CANCELED,
    FILLED,
    LIMIT,
    MARKET,
    NEW,
    PARTIALLY_FILLED,
    SELL,
    DuplicateOrder,
    SimOrder,
    now_ms,
)
from tests.venues.toyx.auth import KEY_HEADER, SIGN_HEADER, signature

TOYX = "toyx"
DEFAULT_BALANCES = {"USDT": Decimal(5000), "BTC": Decimal("0.05")}
RULES = AccountRules(fee_rate=Decimal("0.0015"), fee_in_quote=False)
MARKETS = (("BTC", "0.01"), ("ETH", "0.01"), ("SOL", "0.001"))
_STATE = {NEW: "live", PARTIALLY_FILLED: "part", FILLED: "done", CANCELED: "gone"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def stream_symbol(key: str) -> str:
    """``toyx|quote|BTC_USDT`` -> ``BTC_USDT``."""
    return key.rsplit("|", 1)[1]


def toyx_markets() -> dict[str, Market]:
    """``BTC_USDT``, ``ETH_USDT``, ``SOL_USDT``."""
    return {
        f"{base}_USDT": make_market(f"{base}_USDT", TOYX, base, "USDT", Decimal(tick))
        for base, tick in MARKETS
    }


class ToyxError(Exception):
    """A toyx error answer: HTTP status, code, text."""

    def __init__(self, status: int, code: str, text: str) -> None:
        super().__init__(text)
        self.status, self.code, self.text = status, code, text


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _error(exc: ToyxError) -> web.Response:
    return _json({"ok": False, "err": exc.code, "text": exc.text}, exc.status)


def order_json(order: SimOrder) -> dict[str, Any]:
    """An order as toyx shows it (with its fills)."""
    m = order.market
    return {
        "id": f"TX{order.order_id}",
        "cid": order.client_id,
        "sym": order.symbol,
        "side": "buy" if order.side == BUY else "sell",
        "kind": "limit" if order.type == LIMIT else "market",
        "size": plain(order.orig_qty),
        "px": plain(order.price) if order.price is not None else None,
        "tif": order.tif.lower(),
        "state": _STATE.get(order.status, "void"),
        "done_size": plain(order.executed_qty),
        "done_value": plain(order.cum_quote),
        "fee": plain(order.paid_fee),
        "fee_ccy": m.base if order.side == BUY else m.quote,
        "ts": order.time_ms,
        "upd": order.update_ms,
        "fills": [
            {
                "fid": f"F{t.trade_id}",
                "px": plain(t.price),
                "size": plain(t.qty),
                "fee": plain(t.commission),
                "maker": t.is_maker,
                "ts": t.time_ms,
            }
            for t in order.trades
        ],
    }


class ToyxSimDialect:
    """toyx as the sim serves it."""

    # Annotated as SimDialect declares them: its members are mutable, so mypy holds a narrower
    # inferred type (dict, a 4-tuple) against the protocol.
    name: str = TOYX
    default_balances: Mapping[str, Decimal] = DEFAULT_BALANCES
    rules: AccountRules = RULES
    stream_rules: StreamRules = StreamRules(
        opcode=OP_TEXT, server_ping=False, key_symbol=stream_symbol
    )
    # Not "/toyx/": /toyx/ws is a WebSocket path, not counted (nor refused) as REST.
    rest_prefixes: tuple[str, ...] = (
        "/toyx/markets",
        "/toyx/prices",
        "/toyx/order",
        "/toyx/balances",
    )

    def __init__(self, context: SimContext) -> None:
        self.context = context
        self.hub = context.hub
        self.engine = context.engine
        self.orders = context.orders
        self.markets = toyx_markets()
        self._seq: dict[str, int] = dict.fromkeys(self.markets, 0)
        self._nonces: set[str] = set()

    # -- the SimDialect interface -------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        """Public market data, then the signed account routes."""
        signed = self._signed
        return [
            web.get("/toyx/markets", self.list_markets),
            web.get("/toyx/prices", self.prices),
            web.post("/toyx/orders", signed(self.new_order, fault=True)),
            web.get("/toyx/orders", signed(self.list_orders)),
            web.get("/toyx/order", signed(self.get_order)),
            web.delete("/toyx/order", signed(self.cancel_order, fault=True)),
            web.get("/toyx/balances", signed(self.balances)),
        ]

    def ws_routes(self) -> list[web.RouteDef]:
        """``/toyx/ws``."""
        return [web.get("/toyx/ws", self.handle_ws)]

    def build(self, events: dict[str, list[Event]], now_s: float, times: Times) -> Payloads:
        """Quote and trade frames for the toyx markets among ``events`` (with event times)."""
        refs = self.hub.refs
        out: Payloads = {}
        for code, evs in events.items():
            m = self.markets.get(code)
            if m is None:
                continue
            qkey, tkey = f"toyx|quote|{code}", f"toyx|trade|{code}"
            want_q, want_t = qkey in refs, tkey in refs
            for ev in evs:
                if ev[0] == QUOTE and want_q:
                    out.setdefault(qkey, []).append(self._quote(m, ev[1], ev[3:7]))
                    times.setdefault(qkey, []).append(ev[1])
                elif ev[0] == TRADE and want_t:
                    _, ms, tid, p, q, maker = ev
                    frame = {"ch": "trade", "s": code, "p": m.price_str(p), "q": m.qty_str(q),
                             "m": bool(maker), "t": ms, "i": tid}  # fmt: skip
                    out.setdefault(tkey, []).append(orjson.dumps(frame))
                    times.setdefault(tkey, []).append(ms)
        return out

    def build_periodic(self, now_s: float) -> Payloads:
        """No timed streams."""
        return {}

    async def start(self) -> None:
        """Nothing to do."""

    async def stop(self) -> None:
        """The hub holds every toyx connection."""

    def drop_connections(self) -> int:
        """None outside the hub."""
        return 0

    # -- streams ----------------------------------------------------------------------------
    def _quote(self, m: Market, ms: int, top: tuple[int, ...], *, step: bool = True) -> bytes:
        if step:
            self._seq[m.symbol] += 1
        bid, bid_qty, ask, ask_qty = top
        frame = {"ch": "quote", "s": m.symbol, "b": m.price_str(bid), "a": m.price_str(ask),
                 "B": m.qty_str(bid_qty), "A": m.qty_str(ask_qty), "t": ms,
                 "n": self._seq[m.symbol]}  # fmt: skip
        return orjson.dumps(frame)

    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        """``/toyx/ws``: ``{"op":"sub","id":N,"args":["quote:BTC_USDT",...]}`` frames."""
        if not self.context.ws_available():
            return web.Response(status=503, text="stream unavailable")
        ws = web.WebSocketResponse(compress=False, max_msg_size=1 << 16)
        if not await accept(ws, request):
            return gone()
        conn = self.hub.new_conn(TOYX, ws, request.transport, False)
        limit = self.hub.config.inbound_limit_per_s
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                if conn.too_chatty(limit):
                    self.hub.remove(conn)
                    await ws.close(code=1008, message=b"too many messages")
                    break
                self._request(conn, msg.data)
        finally:
            self.hub.remove(conn)
        return ws

    def _request(self, conn: Conn, data: str) -> None:
        try:
            req = orjson.loads(data)
            if req.get("op") != "sub" or not isinstance(req.get("args"), list):
                raise ValueError("op must be sub with a list of args")
            subs = []
            for arg in req["args"]:
                ch, _, code = str(arg).partition(":")
                if ch not in ("quote", "trade") or code not in self.markets:
                    raise ValueError(f"unknown stream {arg!r}")
                subs.append((ch, code))
        except (orjson.JSONDecodeError, ValueError, AttributeError) as exc:
            err = {"ch": "error", "code": "TX_BAD_ARG", "text": str(exc)[:100]}
            conn.write([orjson.dumps(err)], OP_TEXT)
            return
        conn.write([orjson.dumps({"ch": "ack", "id": req.get("id"), "args": req["args"]})])
        ms = now_ms()
        snapshots = []
        for ch, code in subs:
            top = self.engine.feed(code, ms).book.top()
            if ch == "quote" and top is not None:
                snapshots.append(self._quote(self.markets[code], ms, top, step=False))
        self.hub.subscribe(conn, [f"toyx|{ch}|{code}" for ch, code in subs])
        if snapshots:
            conn.write(snapshots, OP_TEXT)

    # -- public REST ------------------------------------------------------------------------
    async def list_markets(self, request: web.Request) -> web.Response:
        """``GET /toyx/markets``."""
        rows = [
            {"name": m.symbol, "base": m.base, "quote": m.quote, "tick": plain(m.tick),
             "lot": plain(m.step), "min_value": plain(m.min_notional), "state": "open"}
            for m in self.markets.values()
        ]  # fmt: skip
        return _json({"markets": rows})

    async def prices(self, request: web.Request) -> web.Response:
        """``GET /toyx/prices?symbols=BTC_USDT,ETH_USDT``."""
        codes = [c for c in request.query.get("symbols", "").split(",") if c]
        if not codes or any(c not in self.markets for c in codes):
            return _error(ToyxError(404, "TX_NO_MARKET", "unknown market"))
        ms = now_ms()
        rows = []
        for code in codes:
            m, feed = self.markets[code], self.engine.feed(code, ms)
            bid, _, ask, _ = feed.book.top() or (feed.last_price, 0, feed.last_price, 0)
            rows.append({"s": code, "b": m.price_str(bid), "a": m.price_str(ask),
                         "last": m.price_str(feed.last_price), "t": ms})  # fmt: skip
        return _json({"prices": rows})

    # -- signed REST ------------------------------------------------------------------------
    def _signed(self, handler: Callable[[dict[str, str]], Any], *, fault: bool = False) -> Handler:
        async def answer(request: web.Request) -> web.StreamResponse:
            try:
                return _json(handler(self._authenticate(request)))
            except ToyxError as exc:
                return _error(exc)

        async def wrapped(request: web.Request) -> web.StreamResponse:
            if fault:
                return await self.context.faults.apply(request, lambda: answer(request), _refuse)
            return await answer(request)

        return wrapped

    def _authenticate(self, request: web.Request) -> dict[str, str]:
        cfg = self.context.config
        if not hmac.compare_digest(request.headers.get(KEY_HEADER, "").encode(),
                                   cfg.api_key.encode()):  # fmt: skip
            raise ToyxError(401, "TX_BAD_KEY", "unknown API key")
        query = request.rel_url.raw_query_string
        wanted = signature(cfg.api_secret, request.method, request.path, query)
        if not hmac.compare_digest(request.headers.get(SIGN_HEADER, "").encode(), wanted.encode()):
            raise ToyxError(401, "TX_BAD_SIGN", "signature mismatch")
        params = dict(parse_qsl(query, keep_blank_values=True))
        nonce = params.pop("nonce", "")
        if not nonce or nonce in self._nonces:
            raise ToyxError(401, "TX_NONCE", "nonce missing or used")
        self._nonces.add(nonce)
        return params

    def _market(self, params: dict[str, str]) -> Market:
        m = self.markets.get(params.get("sym", ""))
        if m is None:
            raise ToyxError(404, "TX_NO_MARKET", "unknown market")
        return m

    def _find(self, params: dict[str, str]) -> SimOrder:
        order = self.orders.find(TOYX, client_id=params.get("cid") or "-")
        if order is None:
            raise ToyxError(404, "TX_NO_ORDER", "no such order")
        return order

    def new_order(self, params: dict[str, str]) -> dict[str, Any]:
        """``POST /toyx/orders``: market or limit (gtc, ioc)."""
        m = self._market(params)
        side = {"buy": BUY, "sell": SELL}.get(params.get("side", ""))
        kind = {"market": MARKET, "limit": LIMIT}.get(params.get("kind", ""))
        tif = {"gtc": "GTC", "ioc": "IOC"}.get(params.get("tif", "gtc"))
        if side is None or kind is None or tif is None:
            raise ToyxError(400, "TX_BAD_ARG", "side, kind or tif is not valid")
        size = _positive(params.get("size"))
        price = _positive(params.get("px")) if kind == LIMIT else None
        if size % m.step or (price is not None and price % m.tick):
            raise ToyxError(400, "TX_BAD_STEP", "size or px off the market's lot or tick")
        lock = None
        if kind == MARKET and side == BUY:
            lock = self.orders.walk_cost(m, BUY, int(size / m.step), None, TOYX)
        try:
            order = self.orders.place(TOYX, m, side, kind, qty=size, price=price, tif=tif,
                                      client_id=params.get("cid", ""), lock=lock)  # fmt: skip
        except InsufficientBalance:
            raise ToyxError(400, "TX_NO_FUNDS", "not enough free balance") from None
        except DuplicateOrder:
            raise ToyxError(400, "TX_DUP_CID", "an open order has this cid") from None
        return order_json(order)

    def get_order(self, params: dict[str, str]) -> dict[str, Any]:
        """``GET /toyx/order?cid=``."""
        return order_json(self._find(params))

    def cancel_order(self, params: dict[str, str]) -> dict[str, Any]:
        """``DELETE /toyx/order?cid=``."""
        order = self._find(params)
        if not order.is_open:
            raise ToyxError(400, "TX_NOT_OPEN", "the order is not open")
        return order_json(self.orders.cancel(order))

    def list_orders(self, params: dict[str, str]) -> dict[str, Any]:
        """``GET /toyx/orders?open=1[&sym=]``."""
        sym = params.get("sym") or None
        if params.get("open") == "1":
            rows = self.orders.open_orders(TOYX, sym)
        else:
            rows = [o for o in self.orders.orders[TOYX].values() if sym in (None, o.symbol)]
        return {"orders": [order_json(o) for o in rows]}

    def balances(self, params: dict[str, str]) -> dict[str, Any]:
        """``GET /toyx/balances``."""
        snap = self.orders.accounts[TOYX].snapshot()
        return {"balances": {a: {"free": plain(f), "held": plain(h)} for a, (f, h) in snap.items()}}


def _positive(text: str | None) -> Decimal:
    try:
        value = Decimal(text or "")
    except InvalidOperation:
        value = Decimal(0)
    if not value.is_finite() or value <= 0:
        raise ToyxError(400, "TX_BAD_ARG", f"{text!r} is not a positive number")
    return value


def _refuse(fault: Fault) -> web.StreamResponse:
    if fault.kind == "throttle":
        resp = _json({"ok": False, "err": "TX_SLOW_DOWN", "text": "too many requests"}, 429)
        resp.headers["Retry-After"] = str(fault.retry_after_s)
        return resp
    return _json({"ok": False, "err": "TX_INTERNAL", "text": "try again"}, fault.status)
