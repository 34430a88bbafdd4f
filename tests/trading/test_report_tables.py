"""The report's round-trip tables and the money shown: exact sums, rounded text, no exponents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from letrade_cli.core.money import fmt_money
from letrade_cli.trading.report import by_reason, by_symbol, display_rows, trade_rows


def fill(sym: str, side: str, price: str, qty: str, pnl: str, ts: int, cid: str) -> dict[str, Any]:
    return {
        "symbol": sym,
        "side": side,
        "price": Decimal(price),
        "quantity": Decimal(qty),
        "fee": Decimal("0.1"),
        "fee_asset": "USDT",
        "realized_pnl": Decimal(pnl),
        "ts_ms": ts,
        "client_order_id": cid,
    }


def test_a_round_trip_row_has_prices_pnl_and_reasons() -> None:
    fills = [
        fill("BTCUSDT", "BUY", "100", "1", "0", 0, "a"),
        fill("BTCUSDT", "SELL", "110", "1", "9.8", 60_000, "b"),
        fill("BTCUSDT", "BUY", "100", "1", "0", 120_000, "c"),
    ]
    rows = trade_rows(fills, {"a": "sma-cross", "b": "take-profit"}, "USDT")
    assert len(rows) == 1  # the open third buy is not a round trip
    row = rows[0]
    assert row["net_pnl"] == Decimal("9.8") and row["gross_pnl"] == Decimal("10.0")
    assert row["entry_reason"] == "sma-cross" and row["exit_reason"] == "take-profit"
    assert row["duration_s"] == 60 and row["exit_price"] == Decimal("110")
    shown = display_rows(rows, "USDT")[0]
    assert shown["net_pnl"] == "9.80" and shown["fees"] == "0.20"


def test_money_shown_has_the_assets_decimals_and_no_exponent() -> None:
    assert fmt_money(Decimal("0E-8"), "USDT") == "0.00"
    assert fmt_money(Decimal("46.2959066219728041061705"), "USDT", sign=True) == "+46.30"
    assert fmt_money(Decimal("1234567.5"), "KRW") == "1234568"
    assert fmt_money(Decimal("1E-9"), "BTC") == "0.00000000"
    assert fmt_money(Decimal("-0.001"), "USDT") == "0.00"


step = st.tuples(
    st.sampled_from(["BTCUSDT", "ETHUSDT"]),
    st.integers(1, 5),
    st.decimals("-50", "50", places=4, allow_nan=False, allow_infinity=False),
    st.sampled_from(["stop-loss", "take-profit", ""]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(step, max_size=40))
def test_aggregates_add_up_to_the_trades(steps: list[tuple[str, int, Decimal, str]]) -> None:
    fills, reasons, ts = [], {}, 0
    for i, (sym, qty, pnl, reason) in enumerate(steps):
        ts += 1000
        fills.append(fill(sym, "BUY", "100", str(qty), "0", ts, f"b{i}"))
        fills.append(fill(sym, "SELL", "101", str(qty), str(pnl), ts + 500, f"s{i}"))
        reasons[f"s{i}"] = reason
    trades = trade_rows(fills, reasons, "USDT")
    assert len(trades) == len(steps)
    total = sum((t["net_pnl"] for t in trades), Decimal(0))
    assert total == sum((f["realized_pnl"] for f in fills), Decimal(0))
    assert sum((r["net_pnl"] for r in by_symbol(trades)), Decimal(0)) == total
    assert sum((r["net_pnl"] for r in by_reason(trades)), Decimal(0)) == total
    assert sum(r["trades"] for r in by_symbol(trades)) == len(trades)
    for row in display_rows(by_reason(trades), "USDT"):
        assert "E" not in row["net_pnl"] and len(row["net_pnl"].split(".")[1]) == 2
