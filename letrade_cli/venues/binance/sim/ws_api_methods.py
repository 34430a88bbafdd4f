"""The methods of the sim's WebSocket API: one request frame in, one answer frame out.

A request is ``{"id", "method", "params"}`` (``"v3/"`` may prefix the method); the answer is
``{"id", "status", "result" | "error", "rateLimits"}`` in Binance's shapes. The trading and
account methods call the REST handlers of :class:`~.orders.BinanceOrders` with the same
:class:`~.orders.Params` (JSON values as strings), so both APIs validate alike.

Where Binance's docs name no error, the sim answers (status 400 unless noted):

- malformed JSON, or ``params`` not an object: -1135 "Invalid JSON Request" (errors.md's
  INVALID_JSON); each costs weight 1, like a request;
- an unknown method, and the retired listen-key methods ``userDataStream.start/ping/stop``
  (gone since 2026-02-20, so they are unknown now): -1020 "This operation is not supported.";
- ``session.logon`` with the HMAC key: -4056 "HMAC_SHA256 API key is not supported." (logon is
  Ed25519-only; the code is the one Binance's futures WebSocket API uses for this);
- ``userDataStream.subscribe`` without a logon: -1002 "You are not authorized to execute this
  request." (status 401);
- a second subscription for the account on one connection: -2035 "User Data Stream subscription
  already active."; ``userDataStream.unsubscribe`` of an id that is not active: -2036.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from letrade_cli.sim.faults import FAIL, THROTTLE, TIMEOUT, OrderFaults
from letrade_cli.sim.orders import now_ms
from letrade_cli.venues.binance.sim.events import event_stream_terminated
from letrade_cli.venues.binance.sim.orders import BinanceOrders, Params
from letrade_cli.venues.binance.sim.rate_limits import Refusal
from letrade_cli.venues.binance.sim.rest import BinanceApiError, BinanceRest
from letrade_cli.venues.binance.sim.signing import (
    ED25519,
    check_timing,
    missing,
    ws_payload,
    ws_value,
)
from letrade_cli.venues.binance.sim.ws_api_session import WsApiSession

Handler = Callable[[WsApiSession, Params, dict[str, Any]], Awaitable[Any]]
DROP = object()  # an answer that is never sent: the connection is dropped instead


class WsApiError(BinanceApiError):
    """An error answer with a ``data`` object (cancel-replace, rate limits)."""

    def __init__(self, code: int, msg: str, status: int = 400, data: Any = None) -> None:
        super().__init__(code, msg, status)
        self.data = data


@dataclass(frozen=True, slots=True)
class Method:
    """How one method is served.

    Attributes:
        handler: ``(session, params, raw_params) -> result``.
        weight: Its request weight; ``all_weight`` instead when ``symbol`` is absent.
        signed: Needs ``timestamp`` and a signature (or a logon).
        orders: Counts in the account's ORDERS limits (its answers show them).
        fault: An order request that the queued order faults apply to.
    """

    handler: Handler
    weight: int
    all_weight: int | None = None
    signed: bool = False
    orders: bool = False
    fault: bool = False


def frame(
    rid: Any, status: int, body: dict[str, Any], limits: list[dict[str, Any]] | None
) -> bytes:
    """One answer frame."""
    out: dict[str, Any] = {"id": rid, "status": status, **body}
    if limits is not None:
        out["rateLimits"] = limits
    return orjson.dumps(out)


def error_body(exc: BinanceApiError) -> dict[str, Any]:
    """``{"error": {"code", "msg"[, "data"]}}``."""
    err: dict[str, Any] = {"code": exc.code, "msg": exc.msg}
    data = getattr(exc, "data", None)
    if data is not None:
        err["data"] = data
    return {"error": err}


def _flag(value: Any) -> bool | None:
    if value is None:
        return None
    return ws_value(value).lower() == "true"


class WsApiMethods:
    """The method table and the request pipeline (weight, order count, auth, faults)."""

    def __init__(self, orders: BinanceOrders, rest: BinanceRest, faults: OrderFaults) -> None:
        self.orders = orders
        self.rest = rest
        self.limits = rest.limits  # one weight budget, order count and IP standing with REST
        self.counter = self.limits.orders
        self.faults = faults
        o = orders

        def rest_call(fn: Callable[[Params], Awaitable[Any]]) -> Handler:
            async def call(s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
                return await fn(p)

            return call

        self.table: dict[str, Method] = {
            "ping": Method(self._ping, 1),
            "time": Method(self._time, 1),
            "exchangeInfo": Method(self._exchange_info, 20),
            "session.logon": Method(self._logon, 2),
            "session.status": Method(self._status, 2),
            "session.logout": Method(self._logout, 2),
            "session.subscriptions": Method(self._subscriptions, 2),
            "order.place": Method(rest_call(o.new_order), 1, signed=True, orders=True, fault=True),
            "order.test": Method(rest_call(o.test_order), 1, signed=True),
            "order.status": Method(rest_call(o.get_order), 4, signed=True),
            "order.cancel": Method(rest_call(o.cancel_order), 1, signed=True, fault=True),
            "order.cancelReplace": Method(
                self._cancel_replace, 1, signed=True, orders=True, fault=True
            ),
            "openOrders.status": Method(rest_call(o.open_orders), 6, 80, signed=True),
            "orderList.place.oco": Method(
                rest_call(o.new_oco), 1, signed=True, orders=True, fault=True
            ),
            "orderList.status": Method(rest_call(o.get_order_list), 4, signed=True),
            "orderList.cancel": Method(rest_call(o.cancel_order_list), 1, signed=True, fault=True),
            "openOrderLists.status": Method(rest_call(o.open_order_lists), 6, signed=True),
            "openOrders.cancelAll": Method(
                rest_call(o.cancel_open_orders), 1, signed=True, fault=True
            ),
            "allOrders": Method(rest_call(o.all_orders), 20, signed=True),
            "account.status": Method(rest_call(o.account_info), 20, signed=True),
            "myTrades": Method(rest_call(o.my_trades), 20, signed=True),
            "userDataStream.subscribe": Method(self._subscribe, 2),
            "userDataStream.subscribe.signature": Method(self._subscribe_signature, 2),
            "userDataStream.unsubscribe": Method(self._unsubscribe, 2),
        }

    # ---- the pipeline --------------------------------------------------------------------------

    async def answer(self, session: WsApiSession, text: str) -> bytes | object:
        """The answer frame to one request frame (:data:`DROP`: drop the connection instead)."""
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError:
            req = None
        if not isinstance(req, dict):
            return self._invalid(session, None)
        rid = req.get("id")
        raw = req.get("params", {})
        if not isinstance(raw, dict) or isinstance(rid, (bool, float, list, dict)):
            return self._invalid(session, rid if isinstance(rid, (int, str)) else None)
        name = req.get("method")
        if isinstance(name, str) and name.startswith("v3/"):
            name = name[3:]
        method = self.table.get(name) if isinstance(name, str) else None
        show = _flag(raw.get("returnRateLimits"))
        show = session.return_rate_limits if show is None else show
        if method is None:
            exc = self._weigh(1) or BinanceApiError(-1020, "This operation is not supported.")
            return frame(rid, exc.status, error_body(exc), self._limits(show, False))
        cost = method.weight
        if method.all_weight is not None and raw.get("symbol") in (None, ""):
            cost = method.all_weight
        refused = self._weigh(cost)
        if refused is not None:
            return frame(
                rid, refused.status, error_body(refused), self._limits(show, method.orders)
            )
        try:
            status, result = await self._run(session, method, raw)
        except BinanceApiError as exc:
            return frame(rid, exc.status, error_body(exc), self._limits(show, method.orders))
        if result is DROP:
            return DROP
        return frame(rid, status, {"result": result}, self._limits(show, method.orders))

    def _invalid(self, session: WsApiSession, rid: Any) -> bytes:
        exc = self._weigh(1) or BinanceApiError(-1135, "Invalid JSON Request")
        return frame(
            rid, exc.status, error_body(exc), self._limits(session.return_rate_limits, False)
        )

    def _weigh(self, cost: int) -> WsApiError | None:
        """A banned IP's 418, or a 429 when ``cost`` is over the weight limit."""
        refused = self.limits.weigh(cost)
        return None if refused is None else _refused(refused)

    def _limits(self, show: bool, orders: bool) -> list[dict[str, Any]] | None:
        if not show:
            return None
        weight = self.limits.meter.entry()
        return [*self.counter.entries(), weight] if orders else [weight]

    async def _run(
        self, session: WsApiSession, method: Method, raw: dict[str, Any]
    ) -> tuple[int, Any]:
        if method.orders:
            refused = self.limits.order()
            if refused is not None:
                raise _refused(refused)
        if method.signed:
            self.authorize(session, raw)
        params = Params([(k, ws_value(v)) for k, v in raw.items() if v is not None])
        fault = self.faults.take() if method.fault else None
        if fault is None:
            return 200, await method.handler(session, params, raw)
        if fault.kind == THROTTLE:
            raise _too_many_orders(self.counter.per_10s, "10 SECOND", fault.retry_after_s)
        internal = BinanceApiError(
            -1001, "Internal error; unable to process your request. Please try again.", fault.status
        )
        if fault.kind == FAIL and not fault.after_accept:
            raise internal
        await method.handler(session, params, raw)  # accepted, but the answer is lost
        if fault.kind == FAIL:
            raise internal
        assert fault.kind == TIMEOUT
        await self.faults.hold(fault)
        return 0, DROP

    def authorize(self, session: WsApiSession, raw: dict[str, Any]) -> str:
        """The API key a signed request acts for (its own signature, else the logon's).

        Timing first (-1102 / -1021 / -1131), as REST; then -2014 / -2015 / -1022.
        """
        api_key, signature = raw.get("apiKey"), raw.get("signature")
        if api_key is None and signature is None and session.api_key is not None:
            check_timing(_opt(raw, "timestamp"), _opt(raw, "recvWindow"))
            return session.api_key
        if api_key is None:
            raise missing("apiKey")
        key = ws_value(api_key)
        self.orders.keys.kind(key)
        check_timing(_opt(raw, "timestamp"), _opt(raw, "recvWindow"))
        if signature is None:
            raise missing("signature")
        self.orders.keys.verify(key, ws_payload(raw), ws_value(signature))
        return key

    # ---- general and session methods -----------------------------------------------------------

    async def _ping(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        return {}

    async def _time(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        return {"serverTime": now_ms()}

    async def _exchange_info(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        q: dict[str, str] = {}
        if raw.get("symbol") is not None:
            q["symbol"] = ws_value(raw["symbol"])
        symbols = raw.get("symbols")
        if symbols is not None:
            q["symbols"] = (
                orjson.dumps(symbols).decode() if isinstance(symbols, list) else str(symbols)
            )
        return self.rest.exchange_info_body(q)

    async def _logon(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        key = p.required("apiKey")
        if self.orders.keys.kind(key) != ED25519:
            raise BinanceApiError(-4056, "HMAC_SHA256 API key is not supported.")
        p.required("signature")
        self.authorize(s, {**raw, "apiKey": key})
        s.api_key, s.authorized_since = key, now_ms()
        return s.status()

    async def _status(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        return s.status()

    async def _logout(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        s.api_key = s.authorized_since = None
        for sid in [sid for sid, logon in s.subscriptions.items() if logon]:
            self._end(s, sid)
        return s.status()

    async def _subscriptions(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        return [{"subscriptionId": sid} for sid in sorted(s.subscriptions)]

    # ---- user data stream ----------------------------------------------------------------------

    def _new_subscription(self, s: WsApiSession, logon: bool) -> dict[str, Any]:
        if s.subscriptions:  # every key opens the one Binance account
            raise BinanceApiError(-2035, "User Data Stream subscription already active.")
        return {"subscriptionId": s.subscribe(logon)}

    async def _subscribe(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        if s.api_key is None:
            raise BinanceApiError(-1002, "You are not authorized to execute this request.", 401)
        return self._new_subscription(s, logon=True)

    async def _subscribe_signature(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        p.required("apiKey")
        self.authorize(s, raw)
        return self._new_subscription(s, logon=False)

    async def _unsubscribe(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        sid = p.integer("subscriptionId")
        if sid is None:
            for one in list(s.subscriptions):
                self._end(s, one)
        elif sid in s.subscriptions:
            self._end(s, sid)
        else:
            raise BinanceApiError(-2036, "User Data Stream subscription not active.")
        return {}

    def _end(self, s: WsApiSession, sid: int) -> None:
        del s.subscriptions[sid]
        s.push(orjson.dumps({"subscriptionId": sid, "event": event_stream_terminated()}))

    # ---- cancel-replace ------------------------------------------------------------------------

    async def _cancel_replace(self, s: WsApiSession, p: Params, raw: dict[str, Any]) -> Any:
        """``order.cancelReplace``: the REST route's handler, its ``data`` kept on errors."""
        try:
            return await self.orders.cancel_replace(p)
        except BinanceApiError as exc:
            if exc.data is None:
                raise
            raise WsApiError(exc.code, exc.msg, exc.status, exc.data) from None


def _refused(refused: Refusal) -> WsApiError:
    return WsApiError(refused.code, refused.msg, refused.status, refused.data())


def _too_many_orders(limit: int, per: str, retry_s: float) -> WsApiError:
    server = now_ms()
    return WsApiError(
        -1015,
        f"Too many new orders; current limit is {limit} orders per {per}.",
        429,
        {"serverTime": server, "retryAfter": server + int(retry_s * 1000)},
    )


def _opt(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    return None if value is None else ws_value(value)
