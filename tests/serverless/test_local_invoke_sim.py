"""``lambda-invoke --local data-collector`` against the embedded sim's Upbit REST and moto's S3."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.serverless.lambda_fixtures import requires_runtime

pytest.importorskip("letrade_cli.sim.server", reason="the embedded sim is not built yet")
pytestmark = requires_runtime("python3.12")  # the shipped profile's runtime

REPO = Path(__file__).resolve().parents[2]
LAMBDA_YAML = REPO / "letrade_cli" / "profiles" / "lambda.yaml"
BUCKET = "letrade-market-data"
MARKETS = "KRW-BTC,KRW-ETH,KRW-XRP"


@contextmanager
def running_sim() -> Iterator[str]:
    """The sim in a background thread with its own loop; yields its REST URL."""
    from letrade_cli.sim.server import SimConfig, SimExchange

    ready = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        box["loop"] = asyncio.get_running_loop()
        box["stop"] = asyncio.Event()
        try:
            async with SimExchange(SimConfig(rate=50.0, seed=7, host="127.0.0.1", port=0)) as sim:
                box["url"] = sim.rest_url
                ready.set()
                await box["stop"].wait()
        except BaseException as exc:
            box["error"] = exc
            ready.set()
            raise

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(15), "sim did not start"
    if "error" in box:
        raise box["error"]
    try:
        yield box["url"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(15)


def minute() -> int:
    return int(time.time() // 60)


def invoke(endpoint: str, sim_url: str, out: Path) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "letrade_cli", "lambda-invoke", "data-collector", "--local",
        "--profile", str(LAMBDA_YAML), "--out", str(out), "--json",
        "--env", f"UPBIT_BASE_URL={sim_url}", "--env", f"MARKETS={MARKETS}",
        "--env", "CANDLE_COUNT=30", "--env", "COLLECT_TICKERS=0", "--env", "AWS_REGION=us-east-1",
    ]  # fmt: skip
    env = dict(os.environ) | {"AWS_ENDPOINT_URL": endpoint, "AWS_ENDPOINT_URL_S3": endpoint}
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_collector_writes_objects_once_and_a_rerun_writes_nothing(
    moto_server: str, aws_env: None, tmp_path: Path
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_server)
    s3.create_bucket(Bucket=BUCKET)
    with running_sim() as sim_url:
        start_minute = minute()
        first = invoke(moto_server, sim_url, tmp_path / "out")
        summary = first["result"]
        assert summary["failures"] == [] and summary["markets"] == 3
        assert summary["candles"] >= 3 * 28  # 30 fetched, the forming one dropped
        assert summary["objects_written"] >= 3
        listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
        keys = sorted(o["Key"] for o in listed)
        assert all(k.startswith("raw/venue=upbit/market=KRW-") for k in keys)
        assert all("/date=" in k and "/candles-1m-" in k and k.endswith(".jsonl") for k in keys)
        etags = {o["Key"]: o["ETag"] for o in listed}
        # The sim's history is a function of (seed, time): a rerun in the same minute fetches the
        # same complete candles. If a minute boundary passed, a new candle is real news: retry.
        previous_start = start_minute
        for _ in range(3):
            this_start = minute()
            again = invoke(moto_server, sim_url, tmp_path / "out")["result"]
            if minute() == previous_start:  # both runs inside one minute
                break
            previous_start = this_start
            etags = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
        assert again["objects_written"] == 0 and again["bytes"] == 0
        assert again["objects_skipped"] == summary["objects_written"] + summary["objects_skipped"]
        after = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
        assert after == etags
    body = s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read().decode()
    first_line = json.loads(body.splitlines()[0])
    assert set(first_line) == {"t", "o", "h", "l", "c", "v", "qv"}
    assert first["cold_ms"] > first["init_ms"] > 0
