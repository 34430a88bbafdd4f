"""Deterministic synthetic market data written straight into the store (benchmarks, tests).

A seeded random walk per symbol, rounded to a tick of 0.01 so every price is an exact decimal:
``quotes`` (one bookTicker-style row per ``step_ms``, spread of one tick) and 1-minute
``candles_1m`` (open/high/low/close from the walk, a volume). Vectorised with numpy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from letrade_cli.data.store import Store

MINUTE_NS = 60_000_000_000


def _walk(n: int, seed: int, start: float) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.0004, n)
    # A slow swing on top of the noise: trends for a moving-average cross to find.
    swing = 0.02 * np.sin(np.arange(n) / max(n / 40, 1.0))
    return np.round(start * np.exp(np.cumsum(steps) + swing), 2)


def _text(values: Any) -> list[str]:
    return [f"{v:.2f}" for v in values.tolist()]


def write_quotes(
    root: Path | str,
    symbols: list[str],
    rows_per_symbol: int,
    *,
    venue: str = "sim",
    start_ns: int = 1_764_547_200_000_000_000,
    step_ms: int = 1000,
    seed: int = 7,
) -> int:
    """Write ``rows_per_symbol`` quotes per symbol; the number of rows written."""
    import pyarrow as pa

    from letrade_cli.data.schema import decimal_type, schema

    store = Store(root)
    total = 0
    for index, symbol in enumerate(symbols):
        mid = _walk(rows_per_symbol, seed + index, 100.0 * (index + 1))
        ts = [start_ns + i * step_ms * 1_000_000 + index for i in range(rows_per_symbol)]
        bid = pa.array(_text(mid - 0.01)).cast(decimal_type())
        ask = pa.array(_text(mid)).cast(decimal_type())
        size = pa.array(["2.5"] * rows_per_symbol).cast(decimal_type())
        ts_arr = pa.array(ts, pa.int64()).cast(pa.timestamp("ns", tz="UTC"))
        data = pa.Table.from_arrays(
            [ts_arr, ts_arr, bid, size, ask, size, pa.array(range(rows_per_symbol), pa.int64())],
            schema=schema("quotes"),
        )
        store.write(venue, "quotes", symbol, data)
        total += rows_per_symbol
    return total


def write_candles(
    root: Path | str,
    symbols: list[str],
    minutes: int,
    *,
    venue: str = "sim",
    start_ns: int = 1_733_011_200_000_000_000,
    seed: int = 11,
) -> int:
    """Write ``minutes`` 1-minute candles per symbol; the number of rows written."""
    import numpy as np
    import pyarrow as pa

    from letrade_cli.data.schema import decimal_type, schema

    store = Store(root)
    total = 0
    for index, symbol in enumerate(symbols):
        path = _walk(minutes * 4 + 1, seed + index, 100.0 * (index + 1))
        quarters = path[1:].reshape(minutes, 4)
        opens = path[:-1:4]
        closes = quarters[:, 3]
        highs = np.maximum(quarters.max(axis=1), opens)
        lows = np.minimum(quarters.min(axis=1), opens)
        ts = pa.array([start_ns + i * MINUTE_NS for i in range(minutes)], pa.int64())
        columns = [ts.cast(pa.timestamp("ns", tz="UTC"))]
        for values in (opens, highs, lows, closes):
            columns.append(pa.array(_text(values)).cast(decimal_type()))
        volume = pa.array(["1.5"] * minutes).cast(decimal_type())
        quote_volume = pa.array(_text(closes * 1.5)).cast(decimal_type())
        columns += [volume, quote_volume, pa.array([10] * minutes, pa.int64())]
        store.write(
            venue, "candles_1m", symbol, pa.Table.from_arrays(columns, schema=schema("candles_1m"))
        )
        total += minutes
    return total
