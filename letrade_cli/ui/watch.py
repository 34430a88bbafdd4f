"""How `letrade trade watch` shows pushed order updates: JSON lines, or a Rich live table."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from letrade_cli.core.orders import Fill, OrderState
from letrade_cli.ui.trade import clock_time, fill_dict, num

STREAM_STYLE = {"up": "green", "down": "red", "off": "dim"}


def watch_line(state: OrderState, fill: Fill | None, now_ms: int) -> dict[str, Any]:
    """One update as a JSON line: ``event`` is ``fill`` (an execution) or ``order`` (no trade).

    ``ts_ms`` is the venue's time of the update (the fill's, else the order's last update),
    ``now_ms`` (our clock) when the venue gave none.
    """
    ts = fill.ts_ms if fill is not None and fill.ts_ms else state.updated_ms
    return {
        "event": "fill" if fill is not None else "order",
        "venue": state.venue,
        "symbol": state.symbol,
        "client_order_id": state.client_order_id,
        "status": state.status.value,
        "side": state.side.value,
        "type": state.type.value,
        "filled_qty": num(state.filled_qty),
        "quantity": num(state.quantity),
        "price": None if state.price is None else num(state.price),
        "fill": None if fill is None else fill_dict(fill),
        "ts_ms": ts or now_ms,
    }


@dataclass(slots=True)
class _Row:
    state: OrderState
    ts_ms: int
    last_price: Decimal | None = None
    fills: int = 0


@dataclass(slots=True)
class WatchBoard:
    """The orders seen so far, one row each (newest update last), for the live table."""

    venue: str
    rows: dict[str, _Row] = field(default_factory=dict)
    updates: int = 0
    fills: int = 0

    def update(self, state: OrderState, fill: Fill | None, now_ms: int) -> None:
        """Record one pushed update."""
        self.updates += 1
        row = self.rows.pop(state.client_order_id, None)
        ts = (fill.ts_ms if fill is not None else state.updated_ms) or now_ms
        if row is None:
            row = _Row(state, ts)
        row.state, row.ts_ms = state, ts
        if fill is not None:
            self.fills += 1
            row.fills += 1
            row.last_price = fill.price
        self.rows[state.client_order_id] = row  # re-inserted: the latest change sorts last

    def render(
        self,
        *,
        stream_state: str,
        counters: Any,
        left_s: float | None,
        max_rows: int = 30,
    ) -> Group:
        """The table of orders and a footer with the stream's state and counters."""
        left = "" if left_s is None else f" · {max(0.0, left_s):.0f}s left"
        table = Table(title=f"letrade trade watch · {self.venue}{left}", title_justify="left")
        for name, justify in (
            ("Time", "left"),
            ("Symbol", "left"),
            ("Side", "left"),
            ("Type", "left"),
            ("Status", "left"),
            ("Filled/Qty", "right"),
            ("Last fill", "right"),
            ("Fee", "right"),
            ("Client id", "left"),
        ):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for row in list(self.rows.values())[-max_rows:]:
            s = row.state
            table.add_row(
                clock_time(row.ts_ms),
                s.symbol,
                s.side.value,
                s.type.value,
                s.status.value,
                f"{num(s.filled_qty)}/{num(s.quantity)}",
                num(row.last_price),
                f"{num(s.fee)} {s.fee_asset}".strip(),
                s.client_order_id,
            )
        if not self.rows:
            table.caption = "no order updates yet: place an order from another terminal"
        return Group(table, self.footer(stream_state, counters))

    def footer(self, stream_state: str, counters: Any) -> Text:
        """``stream up · 3 orders · 5 updates · 2 fills · events 9 · connects 1 ...``."""
        text = Text("stream ")
        text.append(stream_state, style=STREAM_STYLE.get(stream_state, ""))
        text.append(f" · {len(self.rows)} orders · {self.updates} updates · {self.fills} fills")
        for name in ("events", "connects", "disconnects", "malformed", "unknown"):
            value = getattr(counters, name, None)
            if value is not None:
                text.append(f" · {name} {value}")
        return text
