"""The stream command's run loop: a StreamService rendered as Rich Live or JSON lines."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from typing import Any

import orjson

from letrade_cli.config.stream import StreamSettings
from letrade_cli.connector.service import StreamService
from letrade_cli.core.errors import NetworkUnavailableError
from letrade_cli.core.heap import settled_heap
from letrade_cli.core.tick import Tick
from letrade_cli.runtime.jsonl import JsonLineWriter
from letrade_cli.runtime.process import EXIT_OK, RunContext, run, wait_for_stop
from letrade_cli.ui.console import err_console

REFRESH_PER_S = 4


def run_stream(
    settings: StreamSettings,
    *,
    duration: float | None,
    json_output: bool,
    backend: str,
    record: str | None = None,
    roll_s: float = 300.0,
) -> int:
    """Run until ``duration`` or a signal; print the summary; return the exit code.

    ``record``: a directory writes the ticks into that store (``data.record``); a file name
    writes the received frames there in the recorded-frame format ``dryrun --replay`` reads.
    """

    async def main(context: RunContext) -> int:
        return await _run(context, settings, duration, json_output, backend, record, roll_s)

    return run(main)


def tick_line(tick: Tick, now_ns: int) -> dict[str, Any]:
    """One ``--json`` line: the tick's fields, where its price came from and how old it is.

    ``age_ms`` counts from the exchange's event time when the venue stamps one, else from when
    we received it (a REST fill carries no event time).
    """
    line: dict[str, Any] = {
        "venue": tick.venue,
        "symbol": tick.symbol,
        "channel": tick.channel,
        "bid": tick.bid,
        "ask": tick.ask,
        "last": tick.last,
        "size": tick.size,
        "event_time_ms": tick.event_time_ms,
        "recv_ns": tick.recv_ns,
        "seq": tick.seq,
        "source": "rest" if tick.channel == "rest" else "stream",
    }
    since_ns = tick.event_time_ms * 1_000_000 if tick.event_time_ms else tick.recv_ns
    line["age_ms"] = round(max(0, now_ns - since_ns) / 1e6, 3)
    return line


async def _first_outcome(service: StreamService, stop: asyncio.Event) -> None:
    """Wait for the stream's first frame or connect failure (or a stop).

    So a short ``--duration`` measures the stream rather than the connect.
    """
    supervisor = service.supervisor
    if supervisor is None:
        return
    stats = service.stats

    async def outcome() -> None:
        with contextlib.suppress(TimeoutError):
            await supervisor.wait_until(
                lambda: supervisor.is_live or stats.connect_failures > 0 or stop.is_set(),
                service.settings.connection.connect_timeout_s + 1.0,
            )

    waiter = asyncio.ensure_future(outcome())
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiter, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, stopped):
            task.cancel()
        await asyncio.gather(waiter, stopped, return_exceptions=True)


async def _run(
    context: RunContext,
    settings: StreamSettings,
    duration: float | None,
    json_output: bool,
    backend: str,
    record: str | None = None,
    roll_s: float = 300.0,
) -> int:
    stop = context.stop
    console = err_console()
    service = StreamService(settings, backend=backend)
    recorder = None
    if record is not None:
        from letrade_cli.data.record import is_store_path

        if is_store_path(record):
            recorder = _store_recorder(record, service.spec.name, stop, roll_s)
        else:
            from letrade_cli.connector.recorder import FrameRecorder

            service.recorder = FrameRecorder(record, venue=service.spec.name)
            service.recorder.paused = False
    flusher: asyncio.Task[None] | None = None
    async with service:
        writer = None
        unsubscribers = []
        if json_output:
            writer = lines = JsonLineWriter(sys.stdout.buffer, stop)
            clock = time.time_ns
            unsubscribers.append(
                service.bus.subscribe(lambda tick: lines(tick_line(tick, clock())))
            )
        if recorder is not None:
            unsubscribers.append(service.bus.subscribe(recorder.on_tick))
            flusher = asyncio.create_task(_flush_every_second(recorder, stop))
        await _first_outcome(service, stop)
        deadline = None if duration is None else time.monotonic() + duration
        show_live = not json_output and console.is_terminal
        with settled_heap():  # start-up objects out of the collector's full passes
            if show_live:
                await _live_table(service, stop, deadline)
            else:
                await wait_for_stop(stop, deadline)
        # Frames still arriving while the service shuts down must not be printed (or recorded)
        # after the summary was taken: the printed lines and the summary's count then agree.
        for unsubscribe in unsubscribers:
            unsubscribe()
        summary = service.summary()
        if writer is not None:
            writer.flush()
        if flusher is not None:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
    if service.recorder is not None:
        service.recorder.close()
        summary["record"] = {"path": str(service.recorder.path), "frames": service.recorder.frames}
    if recorder is not None:
        # Roll the staging files into Parquet off the loop; a write error raises here (exit 1).
        await asyncio.to_thread(recorder.close)
        summary["record"] = {
            "store": str(recorder.store.root),
            "rows": recorder.rows,
            "files": len(recorder.files),
        }
    if writer is not None:
        writer.raise_error()  # the ticks did not reach their reader: say so, not a summary
    if json_output:
        sys.stderr.write(orjson.dumps(summary).decode() + "\n")
    else:
        from letrade_cli.ui.stream_table import summary_table

        console.print(summary_table(summary))
    if context.signal_exit is not None:
        return EXIT_OK
    error = service.supervisor.last_error if service.supervisor else None
    if service.stats.connects == 0:
        served = " (prices came from REST only)" if service.stats.rest_ticks else ""
        raise NetworkUnavailableError(
            f"the {settings.venue} WebSocket never connected{served}"
            + (f": {error}" if error else ""),
            hint=_network_hint(settings),
        )
    if summary["messages"] == 0 and not service.stats.rest_ticks:
        raise NetworkUnavailableError(
            f"no market data received from {settings.venue}" + (f": {error}" if error else ""),
            hint=_network_hint(settings),
        )
    return EXIT_OK


def _store_recorder(record: str, venue: str, stop: asyncio.Event, roll_s: float) -> Any:
    """A started ``StoreRecorder`` for ``--record DIR`` whose write errors set ``stop``."""
    from letrade_cli.data.record import StoreRecorder
    from letrade_cli.data.store import Store

    loop = asyncio.get_running_loop()

    def on_error() -> None:  # called on the writer thread
        loop.call_soon_threadsafe(stop.set)

    recorder = StoreRecorder(Store(record), venue, roll_s=roll_s, on_error=on_error)
    recorder.start()  # recovers a crashed recorder's staging files first
    return recorder


async def _flush_every_second(recorder: Any, stop: asyncio.Event) -> None:
    """Hand the recorder its ticks once a second (the writer thread does the rest)."""
    from letrade_cli.data.record import FLUSH_S

    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FLUSH_S):
                await stop.wait()
        recorder.flush()


def _network_hint(settings: StreamSettings) -> str:
    from letrade_cli.venues.registry import venue_spec

    if venue_spec(settings.venue).embedded:
        return "the embedded exchange did not answer; try a longer --duration"
    return "check the venue's status and your network, or try --venue sim"


async def _live_table(service: StreamService, stop: asyncio.Event, deadline: float | None) -> None:
    from rich.live import Live

    def render() -> Any:
        from letrade_cli.ui.stream_table import stream_table

        prices: dict[str, tuple[Tick | None, bool]] = {}
        for symbol in service.symbols:
            tick = service.price(symbol)
            prices[symbol] = (
                (tick, True) if tick is not None else (service.cache.peek(symbol), False)
            )
        left = "" if deadline is None else f" · {max(0.0, deadline - time.monotonic()):.0f}s left"
        return stream_table(
            venue=service.spec.name,
            symbols=service.symbols,
            stats=service.stats,
            prices=prices,
            cache=service.cache.stats().as_dict(),
            breakers={
                "stream": service.stream_breaker.as_dict(),
                "rest": service.rest_breaker.as_dict(),
            },
            title_suffix=left,
        )

    with Live(
        render(), console=err_console(), refresh_per_second=REFRESH_PER_S, transient=False
    ) as live:
        while not stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1 / REFRESH_PER_S):
                    await stop.wait()
            live.update(render())
