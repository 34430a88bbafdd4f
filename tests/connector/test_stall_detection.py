"""Stalls judged against the feed's own rhythm, against the embedded exchange on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

from letrade_cli.connector.service import StreamService
from letrade_cli.core.tick import Tick
from letrade_cli.sim.server import SimExchange
from tests.connector.conftest import fast_settings
from tests.connector.test_stream_service import TIMEOUT, collect

# Far below the 10 s stall_timeout_s ceiling: a detection by the ceiling would time out.
BUSY_FEED_DEADLINE_S = 3.0


async def test_a_busy_feed_stall_is_seen_long_before_the_timeout_and_rest_fills(
    sim: SimExchange,
) -> None:
    settings = fast_settings(sim)
    settings.connection.stall_timeout_s = 10.0
    settings.rest.poll_interval_s = 1.0
    async with StreamService(settings) as service:
        supervisor = service.supervisor
        assert supervisor is not None
        await supervisor.wait_live(TIMEOUT)
        await collect(service, lambda t: t.channel != "rest", count=300)  # learn the rhythm
        assert service.pipeline.feed.threshold_ns() < 1_000_000_000
        rest_ticks: asyncio.Queue[Tick] = asyncio.Queue()
        service.bus.subscribe(lambda t: rest_ticks.put_nowait(t) if t.channel == "rest" else None)

        sim.pause_stream()
        await supervisor.wait_until(lambda: service.stats.stalls >= 1, BUSY_FEED_DEADLINE_S)
        assert 0.4 < supervisor.last_stall_silence_s < 1.0
        tick = await asyncio.wait_for(rest_ticks.get(), BUSY_FEED_DEADLINE_S)
        assert tick.symbol in ("BTCUSDT", "ETHUSDT") and tick.bid is not None
        assert service.stats.rest_ticks >= 1
        now = time.time_ns()
        stale = [s for s in ("BTCUSDT", "ETHUSDT") if service.stats.symbols[s].is_stale(now)]
        assert stale  # the stream is silent for them, REST or not

        sim.resume_stream()
        await supervisor.wait_until(
            lambda: supervisor.is_live and service.stats.source == "stream", TIMEOUT
        )
        await collect(service, lambda t: t.channel != "rest", count=50)
        now = time.time_ns()
        assert not any(service.stats.symbols[s].is_stale(now) for s in ("BTCUSDT", "ETHUSDT"))
        assert service.summary()["stalls"] >= 1


async def test_a_short_cut_is_bridged_without_rest(sim: SimExchange) -> None:
    """A drop that reconnects at once does not send readers to REST (grace from the last frame)."""
    settings = fast_settings(sim)
    settings.rest.poll_interval_s = 2.0
    async with StreamService(settings) as service:
        supervisor = service.supervisor
        assert supervisor is not None
        await supervisor.wait_live(TIMEOUT)
        await sim.drop_connections()
        await supervisor.wait_until(
            lambda: service.stats.reconnects >= 1 and supervisor.is_live, TIMEOUT
        )
        assert service.stats.rest_ticks == 0


async def test_the_24h_change_is_the_venues_own(sim: SimExchange) -> None:
    import aiohttp

    for venue, symbol, url, field, scale in (
        ("binance", "BTCUSDT", "/api/v3/ticker/24hr?symbol=BTCUSDT", "priceChangePercent", 1),
        ("upbit", "KRW-BTC", "/v1/ticker?markets=KRW-BTC", "signed_change_rate", 100),
    ):
        async with StreamService(fast_settings(sim, venue=venue)) as service:
            supervisor = service.supervisor
            assert supervisor is not None
            await supervisor.wait_until(
                lambda s=symbol: service.stats.symbol(s).change_24h_pct is not None, TIMEOUT
            )
            async with aiohttp.ClientSession() as http, http.get(sim.rest_url + url) as resp:
                body = await resp.json()
            row = body[0] if isinstance(body, list) else body
            venue_pct = float(row[field]) * scale
            assert abs(service.stats.symbols[symbol].change_24h_pct - venue_pct) < 0.5  # type: ignore[operator]
            assert service.summary()["symbols"][symbol]["change_24h_pct"] is not None


def test_a_symbol_seen_first_over_rest_still_streams() -> None:
    """REST (or the 24 h poll) may create a symbol's stats before its first frame."""
    from letrade_cli.connector.pipeline import IngestPipeline
    from letrade_cli.venues.binance import BinanceDialect

    pipeline = IngestPipeline.for_venue(BinanceDialect(), "binance")
    pipeline.ingest_tick(Tick("binance", "BTCUSDT", "rest", 1.0, 2.0, None, 1.0, 0, 5))
    frame = b'{"u":7,"s":"BTCUSDT","b":"1.5","B":"1","a":"1.6","A":"1"}'
    published: list[Tick] = []
    pipeline.bus.subscribe(published.append)
    pipeline.on_frame(frame, 10)
    assert [t.channel for t in published] == ["bookTicker"]
    assert pipeline.stats.symbols["BTCUSDT"].feed is not None


async def test_a_quiet_feed_is_not_declared_stalled(sim: SimExchange) -> None:
    """A 1 msg/s feed (@ticker) is judged by its own rhythm: no stall at the 0.5 s floor."""
    settings = fast_settings(sim)
    settings.channels = ["ticker"]
    settings.connection.stall_timeout_s = 10.0
    async with StreamService(settings) as service:
        supervisor = service.supervisor
        assert supervisor is not None
        await collect(service, lambda t: t.channel == "ticker", count=8)
        now = time.time_ns()
        assert service.stats.stalls == 0 and service.stats.reconnects == 0
        assert not any(service.stats.symbols[s].is_stale(now) for s in ("BTCUSDT", "ETHUSDT"))
        assert service.pipeline.feed.threshold_ns() > 1_000_000_000


def test_a_steady_feed_is_learnt_from_sampled_gaps_and_its_silence_is_exact() -> None:
    """The estimators learn one gap in eight (after the first few) and still get the rhythm."""
    from letrade_cli.connector.pipeline import IngestPipeline
    from letrade_cli.venues.binance import BinanceDialect

    pipeline = IngestPipeline.for_venue(BinanceDialect(), "binance")
    gap_ns = 10_000_000
    stamps = [1_000_000_000 + i * gap_ns for i in range(2000)]
    for i, stamp in enumerate(stamps):
        pipeline.on_frame(b'{"u":%d,"s":"BTCUSDT","b":"1.5","B":"1","a":"1.6","A":"1"}' % i, stamp)
    symbol_feed = pipeline.stats.symbols["BTCUSDT"].feed
    assert symbol_feed is not None
    for feed in (pipeline.feed, symbol_feed):
        assert feed.last_ns == stamps[-1]  # every frame stamps the silence clock
        assert abs(feed.gap_ns - gap_ns) < gap_ns * 0.01
        assert 16 + 1900 // 8 <= feed.samples < 16 + 2000 // 8
    # Silence is judged against that rhythm: 0.4 s of it is fine, 0.6 s is a stall (the floor).
    assert not pipeline.feed.is_stalled(stamps[-1] + 400_000_000)
    assert pipeline.feed.is_stalled(stamps[-1] + 600_000_000)
