"""How `letrade trade` shows orders and balances: Rich tables, or JSON with Decimals as strings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson
from rich.table import Table

from letrade_cli.core.orders import Balance, Fill, OrderState, OrderType
from letrade_cli.ui.console import out_console


def num(value: Decimal | None) -> str:
    """A Decimal as plain text (no exponent, no trailing zeros); ``-`` for None."""
    if value is None:
        return "-"
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def fill_dict(fill: Fill) -> dict[str, Any]:
    """One execution as JSON-ready data."""
    return {
        "trade_id": fill.trade_id,
        "price": num(fill.price),
        "quantity": num(fill.quantity),
        "fee": num(fill.fee),
        "fee_asset": fill.fee_asset,
        "is_maker": fill.is_maker,
        "ts_ms": fill.ts_ms,
    }


def latency_ms(state: OrderState, venue_ack_to_fill_ms: float | None = None) -> dict[str, Any]:
    """The order's latency in ms; ack→fill from the venue's clock when we have no stamps.

    ``ack_to_fill_from`` says which: ``stamps`` (ours, this process), ``venue`` (the order's
    creation time to its first fill, as the venue reports them) or None.
    """
    latency: dict[str, Any] = dict(state.latency.as_ms())
    source = "stamps" if latency["ack_to_fill_ms"] is not None else None
    if source is None and venue_ack_to_fill_ms is not None:
        latency["ack_to_fill_ms"], source = venue_ack_to_fill_ms, "venue"
    latency["ack_to_fill_from"] = source
    return latency


def order_dict(
    state: OrderState,
    *,
    fills: Sequence[Fill] | None = None,
    venue_ack_to_fill_ms: float | None = None,
) -> dict[str, Any]:
    """An order as JSON-ready data: Decimals as strings, latency in ms, fills when given."""
    data: dict[str, Any] = {
        "venue": state.venue,
        "symbol": state.symbol,
        "client_order_id": state.client_order_id,
        "venue_order_id": state.venue_order_id,
        "side": state.side.value,
        "type": state.type.value,
        "time_in_force": state.time_in_force.value,
        "status": state.status.value,
        "quantity": num(state.quantity),
        "price": None if state.price is None else num(state.price),
        "filled_qty": num(state.filled_qty),
        "quote_qty": num(state.quote_qty),
        "avg_price": None if state.avg_price is None else num(state.avg_price),
        "fee": num(state.fee),
        "fee_asset": state.fee_asset,
        "created_ms": state.created_ms,
        "updated_ms": state.updated_ms,
        "latency": latency_ms(state, venue_ack_to_fill_ms),
    }
    if fills is not None:
        data["fills"] = [fill_dict(f) for f in fills]
    return data


def balance_dict(balance: Balance) -> dict[str, str]:
    """A balance as JSON-ready data."""
    return {
        "asset": balance.asset,
        "free": num(balance.free),
        "locked": num(balance.locked),
        "total": num(balance.total),
    }


def print_json(data: Any) -> None:
    """One JSON document on stdout."""
    print(orjson.dumps(data).decode(), flush=True)


def _kind(state: OrderState) -> str:
    if state.type is OrderType.MARKET:
        return state.type.value
    return f"{state.type.value} {state.time_in_force.value}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"


def order_table(
    state: OrderState, *, title: str = "order", venue_ack_to_fill_ms: float | None = None
) -> Table:
    """One order as a two-column table."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    latency = latency_ms(state, venue_ack_to_fill_ms)
    rows = [
        ("venue", state.venue),
        ("symbol", state.symbol),
        ("client order id", state.client_order_id),
        ("venue order id", state.venue_order_id or "-"),
        ("side", state.side.value),
        ("type", _kind(state)),
        ("status", state.status.value),
        ("quantity", num(state.quantity)),
        ("price", num(state.price)),
        ("filled", num(state.filled_qty)),
        ("avg price", num(state.avg_price)),
        ("fee", f"{num(state.fee)} {state.fee_asset}".strip()),
    ]
    if state.latency.send_ns:
        rows += [
            ("send → ack", _ms(latency["send_to_ack_ms"])),
            ("signal → ack", _ms(latency["signal_to_ack_ms"])),
        ]
    if latency["ack_to_fill_ms"] is not None:
        clock = " (venue clock)" if latency["ack_to_fill_from"] == "venue" else ""
        rows.append(("ack → fill", _ms(latency["ack_to_fill_ms"]) + clock))
    for key, value in rows:
        table.add_row(key, value)
    return table


def fills_table(fills: Sequence[Fill], *, title: str = "fills") -> Table:
    """An order's executions, one per row."""
    table = Table(title=title, title_justify="left")
    table.add_column("trade id")
    for column in ("price", "quantity", "fee"):
        table.add_column(column, justify="right")
    table.add_column("maker")
    table.add_column("time")
    for f in fills:
        fee = f"{num(f.fee)} {f.fee_asset}".strip()
        table.add_row(
            f.trade_id or "-", num(f.price), num(f.quantity), fee, "yes" if f.is_maker else "no",
            clock_time(f.ts_ms),
        )  # fmt: skip
    return table


def clock_time(ts_ms: int) -> str:
    """A venue time (ms since the epoch) as local ``HH:MM:SS.mmm``; ``-`` for 0."""
    if not ts_ms:
        return "-"
    import time

    return time.strftime("%H:%M:%S", time.localtime(ts_ms / 1000)) + f".{ts_ms % 1000:03d}"


def orders_table(orders: Sequence[OrderState], *, title: str = "open orders") -> Table:
    """Several orders, one per row."""
    table = Table(title=title, title_justify="left")
    for column in ("symbol", "client order id", "side", "type", "price", "quantity", "filled"):
        table.add_column(column, justify="right" if column in ("price", "quantity") else "left")
    table.add_column("status")
    for s in orders:
        table.add_row(
            s.symbol,
            s.client_order_id,
            s.side.value,
            _kind(s),
            num(s.price),
            num(s.quantity),
            num(s.filled_qty),
            s.status.value,
        )
    return table


def balances_table(balances: Sequence[Balance]) -> Table:
    """Balances, one asset per row."""
    table = Table(title="balances", title_justify="left")
    table.add_column("asset")
    for column in ("free", "locked", "total"):
        table.add_column(column, justify="right")
    for b in sorted(balances, key=lambda b: b.asset):
        table.add_row(b.asset, num(b.free), num(b.locked), num(b.total))
    return table


def show_order(
    state: OrderState,
    *,
    json_output: bool,
    title: str = "order",
    fills: Sequence[Fill] | None = None,
    venue_ack_to_fill_ms: float | None = None,
) -> None:
    """Print one order (with its fills when given)."""
    if json_output:
        print_json(order_dict(state, fills=fills, venue_ack_to_fill_ms=venue_ack_to_fill_ms))
        return
    console = out_console()
    console.print(order_table(state, title=title, venue_ack_to_fill_ms=venue_ack_to_fill_ms))
    if fills:
        console.print(fills_table(fills))


def show_validated(state: OrderState, *, json_output: bool) -> None:
    """Print the result of a ``--test`` order (validated, nothing placed)."""
    if json_output:
        print_json({"validated": True, "placed": False, "order": order_dict(state)})
        return
    price = f" at {num(state.price)}" if state.price is not None else ""
    out_console().print(
        f"validated: {state.side.value} {num(state.quantity)} {state.symbol} "
        f"{state.type.value}{price} would be accepted by {state.venue} (nothing was placed)"
    )


def show_orders(orders: Sequence[OrderState], *, json_output: bool) -> None:
    """Print a list of orders."""
    if json_output:
        print_json([order_dict(s) for s in orders])
    elif not orders:
        out_console().print("no open orders")
    else:
        out_console().print(orders_table(orders))


def show_balances(balances: Sequence[Balance], *, json_output: bool) -> None:
    """Print balances."""
    if json_output:
        print_json([balance_dict(b) for b in balances])
    else:
        out_console().print(balances_table(balances))
