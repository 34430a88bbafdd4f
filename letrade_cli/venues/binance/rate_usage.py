"""The usage Binance reports of its limits, as :class:`~letrade_cli.venues.base.Usage`.

REST answers carry ``X-MBX-USED-WEIGHT-(intervalNum)(intervalLetter)`` (every answer) and
``X-MBX-ORDER-COUNT-(intervalNum)(intervalLetter)`` (order answers), e.g.
``X-MBX-USED-WEIGHT-1M: 31`` and ``X-MBX-ORDER-COUNT-10S: 3``; the letter is S, M, H or D.
exchangeInfo and every WebSocket API answer list ``rateLimits``::

    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50, "count": 3}

(exchangeInfo's entries have no ``count``: they announce the limits). ``REQUEST_WEIGHT`` maps to
the ``request_weight`` limit (every request), ``ORDERS`` to ``orders`` (new orders);
``RAW_REQUESTS`` is not paced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from letrade_cli.venues.base import Usage

_LETTER_S = {"S": 1.0, "M": 60.0, "H": 3_600.0, "D": 86_400.0}
_INTERVAL_S = {"SECOND": 1.0, "MINUTE": 60.0, "HOUR": 3_600.0, "DAY": 86_400.0}
_KINDS = {"REQUEST_WEIGHT": ("request_weight", "all"), "ORDERS": ("orders", "orders")}
_WEIGHT = "x-mbx-used-weight-"
_ORDERS = "x-mbx-order-count-"


def _interval(suffix: str) -> float | None:
    num, letter = suffix[:-1], suffix[-1:].upper()
    if not num.isdigit() or letter not in _LETTER_S:
        return None
    return int(num) * _LETTER_S[letter]


def header_usage(headers: Mapping[str, str]) -> list[Usage]:
    """The weight and order counts in one REST answer's headers."""
    out: list[Usage] = []
    for name, value in headers.items():
        low = name.lower()
        if low.startswith(_WEIGHT):
            kind, applies, suffix = "request_weight", "all", low[len(_WEIGHT) :]
        elif low.startswith(_ORDERS):
            kind, applies, suffix = "orders", "orders", low[len(_ORDERS) :]
        else:
            continue
        interval = _interval(suffix)
        if interval is not None and value.isdigit():
            out.append(Usage(kind, interval, applies, used=int(value)))
    return out


def entries_usage(entries: Any) -> list[Usage]:
    """The ``rateLimits`` entries of exchangeInfo or of a WebSocket API answer."""
    out: list[Usage] = []
    if not isinstance(entries, list):
        return out
    for item in entries:
        if not isinstance(item, dict):
            continue
        kind = _KINDS.get(item.get("rateLimitType", ""))
        unit = _INTERVAL_S.get(item.get("interval", ""))
        num, limit, count = item.get("intervalNum"), item.get("limit"), item.get("count")
        if kind is None or unit is None or not isinstance(num, int):
            continue
        out.append(
            Usage(
                kind[0],
                num * unit,
                kind[1],
                used=count if isinstance(count, int) else None,
                limit=limit if isinstance(limit, int) else None,
            )
        )
    return out


def rate_usage(headers: Mapping[str, str], payload: Any) -> list[Usage]:
    """Headers first, then the announced limits of an exchangeInfo answer."""
    out = header_usage(headers)
    if isinstance(payload, dict) and "rateLimits" in payload:
        out.extend(entries_usage(payload["rateLimits"]))
    return out
