"""A dry run's report from its ledger: PnL, return, win rate, drawdown, Sharpe, fees, latency.

``build_report`` returns plain JSON-ready data; ``to_csv`` flattens it to ``metric,value`` rows;
``write_html`` writes one self-contained page (plotly.js inlined, nothing fetched) with the equity
curve, the drawdown, and each symbol's price with buy/sell markers.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

from letrade_cli.core.errors import UsageError
from letrade_cli.core.histogram import LatencyHistogram
from letrade_cli.core.orders import ZERO
from letrade_cli.trading.ledger import Ledger

YEAR_MS = 365 * 86_400_000


def _round_trips(fills: list[dict[str, Any]]) -> list[Decimal]:
    """Net PnL of each round trip (flat -> long -> flat), fees included, per symbol."""
    held: dict[str, Decimal] = {}
    running: dict[str, Decimal] = {}
    out = []
    for f in fills:
        sym = f["symbol"]
        qty = held.get(sym, ZERO)
        running[sym] = running.get(sym, ZERO) + f["realized_pnl"]
        qty = qty + f["quantity"] if f["side"] == "BUY" else qty - f["quantity"]
        held[sym] = qty
        if f["side"] == "SELL" and qty <= 0:
            out.append(running.pop(sym))
            held[sym] = ZERO
    return out


def _quote_fee(f: dict[str, Any], quote: str) -> Decimal:
    """A fill's fee in the quote asset (a base-asset fee is valued at the fill's price)."""
    fee: Decimal = f["fee"]
    asset = f.get("fee_asset") or quote
    return fee if asset == quote else fee * f["price"]


def trade_rows(
    fills: list[dict[str, Any]], reasons: dict[str, str], quote: str
) -> list[dict[str, Any]]:
    """Round trips (flat -> long -> flat per symbol) as rows with exact Decimal money.

    Net PnL is the sum of the fills' realized PnL (every fee included); gross adds the fees
    back; PnL % is net over what the entries cost. One pass: O(fills).
    """
    open_: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for f in fills:
        sym = f["symbol"]
        fee = _quote_fee(f, quote)
        reason = reasons.get(f["client_order_id"], "")
        trade = open_.get(sym)
        if trade is None:
            if f["side"] != "BUY":
                continue  # a sell with nothing open (resumed run): not a round trip
            trade = open_[sym] = {
                "symbol": sym,
                "entry_ms": f["ts_ms"],
                "held": ZERO,
                "bought": ZERO,
                "cost": ZERO,
                "sold": ZERO,
                "proceeds": ZERO,
                "fees": ZERO,
                "net": ZERO,
                "entry_reason": reason,
                "exit_reason": "",
                "fills": 0,
            }
        notional = f["price"] * f["quantity"]
        trade["fees"] += fee
        trade["net"] += f["realized_pnl"]
        trade["fills"] += 1
        if f["side"] == "BUY":
            trade["held"] += f["quantity"]
            trade["bought"] += f["quantity"]
            trade["cost"] += notional
            continue
        trade["held"] -= f["quantity"]
        trade["sold"] += f["quantity"]
        trade["proceeds"] += notional
        if reason:
            trade["exit_reason"] = reason
        if trade["held"] <= 0:
            del open_[sym]
            entry_avg = trade["cost"] / trade["bought"] if trade["bought"] else ZERO
            exit_avg = trade["proceeds"] / trade["sold"] if trade["sold"] else ZERO
            spent = trade["cost"]
            out.append(
                {
                    "symbol": sym,
                    "entry_ms": trade["entry_ms"],
                    "exit_ms": f["ts_ms"],
                    "duration_s": (f["ts_ms"] - trade["entry_ms"]) / 1000,
                    "entry_price": entry_avg,
                    "exit_price": exit_avg,
                    "quantity": trade["bought"],
                    "gross_pnl": trade["net"] + trade["fees"],
                    "net_pnl": trade["net"],
                    "pnl_pct": float(trade["net"] / spent * 100) if spent else 0.0,
                    "fees": trade["fees"],
                    "entry_reason": trade["entry_reason"],
                    "exit_reason": trade["exit_reason"],
                    "fills": trade["fills"],
                }
            )
    return out


def _group(trades: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for t in trades:
        groups.setdefault(t[key] or "-", []).append(t)
    return groups


def by_symbol(trades: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-symbol aggregates of the round trips (exact Decimal money)."""
    out = []
    for sym, rows in sorted(_group(trades, "symbol").items()):
        wins = sum(1 for t in rows if t["net_pnl"] > 0)
        spent = sum((t["entry_price"] * t["quantity"] for t in rows), ZERO)
        net = sum((t["net_pnl"] for t in rows), ZERO)
        out.append(
            {
                "symbol": sym,
                "trades": len(rows),
                "wins": wins,
                "losses": len(rows) - wins,
                "win_rate": round(wins / len(rows), 4),
                "net_pnl": net,
                "pnl_pct": float(net / spent * 100) if spent else 0.0,
                "avg_duration_s": sum(t["duration_s"] for t in rows) / len(rows),
                "fees": sum((t["fees"] for t in rows), ZERO),
                "best": max(t["net_pnl"] for t in rows),
                "worst": min(t["net_pnl"] for t in rows),
            }
        )
    return out


def by_reason(trades: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-exit-reason aggregates of the round trips."""
    out = []
    for reason, rows in sorted(_group(trades, "exit_reason").items()):
        out.append(
            {
                "exit_reason": reason,
                "count": len(rows),
                "wins": sum(1 for t in rows if t["net_pnl"] > 0),
                "net_pnl": sum((t["net_pnl"] for t in rows), ZERO),
                "avg_pnl_pct": sum(t["pnl_pct"] for t in rows) / len(rows),
            }
        )
    return out


MONEY_KEYS = ("entry_price", "exit_price", "gross_pnl", "net_pnl", "fees", "best", "worst")


def display_rows(rows: list[dict[str, Any]], quote: str) -> list[dict[str, Any]]:
    """Rows with money as rounded fixed-point text (prices keep their exact digits)."""
    from letrade_cli.core.money import fmt_money

    out = []
    for row in rows:
        shown: dict[str, Any] = {}
        for k, v in row.items():
            if k in ("entry_price", "exit_price", "quantity"):
                shown[k] = f"{v.normalize():f}" if isinstance(v, Decimal) else v
            elif k in MONEY_KEYS:
                shown[k] = fmt_money(v, quote)
            elif k in ("pnl_pct", "avg_pnl_pct", "avg_duration_s", "duration_s"):
                shown[k] = round(v, 4)
            else:
                shown[k] = v
        out.append(shown)
    return out


def max_drawdown(equity: list[Decimal]) -> tuple[Decimal, Decimal]:
    """(largest peak-to-trough fall, as a fraction of the peak) over an equity series."""
    peak = ZERO
    worst = worst_pct = ZERO
    for value in equity:
        peak = max(peak, value)
        fall = peak - value
        if fall > worst:
            worst = fall
            worst_pct = fall / peak if peak else ZERO
    return worst, worst_pct


def sharpe(equity: list[tuple[int, Decimal]]) -> float | None:
    """Annualised Sharpe ratio of the snapshot-to-snapshot returns (risk-free rate 0)."""
    if len(equity) < 3:
        return None
    returns = [float(b / a - 1) for (_, a), (_, b) in itertools.pairwise(equity) if a]
    if len(returns) < 2:
        return None
    mean = math.fsum(returns) / len(returns)
    var = math.fsum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    if var <= 0:
        return None
    period_ms = (equity[-1][0] - equity[0][0]) / (len(equity) - 1)
    if period_ms <= 0:
        return None
    return round(mean / math.sqrt(var) * math.sqrt(YEAR_MS / period_ms), 4)


def _hit_rate(state: dict[str, str]) -> float | None:
    hits, misses = int(state.get("cache_hits", 0)), int(state.get("cache_misses", 0))
    return round(hits / (hits + misses), 4) if hits + misses else None


def build_report(ledger: Ledger, run_id: str) -> dict[str, Any]:
    """Every figure of the report for ``run_id``."""
    run = ledger.run(run_id)
    fills = ledger.fills(run_id)
    equity_rows = ledger.equity(run_id)
    state = ledger.state(run_id)
    initial = Decimal(run["initial_cash"])
    final = equity_rows[-1][1] if equity_rows else Decimal(state.get("cash", initial))
    trips = _round_trips(fills)
    trades = trade_rows(fills, ledger.order_reasons(run_id), run["quote"])
    wins = sum(1 for t in trips if t > 0)
    dd, dd_pct = max_drawdown([e for _, e, _ in equity_rows])
    hist = LatencyHistogram()
    latencies = ledger.latencies_ms(run_id)
    for ms in latencies:
        hist.record(int(ms * 1e6))
    lat = hist.summary()
    signals, accepted = ledger.signal_counts(run_id)
    positions = {
        s: {"quantity": str(q), "cost": str(c), "realized": str(r)}
        for s, (q, c, r) in ledger.positions(run_id).items()
    }
    return {
        "run_id": run_id,
        "status": run["status"],
        "strategy": run["strategy"],
        "venue": run["venue"],
        "symbols": run["symbols"],
        "quote": run["quote"],
        "start_ms": int(state.get("start_ms", 0)),
        "end_ms": int(state.get("clock_ms", 0)),
        "initial_equity": str(initial),
        "final_equity": str(final),
        "cash": state.get("cash", str(initial)),
        "pnl": str(final - initial),
        "return_pct": round(float((final - initial) / initial * 100), 4) if initial else 0.0,
        "realized_pnl": state.get("realized", "0"),
        "fees": state.get("fees", "0"),
        "trades": len(fills),
        "round_trips": len(trips),
        "win_rate": round(wins / len(trips), 4) if trips else None,
        "max_drawdown": str(dd),
        "max_drawdown_pct": round(float(dd_pct * 100), 4),
        "sharpe": sharpe([(t, e) for t, e, _ in equity_rows]),
        "cache_hit_rate": _hit_rate(state),
        "signals": signals,
        "signals_accepted": accepted,
        "positions": positions,
        "latency_ms": {
            "signal_to_ack_p50": lat["p50"] / 1e6,
            "signal_to_ack_p90": lat["p90"] / 1e6,
            "signal_to_ack_p99": lat["p99"] / 1e6,
            "signal_to_ack_max": lat["max"] / 1e6,
            "orders": lat["count"],
        },
        "display": _display_summary(final, initial, state, dd, run["quote"]),
        "trade_rows": display_rows(trades, run["quote"]),
        "by_symbol": display_rows(by_symbol(trades), run["quote"]),
        "by_reason": display_rows(by_reason(trades), run["quote"]),
    }


TABLE_KEYS = ("display", "trade_rows", "by_symbol", "by_reason")
TABLES = {"trades": "trade_rows", "symbols": "by_symbol", "reasons": "by_reason"}


def _display_summary(
    final: Decimal, initial: Decimal, state: dict[str, str], dd: Decimal, quote: str
) -> dict[str, str]:
    """The summary's money rounded to the quote's display precision (see core.money)."""
    from letrade_cli.core.money import fmt_money

    return {
        "initial_equity": fmt_money(initial, quote),
        "final_equity": fmt_money(final, quote),
        "pnl": fmt_money(final - initial, quote, sign=True),
        "realized_pnl": fmt_money(state.get("realized", "0"), quote, sign=True),
        "fees": fmt_money(state.get("fees", "0"), quote),
        "max_drawdown": fmt_money(dd, quote),
    }


def table_csv(report: dict[str, Any], table: str) -> str:
    """One of the report's tables (``trades``, ``symbols``, ``reasons``) as CSV with a header."""
    rows: list[dict[str, Any]] = report[TABLES[table]]
    out = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_csv(report: dict[str, Any]) -> str:
    """``metric,value`` rows (nested figures as ``group.key``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value"])
    shown = report.get("display", {})
    for key, value in report.items():
        if key in TABLE_KEYS:
            continue
        if key in shown:
            value = shown[key]
        if isinstance(value, dict):
            for sub, item in value.items():
                if isinstance(item, dict):
                    for leaf, v in item.items():
                        writer.writerow([f"{key}.{sub}.{leaf}", v])
                else:
                    writer.writerow([f"{key}.{sub}", item])
        elif isinstance(value, list):
            writer.writerow([key, " ".join(map(str, value))])
        else:
            writer.writerow([key, "" if value is None else value])
    return out.getvalue()


PLOT_POINTS = 4_000  # equity and price lines are thinned to about this many points


def _thin(n: int) -> list[int]:
    """Indices that keep a line of ``n`` points to about PLOT_POINTS: each stride's low and high.

    Keeping both extremes of every stride keeps the drawdown's trough and the peaks on the page.
    """
    if n <= PLOT_POINTS:
        return list(range(n))
    stride = -(-n // (PLOT_POINTS // 2))
    return [i for i in range(0, n, stride) for i in (i, min(n - 1, i + stride - 1))]


def _fill_hover(fill: dict[str, Any], reasons: dict[str, str], quote: str) -> str:
    from letrade_cli.core.money import fmt_money

    price = Decimal(str(fill["price"])).normalize()
    quantity = Decimal(str(fill["quantity"])).normalize()
    text = (
        f"{fill['side']} {quantity:f} {fill['symbol']} @ {price:f}"
        f"<br>fee {Decimal(str(fill['fee'])).normalize():f} {fill['fee_asset']}"
    )
    pnl = fill.get("realized_pnl")
    if pnl not in (None, "", "0") and Decimal(str(pnl)):
        text += f"<br>realized {fmt_money(pnl, quote, sign=True)} {quote}"
    reason = reasons.get(str(fill.get("client_order_id", "")))
    return text + (f"<br>{html_escape(reason)}" if reason else "")


def html_escape(text: str) -> str:
    """Text for HTML (``&``, ``<``, ``>``, quotes)."""
    import html

    return html.escape(str(text), quote=True)


def _html_table(title: str, rows: list[dict[str, Any]], limit: int = 1_000) -> str:
    if not rows:
        return f"<h2>{html_escape(title)}</h2><p>none</p>"
    head = "".join(f"<th>{html_escape(k)}</th>" for k in rows[0])
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html_escape('' if v is None else v)}</td>" for v in r.values())
        + "</tr>"
        for r in rows[:limit]
    )
    more = (
        f"<p>first {limit:,} of {len(rows):,} rows (all of them: --csv)</p>"
        if len(rows) > limit
        else ""
    )
    return f"<h2>{html_escape(title)}</h2><table><tr>{head}</tr>{body}</table>{more}"


PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;"
    "margin-bottom:1.5em;font-size:.85em}th,td{border:1px solid #ccc;padding:.2em .5em;"
    "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
)


def write_html(ledger: Ledger, run_id: str, path: Path) -> None:
    """One self-contained page: charts (hover on a mark: the fill), then the report's tables.

    Equity, drawdown and each symbol's price with its buys and sells; then the summary (money
    rounded), per-symbol, per-exit-reason and per-trade tables.
    """
    try:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots
    except ImportError:
        raise UsageError(
            "--html needs plotly", hint="pip install 'letrade-cli[report]' (or pip install plotly)"
        ) from None
    from datetime import UTC, datetime

    report = build_report(ledger, run_id)
    rows = ledger.equity(run_id)
    fills = ledger.fills(run_id)
    reasons = ledger.order_reasons(run_id)
    quote = report["quote"]
    symbols = sorted({s for _, _, marks in rows for s in marks} | {f["symbol"] for f in fills})

    def ts(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)

    equity_all = [float(e) for _, e, _ in rows]
    peak, drawdown_all = 0.0, []
    for value in equity_all:
        peak = max(peak, value)
        drawdown_all.append((value - peak) / peak * 100 if peak else 0.0)
    keep = _thin(len(rows))
    times = [ts(rows[i][0]) for i in keep]
    fig = make_subplots(
        rows=2 + len(symbols),
        cols=1,
        shared_xaxes=True,
        subplot_titles=["Equity", "Drawdown (%)", *[f"{s} price" for s in symbols]],
        vertical_spacing=0.06,
    )
    fig.add_trace(
        go.Scatter(x=times, y=[equity_all[i] for i in keep], name="equity", mode="lines"),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=times, y=[drawdown_all[i] for i in keep], name="drawdown %", mode="lines",
            fill="tozeroy",
        ),
        row=2,
        col=1,
    )  # fmt: skip
    for index, symbol in enumerate(symbols, start=3):
        points = [(t, float(m[symbol])) for t, _, m in rows if symbol in m]
        picked_points = [points[i] for i in _thin(len(points))]
        fig.add_trace(
            go.Scatter(
                x=[ts(p[0]) for p in picked_points],
                y=[p[1] for p in picked_points],
                name=symbol,
                mode="lines",
            ),
            row=index,
            col=1,
        )
        for side, marker, color in (
            ("BUY", "triangle-up", "green"),
            ("SELL", "triangle-down", "red"),
        ):
            picked = [f for f in fills if f["symbol"] == symbol and f["side"] == side]
            fig.add_trace(
                go.Scatter(
                    x=[ts(f["ts_ms"]) for f in picked],
                    y=[float(f["price"]) for f in picked],
                    name=f"{symbol} {side.lower()}",
                    mode="markers",
                    marker={"symbol": marker, "size": 10, "color": color},
                    hovertext=[_fill_hover(f, reasons, quote) for f in picked],
                    hoverinfo="text+x",
                ),
                row=index,
                col=1,
            )
    shown = report["display"]
    title = (
        f"letrade dry run {run_id} · {report['strategy']} · PnL {shown['pnl']} {quote} "
        f"({report['return_pct']:+.2f}%) · {report['trades']} fills"
    )
    fig.update_layout(height=500 + 250 * len(symbols), template="plotly_white")
    summary = [
        {"metric": k, "value": shown.get(k, report[k])}
        for k in (
            "status", "strategy", "venue", "initial_equity", "final_equity", "pnl",
            "realized_pnl", "fees", "trades", "round_trips", "win_rate", "max_drawdown",
            "max_drawdown_pct", "sharpe",
        )
    ]  # fmt: skip
    figure = fig.to_html(full_html=False, include_plotlyjs=True, config={"displaylogo": False})
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html_escape(title)}</title><style>{PAGE_STYLE}</style></head><body>"
        f"<h1>{html_escape(title)}</h1>{figure}"
        + _html_table("Summary", summary)
        + _html_table("By symbol", report["by_symbol"])
        + _html_table("By exit reason", report["by_reason"])
        + _html_table("Trades (round trips)", report["trade_rows"])
        + "</body></html>"
    )
    try:
        from letrade_cli.core.files import atomic_write_bytes

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, page.encode("utf-8"))
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror}", hint="pick a writable path"
        ) from None
