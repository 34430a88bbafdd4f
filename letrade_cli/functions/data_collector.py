"""Lambda: collect candles (and tickers) from Upbit or Binance into S3 as JSON Lines.

Runs alone in Lambda: stdlib + the runtime's boto3, no letrade_cli imports. Config from env:
VENUE (upbit|binance), MARKETS (comma list; an event ``{"markets": [...]}`` overrides it),
UPBIT_BASE_URL / BINANCE_BASE_URL, BUCKET, PREFIX, CANDLE_UNIT (minutes, or ``day``),
CANDLE_COUNT, COLLECT_TICKERS (1/0), MAX_FAILED_PCT (fail the invocation when more than this
percent of the markets failed; it always fails when every market did), AWS_ENDPOINT_URL_S3.

Layout: one object per market, kind and UTC day (minute candles) or month (day candles)::

    s3://BUCKET/PREFIX/venue=upbit/market=KRW-BTC/date=2026-11-22/candles-1m-20261122T0000.jsonl

Idempotent: a run merges its complete candles into the bucket's object and skips the put when
the merged bytes hash to the stored ``sha256`` metadata, so a re-run writes nothing new. The
ticker snapshot is keyed by the invocation's slot (the scheduled event's ``time``, else the
current time floored to ``TICKER_SLOT_SECONDS``, default 60) and written once per slot: a Lambda
retry of the same event finds its snapshot stored and writes nothing.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

UPBIT_URL = "https://api.upbit.com"
BINANCE_URL = "https://api.binance.com"
MAX_ATTEMPTS = 4
MAX_RETRY_AFTER_S = 5.0
HTTP_TIMEOUT_S = 10.0
MIN_REMAINING_MS = 2000
BINANCE_INTERVALS = {1: "1m", 3: "3m", 5: "5m", 15: "15m", 30: "30m", 60: "1h", 240: "4h"}

_sleep = time.sleep  # patched in tests
_s3_client: Any = None  # reused across warm invocations


class VenueError(Exception):
    """An HTTP failure after retries, carrying the status (0 when unreachable)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class CollectionFailed(RuntimeError):
    """Too many markets failed: the invocation fails, so Lambda's retries and on_failure fire."""


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """Collect candles (and tickers) for the configured markets; return a summary.

    Raises CollectionFailed when no market succeeded, or more than ``MAX_FAILED_PCT`` percent
    failed: what was collected is stored, and the error names every failed market.
    """
    env = dict(os.environ)
    summary = collect(event or {}, env, context, s3=_s3())
    check_failures(summary, env.get("MAX_FAILED_PCT", ""))
    return summary


def check_failures(summary: dict[str, Any], max_failed_pct: str) -> None:
    """Raise CollectionFailed when every market failed or more than ``max_failed_pct`` did."""
    markets = summary["markets"]
    failed = [f for f in summary["failures"] if f["market"] != "*tickers*"]
    if not markets or not failed:
        return
    pct = 100.0 * len(failed) / markets
    limit = float(max_failed_pct) if max_failed_pct else 100.0
    if len(failed) < markets and pct <= limit:
        return  # a partial failure: reported in the summary, the invocation succeeds
    why = "every market failed" if len(failed) == markets else f"over MAX_FAILED_PCT {limit:g}"
    detail = "; ".join(f"{f['market']}: {f['error']}" for f in failed[:5])
    more = f"; and {len(failed) - 5} more" if len(failed) > 5 else ""
    raise CollectionFailed(f"{len(failed)} of {markets} markets failed ({why}): {detail}{more}")


def collect(
    event: dict[str, Any],
    env: dict[str, str],
    context: Any = None,
    *,
    s3: Any,
    now_ms: int | None = None,
) -> dict[str, Any]:
    """The handler's work with its inputs explicit, so tests can drive it."""
    started = time.perf_counter()
    venue = env.get("VENUE", "upbit").lower()
    if venue not in ("upbit", "binance"):
        raise ValueError(f"VENUE must be upbit or binance, got {venue!r}")
    markets = event.get("markets") or [m.strip() for m in env.get("MARKETS", "").split(",")]
    markets = [m for m in markets if m]
    bucket = env["BUCKET"]
    prefix = env.get("PREFIX", "candles").strip("/")
    unit = env.get("CANDLE_UNIT", "1").lower()
    count = int(env.get("CANDLE_COUNT", "200"))
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    base = env.get(f"{venue.upper()}_BASE_URL") or (UPBIT_URL if venue == "upbit" else BINANCE_URL)
    summary: dict[str, Any] = {
        "venue": venue,
        "markets": len(markets),
        "candles": 0,
        "objects_written": 0,
        "objects_skipped": 0,
        "bytes": 0,
        "failures": [],
    }
    for market in markets:
        if context is not None and context.get_remaining_time_in_millis() < MIN_REMAINING_MS:
            summary["failures"].append({"market": market, "error": "skipped: time budget"})
            continue
        try:
            candles = fetch_candles(venue, base, market, unit, count, now)
            summary["candles"] += len(candles)
            for key, lines in group_candles(prefix, venue, market, unit, candles).items():
                _tally(summary, store_lines(s3, bucket, key, lines))
        except (VenueError, ValueError, KeyError, TypeError) as exc:
            summary["failures"].append({"market": market, "error": str(exc)})
    if env.get("COLLECT_TICKERS", "1") not in ("0", "false", "no") and markets:
        try:
            slot = ticker_slot_ms(event, now, int(env.get("TICKER_SLOT_SECONDS", "60")))
            key = ticker_key(prefix, venue, slot)
            if _stored_digest(s3, bucket, key) is not None:
                _tally(summary, 0)  # this slot's snapshot is stored: a retry writes nothing
            else:
                rows = fetch_tickers(venue, base, markets)
                _tally(summary, store_lines(s3, bucket, key, ticker_lines(rows), merge=False))
        except (VenueError, ValueError, KeyError, TypeError) as exc:
            summary["failures"].append({"market": "*tickers*", "error": str(exc)})
    summary["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return summary


def _tally(summary: dict[str, Any], written: int) -> None:
    if written:
        summary["objects_written"] += 1
        summary["bytes"] += written
    else:
        summary["objects_skipped"] += 1


def http_get_json(url: str) -> Any:
    """GET a JSON document, retrying 429/418 (Retry-After), 5xx and network errors, bounded."""
    last: VenueError | None = None
    for attempt in range(MAX_ATTEMPTS):
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                return json.loads(response.read(), parse_float=str)
        except urllib.error.HTTPError as exc:
            last = VenueError(f"HTTP {exc.code} from {_path(url)}", exc.code)
            if exc.code in (429, 418):
                delay = _retry_after(exc.headers.get("Retry-After"), attempt)
            elif exc.code >= 500:
                delay = 0.2 * 2**attempt
            else:
                raise last from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            last = VenueError(f"cannot reach {_path(url)}: {reason}")
            delay = 0.2 * 2**attempt
        if attempt + 1 < MAX_ATTEMPTS:
            _sleep(delay)
    assert last is not None
    raise last


def _retry_after(value: str | None, attempt: int) -> float:
    try:
        return min(float(value), MAX_RETRY_AFTER_S) if value else 0.5 * 2**attempt
    except ValueError:
        return 0.5 * 2**attempt


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def _unit_ms(unit: str) -> int:
    return 86_400_000 if unit.startswith("day") else int(unit) * 60_000


def fetch_candles(
    venue: str, base: str, market: str, unit: str, count: int, now_ms: int
) -> list[dict[str, Any]]:
    """Complete candles, oldest first, as ``{t, o, h, l, c, v, qv}`` with exact decimal strings."""
    span = _unit_ms(unit)
    rows: list[dict[str, Any]] = []
    if venue == "upbit":
        path = "/v1/candles/days" if unit.startswith("day") else f"/v1/candles/minutes/{unit}"
        query = urllib.parse.urlencode({"market": market, "count": min(count, 200)})
        for raw in http_get_json(f"{base}{path}?{query}"):
            t = _upbit_time_ms(raw["candle_date_time_utc"])
            rows.append(
                {
                    "t": t,
                    "o": str(raw["opening_price"]),
                    "h": str(raw["high_price"]),
                    "l": str(raw["low_price"]),
                    "c": str(raw["trade_price"]),
                    "v": str(raw["candle_acc_trade_volume"]),
                    "qv": str(raw["candle_acc_trade_price"]),
                }
            )
    else:
        interval = "1d" if unit.startswith("day") else BINANCE_INTERVALS.get(int(unit))
        if interval is None:
            raise ValueError(f"CANDLE_UNIT {unit} has no Binance interval")
        query = urllib.parse.urlencode(
            {"symbol": market, "interval": interval, "limit": min(count, 1000)}
        )
        for k in http_get_json(f"{base}/api/v3/klines?{query}"):
            rows.append(
                {"t": int(k[0]), "o": k[1], "h": k[2], "l": k[3], "c": k[4], "v": k[5], "qv": k[7]}
            )
    complete = {r["t"]: r for r in rows if r["t"] + span <= now_ms}
    return [complete[t] for t in sorted(complete)]


def _upbit_time_ms(text: str) -> int:
    import calendar

    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) * 1000


def group_candles(
    prefix: str, venue: str, market: str, unit: str, candles: list[dict[str, Any]]
) -> dict[str, list[str]]:
    """Candle lines by object key: one object per UTC day (minutes) or month (days)."""
    kind = "candles-1d" if unit.startswith("day") else f"candles-{unit}m"
    groups: dict[str, list[str]] = {}
    for candle in candles:
        day = time.gmtime(candle["t"] // 1000)
        y, m, d = day.tm_year, day.tm_mon, 1 if unit.startswith("day") else day.tm_mday
        date = f"{y:04d}-{m:02d}-{d:02d}"
        stamp = f"{y:04d}{m:02d}{d:02d}T0000"
        key = f"{prefix}/venue={venue}/market={market}/date={date}/{kind}-{stamp}.jsonl"
        groups.setdefault(key, []).append(_line(candle))
    return groups


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def fetch_tickers(venue: str, base: str, markets: list[str]) -> list[dict[str, Any]]:
    """Current tickers as ``{market, t, price, volume_24h}``."""
    if venue == "upbit":
        query = urllib.parse.urlencode({"markets": ",".join(markets)})
        return [
            {
                "market": r["market"],
                "t": int(r["trade_timestamp"]),
                "price": str(r["trade_price"]),
                "volume_24h": str(r["acc_trade_volume_24h"]),
            }
            for r in http_get_json(f"{base}/v1/ticker?{query}")
        ]
    query = urllib.parse.urlencode({"symbols": json.dumps(markets, separators=(",", ":"))})
    return [
        {
            "market": r["symbol"],
            "t": int(r["closeTime"]),
            "price": str(r["lastPrice"]),
            "volume_24h": str(r["volume"]),
        }
        for r in http_get_json(f"{base}/api/v3/ticker/24hr?{query}")
    ]


def ticker_slot_ms(event: dict[str, Any], now_ms: int, slot_seconds: int) -> int:
    """The invocation's slot: the scheduled event's ``time``, else ``now`` floored to the slot."""
    scheduled = event.get("time")
    if isinstance(scheduled, str):
        try:
            parsed = time.strptime(scheduled.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
            return int(calendar.timegm(parsed)) * 1000
        except ValueError:
            pass
    slot_ms = max(1, slot_seconds) * 1000
    return now_ms - now_ms % slot_ms


def ticker_key(prefix: str, venue: str, slot_ms: int) -> str:
    """``PREFIX/venue=V/kind=ticker/date=D/tickers-YYYYmmddTHHMMSS.jsonl`` for the slot."""
    stamp = time.gmtime(slot_ms // 1000)
    date, label = time.strftime("%Y-%m-%d", stamp), time.strftime("%Y%m%dT%H%M%S", stamp)
    return f"{prefix}/venue={venue}/kind=ticker/date={date}/tickers-{label}.jsonl"


def ticker_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The snapshot's JSON lines, one per market, sorted by market."""
    return [_line(r) for r in sorted(rows, key=lambda r: r["market"])]


def store_lines(s3: Any, bucket: str, key: str, lines: list[str], *, merge: bool = True) -> int:
    """Merge ``lines`` into the object at ``key``; put only if the bytes change. Bytes written."""
    body = _body(lines)
    digest = hashlib.sha256(body).hexdigest()
    stored = _stored_digest(s3, bucket, key)
    if stored == digest:
        return 0
    if stored is not None and merge:
        old = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        by_time = {json.loads(line)["t"]: line for line in old.splitlines() if line}
        by_time.update((json.loads(line)["t"], line) for line in lines)
        body = _body([by_time[t] for t in sorted(by_time)])
        digest = hashlib.sha256(body).hexdigest()
        if stored == digest:
            return 0
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType="application/x-ndjson",
        Metadata={"sha256": digest},
    )
    return len(body)


def _body(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def _stored_digest(s3: Any, bucket: str, key: str) -> str | None:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except Exception as exc:  # botocore ClientError; not imported to stay lazy
        status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            return None
        raise
    return str(head.get("Metadata", {}).get("sha256", "")) or "unknown"


def _s3() -> Any:
    global _s3_client
    if _s3_client is None:
        import boto3  # provided by the Lambda runtime

        _s3_client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or None)
    return _s3_client
