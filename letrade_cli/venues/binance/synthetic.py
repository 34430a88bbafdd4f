"""A recorded frame file of combined-stream ``bookTicker`` frames (tests, benchmarks).

The file is in the recorded format the replay source reads (``URL <-> T`` then ``T: PAYLOAD``
lines, see ``tests/data/README.md``); prices follow a seeded random walk.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path


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
