"""Upbit exchange routes of the sim: orders, accounts and order chance, behind Upbit's JWT.

``POST /v1/orders`` (side ``bid``/``ask``; ``ord_type`` ``limit``, ``price`` = market buy for a
quote amount, ``market`` = market sell of a volume; ``identifier`` = the client's id;
``time_in_force`` ``ioc``/``fok``), ``GET /v1/order`` and ``DELETE /v1/order`` (``uuid`` or
``identifier``), ``GET /v1/orders`` (by ``state``/``states[]``, ``uuids[]``, ``identifiers[]``),
``GET /v1/accounts``, ``GET /v1/orders/chance``.

Authentication: ``Authorization: Bearer <JWT>``, HS256 with the secret, payload ``access_key``,
``nonce`` (never reused) and, when the request has parameters, ``query_hash`` = SHA-512 hex of the
query string and ``query_hash_alg`` = ``SHA512``. Parameters may come in the query string, a form
body (what ``pyupbit`` sends on GET/DELETE) or a JSON body (POST); the hash is checked against
the query string as sent and its unescaped form (Upbit's documented form). Errors are
``{"error":{"name":"...","message":"..."}}`` with Upbit's names and status codes.
"""

from __future__ import annotations

import hashlib
import hmac
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, unquote

import jwt
import orjson
from aiohttp import web

from letrade_cli.sim.accounts import InsufficientBalance
from letrade_cli.sim.config import SimConfig
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
from letrade_cli.venues.upbit.sim.account import UPBIT
from letrade_cli.venues.upbit.sim.order_format import num, order_json, upbit_state
from letrade_cli.venues.upbit.sim.rate_limits import UpbitLimits
from letrade_cli.venues.upbit.sim.rest import UpbitApiError, json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_TOTAL = Decimal(1_000_000_000)


def _json(body: Any, status: int = 200) -> web.Response:
    return json_response(body, status)


def _invalid(message: str) -> UpbitApiError:
    return UpbitApiError(400, "validation_error", message)


def _auth_error(name: str, message: str) -> UpbitApiError:
    return UpbitApiError(401, name, message)


class UpbitParams:
    """A request's parameters in order, and the strings a client may have hashed."""

    def __init__(self, pairs: list[tuple[str, str]], hashable: list[str]) -> None:
        self.pairs = pairs
        self.hashable = hashable

    def get(self, name: str) -> str | None:
        """The first value of ``name`` (or ``name[]``), None when absent or empty."""
        for k, v in self.pairs:
            if k == name and v != "":
                return v
        return None

    def getall(self, name: str) -> list[str]:
        """Every value of ``name``, ``name[]``, and comma-joined forms of them."""
        out: list[str] = []
        for k, v in self.pairs:
            if k in (name, name + "[]"):
                out.extend(x.strip() for x in v.split(",") if x.strip())
        return out

    def decimal(self, name: str) -> Decimal | None:
        """A positive decimal parameter (validation_error when malformed)."""
        v = self.get(name)
        if v is None:
            return None
        try:
            d = Decimal(v)
        except InvalidOperation:
            raise _invalid(f"{name} is invalid") from None
        if not d.is_finite() or d <= 0:
            raise _invalid(f"{name} is invalid")
        return d


async def read_params(request: web.Request) -> UpbitParams:
    """Query string, then a form or JSON body."""
    raw_query = request.rel_url.raw_query_string
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    hashable = [raw_query, unquote(raw_query)] if raw_query else []
    if request.body_exists:
        body = (await request.read()).decode("utf-8", "replace")
        if body.lstrip().startswith("{"):
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise _invalid("body is not valid JSON") from None
            if not isinstance(data, dict):
                raise _invalid("body must be a JSON object")
            body_pairs: list[tuple[str, str]] = []
            for k, v in data.items():
                for item in v if isinstance(v, list) else [v]:
                    body_pairs.append((str(k), "" if item is None else str(item)))
            pairs += body_pairs
            joined = "&".join(f"{k}={v}" for k, v in body_pairs)
            hashable += [joined]
        elif body:
            pairs += parse_qsl(body, keep_blank_values=True)
            hashable += [body, unquote(body)]
    return UpbitParams(pairs, hashable)


class UpbitOrders:
    """The authenticated Upbit routes of the sim."""

    def __init__(
        self,
        engine: OrderEngine,
        markets: dict[str, Market],
        access_key: str,
        secret_key: str,
        faults: OrderFaults,
        limits: UpbitLimits | None = None,
    ) -> None:
        self.limits = limits or UpbitLimits(SimConfig())
        self.engine = engine
        self.markets = markets
        self.access_key = access_key
        self._secret = secret_key
        self.faults = faults
        self._nonces: set[str] = set()
        self._nonce_order: deque[str] = deque()

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes."""
        w = self._wrap
        return [
            web.get("/v1/accounts", w(self.accounts)),
            web.get("/v1/orders/chance", w(self.chance)),
            web.post("/v1/orders", w(self.new_order, fault=True, status=201, group="order")),
            web.get("/v1/order", w(self.get_order)),
            web.delete("/v1/order", w(self.cancel_order, fault=True)),
            web.get("/v1/orders", w(self.list_orders)),
        ]

    def _wrap(
        self,
        handler: Callable[[UpbitParams], Awaitable[Any]],
        *,
        fault: bool = False,
        status: int = 200,
        group: str = "default",
    ) -> Handler:
        async def answer(request: web.Request) -> web.StreamResponse:
            try:
                params = await read_params(request)
                self._authenticate(request, params)
                refused = self.limits.admit(group)  # counted per pocket, once authenticated
                if refused is not None:
                    return refused
                resp = _json(await handler(params), status)
            except UpbitApiError as exc:
                resp = _json({"error": {"name": exc.name, "message": exc.message}}, exc.status)
            resp.headers["Remaining-Req"] = self.limits.remaining_req(group)
            return resp

        async def wrapped(request: web.Request) -> web.StreamResponse:
            if fault:
                return await self.faults.apply(request, lambda: answer(request), _refuse)
            return await answer(request)

        return wrapped

    def verify_token(self, request: web.Request) -> None:
        """Check a request's JWT without parameters (the private WebSocket's upgrade).

        Raises:
            UpbitApiError: 401 with Upbit's error name, as the REST routes answer.
        """
        self._authenticate(request, UpbitParams([], []))

    def _authenticate(self, request: web.Request, params: UpbitParams) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise _auth_error("jwt_verification", "JWT 토큰 검증에 실패했습니다.")
        token = header[7:].strip()
        try:
            with warnings.catch_warnings():  # the default sim secret is short, on purpose
                warnings.simplefilter("ignore")
                claims = jwt.decode(
                    token, self._secret, algorithms=["HS256"], options={"verify_aud": False}
                )
        except jwt.InvalidTokenError:
            try:
                unverified = jwt.decode(token, options={"verify_signature": False})
            except jwt.InvalidTokenError:
                unverified = {}
            if unverified.get("access_key") not in (None, self.access_key):
                raise _auth_error("invalid_access_key", "잘못된 엑세스 키입니다.") from None
            raise _auth_error("jwt_verification", "JWT 토큰 검증에 실패했습니다.") from None
        if not isinstance(claims, dict) or not hmac.compare_digest(
            str(claims.get("access_key", "")).encode(), self.access_key.encode()
        ):
            raise _auth_error("invalid_access_key", "잘못된 엑세스 키입니다.")
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise _auth_error("invalid_query_payload", "JWT 헤더의 페이로드가 올바르지 않습니다.")
        if nonce in self._nonces:
            raise _auth_error("nonce_used", "이미 요청한 nonce값이 다시 사용되었습니다.")
        if params.pairs:
            digest = claims.get("query_hash")
            alg = claims.get("query_hash_alg", "SHA512")
            if not isinstance(digest, str) or alg != "SHA512":
                raise _auth_error(
                    "invalid_query_payload", "JWT 헤더의 페이로드가 올바르지 않습니다."
                )
            wanted = {hashlib.sha512(s.encode()).hexdigest() for s in params.hashable}
            if digest.lower() not in wanted:
                raise _auth_error(
                    "invalid_query_payload", "JWT 헤더의 페이로드가 올바르지 않습니다."
                )
        self._remember(nonce)

    def _remember(self, nonce: str) -> None:
        self._nonces.add(nonce)
        self._nonce_order.append(nonce)
        if len(self._nonce_order) > 100_000:
            self._nonces.discard(self._nonce_order.popleft())

    def _market(self, params: UpbitParams) -> Market:
        code = params.get("market")
        if code is None:
            raise _invalid("market is missing")
        m = self.markets.get(code.upper())
        if m is None:
            raise UpbitApiError(404, "market_does_not_exist", "마켓 정보가 없습니다.")
        return m

    def _account_row(self, asset: str) -> dict[str, Any]:
        account = self.engine.accounts[UPBIT]
        h = account.holding(asset)
        avg = account.avg_buy_price.get(asset, Decimal(0))
        return {
            "currency": asset,
            "balance": num(h.free),
            "locked": num(h.locked),
            "avg_buy_price": format(avg.normalize(), "f"),
            "avg_buy_price_modified": False,
            "unit_currency": "KRW",
        }

    async def accounts(self, params: UpbitParams) -> list[dict[str, Any]]:
        """``GET /v1/accounts``: every asset with a balance or a lock."""
        snap = self.engine.accounts[UPBIT].snapshot()
        return [self._account_row(a) for a, (f, lk) in snap.items() if f or lk]

    async def chance(self, params: UpbitParams) -> dict[str, Any]:
        """``GET /v1/orders/chance?market=``: fees, limits and the two accounts."""
        m = self._market(params)
        fee = num(self.engine.fee_rate(UPBIT))
        min_total = num(m.min_notional)
        return {
            "bid_fee": fee,
            "ask_fee": fee,
            "maker_bid_fee": fee,
            "maker_ask_fee": fee,
            "market": {
                "id": m.symbol,
                "name": f"{m.base}/{m.quote}",
                "order_types": ["limit"],
                "order_sides": ["ask", "bid"],
                "bid_types": ["limit", "limit_ioc", "limit_fok", "price"],
                "ask_types": ["limit", "limit_ioc", "limit_fok", "market"],
                "bid": {"currency": m.quote, "price_unit": None, "min_total": min_total},
                "ask": {"currency": m.base, "price_unit": None, "min_total": min_total},
                "max_total": num(MAX_TOTAL),
                "state": "active",
            },
            "bid_account": self._account_row(m.quote),
            "ask_account": self._account_row(m.base),
        }

    async def new_order(self, params: UpbitParams) -> dict[str, Any]:
        """``POST /v1/orders``."""
        m = self._market(params)
        side_raw = params.get("side")
        if side_raw is None:
            raise _invalid("side is missing")
        if side_raw not in ("bid", "ask"):
            raise _invalid("side is invalid")
        side = BUY if side_raw == "bid" else SELL
        ord_type = params.get("ord_type")
        if ord_type is None:
            raise _invalid("ord_type is missing")
        volume = params.decimal("volume")
        price = params.decimal("price")
        identifier = params.get("identifier") or ""
        tif_raw = params.get("time_in_force")
        tif = {"ioc": "IOC", "fok": "FOK", None: "GTC"}.get(tif_raw)
        if tif is None:
            raise _invalid("time_in_force is invalid")
        if identifier and self.engine.find(UPBIT, client_id=identifier) is not None:
            raise _invalid("identifier is already used")
        if ord_type == "limit":
            if volume is None or price is None:
                raise _invalid("price and volume are required for a limit order")
            self._check_price(m, side_raw, price)
            self._check_volume(m, side_raw, volume)
            self._check_total(m, side_raw, price * volume)
            return self._place(m, side, LIMIT, volume, price, tif, identifier, None)
        if tif != "GTC":
            raise _invalid("time_in_force is only for limit orders")
        if ord_type == "price":
            if side != BUY or price is None or volume is not None:
                raise _invalid("ord_type price is a bid with a price (total) and no volume")
            self._check_total(m, side_raw, price)
            lots = self.engine.lots_for_quote(m, BUY, price)
            return self._place(m, side, MARKET, m.step * lots, None, tif, identifier, price)
        if ord_type == "market":
            if side != SELL or volume is None or price is not None:
                raise _invalid("ord_type market is an ask with a volume and no price")
            self._check_volume(m, side_raw, volume)
            last = m.price_decimal(self.engine.market.feed(m.symbol, now_ms()).last_price)
            self._check_total(m, side_raw, last * volume)
            return self._place(m, side, MARKET, volume, None, tif, identifier, None)
        raise _invalid("ord_type is invalid")

    def _check_price(self, m: Market, side: str, price: Decimal) -> None:
        if price % m.tick:
            raise UpbitApiError(
                400,
                f"invalid_price_{side}",
                "주문가격 단위를 잘못 입력하셨습니다. 확인 후 시도해주세요.",
            )

    def _check_volume(self, m: Market, side: str, volume: Decimal) -> None:
        if volume % m.step:
            raise UpbitApiError(
                400,
                f"invalid_volume_{side}",
                "주문수량 단위를 잘못 입력하셨습니다. 확인 후 시도해주세요.",
            )

    def _check_total(self, m: Market, side: str, total: Decimal) -> None:
        if total < m.min_notional:
            raise UpbitApiError(
                400, f"under_min_total_{side}", "주문 요청 금액이 최소 주문 금액 미만입니다."
            )

    def _place(
        self,
        m: Market,
        side: str,
        type_: str,
        volume: Decimal,
        price: Decimal | None,
        tif: str,
        identifier: str,
        total: Decimal | None,
    ) -> dict[str, Any]:
        try:
            order = self.engine.place(
                UPBIT,
                m,
                side,
                type_,
                qty=volume,
                price=price,
                tif=tif,
                client_id=identifier,
                quote_qty=total or Decimal(0),
                lock=total,
            )
        except (InsufficientBalance, DuplicateOrder) as exc:
            name = "bid" if side == BUY else "ask"
            if isinstance(exc, DuplicateOrder):
                raise _invalid("identifier is already used") from None
            raise UpbitApiError(
                400, f"insufficient_funds_{name}", "매수/매도 가능 잔고가 부족합니다."
            ) from None
        return order_json(order, with_trades=False)

    def _find(self, params: UpbitParams) -> SimOrder:
        uuid = params.get("uuid")
        identifier = params.get("identifier")
        if uuid is None and identifier is None:
            raise _invalid("uuid or identifier is required")
        order = self.engine.find(UPBIT, uuid=uuid, client_id=identifier)
        if order is None:
            raise UpbitApiError(404, "order_not_found", "주문을 찾지 못했습니다.")
        return order

    async def get_order(self, params: UpbitParams) -> dict[str, Any]:
        """``GET /v1/order?uuid=`` or ``?identifier=`` (with the order's trades)."""
        return order_json(self._find(params), with_trades=True)

    async def cancel_order(self, params: UpbitParams) -> dict[str, Any]:
        """``DELETE /v1/order``: the order as it was when the cancel was accepted."""
        order = self._find(params)
        if not order.is_open:
            raise UpbitApiError(400, "order_not_found", "주문을 찾지 못했습니다.")
        before = order_json(order, with_trades=False)
        self.engine.cancel(order)
        return before

    async def list_orders(self, params: UpbitParams) -> list[dict[str, Any]]:
        """``GET /v1/orders`` filtered by market, state(s), uuids, identifiers; paged."""
        market = self._market(params).symbol if params.get("market") else None
        states = params.getall("states") or params.getall("state") or ["wait"]
        if any(s not in ("wait", "watch", "done", "cancel") for s in states):
            raise _invalid("state is invalid")
        uuids = set(params.getall("uuids"))
        identifiers = set(params.getall("identifiers"))
        try:
            page = int(params.get("page") or 1)
            limit = int(params.get("limit") or 100)
        except ValueError:
            raise _invalid("page and limit must be integers") from None
        if not 1 <= limit <= 100 or page < 1:
            raise _invalid("limit must be between 1 and 100")
        rows = [
            o
            for o in self.engine.orders[UPBIT].values()
            if (market is None or o.symbol == market)
            and upbit_state(o) in states
            and (not uuids or o.uuid in uuids)
            and (not identifiers or o.client_id in identifiers)
        ]
        if (params.get("order_by") or "desc") == "desc":
            rows.reverse()
        rows = rows[(page - 1) * limit : page * limit]
        return [order_json(o, with_trades=False) for o in rows]


def _refuse(fault: Fault) -> web.StreamResponse:
    if fault.kind == "throttle":
        resp = web.Response(status=429, text="Too many API requests.")
        resp.headers["Retry-After"] = str(fault.retry_after_s)
        resp.headers["Remaining-Req"] = "group=order; min=0; sec=0"
        return resp
    resp = _json(
        {"error": {"name": "server_error", "message": "일시적인 오류가 발생했습니다."}},
        fault.status,
    )
    resp.headers["Remaining-Req"] = "group=order; min=720; sec=11"
    return resp
