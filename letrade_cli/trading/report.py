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
    }


def to_csv(report: dict[str, Any]) -> str:
    """``metric,value`` rows (nested figures as ``group.key``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value"])
    for key, value in report.items():
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


def write_html(ledger: Ledger, run_id: str, path: Path) -> None:
    """One self-contained HTML page: equity, drawdown, prices with buy/sell markers."""
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
    symbols = sorted({s for _, _, marks in rows for s in marks} | {f["symbol"] for f in fills})

    def ts(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)

    times = [ts(t) for t, _, _ in rows]
    equity = [float(e) for _, e, _ in rows]
    peak, drawdown = 0.0, []
    for value in equity:
        peak = max(peak, value)
        drawdown.append((value - peak) / peak * 100 if peak else 0.0)
    fig = make_subplots(
        rows=2 + len(symbols),
        cols=1,
        shared_xaxes=True,
        subplot_titles=["Equity", "Drawdown (%)", *[f"{s} price" for s in symbols]],
        vertical_spacing=0.06,
    )
    fig.add_trace(go.Scatter(x=times, y=equity, name="equity", mode="lines"), row=1, col=1)
    fig.add_trace(
        go.Scatter(x=times, y=drawdown, name="drawdown %", mode="lines", fill="tozeroy"),
        row=2,
        col=1,
    )
    for index, symbol in enumerate(symbols, start=3):
        points = [(ts(t), float(m[symbol])) for t, _, m in rows if symbol in m]
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in points], y=[p[1] for p in points], name=symbol, mode="lines"
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
                ),
                row=index,
                col=1,
            )
    fig.update_layout(
        title=(
            f"letrade dry run {run_id} · {report['strategy']} · PnL {report['pnl']} "
            f"{report['quote']} ({report['return_pct']}%) · {report['trades']} fills"
        ),
        height=500 + 250 * len(symbols),
        template="plotly_white",
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.write_html(
            str(path),
            include_plotlyjs=True,
            full_html=True,
            config={"displaylogo": False},
        )
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror}", hint="pick a writable path"
        ) from None
