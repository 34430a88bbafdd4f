"""Upbit's order and account answers: numbers as strings (``"0.01"``, ``"100.0"``), KST times.

``state`` is ``wait`` (open), ``done`` (filled, or a market order that traded) or ``cancel``;
``ord_type`` ``limit``, ``price`` (market buy for an amount) or ``market`` (market sell).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from letrade_cli.sim.orders import BUY, FILLED, LIMIT, MARKET, SimOrder, SimTrade

KST = timedelta(hours=9)


def num(value: Decimal | None) -> str | None:
    """A Decimal as Upbit's number string (``"0.01"``, ``"100.0"``); None stays None."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def upbit_state(order: SimOrder) -> str:
    """``wait`` (open), ``done`` (filled; a market order that traded) or ``cancel``."""
    if order.is_open:
        return "wait"
    if order.status == FILLED or (order.type == MARKET and order.executed_qty):
        return "done"
    return "cancel"


def ord_type(order: SimOrder) -> str:
    """``limit``, ``price`` (a market buy for an amount) or ``market`` (a market sell)."""
    if order.type == LIMIT:
        return "limit"
    return "price" if order.side == BUY else "market"


def _kst(ms: int) -> str:
    at = datetime.fromtimestamp(ms / 1000, UTC) + KST
    return at.strftime("%Y-%m-%dT%H:%M:%S+09:00")


def trade_uuid(order: SimOrder, trade: SimTrade) -> str:
    """The id of one trade of ``order``: the same in ``GET /v1/order`` and in ``myOrder``."""
    return f"{order.uuid[:24]}{trade.trade_id:012d}"


def order_json(order: SimOrder, *, with_trades: bool) -> dict[str, Any]:
    """An order as Upbit shows it (``GET /v1/order`` adds ``trades``)."""
    kind = ord_type(order)
    price = order.quote_qty if kind == "price" else order.price
    volume = None if kind == "price" else order.orig_qty
    remaining = None if kind == "price" else order.remaining_qty
    out: dict[str, Any] = {
        "uuid": order.uuid,
        "side": "bid" if order.side == BUY else "ask",
        "ord_type": kind,
        "price": num(price),
        "state": upbit_state(order),
        "market": order.symbol,
        "created_at": _kst(order.time_ms),
        "volume": num(volume),
        "remaining_volume": num(remaining),
        "reserved_fee": num(order.reserved_fee),
        "remaining_fee": num(max(order.reserved_fee - order.paid_fee, Decimal(0)))
        if order.is_open
        else "0.0",
        "paid_fee": num(order.paid_fee),
        "locked": num(order.locked_left),
        "executed_volume": num(order.executed_qty),
        "executed_funds": num(order.cum_quote),
        "trades_count": len(order.trades),
    }
    if order.client_id and not order.client_id.startswith("sim-"):
        out["identifier"] = order.client_id
    if order.tif != "GTC":
        out["time_in_force"] = order.tif.lower()
    if with_trades:
        out["trades"] = [
            {
                "market": order.symbol,
                "uuid": trade_uuid(order, t),
                "price": num(t.price),
                "volume": num(t.qty),
                "funds": num(t.quote_qty),
                "trend": "up" if t.is_buyer else "down",
                "created_at": _kst(t.time_ms),
                "side": "bid" if t.is_buyer else "ask",
            }
            for t in order.trades
        ]
    return out
