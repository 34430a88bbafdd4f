"""Binance spot order API: signed request builders and parsers into ``core.orders`` records.

Endpoints (weights as Binance documents them)::

    GET    /api/v3/time                         server clock (offset for signing)
    GET    /api/v3/exchangeInfo?symbols=[..]    filters -> SymbolRules
    POST   /api/v3/order  (/order/test)         new order, newOrderRespType=FULL (fills included)
    GET    /api/v3/order?origClientOrderId=     one order (code -2013: never seen)
    DELETE /api/v3/order?origClientOrderId=     cancel
    GET    /api/v3/openOrders[?symbol=]         open orders
    GET    /api/v3/myTrades?orderId=            one order's fills (after a look-up)
    GET    /api/v3/account?omitZeroBalances=true balances

A FULL order answer, abridged::

    {"symbol": "BTCUSDT", "orderId": 28, "clientOrderId": "lt-...", "transactTime": 1507725176595,
     "price": "0.00000000", "origQty": "0.00100000", "executedQty": "0.00100000",
     "cummulativeQuoteQty": "30.01000000", "status": "FILLED", "timeInForce": "GTC",
     "type": "MARKET", "side": "BUY",
     "fills": [{"price": "30010.00", "qty": "0.001", "commission": "0.00000100",
                "commissionAsset": "BTC", "tradeId": 56}]}
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from letrade_cli.core.decimals import parse_decimal, plain
from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UnknownSymbolError
from letrade_cli.core.orders import (
    ZERO,
    Balance,
    Fill,
    OrderIntent,
    OrderState,
    OrderStatus,
    OrderType,
    Side,
    SymbolRules,
    TimeInForce,
)
from letrade_cli.venues.base import RestRequest

UNKNOWN_ORDER_CODE = -2013  # "Order does not exist."
UNKNOWN_SYMBOL_CODES = (-1121,)  # "Invalid symbol."


def dec(value: Any) -> Decimal:
    """A binance number (string or JSON number) as a Decimal; ``DecodeError`` if not one."""
    return parse_decimal(value, "binance")


class BinanceOrders:
    """Builds Binance's order requests and parses its answers (no I/O here)."""

    dialect = "binance"

    def __init__(self, venue: str = "binance") -> None:
        self.venue = venue

    # -- requests ---------------------------------------------------------------------------
    def time_request(self) -> RestRequest:
        """``GET /api/v3/time`` (weight 1)."""
        return RestRequest("/api/v3/time", {}, weight=1)

    def rules_request(self, symbols: Sequence[str]) -> RestRequest:
        """``GET /api/v3/exchangeInfo?symbols=["A","B"]`` (weight 20)."""
        listed = orjson.dumps(list(symbols)).decode()
        return RestRequest("/api/v3/exchangeInfo", {"symbols": listed}, weight=20)

    def rules_requests(self, symbols: Sequence[str]) -> list[RestRequest]:
        """One ``exchangeInfo`` call holds every symbol's filters."""
        return [self.rules_request(symbols)]

    def place_request(
        self, intent: OrderIntent, *, test: bool = False, last_price: Decimal | None = None
    ) -> RestRequest:
        """``POST /api/v3/order`` (or ``/order/test``), asking for the FULL answer.

        ``last_price`` is not used: Binance sizes a market buy by its base quantity.
        """
        if intent.client_order_id is None:
            raise ValueError("intent.client_order_id must be set")
        params = {
            "symbol": intent.symbol,
            "side": intent.side.value,
            "type": intent.type.value,
        }
        if intent.type is OrderType.LIMIT:
            params["timeInForce"] = intent.time_in_force.value
        params["quantity"] = plain(intent.quantity)
        if intent.price is not None:
            params["price"] = plain(intent.price)
        params["newClientOrderId"] = intent.client_order_id
        params["newOrderRespType"] = "FULL"
        path = "/api/v3/order/test" if test else "/api/v3/order"
        return RestRequest(
            path, params, weight=1, method="POST", signed=True, orders=0 if test else 1
        )

    def get_request(self, symbol: str, client_order_id: str) -> RestRequest:
        """``GET /api/v3/order`` by client id (weight 4)."""
        params = {"symbol": symbol, "origClientOrderId": client_order_id}
        return RestRequest("/api/v3/order", params, weight=4, signed=True)

    def cancel_request(self, symbol: str, client_order_id: str) -> RestRequest:
        """``DELETE /api/v3/order`` by client id (weight 1)."""
        params = {"symbol": symbol, "origClientOrderId": client_order_id}
        return RestRequest("/api/v3/order", params, weight=1, method="DELETE", signed=True)

    def open_orders_request(self, symbol: str | None) -> RestRequest:
        """``GET /api/v3/openOrders`` (weight 6 for one symbol, 80 for all)."""
        params = {"symbol": symbol} if symbol else {}
        return RestRequest("/api/v3/openOrders", params, weight=6 if symbol else 80, signed=True)

    def trades_request(self, symbol: str, venue_order_id: str) -> RestRequest:
        """``GET /api/v3/myTrades?symbol=&orderId=`` (weight 5): one order's executions."""
        params = {"symbol": symbol, "orderId": venue_order_id}
        return RestRequest("/api/v3/myTrades", params, weight=5, signed=True)

    def balances_request(self) -> RestRequest:
        """``GET /api/v3/account?omitZeroBalances=true`` (weight 20)."""
        return RestRequest("/api/v3/account", {"omitZeroBalances": "true"}, weight=20, signed=True)

    # -- answers ----------------------------------------------------------------------------
    def is_unknown_order(self, error: ExchangeRejectedError) -> bool:
        """Whether the venue says it has never seen the order (-2013)."""
        return error.code == UNKNOWN_ORDER_CODE

    def is_unknown_symbol(self, error: ExchangeRejectedError) -> bool:
        """Whether exchangeInfo refused a symbol it does not list (-1121)."""
        return error.code in UNKNOWN_SYMBOL_CODES

    def parse_rules_answers(
        self, answers: Sequence[Any], symbols: Sequence[str]
    ) -> dict[str, SymbolRules]:
        """``SymbolRules`` from the one exchangeInfo answer of ``rules_requests``."""
        return self.parse_rules(answers[0], symbols)

    def parse_time(self, payload: Any) -> int:
        """``serverTime`` in ms."""
        try:
            return int(payload["serverTime"])
        except (KeyError, TypeError, ValueError):
            raise DecodeError("binance: malformed /api/v3/time answer") from None

    def parse_rules(self, payload: Any, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """``SymbolRules`` per symbol from exchangeInfo (``UnknownSymbolError`` if missing)."""
        out: dict[str, SymbolRules] = {}
        try:
            for item in payload["symbols"]:
                filters = {f["filterType"]: f for f in item.get("filters", ())}
                price = filters.get("PRICE_FILTER", {})
                lot = filters.get("LOT_SIZE", {})
                notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
                max_price = dec(price.get("maxPrice", "0"))
                max_qty = dec(lot.get("maxQty", "0"))
                out[item["symbol"]] = SymbolRules(
                    symbol=item["symbol"],
                    base=item["baseAsset"],
                    quote=item["quoteAsset"],
                    tick_size=dec(price.get("tickSize", "0")),
                    step_size=dec(lot.get("stepSize", "0")),
                    min_qty=dec(lot.get("minQty", "0")),
                    max_qty=max_qty if max_qty > 0 else None,
                    min_price=dec(price.get("minPrice", "0")),
                    max_price=max_price if max_price > 0 else None,
                    min_notional=dec(notional.get("minNotional", "0")),
                )
        except (KeyError, TypeError, AttributeError):
            raise DecodeError("binance: malformed exchangeInfo answer") from None
        for symbol in symbols:
            if symbol not in out:
                raise UnknownSymbolError(
                    f"{self.venue} does not list {symbol}", hint="check the symbol's spelling"
                )
        return out

    def parse_order(self, payload: Any) -> OrderState:
        """An order answer (new, query, cancel or open) as an ``OrderState``."""
        try:
            cid = payload.get("origClientOrderId") or payload["clientOrderId"]
            price = dec(payload.get("price", "0"))
            created = int(payload.get("time") or payload.get("transactTime") or 0)
            updated = int(payload.get("updateTime") or payload.get("transactTime") or created)
            fills = payload.get("fills") or ()
            fee = sum((dec(f["commission"]) for f in fills), ZERO)
            fee_asset = fills[0]["commissionAsset"] if fills else ""
            return OrderState(
                venue=self.venue,
                symbol=payload["symbol"],
                client_order_id=cid,
                side=Side(payload["side"]),
                type=OrderType(payload["type"]),
                quantity=dec(payload["origQty"]),
                status=OrderStatus(payload["status"]),
                price=price if price > 0 else None,
                time_in_force=TimeInForce(payload.get("timeInForce") or "GTC"),
                venue_order_id=str(payload["orderId"]),
                filled_qty=dec(payload.get("executedQty", "0")),
                quote_qty=dec(payload.get("cummulativeQuoteQty", "0")),
                fee=fee,
                fee_asset=fee_asset,
                created_ms=created,
                updated_ms=updated,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DecodeError(f"binance: malformed order answer ({type(exc).__name__})") from None

    def parse_fills(self, payload: Any, state: OrderState) -> list[Fill]:
        """The ``fills`` of a FULL new-order answer as ``Fill`` records."""
        try:
            return [
                Fill(
                    venue=self.venue,
                    symbol=state.symbol,
                    client_order_id=state.client_order_id,
                    side=state.side,
                    price=dec(f["price"]),
                    quantity=dec(f["qty"]),
                    fee=dec(f.get("commission", "0")),
                    fee_asset=f.get("commissionAsset", ""),
                    trade_id=str(f.get("tradeId", "")),
                    ts_ms=state.updated_ms,
                    is_maker=False,
                )
                for f in payload.get("fills") or ()
            ]
        except (KeyError, TypeError, AttributeError):
            raise DecodeError("binance: malformed fills in an order answer") from None

    def parse_trades(self, payload: Any, state: OrderState) -> list[Fill]:
        """``/api/v3/myTrades`` rows of one order as ``Fill`` records."""
        if not isinstance(payload, list):
            raise DecodeError("binance: myTrades answer is not a list")
        try:
            return [
                Fill(
                    venue=self.venue,
                    symbol=state.symbol,
                    client_order_id=state.client_order_id,
                    side=state.side,
                    price=dec(t["price"]),
                    quantity=dec(t["qty"]),
                    fee=dec(t.get("commission", "0")),
                    fee_asset=t.get("commissionAsset", ""),
                    trade_id=str(t["id"]),
                    ts_ms=int(t.get("time", 0)),
                    is_maker=bool(t.get("isMaker", False)),
                )
                for t in payload
                if str(t.get("orderId")) == state.venue_order_id
            ]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise DecodeError("binance: malformed myTrades answer") from None

    def parse_orders(self, payload: Any) -> list[OrderState]:
        """A list of order answers (openOrders)."""
        if not isinstance(payload, list):
            raise DecodeError("binance: openOrders answer is not a list")
        return [self.parse_order(item) for item in payload]

    def parse_balances(self, payload: Any) -> list[Balance]:
        """Non-zero balances from ``/api/v3/account``."""
        try:
            out = [
                Balance(asset=b["asset"], free=dec(b["free"]), locked=dec(b["locked"]))
                for b in payload["balances"]
            ]
        except (KeyError, TypeError):
            raise DecodeError("binance: malformed account answer") from None
        return [b for b in out if b.total != 0]
