"""Venue answers -> core.orders records, from payloads as Binance and Upbit document them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from letrade_cli.core.errors import (
    DecodeError,
    ExchangeRejectedError,
    UnknownSymbolError,
    UsageError,
)
from letrade_cli.core.orders import OrderIntent, OrderStatus, OrderType, Side, TimeInForce
from letrade_cli.venues.binance.orders import BinanceOrders
from letrade_cli.venues.upbit.orders import UpbitOrders, krw_tick

BINANCE_FULL = {  # POST /api/v3/order, newOrderRespType=FULL (Binance's documented example)
    "symbol": "BTCUSDT",
    "orderId": 28,
    "orderListId": -1,
    "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
    "transactTime": 1507725176595,
    "price": "0.00000000",
    "origQty": "10.00000000",
    "executedQty": "10.00000000",
    "cummulativeQuoteQty": "10.00000000",
    "status": "FILLED",
    "timeInForce": "GTC",
    "type": "MARKET",
    "side": "SELL",
    "fills": [
        {"price": "4000.00000000", "qty": "1.00000000", "commission": "4.00000000",
         "commissionAsset": "USDT", "tradeId": 56},
        {"price": "3999.00000000", "qty": "5.00000000", "commission": "19.99500000",
         "commissionAsset": "USDT", "tradeId": 57},
    ],
}  # fmt: skip

BINANCE_CANCEL = {  # DELETE /api/v3/order: clientOrderId is the cancel's, origClientOrderId ours
    "symbol": "LTCBTC",
    "origClientOrderId": "myOrder1",
    "orderId": 4,
    "clientOrderId": "cancelMyOrder1",
    "transactTime": 1684804350068,
    "price": "2.00000000",
    "origQty": "1.00000000",
    "executedQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "CANCELED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
}

UPBIT_ORDER = {  # GET /v1/order (Upbit's documented example, abridged)
    "uuid": "9ca023a5-851b-4fec-9f0a-48cd83c2eaae",
    "side": "ask",
    "ord_type": "limit",
    "price": "4280000.0",
    "state": "done",
    "market": "KRW-BTC",
    "created_at": "2019-01-04T13:48:09+09:00",
    "volume": "1.0",
    "remaining_volume": "0.0",
    "reserved_fee": "0.0",
    "remaining_fee": "0.0",
    "paid_fee": "2140.0",
    "locked": "0.0",
    "executed_volume": "1.0",
    "trades_count": 1,
    "identifier": "lt-abc",
    "trades": [
        {"market": "KRW-BTC", "uuid": "9e8f8eba-7050-4837-8969-cfc272cbe083",
         "price": "4280000.0", "volume": "1.0", "funds": "4280000.0", "side": "ask",
         "created_at": "2019-01-04T13:48:15+09:00"},
    ],
}  # fmt: skip


def test_binance_full_answer_and_fills() -> None:
    api = BinanceOrders("binance")
    state = api.parse_order(BINANCE_FULL)
    assert state.status is OrderStatus.FILLED and state.side is Side.SELL
    assert state.type is OrderType.MARKET and state.price is None
    assert state.fee == Decimal("23.995") and state.fee_asset == "USDT"
    assert state.venue_order_id == "28" and state.created_ms == 1507725176595
    fills = api.parse_fills(BINANCE_FULL, state)
    assert [(f.price, f.quantity, f.trade_id) for f in fills] == [
        (Decimal("4000"), Decimal("1"), "56"),
        (Decimal("3999"), Decimal("5"), "57"),
    ]


def test_binance_cancel_keeps_our_client_id() -> None:
    state = BinanceOrders().parse_order(BINANCE_CANCEL)
    assert state.client_order_id == "myOrder1"
    assert state.status is OrderStatus.CANCELED and state.price == Decimal(2)


def test_binance_requests_are_signed_and_exact() -> None:
    api = BinanceOrders()
    intent = OrderIntent(
        "BTCUSDT", Side.BUY, Decimal("0.0010"), OrderType.LIMIT, Decimal("30000.10"),
        TimeInForce.IOC, client_order_id="lt-1",
    )  # fmt: skip
    req = api.place_request(intent)
    assert req.method == "POST" and req.signed and req.path == "/api/v3/order"
    assert req.params == {
        "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "IOC",
        "quantity": "0.001", "price": "30000.1", "newClientOrderId": "lt-1",
        "newOrderRespType": "FULL",
    }  # fmt: skip
    assert api.place_request(intent, test=True).path == "/api/v3/order/test"
    assert api.cancel_request("BTCUSDT", "lt-1").method == "DELETE"
    assert api.is_unknown_order(ExchangeRejectedError("x", code=-2013))


def test_binance_rules_from_exchange_info() -> None:
    payload = {
        "symbols": [
            {"symbol": "BTCUSDT", "baseAsset": "BTC", "quoteAsset": "USDT", "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": "0.01000000",
                 "maxPrice": "1000000.00000000", "tickSize": "0.01000000"},
                {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000",
                 "stepSize": "0.00001000"},
                {"filterType": "NOTIONAL", "minNotional": "5.00000000"},
            ]},
        ]
    }  # fmt: skip
    rules = BinanceOrders().parse_rules(payload, ["BTCUSDT"])["BTCUSDT"]
    assert rules.tick_size == Decimal("0.01") and rules.step_size == Decimal("0.00001")
    assert rules.min_notional == 5 and rules.max_qty == 9000
    with pytest.raises(UnknownSymbolError):
        BinanceOrders().parse_rules(payload, ["ETHUSDT"])
    with pytest.raises(DecodeError):
        BinanceOrders().parse_rules({"nope": 1}, ["BTCUSDT"])


def test_upbit_order_answer() -> None:
    api = UpbitOrders()
    state = api.parse_order(UPBIT_ORDER)
    assert state.client_order_id == "lt-abc" and state.side is Side.SELL
    assert state.status is OrderStatus.FILLED and state.price == Decimal(4280000)
    assert state.quote_qty == Decimal(4280000) and state.fee == Decimal(2140)
    assert state.fee_asset == "KRW" and state.created_ms == 1546577289000
    (fill,) = api.parse_fills(UPBIT_ORDER, state)
    assert fill.quantity == 1 and fill.fee == Decimal(2140)


@pytest.mark.parametrize(
    ("state", "ord_type", "executed", "expected"),
    [
        ("wait", "limit", "0", OrderStatus.NEW),
        ("wait", "limit", "0.5", OrderStatus.PARTIALLY_FILLED),
        ("cancel", "limit", "0", OrderStatus.CANCELED),
        ("cancel", "price", "0.01", OrderStatus.FILLED),  # a market buy's leftover dust
        ("done", "market", "1", OrderStatus.FILLED),
    ],
)
def test_upbit_states(state: str, ord_type: str, executed: str, expected: OrderStatus) -> None:
    payload = {**UPBIT_ORDER, "state": state, "ord_type": ord_type, "executed_volume": executed}
    assert UpbitOrders().parse_order(payload).status is expected


def test_upbit_requests() -> None:
    api = UpbitOrders()
    buy = OrderIntent("KRW-BTC", Side.BUY, Decimal("0.001"), client_order_id="lt-2")
    req = api.place_request(buy, last_price=Decimal("95000000"))
    assert req.params == {
        "market": "KRW-BTC", "side": "bid", "price": "95000", "ord_type": "price",
        "identifier": "lt-2",
    }  # fmt: skip
    sell = OrderIntent("KRW-BTC", Side.SELL, Decimal("0.001"), client_order_id="lt-3")
    assert api.place_request(sell).params["ord_type"] == "market"
    limit = OrderIntent(
        "KRW-BTC", Side.BUY, Decimal("0.001"), OrderType.LIMIT, Decimal("90000000"),
        TimeInForce.FOK, client_order_id="lt-4",
    )  # fmt: skip
    assert api.place_request(limit).params["time_in_force"] == "fok"
    with pytest.raises(UsageError):
        api.place_request(limit, test=True)
    assert krw_tick(Decimal(95_000_000)) == 1000 and krw_tick(Decimal(1500)) == 1
    assert api.is_unknown_order(ExchangeRejectedError("x", code="order_not_found"))
