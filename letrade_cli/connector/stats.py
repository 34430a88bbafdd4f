"""Counters and latency histograms for one stream, shared by the pipeline, supervisor and UI."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from letrade_cli.core.histogram import LatencyHistogram
from letrade_cli.core.stall import GapEstimator
from letrade_cli.core.tick import Tick

NS_PER_US = 1_000
NS_PER_MS = 1_000_000
DECODE_SAMPLE_EVERY = 8  # see connector.pipeline


@dataclass(slots=True)
class SymbolStats:
    """What the table shows per symbol: the latest tick per channel and a latency histogram.

    The hot path only stores the tick; prices are derived when someone reads them.
    """

    messages: int = 0
    latest: dict[str, Tick] = field(default_factory=dict)
    first_price: float | None = None
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    feed: GapEstimator | None = None  # this symbol's rhythm on the stream (None: no frame yet)
    updated_ns: int = 0  # its last REST update (the stream's is feed.last_ns)
    change_24h_pct: float | None = None  # the venue's own 24 h change (REST, every 30 s)

    def age_s(self, now_ns: int) -> float | None:
        """Seconds since this symbol's last update (stream or REST), None before the first."""
        stamp = max(self.updated_ns, self.feed.last_ns if self.feed is not None else 0)
        return None if not stamp else max(0.0, (now_ns - stamp) / 1e9)

    def is_stale(self, now_ns: int, warmup: int = 8) -> bool:
        """Its stream has been silent past its own threshold (see ``core.stall``).

        Until ``warmup`` gaps are learnt the ceiling applies, so a young symbol cannot flap.
        """
        feed = self.feed
        if feed is None or not feed.last_ns:
            return False
        limit = feed.threshold_ns() if feed.samples >= warmup else feed.ceiling_ns
        return now_ns - feed.last_ns > limit

    @property
    def last(self) -> float | None:
        """Last traded price (trade, aggTrade, kline, ticker or REST), newest first."""
        for channel in ("trade", "aggTrade", "ticker", "kline_1m", "rest"):
            tick = self.latest.get(channel)
            if tick is not None and tick.last is not None:
                return tick.last
        return None

    def _book(self) -> Tick | None:
        ticks = [t for t in self.latest.values() if t.bid is not None and t.ask is not None]
        return max(ticks, key=lambda t: t.recv_ns) if ticks else None

    @property
    def bid(self) -> float | None:
        """Best bid from the freshest channel that carries one."""
        book = self._book()
        return book.bid if book else None

    @property
    def ask(self) -> float | None:
        """Best ask from the freshest channel that carries one."""
        book = self._book()
        return book.ask if book else None

    @property
    def change_pct(self) -> float | None:
        """Change since the first price we read, in percent."""
        now = self.last if self.last is not None else _mid(self.bid, self.ask)
        if now is None:
            return None
        if self.first_price is None:
            self.first_price = now
        if self.first_price == 0:
            return None
        return (now / self.first_price - 1.0) * 100.0


def _mid(bid: float | None, ask: float | None) -> float | None:
    return (bid + ask) / 2 if bid is not None and ask is not None else None


@dataclass(slots=True)
class StreamStats:
    """Everything counted about one stream. Written on the hot path, read by the UI."""

    frames: int = 0
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
    symbols: dict[str, SymbolStats] = field(default_factory=dict)
    started_mono: float = field(default_factory=time.monotonic)
    _rate_marks: deque[tuple[float, int]] = field(default_factory=deque)

    def symbol(self, name: str) -> SymbolStats:
        """Per-symbol stats, created on first use."""
        stats = self.symbols.get(name)
        if stats is None:
            stats = self.symbols[name] = SymbolStats()
        return stats

    def message_rate(self, now: float | None = None, window_s: float = 5.0) -> float:
        """Messages per second over the last ``window_s`` (a sliding window).

        Each call adds one sample, so a 4 Hz display does not swing with every burst.
        """
        now = time.monotonic() if now is None else now
        marks = self._rate_marks
        if not marks:
            marks.append((self.started_mono, 0))
        marks.append((now, self.messages))
        while len(marks) > 2 and now - marks[1][0] >= window_s:
            marks.popleft()
        first_t, first_n = marks[0]
        elapsed = now - first_t
        return (self.messages - first_n) / elapsed if elapsed > 0 else 0.0

    @property
    def messages(self) -> int:
        """Frames that became ticks (every frame is counted once; the rest are derived)."""
        return self.frames - self.control_frames - self.decode_errors - self.exchange_errors

    def exchange_to_receive(self) -> LatencyHistogram:
        """Exchange event -> our receive, all symbols (merged from the per-symbol histograms)."""
        merged = LatencyHistogram()
        for stats in self.symbols.values():
            merged.merge(stats.latency)
        return merged

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
                "exchange_to_receive": latency_summary_us(self.exchange_to_receive()),
                "decode_to_cache_sampling": f"1 in {DECODE_SAMPLE_EVERY}",
            },
            "cache": cache_stats or {},
            "symbols": {
                name: {
                    "messages": s.messages,
                    "last": s.last,
                    "bid": s.bid,
                    "ask": s.ask,
                    "change_pct": _round(s.change_pct, 4),
                    "change_24h_pct": _round(s.change_24h_pct, 4),
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
