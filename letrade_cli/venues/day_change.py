"""The venue's own 24 h change per symbol: one REST request per dialect, as data.

Binance: ``GET /api/v3/ticker/24hr?symbols=[..]`` (``priceChangePercent``, in percent).
Upbit: ``GET /v1/ticker?markets=..`` (``signed_change_rate``, a fraction; since 00:00 KST).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from letrade_cli.errors import DecodeError
from letrade_cli.venues.base import RestRequest


def change_request(dialect: str, symbols: Sequence[str]) -> RestRequest | None:
    """The request for ``symbols``' 24 h change on ``dialect``; None if it has none."""
    if dialect == "binance":
        weight = 2 if len(symbols) <= 20 else 40 if len(symbols) <= 100 else 80
        return RestRequest(
            "/api/v3/ticker/24hr", {"symbols": orjson.dumps(list(symbols)).decode()}, weight
        )
    if dialect == "upbit":
        return RestRequest("/v1/ticker", {"markets": ",".join(symbols)})
    return None


def parse_changes(dialect: str, payload: Any) -> dict[str, float]:
    """Symbol -> 24 h change in percent, from ``change_request``'s answer."""
    rows = [payload] if isinstance(payload, dict) else payload
    try:
        if dialect == "binance":
            return {str(r["symbol"]): float(r["priceChangePercent"]) for r in rows}
        if dialect == "upbit":
            return {str(r["market"]): float(r["signed_change_rate"]) * 100 for r in rows}
    except (KeyError, TypeError, ValueError) as exc:
        raise DecodeError(
            f"{dialect}: malformed 24 h ticker answer ({type(exc).__name__})"
        ) from None
    return {}
