"""Consoles and error rendering shared by every command (stdout for data, stderr for the rest)."""

from __future__ import annotations

import sys
from functools import cache

from rich.console import Console


@cache
def err_console() -> Console:
    """Logs, progress and errors: stderr. Rich honours NO_COLOR and non-TTY by itself."""
    return Console(stderr=True, highlight=False)


PIPE_WIDTH = 1000  # a table on a pipe is as wide as its content: no id is ever cut


@cache
def out_console() -> Console:
    """Data: stdout. Not a terminal (a pipe, a file, cron) and no COLUMNS: no truncation."""
    import os

    console = Console(highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = Console(highlight=False, width=PIPE_WIDTH)
    return console


# A value quoted in an error (a path, a key, a symbol) may hold a newline or an escape
# sequence: shown the way Python's repr shows them, so the error stays one readable line.
_CONTROL = {i: repr(chr(i))[1:-1] for i in (*range(32), 127)}


def error_line(message: str, hint: str | None = None) -> str:
    """``error: MESSAGE — HINT`` as one line, secrets redacted, control characters escaped."""
    from letrade_cli.core.redact import redact

    text = f"error: {message}"
    if hint:
        text += f" — {hint}"
    return redact(text).translate(_CONTROL)  # error text quotes URLs and values


def print_error(message: str, hint: str | None = None) -> None:
    """One line: what is wrong and, where we know it, how to fix it."""
    from letrade_cli.core.stdio import note_reported

    note_reported(message)
    text = error_line(message, hint)
    console = err_console()
    if console.is_terminal:
        console.print(f"[bold red]{_escape(text)}[/]", soft_wrap=True)
    else:
        print(text, file=sys.stderr, flush=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
