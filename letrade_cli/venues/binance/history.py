"""Binance spot history over REST: klines, aggTrades and historicalTrades, paged as documented.

- ``GET /api/v3/klines`` (weight 2): ``startTime``/``endTime``/``limit`` ≤ 1000, oldest first;
  the next page starts one interval after the last open time.
- ``GET /api/v3/aggTrades`` (weight 4): ``startTime``/``endTime`` (less than 1 hour apart) for
  the first page, then ``fromId`` (the last id + 1): the docs advise sending one or the other.
  An hour with no trade moves the window on by an hour.
- ``GET /api/v3/historicalTrades`` (weight 25): ``fromId`` only; the first id of the range is
  the ``f`` (first trade id) of the range's first aggregate trade.

Unknown symbols answer ``-1121 Invalid symbol``.
"""

from __future__ import annotations

from typing import Any

from letrade_cli.core.errors import DecodeError, ExchangeRejectedError, UsageError
from letrade_cli.venues.base import HistoryCursor, RestRequest

LIMIT = 1000
HOUR_MS = 3_600_000
KLINES_WEIGHT, AGG_WEIGHT, TRADES_WEIGHT = 2, 4, 25
# Binance's kline intervals (the docs' ENUM list).
INTERVALS = (
    *("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h"),
    *("4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"),
)
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": HOUR_MS, "d": 86_400_000, "w": 7 * 86_400_000}
NS = 1_000_000


def _step_ms(interval: str) -> int:
    unit = interval[-1]
    return int(interval[:-1]) * (_UNIT_MS[unit] if unit != "M" else 31 * 86_400_000)


class BinanceHistory:
    """The ``HistoryApi`` of Binance spot (and of the sim, which speaks it)."""

    def check(self, kind: str) -> None:
        """Candles in Binance's intervals, aggregate trades and trades."""
        if kind in ("aggtrades", "trades"):
            return
        if kind.startswith("candles_") and kind[len("candles_") :] in INTERVALS:
            return
        if kind.startswith("candles_"):
            raise UsageError(
                f"binance has no {kind[len('candles_') :]!r} candles",
                hint=f"intervals: {', '.join(INTERVALS)}",
            )
        raise UsageError(f"binance has no history of {kind!r}", hint="candles, aggtrades, trades")

    def cursor(self, kind: str, symbol: str, start_ms: int, end_ms: int) -> HistoryCursor:
        """A cursor for one symbol's ``[start_ms, end_ms)``."""
        if kind == "aggtrades":
            return AggTradesCursor(symbol, start_ms, end_ms)
        if kind == "trades":
            return TradesCursor(symbol, start_ms, end_ms)
        return KlinesCursor(symbol, kind[len("candles_") :], start_ms, end_ms)

    def is_unknown_symbol(self, error: ExchangeRejectedError) -> bool:
        """``-1121 Invalid symbol``."""
        return error.code == -1121


class KlinesCursor:
    """``/api/v3/klines`` from ``start`` on, 1000 candles a page.

    An answer row: ``[open ms, "open", "high", "low", "close", "volume", close ms,
    "quote volume", trades, "taker base", "taker quote", "0"]``.
    """

    def __init__(self, symbol: str, interval: str, start_ms: int, end_ms: int) -> None:
        self.symbol, self.interval = symbol, interval
        self.step = _step_ms(interval)
        self.next_ms: int | None = start_ms
        self.start, self.end = start_ms, end_ms

    def next_request(self) -> RestRequest | None:
        """The next page, or None past the end."""
        if self.next_ms is None or self.next_ms >= self.end:
            return None
        params = {
            "symbol": self.symbol,
            "interval": self.interval,
            "startTime": str(self.next_ms),
            "endTime": str(self.end - 1),
            "limit": str(LIMIT),
        }
        return RestRequest("/api/v3/klines", params, KLINES_WEIGHT)

    def take(self, payload: Any) -> dict[str, list[Any]]:
        """Candles as store columns."""
        cols: dict[str, list[Any]] = {
            k: [] for k in ("ts", "open", "high", "low", "close", "volume", "quote_volume")
        }
        cols["trades"] = []
        try:
            rows = list(payload)
            for row in rows:
                opened = int(row[0])
                if not self.start <= opened < self.end:
                    continue
                cols["ts"].append(opened * NS)
                for i, name in enumerate(("open", "high", "low", "close", "volume"), 1):
                    cols[name].append(str(row[i]))
                cols["quote_volume"].append(str(row[7]))
                cols["trades"].append(int(row[8]))
        except (TypeError, ValueError, IndexError) as exc:
            raise DecodeError(f"binance: malformed klines answer ({type(exc).__name__})") from None
        if len(rows) < LIMIT or not rows:
            self.next_ms = None
        else:
            self.next_ms = int(rows[-1][0]) + self.step
        return cols


def _agg_columns() -> dict[str, list[Any]]:
    return {
        k: [] for k in ("ts", "agg_id", "price", "size", "first_trade_id", "last_trade_id", "side")
    }


class AggTradesCursor:
    """``/api/v3/aggTrades``: an hour's window first, then ``fromId`` pages.

    An answer row: ``{"a": agg id, "p": "price", "q": "qty", "f": first id, "l": last id,
    "T": ms, "m": buyer is maker, "M": best match}``.
    """

    def __init__(self, symbol: str, start_ms: int, end_ms: int) -> None:
        self.symbol, self.start, self.end = symbol, start_ms, end_ms
        self.window = start_ms
        self.from_id: int | None = None
        self.done = False

    def next_request(self) -> RestRequest | None:
        """A time window until the first trade is found, then ``fromId``."""
        if self.done or self.window >= self.end:
            return None
        params = {"symbol": self.symbol, "limit": str(LIMIT)}
        if self.from_id is not None:
            params["fromId"] = str(self.from_id)
        else:
            params["startTime"] = str(self.window)
            params["endTime"] = str(min(self.window + HOUR_MS, self.end) - 1)
        return RestRequest("/api/v3/aggTrades", params, AGG_WEIGHT)

    def take(self, payload: Any) -> dict[str, list[Any]]:
        """Aggregate trades as store columns (``side``: the taker's)."""
        cols = _agg_columns()
        try:
            rows = list(payload)
            for row in rows:
                t = int(row["T"])
                if not self.start <= t < self.end:
                    continue
                cols["ts"].append(t * NS)
                cols["agg_id"].append(int(row["a"]))
                cols["price"].append(str(row["p"]))
                cols["size"].append(str(row["q"]))
                cols["first_trade_id"].append(int(row["f"]))
                cols["last_trade_id"].append(int(row["l"]))
                cols["side"].append("sell" if row["m"] else "buy")
            if not rows:
                if self.from_id is None:
                    self.window += HOUR_MS  # an hour without trades
                else:
                    self.done = True  # caught up with the newest trade
            else:
                paging = self.from_id is not None
                self.from_id = int(rows[-1]["a"]) + 1
                # Past the end, or (paging by id) a short page: nothing newer yet.
                self.done = int(rows[-1]["T"]) >= self.end - 1 or (paging and len(rows) < LIMIT)
        except (TypeError, ValueError, KeyError) as exc:
            raise DecodeError(
                f"binance: malformed aggTrades answer ({type(exc).__name__})"
            ) from None
        return cols


class TradesCursor:
    """``/api/v3/historicalTrades`` by ``fromId``, found from the range's first aggTrade.

    An answer row: ``{"id": 28457, "price": "4.00000100", "qty": "12.00000000",
    "quoteQty": "48.000012", "time": ms, "isBuyerMaker": true, "isBestMatch": true}``.
    """

    def __init__(self, symbol: str, start_ms: int, end_ms: int) -> None:
        self.symbol, self.start, self.end = symbol, start_ms, end_ms
        self.window = start_ms
        self.from_id: int | None = None
        self.done = False

    def next_request(self) -> RestRequest | None:
        """An aggTrades probe for the first trade id, then historicalTrades pages."""
        if self.done or self.window >= self.end:
            return None
        if self.from_id is None:
            params = {
                "symbol": self.symbol,
                "startTime": str(self.window),
                "endTime": str(min(self.window + HOUR_MS, self.end) - 1),
                "limit": "1",
            }
            return RestRequest("/api/v3/aggTrades", params, AGG_WEIGHT)
        params = {"symbol": self.symbol, "fromId": str(self.from_id), "limit": str(LIMIT)}
        return RestRequest("/api/v3/historicalTrades", params, TRADES_WEIGHT)

    def take(self, payload: Any) -> dict[str, list[Any]]:
        """Trades as store columns (``side``: the taker's)."""
        cols: dict[str, list[Any]] = {k: [] for k in ("ts", "trade_id", "price", "size", "side")}
        try:
            rows = list(payload)
            if self.from_id is None:  # the probe's answer
                if rows:
                    self.from_id = int(rows[0]["f"])
                else:
                    self.window += HOUR_MS
                return cols
            for row in rows:
                t = int(row["time"])
                if not self.start <= t < self.end:
                    continue
                cols["ts"].append(t * NS)
                cols["trade_id"].append(int(row["id"]))
                cols["price"].append(str(row["price"]))
                cols["size"].append(str(row["qty"]))
                cols["side"].append("sell" if row["isBuyerMaker"] else "buy")
            if rows:
                self.from_id = int(rows[-1]["id"]) + 1
            self.done = not rows or len(rows) < LIMIT or int(rows[-1]["time"]) >= self.end - 1
        except (TypeError, ValueError, KeyError) as exc:
            raise DecodeError(f"binance: malformed trades answer ({type(exc).__name__})") from None
        return cols
