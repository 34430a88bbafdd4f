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
from letrade_cli.core.tick import Tick
from letrade_cli.runtime.heap import settled_heap
from letrade_cli.runtime.jsonl import JsonLineWriter
from letrade_cli.runtime.process import EXIT_OK, RunContext, run, wait_for_stop
from letrade_cli.ui.console import err_console

REFRESH_PER_S = 4


def run_stream(
    settings: StreamSettings, *, duration: float | None, json_output: bool, backend: str
) -> int:
    """Run until ``duration`` or a signal; print the summary; return the exit code."""

    async def main(context: RunContext) -> int:
        return await _run(context, settings, duration, json_output, backend)

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
) -> int:
    stop = context.stop
    console = err_console()
    async with StreamService(settings, backend=backend) as service:
        writer = None
        unsubscribe = None
        if json_output:
            writer = lines = JsonLineWriter(sys.stdout.buffer, stop)
            clock = time.time_ns
            unsubscribe = service.bus.subscribe(lambda tick: lines(tick_line(tick, clock())))
        await _first_outcome(service, stop)
        deadline = None if duration is None else time.monotonic() + duration
        show_live = not json_output and console.is_terminal
        with settled_heap():  # start-up objects out of the collector's full passes
            if show_live:
                await _live_table(service, stop, deadline)
            else:
                await wait_for_stop(stop, deadline)
        if unsubscribe is not None:
            # Frames still arriving while the service shuts down must not be printed after the
            # summary was taken: the printed lines and the summary's count then agree.
            unsubscribe()
        summary = service.summary()
        if writer is not None:
            writer.flush()
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
