"""The ingest hot path: frame -> Tick -> PriceCache -> bus, with latency and gap accounting."""

from __future__ import annotations

import time

from letrade_cli.connector.stats import NS_PER_MS, StreamStats
from letrade_cli.core.bus import Bus
from letrade_cli.core.cache import PriceCache
from letrade_cli.core.gaps import GapDetector
from letrade_cli.core.tick import Tick
from letrade_cli.errors import DecodeError, ExchangeRejectedError
from letrade_cli.exchanges.base import FrameDecoder

# Channels whose event time is when the exchange produced the event. Never @ticker (a 1 s
# statistics stream) or klines (their E is the push time of a rolling candle).
LATENCY_CHANNELS = frozenset({"trade", "aggTrade", "bookTicker", "orderbook"})


class IngestPipeline:
    """Decodes frames and fans ticks out. ``on_frame`` is called by the transport per frame."""

    def __init__(
        self,
        decoder: FrameDecoder,
        cache: PriceCache,
        bus: Bus[Tick],
        stats: StreamStats,
        gaps: GapDetector | None = None,
        contiguous_channels: frozenset[str] = frozenset(),
    ) -> None:
        self.decoder = decoder
        self.cache = cache
        self.bus = bus
        self.stats = stats
        self.gaps = gaps if gaps is not None else GapDetector()
        self.contiguous_channels = contiguous_channels

    def on_frame(self, frame: bytes | str, recv_ns: int) -> None:
        """Decode one frame and publish its tick; never raises for bad frames (they are counted)."""
        stats = self.stats
        start = time.perf_counter_ns()
        try:
            tick = self.decoder.decode(frame, recv_ns)
        except DecodeError:
            stats.decode_errors += 1
            return
        except ExchangeRejectedError as exc:
            stats.exchange_errors += 1
            stats.last_exchange_error = str(exc)
            return
        if tick is None:
            stats.control_frames += 1
            return
        self.cache.put(tick.symbol, tick)
        stats.decode_to_cache.record(time.perf_counter_ns() - start)
        stats.messages += 1
        self._account(tick, recv_ns)
        self.bus.publish(tick)

    def ingest_tick(self, tick: Tick) -> None:
        """Publish a tick that did not come off the WebSocket (the REST fallback)."""
        self.cache.put(tick.symbol, tick)
        self.stats.symbol(tick.symbol).update(tick)
        self.bus.publish(tick)

    def _account(self, tick: Tick, recv_ns: int) -> None:
        symbol_stats = self.stats.symbols.get(tick.symbol)
        if symbol_stats is None:
            symbol_stats = self.stats.symbol(tick.symbol)
        symbol_stats.update(tick)
        channel = tick.channel
        if tick.event_time_ms and channel in LATENCY_CHANNELS:
            latency = recv_ns - tick.event_time_ms * NS_PER_MS
            self.stats.exchange_to_receive.record(latency)
            symbol_stats.latency.record(latency)
        if tick.seq >= 0:
            missing = self.gaps.observe(
                (tick.symbol, channel), tick.seq, channel in self.contiguous_channels
            )
            if missing:
                self.stats.gaps = self.gaps.gaps
                self.stats.missing = self.gaps.missing
