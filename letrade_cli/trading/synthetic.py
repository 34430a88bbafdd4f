"""Deterministic synthetic market data in the formats the replay source reads (tests, benchmarks).

``write_collector_candles`` writes what the data-collector Lambda writes (one JSON Lines object
per market and UTC day); ``write_recorded_book_tickers`` writes a recorded frame file of Binance
combined-stream ``bookTicker`` frames. Prices follow a seeded random walk.
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
    venue: str = "binance",
    markets: Sequence[str] = ("BTCUSDT",),
    start_ms: int = 1_763_769_600_000,  # 2025-11-22T00:00:00Z
    minutes: int = 1440,
    seed: int = 7,
    prices: Sequence[float] | None = None,
    prefix: str = "candles",
) -> list[Path]:
    """1-minute candles in the collector's key layout under ``root``; returns the files."""
    import time

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


def write_recorded_book_tickers(
    path: Path,
    *,
    symbols: Sequence[str] = ("BTCUSDT", "ETHUSDT"),
    start_s: float = 1_763_769_600.0,
    seconds: int = 86_400,
    per_second: int = 1,
    seed: int = 7,
) -> int:
    """A recorded-format file of bookTicker frames (one per symbol per step); returns frames."""
    rng = random.Random(seed)
    streams = "/".join(f"{s.lower()}@bookTicker" for s in symbols)
    prices = [100.0 * (i + 1) for i in range(len(symbols))]
    frames = 0
    step = 1.0 / per_second
    with path.open("w", encoding="utf-8") as out:
        out.write(f"wss://stream.binance.com:9443/stream?streams={streams} <-> {start_s}\n")
        for n in range(seconds * per_second):
            t = start_s + n * step
            for i, symbol in enumerate(symbols):
                prices[i] *= 1 + rng.gauss(0, 0.0005)
                bid = prices[i]
                ask = bid * 1.0001
                data = (
                    f'{{"u":{frames + 1},"s":"{symbol}","b":"{bid:.2f}","B":"2.50000000",'
                    f'"a":"{ask:.2f}","A":"3.00000000"}}'
                )
                out.write(f'{t:.6f}: {{"stream":"{symbol.lower()}@bookTicker","data":{data}}}\n')
                frames += 1
    return frames
