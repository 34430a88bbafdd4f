"""The ``rateLimits`` of WebSocket API answers: request weight and the account's order count.

Binance counts in aligned intervals: the weight per wall-clock minute (the REST
:class:`~letrade_cli.venues.binance.sim.rest.WeightMeter`, one budget for REST and WS API), the
orders per 10 seconds (resets at :00, :10, :20, ...) and per UTC day, per account. An entry::

    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50, "count": 12}
"""

from __future__ import annotations

import time
from typing import Any

ORDERS_PER_10S = 50
ORDERS_PER_DAY = 160_000


def entry(kind: str, interval: str, num: int, limit: int, count: int) -> dict[str, Any]:
    """One ``rateLimits`` entry."""
    return {
        "rateLimitType": kind,
        "interval": interval,
        "intervalNum": num,
        "limit": limit,
        "count": count,
    }


def weight_entry(limit: int, used: int) -> dict[str, Any]:
    """``REQUEST_WEIGHT`` per 1 MINUTE."""
    return entry("REQUEST_WEIGHT", "MINUTE", 1, limit, used)


class OrderCounter:
    """Orders placed by one account in the current 10-second interval and UTC day."""

    def __init__(self, per_10s: int = ORDERS_PER_10S, per_day: int = ORDERS_PER_DAY) -> None:
        self.per_10s = per_10s
        self.per_day = per_day
        self._window = (0, 0)
        self._day = (0, 0)

    def counts(self) -> tuple[int, int]:
        """``(this 10 s, today)``."""
        now = time.time()
        w, d = int(now // 10), int(now // 86_400)
        return (
            self._window[1] if self._window[0] == w else 0,
            self._day[1] if self._day[0] == d else 0,
        )

    def add(self) -> tuple[float, int, str] | None:
        """Count one order; None within limits, else ``(retry_after_s, limit, interval)``.

        An order over a limit is counted too (Binance: rejected orders "might" be counted).
        """
        now = time.time()
        w, d = int(now // 10), int(now // 86_400)
        n10, nday = self.counts()
        self._window, self._day = (w, n10 + 1), (d, nday + 1)
        if nday + 1 > self.per_day:
            return (d + 1) * 86_400 - now, self.per_day, "1 DAY"
        if n10 + 1 > self.per_10s:
            return (w + 1) * 10 - now, self.per_10s, "10 SECOND"
        return None

    def entries(self) -> list[dict[str, Any]]:
        """The two ``ORDERS`` entries (they come first in an order method's ``rateLimits``)."""
        n10, nday = self.counts()
        return [
            entry("ORDERS", "SECOND", 10, self.per_10s, n10),
            entry("ORDERS", "DAY", 1, self.per_day, nday),
        ]
