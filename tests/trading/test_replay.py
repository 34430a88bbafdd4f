"""Replay sources: data-collector files from a directory and from S3 (moto), recorded frames."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from letrade_cli.core.errors import UsageError
from letrade_cli.core.tick import Tick
from letrade_cli.functions.data_collector import group_candles, store_lines
from letrade_cli.trading.replay import ReplaySource
from letrade_cli.trading.synthetic import write_collector_candles

DATA = Path(__file__).resolve().parents[1] / "data"


async def _collect(source: ReplaySource) -> list[Tick]:
    ticks: list[Tick] = []
    await source.start()
    source.bus.subscribe(ticks.append)

    async def step() -> None:
        return None

    await asyncio.wait_for(source.run(asyncio.Event(), step), 30)
    return ticks


async def test_collector_directory_in_time_order_across_markets(tmp_path: Path) -> None:
    write_collector_candles(tmp_path, markets=["BTCUSDT", "ETHUSDT"], minutes=1500)  # 2 days
    ticks = await _collect(ReplaySource(str(tmp_path)))
    assert len(ticks) == 3000
    assert [t.symbol for t in ticks[:4]] == ["BTCUSDT", "ETHUSDT", "BTCUSDT", "ETHUSDT"]
    stamps = [t.recv_ns for t in ticks]
    assert stamps == sorted(stamps)
    assert ticks[0].channel == "kline_1m" and ticks[0].event_time_ms == 1_763_769_660_000


async def test_symbols_filter_and_missing_data(tmp_path: Path) -> None:
    write_collector_candles(tmp_path, markets=["BTCUSDT", "ETHUSDT"], minutes=10)
    ticks = await _collect(ReplaySource(str(tmp_path), symbols=["ethusdt"]))
    assert {t.symbol for t in ticks} == {"ETHUSDT"}
    with pytest.raises(UsageError, match="no data-collector candle files"):
        await ReplaySource(str(tmp_path), symbols=["XRPUSDT"]).start()
    with pytest.raises(UsageError, match="no such file"):
        await ReplaySource(str(tmp_path / "nothing")).start()


async def test_recorded_frames_go_through_the_real_decoder() -> None:
    source = ReplaySource(str(DATA / "binance.ws.txt"))
    ticks = await _collect(source)
    assert source.venue == "binance"
    channels = {t.channel for t in ticks}
    assert {"bookTicker", "aggTrade"} <= channels
    book = next(t for t in ticks if t.channel == "bookTicker")
    assert book.symbol == "NKNUSDT" and book.bid == 0.3521 and book.ask == 0.3526
    assert source.stats.frames == 38
    upbit = ReplaySource(str(DATA / "upbit.ws.txt"))
    upbit_ticks = await _collect(upbit)
    assert upbit.venue == "upbit" and len(upbit_ticks) == 40


@pytest.fixture
def moto_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="letrade-data")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    try:
        yield client
    finally:
        server.stop()


async def test_s3_prefix_written_by_the_collector(moto_s3: Any) -> None:
    start = 1_763_769_600_000
    candles = [
        {
            "t": start + i * 60_000,
            "o": "1",
            "h": "2",
            "l": "0.5",
            "c": str(100 + i),
            "v": "3",
            "qv": "300",
        }
        for i in range(30)
    ]
    for key, lines in group_candles("candles", "upbit", "KRW-BTC", "1", candles).items():
        store_lines(moto_s3, "letrade-data", key, lines)
    source = ReplaySource("s3://letrade-data/candles")
    ticks = await _collect(source)
    assert source.venue == "upbit" and source.symbols == ["KRW-BTC"]
    assert [t.last for t in ticks] == [float(100 + i) for i in range(30)]


async def test_speed_paces_by_the_data_clock(tmp_path: Path) -> None:
    write_collector_candles(tmp_path, markets=["BTCUSDT"], minutes=3)
    source = ReplaySource(str(tmp_path), speed=1e9)
    assert len(await _collect(source)) == 3
    stop = asyncio.Event()
    slow = ReplaySource(str(tmp_path), speed=1.0)  # real time: 60 s between candles
    await slow.start()
    seen: list[Tick] = []
    slow.bus.subscribe(seen.append)

    async def step() -> None:
        stop.set()  # stop after the first tick; the pacing wait returns at once

    await asyncio.wait_for(slow.run(stop, step), 5)
    assert len(seen) == 1


async def test_a_bad_line_is_counted_not_fatal(tmp_path: Path) -> None:
    (path,) = write_collector_candles(tmp_path, markets=["BTCUSDT"], minutes=5)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "not json", '{"no":"t"}', *lines[1:]]) + "\n")
    source = ReplaySource(str(tmp_path))
    assert len(await _collect(source)) == 5
    assert source.stats.decode_errors == 2
