"""Upbit history over REST: minute and day candles, paged backwards as documented.

``GET /v1/candles/minutes/{unit}`` (unit 1, 3, 5, 10, 15, 30, 60, 240) and ``/v1/candles/days``
take ``market``, ``count`` (at most 200) and ``to`` (exclusive end, ISO 8601 in UTC) and answer
newest first; the next page's ``to`` is the oldest candle's open time. Each call counts in the
``candles`` group (``Remaining-Req``). An unknown market answers 404 ``Code not found``.

Prices arrive as JSON numbers; they are stored from their shortest decimal spelling (what the
venue wrote). Upbit's candles carry no trade count (the column is null).
"""

from __future__ import annotations

import time
from typing import Any

from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.venues.base import HistoryCursor, RestRequest

COUNT = 200
MINUTE_UNITS = (1, 3, 5, 10, 15, 30, 60, 240)
DAY_MS = 86_400_000
NS = 1_000_000


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def _dec(value: Any) -> str:
    """A JSON number as plain decimal text (``1e-05`` -> ``0.00001``)."""
    from decimal import Decimal

    return format(Decimal(repr(value)), "f")


def _parse_utc(text: str) -> int:
    import calendar

    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) * 1000


def _path_and_step(interval: str) -> tuple[str, int] | None:
    if interval == "1d":
        return "/v1/candles/days", DAY_MS
    unit, count = interval[-1], interval[:-1]
    if not count.isdigit():
        return None
    minutes = int(count) * {"m": 1, "h": 60}.get(unit, 0)
    if minutes in MINUTE_UNITS:
        return f"/v1/candles/minutes/{minutes}", minutes * 60_000
    return None


class UpbitHistory:
    """The ``HistoryApi`` of Upbit: candles only (its trade ticks reach back 7 days)."""

    def check(self, kind: str) -> None:
        """Candles of 1, 3, 5, 10, 15, 30, 60, 240 minutes and of a day."""
        if kind.startswith("candles_"):
            if _path_and_step(kind[len("candles_") :]) is None:
                raise UsageError(
                    f"upbit has no {kind[len('candles_') :]!r} candles",
                    hint="intervals: 1m, 3m, 5m, 10m, 15m, 30m, 1h, 4h, 1d",
                )
            return
        raise UsageError(
            f"upbit history download offers candles only, not {kind!r}",
            hint="use --kind candles:1m (Upbit's trade ticks reach back 7 days only)",
        )

    def cursor(self, kind: str, symbol: str, start_ms: int, end_ms: int) -> HistoryCursor:
        """A cursor over one market's ``[start_ms, end_ms)``."""
        found = _path_and_step(kind[len("candles_") :])
        if found is None:
            self.check(kind)
            raise AssertionError("unreachable")
        return CandlesCursor(symbol, found[0], found[1], start_ms, end_ms)

    def is_unknown_symbol(self, error: ExchangeRejectedError) -> bool:
        """404 ``Code not found``."""
        return str(error.code) == "404"


class CandlesCursor:
    """Candles from ``end`` back to ``start``, 200 a page.

    An answer row: ``{"market": "KRW-BTC", "candle_date_time_utc": "2026-11-01T00:00:00",
    "opening_price": 1.0, "high_price": .., "low_price": .., "trade_price": ..,
    "timestamp": ms, "candle_acc_trade_price": .., "candle_acc_trade_volume": .., "unit": 1}``.
    """

    def __init__(self, market: str, path: str, step: int, start_ms: int, end_ms: int) -> None:
        self.market, self.path, self.step = market, path, step
        self.start, self.end = start_ms, end_ms
        self.to: int | None = end_ms

    def next_request(self) -> RestRequest | None:
        """The page ending (exclusive) at the oldest candle seen, or None."""
        if self.to is None or self.to <= self.start:
            return None
        params = {"market": self.market, "count": str(COUNT), "to": _iso(self.to)}
        return RestRequest(self.path, params)

    def take(self, payload: Any) -> dict[str, list[Any]]:
        """Candles as store columns (oldest last, as they came; the store sorts)."""
        names = ("ts", "open", "high", "low", "close", "volume", "quote_volume")
        cols: dict[str, list[Any]] = {k: [] for k in names}
        try:
            rows = list(payload)
            oldest = None
            for row in rows:
                opened = _parse_utc(str(row["candle_date_time_utc"]))
                oldest = opened if oldest is None else min(oldest, opened)
                if not self.start <= opened < self.end:
                    continue
                cols["ts"].append(opened * NS)
                cols["open"].append(_dec(row["opening_price"]))
                cols["high"].append(_dec(row["high_price"]))
                cols["low"].append(_dec(row["low_price"]))
                cols["close"].append(_dec(row["trade_price"]))
                cols["volume"].append(_dec(row["candle_acc_trade_volume"]))
                cols["quote_volume"].append(_dec(row["candle_acc_trade_price"]))
        except (TypeError, ValueError, KeyError) as exc:
            raise DecodeError(f"upbit: malformed candles answer ({type(exc).__name__})") from None
        if oldest is None or len(rows) < COUNT:
            self.to = None
        else:
            self.to = oldest
        return cols
