"""Binance's user data stream events, as the WebSocket API pushes them.

Each is the ``event`` of a frame ``{"subscriptionId": n, "event": {...}}`` (``serverShutdown``
has no ``subscriptionId``). Every change of a Binance user order (new, trade, canceled, expired)
is an ``executionReport`` followed by an ``outboundAccountPosition`` with the balances of the
symbol's two assets::

    {"e":"executionReport","E":1499405658658,"s":"BTCUSDT","c":"my-1","S":"BUY","o":"LIMIT",
     "f":"GTC","q":"0.01000000","p":"60000.00000000","x":"TRADE","X":"FILLED","i":10001,
     "l":"0.01000000","z":"0.01000000","L":"60000.00000000","n":"0.00001000","N":"BTC",...}
    {"e":"outboundAccountPosition","E":1499405658849,"u":1499405658848,
     "B":[{"a":"BTC","f":"1.00999000","l":"0.00000000"},{"a":"USDT","f":"...","l":"..."}]}
    {"e":"eventStreamTerminated","E":1728973001334}
    {"e":"serverShutdown","E":1770123456789}
"""

from __future__ import annotations

from typing import Any

from letrade_cli.sim.accounts import Account
from letrade_cli.sim.orders import CANCELED, OrderList, OrderUpdate, now_ms
from letrade_cli.venues.binance.sim.order_format import d8


def execution_report(update: OrderUpdate) -> dict[str, Any]:
    """Binance's ``executionReport`` for one order update."""
    o = update.order
    t = update.trade
    canceled = update.exec_type == CANCELED
    zero = "0.00000000"
    out = {
        "e": "executionReport",
        "E": now_ms(),
        "s": o.symbol,
        "c": f"sim-cancel-{o.order_id}" if canceled else o.client_id,
        "S": o.side,
        "o": o.type,
        "f": o.tif,
        "q": d8(o.orig_qty),
        "p": d8(o.price) if o.price is not None else zero,
        "P": d8(o.stop_price) if o.stop_price is not None else zero,
        "F": zero,
        "g": o.order_list_id,
        "C": o.client_id if canceled else "",
        "x": update.exec_type,
        "X": o.status,
        "r": "NONE",
        "i": o.order_id,
        "l": d8(t.qty) if t else zero,
        "z": d8(o.executed_qty),
        "L": d8(t.price) if t else zero,
        "n": d8(t.commission) if t else "0",
        "N": t.commission_asset if t else None,
        "T": update.time_ms,
        "t": t.trade_id if t else -1,
        "I": 0,
        "w": o.is_open and o.working_ms >= 0,
        "m": t.is_maker if t else False,
        "M": False,
        "O": o.time_ms,
        "Z": d8(o.cum_quote),
        "Y": d8(t.quote_qty) if t else zero,
        "Q": d8(o.quote_qty),
        "W": o.working_ms,
        "V": "EXPIRE_MAKER",
    }
    if o.trailing_delta:
        out["d"] = o.trailing_delta
    return out


def list_status_event(olist: OrderList) -> dict[str, Any]:
    """``listStatus``: an order list started or ended."""
    done = olist.done
    return {
        "e": "listStatus",
        "E": now_ms(),
        "s": olist.symbol,
        "g": olist.list_id,
        "c": "OCO",
        "l": "ALL_DONE" if done else "EXEC_STARTED",
        "L": "ALL_DONE" if done else "EXECUTING",
        "r": "NONE",
        "C": olist.client_id,
        "T": olist.update_ms,
        "O": [{"s": o.symbol, "i": o.order_id, "c": o.client_id} for o in olist.orders],
    }


def account_position(account: Account, update: OrderUpdate) -> dict[str, Any]:
    """``outboundAccountPosition``: the balances of the assets ``update`` touched."""
    rows = []
    for asset in update.assets:
        h = account.holding(asset)
        rows.append({"a": asset, "f": d8(h.free), "l": d8(h.locked)})
    return {"e": "outboundAccountPosition", "E": now_ms(), "u": account.update_ms, "B": rows}


def event_stream_terminated() -> dict[str, Any]:
    """``eventStreamTerminated``: a subscription ended (unsubscribe, or logout of a logon one)."""
    return {"e": "eventStreamTerminated", "E": now_ms()}


def server_shutdown() -> dict[str, Any]:
    """``serverShutdown``: the server is about to close the connection."""
    return {"e": "serverShutdown", "E": now_ms()}
