"""Runs a StreamService and renders it: Rich Live on a terminal, JSON lines with --json."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from typing import IO, Any

import orjson

from letrade_cli.cli.output import err_console
from letrade_cli.config.stream import StreamSettings
from letrade_cli.connector.service import StreamService
from letrade_cli.core.tick import Tick
from letrade_cli.errors import NetworkUnavailableError

REFRESH_PER_S = 4
EXIT_OK, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 130, 143


class JsonLineWriter:
    """Writes each tick as one JSON line; flushes once per event-loop turn, not per tick."""

    def __init__(self, stream: IO[bytes], on_broken_pipe: asyncio.Event) -> None:
        self.stream = stream
        self.on_broken_pipe = on_broken_pipe
        self.broken = False
        self._flush_pending = False
        self._loop = asyncio.get_running_loop()

    def __call__(self, tick: Tick) -> None:
        """Write one tick (a bus subscriber)."""
        if self.broken:
            return
        try:
            self.stream.write(orjson.dumps(tick, option=orjson.OPT_APPEND_NEWLINE))
        except BrokenPipeError:
            self._broke()
            return
        if not self._flush_pending:
            self._flush_pending = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        """Flush what was written since the last flush."""
        self._flush_pending = False
        if self.broken:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._broke()

    def _broke(self) -> None:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        self.broken = True
        self.on_broken_pipe.set()
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def run_stream(
    settings: StreamSettings, *, duration: float | None, json_output: bool, backend: str
) -> int:
    """Run until ``duration`` or a signal; print the summary; return the exit code."""
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    return int(runner(_run(settings, duration, json_output, backend)))


async def _run(
    settings: StreamSettings, duration: float | None, json_output: bool, backend: str
) -> int:
    stop = asyncio.Event()
    outcome = {"code": EXIT_OK}
    loop = asyncio.get_running_loop()

    def on_signal(code: int) -> None:
        outcome["code"] = code
        stop.set()

    loop.add_signal_handler(signal.SIGINT, on_signal, EXIT_INTERRUPTED)
    loop.add_signal_handler(signal.SIGTERM, on_signal, EXIT_TERMINATED)
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
            await _wait(stop, deadline)
        summary = service.summary()
        if writer is not None:
            writer.flush()
    if json_output:
        sys.stderr.write(orjson.dumps(summary).decode() + "\n")
    else:
        from letrade_cli.ui.stream_table import summary_table

        console.print(summary_table(summary))
    if outcome["code"] == EXIT_OK and summary["messages"] == 0 and not service.stats.rest_ticks:
        error = service.supervisor.last_error if service.supervisor else None
        raise NetworkUnavailableError(
            f"no market data received from {settings.venue}" + (f": {error}" if error else ""),
            hint="check the venue's status and your network, or try --venue sim",
        )
    return outcome["code"]


async def _wait(stop: asyncio.Event, deadline: float | None) -> None:
    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout)


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
