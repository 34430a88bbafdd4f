from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from letrade_cli.config.stream import (
    BreakerSettings,
    ConnectionSettings,
    EndpointSettings,
    RestSettings,
    StreamSettings,
)
from letrade_cli.sim.server import SimConfig, SimExchange


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(SimConfig(rate=1000.0, seed=11, host="127.0.0.1", port=0)) as exchange:
        yield exchange


def fast_settings(
    sim: SimExchange, *, venue: str = "binance", **overrides: object
) -> StreamSettings:
    """Settings pointed at the sim with short timers, so faults play out in about a second."""
    ws_url = sim.ws_url + ("/websocket/v1" if venue == "upbit" else "")
    settings = StreamSettings(
        venue=venue,
        symbols=["BTCUSDT", "ETHUSDT"] if venue != "upbit" else ["KRW-BTC", "KRW-ETH"],
        endpoints=EndpointSettings(ws_url=ws_url, rest_url=sim.rest_url),
        breaker=BreakerSettings(failure_threshold=2, reset_timeout_s=0.5),
        connection=ConnectionSettings(
            backoff_initial_s=0.05,
            backoff_max_s=0.2,
            stall_timeout_s=0.6,
            connect_timeout_s=2.0,
            inbound_msgs_per_s=4.0,
        ),
        rest=RestSettings(poll_interval_s=0.2, timeout_s=2.0),
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings.validate()
