from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import aiohttp
import orjson
import pytest

from letrade_cli.sim.server import SimConfig, SimExchange


async def test_drop_connections_and_stats(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    url = sim.ws_url + "/ws/btcusdt@bookTicker"
    a = await http.ws_connect(url)
    b = await http.ws_connect(sim.ws_url + "/stream?streams=ethusdt@trade")
    await sim.wait_for_connections(2, timeout=5.0)
    await asyncio.wait_for(a.receive(), 3)
    stats = sim.stats
    assert stats.ws_connections == 2 and stats.ws_connections_total == 2
    assert sorted(map(sorted, stats.subscriptions.values())) == [
        ["btcusdt@bookTicker"],
        ["ethusdt@trade"],
    ]
    assert stats.frames_sent >= 1
    assert await sim.drop_connections() == 2
    assert sim.stats.ws_connections == 0
    for ws in (a, b):
        async with asyncio.timeout(3):
            while (await ws.receive()).type not in (
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                pass
        await ws.close()
    assert await sim.drop_connections() == 0


async def test_pause_and_resume(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(sim.ws_url + "/ws/btcusdt@bookTicker") as ws:
        await asyncio.wait_for(ws.receive(), 3)
        sim.pause_stream()
        # drain what was already in flight, then expect silence
        with pytest.raises(TimeoutError):
            while True:
                await asyncio.wait_for(ws.receive(), 0.3)
        assert sim.stats.ws_connections == 1
        sim.resume_stream()
        msg = await asyncio.wait_for(ws.receive(), 3)
        assert msg.type is aiohttp.WSMsgType.TEXT


async def test_ws_unavailable(sim: SimExchange, http: aiohttp.ClientSession) -> None:
    ws = await http.ws_connect(sim.ws_url + "/ws/btcusdt@trade")
    await sim.wait_for_connections(1)
    sim.set_ws_available(False)
    assert sim.stats.ws_connections == 0
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await http.ws_connect(sim.ws_url + "/ws/btcusdt@trade")
    assert info.value.status == 503
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await http.ws_connect(sim.ws_url + "/websocket/v1")
    await ws.close()
    sim.set_ws_available(True)
    async with http.ws_connect(sim.ws_url + "/ws/btcusdt@trade") as again:
        await asyncio.wait_for(again.receive(), 3)


async def test_wait_for_connections_times_out(sim: SimExchange) -> None:
    with pytest.raises(TimeoutError):
        await sim.wait_for_connections(1, timeout=0.05)


async def test_two_hundred_symbols_and_markets(http: aiohttp.ClientSession) -> None:
    async with SimExchange(SimConfig(rate=5000.0)) as sim:
        symbols = sim.markets("binance")[:200]
        assert len(set(symbols)) == 200 and "ETHBTC" in sim.markets("binance")
        assert "KRW-BTC" in sim.markets("upbit")
        streams = "/".join(f"{s.lower()}@bookTicker" for s in symbols)
        seen: set[str] = set()
        async with http.ws_connect(f"{sim.ws_url}/stream?streams={streams}") as ws:
            async with asyncio.timeout(10):
                while len(seen) < 150:
                    seen.add(orjson.loads((await ws.receive()).data)["stream"])
        assert len(seen) >= 150


def test_cli_prints_json_line_and_exits_130() -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "letrade_cli", "sim", "--port", "0", "--rate", "200", "--seed", "7"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert set(line) == {"ws_url", "rest_url", "port"} and line["port"] > 0
        assert line["rest_url"] == f"http://127.0.0.1:{line['port']}"
        import urllib.request

        with urllib.request.urlopen(line["rest_url"] + "/api/v3/ping", timeout=5) as resp:
            assert resp.status == 200 and json.loads(resp.read()) == {}
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err and out == ""
