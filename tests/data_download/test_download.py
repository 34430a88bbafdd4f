"""`letrade data download` against the embedded sim on 127.0.0.1: rows equal the sim's REST."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from letrade_cli.connector.pacer import Pacer
from letrade_cli.data.download import Downloader, Job, date_range
from letrade_cli.data.store import Store
from letrade_cli.sim.server import SimConfig, SimExchange
from letrade_cli.venues.base import RateLimit
from letrade_cli.venues.registry import venue_spec

DAY_MS = 86_400_000


@pytest.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(SimConfig(rate=2000.0, seed=7, port=0)) as exchange:
        yield exchange


def _job(sim: SimExchange, root: Path, kind: str, start: str, end: str) -> Job:
    lo, hi = date_range(start, end)
    return Job(venue_spec("sim"), kind, ["BTCUSDT"], lo, hi, Store(root), sim.rest_url)


async def _sim_klines(sim: SimExchange, start_ms: int, end_ms: int) -> list[list[Any]]:
    rows: list[list[Any]] = []
    async with aiohttp.ClientSession() as http:
        at = start_ms
        while at < end_ms:
            url = (
                f"{sim.rest_url}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={at}"
                f"&endTime={end_ms - 1}&limit=1000"
            )
            async with http.get(url) as resp:
                page = await resp.json()
            rows.extend(page)
            at = page[-1][0] + 60_000
    return rows


async def test_candles_equal_the_sims_and_rerun_skips(sim: SimExchange, tmp_path: Path) -> None:
    job = _job(sim, tmp_path, "candles_1m", "2026-11-01", "2026-11-03")
    summary = await Downloader(job).run()
    assert (summary.written, summary.rows) == (2, 2 * 1440)
    got = Store(tmp_path).read("sim", "candles_1m", ["BTCUSDT"]).to_pylist()
    want = await _sim_klines(sim, job.start_ns // 1_000_000, job.end_ns // 1_000_000)
    assert len(got) == len(want) == 2880
    for row, bar in zip(got, want, strict=True):
        assert row["ts"].timestamp() * 1000 == bar[0]
        assert (row["open"], row["high"], row["low"], row["close"], row["volume"]) == tuple(
            Decimal(v) for v in bar[1:6]
        )
        assert row["trades"] == bar[8]
    again = await Downloader(_job(sim, tmp_path, "candles_1m", "2026-11-01", "2026-11-03")).run()
    assert (again.skipped, again.written, again.requests) == (2, 0, 0)


async def test_aggtrades_and_trades_of_today_are_partial(sim: SimExchange, tmp_path: Path) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(sim.ws_url + "/stream?streams=btcusdt@trade/btcusdt@aggTrade") as ws,
    ):  # a subscriber makes the market trade; wait (bounded) until the tape holds trades
        await asyncio.wait_for(ws.receive(), 10)
        for _ in range(200):
            async with http.get(f"{sim.rest_url}/api/v3/aggTrades?symbol=BTCUSDT") as resp:
                if len(await resp.json()) >= 20:
                    break
            await asyncio.sleep(0.05)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86_400))
    for kind, key, path in (
        ("aggtrades", "agg_id", "aggTrades"),
        ("trades", "trade_id", "historicalTrades"),
    ):
        summary = await Downloader(_job(sim, tmp_path, kind, today, tomorrow)).run()
        assert summary.partial == 1 and summary.rows > 0
        files = Store(tmp_path).files("sim", kind)
        assert [f.path.name for f in files] == ["partial.parquet"]
        got = Store(tmp_path).read("sim", kind, ["BTCUSDT"]).to_pylist()
        ids = [r[key] for r in got]
        assert len(ids) == len(set(ids))
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{sim.rest_url}/api/v3/{path}?symbol=BTCUSDT&fromId={min(ids)}&limit=1000"
            ) as resp,
        ):
            served = {(r.get("a", r.get("id"))): r for r in await resp.json()}
        for r in got:
            row = served[r[key]]
            assert r["price"] == Decimal(row.get("p", row.get("price")))
            assert r["size"] == Decimal(row.get("q", row.get("qty")))


async def test_pacing_follows_the_weight_header(sim: SimExchange, tmp_path: Path) -> None:
    clock = [time.time()]

    async def sleep(s: float) -> None:
        clock[0] += s

    async with aiohttp.ClientSession() as http:  # another client spends weight first
        for _ in range(2):
            async with http.get(f"{sim.rest_url}/api/v3/exchangeInfo") as resp:
                assert resp.status == 200
    limits = [RateLimit("request_weight", 44, 60.0)]
    pacer = Pacer(limits, clock=lambda: clock[0], sleep=sleep, max_wait_s=120.0)
    job = _job(sim, tmp_path, "candles_1m", "2026-11-01", "2026-11-03")
    downloader = Downloader(job, pacer=pacer, sleep=sleep)
    summary = await downloader.run()
    assert summary.written == 2
    assert pacer.waits >= 1  # 40 reported by the header + 2 per klines call > 44
    assert downloader.client.refusals == 0


async def _lines(proc: asyncio.subprocess.Process, want: str) -> list[str]:
    seen = []
    assert proc.stdout is not None
    while True:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        if not line:
            return seen
        seen.append(line)
        if want in line:
            return seen


async def test_sigkill_midway_then_resume_without_duplicates(
    sim: SimExchange, tmp_path: Path
) -> None:
    args = [
        sys.executable, "-m", "letrade_cli", "data", "download", "--venue", "sim",
        "--rest-url", sim.rest_url, "--symbols", "BTCUSDT", "--kind", "candles:1m",
        "--from", "2026-10-01", "--to", "2026-10-21", "--store", str(tmp_path),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    await _lines(proc, "written")
    proc.send_signal(signal.SIGKILL)
    await asyncio.wait_for(proc.wait(), 30)
    before = len(Store(tmp_path).files("sim", "candles_1m"))
    assert 1 <= before < 20
    again = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, _ = await asyncio.wait_for(again.communicate(), 120)
    assert again.returncode == 0
    assert out.decode().count("skipped") >= before
    data = Store(tmp_path).read("sim", "candles_1m", ["BTCUSDT"])
    ts = data.column("ts").to_pylist()
    assert len(ts) == len(set(ts)) == 20 * 1440


@pytest.mark.parametrize(
    "args",
    [
        ["--kind", "candles:7x"],
        ["--kind", "ticks"],
        ["--from", "2026-11-05", "--to", "2026-11-01"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    base = ["data", "download", "--venue", "sim", "--symbols", "BTCUSDT", "--store", str(tmp_path)]
    dates = [] if "--from" in args else ["--from", "2026-11-01", "--to", "2026-11-02"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "letrade_cli", *base, *dates, *args],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2
    assert not list(tmp_path.iterdir())


async def test_unknown_symbol_and_network_down(sim: SimExchange, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    common = ["data", "download", "--symbols", "NOPEUSDT", "--from", "2026-11-01"]
    for url, code, text in ((sim.rest_url, 2, "no market"), ("http://127.0.0.1:9", 4, "reach")):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "letrade_cli", *common, "--to", "2026-11-02", "--venue", "sim",
            "--rest-url", url, "--store", str(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == code
        assert text in err.decode() and "Traceback" not in err.decode()
