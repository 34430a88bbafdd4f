"""Lambda: rank markets from collected candles and write a candidates JSON file to S3.

Runs alone in Lambda: stdlib + the runtime's boto3. Reads what ``data_collector`` wrote
(``PREFIX/venue=V/market=M/date=D/candles-*.jsonl``), scores each market by three signals,
each turned into a percentile rank across markets and averaged:

- trend: last close over its MA_WINDOW moving average,
- volume surge: volume of the last SURGE_WINDOW candles over the MA_WINDOW average,
- momentum: close over the close MOMENTUM_WINDOW candles earlier.

Writes ``PREFIX/candidates/venue=V/candidates-<newest candle ms>.json`` (same candles, same
bytes) and returns the top TOP_N. If NOTIFY_URL is set, POSTs the document there with
``Authorization: Bearer NOTIFY_TOKEN``.

Secrets are never in the function's configuration: a variable whose value is ``ssm:/path`` or
``secretsmanager:ID`` (as ``lambda-deploy`` writes it) is read here, through the function's
role, once per cold start (``resolved_environment``), and kept in memory only.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any

_s3_client: Any = None
_environment: dict[str, str] | None = None  # os.environ with its references read, per cold start


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """Rank the collected markets; return the top N and where the file was written."""
    return scan(event or {}, resolved_environment(), s3=_s3())


def resolved_environment() -> dict[str, str]:
    """``os.environ`` with ``ssm:/path`` and ``secretsmanager:ID`` values read (cached)."""
    global _environment
    if _environment is None:
        env = dict(os.environ)
        for key, value in env.items():
            if value.startswith("ssm:/"):
                answer = _client("ssm").get_parameter(Name=value[4:], WithDecryption=True)
                env[key] = answer["Parameter"]["Value"]
            elif value.startswith("secretsmanager:"):
                answer = _client("secretsmanager").get_secret_value(SecretId=value[15:])
                env[key] = answer["SecretString"]
        _environment = env
    return _environment


def _client(service: str) -> Any:
    import boto3  # provided by the Lambda runtime; AWS_ENDPOINT_URL_<SERVICE> is honoured

    return boto3.client(service)  # type: ignore[call-overload]


def scan(event: dict[str, Any], env: dict[str, str], *, s3: Any) -> dict[str, Any]:
    """The handler's work with its inputs explicit."""
    bucket = env["BUCKET"]
    prefix = env.get("PREFIX", "raw").strip("/")
    venue = env.get("VENUE", "upbit")
    top_n = int(event.get("top_n") or env.get("TOP_N", "10"))
    windows = {
        "ma": int(env.get("MA_WINDOW", "20")),
        "surge": int(env.get("SURGE_WINDOW", "5")),
        "momentum": int(env.get("MOMENTUM_WINDOW", "10")),
    }
    need = max(windows["ma"], windows["surge"] + 1, windows["momentum"] + 1)
    base = f"{prefix}/venue={venue}/"
    markets = event.get("markets") or _list_markets(s3, bucket, base)
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    newest = 0
    for market in markets:
        candles = load_candles(s3, bucket, f"{base}market={market}/", need)
        if len(candles) < need:
            skipped.append({"market": market, "reason": f"{len(candles)} candles < {need}"})
            continue
        newest = max(newest, candles[-1]["t"])
        rows.append({"market": market, **signals(candles, windows)})
    ranked = rank(rows)
    document = {"venue": venue, "newest_candle": newest, "windows": windows, "ranked": ranked}
    key = f"{prefix}/candidates/venue={venue}/candidates-{newest}.json"
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    if env.get("NOTIFY_URL"):
        _notify(env["NOTIFY_URL"], env.get("NOTIFY_TOKEN", ""), body)
    return {"key": key, "markets": len(markets), "top": ranked[:top_n], "skipped": skipped}


def _list_markets(s3: Any, bucket: str, base: str) -> list[str]:
    markets: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=base, Delimiter="/"
    ):
        for item in page.get("CommonPrefixes", []):
            part = item["Prefix"][len(base) :].strip("/")
            if part.startswith("market="):
                markets.append(part.removeprefix("market="))
    return sorted(markets)


def load_candles(s3: Any, bucket: str, market_prefix: str, need: int) -> list[dict[str, Any]]:
    """The newest ``need`` candles of one market, oldest first, reading the newest objects."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=market_prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if "/candles-" in o["Key"])
    by_time: dict[int, dict[str, Any]] = {}
    for key in sorted(keys, reverse=True):
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        for line in text.splitlines():
            if line:
                candle = json.loads(line)
                by_time[candle["t"]] = candle
        if len(by_time) >= need:
            break
    return [by_time[t] for t in sorted(by_time)][-need:]


def signals(candles: list[dict[str, Any]], windows: dict[str, int]) -> dict[str, float]:
    """Trend, volume surge and momentum of one market (floats: ranking, not orders)."""
    closes = [float(c["c"]) for c in candles]
    volumes = [float(c["v"]) for c in candles]
    ma = sum(closes[-windows["ma"] :]) / windows["ma"]
    avg_volume = sum(volumes[-windows["ma"] :]) / windows["ma"]
    recent_volume = sum(volumes[-windows["surge"] :]) / windows["surge"]
    past = closes[-windows["momentum"] - 1]
    return {
        "close": closes[-1],
        "trend": round(closes[-1] / ma - 1, 6) if ma else 0.0,
        "volume_surge": round(recent_volume / avg_volume, 6) if avg_volume else 0.0,
        "momentum": round(closes[-1] / past - 1, 6) if past else 0.0,
    }


def rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Average percentile rank of the three signals; best first, ties by market name."""
    n = len(rows)
    for name in ("trend", "volume_surge", "momentum"):
        order = sorted(range(n), key=lambda i: rows[i][name])
        for position, i in enumerate(order):
            rows[i].setdefault("_ranks", []).append(position / (n - 1) if n > 1 else 1.0)
    for row in rows:
        ranks = row.pop("_ranks", [])
        row["score"] = round(sum(ranks) / len(ranks), 6) if ranks else 0.0
    return sorted(rows, key=lambda r: (-r["score"], r["market"]))


def _notify(url: str, token: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _s3() -> Any:
    global _s3_client
    if _s3_client is None:
        import boto3  # provided by the Lambda runtime

        _s3_client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or None)
    return _s3_client
