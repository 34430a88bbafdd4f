"""Binance spot trading routes of the sim, checked the way Binance checks them.

``POST/GET/DELETE /api/v3/order``, ``POST /api/v3/order/test``, ``GET/DELETE
/api/v3/openOrders``, ``GET /api/v3/allOrders``, ``GET /api/v3/account``, ``GET
/api/v3/myTrades`` (``SIGNED``, counted in the REST request-weight budget). The handlers take a
:class:`Params` and return the answer's body, so the WebSocket API (:mod:`.ws_api_methods`) calls
the same ones. ``POST/PUT/DELETE /api/v3/userDataStream`` answer nginx's ``410 Gone``, as Binance
has since listen keys were retired on 2026-02-20.

A ``SIGNED`` request carries ``X-MBX-APIKEY`` (-2014 malformed, -2015 unknown), ``timestamp`` and
an optional ``recvWindow`` (default 5000, at most 60000; -1021 outside), and ``signature`` over
*totalParams* = the query string (as sent) concatenated with the body: the hex HMAC-SHA256 keyed by
the secret for the HMAC key, base64 Ed25519 (URL-encoded in the query) for an Ed25519 key
(-1022 otherwise; :mod:`.signing`). Errors are ``{"code":-1013,"msg":"Filter failure: LOT_SIZE"}``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from letrade_cli.core.triggers import stop_trigger
from letrade_cli.sim.accounts import Account, InsufficientBalance
from letrade_cli.sim.faults import Fault, OrderFaults
from letrade_cli.sim.markets import Market
from letrade_cli.sim.orders import (
    BUY,
    LIMIT,
    MARKET,
    SELL,
    DuplicateOrder,
    OrderEngine,
    SimOrder,
    now_ms,
)
from letrade_cli.venues.binance.sim.account import BINANCE
from letrade_cli.venues.binance.sim.order_format import (
    cancel_response,
    d8,
    list_cancel_response,
    list_response,
    list_status,
    order_response,
    order_status,
)
from letrade_cli.venues.binance.sim.rate_limits import BinanceLimits
from letrade_cli.venues.binance.sim.rest import BinanceApiError, json_response
from letrade_cli.venues.binance.sim.signing import KeyRing, check_timing, missing

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DECIMAL_RE = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
INT_RANGE = "^[0-9]{1,20}$"
CLIENT_ID_RE = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")
TIFS = ("GTC", "IOC", "FOK")
LIMIT_MAKER = "LIMIT_MAKER"
STOP_MARKET_TYPES = ("STOP_LOSS", "TAKE_PROFIT")
STOP_LIMIT_TYPES = ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
ORDER_TYPES = (LIMIT, MARKET, LIMIT_MAKER, *STOP_MARKET_TYPES, *STOP_LIMIT_TYPES)
# exchangeInfo's TRAILING_DELTA filter (BIPS), the same above and below
MIN_TRAILING_DELTA = 10
MAX_TRAILING_DELTA = 2000
RESP_TYPES = ("ACK", "RESULT", "FULL")
GONE_HTML = (
    "<html>\r\n<head><title>410 Gone</title></head>\r\n<body>\r\n"
    "<center><h1>410 Gone</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


_missing = missing


def _illegal(name: str, legal: str) -> BinanceApiError:
    return BinanceApiError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def _not_required(name: str) -> BinanceApiError:
    return BinanceApiError(-1106, f"Parameter '{name}' sent when not required.")


def _either(a: str, b: str) -> BinanceApiError:
    return BinanceApiError(-1102, f"Param '{a}' or '{b}' must be sent, but both were empty/null!")


class Params:
    """The parameters of one request (query string then body), each sent at most once."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.values: dict[str, str] = {}
        for k, v in pairs:
            if k in self.values:
                raise BinanceApiError(-1101, "Duplicate values for a parameter detected.")
            self.values[k] = v

    def get(self, name: str) -> str | None:
        """The value, or None when absent or empty."""
        v = self.values.get(name)
        return v if v else None

    def required(self, name: str) -> str:
        """The value; -1102 when absent or empty."""
        v = self.get(name)
        if v is None:
            raise _missing(name)
        return v

    def decimal(self, name: str) -> Decimal | None:
        """A non-negative decimal parameter; -1100 when malformed."""
        v = self.get(name)
        if v is None:
            return None
        if not DECIMAL_RE.match(v):
            raise _illegal(name, DECIMAL_RANGE)
        try:
            return Decimal(v)
        except InvalidOperation:  # pragma: no cover - the regex admits only decimals
            raise _illegal(name, DECIMAL_RANGE) from None

    def integer(self, name: str) -> int | None:
        """A non-negative integer parameter; -1100 when malformed."""
        v = self.get(name)
        if v is None:
            return None
        if not v.isdigit() or len(v) > 20:
            raise _illegal(name, INT_RANGE)
        return int(v)


class BinanceOrders:
    """The signed trading routes (and the retired listen-key routes).

    Attributes:
        keys: The API keys that open the account (HMAC and Ed25519), shared with the WS API.
        limits: The weight, order count and bans, shared with the market-data routes and the
            WebSocket API (set by the dialect: one budget).
    """

    def __init__(
        self,
        engine: OrderEngine,
        markets: dict[str, Market],
        api_key: str,
        api_secret: str,
        faults: OrderFaults,
        ed25519_keys: Mapping[str, bytes] | None = None,
    ) -> None:
        self.engine = engine
        self.markets = markets
        self.api_key = api_key
        self.keys = KeyRing(api_key, api_secret, ed25519_keys)
        self.faults = faults
        self.limits: BinanceLimits | None = None  # shared with the REST routes and WS API

    @property
    def account(self) -> Account:
        """The one Binance account."""
        return self.engine.accounts[BINANCE]

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes."""
        w = self._wrap
        return [
            web.post("/api/v3/order", w(self.new_order, 1, fault=True, orders=True)),
            web.post("/api/v3/order/test", w(self.test_order, 1)),
            web.post(
                "/api/v3/order/cancelReplace", w(self.cancel_replace, 1, fault=True, orders=True)
            ),
            web.get("/api/v3/order", w(self.get_order, 4)),
            web.post("/api/v3/orderList/oco", w(self.new_oco, 1, fault=True, orders=True)),
            web.get("/api/v3/orderList", w(self.get_order_list, 4)),
            web.delete("/api/v3/orderList", w(self.cancel_order_list, 1, fault=True)),
            web.get("/api/v3/openOrderList", w(self.open_order_lists, 6)),
            web.delete("/api/v3/order", w(self.cancel_order, 1, fault=True)),
            web.get("/api/v3/openOrders", w(self.open_orders, 6, all_weight=80)),
            web.delete("/api/v3/openOrders", w(self.cancel_open_orders, 1, fault=True)),
            web.get("/api/v3/allOrders", w(self.all_orders, 20)),
            web.get("/api/v3/account", w(self.account_info, 20)),
            web.get("/api/v3/myTrades", w(self.my_trades, 20)),
            web.post("/api/v3/userDataStream", listen_key_gone),
            web.put("/api/v3/userDataStream", listen_key_gone),
            web.delete("/api/v3/userDataStream", listen_key_gone),
        ]

    # ---- plumbing ----------------------------------------------------------------------------

    def _wrap(
        self,
        handler: Callable[[Params], Awaitable[Any]],
        weight: int,
        *,
        all_weight: int | None = None,
        signed: bool = True,
        fault: bool = False,
        orders: bool = False,
    ) -> Handler:
        async def answer(request: web.Request) -> web.StreamResponse:
            try:
                params = await self._authenticate(request, signed)
                if orders and self.limits is not None:
                    refused = self.limits.order()  # counted once authenticated
                    if refused is not None:
                        return refused.rest(self.limits.orders.headers())
                resp = json_response(await handler(params))
            except BinanceApiError as exc:
                error: dict[str, Any] = {"code": exc.code, "msg": exc.msg}
                if exc.data is not None:
                    error["data"] = exc.data
                resp = json_response(error, status=exc.status)
            if orders and self.limits is not None:
                resp.headers.update(self.limits.orders.headers())
            return resp

        async def weighed(request: web.Request) -> web.StreamResponse:
            limits = self.limits
            if limits is None:
                return await answer(request)
            cost = weight if all_weight is None or "symbol" in request.query else all_weight
            refused = limits.weigh(cost)
            resp = refused.rest() if refused is not None else await answer(request)
            resp.headers[limits.meter.header] = str(limits.meter.used)
            return resp

        async def wrapped(request: web.Request) -> web.StreamResponse:
            if fault:
                return await self.faults.apply(request, lambda: weighed(request), _refuse)
            return await weighed(request)

        return wrapped

    async def _authenticate(self, request: web.Request, signed: bool) -> Params:
        key = request.headers.get("X-MBX-APIKEY") or ""
        self.keys.kind(key)  # -2014 / -2015
        raw_query = request.rel_url.raw_query_string
        body = (await request.read()).decode("utf-8", "replace") if request.body_exists else ""
        pairs = parse_qsl(raw_query, keep_blank_values=True) + parse_qsl(
            body, keep_blank_values=True
        )
        params = Params(pairs)
        if not signed:
            return params
        check_timing(params.values.get("timestamp"), params.get("recvWindow"))
        signature = params.get("signature")
        if signature is None:
            raise _missing("signature")
        total = _without_signature(raw_query) + _without_signature(body)
        self.keys.verify(key, total, signature)
        return params

    def _market(self, params: Params) -> Market:
        sym = params.required("symbol").upper()
        m = self.markets.get(sym)
        if m is None:
            raise BinanceApiError(-1121, "Invalid symbol.")
        return m

    # ---- orders ------------------------------------------------------------------------------

    def _validate(self, params: Params) -> dict[str, Any]:
        """Everything a new order needs, checked in Binance's order (no state is changed)."""
        m = self._market(params)
        side = params.required("side")
        if side not in (BUY, SELL):
            raise BinanceApiError(-1117, "Invalid side.")
        type_ = params.required("type")
        if type_ not in ORDER_TYPES:
            raise BinanceApiError(-1116, "Invalid orderType.")
        tif = params.get("timeInForce")
        qty = params.decimal("quantity")
        quote_qty = params.decimal("quoteOrderQty")
        price = params.decimal("price")
        stop_price = params.decimal("stopPrice")
        trailing = params.integer("trailingDelta")
        conditional = type_ in STOP_MARKET_TYPES or type_ in STOP_LIMIT_TYPES
        client_id = params.get("newClientOrderId") or ""
        if client_id and not CLIENT_ID_RE.match(client_id):
            raise _illegal("newClientOrderId", "^[a-zA-Z0-9-_]{1,36}$")
        resp_type = params.get("newOrderRespType") or "FULL"
        if resp_type not in RESP_TYPES:
            raise _illegal("newOrderRespType", "^(ACK|RESULT|FULL)$")
        if not conditional and stop_price is not None:
            raise _not_required("stopPrice")
        if not conditional and trailing is not None:
            raise _not_required("trailingDelta")
        if type_ in STOP_LIMIT_TYPES:
            if tif is None:
                raise _missing("timeInForce")
            if tif not in TIFS:
                raise BinanceApiError(-1115, "Invalid timeInForce.")
            if qty is None:
                raise _missing("quantity")
            if price is None:
                raise _missing("price")
            if stop_price is None and trailing is None:
                raise _either("stopPrice", "trailingDelta")
            if quote_qty is not None:
                raise _not_required("quoteOrderQty")
        elif type_ in STOP_MARKET_TYPES:
            if tif is not None:
                raise _not_required("timeInForce")
            if price is not None:
                raise _not_required("price")
            if qty is None:
                raise _missing("quantity")
            if stop_price is None and trailing is None:
                raise _either("stopPrice", "trailingDelta")
            if quote_qty is not None:
                raise _not_required("quoteOrderQty")
        elif type_ == LIMIT:
            if tif is None:
                raise _missing("timeInForce")
            if tif not in TIFS:
                raise BinanceApiError(-1115, "Invalid timeInForce.")
            if qty is None:
                raise _missing("quantity")
            if price is None:
                raise _missing("price")
            if quote_qty is not None:
                raise _not_required("quoteOrderQty")
        elif type_ == LIMIT_MAKER:
            if tif is not None:
                raise _not_required("timeInForce")
            if qty is None:
                raise _missing("quantity")
            if price is None:
                raise _missing("price")
        else:
            if tif is not None:
                raise _not_required("timeInForce")
            if price is not None:
                raise _not_required("price")
            if qty is None and quote_qty is None:
                raise _either("quantity", "quoteOrderQty")
            if qty is not None and quote_qty is not None:
                raise _not_required("quoteOrderQty")
        filters = _Filters(m)
        if price is not None:
            filters.price(price)
        if stop_price is not None:
            filters.price(stop_price)
        if qty is not None:
            filters.lot(qty)
        if trailing is not None and not MIN_TRAILING_DELTA <= trailing <= MAX_TRAILING_DELTA:
            raise BinanceApiError(-1013, "Filter failure: TRAILING_DELTA")
        last = m.price_decimal(self.engine.market.feed(m.symbol, now_ms()).last_price)
        if price is not None:
            assert qty is not None
            filters.notional(price * qty)
        elif qty is not None:
            filters.notional((stop_price or last) * qty)
        elif quote_qty is not None:
            filters.notional(quote_qty)
        return {
            "market": m,
            "side": side,
            "type": type_,
            "tif": tif or "GTC",
            "qty": qty,
            "quote_qty": quote_qty,
            "price": price,
            "client_id": client_id,
            "resp_type": resp_type,
            "stop_price": stop_price,
            "trailing": trailing,
            "conditional": conditional,
            "last": last,
        }

    async def test_order(self, params: Params) -> dict[str, Any]:
        """``POST /api/v3/order/test``: every check, nothing placed -> ``{}``."""
        v = self._validate(params)
        if v["conditional"]:
            self._trigger_of(v)
        return {}

    def _trigger_of(self, v: dict[str, Any]) -> Any:
        """The trigger of a conditional order; -2010 when a fixed stop would fire now."""
        trigger = stop_trigger(v["type"], v["side"], v["stop_price"], v["trailing"])
        if not trigger.trailing and stop_trigger(
            v["type"], v["side"], v["stop_price"], None
        ).update(v["last"]):
            raise BinanceApiError(-2010, "Order would trigger immediately.")
        return trigger

    async def new_order(self, params: Params) -> dict[str, Any]:
        """``POST /api/v3/order`` -> ACK, RESULT or FULL (the default for MARKET and LIMIT)."""
        v = self._validate(params)
        m: Market = v["market"]
        side: str = v["side"]
        qty: Decimal | None = v["qty"]
        lock: Decimal | None = None
        quote_qty = v["quote_qty"] or Decimal(0)
        trigger = self._trigger_of(v) if v["conditional"] else None
        if trigger is not None:
            if side == BUY and v["price"] is None:
                lock = Decimal(0)  # a stop market buy locks its cost when it triggers
        elif v["type"] == MARKET:
            if qty is None:
                lots = self.engine.lots_for_quote(m, side, quote_qty, BINANCE)
                qty = m.step * lots
            lots = int(qty / m.step)
            if side == BUY:
                lock = self.engine.walk_cost(m, side, lots, None, BINANCE)
        elif v["type"] == LIMIT_MAKER and self._would_take(m, side, v["price"]):
            raise BinanceApiError(-2010, "Order would immediately match and take.")
        assert qty is not None
        try:
            order = self.engine.place(
                BINANCE,
                m,
                side,
                v["type"],
                qty=qty,
                price=v["price"],
                tif=v["tif"],
                client_id=v["client_id"],
                quote_qty=quote_qty,
                lock=lock,
                trigger=trigger,
            )
        except DuplicateOrder:
            raise BinanceApiError(-2010, "Duplicate order sent.") from None
        except InsufficientBalance:
            raise BinanceApiError(
                -2010, "Account has insufficient balance for requested action."
            ) from None
        return order_response(order, v["resp_type"])

    async def cancel_replace(self, p: Params) -> dict[str, Any]:
        """``POST /api/v3/order/cancelReplace``: cancel, then place.

        STOP_ON_FAILURE places only after a successful cancel; failures answer -2021 (partial,
        409) or -2022 (400) with a ``data`` of both results.
        """
        mode = p.required("cancelReplaceMode")
        if mode not in ("STOP_ON_FAILURE", "ALLOW_FAILURE"):
            raise BinanceApiError(
                -1130, "Data sent for parameter 'cancelReplaceMode' is not valid."
            )
        cancel_pairs = [("symbol", p.required("symbol"))]
        for ours, theirs in (
            ("cancelOrderId", "orderId"),
            ("cancelOrigClientOrderId", "origClientOrderId"),
            ("cancelNewClientOrderId", "newClientOrderId"),
        ):
            value = p.get(ours)
            if value is not None:
                cancel_pairs.append((theirs, value))
        if p.get("cancelOrderId") is None and p.get("cancelOrigClientOrderId") is None:
            raise BinanceApiError(
                -1102,
                "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were "
                "empty/null!",
            )
        new = Params([(k, v) for k, v in p.values.items() if not k.startswith("cancel")])
        await self.test_order(new)  # filters are evaluated before anything happens
        cancel_ok, cancel_resp = await _attempt(self.cancel_order(Params(cancel_pairs)))
        if not cancel_ok and mode == "STOP_ON_FAILURE":
            raise BinanceApiError(-2022, "Order cancel-replace failed.", 400, {
                "cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
                "cancelResponse": cancel_resp, "newOrderResponse": None})  # fmt: skip
        new_ok, new_resp = await _attempt(self.new_order(new))
        body = {
            "cancelResult": "SUCCESS" if cancel_ok else "FAILURE",
            "newOrderResult": "SUCCESS" if new_ok else "FAILURE",
            "cancelResponse": cancel_resp,
            "newOrderResponse": new_resp,
        }
        if cancel_ok and new_ok:
            return body
        if cancel_ok or new_ok:
            raise BinanceApiError(-2021, "Order cancel-replace partially failed.", 409, body)
        raise BinanceApiError(-2022, "Order cancel-replace failed.", 400, body)

    # ---- order lists (OCO) -------------------------------------------------------------------

    def _oco_leg(self, params: Params, side: str, qty: str, where: str) -> dict[str, Any]:
        """One leg (``above``/``below``) of an OCO, validated as a single order would be."""
        pairs = [("symbol", params.required("symbol")), ("side", side), ("quantity", qty)]
        pairs.append(("type", params.required(f"{where}Type")))
        names = ("price", "stopPrice", "trailingDelta", "timeInForce")
        for name in names:
            value = params.get(where + name[0].upper() + name[1:])
            if value is not None:
                pairs.append((name, value))
        cid = params.get(f"{where}ClientOrderId")
        if cid is not None:
            pairs.append(("newClientOrderId", cid))
        resp = params.get("newOrderRespType")
        if resp is not None:
            pairs.append(("newOrderRespType", resp))
        try:
            v = self._validate(Params(pairs))
            trigger = self._trigger_of(v) if v["conditional"] else None
            if v["type"] == LIMIT_MAKER and self._would_take(v["market"], side, v["price"]):
                raise BinanceApiError(-2010, "Order would immediately match and take.")
        except BinanceApiError as exc:
            msg = exc.msg
            for name in names:
                msg = msg.replace(f"'{name}'", f"'{where}{name[0].upper()}{name[1:]}'")
            raise BinanceApiError(exc.code, msg, exc.status) from None
        return {**v, "trigger": trigger}

    async def new_oco(self, params: Params) -> dict[str, Any]:
        """``POST /api/v3/orderList/oco``: an above and a below leg, one cancels the other."""
        m = self._market(params)
        list_cid = params.get("listClientOrderId") or ""
        if list_cid and not CLIENT_ID_RE.match(list_cid):
            raise _illegal("listClientOrderId", "^[a-zA-Z0-9-_]{1,36}$")
        side = params.required("side")
        if side not in (BUY, SELL):
            raise BinanceApiError(-1117, "Invalid side.")
        qty = params.required("quantity")
        above, below = params.required("aboveType"), params.required("belowType")
        allowed = (LIMIT_MAKER, *STOP_MARKET_TYPES, *STOP_LIMIT_TYPES)
        if above not in allowed or below not in allowed:
            raise BinanceApiError(-1158, "Order type not supported in OCO.")
        stops = ("STOP_LOSS", "STOP_LOSS_LIMIT")
        if above == below == LIMIT_MAKER:
            raise BinanceApiError(-1168, "At least one OCO order must be contingent.")
        if (above in stops) == (below in stops):
            raise BinanceApiError(-1167, "Both OCO orders cannot be contingent.")
        if side == SELL and above in stops:
            raise BinanceApiError(-1166, "A limit order in a sell OCO must be above.")
        if side == BUY and below in stops:
            raise BinanceApiError(-1165, "A limit order in a buy OCO must be below.")
        legs = [self._oco_leg(params, side, qty, where) for where in ("above", "below")]
        try:
            olist = self.engine.place_oco(BINANCE, m, [
                {"side": side, "type_": v["type"], "qty": v["qty"], "price": v["price"],
                 "tif": v["tif"], "client_id": v["client_id"], "trigger": v["trigger"]}
                for v in legs
            ], list_cid)  # fmt: skip
        except DuplicateOrder:
            raise BinanceApiError(-2010, "Duplicate order sent.") from None
        except InsufficientBalance:
            raise BinanceApiError(
                -2010, "Account has insufficient balance for requested action."
            ) from None
        return list_response(olist, legs[0]["resp_type"])

    def _find_list(self, params: Params, id_name: str) -> Any:
        lid = params.integer("orderListId")
        cid = params.get(id_name)
        if lid is None and cid is None:
            raise _either(id_name, "orderListId")
        lists = self.engine.order_lists[BINANCE]
        if lid is not None:
            found = lists.get(lid)
            return found if found is not None and (cid is None or found.client_id == cid) else None
        return next((x for x in reversed(lists.values()) if x.client_id == cid), None)

    async def get_order_list(self, params: Params) -> dict[str, Any]:
        """``GET /api/v3/orderList?orderListId=|origClientOrderId=``."""
        olist = self._find_list(params, "origClientOrderId")
        if olist is None:
            raise BinanceApiError(-2013, "Order list does not exist.")
        return list_status(olist)

    async def open_order_lists(self, params: Params) -> list[dict[str, Any]]:
        """``GET /api/v3/openOrderList``: the order lists still executing."""
        return [list_status(x) for x in self.engine.order_lists[BINANCE].values() if x.is_open]

    async def cancel_order_list(self, params: Params) -> dict[str, Any]:
        """``DELETE /api/v3/orderList?symbol=&orderListId=|listClientOrderId=``."""
        m = self._market(params)
        olist = self._find_list(params, "listClientOrderId")
        if olist is None or not olist.is_open or olist.symbol != m.symbol:
            raise BinanceApiError(-2011, "Unknown order list sent.")
        return list_cancel_response(self.engine.cancel_list(olist))

    def _would_take(self, m: Market, side: str, price: Decimal) -> bool:
        book = self.engine.market.feed(m.symbol, now_ms()).book
        ticks = int(price / m.tick)
        best = book.best_ask() if side == BUY else book.best_bid()
        return best is not None and (ticks >= best if side == BUY else ticks <= best)

    def _find(self, params: Params) -> tuple[Market, SimOrder | None]:
        m = self._market(params)
        oid = params.integer("orderId")
        cid = params.get("origClientOrderId")
        if oid is None and cid is None:
            raise _either("origClientOrderId", "orderId")
        order = self.engine.find(BINANCE, symbol=m.symbol, order_id=oid, client_id=cid)
        return m, order

    async def get_order(self, params: Params) -> dict[str, Any]:
        """``GET /api/v3/order`` (orderId or origClientOrderId); -2013 when unknown."""
        _, order = self._find(params)
        if order is None:
            raise BinanceApiError(-2013, "Order does not exist.")
        return order_status(order)

    async def cancel_order(self, params: Params) -> dict[str, Any]:
        """``DELETE /api/v3/order``; -2011 when unknown or no longer open."""
        _, order = self._find(params)
        if order is None or not order.is_open:
            raise BinanceApiError(-2011, "Unknown order sent.")
        self.engine.cancel(order)
        return cancel_response(order, params.get("newClientOrderId"))

    async def open_orders(self, params: Params) -> list[dict[str, Any]]:
        """``GET /api/v3/openOrders[?symbol=]``."""
        sym = self._market(params).symbol if params.get("symbol") else None
        return [order_status(o) for o in self.engine.open_orders(BINANCE, sym)]

    async def all_orders(self, params: Params) -> list[dict[str, Any]]:
        """``GET /api/v3/allOrders?symbol=[&orderId=&startTime=&endTime=&limit=]``, oldest first."""
        m = self._market(params)
        from_id = params.integer("orderId")
        start = params.integer("startTime")
        end = params.integer("endTime")
        limit = params.integer("limit") or 500
        if limit > 1000:
            raise _illegal("limit", "^([1-9]|[1-9][0-9]{1,2}|1000)$")
        rows = [
            o
            for o in self.engine.orders[BINANCE].values()
            if o.symbol == m.symbol
            and (from_id is None or o.order_id >= from_id)
            and (start is None or o.time_ms >= start)
            and (end is None or o.time_ms <= end)
        ]
        rows = rows[:limit] if from_id is not None else rows[-limit:]
        return [order_status(o) for o in rows]

    async def cancel_open_orders(self, params: Params) -> list[dict[str, Any]]:
        """``DELETE /api/v3/openOrders?symbol=``: cancel all on a symbol (-2011 when none)."""
        m = self._market(params)
        orders = self.engine.open_orders(BINANCE, m.symbol)
        if not orders:
            raise BinanceApiError(-2011, "Unknown order sent.")
        return [cancel_response(self.engine.cancel(o), None) for o in orders]

    async def account_info(self, params: Params) -> dict[str, Any]:
        """``GET /api/v3/account``."""
        acct = self.account
        fee = d8(self.engine.fee_rate(BINANCE))
        balances = [
            {"asset": a, "free": d8(f), "locked": d8(lk)} for a, (f, lk) in acct.snapshot().items()
        ]
        if params.get("omitZeroBalances") == "true":
            balances = [
                b for b in balances if b["free"] != d8(Decimal(0)) or b["locked"] != d8(Decimal(0))
            ]
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": fee,
                "taker": fee,
                "buyer": "0.00000000",
                "seller": "0.00000000",
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": acct.update_ms,
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": 354937868,
        }

    async def my_trades(self, params: Params) -> list[dict[str, Any]]:
        """``GET /api/v3/myTrades?symbol=[&orderId=&fromId=&startTime=&endTime=&limit=]``."""
        m = self._market(params)
        oid = params.integer("orderId")
        from_id = params.integer("fromId")
        start = params.integer("startTime")
        end = params.integer("endTime")
        limit = params.integer("limit") or 500
        if limit > 1000:
            raise _illegal("limit", "^([1-9]|[1-9][0-9]{1,2}|1000)$")
        rows = []
        for t in self.engine.trades[BINANCE]:
            if t.symbol != m.symbol or (oid is not None and t.order_id != oid):
                continue
            if from_id is not None and t.trade_id < from_id:
                continue
            if (start is not None and t.time_ms < start) or (end is not None and t.time_ms > end):
                continue
            rows.append(
                {
                    "symbol": t.symbol,
                    "id": t.trade_id,
                    "orderId": t.order_id,
                    "orderListId": -1,
                    "price": d8(t.price),
                    "qty": d8(t.qty),
                    "quoteQty": d8(t.quote_qty),
                    "commission": d8(t.commission),
                    "commissionAsset": t.commission_asset,
                    "time": t.time_ms,
                    "isBuyer": t.is_buyer,
                    "isMaker": t.is_maker,
                    "isBestMatch": True,
                }
            )
        return rows[:limit] if from_id is not None else rows[-limit:]


class _Filters:
    """exchangeInfo's PRICE_FILTER, LOT_SIZE and NOTIONAL for one symbol."""

    def __init__(self, m: Market) -> None:
        self.m = m
        self.max_price = m.tick * 10**7 if m.tick < 1 else m.tick * 10**4

    def price(self, price: Decimal) -> None:
        if price < self.m.tick or price > self.max_price or price % self.m.tick:
            raise BinanceApiError(-1013, "Filter failure: PRICE_FILTER")

    def lot(self, qty: Decimal) -> None:
        if qty < self.m.step or qty > Decimal(9_000_000) or qty % self.m.step:
            raise BinanceApiError(-1013, "Filter failure: LOT_SIZE")

    def notional(self, value: Decimal) -> None:
        if value < self.m.min_notional:
            raise BinanceApiError(-1013, "Filter failure: NOTIONAL")


async def listen_key_gone(request: web.Request) -> web.StreamResponse:
    """``/api/v3/userDataStream``: gone since 2026-02-20 (nginx's 410 page, no JSON, no weight)."""
    return web.Response(status=410, text=GONE_HTML, content_type="text/html")


def _without_signature(part: str) -> str:
    if "signature=" not in part:
        return part
    return "&".join(p for p in part.split("&") if not p.startswith("signature="))


def _refuse(fault: Fault) -> web.StreamResponse:
    if fault.status == 429 or fault.kind == "throttle":
        resp = json_response(
            {
                "code": -1015,
                "msg": "Too many new orders; current limit is 50 orders per 10 SECOND.",
            },
            status=429,
        )
        resp.headers["Retry-After"] = str(fault.retry_after_s)
        return resp
    return json_response(
        {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."},
        status=fault.status,
    )


async def _attempt(call: Awaitable[dict[str, Any]]) -> tuple[bool, dict[str, Any]]:
    try:
        return True, await call
    except BinanceApiError as exc:
        return False, {"code": exc.code, "msg": exc.msg}
