"""JSON Lines on stdout for scripts: one object per event, flushed once per loop turn."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import IO, Any

import orjson


class JsonLineWriter:
    """Writes each item as one JSON line; flushes once per event-loop turn, not per item."""

    def __init__(self, stream: IO[bytes], on_broken_pipe: asyncio.Event) -> None:
        self.stream = stream
        self.on_broken_pipe = on_broken_pipe
        self.broken = False
        self._flush_pending = False
        self._loop = asyncio.get_running_loop()

    def __call__(self, item: Any) -> None:
        """Write one item (a bus subscriber): a dataclass, msgspec Struct or dict."""
        if self.broken:
            return
        try:
            self.stream.write(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE))
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
