"""History from a venue's REST API into the store, one (symbol, UTC day) partition at a time.

The venue's ``HistoryApi`` (found through the registry) pages the requests; this module plans
the days, skips complete partitions, paces and retries, and writes.

Resuming: a day is written only once all of it has been fetched, as one ``data.parquet``
(atomically), so a partition holding ``data.parquet`` is complete and is skipped without a
request. A download killed midway left nothing for the day it was fetching: a second run
fetches that day again from its start (never duplicated rows). A day that is not over yet
(today) is written as ``partial.parquet`` and fetched again by every run; once the day is
over, ``data.parquet`` replaces it. A day with no data writes nothing and is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from letrade_cli.core.errors import (
    ExchangeRejectedError,
    NetworkUnavailableError,
    OutcomeUnknownError,
    RateLimitedError,
    UnknownSymbolError,
    UsageError,
)
from letrade_cli.data.schema import check_kind, family, interval_ms, table
from letrade_cli.data.store import NS_PER_DAY, Store, day_of, day_start_ns

if TYPE_CHECKING:
    from letrade_cli.venues.base import HistoryApi, RatePacer, RestRequest, VenueSpec

KINDS = {"aggTrades": "aggtrades", "trades": "trades"}
COMPLETE, PARTIAL = "data", "partial"
UNIQUE = {"candles": "ts", "trades": "trade_id", "aggtrades": "agg_id"}
MAX_RETRIES = 5
MAX_BACKOFF_S = 300.0


def store_kind(text: str) -> str:
    """``candles:1m`` -> ``candles_1m``, ``aggTrades`` -> ``aggtrades``, ``trades``."""
    if text in KINDS:
        return KINDS[text]
    if text.startswith("candles:"):
        interval_ms(text[len("candles:") :])  # UsageError for candles:7x
        return check_kind("candles_" + text[len("candles:") :])
    raise UsageError(
        f"unknown kind {text!r}", hint="use candles:<interval> (candles:1m), aggTrades or trades"
    )


def date_range(start: str, end: str) -> tuple[int, int]:
    """``--from``/``--to`` (``YYYY-MM-DD``, UTC; ``--to`` exclusive) as nanoseconds."""
    lo, hi = day_start_ns(start), day_start_ns(end)
    if lo >= hi:
        raise UsageError(
            f"--from {start} is not before --to {end}",
            hint="--to is exclusive: --from 2026-11-01 --to 2026-12-01 is November",
        )
    return lo, hi


@dataclass(slots=True)
class Partition:
    """What happened to one (symbol, day): ``written``, ``partial``, ``skipped`` or ``empty``."""

    symbol: str
    date: str
    status: str
    rows: int = 0
    requests: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "symbol": self.symbol,
            "date": self.date,
            "status": self.status,
            "rows": self.rows,
            "requests": self.requests,
        }


@dataclass(slots=True)
class Summary:
    """A download's totals."""

    written: int = 0
    partial: int = 0
    skipped: int = 0
    empty: int = 0
    rows: int = 0
    requests: int = 0
    weight: int = 0
    backoffs: int = 0
    waited_s: float = 0.0
    elapsed_s: float = 0.0
    no_data: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "written": self.written,
            "partial": self.partial,
            "skipped": self.skipped,
            "empty": self.empty,
            "rows": self.rows,
            "requests": self.requests,
            "weight": self.weight,
            "backoffs": self.backoffs,
            "waited_s": round(self.waited_s, 3),
            "elapsed_s": round(self.elapsed_s, 3),
        }


Listener = Callable[[Partition], None]


@dataclass(slots=True)
class Job:
    """One download: what, where from, into which store."""

    spec: VenueSpec
    kind: str
    symbols: list[str]
    start_ns: int
    end_ns: int
    store: Store
    rest_url: str | None = None


def days(start_ns: int, end_ns: int) -> list[tuple[str, int, int]]:
    """``(date, first ns, end ns)`` of each UTC day in ``[start_ns, end_ns)``."""
    out = []
    lo = start_ns - start_ns % NS_PER_DAY
    while lo < end_ns:
        hi = lo + NS_PER_DAY
        out.append((day_of(lo), max(lo, start_ns), min(hi, end_ns)))
        lo = hi
    return out


class Downloader:
    """Runs a :class:`Job` through a venue's ``HistoryApi`` and the pooled REST client."""

    def __init__(
        self,
        job: Job,
        *,
        pacer: RatePacer | None = None,
        on_partition: Listener | None = None,
        now_ns: Callable[[], int] = time.time_ns,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        from letrade_cli.connector.pacer import Pacer
        from letrade_cli.connector.rest import RestClient
        from letrade_cli.venues.registry import venue_of

        package = venue_of(job.spec)
        if package.history is None:
            raise UsageError(f"{job.spec.name} offers no history download")
        self.job = job
        self.history: HistoryApi = package.history()
        self.history.check(job.kind)
        self.dialect = package.dialect()
        self.pacer = pacer or Pacer(package.capabilities.rate_limits, name=job.spec.name)
        self.client = RestClient(
            job.rest_url or job.spec.rest_url,
            weight_header=package.capabilities.weight_header,
            read_error=self.dialect.rest_error,
            pacer=self.pacer,
            read_usage=getattr(self.dialect, "rate_usage", None),
        )
        self.on_partition = on_partition
        self.summary = Summary()
        self._now_ns = now_ns
        self._sleep = sleep
        self._max_seen_weight = 0

    def symbols(self) -> list[str]:
        """The job's symbols in the venue's spelling (``btc/usdt`` -> ``BTCUSDT``)."""
        return [self.dialect.normalize_symbol(s) for s in self.job.symbols]

    async def run(self) -> Summary:
        """Download every (symbol, day); return the totals."""
        began = time.perf_counter()
        try:
            for symbol in self.symbols():
                for date, lo, hi in days(self.job.start_ns, self.job.end_ns):
                    if lo >= self._now_ns():
                        break  # the future: nothing to fetch yet
                    part = await self._partition(symbol, date, lo, hi)
                    self._count(part)
                    if self.on_partition is not None:
                        self.on_partition(part)
        finally:
            await self.client.close()
            self.summary.elapsed_s = time.perf_counter() - began
            self.summary.requests = self.client.requests
            self.summary.waited_s += float(getattr(self.pacer, "waited_s", 0.0))
        return self.summary

    def _count(self, part: Partition) -> None:
        s = self.summary
        s.rows += part.rows
        if part.status == "written":
            s.written += 1
        elif part.status == "partial":
            s.partial += 1
        elif part.status == "skipped":
            s.skipped += 1
        else:
            s.empty += 1
            s.no_data.append(f"{part.symbol} {part.date}")

    async def _partition(self, symbol: str, date: str, lo: int, hi: int) -> Partition:
        job = self.job
        where = job.store.partition(job.spec.name, job.kind, symbol, date)
        if (where / f"{COMPLETE}.parquet").exists():
            _drop(where / f"{PARTIAL}.parquet")  # left by a run killed between the two steps
            return Partition(symbol, date, "skipped")
        # A day not over yet is asked for to its end: the venue answers what exists so far.
        complete = hi <= self._now_ns()
        before = self.client.requests
        cursor = self.history.cursor(job.kind, symbol, lo // 1_000_000, hi // 1_000_000)
        columns: dict[str, list[Any]] = {}
        seen: set[Any] = set()
        key = UNIQUE[family(job.kind)]
        while (request := cursor.next_request()) is not None:
            payload = await self._send(request, symbol)
            page = cursor.take(payload)
            keep = [i for i, v in enumerate(page.get(key, [])) if v not in seen]
            seen.update(page[key][i] for i in keep)
            for name, values in page.items():
                columns.setdefault(name, []).extend(values[i] for i in keep)
        requests = self.client.requests - before
        rows = len(columns.get("ts", []))
        if not rows:
            return Partition(symbol, date, "empty", 0, requests)
        data = table(job.kind, columns)
        name = COMPLETE if complete else PARTIAL
        job.store.write(job.spec.name, job.kind, symbol, data, name=name)
        if complete:
            _drop(where / f"{PARTIAL}.parquet")
        return Partition(symbol, date, "written" if complete else "partial", rows, requests)

    async def _send(self, request: RestRequest, symbol: str) -> Any:
        """One request: backs off on 429/418 (Retry-After) and retries a lost answer."""
        attempt = 0
        while True:
            try:
                payload = await self.client.request(request)
                self.summary.weight += request.weight
                return payload
            except RateLimitedError as exc:
                wait = max(exc.retry_after, self.client.blocked_for_s)
                if wait > MAX_BACKOFF_S or attempt >= MAX_RETRIES:
                    raise
                self.summary.backoffs += 1
                self.summary.waited_s += wait
            except ExchangeRejectedError as exc:
                if self.history.is_unknown_symbol(exc):
                    raise UnknownSymbolError(
                        f"{self.job.spec.name} has no market {symbol!r}",
                        hint="check the spelling (`letrade venues` shows the symbol format)",
                    ) from None
                raise
            except OutcomeUnknownError:
                if attempt >= MAX_RETRIES:
                    raise
                wait = min(0.25 * 2**attempt, 8.0)
                self.summary.backoffs += 1
            except NetworkUnavailableError:
                raise
            attempt += 1
            await self._sleep(wait)


def _drop(path: Any) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


async def download(
    job: Job, *, on_partition: Listener | None = None, pacer: RatePacer | None = None
) -> Summary:
    """Run ``job``; an embedded sim is started for the sim venue when no URL is given."""
    sim = None
    if job.spec.embedded and not job.rest_url:
        from letrade_cli.sim.server import SimConfig, SimExchange

        sim = SimExchange(SimConfig(port=0))
        await sim.start()
        job.rest_url = sim.rest_url
    try:
        return await Downloader(job, pacer=pacer, on_partition=on_partition).run()
    finally:
        if sim is not None:
            await sim.stop()
