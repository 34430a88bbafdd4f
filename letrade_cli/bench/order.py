"""``letrade bench order``: REST round trips to the sim, pooled vs a new connection, signed or not.

``letrade sim`` runs in its own process on one CPU, the client on the other (uvloop when
installed). Five series, interleaved in rounds of ``batch`` requests so drift in the machine's
load hits them alike, ``warmup`` requests per series left out of the figures:

* ``aiohttp pooled GET``: a bare ``aiohttp.ClientSession`` reading ``/api/v3/ticker/bookTicker``
  (the floor: what any Python client pays for one HTTP round trip to the sim).
* ``unsigned pooled`` / ``unsigned new conn``: the same GET through Letrade's ``RestClient``, on
  its pooled session, or on a new client (session + TCP connection) per request.
* ``signed pooled`` / ``signed new conn``: ``POST /api/v3/order`` (a MARKET order of 0.001
  BTCUSDT, buys and sells alternating, HMAC-signed, FULL answer) the same two ways.

Latency is the time around one awaited request, recorded in the project's histogram.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from letrade_cli.bench.common import (
    Metric,
    Progress,
    finish_document,
    latency_summary,
    loop_factory,
    metric,
    new_document,
    pick_cpus,
)
from letrade_cli.bench.simproc import SimProcess
from letrade_cli.core.histogram import LatencyHistogram

SYMBOL = "BTCUSDT"
QUANTITY = Decimal("0.001")
BOOK_PATH = f"/api/v3/ticker/bookTicker?symbol={SYMBOL}"
SERIES = (
    "aiohttp pooled GET",
    "unsigned pooled",
    "unsigned new conn",
    "signed pooled",
    "signed new conn",
)
Call = Callable[[], Awaitable[Any]]


@dataclass(slots=True)
class OrderBenchConfig:
    """``requests`` counted per series after ``warmup``; rounds of ``batch``."""

    requests: int = 1000
    warmup: int = 50
    batch: int = 50
    pin: bool = True
    loop: str = "auto"

    def validate(self) -> None:
        """Raise ``ValueError`` for sizes that cannot run."""
        if self.requests < 1:
            raise ValueError("--requests must be at least 1")
        if self.warmup < 0 or self.batch < 1:
            raise ValueError("--warmup must be 0 or more and the batch at least 1")
        if self.loop not in ("auto", "asyncio", "uvloop"):
            raise ValueError("--loop must be auto, asyncio or uvloop")


class Clients:
    """The five ways to call the sim, each an argument-less coroutine function."""

    def __init__(self, rest_url: str) -> None:
        import aiohttp

        from letrade_cli.connector.rest import RestClient
        from letrade_cli.sim.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
        from letrade_cli.venues.base import RestRequest
        from letrade_cli.venues.binance.auth import BinanceSigner
        from letrade_cli.venues.binance.orders import BinanceOrders

        self.rest_url = rest_url
        self.signer = BinanceSigner(DEFAULT_API_KEY, DEFAULT_API_SECRET)
        self.orders = BinanceOrders("sim")
        self.book = RestRequest("/api/v3/ticker/bookTicker", {"symbol": SYMBOL}, weight=2)
        self.session = aiohttp.ClientSession()
        self.pooled = RestClient(rest_url, signer=self.signer)
        self._client_cls = RestClient
        self._sells = 0

    def order_request(self) -> Any:
        """The next MARKET order: buys and sells alternate, so balances stay put."""
        from letrade_cli.core.orders import OrderIntent, Side
        from letrade_cli.trading.order_manager import new_client_order_id

        self._sells += 1
        side = Side.SELL if self._sells % 2 else Side.BUY
        intent = OrderIntent(SYMBOL, side, QUANTITY, client_order_id=new_client_order_id("bn"))
        return self.orders.place_request(intent)

    async def bare_get(self) -> Any:
        """aiohttp, pooled, no Letrade code."""
        async with self.session.get(self.rest_url + BOOK_PATH) as response:
            return await response.read()

    async def unsigned_pooled(self) -> Any:
        """``RestClient.request`` on the pooled session."""
        return await self.pooled.request(self.book)

    async def unsigned_fresh(self) -> Any:
        """A new ``RestClient`` (session, TCP connection) for one request."""
        async with self._client_cls(self.rest_url) as client:
            return await client.request(self.book)

    async def signed_pooled(self) -> Any:
        """A signed order on the pooled session."""
        return await self.pooled.request(self.order_request())

    async def signed_fresh(self) -> Any:
        """A signed order on a new client."""
        async with self._client_cls(self.rest_url, signer=self.signer) as client:
            return await client.request(self.order_request())

    def calls(self) -> dict[str, Call]:
        """Series label -> call."""
        return dict(
            zip(
                SERIES,
                (
                    self.bare_get,
                    self.unsigned_pooled,
                    self.unsigned_fresh,
                    self.signed_pooled,
                    self.signed_fresh,
                ),
                strict=True,
            )
        )

    def sign_ns(self, n: int = 2000) -> float:
        """Ns to build and sign one order request (no I/O)."""
        start = time.perf_counter_ns()
        for _ in range(n):
            request = self.order_request()
            self.signer.sign(request.method, request.path, request.params)
        return (time.perf_counter_ns() - start) / n

    async def close(self) -> None:
        """Close both pooled sessions."""
        await self.session.close()
        await self.pooled.close()


MAX_ERRORS = 100


async def measure(rest_url: str, config: OrderBenchConfig, say: Progress) -> dict[str, Any]:
    """Run every series against the sim at ``rest_url``; return histograms and counts."""
    clients = Clients(rest_url)
    hists = {label: LatencyHistogram() for label in SERIES}
    errors = dict.fromkeys(SERIES, 0)
    done = dict.fromkeys(SERIES, 0)
    total = config.requests + config.warmup
    try:
        calls = clients.calls()
        while min(done.values()) < total:
            for label, call in calls.items():
                for _ in range(min(config.batch, total - done[label])):
                    start = time.perf_counter_ns()
                    try:
                        await call()
                    except Exception as exc:
                        errors[label] += 1
                        if errors[label] > MAX_ERRORS:  # a broken series must not spin forever
                            raise RuntimeError(
                                f"{label}: {errors[label]} failed requests, the last: {exc!r}"
                            ) from exc
                        continue
                    elapsed = time.perf_counter_ns() - start
                    done[label] += 1
                    if done[label] > config.warmup:
                        hists[label].record(elapsed)
            say("  " + ", ".join(f"{k}: {hists[k].percentile(50) / 1000:.0f} µs" for k in SERIES))
        sign_ns = clients.sign_ns()
    finally:
        await clients.close()
    return {"hists": hists, "errors": errors, "sign_ns": sign_ns}


def run_order_benchmark(
    config: OrderBenchConfig, progress: Progress | None = None
) -> dict[str, Any]:
    """Start the sim, measure every series, stop it; return the JSON document."""
    config.validate()
    say = progress or (lambda _msg: None)
    client_cpu, server_cpu = pick_cpus(config.pin)
    loop_name, factory = loop_factory(config.loop)
    doc = new_document(
        "order",
        {**asdict(config), "client_cpu": client_cpu, "server_cpu": server_cpu, "loop": loop_name},
    )
    say(f"sim on CPU {server_cpu}, client on CPU {client_cpu} ({loop_name})")
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        with SimProcess(rate=1.0, cpu=server_cpu) as sim:
            if client_cpu is not None:
                os.sched_setaffinity(0, {client_cpu})
            with asyncio.Runner(loop_factory=factory) as runner:
                raw = runner.run(measure(sim.rest_url, config, say))
    finally:
        if affinity is not None:
            os.sched_setaffinity(0, affinity)
    doc["series"] = [
        {
            "label": label,
            "requests": raw["hists"][label].count,
            "errors": raw["errors"][label],
            "latency_ns": latency_summary(raw["hists"][label]),
        }
        for label in SERIES
    ]
    doc["sign_ns"] = round(raw["sign_ns"], 1)
    by = {s["label"]: s["latency_ns"] for s in doc["series"]}
    doc["pooling_saves_us"] = {
        "unsigned": round(
            (by["unsigned new conn"]["p50"] - by["unsigned pooled"]["p50"]) / 1000, 1
        ),
        "signed": round((by["signed new conn"]["p50"] - by["signed pooled"]["p50"]) / 1000, 1),
    }
    doc["verdict"] = (
        f"pooling saves {doc['pooling_saves_us']['unsigned']:g} µs per unsigned request and "
        f"{doc['pooling_saves_us']['signed']:g} µs per signed order at p50; building and signing "
        f"an order costs {doc['sign_ns'] / 1000:.1f} µs"
    )
    return finish_document(doc, headline_metrics(doc))


def suite_run(quick: bool, progress: Progress) -> dict[str, Any]:
    """``letrade bench all``'s order run (``quick``: 100 requests after 10 warm-up)."""
    config = OrderBenchConfig(requests=100, warmup=10) if quick else OrderBenchConfig()
    return run_order_benchmark(config, progress=progress)


def slug(label: str) -> str:
    """``signed new conn`` -> ``signed_new_conn``."""
    return label.replace(" ", "_")


def headline_metrics(doc: dict[str, Any]) -> list[Metric]:
    """p50 and p99 of every series, and the signing cost (for --compare)."""
    out: list[Metric] = []
    for series in doc["series"]:
        lat = series["latency_ns"]
        if not lat["count"]:
            continue
        out.append(
            metric(f"order.{slug(series['label'])}.p50_us", lat["p50"] / 1000, "µs", "lower")
        )
        out.append(
            metric(f"order.{slug(series['label'])}.p99_us", lat["p99"] / 1000, "µs", "lower")
        )
    out.append(metric("order.sign_us", doc["sign_ns"] / 1000, "µs", "lower"))
    return out
