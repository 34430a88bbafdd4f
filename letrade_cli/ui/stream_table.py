"""The live stream table and the final summary, as Rich renderables."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from letrade_cli.connector.stats import NS_PER_MS, StreamStats
from letrade_cli.core.tick import Tick

STATE_STYLE = {
    "live": "green",
    "connecting": "yellow",
    "subscribing": "yellow",
    "reconnecting": "yellow",
    "stalled": "red",
    "down": "red",
    "starting": "dim",
    "stopped": "dim",
}


def format_price(value: float | None) -> str:
    """Enough digits for both 65,000 and 0.00001234."""
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value:,.2f}"
    if value >= 1:
        return f"{value:.4f}"
    return f"{value:.8f}"


def _ms(ns: int | None) -> str:
    return "—" if ns is None else f"{ns / NS_PER_MS:.1f}"


def format_age(age_s: float | None) -> str:
    """``0.3s``, ``12s``, ``4m05s``; an em dash before the first update."""
    if age_s is None:
        return "—"
    if age_s < 10:
        return f"{age_s:.1f}s"
    if age_s < 60:
        return f"{age_s:.0f}s"
    return f"{int(age_s // 60)}m{int(age_s % 60):02d}s"


def format_spread(bid: float | None, ask: float | None) -> str:
    """Ask minus bid in basis points of the mid."""
    if bid is None or ask is None or bid + ask <= 0:
        return "—"
    return f"{(ask - bid) / ((ask + bid) / 2) * 1e4:.2f}"


def stream_table(
    *,
    venue: str,
    symbols: list[str],
    stats: StreamStats,
    prices: dict[str, tuple[Tick | None, bool]],
    cache: dict[str, Any],
    breakers: dict[str, dict[str, Any]],
    title_suffix: str = "",
    now_ns: int | None = None,
) -> Group:
    """Per-symbol rows plus a footer of connection, cache and breaker figures.

    ``prices`` maps symbol -> (tick, fresh) where fresh means it came from the cache within TTL.
    A symbol whose stream went silent past its own threshold (``core.stall``) is marked stale.
    """
    now_ns = time.time_ns() if now_ns is None else now_ns
    table = Table(title=f"letrade stream · {venue}{title_suffix}", expand=False)
    for name, justify in (
        ("Symbol", "left"),
        ("Last", "right"),
        ("Bid", "right"),
        ("Ask", "right"),
        ("Spread bp", "right"),
        ("24h %", "right"),
        ("Age", "right"),
        ("Msgs", "right"),
        ("Lat p50 ms", "right"),
        ("Lat p99 ms", "right"),
        ("Src", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for symbol in symbols:
        s = stats.symbols.get(symbol)
        tick, fresh = prices.get(symbol, (None, False))
        change = s.change_24h_pct if s else None  # the venue's figure, not since we started
        change_text = (
            Text("—")
            if change is None
            else Text(f"{change:+.3f}", style="green" if change >= 0 else "red")
        )
        hist = s.latency if s else None
        has_latency = hist is not None and hist.count > 0
        source = "—" if tick is None else ("rest" if tick.channel == "rest" else "ws")
        stale = s is not None and s.is_stale(now_ns)
        age = s.age_s(now_ns) if s else None
        age_text = Text(
            format_age(age) + (" stale" if stale else ""), style="bold red" if stale else ""
        )
        bid, ask = (s.bid, s.ask) if s else (None, None)
        table.add_row(
            symbol,
            format_price(s.last if s else None),
            format_price(bid),
            format_price(ask),
            format_spread(bid, ask),
            change_text,
            age_text,
            f"{s.messages:,}" if s else "0",
            _ms(hist.percentile(50)) if has_latency and hist else "—",
            _ms(hist.percentile(99)) if has_latency and hist else "—",
            Text(source if fresh else f"{source} (stale)", style="" if fresh else "dim"),
        )
    state = stats.connection_state
    footer = Text.assemble(
        ("msg/s ", "dim"),
        f"{stats.message_rate():,.0f}",
        ("  cache hit ", "dim"),
        f"{cache.get('hit_rate', 0.0) * 100:.1f}%",
        ("  reconnects ", "dim"),
        str(stats.reconnects),
        ("  stalls ", "dim"),
        str(stats.stalls),
        ("  gaps ", "dim"),
        f"{stats.gaps} ({stats.missing} missing)",
        ("  source ", "dim"),
        stats.source,
        ("  stream breaker ", "dim"),
        str(breakers["stream"]["state"]),
        ("  rest breaker ", "dim"),
        str(breakers["rest"]["state"]),
        ("  connection ", "dim"),
        (f"{state}", STATE_STYLE.get(state, "")),
        (f" ({stats.backend})" if stats.backend else "", "dim"),
    )
    return Group(table, footer)


def summary_table(summary: dict[str, Any]) -> Table:
    """The final summary: one row per figure a user would quote."""
    lat = summary["latency_us"]
    table = Table(title=f"letrade stream summary · {summary['venue']}", show_header=False)
    table.add_column("figure", style="dim")
    table.add_column("value", justify="right")

    def pct(d: dict[str, Any]) -> str:
        if not d.get("count"):
            return "—"
        return (
            f"p50 {d['p50']} · p90 {d['p90']} · p99 {d['p99']} · "
            f"p99.9 {d['p99_9']} · max {d['max']}"
        )

    cache = summary["cache"]
    rows = [
        ("elapsed", f"{summary['elapsed_s']:.1f} s"),
        ("messages", f"{summary['messages']:,} ({summary['msgs_per_s']:,.1f}/s)"),
        ("decode→cache µs", pct(lat["decode_to_cache"])),
        ("exchange→receive µs", pct(lat["exchange_to_receive"])),
        ("cache", _cache_line(cache)),
        (
            "connection",
            f"{summary['connection_state']} ({summary['backend'] or '—'}) · "
            f"connects {summary['connects']} · reconnects {summary['reconnects']} · "
            f"failures {summary['connect_failures']} · stalls {summary['stalls']}",
        ),
        ("gaps", f"{summary['gaps']} ({summary['missing']} messages missing)"),
        ("decode errors", str(summary["decode_errors"])),
        (
            "rest",
            f"requests {summary['rest_requests']} · errors {summary['rest_errors']} · "
            f"weight used {_or_dash(summary['rest_weight_used'])}",
        ),
        ("source", f"{summary['source']} (switches {summary['source_switches']})"),
        (
            "breakers",
            " · ".join(
                f"{name} {b['state']} {b['transitions'] or ''}".strip()
                for name, b in summary["breakers"].items()
            ),
        ),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def _or_dash(value: object) -> str:
    return "—" if value is None else str(value)


def _cache_line(cache: dict[str, Any]) -> str:
    reads = cache.get("hits", 0) + cache.get("misses", 0)
    rate = f"hit rate {cache.get('hit_rate', 0) * 100:.1f}%" if reads else "no reads"
    return (
        f"{rate} · hits {cache.get('hits', 0)} · misses {cache.get('misses', 0)} · "
        f"expired {cache.get('expirations', 0)} · evicted {cache.get('evictions', 0)} · "
        f"size {cache.get('size', 0)}"
    )
