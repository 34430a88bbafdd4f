"""The shared runner: signals map to 130/143, even when they arrive while the loop starts."""

from __future__ import annotations

import asyncio
import signal

from letrade_cli.runtime import process
from letrade_cli.runtime.process import EXIT_INTERRUPTED, EXIT_TERMINATED, RunContext, run


async def wait_then_report(context: RunContext) -> int:
    async with asyncio.timeout(5):
        await context.stop.wait()
    return 0


def test_a_signal_remembered_during_start_up_stops_the_command() -> None:
    # What run() hands over when SIGTERM came between its start and the loop's own handlers.
    code = asyncio.run(process._supervised(wait_then_report, [signal.SIGTERM]))
    assert code == EXIT_TERMINATED


def test_the_first_signal_decides_the_exit_code() -> None:
    code = asyncio.run(process._supervised(wait_then_report, [signal.SIGINT, signal.SIGTERM]))
    assert code == EXIT_INTERRUPTED


def test_run_gives_back_the_handlers_it_found() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    async def main(context: RunContext) -> int:
        return 7

    assert run(main) == 7
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
