"""The ingest hot path: frame -> Tick -> PriceCache -> bus, with latency and gap accounting."""

from __future__ import annotations

import time
from time import perf_counter_ns

from letrade_cli.connector.stats import (
    DECODE_SAMPLE_EVERY,
    NS_PER_MS,
    StreamStats,
    SymbolStats,
)
from letrade_cli.core.bus import Bus
from letrade_cli.core.cache import PriceCache
from letrade_cli.core.errors import DecodeError, ExchangeRejectedError
from letrade_cli.core.gaps import GapDetector
from letrade_cli.core.stall import GapEstimator
from letrade_cli.core.tick import Tick
from letrade_cli.venues.base import Dialect, FrameDecoder

# Channels whose event time is when the exchange produced the event. Never @ticker (a 1 s
# statistics stream) or klines (their E is the push time of a rolling candle).
LATENCY_CHANNELS = frozenset({"trade", "aggTrade", "bookTicker", "orderbook"})


# A symbol is judged by its own rhythm up to this many stall_timeout_s: an illiquid symbol that
# trades every few seconds must not be marked stale at every longer pause (the connection as a
# whole still reconnects after stall_timeout_s of silence).
SYMBOL_CEILING_FACTOR = 6.0

# decode->cache is timed on one message in DECODE_SAMPLE_EVERY: two clock reads and a record
# cost about as much as the cache put they measure; a 1-in-8 sample still gives sound percentiles.
SAMPLE_MASK = DECODE_SAMPLE_EVERY - 1  # a power of two
# The gap estimators (core.stall) learn from the same one message in eight; every message still
# stamps the feed's last arrival, so silence is measured exactly. A sampled gap is still the gap
# between two consecutive messages, so the estimate keeps its mean and spread; it reacts over 8x
# more messages, which at any rate that matters is well under a second. A feed learns every gap
# of its first LEARN_ALL_FIRST messages, so a slow one does not sit on its ceiling for long.
LEARN_ALL_FIRST = 16


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
        *,
        stall_floor_s: float = 0.5,
        stall_ceiling_s: float = 10.0,
        stall_factor: float = 5.0,
    ) -> None:
        self.decoder = decoder
        self.cache = cache
        self.bus = bus
        self.stats = stats
        self.gaps = gaps if gaps is not None else GapDetector()
        self.contiguous_channels = contiguous_channels
        self.stall_floor_s = stall_floor_s
        self.stall_ceiling_s = stall_ceiling_s
        self.stall_factor = stall_factor
        # The connection's rhythm: every frame counts, whatever it decodes to.
        self.feed = self.new_feed()
        self._observe = self.feed.observe
        # Bound once: each saves an attribute lookup per message.
        self._decode = decoder.decode
        self._put = cache.put
        self._publish = bus.publish

    def on_frame(self, frame: bytes | str, recv_ns: int) -> None:
        """Decode one frame and publish its tick; never raises for bad frames (they are counted).

        ``recv_ns`` (wall clock) doubles as the cache's clock, so the hot path reads no clock
        except on sampled frames.
        """
        stats = self.stats
        stats.frames = frames = stats.frames + 1
        # One frame in DECODE_SAMPLE_EVERY is timed (decode->cache) and teaches the connection's
        # gap estimator; the others only stamp its last arrival (see LEARN_ALL_FIRST).
        if frames & SAMPLE_MASK and frames > LEARN_ALL_FIRST:
            self.feed.last_ns = recv_ns
            start = 0
        else:
            self._observe(recv_ns)
            start = perf_counter_ns()
        try:
            tick = self._decode(frame, recv_ns)
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
        symbol = tick.symbol
        event_ms = tick.event_time_ms
        seq = tick.seq
        # The decoders' slow paths copy JSON values as they come; a frame whose symbol, time or
        # sequence is not of the right type ("s":[] or "E":[null]) must be a counted decode
        # error, not a TypeError in the cache or the histogram (found by fuzzing).
        if type(symbol) is not str or type(event_ms) is not int or type(seq) is not int:
            stats.decode_errors += 1
            return
        self._put(symbol, tick, recv_ns)
        if start:
            stats.decode_to_cache.record(perf_counter_ns() - start)
        # One lookup for all of the symbol's state; its first frame takes the slow branch.
        symbol_stats = stats.symbols.get(symbol)
        if symbol_stats is None or symbol_stats.feed is None:
            symbol_stats = self._first_frame(symbol, tick)
        symbol_stats.messages = messages = symbol_stats.messages + 1
        feed: GapEstimator = symbol_stats.feed  # type: ignore[assignment]  # set by _first_frame
        if messages & SAMPLE_MASK and messages > LEARN_ALL_FIRST:
            feed.last_ns = recv_ns
        else:
            feed.observe(recv_ns)
        channel = tick.channel
        symbol_stats.latest[channel] = tick
        if event_ms and channel in LATENCY_CHANNELS:
            symbol_stats.latency.record(recv_ns - event_ms * NS_PER_MS)
        if channel in self.contiguous_channels:
            gaps = self.gaps
            if gaps.observe((symbol, channel), seq, True):
                stats.gaps = gaps.gaps
                stats.missing = gaps.missing
        self._publish(tick)

    def _first_frame(self, symbol: str, tick: Tick) -> SymbolStats:
        """A symbol's first frame: its stats (REST or the 24 h poll may have made them) and feed."""
        symbol_stats = self.stats.symbol(symbol)
        if symbol_stats.feed is None:
            symbol_stats.feed = self.new_feed(SYMBOL_CEILING_FACTOR)
            if symbol_stats.first_price is None:
                symbol_stats.first_price = tick.price
        return symbol_stats

    def new_feed(self, ceiling_factor: float = 1.0) -> GapEstimator:
        """A gap estimator with this pipeline's stall floor, factor and (scaled) ceiling."""
        return GapEstimator(
            floor_s=self.stall_floor_s,
            ceiling_s=self.stall_ceiling_s * ceiling_factor,
            factor=self.stall_factor,
        )

    @classmethod
    def for_venue(
        cls,
        dialect: Dialect,
        venue: str,
        *,
        max_symbols: int = 1000,
        ttl_ms: int = 500,
        stall_floor_s: float = 0.5,
        stall_ceiling_s: float = 10.0,
        stall_factor: float = 5.0,
    ) -> IngestPipeline:
        """The pipeline `letrade stream` runs (also what the ingest benchmark measures)."""
        # The cache runs on wall-clock ns, the transport's receive stamp, so puts read no clock.
        cache = PriceCache(max_size=max_symbols, ttl_ns=ttl_ms * NS_PER_MS, clock=time.time_ns)
        return cls(
            dialect.decoder(venue),
            cache,
            Bus(),
            StreamStats(),
            contiguous_channels=frozenset(dialect.contiguous_channels),
            stall_floor_s=stall_floor_s,
            stall_ceiling_s=stall_ceiling_s,
            stall_factor=stall_factor,
        )

    def ingest_tick(self, tick: Tick) -> None:
        """Publish a tick that did not come off the WebSocket (the REST fallback)."""
        self.cache.put(tick.symbol, tick, tick.recv_ns)
        symbol_stats = self.stats.symbol(tick.symbol)
        symbol_stats.latest[tick.channel] = tick
        symbol_stats.updated_ns = max(symbol_stats.updated_ns, tick.recv_ns)
        self.bus.publish(tick)
