"""The dry run on screen: a Rich live view, JSON events, a heartbeat line, the final summary."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from letrade_cli.core.money import fmt_money

HEARTBEAT_S = 60.0


def _clock(ms: int) -> str:
    if not ms:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def dryrun_view(view: dict[str, Any], title: str) -> Group:
    """Positions, PnL, equity, recent signals and latency as Rich renderables."""
    head = Table.grid(padding=(0, 2))
    head.add_row(
        Text(title, style="bold"),
        f"clock {_clock(view['clock_ms'])} UTC",
        f"ticks {view['ticks']:,} ({view['ticks_per_s']:,.0f}/s)",
        f"cache hit {view['cache']['hit_rate'] * 100:.1f}%",
    )
    pnl = float(view["pnl"])
    head.add_row(
        f"equity {float(view['equity']):,.2f}",
        Text(f"PnL {pnl:+,.2f}", style="green" if pnl >= 0 else "red"),
        f"fees {float(view['fees']):,.4f}",
        Text("HALTED (daily loss)", style="bold red") if view["halted"] else "",
    )
    positions = Table(title="positions", expand=False)
    for column in ("symbol", "quantity", "avg cost", "mark", "unrealized"):
        positions.add_column(column, justify="right")
    for symbol, p in view["positions"].items():
        qty, cost, mark = float(p["quantity"]), float(p["avg_cost"]), float(p["mark"])
        positions.add_row(
            symbol, f"{qty:g}", f"{cost:,.4f}", f"{mark:,.4f}", f"{(mark - cost) * qty:+,.4f}"
        )
    recent = Table(title="recent signals and fills", expand=False)
    for column in ("time", "kind", "symbol", "side", "detail"):
        recent.add_column(column)
    for event in view["recent"][-8:]:
        detail = event.get("reason") or ""
        if event["kind"] == "fill":
            detail = f"{event['quantity']} @ {event['price']} fee {event['fee']}"
        elif event["kind"] == "signal":
            detail = f"{detail} -> {event['note']}"
        recent.add_row(
            _clock(event["ts_ms"])[11:], event["kind"], event.get("symbol", ""),
            event.get("side", ""), detail,
        )  # fmt: skip
    lat = view["latency_ms"]
    latency = Text(
        f"signal->ack latency: p50 {lat['p50']:.3f} ms · p90 {lat['p90']:.3f} · "
        f"p99 {lat['p99']:.3f} · max {lat['max']:.3f} ({lat['count']} orders)"
    )
    return Group(head, positions, recent, latency)


def heartbeat_line(view: dict[str, Any]) -> str:
    """One line for logs when stderr is not a terminal."""
    return (
        f"dryrun {view['run_id']} clock={_clock(view['clock_ms'])} ticks={view['ticks']} "
        f"equity={float(view['equity']):.2f} pnl={float(view['pnl']):+.2f} "
        f"positions={len(view['positions'])} cache_hit={view['cache']['hit_rate'] * 100:.1f}% "
        f"halted={'yes' if view['halted'] else 'no'}"
    )


def summary_lines(view: dict[str, Any], db: str, completed: bool) -> list[str]:
    """The final summary and the command that shows the full report."""
    status = "finished" if completed else "stopped (resume with --resume)"
    return [
        f"{'live run' if view.get('mode') == 'live' else 'dry run'} {view['run_id']} {status}: "
        f"{view['ticks']:,} ticks "
        + (f"(+{bad:,} with a bad price, skipped) " if (bad := view.get("bad_prices")) else "")
        + f"({view['ticks_per_s']:,.0f}/s), equity {float(view['equity']):,.2f}, "
        f"PnL {float(view['pnl']):+,.4f}, fees {float(view['fees']):,.4f}, "
        f"cache hit rate {view['cache']['hit_rate'] * 100:.1f}%",
        *(
            [
                f"venue: stream {v['stream']}, {v['refusals']} refused by rate limits, "
                f"{v['pacer_waits']} paced waits ({v['pacer_waited_s']:g}s), "
                f"{v['reconcile_differences']} reconciliation difference(s)"
            ]
            if (v := view.get("venue"))
            else []
        ),
        f"report: letrade dryrun report {view['run_id']} --db {db}",
    ]


class Heartbeat:
    """Writes ``heartbeat_line`` to stderr at most once per ``every_s``."""

    def __init__(self, every_s: float = HEARTBEAT_S) -> None:
        self.every_s = every_s
        self.next = time.monotonic() + every_s

    def maybe(self, view: dict[str, Any]) -> None:
        """Write the line if it is due."""
        now = time.monotonic()
        if now >= self.next:
            self.next = now + self.every_s
            sys.stderr.write(heartbeat_line(view) + "\n")
            sys.stderr.flush()


def report_table(report: dict[str, Any]) -> Table:
    """A run's report as a two-column table."""
    table = Table(title=f"dry run {report['run_id']} ({report['status']})", show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    quote = report["quote"]
    shown = report.get("display", report)
    rows = [
        ("strategy", report["strategy"]),
        ("venue / symbols", f"{report['venue']} / {' '.join(report['symbols'])}"),
        ("period (UTC)", f"{_clock(report['start_ms'])} -> {_clock(report['end_ms'])}"),
        ("equity", f"{shown['initial_equity']} -> {shown['final_equity']} {quote}"),
        ("PnL", f"{shown['pnl']} {quote} ({report['return_pct']:+.2f}%)"),
        ("fees", f"{shown['fees']} {quote}"),
        ("fills / round trips", f"{report['trades']} / {report['round_trips']}"),
        ("win rate", "-" if report["win_rate"] is None else f"{report['win_rate'] * 100:.1f}%"),
        ("max drawdown", f"{shown['max_drawdown']} ({report['max_drawdown_pct']:.2f}%)"),
        ("Sharpe (annualised)", "-" if report["sharpe"] is None else f"{report['sharpe']:.3f}"),
        ("signals (accepted)", f"{report['signals']} ({report['signals_accepted']})"),
        (
            "price cache hit rate",
            "no reads" if report["cache_hit_rate"] is None else f"{report['cache_hit_rate']:.1%}",
        ),
    ]
    lat = report["latency_ms"]
    rows.append(
        (
            "signal->ack p50/p90/p99",
            f"{lat['signal_to_ack_p50']:.3f} / {lat['signal_to_ack_p90']:.3f} / "
            f"{lat['signal_to_ack_p99']:.3f} ms ({lat['orders']} orders)",
        )
    )
    for key, value in rows:
        table.add_row(key, str(value))
    return table


def runs_table(runs: list[dict[str, Any]]) -> Table:
    """The ledger's runs, newest first."""
    table = Table(title="runs (paper and live)")
    for column in (
        "run",
        "created (UTC)",
        "strategy",
        "mode",
        "venue",
        "symbols",
        "status",
        "fills",
        "equity",
    ):
        table.add_column(column)
    for run in runs:
        table.add_row(
            run["run_id"], _clock(run["created_ms"]), run["strategy"], run.get("mode", "paper"),
            run["venue"],
            " ".join(run["symbols"]), run["status"], str(run["fills"]),
            fmt_money(run["equity"] or run["initial_cash"], run["quote"], unit=True),
        )  # fmt: skip
    return table


def compare_table(data: dict[str, Any]) -> Table:
    """Two runs' fills side by side, with the price difference per order in basis points."""
    run, other = data["run"], data["other"]
    table = Table(
        title=f"{run['run_id']} ({run['mode']}) vs {other['run_id']} ({other['mode']})",
    )
    for column in ("#", "symbol", "side", f"{run['mode']} price", f"{other['mode']} price",
                   "diff bps", f"{run['mode']} fee", f"{other['mode']} fee"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("symbol", "side") else "right")

    def fee(side: dict[str, Any] | None) -> str:
        if side is None:
            return "-"
        return " + ".join(f"{v} {k}" for k, v in side["fees"].items()) or "0"

    for pair in data["orders"]:
        a, b = pair["run"], pair["other"]
        first = a or b
        diff = pair["diff_bps"]
        table.add_row(
            str(pair["n"]),
            first["symbol"] if first else "-",
            (first["side"] if pair["matched"] or b is None or a is None
             else f"{a['side']}/{b['side']}") if first else "-",
            a["price"] if a else "-",
            b["price"] if b else "-",
            "unmatched" if diff is None else f"{diff:+.2f}",
            fee(a),
            fee(b),
        )  # fmt: skip
    stats = data["diff_bps"]
    mean = "-" if stats["mean"] is None else f"{stats['mean']:+.2f}"
    median = "-" if stats["median"] is None else f"{stats['median']:+.2f}"
    fees = data["fees_quote"]
    table.caption = (
        f"{data['matched']} matched, {data['unmatched']} unmatched; diff bps (first run's price "
        f"against the second's, worse for us +): total {stats['total']:+.2f}, mean {mean}, "
        f"median {median}; fees {fees['run'] or '?'} vs {fees['other'] or '?'} {data['quote']}"
    )
    return table


def reconcile_table(found: list[dict[str, Any]], run_id: str) -> Table:
    """What reconciliation found between the ledger and the venue, one row per difference."""
    table = Table(title=f"run {run_id}: ledger vs venue")
    for column in ("kind", "client id", "symbol", "detail", "action", "mismatch"):
        table.add_column(column)
    for d in found:
        table.add_row(
            d["kind"], d["client_order_id"] or "-", d["symbol"] or "-", d["detail"], d["action"],
            "yes" if d.get("mismatch") else "",
        )  # fmt: skip
    return table


REPORT_TABLES = (
    ("trade_rows", "round trips"),
    ("by_symbol", "by symbol"),
    ("by_reason", "by exit reason"),
)


def report_tables(report: dict[str, Any]) -> list[Table]:
    """The report's per-trade, per-symbol and per-exit-reason tables (display values)."""
    out = []
    for key, title in REPORT_TABLES:
        rows: list[dict[str, Any]] = report.get(key) or []
        if not rows:
            continue
        table = Table(title=f"{title} ({report['quote']})")
        for column in rows[0]:
            if column in ("entry_ms", "exit_ms"):
                column = column[:-3] + " (UTC)"
            table.add_column(column, justify="left" if column[0] in "se" else "right")
        for row in rows:
            table.add_row(
                *(
                    _clock(v) if k in ("entry_ms", "exit_ms") else ("-" if v is None else str(v))
                    for k, v in row.items()
                )
            )
        out.append(table)
    return out
