"""``letrade bench order``: order round trips to the sim, REST and WebSocket API, pooled or not.

``letrade sim`` runs in its own process on one CPU, the client on the other (uvloop when
installed). Eight series, interleaved in rounds of ``batch`` requests so drift in the machine's
load hits them alike, ``warmup`` requests per series left out of the figures:

* ``aiohttp pooled GET``: a bare ``aiohttp.ClientSession`` reading ``/api/v3/ticker/bookTicker``
  (the floor: what any Python client pays for one HTTP round trip to the sim).
* ``unsigned pooled`` / ``unsigned new conn``: the same GET through Letrade's ``RestClient``, on
  its pooled session, or on a new client (session + TCP connection) per request.
* ``signed pooled`` / ``signed new conn``: ``POST /api/v3/order`` (a MARKET order of 0.001
  BTCUSDT, buys and sells alternating, HMAC-signed, FULL answer) the same two ways.
* ``ws bare ping``: a bare ``websockets`` connection to the sim's WebSocket API sending
  ``{"id": n, "method": "ping"}`` and awaiting its answer (the floor of one WebSocket
  request/answer round trip, no Letrade code).
* ``ws-api signed order.place``: the same orders through the venue's account session (its
  ``send`` of the order API's place request) on one open session, HMAC-signed per request.
* ``ws-api order.place (logon)``: the same on a session logged on with an Ed25519 key the bench
  generates and registers with the sim (``--ed25519-key``): no signature per request.

Both sessions are subscribed to the account's user data stream, as ``letrade trade``'s is, so
every order (of any series) also pushes its execution report to them. A BTCUSDT trade stream
stays open at ``SIM_RATE`` messages per second: the sim requotes only the books someone
watches, and without it the orders would empty one side.

Latency is the time around one awaited request, recorded in the project's histogram.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
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
WS_PING = "ws bare ping"
WS_SIGNED = "ws-api signed order.place"
WS_LOGON = "ws-api order.place (logon)"
SERIES = (
    "aiohttp pooled GET",
    "unsigned pooled",
    "unsigned new conn",
    "signed pooled",
    "signed new conn",
    WS_PING,
    WS_SIGNED,
    WS_LOGON,
)
ED25519_API_KEY = "letrade-bench-ed25519"
# Market messages per second while the orders run: enough for the sim to requote the book the
# orders eat into (one trade stream is open), far too few to load either CPU.
SIM_RATE = 20.0
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
    """The eight ways to call the sim, each an argument-less coroutine function.

    ``open()`` connects the WebSocket series (a bare socket and the two sessions) before the
    first round; ``ed25519_pem`` is the private key of ``ED25519_API_KEY`` (None: no logon
    series).
    """

    def __init__(
        self, rest_url: str, ed25519_pem: bytes | None = None, ws_url: str | None = None
    ) -> None:
        import aiohttp

        from letrade_cli.connector.rest import RestClient
        from letrade_cli.sim.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
        from letrade_cli.trading.live import account_ws_url
        from letrade_cli.venues.registry import embedded_spec, venue_of

        spec = embedded_spec()  # the embedded exchange's venue, in its own dialect
        package = venue_of(spec)
        self.rest_url = rest_url
        self.ws_api_url = account_ws_url(spec, rest_url)
        self.signer = package.signer(DEFAULT_API_KEY, DEFAULT_API_SECRET, 5000)
        self.orders = package.order_api(spec.name)
        self.book = package.dialect().price_request([SYMBOL])
        self.session = aiohttp.ClientSession()
        self.pooled = RestClient(rest_url, signer=self.signer)
        self._client_cls = RestClient
        self._sells = 0
        self._spec_name = spec.name
        self._package = package
        self._keys = {
            WS_SIGNED: (DEFAULT_API_KEY, DEFAULT_API_SECRET, None),
            **({WS_LOGON: (ED25519_API_KEY, "", ed25519_pem)} if ed25519_pem else {}),
        }
        self.ws: Any = None  # the bare socket
        self._ws_url = ws_url
        self._feed: Any = None  # the trade stream that keeps the sim requoting the book
        self._feed_reader: asyncio.Task[None] | None = None
        self.sessions: dict[str, Any] = {}  # label -> an open account session
        self._ping_id = 0

    async def open(self) -> None:
        """Connect the bare WebSocket and start the account sessions (logged on or HMAC)."""
        from websockets.asyncio.client import connect

        from letrade_cli.venues.base import SessionKeys, SessionSettings

        if self._ws_url is not None:
            # The sim generates (and requotes the book) only for symbols someone listens to:
            # without it, thousands of market orders would empty one side of the book.
            self._feed = await connect(f"{self._ws_url}/stream?streams={SYMBOL.lower()}@trade")
            self._feed_reader = asyncio.create_task(_drain(self._feed))
        self.ws = await connect(self.ws_api_url, compression=None, max_size=2**22)
        assert self._package.session is not None, "the embedded venue has no account session"
        for label, (api_key, secret, pem) in self._keys.items():
            keys = SessionKeys(api_key, secret, pem, 5000)
            session = self._package.session(
                self.ws_api_url, self._spec_name, keys, SessionSettings()
            )
            await session.start()
            self.sessions[label] = session

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

    async def ws_ping(self) -> Any:
        """One ``ping`` request and its answer on the bare socket, no Letrade code."""
        self._ping_id += 1
        await self.ws.send(f'{{"id":{self._ping_id},"method":"ping"}}')
        return await self.ws.recv()

    async def ws_signed(self) -> Any:
        """``order.place`` on the HMAC session (signed per request)."""
        return await self.sessions[WS_SIGNED].send(self.order_request())

    async def ws_logon(self) -> Any:
        """``order.place`` on the logged-on session (no per-request signature)."""
        return await self.sessions[WS_LOGON].send(self.order_request())

    def calls(self) -> dict[str, Call]:
        """Series label -> call (the logon series only when it has a key)."""
        every: dict[str, Call] = dict(
            zip(
                SERIES,
                (
                    self.bare_get,
                    self.unsigned_pooled,
                    self.unsigned_fresh,
                    self.signed_pooled,
                    self.signed_fresh,
                    self.ws_ping,
                    self.ws_signed,
                    self.ws_logon,
                ),
                strict=True,
            )
        )
        if WS_LOGON not in self._keys:
            del every[WS_LOGON]
        return every

    def sign_ns(self, n: int = 2000) -> float:
        """Ns to build and sign one order request (no I/O)."""
        start = time.perf_counter_ns()
        for _ in range(n):
            request = self.order_request()
            self.signer.sign(request.method, request.path, request.params)
        return (time.perf_counter_ns() - start) / n

    async def close(self) -> None:
        """Close the sessions, the bare socket and both pooled HTTP sessions."""
        for session in self.sessions.values():
            await session.close()
        if self.ws is not None:
            await self.ws.close()
        if self._feed is not None:
            await self._feed.close()
        if self._feed_reader is not None:
            self._feed_reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._feed_reader
        await self.session.close()
        await self.pooled.close()


async def _drain(ws: Any) -> None:
    """Read and drop every frame of ``ws`` until it closes."""
    async for _ in ws:
        pass


MAX_ERRORS = 100


async def measure(
    rest_url: str,
    config: OrderBenchConfig,
    say: Progress,
    ed25519_pem: bytes | None = None,
    ws_url: str | None = None,
) -> dict[str, Any]:
    """Run every series against the sim at ``rest_url``; return histograms and counts."""
    clients = Clients(rest_url, ed25519_pem, ws_url)
    hists = {label: LatencyHistogram() for label in SERIES}
    errors = dict.fromkeys(SERIES, 0)
    total = config.requests + config.warmup
    try:
        await clients.open()
        calls = clients.calls()
        done = dict.fromkeys(calls, 0)
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
            say("  " + ", ".join(f"{k}: {hists[k].percentile(50) / 1000:.0f} µs" for k in calls))
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
    private_pem, public_pem = ed25519_pair()
    try:
        with tempfile.TemporaryDirectory(prefix="letrade-bench-") as tmp:
            public = Path(tmp) / "ed25519-pub.pem"
            public.write_bytes(public_pem)
            process = SimProcess(
                rate=SIM_RATE, cpu=server_cpu, ed25519_keys={ED25519_API_KEY: public}
            )
            with process as sim:
                if client_cpu is not None:
                    os.sched_setaffinity(0, {client_cpu})
                with asyncio.Runner(loop_factory=factory) as runner:
                    raw = runner.run(measure(sim.rest_url, config, say, private_pem, sim.ws_url))
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
    doc["ws_own_cost"] = ws_own_cost(by)
    cost = doc["ws_own_cost"]
    doc["verdict"] = (
        f"pooling saves {doc['pooling_saves_us']['unsigned']:g} µs per unsigned request and "
        f"{doc['pooling_saves_us']['signed']:g} µs per signed order at p50; building and signing "
        f"an order costs {doc['sign_ns'] / 1000:.1f} µs; over the WebSocket API an order takes "
        f"{by[WS_SIGNED]['p50'] / 1000:,.0f} µs at p50 (signed REST, pooled: "
        f"{by['signed pooled']['p50'] / 1000:,.0f} µs), {cost['signed_minus_ping_us']:g} µs "
        f"({cost['signed_over_ping']:g}x) over a bare ping (the sim's matching included)"
    )
    return finish_document(doc, headline_metrics(doc))


def ws_own_cost(by: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """Our cost on the WebSocket path at p50: an order through the session minus a bare ping.

    The difference holds the session's work (building, signing, framing, correlating, parsing)
    and the sim's matching of the order, which a ping does not do.
    """
    ping = by[WS_PING]["p50"]
    out: dict[str, float | None] = {"ping_p50_us": round(ping / 1000, 1)}
    for key, label in (("signed", WS_SIGNED), ("logon", WS_LOGON)):
        lat = by.get(label)
        if lat is None or not lat["count"] or not ping:
            out[f"{key}_minus_ping_us"] = out[f"{key}_over_ping"] = None
            continue
        out[f"{key}_minus_ping_us"] = round((lat["p50"] - ping) / 1000, 1)
        out[f"{key}_over_ping"] = round(lat["p50"] / ping, 2)
    return out


def ed25519_pair() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair as PEM: (private PKCS#8, public SubjectPublicKeyInfo)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


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
    cost = doc.get("ws_own_cost") or {}
    if cost.get("signed_minus_ping_us") is not None:
        out.append(metric("order.ws_own_cost_us", cost["signed_minus_ping_us"], "µs", "lower"))
    return out
