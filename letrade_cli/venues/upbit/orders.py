"""Upbit order API: signed (JWT) request builders and parsers into ``core.orders`` records.

Endpoints::

    GET    /v1/orders/chance?market=KRW-BTC      fees, min_total, price_unit -> SymbolRules
    GET    /v1/ticker?markets=KRW-BTC            last price (tick size by price level; market buy)
    POST   /v1/orders                            new order (JSON body), ``identifier`` = client id
    GET    /v1/order?identifier=                 one order with its trades (404 order_not_found)
    DELETE /v1/order?identifier=                 cancel
    GET    /v1/orders?state=wait[&market=]       open orders
    GET    /v1/accounts                          balances

Upbit spells orders differently from Binance: ``side`` bid/ask; ``ord_type`` limit, ``price``
(a market buy for a total amount of the quote currency) or ``market`` (a market sell of a
volume); ``state`` wait/watch/done/cancel. An order answer, abridged::

    {"uuid": "9ca023a5-...", "side": "bid", "ord_type": "limit", "price": "4280000.0",
     "state": "done", "market": "KRW-BTC", "created_at": "2018-04-10T15:42:23+09:00",
     "volume": "1.0", "remaining_volume": "0.0", "paid_fee": "2140.0", "executed_volume": "1.0",
     "identifier": "lt-...", "trades": [{"uuid": "...", "price": "4280000.0", "volume": "1.0",
     "funds": "4280000", "created_at": "2018-04-10T15:42:24+09:00"}]}
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
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

UNKNOWN_ORDER_NAMES = ("order_not_found",)
VOLUME_STEP = Decimal("0.00000001")  # Upbit takes volumes with up to 8 decimals
_KRW_TICKS = (
    (2_000_000, "1000"), (1_000_000, "500"), (500_000, "100"), (100_000, "50"),
    (10_000, "10"), (1_000, "1"), (100, "0.1"), (10, "0.01"), (1, "0.001"),
)  # fmt: skip


def dec(value: Any) -> Decimal:
    """A upbit number (string or JSON number) as a Decimal; ``DecodeError`` if not one."""
    return parse_decimal(value, "upbit")


def krw_tick(price: Decimal) -> Decimal:
    """Upbit's KRW price unit at this price level."""
    for floor, tick in _KRW_TICKS:
        if price >= floor:
            return Decimal(tick)
    return Decimal("0.0001")


def _ms(iso: Any) -> int:
    if not iso:
        return 0
    try:
        return int(datetime.fromisoformat(str(iso)).timestamp() * 1000)
    except ValueError:
        return 0


class UpbitOrders:
    """Builds Upbit's order requests and parses its answers (no I/O here)."""

    dialect = "upbit"

    def __init__(self, venue: str = "upbit") -> None:
        self.venue = venue

    # -- requests ---------------------------------------------------------------------------
    def chance_request(self, market: str) -> RestRequest:
        """``GET /v1/orders/chance?market=`` (signed)."""
        return RestRequest("/v1/orders/chance", {"market": market}, signed=True)

    def ticker_request(self, markets: Sequence[str]) -> RestRequest:
        """``GET /v1/ticker?markets=A,B`` (public)."""
        return RestRequest("/v1/ticker", {"markets": ",".join(markets)})

    def last_price_request(self, symbols: Sequence[str]) -> RestRequest:
        """The last trade prices (a market buy is sized from them): ``/v1/ticker``."""
        return self.ticker_request(symbols)

    def rules_requests(self, symbols: Sequence[str]) -> list[RestRequest]:
        """The last prices (KRW tick size by price level), then ``orders/chance`` per market."""
        return [self.ticker_request(symbols), *(self.chance_request(s) for s in symbols)]

    def place_request(
        self, intent: OrderIntent, *, test: bool = False, last_price: Decimal | None = None
    ) -> RestRequest:
        """``POST /v1/orders``; a market buy spends ``quantity * last_price`` of the quote."""
        if test:
            raise UsageError(
                "--test is not available on Upbit (it has no order-test endpoint)",
                hint="use --venue sim or binance-testnet to try an order",
            )
        if intent.client_order_id is None:
            raise ValueError("intent.client_order_id must be set")
        params = {"market": intent.symbol, "side": "bid" if intent.side is Side.BUY else "ask"}
        if intent.type is OrderType.LIMIT:
            assert intent.price is not None
            params.update(
                volume=plain(intent.quantity), price=plain(intent.price), ord_type="limit"
            )
            if intent.time_in_force is not TimeInForce.GTC:
                params["time_in_force"] = intent.time_in_force.value.lower()
        elif intent.side is Side.SELL:
            params.update(volume=plain(intent.quantity), ord_type="market")
        else:
            if last_price is None or last_price <= 0:
                raise UsageError(f"no recent price for {intent.symbol} to size a market buy")
            places = Decimal(1) if intent.symbol.startswith("KRW-") else VOLUME_STEP
            total = (intent.quantity * last_price).quantize(places, rounding=ROUND_DOWN)
            params.update(price=plain(total), ord_type="price")
        params["identifier"] = intent.client_order_id
        return RestRequest("/v1/orders", params, method="POST", signed=True, orders=1)

    def get_request(self, symbol: str, client_order_id: str) -> RestRequest:
        """``GET /v1/order?identifier=``."""
        return RestRequest("/v1/order", {"identifier": client_order_id}, signed=True)

    def cancel_request(self, symbol: str, client_order_id: str) -> RestRequest:
        """``DELETE /v1/order?identifier=``."""
        params = {"identifier": client_order_id}
        return RestRequest("/v1/order", params, method="DELETE", signed=True)

    def open_orders_request(self, symbol: str | None) -> RestRequest:
        """``GET /v1/orders?state=wait[&market=]`` (the list pyupbit and the sim speak)."""
        params = {"market": symbol} if symbol else {}
        params["state"] = "wait"
        return RestRequest("/v1/orders", params, signed=True)

    def balances_request(self) -> RestRequest:
        """``GET /v1/accounts``."""
        return RestRequest("/v1/accounts", {}, signed=True)

    # -- answers ----------------------------------------------------------------------------
    def is_unknown_order(self, error: ExchangeRejectedError) -> bool:
        """Whether Upbit says it has never seen the order (``order_not_found``)."""
        return error.code in UNKNOWN_ORDER_NAMES

    def is_unknown_symbol(self, error: ExchangeRejectedError) -> bool:
        """Upbit answers a market it does not list with 404 ``Code not found``."""
        return str(error.code) == "404" or "not found" in str(error).lower()

    def parse_rules_answers(
        self, answers: Sequence[Any], symbols: Sequence[str]
    ) -> dict[str, SymbolRules]:
        """``SymbolRules`` per market from ``rules_requests``' answers (ticker, then chances).

        Raises:
            UnknownSymbolError: The ticker has no price for one of ``symbols``.
        """
        prices = self.parse_last_prices(answers[0])
        for symbol in symbols:
            if symbol not in prices:
                raise UnknownSymbolError(f"{self.venue} does not list {symbol}")
        return {
            symbol: self.parse_rules(chance, prices.get(symbol))
            for symbol, chance in zip(symbols, answers[1:], strict=True)
        }

    def parse_last_prices(self, payload: Any) -> dict[str, Decimal]:
        """``trade_price`` per market from ``/v1/ticker``."""
        try:
            return {item["market"]: dec(item["trade_price"]) for item in payload}
        except (KeyError, TypeError):
            raise DecodeError("upbit: malformed ticker answer") from None

    def parse_rules(self, chance: Any, last_price: Decimal | None) -> SymbolRules:
        """``SymbolRules`` from an orders/chance answer (tick size from the price level)."""
        try:
            market = chance["market"]
            code = market["id"]
            quote, base = code.split("-", 1)
            bid = market.get("bid") or {}
            unit = bid.get("price_unit")
            if unit not in (None, ""):
                tick = dec(unit)
            elif quote == "KRW" and last_price:
                tick = krw_tick(last_price)
            elif quote == "BTC":
                tick = Decimal("0.00000001")
            else:
                tick = ZERO  # unknown here: the venue checks it
            max_total = market.get("max_total")
            return SymbolRules(
                symbol=code,
                base=base,
                quote=quote,
                tick_size=tick,
                step_size=VOLUME_STEP,
                min_notional=dec(bid.get("min_total") or "0"),
                max_qty=None,
                max_price=dec(max_total) if max_total else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise DecodeError("upbit: malformed orders/chance answer") from None

    def parse_order(self, payload: Any) -> OrderState:
        """An order answer (new, query, cancel or open) as an ``OrderState``."""
        try:
            market = payload["market"]
            ord_type = payload["ord_type"]
            executed = dec(payload.get("executed_volume") or "0")
            volume = payload.get("volume")
            price = payload.get("price")
            trades = payload.get("trades") or ()
            quote_qty = sum((dec(t.get("funds") or "0") for t in trades), ZERO)
            if not trades and ord_type == "limit" and price is not None:
                quote_qty = executed * dec(price)
            tif = (payload.get("time_in_force") or "gtc").upper()
            created = _ms(payload.get("created_at"))
            return OrderState(
                venue=self.venue,
                symbol=market,
                client_order_id=payload.get("identifier") or payload["uuid"],
                side=Side.BUY if payload["side"] == "bid" else Side.SELL,
                type=OrderType.LIMIT if ord_type == "limit" else OrderType.MARKET,
                quantity=dec(volume) if volume not in (None, "") else executed,
                status=order_status(payload["state"], ord_type, executed),
                price=dec(price) if ord_type == "limit" and price is not None else None,
                time_in_force=TimeInForce(tif)
                if tif in TimeInForce.__members__
                else TimeInForce.GTC,
                venue_order_id=str(payload["uuid"]),
                filled_qty=executed,
                quote_qty=quote_qty,
                fee=dec(payload.get("paid_fee") or "0"),
                fee_asset=market.split("-", 1)[0],
                created_ms=created,
                updated_ms=max([created, *(_ms(t.get("created_at")) for t in trades)]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DecodeError(f"upbit: malformed order answer ({type(exc).__name__})") from None

    def parse_fills(self, payload: Any, state: OrderState) -> list[Fill]:
        """The ``trades`` of an order answer as ``Fill`` records (fee split by volume)."""
        trades = payload.get("trades") or () if isinstance(payload, dict) else ()
        try:
            total = sum((dec(t["volume"]) for t in trades), ZERO)
            return [
                Fill(
                    venue=self.venue,
                    symbol=state.symbol,
                    client_order_id=state.client_order_id,
                    side=state.side,
                    price=dec(t["price"]),
                    quantity=dec(t["volume"]),
                    fee=state.fee * dec(t["volume"]) / total if total else ZERO,
                    fee_asset=state.fee_asset,
                    trade_id=str(t.get("uuid", "")),
                    ts_ms=_ms(t.get("created_at")),
                )
                for t in trades
            ]
        except (KeyError, TypeError, AttributeError):
            raise DecodeError("upbit: malformed trades in an order answer") from None

    def parse_orders(self, payload: Any) -> list[OrderState]:
        """A list of order answers."""
        if not isinstance(payload, list):
            raise DecodeError("upbit: order list answer is not a list")
        return [self.parse_order(item) for item in payload]

    def parse_balances(self, payload: Any) -> list[Balance]:
        """Non-zero balances from ``/v1/accounts``."""
        try:
            out = [
                Balance(asset=a["currency"], free=dec(a["balance"]), locked=dec(a["locked"]))
                for a in payload
            ]
        except (KeyError, TypeError):
            raise DecodeError("upbit: malformed accounts answer") from None
        return [b for b in out if b.total != 0]


def order_status(state: str, ord_type: str, executed: Decimal) -> OrderStatus:
    """Upbit's ``state`` (``wait``/``watch``/``done``/``cancel``) as an ``OrderStatus``."""
    if state == "done":
        return OrderStatus.FILLED
    if state == "cancel":
        # A market buy for an amount ends "cancel" with its dust left over: it did fill.
        if executed > 0 and ord_type in ("price", "market"):
            return OrderStatus.FILLED
        return OrderStatus.CANCELED
    return OrderStatus.PARTIALLY_FILLED if executed > 0 else OrderStatus.NEW
