"""Counters and latency histograms for one stream, shared by the pipeline, supervisor and UI."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from letrade_cli.core.histogram import LatencyHistogram
from letrade_cli.core.tick import Tick

NS_PER_US = 1_000
NS_PER_MS = 1_000_000


@dataclass(slots=True)
class SymbolStats:
    """What the table shows per symbol."""

    messages: int = 0
    first_price: float | None = None
    last: float | None = None
    bid: float | None = None
    ask: float | None = None
    last_channel: str = ""
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    def update(self, tick: Tick) -> None:
        """Fold one tick in (called on the hot path)."""
        self.messages += 1
        self.last_channel = tick.channel
        if tick.bid is not None:
            self.bid = tick.bid
            self.ask = tick.ask
        if tick.last is not None:
            self.last = tick.last
        if self.first_price is None:
            self.first_price = tick.price

    @property
    def change_pct(self) -> float | None:
        """Change since the first price we saw, in percent."""
        now = self.last if self.last is not None else _mid(self.bid, self.ask)
        if self.first_price in (None, 0) or now is None:
            return None
        return (now / self.first_price - 1.0) * 100.0


def _mid(bid: float | None, ask: float | None) -> float | None:
    return (bid + ask) / 2 if bid is not None and ask is not None else None


@dataclass(slots=True)
class StreamStats:
    """Everything counted about one stream. Written on the hot path, read by the UI."""

    messages: int = 0
    control_frames: int = 0
    decode_errors: int = 0
    exchange_errors: int = 0
    last_exchange_error: str = ""
    connects: int = 0
    reconnects: int = 0
    connect_failures: int = 0
    stalls: int = 0
    proactive_reconnects: int = 0
    gaps: int = 0
    missing: int = 0
    rest_requests: int = 0
    rest_errors: int = 0
    rest_ticks: int = 0
    rest_weight_used: int | None = None
    source: str = "stream"
    source_switches: int = 0
    connection_state: str = "starting"
    backend: str = ""
    decode_to_cache: LatencyHistogram = field(default_factory=LatencyHistogram)
    exchange_to_receive: LatencyHistogram = field(default_factory=LatencyHistogram)
    symbols: dict[str, SymbolStats] = field(default_factory=dict)
    started_mono: float = field(default_factory=time.monotonic)
    _rate_mark: tuple[float, int] = (0.0, 0)
    _rate: float = 0.0

    def symbol(self, name: str) -> SymbolStats:
        """Per-symbol stats, created on first use."""
        stats = self.symbols.get(name)
        if stats is None:
            stats = self.symbols[name] = SymbolStats()
        return stats

    def message_rate(self, now: float | None = None, window_s: float = 1.0) -> float:
        """Messages per second over the last ``window_s`` (sampled, not per message)."""
        now = time.monotonic() if now is None else now
        mark_time, mark_count = self._rate_mark
        if mark_time == 0.0:
            self._rate_mark = (self.started_mono, 0)
            mark_time, mark_count = self._rate_mark
        elapsed = now - mark_time
        if elapsed >= window_s:
            self._rate = (self.messages - mark_count) / elapsed
            self._rate_mark = (now, self.messages)
        return self._rate

    def elapsed_s(self) -> float:
        """Seconds since the stream started."""
        return time.monotonic() - self.started_mono

    def snapshot(self, cache_stats: dict[str, Any] | None = None) -> dict[str, Any]:
        """A JSON-ready summary (latencies in microseconds)."""
        elapsed = max(self.elapsed_s(), 1e-9)
        return {
            "elapsed_s": round(elapsed, 3),
            "messages": self.messages,
            "msgs_per_s": round(self.messages / elapsed, 1),
            "decode_errors": self.decode_errors,
            "exchange_errors": self.exchange_errors,
            "connects": self.connects,
            "reconnects": self.reconnects,
            "connect_failures": self.connect_failures,
            "stalls": self.stalls,
            "gaps": self.gaps,
            "missing": self.missing,
            "rest_requests": self.rest_requests,
            "rest_errors": self.rest_errors,
            "rest_weight_used": self.rest_weight_used,
            "source": self.source,
            "source_switches": self.source_switches,
            "connection_state": self.connection_state,
            "backend": self.backend,
            "latency_us": {
                "decode_to_cache": latency_summary_us(self.decode_to_cache),
                "exchange_to_receive": latency_summary_us(self.exchange_to_receive),
            },
            "cache": cache_stats or {},
            "symbols": {
                name: {
                    "messages": s.messages,
                    "last": s.last,
                    "bid": s.bid,
                    "ask": s.ask,
                    "change_pct": _round(s.change_pct, 4),
                    "latency_us": latency_summary_us(s.latency),
                }
                for name, s in sorted(self.symbols.items())
            },
        }


def latency_summary_us(hist: LatencyHistogram) -> dict[str, float | int | None]:
    """p50/p90/p99/p99.9/max in microseconds, or None when nothing was recorded."""
    if hist.count == 0:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "p99_9": None, "max": None}
    return {
        "count": hist.count,
        "p50": round(hist.percentile(50) / NS_PER_US, 1),
        "p90": round(hist.percentile(90) / NS_PER_US, 1),
        "p99": round(hist.percentile(99) / NS_PER_US, 1),
        "p99_9": round(hist.percentile(99.9) / NS_PER_US, 1),
        "max": round(hist.max / NS_PER_US, 1),
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
