"""The connector against the embedded exchange over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket

import pytest

from letrade_cli.config.stream import ConnectionSettings, EndpointSettings, StreamSettings
from letrade_cli.connector.service import StreamService
from letrade_cli.core.errors import NetworkUnavailableError, UnknownSymbolError
from letrade_cli.core.tick import Tick
from letrade_cli.sim.server import SimExchange
from tests.connector.conftest import fast_settings

TIMEOUT = 10.0


async def collect(service: StreamService, predicate, count: int = 1) -> list[Tick]:  # type: ignore[no-untyped-def]
    """Await ``count`` ticks matching ``predicate`` from the bus."""
    queue = service.bus.subscribe_queue()
    seen: list[Tick] = []

    async def _collect() -> None:
        while len(seen) < count:
            tick = await queue.get()
            if predicate(tick):
                seen.append(tick)

    await asyncio.wait_for(_collect(), TIMEOUT)
    return seen


@pytest.mark.parametrize("backend", ["picows", "websockets"])
async def test_binance_dialect_ticks_flow_from_sim(sim: SimExchange, backend: str) -> None:
    async with StreamService(fast_settings(sim), backend=backend) as service:
        assert service.supervisor is not None
        await service.supervisor.wait_live(TIMEOUT)
        ticks = await collect(service, lambda t: True, count=50)
        assert {t.symbol for t in ticks} <= {"BTCUSDT", "ETHUSDT"}
        channels = {t.channel for t in ticks}
        assert channels <= {"bookTicker", "trade"}
        for tick in ticks:
            assert tick.venue == "binance"
            assert tick.recv_ns > 0
            if tick.channel == "bookTicker":
                assert tick.bid is not None and tick.ask is not None and tick.bid < tick.ask
            else:
                assert tick.last is not None and tick.last > 0 and tick.event_time_ms > 0
        assert service.stats.backend == backend
        assert service.price(ticks[-1].symbol) is not None
        summary = service.summary()
        assert summary["messages"] >= 50
        # decode->cache is timed on 1 frame in 8 (see connector.pipeline.SAMPLE_EVERY)
        assert summary["latency_us"]["decode_to_cache"]["count"] >= summary["messages"] // 8 - 1
        assert summary["latency_us"]["exchange_to_receive"]["count"] >= 1  # from trades


async def test_upbit_dialect_ticks_flow_from_sim(sim: SimExchange) -> None:
    async with StreamService(fast_settings(sim, venue="upbit")) as service:
        ticks = await collect(service, lambda t: True, count=30)
        assert {t.symbol for t in ticks} <= {"KRW-BTC", "KRW-ETH"}
        assert {t.channel for t in ticks} <= {"orderbook", "trade", "bookTicker"}
        assert all(t.venue == "upbit" and t.event_time_ms > 0 for t in ticks)


async def test_drop_reconnects_resubscribes_and_counts_the_gap(sim: SimExchange) -> None:
    settings = fast_settings(sim)
    settings.connection.backoff_initial_s = 0.3
    settings.connection.backoff_max_s = 0.3
    async with StreamService(settings) as service:
        supervisor = service.supervisor
        assert supervisor is not None
        await supervisor.wait_live(TIMEOUT)
        await collect(service, lambda t: t.channel == "trade", count=5)
        frames_before = supervisor.subscribe_frames_sent
        assert await sim.drop_connections() >= 1
        await supervisor.wait_until(
            lambda: service.stats.reconnects >= 1 and supervisor.is_live, TIMEOUT
        )
        assert supervisor.subscribe_frames_sent > frames_before  # resubscribed
        await collect(service, lambda t: t.channel == "trade", count=5)  # data flows again
        await supervisor.wait_until(lambda: service.stats.gaps >= 1, TIMEOUT)
        assert service.stats.missing >= 1


async def test_stall_triggers_reconnect(sim: SimExchange) -> None:
    async with StreamService(fast_settings(sim)) as service:
        supervisor = service.supervisor
        assert supervisor is not None
        await supervisor.wait_live(TIMEOUT)
        sim.pause_stream()
        await supervisor.wait_until(lambda: service.stats.stalls >= 1, TIMEOUT)
        sim.resume_stream()
        await supervisor.wait_until(
            lambda: service.stats.reconnects >= 1 and supervisor.is_live, TIMEOUT
        )
        await collect(service, lambda t: True, count=5)


async def test_stream_down_breaker_opens_rest_serves_then_stream_returns(sim: SimExchange) -> None:
    async with StreamService(fast_settings(sim)) as service:
        supervisor = service.supervisor
        assert supervisor is not None
        await supervisor.wait_live(TIMEOUT)
        sim.set_ws_available(False)
        await supervisor.wait_until(lambda: service.stream_breaker.state == "open", TIMEOUT)
        rest_ticks = await collect(service, lambda t: t.channel == "rest", count=2)
        assert {t.symbol for t in rest_ticks} <= {"BTCUSDT", "ETHUSDT"}
        assert rest_ticks[0].bid is not None
        assert service.stats.source == "rest"
        assert service.price(rest_ticks[-1].symbol) is not None  # reads are served from REST
        sim.set_ws_available(True)
        await supervisor.wait_until(
            lambda: service.stream_breaker.state == "closed" and service.stats.source == "stream",
            TIMEOUT,
        )
        transitions = service.stream_breaker.transitions
        assert transitions["closed->open"] >= 1
        assert transitions["half_open->closed"] >= 1
        assert service.stats.source_switches >= 2
        await collect(service, lambda t: t.channel != "rest", count=5)


async def test_proactive_reconnect_before_the_connection_cap(sim: SimExchange) -> None:
    settings = fast_settings(sim)
    settings.connection.max_connection_age_s = 0.5
    async with StreamService(settings) as service:
        supervisor = service.supervisor
        assert supervisor is not None
        await supervisor.wait_until(lambda: service.stats.proactive_reconnects >= 2, TIMEOUT)
        assert service.stream_breaker.state == "closed"  # planned reconnects are not failures


async def test_resubscribing_many_symbols_stays_under_the_inbound_limit(sim: SimExchange) -> None:
    symbols = sim.markets("binance")[:150]
    settings = fast_settings(sim)
    settings.symbols = symbols
    settings.connection.inbound_msgs_per_s = 4.0
    async with StreamService(settings) as service:
        supervisor = service.supervisor
        assert supervisor is not None
        assert len(supervisor.subscribe_frames) >= 2  # 300 streams need more than one frame
        await supervisor.wait_live(TIMEOUT)
        for round_ in (1, 2):
            await sim.drop_connections()
            await supervisor.wait_until(
                lambda r=round_: service.stats.reconnects >= r and supervisor.is_live, TIMEOUT
            )
        reconnects = service.stats.reconnects
        assert reconnects == 2  # the sim would have cut us off past 5 msg/s, adding reconnects
        await collect(service, lambda t: True, count=20)


async def test_unknown_symbol_is_a_usage_error_with_a_suggestion(sim: SimExchange) -> None:
    settings = fast_settings(sim)
    settings.symbols = ["BTCUSDX"]
    with pytest.raises(UnknownSymbolError) as info:
        async with StreamService(settings):
            pass
    assert "BTCUSDX" in info.value.message
    assert "BTCUSDT" in (info.value.hint or "")


async def test_unreachable_venue_names_host_and_suggests_sim() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = StreamSettings(
        venue="binance",
        symbols=["BTCUSDT"],
        endpoints=EndpointSettings(
            ws_url=f"ws://127.0.0.1:{port}", rest_url=f"http://127.0.0.1:{port}"
        ),
        connection=ConnectionSettings(connect_timeout_s=1.0),
    )
    with pytest.raises(NetworkUnavailableError) as info:
        async with StreamService(settings):
            pass
    assert f"127.0.0.1:{port}" in info.value.message
    assert "--venue sim" in (info.value.hint or "")
