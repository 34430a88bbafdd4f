"""Lambda: fan the data collector out over market batches with asynchronous invokes.

Runs alone in Lambda: stdlib + the runtime's boto3. Config from env: COLLECTOR_FUNCTION,
VENUE, MARKETS (comma list, or ALL to list the venue's markets quoted in QUOTE), BATCH_SIZE,
DRY_RUN (1: plan only). Each batch is one ``lambda.invoke(InvocationType="Event")`` with the
payload ``{"markets": [...], "batch": i}``; a failed invoke is reported, the others still go.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any

UPBIT_URL = "https://api.upbit.com"
BINANCE_URL = "https://api.binance.com"
_lambda_client: Any = None


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """Send one asynchronous collector invoke per batch; return the batches sent."""
    env = dict(os.environ)
    dry = env.get("DRY_RUN", "0") in ("1", "true", "yes")
    return fan_out(event or {}, env, client=None if dry else _lambda())


def fan_out(event: dict[str, Any], env: dict[str, str], *, client: Any) -> dict[str, Any]:
    """Split the markets into batches and invoke the collector once per batch."""
    target = env.get("COLLECTOR_FUNCTION", "letrade-data-collector")
    venue = env.get("VENUE", "upbit").lower()
    markets = event.get("markets") or [m.strip() for m in env.get("MARKETS", "").split(",")]
    markets = [m for m in markets if m]
    if markets == ["ALL"]:
        markets = list_markets(venue, env)
    size = max(1, int(event.get("batch_size") or env.get("BATCH_SIZE", "20")))
    batches: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for index, start in enumerate(range(0, len(markets), size)):
        batch = {"batch": index, "markets": markets[start : start + size], "status": None}
        if client is not None:
            payload = json.dumps({"markets": batch["markets"], "batch": index}).encode("utf-8")
            try:
                answer = client.invoke(FunctionName=target, InvocationType="Event", Payload=payload)
                batch["status"] = answer.get("StatusCode")
            except Exception as exc:  # botocore errors; not imported to stay lazy
                failed.append({"batch": index, "error": f"{type(exc).__name__}: {exc}"})
                continue
        batches.append(batch)
    return {
        "function": target,
        "markets": len(markets),
        "batches": batches,
        "sent": sum(1 for b in batches if b["status"] == 202),
        "failed": failed,
        "dry_run": client is None,
    }


def list_markets(venue: str, env: dict[str, str]) -> list[str]:
    """Every market the venue lists in the QUOTE currency (KRW on Upbit, USDT on Binance)."""
    quote = env.get("QUOTE", "KRW" if venue == "upbit" else "USDT")
    if venue == "upbit":
        rows = _get_json(f"{env.get('UPBIT_BASE_URL') or UPBIT_URL}/v1/market/all")
        return sorted(r["market"] for r in rows if r["market"].startswith(f"{quote}-"))
    info = _get_json(f"{env.get('BINANCE_BASE_URL') or BINANCE_URL}/api/v3/exchangeInfo")
    return sorted(
        s["symbol"]
        for s in info["symbols"]
        if s.get("quoteAsset") == quote and s.get("status") == "TRADING"
    )


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _lambda() -> Any:
    global _lambda_client
    if _lambda_client is None:
        import boto3  # provided by the Lambda runtime

        endpoint = os.environ.get("AWS_ENDPOINT_URL_LAMBDA") or None
        _lambda_client = boto3.client("lambda", endpoint_url=endpoint)
    return _lambda_client
