"""The replay source: stored market data through the live ingest pipeline, at any speed.

``SOURCE`` is one of:

* a directory, or ``s3://bucket/prefix``, holding what the data-collector Lambda writes
  (``PREFIX/venue=V/market=M/date=D/candles-1m-YYYYMMDDT0000.jsonl``, one ``{t,o,h,l,c,v,qv}``
  JSON line per candle, ``t`` its open time in ms). Each candle becomes one ``kline_1m`` tick at
  its close (``t + unit``), priced at its close ``c``, decoded by ``CollectorDecoder``. S3 goes
  through boto3 (``AWS_ENDPOINT_URL_S3`` or ``endpoint_url`` for another endpoint);
* a recorded frame file (``tests/data/README.md`` format: ``URL <-> T`` then ``T: PAYLOAD``
  lines), decoded by the venue's own decoder, clocked by the recorded receive times (read to the
  nanosecond). The venue is the one named by ``#venue=NAME`` on the URL (what ``--record``
  writes), else the one whose recorded hosts the URL names.

Frames go through ``IngestPipeline.on_frame`` (decode -> Tick -> cache -> bus) exactly as live
frames do. ``speed`` is how many times faster than the data's own clock to run (None: as fast
as possible). Reading is lazy (one object or line at a time), so memory stays flat.
"""

from __future__ import annotations

import ast
import asyncio
import heapq
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from letrade_cli.connector.pipeline import IngestPipeline
from letrade_cli.connector.source import Step
from letrade_cli.connector.stats import NS_PER_MS, StreamStats
from letrade_cli.core.bus import Bus
from letrade_cli.core.cache import PriceCache
from letrade_cli.core.errors import ConfigError, DecodeError, NetworkUnavailableError, UsageError
from letrade_cli.core.orders import SymbolRules
from letrade_cli.core.tick import Tick
from letrade_cli.core.waits import wait_event

KEY_RE = re.compile(
    r"(?:^|/)venue=(?P<venue>[^/]+)/market=(?P<market>[^/]+)/date=[^/]+/"
    r"candles-(?P<unit>\d+m|1d)-[^/]*\.jsonl$"
)
YIELD_EVERY = 512  # frames between yields to the event loop at full speed

Frame = tuple[int, bytes | str]  # (recv_ns, frame)


class CollectorDecoder:
    """Decodes a data-collector candle line (with its market added) into a ``kline`` tick."""

    __slots__ = ("channel", "unit_ms", "venue")

    def __init__(self, venue: str, unit_ms: int = 60_000) -> None:
        self.venue = venue
        self.unit_ms = unit_ms
        self.channel = "kline_1d" if unit_ms == 86_400_000 else f"kline_{unit_ms // 60_000}m"

    def decode(self, frame: bytes | str, recv_ns: int) -> Tick | None:
        """``{"market", "t", "o", "h", "l", "c", "v", ...}`` -> a tick at the candle's close.

        ``o``/``h``/``l`` are optional (None when a line lacks them).
        """
        try:
            row = orjson.loads(frame)
            close = float(row["c"])
            return Tick(
                self.venue,
                row["market"],
                self.channel,
                None,
                None,
                close,
                float(row["v"]),
                int(row["t"]) + self.unit_ms,
                recv_ns,
                int(row["t"]) // self.unit_ms,
                float(row["o"]) if "o" in row else None,
                float(row["h"]) if "h" in row else None,
                float(row["l"]) if "l" in row else None,
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise DecodeError(f"not a data-collector candle line: {exc}") from None


def _unit_ms(unit: str) -> int:
    return 86_400_000 if unit == "1d" else int(unit[:-1]) * 60_000


class _Objects:
    """Candle objects from a directory or an S3 prefix: (key, venue, market, unit_ms)."""

    def __init__(self, source: str, endpoint_url: str | None) -> None:
        self.source = source
        self.s3: Any = None
        if source.startswith("s3://"):
            bucket, _, prefix = source[5:].partition("/")
            if not bucket:
                raise UsageError(f"--replay {source}: no bucket", hint="use s3://bucket/prefix")
            self.bucket, self.prefix = bucket, prefix.strip("/")
            import boto3

            self.s3 = boto3.client(
                "s3", endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or None
            )
        else:
            self.root = Path(source)

    def list(self) -> list[tuple[str, str, str, int]]:
        out = []
        for key in self._keys():
            match = KEY_RE.search(key)
            if match:
                out.append((key, match["venue"], match["market"], _unit_ms(match["unit"])))
        return sorted(out)

    def _keys(self) -> Iterator[str]:
        if self.s3 is None:
            for path in sorted(self.root.rglob("*.jsonl")):
                yield path.relative_to(self.root).as_posix()
            return
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
        )

        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + "/" if self.prefix else ""
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"]
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise NetworkUnavailableError(
                f"cannot list {self.source}: {exc}",
                hint="check the network and AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL",
            ) from None
        except (BotoCoreError, ClientError) as exc:
            raise ConfigError(
                f"cannot list {self.source}: {exc}",
                hint="check the bucket name, your AWS credentials and AWS_ENDPOINT_URL_S3",
            ) from None

    def lines(self, key: str) -> Iterator[bytes]:
        if self.s3 is None:
            try:
                with (self.root / key).open("rb") as handle:
                    yield from handle
            except OSError as exc:
                raise ConfigError(f"cannot read {self.root / key}: {exc.strerror}") from None
            return
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            yield from body.iter_lines()
        except (BotoCoreError, ClientError) as exc:
            raise ConfigError(
                f"cannot read s3://{self.bucket}/{key}: {exc}",
                hint="check your AWS credentials and AWS_ENDPOINT_URL_S3",
            ) from None


class ReplaySource:
    """Stored data as a ``TickSource`` (see the module docstring).

    Args:
        source: A directory, ``s3://bucket/prefix`` or a recorded frame file.
        speed: Times faster than the data's clock; None for as fast as possible.
        symbols: Only these markets (collector data; exact venue spelling); empty = all.
        fast_forward: Deliver this many frames first without pacing (a resumed run's warm-up).
        endpoint_url: S3 endpoint (moto, MinIO); default from ``AWS_ENDPOINT_URL_S3``.
        ttl_ms: The price cache's freshness, on the data's clock.
    """

    replay = True

    def __init__(
        self,
        source: str,
        *,
        speed: float | None = None,
        symbols: Iterable[str] = (),
        fast_forward: int = 0,
        endpoint_url: str | None = None,
        ttl_ms: int = 500,
        max_symbols: int = 1000,
    ) -> None:
        self.source = source
        self.speed = speed
        self.wanted = {s.upper() for s in symbols}
        self.fast_forward = fast_forward
        self.endpoint_url = endpoint_url
        self.position = 0
        self.symbols: list[str] = []
        self.venue = ""
        self.kind = ""
        self.cache = PriceCache(max_size=max_symbols, ttl_ns=ttl_ms * NS_PER_MS, clock=time.time_ns)
        self.bus: Bus[Tick] = Bus()
        self.stats = StreamStats()
        self.pipeline: IngestPipeline | None = None
        self._objects: _Objects | None = None
        self._listing: list[tuple[str, str, str, int]] = []
        self._path: Path | None = None

    async def start(self) -> None:
        """Find the data and the venue; build the pipeline with the right decoder."""
        source = self.source
        if source.startswith("s3://") or Path(source).is_dir():
            self.kind = "collector"
            self._objects = await asyncio.to_thread(_Objects, source, self.endpoint_url)
            listing = await asyncio.to_thread(self._objects.list)
            if self.wanted:
                listing = [o for o in listing if o[2].upper() in self.wanted]
            if not listing:
                raise UsageError(
                    f"--replay {source}: no data-collector candle files found"
                    + (f" for {', '.join(sorted(self.wanted))}" if self.wanted else ""),
                    hint="expected PREFIX/venue=V/market=M/date=D/candles-1m-*.jsonl",
                )
            venues = {o[1] for o in listing}
            units = {o[3] for o in listing}
            if len(venues) > 1 or len(units) > 1:
                raise UsageError(
                    f"--replay {source}: mixes venues {sorted(venues)} or candle units",
                    hint="point --replay at one venue's prefix (…/venue=NAME)",
                )
            self._listing = listing
            self.venue = venues.pop()
            self.symbols = sorted({o[2] for o in listing})
            decoder: Any = CollectorDecoder(self.venue, units.pop())
            contiguous: frozenset[str] = frozenset()
        elif Path(source).is_file():
            self.kind = "recorded"
            self._path = Path(source)
            self.venue = await asyncio.to_thread(_recorded_venue, self._path)
            from letrade_cli.venues.registry import dialect_for

            dialect = dialect_for(_dialect_name(self.venue))
            decoder = dialect.decoder(self.venue)
            contiguous = frozenset(dialect.contiguous_channels)
            self.symbols = sorted(self.wanted)
        else:
            raise UsageError(
                f"--replay {source}: no such file or directory",
                hint="give a data-collector directory, s3://bucket/prefix or a recorded file",
            )
        self.pipeline = IngestPipeline(
            decoder, self.cache, self.bus, self.stats, contiguous_channels=contiguous
        )

    def frames(self) -> Iterator[Frame]:
        """Every frame in order with its receive time (the data's clock)."""
        if self.kind == "recorded":
            assert self._path is not None
            return _recorded_frames(self._path)
        return self._collector_frames()

    def _collector_frames(self) -> Iterator[Frame]:
        objects = self._objects
        assert objects is not None
        by_market: dict[str, list[tuple[str, int]]] = {}
        for key, _, market, unit in self._listing:
            by_market.setdefault(market, []).append((key, unit))

        def market_frames(
            market: str, keys: list[tuple[str, int]]
        ) -> Iterator[tuple[int, str, bytes]]:
            prefix = b'{"market":' + orjson.dumps(market) + b","
            for key, unit in keys:
                for line in objects.lines(key):
                    line = line.strip()
                    try:
                        t = int(orjson.loads(line)["t"])
                    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                        self.stats.decode_errors += bool(line)  # counted, like a bad frame
                        continue
                    yield (t + unit) * NS_PER_MS, market, prefix + line[1:]

        streams = [market_frames(m, keys) for m, keys in sorted(by_market.items())]
        for recv_ns, _, frame in heapq.merge(*streams, key=lambda f: (f[0], f[1])):
            yield recv_ns, frame

    async def run(self, stop: asyncio.Event, step: Step) -> None:
        """Push every frame through the pipeline, paced by ``speed``; ``step()`` after each."""
        pipeline = self.pipeline
        assert pipeline is not None
        on_frame = pipeline.on_frame
        speed = self.speed
        first_ns = wall0 = 0.0
        frames = self.frames()
        while not stop.is_set():
            batch = await asyncio.to_thread(_take, frames, YIELD_EVERY)
            if not batch:
                return
            for recv_ns, frame in batch:
                if stop.is_set():
                    return
                self.position += 1
                if speed is not None and self.position > self.fast_forward:
                    if not wall0:
                        first_ns, wall0 = recv_ns, time.monotonic()
                    delay = wall0 + (recv_ns - first_ns) / 1e9 / speed - time.monotonic()
                    if delay > 0 and await wait_event(stop, delay):
                        return
                on_frame(frame, recv_ns)
                if (work := step()) is not None:
                    await work
            await asyncio.sleep(0)

    async def close(self) -> None:
        """Nothing stays open between reads."""

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
        """Frames, ticks, decode errors and cache figures."""
        snap = self.stats.snapshot(self.cache.stats().as_dict())
        snap["venue"] = self.venue
        snap["replay"] = {"source": self.source, "kind": self.kind, "position": self.position}
        return snap


def _take(frames: Iterator[Frame], n: int) -> list[Frame]:
    out = []
    for item in frames:
        out.append(item)
        if len(out) >= n:
            break
    return out


def _dialect_name(venue: str) -> str:
    """The dialect of a venue name (a spec such as the embedded one), else the name itself."""
    from letrade_cli.venues.registry import venue_spec

    try:
        return venue_spec(venue).dialect
    except UsageError:
        return venue


def _recorded_venue(path: Path) -> str:
    from letrade_cli.venues.registry import venue_for_url, venue_spec, venues

    # A bad byte is a bad frame (counted by the decoder), never a UnicodeDecodeError traceback.
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if " <-> " in line:
                url = line.split(" <-> ")[0]
                named = re.search(r"#venue=([A-Za-z0-9_.-]+)$", url)
                if named:
                    return venue_spec(named[1]).name
                venue = venue_for_url(url)
                if venue is not None:
                    return venue.name
                break
    raise UsageError(
        f"--replay {path}: not a recorded frame file (no 'URL <-> T' line of "
        f"{' or '.join(venues())})",
        hint="see tests/data/README.md for the format",
    )


def _seconds_to_ns(text: str) -> int | None:
    """``"1633998512.0633569"`` -> ns, exactly (a float would lose the last digits)."""
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        return None
    return int(whole) * 1_000_000_000 + int((fraction + "000000000")[:9])


def _recorded_frames(path: Path) -> Iterator[Frame]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            line = raw.rstrip("\n")
            if not line or " <-> " in line:
                continue
            head, sep, payload = line.partition(": ")
            if not sep or " " in head:  # "URL <- T" (sent) or "URL -> T" (REST answer)
                continue
            recv_ns = _seconds_to_ns(head)
            if recv_ns is None:
                continue
            frame: bytes | str = payload
            if payload.startswith(("b'", 'b"')):
                frame = ast.literal_eval(payload)
            yield recv_ns, frame
