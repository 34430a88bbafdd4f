"""Binance user data stream events (WebSocket API) as ``AccountEvent`` records.

An event arrives wrapped as ``{"subscriptionId": 0, "event": {...}}``. ``executionReport`` is an
order update (``x`` the execution type, ``X`` the status, ``t`` the trade id, ``l``/``L`` the last
fill's quantity and price, ``n``/``N`` its commission); on a cancel ``c`` is the cancel request's
own id and ``C`` the order's. ``outboundAccountPosition`` carries free/locked balances;
``balanceUpdate`` a deposit or transfer delta; ``eventStreamTerminated`` ends a subscription.
"""

from __future__ import annotations

import time
from typing import Any

from letrade_cli.core.errors import DecodeError
from letrade_cli.core.orders import (
    Balance,
    Fill,
    OrderState,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from letrade_cli.venues.base import AccountEvent
from letrade_cli.venues.binance.orders import dec

# Events we read and let pass: not counted as unknown.
IGNORED = frozenset({"balanceUpdate", "externalLockUpdate", "listStatus", "serverShutdown"})


def decode_event(
    venue: str, event: dict[str, Any], recv_ns: int | None = None
) -> AccountEvent | None:
    """The ``AccountEvent`` of one user data event; None for a kind we do not use.

    Raises:
        DecodeError: a known event with missing or malformed fields.
    """
    recv_ns = time.time_ns() if recv_ns is None else recv_ns
    kind = event.get("e")
    try:
        if kind == "executionReport":
            return _execution_report(venue, event, recv_ns)
        if kind == "outboundAccountPosition":
            balances = tuple(
                Balance(asset=b["a"], free=dec(b["f"]), locked=dec(b["l"])) for b in event["B"]
            )
            return AccountEvent(
                "balances", balances=balances, venue_ms=int(event["E"]), recv_ns=recv_ns
            )
        if kind == "eventStreamTerminated":
            return AccountEvent("terminated", venue_ms=int(event.get("E", 0)), recv_ns=recv_ns)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DecodeError(f"binance: malformed {kind} event ({type(exc).__name__})") from None
    return None


def _execution_report(venue: str, e: dict[str, Any], recv_ns: int) -> AccountEvent:
    canceled = e["x"] == "CANCELED" or e["X"] == "CANCELED"
    client_id = (e.get("C") or e["c"]) if canceled else e["c"]
    price = dec(e.get("p", "0"))
    state = OrderState(
        venue=venue,
        symbol=e["s"],
        client_order_id=client_id,
        side=Side(e["S"]),
        type=OrderType(e["o"]),
        quantity=dec(e["q"]),
        status=OrderStatus(e["X"]),
        price=price if price > 0 else None,
        time_in_force=TimeInForce(e.get("f") or "GTC"),
        venue_order_id=str(e["i"]),
        filled_qty=dec(e["z"]),
        quote_qty=dec(e.get("Z", "0")),
        created_ms=int(e.get("O", 0)),
        updated_ms=int(e.get("T", 0)),
    )
    fill = None
    if e["x"] == "TRADE":
        fill = Fill(
            venue=venue,
            symbol=state.symbol,
            client_order_id=client_id,
            side=state.side,
            price=dec(e["L"]),
            quantity=dec(e["l"]),
            fee=dec(e.get("n") or "0"),
            fee_asset=e.get("N") or "",
            trade_id=str(e["t"]),
            ts_ms=int(e["T"]),
            is_maker=bool(e.get("m", False)),
        )
        state.fee = fill.fee
        state.fee_asset = fill.fee_asset
    return AccountEvent("order", order=state, fill=fill, venue_ms=int(e["E"]), recv_ns=recv_ns)
