"""`letrade trade watch`: every order update and fill the venue pushes, as it arrives.

The venue is started as for any trade subcommand (``runtime.trade.order_session``), which opens
its private stream; every ``(state, fill)`` the venue reports is shown, filtered by symbol: as
JSON lines (``--json`` or stdout not a terminal) or as a Rich live table with the stream's
state and counters. It runs until ``--duration`` passes (exit 0) or a signal (130/143).
Changes of the stream's state (down, up again) are one line each on stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from typing import Any

from letrade_cli.core.errors import UsageError
from letrade_cli.runtime.trade import TradeTarget, order_session, trade_settings
from letrade_cli.venues.base import VenueSpec

REFRESH_PER_S = 4
STATE_POLL_S = 0.25


def check_watchable(spec: VenueSpec, rest_url: str | None) -> None:
    """Refuse the embedded sim: nothing but this command would trade on it."""
    if spec.embedded and not rest_url:
        raise UsageError(
            "nothing to watch on an embedded sim: no other command trades on it",
            hint="run `letrade sim` in another terminal and set LETRADE_REST_URL (or --rest-url)",
        )


def run_watch(
    target: TradeTarget,
    *,
    spec: VenueSpec,
    rest_url: str | None,
    symbols: Sequence[str],
    duration: float | None,
) -> int:
    """Show pushed order updates until ``duration`` passes or a signal; return the exit code."""
    from letrade_cli.runtime.process import EXIT_OK, RunContext, run

    check_watchable(spec, rest_url)
    if duration is not None and not duration > 0:  # nan too
        raise UsageError(f"--duration must be greater than 0, got {duration:g}")
    settings, keys = trade_settings(target, spec)
    if not settings.orders.private_stream:
        raise UsageError(
            "trade watch needs the venue's private stream, and the profile turns it off",
            hint="set trading.orders.private_stream: true in the profile",
        )
    wanted = set(symbols)

    async def main(context: RunContext) -> int:
        async with order_session(spec, rest_url, settings, keys) as manager:
            venue = manager.venue
            state = str(getattr(venue, "stream_state", "off"))
            if state == "off":
                raise UsageError(
                    f"{venue.name} pushes no order updates here (its private stream is off)",
                    hint="trade watch needs a venue with a private stream (`letrade venues`)",
                )
            deadline = None if duration is None else time.monotonic() + duration
            watcher = _Watcher(venue, wanted, context.stop, json_output=_json_mode(target))
            manager.add_listener(watcher)
            only = f" of {', '.join(sorted(wanted))}" if wanted else ""
            sys.stderr.write(
                f"watching {venue.name}: order updates and fills{only} "
                f"(private stream {state}); Ctrl-C to stop\n"
            )
            if state != "up":
                sys.stderr.write(
                    "note: the private stream is not up yet (reconnecting): orders placed "
                    "elsewhere show once it is\n"
                )
            sys.stderr.flush()
            await watcher.run(deadline)
        board = watcher.board
        sys.stderr.write(
            f"watched {venue.name}: {len(board.rows)} orders, {board.updates} updates, "
            f"{board.fills} fills\n"
        )
        return EXIT_OK

    return run(main)


def _json_mode(target: TradeTarget) -> bool:
    from letrade_cli.ui.console import out_console

    return target.json_output or not out_console().is_terminal


class _TextOut:
    """Bytes written to a text stdout that has no ``buffer`` (a captured one)."""

    def __init__(self, text: Any) -> None:
        self.text = text

    def write(self, data: bytes) -> int:
        return int(self.text.write(data.decode()))

    def flush(self) -> None:
        self.text.flush()


def _stdout_bytes() -> Any:
    buffer = getattr(sys.stdout, "buffer", None)
    return buffer if buffer is not None else _TextOut(sys.stdout)


class _Watcher:
    """The listener and the loop: write each update; follow the stream's state."""

    def __init__(
        self, venue: Any, symbols: set[str], stop: asyncio.Event, *, json_output: bool
    ) -> None:
        from letrade_cli.runtime.jsonl import JsonLineWriter
        from letrade_cli.ui.watch import WatchBoard

        self.venue = venue
        self.symbols = symbols
        self.stop = stop
        self.json_output = json_output
        self.board = WatchBoard(venue.name)
        self.writer = JsonLineWriter(_stdout_bytes(), stop) if json_output else None

    def __call__(self, state: Any, fill: Any) -> None:
        """An ``OrderListener``: every pushed update of a watched symbol."""
        if self.symbols and state.symbol not in self.symbols:
            return
        now_ms = time.time_ns() // 1_000_000
        self.board.update(state, fill, now_ms)
        if self.writer is not None:
            from letrade_cli.ui.watch import watch_line

            self.writer(watch_line(state, fill, now_ms))

    def stream_state(self) -> str:
        return str(getattr(self.venue, "stream_state", "off"))

    async def run(self, deadline: float | None) -> None:
        if self.json_output:
            await self._follow(deadline, None)
            if self.writer is not None:
                self.writer.flush()
                self.writer.raise_error()
            return
        from rich.live import Live

        from letrade_cli.ui.console import out_console

        with Live(
            self._render(deadline), console=out_console(), refresh_per_second=REFRESH_PER_S
        ) as live:
            await self._follow(deadline, lambda: live.update(self._render(deadline)))

    def _render(self, deadline: float | None) -> Any:
        left = None if deadline is None else deadline - time.monotonic()
        counters = getattr(self.venue, "counters", None)
        return self.board.render(stream_state=self.stream_state(), counters=counters, left_s=left)

    async def _follow(self, deadline: float | None, redraw: Any) -> None:
        """Until stop or the deadline: note stream state changes; redraw the table."""
        last = self.stream_state()
        tick = 1 / REFRESH_PER_S if redraw is not None else STATE_POLL_S
        while not self.stop.is_set():
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            wait = tick if deadline is None else min(tick, deadline - now)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self.stop.wait()
            state = self.stream_state()
            if state != last:
                note = "up again" if state == "up" else f"{state} (reconnecting)"
                sys.stderr.write(f"private stream {note}\n")
                sys.stderr.flush()
                last = state
            if redraw is not None:
                redraw()
