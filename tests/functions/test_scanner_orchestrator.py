from __future__ import annotations

import json
from typing import Any

from letrade_cli.functions import orchestrator, scanner
from letrade_cli.functions.data_collector import store_lines
from tests.functions.fake_venue import FakeVenue

BUCKET = "letrade-test-data"
T0 = 1795305600000


def seed(s3: Any, market: str, closes: list[float], volumes: list[float]) -> None:
    lines = [
        json.dumps({"t": T0 + i * 60_000, "o": "1", "h": "1", "l": "1", "c": str(c), "v": str(v),
                    "qv": "1"}, sort_keys=True, separators=(",", ":"))
        for i, (c, v) in enumerate(zip(closes, volumes, strict=True))
    ]  # fmt: skip
    key = f"raw/venue=upbit/market={market}/date=2026-11-22/candles-1m-20261122T0000.jsonl"
    store_lines(s3, BUCKET, key, lines)


ENV = {"BUCKET": BUCKET, "PREFIX": "raw", "VENUE": "upbit", "TOP_N": "2", "MA_WINDOW": "10",
       "SURGE_WINDOW": "3", "MOMENTUM_WINDOW": "5"}  # fmt: skip


def test_scanner_ranks_trend_surge_momentum_and_writes_candidates(s3: Any) -> None:
    seed(s3, "KRW-UP", [100 + i for i in range(12)], [1] * 9 + [5, 5, 5])  # rising, surging
    seed(s3, "KRW-FLAT", [100.0] * 12, [1] * 12)
    seed(s3, "KRW-DOWN", [100 - i for i in range(12)], [1] * 12)
    seed(s3, "KRW-SHORT", [100.0] * 3, [1] * 3)
    result = scanner.scan({}, ENV, s3=s3)
    assert [r["market"] for r in result["top"]] == ["KRW-UP", "KRW-FLAT"]
    assert result["top"][0]["score"] == 1.0
    assert result["skipped"] == [{"market": "KRW-SHORT", "reason": "3 candles < 10"}]
    newest = T0 + 11 * 60_000
    assert result["key"] == f"raw/candidates/venue=upbit/candidates-{newest}.json"
    doc = json.loads(s3.get_object(Bucket=BUCKET, Key=result["key"])["Body"].read())
    assert [r["market"] for r in doc["ranked"]] == ["KRW-UP", "KRW-FLAT", "KRW-DOWN"]
    body = s3.get_object(Bucket=BUCKET, Key=result["key"])["Body"].read()
    scanner.scan({}, ENV, s3=s3)
    assert s3.get_object(Bucket=BUCKET, Key=result["key"])["Body"].read() == body


class FakeLambda:
    def __init__(self, fail_batch: int | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_batch = fail_batch

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        payload = json.loads(kwargs["Payload"])
        if payload["batch"] == self.fail_batch:
            raise RuntimeError("throttled")
        self.calls.append(kwargs | {"Payload": payload})
        return {"StatusCode": 202}


def test_orchestrator_batches_all_markets_with_event_invokes(venue: FakeVenue) -> None:
    venue.json(
        "/v1/market/all",
        [{"market": m} for m in ("KRW-BTC", "KRW-ETH", "BTC-ETH", "KRW-XRP", "KRW-SOL", "KRW-A")],
    )
    client = FakeLambda(fail_batch=1)
    env = {"MARKETS": "ALL", "BATCH_SIZE": "2", "UPBIT_BASE_URL": venue.url,
           "COLLECTOR_FUNCTION": "letrade-data-collector"}  # fmt: skip
    result = orchestrator.fan_out({}, env, client=client)
    assert result["markets"] == 5 and result["sent"] == 2
    assert [b["markets"] for b in result["batches"]] == [["KRW-A", "KRW-BTC"], ["KRW-XRP"]]
    assert result["failed"] == [{"batch": 1, "error": "RuntimeError: throttled"}]
    assert {c["InvocationType"] for c in client.calls} == {"Event"}
    assert client.calls[0]["FunctionName"] == "letrade-data-collector"


def test_orchestrator_dry_run_from_event_markets() -> None:
    result = orchestrator.fan_out({"markets": ["A", "B", "C"], "batch_size": 2}, {}, client=None)
    assert result["dry_run"] and [b["markets"] for b in result["batches"]] == [["A", "B"], ["C"]]
