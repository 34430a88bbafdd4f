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
from letrade_cli.core.tick import Tick
from letrade_cli.errors import NetworkUnavailableError
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
        if json_output:
            writer = JsonLineWriter(sys.stdout.buffer, stop)
            service.bus.subscribe(writer)
        deadline = None if duration is None else time.monotonic() + duration
        show_live = not json_output and console.is_terminal
        if show_live:
            await _live_table(service, stop, deadline)
        else:
            await wait_for_stop(stop, deadline)
        summary = service.summary()
        if writer is not None:
            writer.flush()
    if json_output:
        sys.stderr.write(orjson.dumps(summary).decode() + "\n")
    else:
        from letrade_cli.ui.stream_table import summary_table

        console.print(summary_table(summary))
    if context.signal_exit is None and summary["messages"] == 0 and not service.stats.rest_ticks:
        error = service.supervisor.last_error if service.supervisor else None
        raise NetworkUnavailableError(
            f"no market data received from {settings.venue}" + (f": {error}" if error else ""),
            hint="check the venue's status and your network, or try --venue sim",
        )
    return EXIT_OK


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
                await asyncio.wait_for(stop.wait(), 1 / REFRESH_PER_S)
            live.update(render())
