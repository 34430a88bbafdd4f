"""Pre-built combined-stream frames (the embedded venue's dialect) for the ingest benchmark.

The stream is deterministic for a given ``(messages, symbols, seed)``: the same symbols, the same
channel mix and the same prices, so every client in a run (and every run on any machine) reads
exactly the same bytes. Only the trade event times (``E``/``T``) depend on when it is built.

Sample frames (one line each on the wire)::

    {"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"64012.51000000",
     "B":"1.20300000","a":"64012.52000000","A":"0.40100000"}}
    {"stream":"btcusdt@trade","data":{"e":"trade","E":1718000000123,"s":"BTCUSDT","t":3600001,
     "p":"64012.51000000","q":"0.01200000","T":1718000000123,"m":true,"M":true}}
"""

from __future__ import annotations

import random
import struct
import time
from dataclasses import dataclass

OP_TEXT = 0x1
OP_CLOSE = 0x8
CLOSE_NORMAL = 1000

# Real spot bases first (realistic symbol lengths), then synthetic ones up to any count.
_BASES = (
    *("BTC", "ETH", "BNB", "SOL", "XRP", "DOGE", "ADA", "TRX", "AVAX", "SHIB", "DOT", "LINK"),
    *("TON", "MATIC", "BCH", "NEAR", "LTC", "UNI", "ICP", "APT", "ETC", "FIL", "ATOM", "ARB"),
    *("OP", "IMX", "STX", "INJ", "HBAR", "VET", "RNDR", "GRT", "MKR", "SUI", "SEI", "AAVE"),
    *("ALGO", "FTM", "SAND", "MANA", "EGLD", "THETA", "AXS", "FLOW", "XTZ", "CHZ", "EOS"),
    *("KAVA", "GALA", "SNX", "CRV", "LDO", "RUNE", "QNT", "MINA", "ZEC", "DASH", "ENJ", "BAT"),
)
_BASE_PRICES = {"BTC": 64_000.0, "ETH": 3_400.0, "BNB": 580.0, "SOL": 150.0, "XRP": 0.52}


def symbols_for(count: int) -> list[str]:
    """``count`` distinct upper-case USDT symbols (``BTCUSDT``, ``ETHUSDT``, ... ``X0061USDT``)."""
    if count < 1:
        raise ValueError("need at least one symbol")
    names = [f"{base}USDT" for base in _BASES[:count]]
    names.extend(f"X{i:04d}USDT" for i in range(len(names), count))
    return names


def ws_frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """One unmasked server-to-client frame with FIN set."""
    size = len(payload)
    first = 0x80 | opcode
    if size < 126:
        header = struct.pack("!BB", first, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    return header + payload


def close_frame(code: int = CLOSE_NORMAL) -> bytes:
    """An unmasked close frame carrying ``code``."""
    return ws_frame(struct.pack("!H", code), OP_CLOSE)


@dataclass(frozen=True, slots=True)
class FrameStream:
    """All frames of one benchmark stream, concatenated, ready to write in chunks."""

    data: bytes
    messages: int
    symbols: int
    book_ticker: int
    trades: int
    build_s: float

    @property
    def avg_frame_bytes(self) -> float:
        """Mean frame size on the wire, header included."""
        return len(self.data) / self.messages if self.messages else 0.0


def build_stream(
    messages: int, symbols: int, *, trade_ratio: float = 0.3, seed: int = 20240601
) -> FrameStream:
    """Build ``messages`` frames over ``symbols`` symbols: bookTicker and trade, mixed by seed.

    Per symbol, bookTicker ``u`` rises by 1-5 per update and trade ``t`` by exactly 1 (as the
    dialect does), prices follow a small random walk, and trade ``E``/``T`` are the wall clock
    when the frame is built.
    """
    if messages < 1:
        raise ValueError("need at least one message")
    started = time.perf_counter()
    rng = random.Random(seed)
    names = symbols_for(symbols)
    streams = [name.lower() for name in names]
    prices = [_BASE_PRICES.get(name[:-4], 0.5 + rng.random() * 200.0) for name in names]
    update_ids = [rng.randrange(10_000_000, 900_000_000) for _ in names]
    trade_ids = [rng.randrange(1_000_000, 90_000_000) for _ in names]
    out = bytearray()
    book_ticker = trades = 0
    rand, randrange, time_ns = rng.random, rng.randrange, time.time_ns
    for _ in range(messages):
        i = randrange(symbols)
        price = prices[i] * (1.0 + (rand() - 0.5) * 2e-4)
        prices[i] = price
        if rand() >= trade_ratio:
            update_ids[i] += 1 + randrange(5)
            spread = price * 1e-5
            text = (
                f'{{"stream":"{streams[i]}@bookTicker","data":{{"u":{update_ids[i]},'
                f'"s":"{names[i]}","b":"{price - spread:.8f}","B":"{rand() * 50:.8f}",'
                f'"a":"{price + spread:.8f}","A":"{rand() * 50:.8f}"}}}}'
            )
            book_ticker += 1
        else:
            trade_ids[i] += 1
            now_ms = time_ns() // 1_000_000
            maker = "true" if rand() < 0.5 else "false"
            text = (
                f'{{"stream":"{streams[i]}@trade","data":{{"e":"trade","E":{now_ms},'
                f'"s":"{names[i]}","t":{trade_ids[i]},"p":"{price:.8f}","q":"{rand() * 5:.8f}",'
                f'"T":{now_ms},"m":{maker},"M":true}}}}'
            )
            trades += 1
        out += ws_frame(text.encode())
    return FrameStream(
        data=bytes(out),
        messages=messages,
        symbols=symbols,
        book_ticker=book_ticker,
        trades=trades,
        build_s=time.perf_counter() - started,
    )
