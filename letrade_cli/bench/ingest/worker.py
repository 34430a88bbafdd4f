"""One ingest client in one fresh process: ``python -m letrade_cli.bench.ingest.worker CLIENT``.

Each client reads the whole stream once and reports msg/s between its first and last message,
the CPU time over that window, RSS (``VmRSS``/``VmHWM`` of this process) and, for the full
Letrade path, the pipeline's decode->cache histogram. The result is one line on stdout:
``RESULT {json}``. A fresh interpreter per client keeps RSS per client (nothing inherited from
the orchestrator: no Typer, no Rich) and keeps one client's garbage out of the next one's run.

Clients (``kind``):
    server-capacity (floor): raw socket, no WebSocket parsing: how fast the server + loopback go.
    picows-noop (floor): picows frames, payload untouched: the transport's own cost.
    letrade-transport (floor): Letrade's ``open_websocket`` (auto backend), frames only counted.
    websockets-json (baseline): ``async for msg in ws: json.loads(msg)``.
    websockets-orjson, aiohttp-orjson, picows-orjson (bare): transport + ``orjson.loads``.
    letrade-picows, letrade-websockets (full): ``open_websocket`` -> ``IngestPipeline.on_frame``
        (decode -> Tick -> PriceCache -> bus) with one bus subscriber counting ticks.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any

from letrade_cli.bench.common import RESULT_PREFIX, histogram_buckets, loop_factory

CLIENT_KINDS = {
    "server-capacity": "floor",
    "picows-noop": "floor",
    "letrade-transport": "floor",
    "websockets-json": "baseline",
    "websockets-orjson": "bare",
    "aiohttp-orjson": "bare",
    "picows-orjson": "bare",
    "letrade-picows": "full",
    "letrade-websockets": "full",
}
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99_9", 99.9))


class Skip(Exception):
    """The client cannot run here (a library or a Letrade module is missing)."""


@dataclass(slots=True)
class Meter:
    """Counts messages and stamps the first and the last one (wall and CPU clocks)."""

    expected: int
    count: int = 0
    first_ns: int = 0
    last_ns: int = 0
    first_cpu_ns: int = 0
    last_cpu_ns: int = 0

    def first(self) -> None:
        """Stamp the first message."""
        self.first_ns = time.perf_counter_ns()
        self.first_cpu_ns = time.process_time_ns()

    def last(self) -> None:
        """Stamp the last expected message."""
        self.last_ns = time.perf_counter_ns()
        self.last_cpu_ns = time.process_time_ns()

    def stop_early(self) -> None:
        """The stream ended before ``expected`` messages: stamp now."""
        if self.count and not self.last_ns:
            self.last_ns = time.perf_counter_ns()
            self.last_cpu_ns = time.process_time_ns()


@dataclass(slots=True)
class RunResult:
    """One client run, as JSON."""

    client: str
    kind: str
    messages_expected: int
    messages: int = 0
    complete: bool = False
    wall_s: float = 0.0
    msg_per_s: float = 0.0
    cpu_s: float = 0.0
    cpu_util: float = 0.0
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    peak_rss_kb: int = 0
    loop: str = ""
    backend: str | None = None
    latency_ns: dict[str, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    skipped: str | None = None


def proc_status_kb() -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak RSS) of this process in kB, from ``/proc/self/status``."""
    out: dict[str, int] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":", 1)
                    out[name] = int(value.split()[0])
    except OSError:  # not Linux: fall back to ru_maxrss (kB on Linux/BSD)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = {"VmRSS": peak, "VmHWM": peak}
    return out


# --- clients ---------------------------------------------------------------------------------
# Every client does the same bookkeeping per message (``count += 1`` and two comparisons), so
# the differences between them are the transport and the decode, nothing else.


async def client_websockets(url: str, meter: Meter, *, use_orjson: bool) -> dict[str, Any]:
    """``websockets`` asyncio client; ``json.loads`` (or ``orjson.loads``) into a dict."""
    try:
        from websockets.asyncio.client import connect
    except ImportError as exc:
        raise Skip(f"websockets not installed: {exc}") from exc
    loads: Callable[[str | bytes], Any]
    if use_orjson:
        try:
            import orjson
        except ImportError as exc:
            raise Skip(f"orjson not installed: {exc}") from exc
        loads = orjson.loads
    else:
        loads = json.loads
    expected = meter.expected
    count = 0
    async with connect(url, max_size=None) as ws:
        async for message in ws:
            loads(message)
            count += 1
            if count == 1:
                meter.first()
            if count == expected:
                meter.last()
    meter.count = count
    return {}


async def client_aiohttp(url: str, meter: Meter) -> dict[str, Any]:
    """``aiohttp`` WebSocket client; ``orjson.loads`` of each text message."""
    try:
        import aiohttp
        from orjson import loads
    except ImportError as exc:
        raise Skip(f"aiohttp/orjson not installed: {exc}") from exc
    text = aiohttp.WSMsgType.TEXT
    expected = meter.expected
    count = 0
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, max_msg_size=0, autoping=True) as ws,
    ):
        async for message in ws:
            if message.type == text:
                loads(message.data)
                count += 1
                if count == 1:
                    meter.first()
                if count == expected:
                    meter.last()
    meter.count = count
    return {}


async def client_picows(url: str, meter: Meter, *, decode: bool) -> dict[str, Any]:
    """picows, one callback per frame; ``orjson.loads(memoryview)`` unless ``decode`` is off."""
    try:
        import picows
        from orjson import loads
    except ImportError as exc:
        raise Skip(f"picows/orjson not installed: {exc}") from exc
    text, close = picows.WSMsgType.TEXT, picows.WSMsgType.CLOSE
    expected = meter.expected
    count = 0

    class Listener(picows.WSListener):
        def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
            nonlocal count
            msg_type = frame.msg_type
            if msg_type is text:
                if decode:
                    loads(frame.get_payload_as_memoryview())
                count += 1
                if count == 1:
                    meter.first()
                if count == expected:
                    meter.last()
            elif msg_type is close:
                transport.send_close(frame.get_close_code())
                transport.disconnect()

    transport, _ = await picows.ws_connect(Listener, url)
    await transport.wait_disconnected()
    meter.count = count
    return {}


async def client_letrade(url: str, meter: Meter, *, backend: str) -> dict[str, Any]:
    """The full path: transport -> IngestPipeline (decode, Tick, cache, bus) -> one consumer."""
    try:
        from letrade_cli.connector.pipeline import IngestPipeline
        from letrade_cli.connector.transport import available_backends, open_websocket
        from letrade_cli.core.heap import settle_heap
        from letrade_cli.core.tick import Tick
        from letrade_cli.venues.registry import dialect_for, embedded_spec
    except ImportError as exc:
        raise Skip(f"Letrade ingest path not importable yet: {exc}") from exc
    if backend not in available_backends():
        raise Skip(f"transport backend {backend!r} not available here")

    dialect = embedded_spec().dialect  # the blaster serves the embedded venue's frames
    pipeline = IngestPipeline.for_venue(dialect_for(dialect), dialect)
    cache, bus, stats = pipeline.cache, pipeline.bus, pipeline.stats
    expected = meter.expected
    received = 0

    def consumer(tick: Tick) -> None:
        nonlocal received
        received += 1
        if received == 1:
            meter.first()
        if received == expected:
            meter.last()

    bus.subscribe(consumer)
    settle_heap()  # as `letrade stream` does once connected (core/heap.py)
    conn = await open_websocket(url, pipeline.on_frame, backend=backend)
    reason = await conn.closed
    close_error = None
    try:
        await conn.close()  # after the server's close frame: must be a harmless no-op
    except Exception as exc:
        close_error = f"{type(exc).__name__}: {exc}"
    meter.count = received
    hist = stats.decode_to_cache
    latency = {name: int(hist.percentile(p)) for name, p in PERCENTILES}
    latency["max"] = int(hist.max)
    latency["count"] = int(hist.count)
    extra: dict[str, Any] = {
        "latency_buckets": histogram_buckets(hist),
        "backend": conn.backend,
        "close_reason": reason,
        "close_error": close_error,
        "pipeline_messages": stats.messages,
        "decode_errors": stats.decode_errors,
        "control_frames": stats.control_frames,
        "gaps": stats.gaps,
        "missing": stats.missing,
        "symbols_seen": len(stats.symbols),
        "latency_ns": latency,
    }
    cache_stats = getattr(cache, "stats", None)
    if callable(cache_stats):
        snapshot = cache_stats()
        extra["cache_size"] = getattr(snapshot, "size", None)
    return extra


async def client_letrade_transport(url: str, meter: Meter) -> dict[str, Any]:
    """Letrade's transport alone: ``on_frame`` only counts, so the pipeline's cost is excluded."""
    try:
        from letrade_cli.connector.transport import open_websocket
    except ImportError as exc:
        raise Skip(f"Letrade transport not importable yet: {exc}") from exc
    expected = meter.expected
    count = 0

    def on_frame(frame: bytes | str, recv_ns: int) -> None:
        nonlocal count
        count += 1
        if count == 1:
            meter.first()
        if count == expected:
            meter.last()

    conn = await open_websocket(url, on_frame)
    reason = await conn.closed
    with contextlib.suppress(Exception):
        await conn.close()
    meter.count = count
    return {"backend": conn.backend, "close_reason": reason}


def client_raw_socket(port: int, meter: Meter, stream_bytes: int) -> dict[str, Any]:
    """Read the stream off a plain socket into one reused buffer: the server's ceiling."""
    key = base64.b64encode(os.urandom(16))
    request = (
        b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
        + key
        + b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError("server hung up during the handshake")
            head += chunk
        received = len(head) - head.index(b"\r\n\r\n") - 4
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        meter.first()
        while received < stream_bytes:
            n = sock.recv_into(view)
            if not n:
                break
            received += n
        meter.count = meter.expected if received >= stream_bytes else 0
        meter.last()
        sock.sendall(b"\x88\x82\x00\x00\x00\x00\x03\xe8")  # masked close 1000, zero mask key
    return {"bytes": received}


# --- runner ----------------------------------------------------------------------------------


def run_client(
    client: str, port: int, messages: int, *, stream_bytes: int = 0, loop: str = "auto"
) -> RunResult:
    """Run one client over the whole stream and measure it (in this process)."""
    result = RunResult(client=client, kind=CLIENT_KINDS[client], messages_expected=messages)
    url = f"ws://127.0.0.1:{port}/stream"
    meter = Meter(expected=messages)
    try:
        try:
            result.loop, factory = loop_factory(loop)
        except ValueError as exc:  # uvloop asked for and not installed
            raise Skip(str(exc)) from None
        coro_fn: Callable[[], Coroutine[Any, Any, dict[str, Any]]] | None = {
            "websockets-json": lambda: client_websockets(url, meter, use_orjson=False),
            "websockets-orjson": lambda: client_websockets(url, meter, use_orjson=True),
            "aiohttp-orjson": lambda: client_aiohttp(url, meter),
            "picows-orjson": lambda: client_picows(url, meter, decode=True),
            "picows-noop": lambda: client_picows(url, meter, decode=False),
            "letrade-transport": lambda: client_letrade_transport(url, meter),
            "letrade-picows": lambda: client_letrade(url, meter, backend="picows"),
            "letrade-websockets": lambda: client_letrade(url, meter, backend="websockets"),
        }.get(client)
        if client == "server-capacity":
            result.loop = "none"
            result.rss_start_kb = proc_status_kb().get("VmRSS", 0)
            result.extra = client_raw_socket(port, meter, stream_bytes)
        else:
            assert coro_fn is not None
            _preload(client)
            result.rss_start_kb = proc_status_kb().get("VmRSS", 0)
            with asyncio.Runner(loop_factory=factory) as runner:
                result.extra = runner.run(coro_fn())
    except Skip as exc:
        result.skipped = str(exc)
        return result
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    meter.stop_early()
    status = proc_status_kb()
    result.rss_end_kb = status.get("VmRSS", 0)
    result.peak_rss_kb = status.get("VmHWM", 0)
    result.messages = meter.count
    result.complete = meter.count >= messages and result.error is None
    result.latency_ns = result.extra.pop("latency_ns", None)
    result.backend = result.extra.pop("backend", None)
    wall_ns = meter.last_ns - meter.first_ns
    if meter.count and wall_ns > 0:
        result.wall_s = wall_ns / 1e9
        # First to last message spans count - 1 intervals.
        result.msg_per_s = (meter.count - 1) / result.wall_s if meter.count > 1 else 0.0
        result.cpu_s = (meter.last_cpu_ns - meter.first_cpu_ns) / 1e9
        result.cpu_util = result.cpu_s / result.wall_s
    return result


def _preload(client: str) -> None:
    """Import the client's libraries before the RSS baseline (so rss_start includes them)."""
    modules = {
        "websockets-json": ("websockets.asyncio.client",),
        "websockets-orjson": ("websockets.asyncio.client", "orjson"),
        "aiohttp-orjson": ("aiohttp", "orjson"),
        "picows-orjson": ("picows", "orjson"),
        "picows-noop": ("picows",),
        "letrade-transport": ("picows", "websockets", "letrade_cli.connector.transport"),
        "letrade-picows": ("picows", "orjson", "letrade_cli.connector.pipeline"),
        "letrade-websockets": ("websockets.asyncio.client", "letrade_cli.connector.pipeline"),
    }[client]
    import importlib

    for name in modules:
        with contextlib.suppress(ImportError):  # the client itself reports the skip
            importlib.import_module(name)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, pin to a CPU if asked, run one client, print ``RESULT {json}``."""
    parser = argparse.ArgumentParser(description="Run one ingest-benchmark client.")
    parser.add_argument("client", choices=sorted(CLIENT_KINDS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--stream-bytes", type=int, default=0)
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one CPU")
    args = parser.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    result = run_client(
        args.client, args.port, args.messages, stream_bytes=args.stream_bytes, loop=args.loop
    )
    sys.stdout.write(RESULT_PREFIX + json.dumps(asdict(result)) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
