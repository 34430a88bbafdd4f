"""JSON Lines on stdout for scripts: one object per event, flushed once per loop turn."""

from __future__ import annotations

import asyncio
from typing import IO, Any

import orjson

from letrade_cli.core.errors import LetradeError
from letrade_cli.core.stdio import output_failed


class JsonLineWriter:
    """Writes each item as one JSON line; flushes once per event-loop turn, not per item.

    A write that fails stops the run (``on_broken_pipe`` is set) and keeps the reason in
    ``error``: the command raises it once it has stopped and saved what it holds (exit 141,
    silent, for a reader that went away; exit 1 with one line for a full disk or /dev/full).
    """

    def __init__(self, stream: IO[bytes], on_broken_pipe: asyncio.Event) -> None:
        self.stream = stream
        self.on_broken_pipe = on_broken_pipe
        self.broken = False
        self.error: LetradeError | None = None
        self._flush_pending = False
        self._loop = asyncio.get_running_loop()

    def __call__(self, item: Any) -> None:
        """Write one item (a bus subscriber): a dataclass, msgspec Struct or dict."""
        if self.broken:
            return
        try:
            self.stream.write(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE))
        except (OSError, LetradeError) as exc:
            self._broke(exc)
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
        except (OSError, LetradeError) as exc:
            self._broke(exc)

    def raise_error(self) -> None:
        """Raise why writing stopped, if it did."""
        if self.error is not None:
            raise self.error

    def _broke(self, exc: OSError | LetradeError) -> None:
        # stdout now goes to /dev/null (output_failed): exit cannot fail on it a second time.
        self.broken = True
        self.error = output_failed(exc) if isinstance(exc, OSError) else exc
        self.on_broken_pipe.set()
