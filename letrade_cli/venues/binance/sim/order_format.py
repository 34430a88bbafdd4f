"""Binance's order answers: ``POST /api/v3/order`` (ACK/RESULT/FULL), ``GET``, ``DELETE``.

Decimals are 8-decimal strings (``"0.01000000"``), times integer ms, as Binance sends them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from letrade_cli.sim.orders import OrderList, SimOrder


def d8(value: Decimal) -> str:
    """A Decimal as Binance's 8-decimal string."""
    return f"{value.quantize(Decimal('0.00000001')):f}"


def _base(order: SimOrder) -> dict[str, Any]:
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_id,
    }


def _state(order: SimOrder) -> dict[str, Any]:
    return {
        "price": d8(order.price or Decimal(0)),
        "origQty": d8(order.orig_qty),
        "executedQty": d8(order.executed_qty),
        "origQuoteOrderQty": d8(order.quote_qty),
        "cummulativeQuoteQty": d8(order.cum_quote),
        "status": order.status,
        "timeInForce": order.tif,
        "type": order.type,
        "side": order.side,
    }


def _stop(order: SimOrder) -> dict[str, Any]:
    """``stopPrice`` and ``trailingDelta`` of a conditional order (nothing for the others)."""
    out: dict[str, Any] = {}
    if order.stop_price is not None:
        out["stopPrice"] = d8(order.stop_price)
    if order.trailing_delta:
        out["trailingDelta"] = order.trailing_delta
    return out


def order_response(order: SimOrder, resp_type: str) -> dict[str, Any]:
    """The answer to ``POST /api/v3/order`` in ``ACK``, ``RESULT`` or ``FULL`` shape."""
    out = {**_base(order), "transactTime": order.time_ms}
    if resp_type == "ACK":
        return out
    out.update(_state(order))
    out.update(_stop(order))
    out["workingTime"] = order.working_ms if order.is_open or order.executed_qty else -1
    out["selfTradePreventionMode"] = "EXPIRE_MAKER"
    if resp_type == "FULL":
        out["fills"] = [
            {
                "price": d8(t.price),
                "qty": d8(t.qty),
                "commission": d8(t.commission),
                "commissionAsset": t.commission_asset,
                "tradeId": t.trade_id,
            }
            for t in order.trades
            if not t.is_maker
        ]
    return out


def order_status(order: SimOrder) -> dict[str, Any]:
    """The answer to ``GET /api/v3/order`` (and each row of ``openOrders``)."""
    return {
        **_base(order),
        **_state(order),
        "stopPrice": d8(order.stop_price or Decimal(0)),
        **({"trailingDelta": order.trailing_delta} if order.trailing_delta else {}),
        "icebergQty": "0.00000000",
        "time": order.time_ms,
        "updateTime": order.update_ms,
        "isWorking": order.working_ms >= 0,
        "workingTime": order.working_ms,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def cancel_response(order: SimOrder, new_client_id: str | None) -> dict[str, Any]:
    """The answer to ``DELETE /api/v3/order``."""
    return {
        "symbol": order.symbol,
        "origClientOrderId": order.client_id,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": new_client_id or f"sim-cancel-{order.order_id}",
        "transactTime": order.update_ms,
        **_state(order),
        **_stop(order),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def list_status(olist: OrderList) -> dict[str, Any]:
    """An order list as ``GET /api/v3/orderList`` answers it."""
    return {
        "orderListId": olist.list_id,
        "contingencyType": "OCO",
        "listStatusType": "ALL_DONE" if olist.done else "EXEC_STARTED",
        "listOrderStatus": "ALL_DONE" if olist.done else "EXECUTING",
        "listClientOrderId": olist.client_id,
        "transactionTime": olist.update_ms,
        "symbol": olist.symbol,
        "orders": [
            {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_id}
            for o in olist.orders
        ],
    }


def list_response(olist: OrderList, resp_type: str) -> dict[str, Any]:
    """The answer to ``POST /api/v3/orderList/oco``: the list and each leg's order answer."""
    return {
        **list_status(olist),
        "orderReports": [order_response(o, resp_type) for o in olist.orders],
    }


def list_cancel_response(olist: OrderList) -> dict[str, Any]:
    """The answer to ``DELETE /api/v3/orderList``: the list and each leg's cancel answer."""
    reports = [cancel_response(o, None) for o in olist.orders]
    for report, o in zip(reports, olist.orders, strict=True):
        report["clientOrderId"] = o.client_id
    return {**list_status(olist), "listStatusType": "ALL_DONE", "listOrderStatus": "ALL_DONE",
            "orderReports": reports}  # fmt: skip
