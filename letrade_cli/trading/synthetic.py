"""Deterministic synthetic market data in the formats the replay source reads (tests, benchmarks).

``write_collector_candles`` writes what the data-collector Lambda writes (one JSON Lines object
per market and UTC day). Prices follow a seeded random walk. Recorded frame files are in a
venue's own dialect: each venue package writes its own (e.g. ``venues/<venue>/synthetic.py``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

DAY_MS = 86_400_000


def random_walk(n: int, start: float, seed: int, vol: float = 0.002) -> list[float]:
    """``n`` prices of a seeded multiplicative random walk from ``start``."""
    rng = random.Random(seed)
    prices, price = [], start
    for _ in range(n):
        price *= 1 + rng.gauss(0, vol)
        prices.append(price)
    return prices


def write_collector_candles(
    root: Path,
    *,
    venue: str | None = None,
    markets: Sequence[str] = ("BTCUSDT",),
    start_ms: int = 1_763_769_600_000,  # 2025-11-22T00:00:00Z
    minutes: int = 1440,
    seed: int = 7,
    prices: Sequence[float] | None = None,
    prefix: str = "candles",
) -> list[Path]:
    """1-minute candles in the collector's key layout under ``root``; returns the files.

    ``venue`` defaults to the dialect of the embedded exchange's venue.
    """
    import time

    if venue is None:
        from letrade_cli.venues.registry import embedded_spec

        venue = embedded_spec().dialect

    written: dict[Path, list[str]] = {}
    for index, market in enumerate(markets):
        closes = (
            list(prices)
            if prices is not None
            else random_walk(minutes, 100.0 * (index + 1), seed + index)
        )
        previous = closes[0]
        for minute, close in enumerate(closes[:minutes]):
            t = start_ms + minute * 60_000
            day = time.gmtime(t // 1000)
            date = f"{day.tm_year:04d}-{day.tm_mon:02d}-{day.tm_mday:02d}"
            stamp = f"{day.tm_year:04d}{day.tm_mon:02d}{day.tm_mday:02d}T0000"
            path = root / prefix / f"venue={venue}" / f"market={market}" / f"date={date}"
            path = path / f"candles-1m-{stamp}.jsonl"
            row = {
                "t": t,
                "o": f"{previous:.2f}",
                "h": f"{max(previous, close) * 1.0005:.2f}",
                "l": f"{min(previous, close) * 0.9995:.2f}",
                "c": f"{close:.2f}",
                "v": "1.5",
                "qv": f"{1.5 * close:.2f}",
            }
            written.setdefault(path, []).append(
                json.dumps(row, sort_keys=True, separators=(",", ":"))
            )
            previous = close
    for path, lines in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sorted(written)
