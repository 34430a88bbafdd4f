"""The process runner shared by every long-lived command (see the package docstring)."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from letrade_cli.core import interrupts
from letrade_cli.core.errors import EXIT_INTERRUPTED, EXIT_TERMINATED
from letrade_cli.core.waits import wait_event

EXIT_OK = 0

_SIGNAL_EXIT = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: EXIT_TERMINATED}


@dataclass(slots=True)
class RunContext:
    """Handed to a running command: set ``stop`` to end it; ``signal_exit`` says why it ended."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    signal_exit: int | None = None

    def exit_code(self, code: int = EXIT_OK) -> int:
        """A signal's exit code wins over the command's own."""
        return self.signal_exit if self.signal_exit is not None else code


def run(main: Callable[[RunContext], Awaitable[int]]) -> int:
    """Run ``main`` on a fresh event loop (uvloop when installed) with signal handling.

    Returns ``main``'s exit code, or 130/143 when SIGINT/SIGTERM asked it to stop.
    """
    # Until the loop's own handlers are in place, a signal is only remembered. Without this,
    # asyncio.Runner's SIGINT handler would cancel the main task wherever it stands (a Ctrl-C
    # during start-up that some ``await`` could absorb), and SIGTERM would kill us outright.
    early: list[int] = []
    previous = _hold_signals(early)
    if interrupts.take():  # a Ctrl-C whose KeyboardInterrupt a callback swallowed
        early.append(signal.SIGINT)
    try:
        try:  # imported with the signals held: an extension's init is never interrupted
            import uvloop  # type: ignore[import-not-found,unused-ignore]

            runner: Any = uvloop.run
        except ImportError:
            runner = asyncio.run
        return int(runner(_supervised(main, early)))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _hold_signals(early: list[int]) -> dict[signal.Signals, Any]:
    """Make SIGINT/SIGTERM append to ``early``; returns the handlers to restore."""
    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread may set handlers (and only it gets signals)

    def remember(signum: int, frame: FrameType | None) -> None:
        early.append(signum)

    return {sig: signal.signal(sig, remember) for sig in _SIGNAL_EXIT}


async def _supervised(main: Callable[[RunContext], Awaitable[int]], early: list[int]) -> int:
    context = RunContext()
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if context.signal_exit is None:
            context.signal_exit = _SIGNAL_EXIT[sig]
        context.stop.set()

    for sig in _SIGNAL_EXIT:
        loop.add_signal_handler(sig, on_signal, sig)
    for signum in early:  # arrived while the loop was starting
        on_signal(signal.Signals(signum))
    try:
        code = await main(context)
    finally:
        for sig in _SIGNAL_EXIT:
            loop.remove_signal_handler(sig)
    return context.exit_code(code)


async def wait_for_stop(stop: asyncio.Event, deadline: float | None) -> None:
    """Wait until ``stop`` is set or the monotonic ``deadline`` passes (None: no deadline)."""
    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    await wait_event(stop, timeout)
