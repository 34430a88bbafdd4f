"""Two runs' fills side by side: a live run against its paper replay (or any two runs).

Orders are matched per signal, in sequence: the order the n-th signal of one run placed with
the order of the other run's n-th signal (a replay of a live run's recording has the same
signals, see ``--record``); orders no signal placed (adopted at reconciliation) follow, matched
in sequence. Each pair shows both average fill prices, quantities and fees, and the price
difference in basis points of ``run``'s fill against ``other``'s, signed so that worse for us
is positive: a buy that paid more, a sell that got less. A signal that filled in one run only
(refused or rejected in the other), or pairs whose symbol or side differ, are listed as
unmatched and left out of the figures.
"""

from __future__ import annotations

import statistics
from decimal import Decimal
from typing import Any

from letrade_cli.core.errors import UsageError
from letrade_cli.trading.ledger import Ledger

BPS = Decimal(10_000)


def _split(symbol: str, quote: str) -> str:
    """The base asset of ``symbol`` given its run's quote asset (either spelling order)."""
    upper = symbol.upper()
    for sep in ("-", "/", "_"):
        if sep in upper:
            left, _, right = upper.partition(sep)
            return right if left == quote else left
    return upper[: -len(quote)] if upper.endswith(quote) else upper


def _orders(ledger: Ledger, run_id: str, quote: str) -> list[dict[str, Any]]:
    """The run's filled orders in sequence: symbol, side, VWAP, quantity, fees."""
    by_order: dict[str, dict[str, Any]] = {}
    for fill in ledger.fills(run_id):
        cid = str(fill["client_order_id"])
        entry = by_order.setdefault(
            cid,
            {
                "client_order_id": cid,
                "symbol": fill["symbol"],
                "side": fill["side"],
                "fills": 0,
                "quantity": Decimal(0),
                "notional": Decimal(0),
                "fees": {},
                "fee_quote": Decimal(0),
                "fee_known": True,
                "ts_ms": fill["ts_ms"],
            },
        )
        price, qty, fee, asset = fill["price"], fill["quantity"], fill["fee"], fill["fee_asset"]
        entry["fills"] += 1
        entry["quantity"] += qty
        entry["notional"] += price * qty
        asset = asset or quote
        entry["fees"][asset] = entry["fees"].get(asset, Decimal(0)) + fee
        if asset == quote:
            entry["fee_quote"] += fee
        elif asset == _split(fill["symbol"], quote):
            entry["fee_quote"] += fee * price
        elif fee:
            entry["fee_known"] = False
    sequence = {o.client_order_id: i for i, o in enumerate(ledger.orders(run_id))}
    out = sorted(by_order.values(), key=lambda o: (sequence.get(o["client_order_id"], 1 << 62),))
    for entry in out:
        entry["price"] = entry["notional"] / entry["quantity"] if entry["quantity"] else None
    return out


def _by_signal(
    ledger: Ledger, run_id: str, orders: list[dict[str, Any]]
) -> tuple[list[dict[str, Any] | None], list[dict[str, Any]]]:
    """(the filled order of each signal or None, the filled orders no signal placed)."""
    by_cid = {o["client_order_id"]: o for o in orders}
    placed: list[dict[str, Any] | None] = []
    for sig in ledger.signals(run_id):
        words = str(sig["note"]).split()
        cid = words[-1] if words and words[-1].startswith(f"{run_id}-") else None
        placed.append(by_cid.pop(cid, None) if cid is not None else None)
    rest = [o for o in orders if o["client_order_id"] in by_cid]
    return placed, rest


def _side(order: dict[str, Any] | None) -> dict[str, Any] | None:
    if order is None:
        return None
    return {
        "client_order_id": order["client_order_id"],
        "symbol": order["symbol"],
        "side": order["side"],
        "price": str(order["price"]),
        "quantity": str(order["quantity"]),
        "fills": order["fills"],
        "fees": {k: str(v) for k, v in sorted(order["fees"].items())},
        "fee_quote": str(order["fee_quote"]) if order["fee_known"] else None,
        "ts_ms": order["ts_ms"],
    }


def compare_runs(ledger: Ledger, run_id: str, other_id: str) -> dict[str, Any]:
    """``run``'s fills against ``other``'s (see the module docstring), JSON-ready."""
    if run_id == other_id:
        raise UsageError("compare a run with another one", hint="e.g. --vs RUN_ID_OF_THE_REPLAY")
    run, other = ledger.run(run_id), ledger.run(other_id)
    quote = str(run["quote"]).upper()
    mine, mine_rest = _by_signal(ledger, run_id, _orders(ledger, run_id, quote))
    theirs, theirs_rest = _by_signal(ledger, other_id, _orders(ledger, other_id, quote))
    rows: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []
    for found in (
        (mine, theirs),
        (mine_rest, theirs_rest),
    ):
        ours, other_side = found
        for i in range(max(len(ours), len(other_side))):
            a = ours[i] if i < len(ours) else None
            b = other_side[i] if i < len(other_side) else None
            if a is not None or b is not None:
                rows.append((a, b))
    pairs: list[dict[str, Any]] = []
    diffs: list[Decimal] = []
    fees = [Decimal(0), Decimal(0)]
    fees_known = [True, True]
    for i, (a, b) in enumerate(rows):
        matched = (
            a is not None
            and b is not None
            and a["symbol"] == b["symbol"]
            and a["side"] == b["side"]
            and bool(a["price"])
            and bool(b["price"])
        )
        bps: Decimal | None = None
        if matched:
            assert a is not None and b is not None
            bps = (a["price"] - b["price"]) / b["price"] * BPS
            if a["side"] == "SELL":
                bps = -bps
            diffs.append(bps)
            for k, o in enumerate((a, b)):
                fees[k] += o["fee_quote"]
                fees_known[k] = fees_known[k] and o["fee_known"]
        pairs.append(
            {
                "n": i + 1,
                "matched": matched,
                "run": _side(a),
                "other": _side(b),
                "diff_bps": None if bps is None else round(float(bps), 4),
            }
        )
    return {
        "run": _about(run),
        "other": _about(other),
        "quote": quote,
        "orders": pairs,
        "matched": len(diffs),
        "unmatched": len(pairs) - len(diffs),
        "diff_bps": {
            "total": round(float(sum(diffs, Decimal(0))), 4),
            "mean": round(float(statistics.fmean(diffs)), 4) if diffs else None,
            "median": round(float(statistics.median(diffs)), 4) if diffs else None,
        },
        "fees_quote": {
            "run": str(fees[0]) if fees_known[0] else None,
            "other": str(fees[1]) if fees_known[1] else None,
        },
    }


def _about(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run["run_id"],
        "mode": run.get("mode", "paper"),
        "venue": run["venue"],
        "strategy": run["strategy"],
        "status": run["status"],
    }
