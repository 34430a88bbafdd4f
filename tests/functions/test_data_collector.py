from __future__ import annotations

import json
from typing import Any

import pytest

from letrade_cli.functions import data_collector as dc
from tests.functions.fake_venue import FakeVenue, upbit_candle

BUCKET = "letrade-test-data"
NOW = 1795305600000 + 10 * 60_000  # 2026-11-22T00:10Z: candles 00:00..00:09 are complete


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    delays: list[float] = []
    monkeypatch.setattr(dc, "_sleep", delays.append)
    return delays


def env(venue: FakeVenue, **extra: str) -> dict[str, str]:
    base = {
        "VENUE": "upbit",
        "MARKETS": "KRW-BTC,KRW-ETH",
        "UPBIT_BASE_URL": venue.url,
        "BUCKET": BUCKET,
        "PREFIX": "raw",
        "CANDLE_COUNT": "5",
        "COLLECT_TICKERS": "0",
    }
    return base | extra


def keys(s3: Any) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def serve_candles(venue: FakeVenue, minutes: range) -> None:
    # Upbit answers newest first; the 00:10 candle is still forming at NOW.
    venue.json(
        "/v1/candles/minutes/1",
        [upbit_candle("KRW-BTC", m, 100.0 + m) for m in reversed(minutes)],
    )


def test_writes_partitioned_jsonl_and_skips_on_rerun(venue: FakeVenue, s3: Any) -> None:
    serve_candles(venue, range(5, 11))
    first = dc.collect({}, env(venue), s3=s3, now_ms=NOW)
    assert first["candles"] == 10  # 5 complete per market; the forming 00:10 candle is dropped
    assert first["objects_written"] == 2 and first["failures"] == []
    key = "raw/venue=upbit/market=KRW-BTC/date=2026-11-22/candles-1m-20261122T0000.jsonl"
    assert key in keys(s3)
    lines = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()
    assert json.loads(lines[0]) == {
        "t": 1795305600000 + 5 * 60_000,
        "o": "105.0",
        "h": "115.0",
        "l": "95.0",
        "c": "110.0",
        "v": "1.5",
        "qv": "157.5",
    }
    assert len(lines) == 5
    second = dc.collect({}, env(venue), s3=s3, now_ms=NOW)
    assert second["objects_written"] == 0 and second["objects_skipped"] == 2
    assert second["bytes"] == 0


def test_merges_a_shifted_window_without_losing_candles(venue: FakeVenue, s3: Any) -> None:
    serve_candles(venue, range(0, 6))
    dc.collect({}, env(venue, MARKETS="KRW-BTC"), s3=s3, now_ms=1795305600000 + 5 * 60_000)
    serve_candles(venue, range(3, 11))
    result = dc.collect({}, env(venue, MARKETS="KRW-BTC"), s3=s3, now_ms=NOW)
    assert result["objects_written"] == 1
    (key,) = keys(s3)
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    assert [json.loads(x)["t"] for x in body.splitlines()] == [
        1795305600000 + m * 60_000 for m in range(10)
    ]
    again = dc.collect({}, env(venue, MARKETS="KRW-BTC"), s3=s3, now_ms=NOW)
    assert again["objects_written"] == 0


def test_retries_429_with_retry_after_then_succeeds(
    venue: FakeVenue, s3: Any, no_sleep: list[float]
) -> None:
    good = [upbit_candle("KRW-BTC", 1, 100.0)]
    venue.route(
        "/v1/candles/minutes/1",
        (429, {"Retry-After": "2"}, {"error": "slow down"}),
        (503, {}, {"error": "busy"}),
        (200, {}, good),
    )
    result = dc.collect({}, env(venue, MARKETS="KRW-BTC"), s3=s3, now_ms=NOW)
    assert result["failures"] == [] and result["candles"] == 1
    assert no_sleep == [2.0, 0.4]


def test_reports_failures_per_market_and_keeps_the_others(venue: FakeVenue, s3: Any) -> None:
    venue.route(
        "/v1/candles/minutes/1",
        (400, {}, {"error": {"name": "invalid market"}}),
        (200, {}, [upbit_candle("KRW-ETH", 1, 50.0)]),
    )
    result = dc.collect({}, env(venue, MARKETS="KRW-NOPE,KRW-ETH"), s3=s3, now_ms=NOW)
    assert result["failures"] == [
        {"market": "KRW-NOPE", "error": f"HTTP 400 from {venue.url[7:]}/v1/candles/minutes/1"}
    ]
    assert result["objects_written"] == 1


def test_bounded_retries_end_in_a_failure(venue: FakeVenue, s3: Any, no_sleep: list[float]) -> None:
    venue.route("/v1/candles/minutes/1", (429, {"Retry-After": "60"}, {}))
    result = dc.collect({}, env(venue, MARKETS="KRW-BTC"), s3=s3, now_ms=NOW)
    assert "HTTP 429" in result["failures"][0]["error"]
    assert no_sleep == [dc.MAX_RETRY_AFTER_S] * (dc.MAX_ATTEMPTS - 1)


def test_tickers_snapshot_and_event_markets(venue: FakeVenue, s3: Any) -> None:
    serve_candles(venue, range(0, 2))
    venue.json(
        "/v1/ticker",
        [
            {
                "market": "KRW-XRP",
                "trade_timestamp": 1795305605000,
                "trade_price": 900.5,
                "acc_trade_volume_24h": 12.0,
            },
        ],
    )
    event = {"markets": ["KRW-XRP"]}
    result = dc.collect(event, env(venue, COLLECT_TICKERS="1"), s3=s3, now_ms=NOW + 5_000)
    assert result["markets"] == 1 and result["objects_written"] == 2
    assert "raw/venue=upbit/kind=ticker/date=2026-11-22/tickers-20261122T001000.jsonl" in keys(s3)
    again = dc.collect(event, env(venue, COLLECT_TICKERS="1"), s3=s3, now_ms=NOW + 30_000)
    assert again["objects_written"] == 0  # same minute: the snapshot is not written again


def test_ticker_snapshot_is_written_once_per_scheduled_event(venue: FakeVenue, s3: Any) -> None:
    """A Lambda retry delivers the same event later, with prices moved: nothing new is written."""
    row = {"market": "KRW-BTC", "trade_timestamp": NOW, "acc_trade_volume_24h": 1.0}
    venue.json("/v1/ticker", [row | {"trade_price": 100.0}])
    event = {"markets": ["KRW-BTC"], "time": "2026-11-22T00:10:00Z", "id": "e-1"}
    e = env(venue, COLLECT_TICKERS="1", CANDLE_COUNT="1")
    first = dc.collect(event, e, s3=s3, now_ms=NOW)
    venue.json("/v1/ticker", [row | {"trade_price": 101.0}])
    retry = dc.collect(event, e, s3=s3, now_ms=NOW + 3 * 60_000)  # retried three minutes later
    tickers = [k for k in keys(s3) if "kind=ticker" in k]
    assert tickers == ["raw/venue=upbit/kind=ticker/date=2026-11-22/tickers-20261122T001000.jsonl"]
    assert first["objects_written"] >= 1 and retry["objects_written"] == 0
    body = s3.get_object(Bucket=BUCKET, Key=tickers[0])["Body"].read().decode()
    assert json.loads(body)["price"] == "100.0"
    nxt = dc.collect(event | {"time": "2026-11-22T00:15:00Z"}, e, s3=s3, now_ms=NOW + 5 * 60_000)
    assert nxt["objects_written"] >= 1 and len([k for k in keys(s3) if "ticker" in k]) == 2


def test_binance_klines(venue: FakeVenue, s3: Any) -> None:
    t0 = 1795305600000
    venue.json(
        "/api/v3/klines",
        [
            [
                t0 + i * 60_000,
                "1.0",
                "2.0",
                "0.5",
                "1.5",
                "10",
                t0 + i * 60_000 + 59_999,
                "15.0",
                3,
                "5",
                "7.5",
                "0",
            ]
            for i in range(3)
        ],
    )
    e = env(venue, VENUE="binance", MARKETS="BTCUSDT", BINANCE_BASE_URL=venue.url)
    result = dc.collect({}, e, s3=s3, now_ms=NOW)
    assert result["candles"] == 3 and result["failures"] == []
    assert "interval=1m" in venue.requests[0] and "symbol=BTCUSDT" in venue.requests[0]
    assert keys(s3) == [
        "raw/venue=binance/market=BTCUSDT/date=2026-11-22/candles-1m-20261122T0000.jsonl"
    ]


def test_the_invocation_fails_when_every_market_failed(
    venue: FakeVenue, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reproduction (issue 19): the collector returned success when every market failed, so
    # Lambda's retries, on_failure and DLQ never fired.
    venue.route("/v1/candles/minutes/1", (500, {}, {}))
    monkeypatch.setattr(dc, "_s3", lambda: s3)
    for key, value in env(venue, MARKETS="KRW-BTC,KRW-ETH").items():
        monkeypatch.setenv(key, value)
    with pytest.raises(dc.CollectionFailed, match=r"2 of 2 markets failed \(every market failed\)"):
        dc.handler({}, None)


@pytest.mark.parametrize(("limit", "fails"), [("", False), ("40", False), ("30", True)])
def test_a_partial_failure_fails_only_over_the_profiles_threshold(limit: str, fails: bool) -> None:
    summary = {"markets": 5, "failures": [{"market": m, "error": "HTTP 500"} for m in "AB"]}
    summary["failures"].append({"market": "*tickers*", "error": "HTTP 500"})  # not a market
    if fails:
        with pytest.raises(
            dc.CollectionFailed, match=r"2 of 5 markets failed \(over MAX_FAILED_PCT 30"
        ):
            dc.check_failures(summary, limit)
    else:
        dc.check_failures(summary, limit)  # reported in the summary, the invocation succeeds
