"""The store source: rows of the Parquet store as ticks, several symbols in event-time order.

``dryrun --data [STORE] --symbols ... --from ... --to ... [--kind K]`` reads one kind of the
store (``data.store``): ``quotes`` become ``bookTicker`` ticks, ``trades``/``aggtrades`` become
``trade``/``aggTrade`` ticks, ``candles_<interval>`` become ``kline_<interval>`` ticks at the
candle's close carrying open/high/low/close and the volume (``Tick.size``). Without ``--kind``
the finest kind the store holds for the symbols is taken (quotes, then trades, aggtrades, then
the shortest candle interval).

Columns are converted once, vectorised (decimal -> float64); the engine converts a price that
reaches an order back to the exact decimal (the float's shortest repr). The source publishes
ticks on the bus and the cache as the ingest pipeline does, without a decode step. ``position``
counts rows, so a resumed run warms up to its committed cursor and continues exactly.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, NamedTuple

from letrade_cli.connector.source import Step
from letrade_cli.connector.stats import NS_PER_MS, StreamStats
from letrade_cli.core.bus import Bus
from letrade_cli.core.cache import PriceCache
from letrade_cli.core.errors import UsageError
from letrade_cli.core.orders import SymbolRules
from letrade_cli.core.tick import Tick
from letrade_cli.core.waits import wait_event

YIELD_EVERY = 4096  # rows between yields to the event loop at full speed
KIND_ORDER = ("quotes", "trades", "aggtrades")


CHUNK_ROWS = 65_536


def _finest(kinds: set[str]) -> str | None:
    from letrade_cli.data.schema import interval_ms

    for kind in KIND_ORDER:
        if kind in kinds:
            return kind
    candles = sorted(
        (k for k in kinds if k.startswith("candles_")), key=lambda k: interval_ms(k[8:])
    )
    return candles[0] if candles else None


class StoreSource:
    """Stored rows as a ``TickSource`` (see the module docstring).

    Args:
        root: The store's root (None: the default store).
        symbols: The symbols to replay (all the store holds for the kind when empty).
        kind: The store kind; None for the finest one held.
        start_ns: First ``ts`` included; None from the start.
        end_ns: First ``ts`` excluded; None to the end.
        speed: Times faster than the data's clock; None for as fast as possible.
        fast_forward: Rows delivered first without pacing (a resumed run's warm-up).
        ttl_ms: The price cache's freshness, on the data's clock.
    """

    replay = True

    def __init__(
        self,
        root: str | None,
        *,
        symbols: list[str] | tuple[str, ...] = (),
        kind: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        speed: float | None = None,
        fast_forward: int = 0,
        ttl_ms: int = 500,
        max_symbols: int = 1000,
    ) -> None:
        self.root = root
        self.wanted = [s.upper() for s in symbols]
        self.kind = kind
        self.start_ns, self.end_ns = start_ns, end_ns
        self.speed = speed
        self.fast_forward = fast_forward
        self.position = 0
        self.symbols: list[str] = []
        self.venue = ""
        self.cache = PriceCache(max_size=max_symbols, ttl_ns=ttl_ms * NS_PER_MS, clock=time.time_ns)
        self.bus: Bus[Tick] = Bus()
        self.stats = StreamStats()
        self._data: Any = None  # the rows as one Arrow table, in (ts, symbol) order
        self._rows = 0
        self._counts: dict[str, int] = {}

    async def start(self) -> None:
        """Find the venue and kind, read the rows and convert their columns."""
        await asyncio.to_thread(self._load)

    def _load(self) -> None:
        from letrade_cli.data.store import Store, iso

        store = Store(self.root)
        held = [_Series(*key) for key in store.series()]
        wanted = set(self.wanted)
        mine = [h for h in held if not wanted or h.symbol in wanted]
        if self.kind is not None:
            mine = [h for h in mine if h.kind == self.kind]
        if not mine:
            what = ", ".join(sorted(wanted)) or "any symbol"
            have = sorted({f"{h.symbol} ({h.kind})" for h in held})[:8]
            raise UsageError(
                f"--data {store.root}: no {self.kind or 'data'} for {what}"
                + (f"; it holds {', '.join(have)}" if have else "; the store is empty"),
                hint="see `letrade data ls`; fill it with `letrade data download` or "
                "`letrade stream --record`",
            )
        kind = self.kind or _finest({h.kind for h in mine})
        assert kind is not None
        mine = [h for h in mine if h.kind == kind]
        venues = sorted({h.venue for h in mine})
        if len(venues) > 1:
            raise UsageError(
                f"--data {store.root}: {kind} of {', '.join(sorted({h.symbol for h in mine}))} "
                f"comes from several venues ({', '.join(venues)})",
                hint="give --symbols of one venue",
            )
        missing = sorted(wanted - {h.symbol for h in mine})
        if missing:
            raise UsageError(
                f"--data {store.root}: no {kind} for {', '.join(missing)}",
                hint="see `letrade data ls`, or download it with `letrade data download`",
            )
        self.kind, self.venue = kind, venues[0]
        self.symbols = sorted({h.symbol for h in mine})
        data = store.read(
            self.venue, kind, self.symbols, self.start_ns, self.end_ns, _needed(kind), floats=True
        )
        if not data.num_rows:
            span = f"{iso(self.start_ns or 0)} .. {iso(self.end_ns or 0)}"
            raise UsageError(
                f"--data {store.root}: no {kind} rows for {', '.join(self.symbols)} in {span}",
                hint="see `letrade data ls` for the times the store covers",
            )
        self._data = data
        self._rows = data.num_rows

    def _chunks(self) -> Any:
        """Every row as a Tick, in (ts, symbol) order, a list of ticks per slice.

        Rows become Python values a slice at a time: a year of candles or a million quotes stays
        an Arrow table (about 70 bytes a row) instead of a few hundred bytes of objects a row.
        """
        for offset in range(0, self._rows, CHUNK_ROWS):
            yield self._chunk_ticks(_columns(self.kind or "", self._data.slice(offset, CHUNK_ROWS)))

    def _chunk_ticks(self, cols: dict[str, Any]) -> list[Tick]:
        """The ticks of one slice's columns (a list comprehension: no generator per row)."""
        venue, kind = self.venue, self.kind or ""
        if kind == "quotes":
            return [
                Tick(venue, symbol, "bookTicker", bid, ask, None, size, ts // 1_000_000,
                     recv or ts, seq)
                for symbol, ts, recv, bid, ask, size, seq in zip(
                    cols["symbol"], cols["ts"], cols["recv"], cols["bid"], cols["ask"],
                    cols["bid_size"], cols["seq"], strict=True,
                )
            ]  # fmt: skip
        if kind in ("trades", "aggtrades"):
            channel = "trade" if kind == "trades" else "aggTrade"
            return [
                Tick(venue, symbol, channel, None, None, price, size, ts // 1_000_000, ts, seq)
                for symbol, ts, price, size, seq in zip(
                    cols["symbol"], cols["ts"], cols["price"], cols["size"], cols["seq"],
                    strict=True,
                )
            ]  # fmt: skip
        from letrade_cli.data.schema import interval_ms

        unit = interval_ms(kind[8:])
        unit_ns = unit * 1_000_000
        channel = "kline_" + kind[8:]
        return [
            Tick(venue, symbol, channel, None, None, close, volume, (ts + unit_ns) // 1_000_000,
                 ts + unit_ns, ts // 1_000_000 // unit, open_, high, low)
            for symbol, ts, open_, high, low, close, volume in zip(
                cols["symbol"], cols["ts"], cols["open"], cols["high"], cols["low"],
                cols["close"], cols["volume"], strict=True,
            )
        ]  # fmt: skip

    async def run(self, stop: asyncio.Event, step: Step) -> None:
        """Publish every row, paced by ``speed``; ``step()`` after each."""
        put, publish = self.cache.put, self.bus.publish
        counts = self._counts
        speed, fast_forward = self.speed, self.fast_forward
        first_ns = wall0 = 0.0
        n = 0
        for chunk in self._chunks():
            for tick in chunk:
                if stop.is_set():
                    return
                n += 1
                self.position = n
                recv_ns = tick.recv_ns
                if speed is not None and n > fast_forward:
                    if not wall0:
                        first_ns, wall0 = recv_ns, time.monotonic()
                    delay = wall0 + (recv_ns - first_ns) / 1e9 / speed - time.monotonic()
                    if delay > 0 and await wait_event(stop, delay):
                        return
                symbol = tick.symbol
                counts[symbol] = counts.get(symbol, 0) + 1
                put(symbol, tick, recv_ns)
                publish(tick)
                if (work := step()) is not None:
                    await work
                if not n % YIELD_EVERY:
                    await asyncio.sleep(0)

    async def close(self) -> None:
        """Nothing stays open: the rows are in memory."""

    def split_symbol(self, symbol: str) -> tuple[str, str]:
        """``(base, quote)`` in the format of the data's venue (any venue's, if unregistered)."""
        from letrade_cli.venues.registry import split_any, symbol_format

        try:
            return symbol_format(self.venue).split(symbol)
        except UsageError:
            parts = split_any(symbol)
            if parts is None:
                raise
            return parts

    async def market_rules(self, symbols: list[str]) -> dict[str, SymbolRules]:
        """Stored data carries no filters: the paper broker's permissive ones apply."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Rows, ticks per symbol and cache figures."""
        stats = self.stats
        stats.frames = self.position
        for symbol, count in self._counts.items():
            stats.symbol(symbol).messages = count
        snap = stats.snapshot(self.cache.stats().as_dict())
        snap["venue"] = self.venue
        snap["replay"] = {
            "source": str(self.root or "store"),
            "kind": self.kind,
            "position": self.position,
        }
        return snap


class _Series(NamedTuple):
    venue: str
    kind: str
    symbol: str


def _needed(kind: str) -> list[str]:
    """The stored columns a kind's ticks are made of."""
    if kind == "quotes":
        return ["ts", "recv_ts", "bid", "bid_size", "ask", "update_id"]
    if kind in ("trades", "aggtrades"):
        return ["ts", "price", "size", "trade_id" if kind == "trades" else "agg_id"]
    return ["ts", "open", "high", "low", "close", "volume"]


def _columns(kind: str, data: Any) -> dict[str, Any]:
    """Python lists of the columns a kind's ticks need (floats for prices, ints for times)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def floats(name: str) -> list[float | None]:
        return pc.cast(data[name], pa.float64()).to_pylist()

    def ints(name: str) -> list[int]:
        return pc.cast(data[name], pa.int64()).to_pylist()

    # One str object per symbol, not per row (a dictionary's indices into its values).
    symbols = pc.dictionary_encode(data["symbol"]).combine_chunks()
    names = symbols.dictionary.to_pylist()
    cols: dict[str, Any] = {
        "ts": ints("ts"),
        "symbol": [names[i] for i in symbols.indices.to_pylist()],
    }
    if kind == "quotes":
        cols |= {"bid": floats("bid"), "ask": floats("ask"), "bid_size": floats("bid_size")}
        cols["recv"] = ints("recv_ts")
        cols["seq"] = [-1 if v is None else v for v in ints("update_id")]
    elif kind in ("trades", "aggtrades"):
        cols |= {"price": floats("price"), "size": floats("size")}
        cols["seq"] = ints("trade_id" if kind == "trades" else "agg_id")
    else:
        for name in ("open", "high", "low", "close", "volume"):
            cols[name] = floats(name)
    return cols
