"""toyx order API: requests as data, answers parsed into ``core.orders`` records (no I/O).

Endpoints::

    GET    /toyx/markets                       filters (public) -> SymbolRules
    POST   /toyx/orders?sym=&side=&kind=&size=[&px=&tif=]&cid=    new order (signed)
    GET    /toyx/order?cid=                    one order with its fills
    DELETE /toyx/order?cid=                    cancel
    GET    /toyx/orders?open=1[&sym=]          open orders
    GET    /toyx/balances                      balances

An order answer::

    {"id": "TX10001", "cid": "lt-...", "sym": "BTC_USDT", "side": "buy", "kind": "market",
     "size": "0.01", "px": null, "tif": "gtc", "state": "done", "done_size": "0.01",
     "done_value": "640.12", "fee": "0.000015", "fee_ccy": "BTC", "ts": 1763769600000,
     "upd": 1763769600001, "fills": [{"fid": "F1", "px": "64012.0", "size": "0.01",
     "fee": "0.000015", "maker": false, "ts": 1763769600001}]}

Errors are ``{"ok": false, "err": "TX_...", "text": "..."}`` with an HTTP status (401 bad
signature, 404 unknown order or market, 400 anything else).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from letrade_cli.core.decimals import parse_decimal, plain
from letrade_cli.core.errors import (
    DecodeError,
    ExchangeRejectedError,
    UnknownSymbolError,
    UsageError,
)
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

_STATES = {
    "live": OrderStatus.NEW,
    "part": OrderStatus.PARTIALLY_FILLED,
    "done": OrderStatus.FILLED,
    "gone": OrderStatus.CANCELED,
    "void": OrderStatus.EXPIRED,
}
_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def dec(value: Any) -> Decimal:
    """A toyx number string as a Decimal."""
    return parse_decimal(value, "toyx")


class ToyxOrders:
    """Builds toyx's order requests and parses its answers."""

    dialect = "toyx"

    def __init__(self, venue: str = "toyx") -> None:
        self.venue = venue

    # -- requests ---------------------------------------------------------------------------
    def rules_requests(self, symbols: Sequence[str]) -> list[RestRequest]:
        """The market list carries every filter (unsigned)."""
        return [RestRequest("/toyx/markets", {})]

    def place_request(
        self, intent: OrderIntent, *, test: bool = False, last_price: Decimal | None = None
    ) -> RestRequest:
        """``POST /toyx/orders`` (parameters in the query string)."""
        if test:
            raise UsageError("toyx cannot validate an order without placing it")
        if intent.client_order_id is None:
            raise ValueError("intent.client_order_id must be set")
        params = {
            "sym": intent.symbol,
            "side": "buy" if intent.side is Side.BUY else "sell",
            "kind": "limit" if intent.type is OrderType.LIMIT else "market",
            "size": plain(intent.quantity),
        }
        if intent.type is OrderType.LIMIT:
            assert intent.price is not None
            params["px"] = plain(intent.price)
            params["tif"] = intent.time_in_force.value.lower()
        params["cid"] = intent.client_order_id
        return RestRequest("/toyx/orders", params, method="POST", signed=True)

    def get_request(self, symbol: str, client_order_id: str) -> RestRequest:
        """``GET /toyx/order?cid=``."""
        return RestRequest("/toyx/order", {"cid": client_order_id}, signed=True)

    def cancel_request(self, symbol: str, client_order_id: str) -> RestRequest:
        """``DELETE /toyx/order?cid=``."""
        return RestRequest("/toyx/order", {"cid": client_order_id}, method="DELETE", signed=True)

    def open_orders_request(self, symbol: str | None) -> RestRequest:
        """``GET /toyx/orders?open=1[&sym=]``."""
        params = {"open": "1", **({"sym": symbol} if symbol else {})}
        return RestRequest("/toyx/orders", params, signed=True)

    def balances_request(self) -> RestRequest:
        """``GET /toyx/balances``."""
        return RestRequest("/toyx/balances", {}, signed=True)

    # -- answers ----------------------------------------------------------------------------
    def is_unknown_order(self, error: ExchangeRejectedError) -> bool:
        """toyx's own code (its dialect's ``rest_error`` reads the error body)."""
        return error.code == "TX_NO_ORDER"

    def is_unknown_symbol(self, error: ExchangeRejectedError) -> bool:
        """The market list is never refused for a symbol (parse_rules_answers checks)."""
        return error.code == "TX_NO_MARKET"

    def parse_rules_answers(
        self, answers: Sequence[Any], symbols: Sequence[str]
    ) -> dict[str, SymbolRules]:
        """``SymbolRules`` per symbol from the market list."""
        try:
            rows = {row["name"]: row for row in answers[0]["markets"]}
            out: dict[str, SymbolRules] = {}
            for symbol in symbols:
                row = rows.get(symbol)
                if row is None:
                    raise UnknownSymbolError(f"{self.venue} does not list {symbol}")
                out[symbol] = SymbolRules(
                    symbol=symbol,
                    base=row["base"],
                    quote=row["quote"],
                    tick_size=dec(row["tick"]),
                    step_size=dec(row["lot"]),
                    min_qty=dec(row["lot"]),
                    min_notional=dec(row["min_value"]),
                )
            return out
        except _ERRORS as exc:
            raise DecodeError(f"toyx: malformed market list ({type(exc).__name__})") from None

    def parse_order(self, payload: Any) -> OrderState:
        """An order answer as an ``OrderState``."""
        try:
            px = payload.get("px")
            tif = str(payload.get("tif") or "gtc").upper()
            return OrderState(
                venue=self.venue,
                symbol=payload["sym"],
                client_order_id=payload["cid"],
                side=Side.BUY if payload["side"] == "buy" else Side.SELL,
                type=OrderType.LIMIT if payload["kind"] == "limit" else OrderType.MARKET,
                quantity=dec(payload["size"]),
                status=_STATES[payload["state"]],
                price=dec(px) if px is not None else None,
                time_in_force=TimeInForce(tif),
                venue_order_id=str(payload["id"]),
                filled_qty=dec(payload["done_size"]),
                quote_qty=dec(payload["done_value"]),
                fee=dec(payload["fee"]),
                fee_asset=payload.get("fee_ccy") or "",
                created_ms=int(payload["ts"]),
                updated_ms=int(payload["upd"]),
            )
        except _ERRORS as exc:
            raise DecodeError(f"toyx: malformed order answer ({type(exc).__name__})") from None

    def parse_fills(self, payload: Any, state: OrderState) -> list[Fill]:
        """The ``fills`` of an order answer."""
        try:
            return [
                Fill(
                    venue=self.venue,
                    symbol=state.symbol,
                    client_order_id=state.client_order_id,
                    side=state.side,
                    price=dec(f["px"]),
                    quantity=dec(f["size"]),
                    fee=dec(f["fee"]),
                    fee_asset=state.fee_asset,
                    trade_id=str(f["fid"]),
                    ts_ms=int(f["ts"]),
                    is_maker=bool(f.get("maker")),
                )
                for f in payload.get("fills") or ()
            ]
        except _ERRORS as exc:
            raise DecodeError(f"toyx: malformed fills ({type(exc).__name__})") from None

    def parse_orders(self, payload: Any) -> list[OrderState]:
        """``{"orders": [...]}``."""
        try:
            return [self.parse_order(row) for row in payload["orders"]]
        except (KeyError, TypeError):
            raise DecodeError("toyx: malformed order list") from None

    def parse_balances(self, payload: Any) -> list[Balance]:
        """``{"balances": {"USDT": {"free": "..", "held": ".."}}}`` -> non-zero balances."""
        try:
            out = [
                Balance(asset=asset, free=dec(row["free"]), locked=dec(row["held"]))
                for asset, row in payload["balances"].items()
            ]
        except _ERRORS as exc:
            raise DecodeError(f"toyx: malformed balances ({type(exc).__name__})") from None
        return [b for b in out if b.total != ZERO]
